"""Claims recorded as a verify records them, without running one per claim: for tests of what reads
claims (the console's pages, the API's claim routes, outcomes)."""

from __future__ import annotations

import copy
import functools
from datetime import UTC, datetime
from typing import Any

from evidence_check.engine import Upload
from evidence_check.models import Claim, Timeline
from evidence_check.service import verify_claim
from evidence_check.settings import Settings
from evidence_check.store import Store
from evidence_check.store.claim_files import claim_fields
from tests.api.conftest import jpeg

# The photo of every seeded claim: one without EXIF, as a chat app sends it.
SEEDED_PHOTO = jpeg(1)


@functools.cache
def _verified() -> dict[str, Any]:
    """A report as `POST /v1/verify` writes one, of `SEEDED_PHOTO`: analysed once per test process."""
    claim = Claim(claim_id="seed", timeline=Timeline())
    upload = Upload("p.jpg", SEEDED_PHOTO)
    when = datetime(2026, 12, 1, tzinfo=UTC)
    return verify_claim(claim, [upload], settings=Settings(), store=None, now=when, record=False, channel="api").body


def seed(
    store: Store, tenant: str, claim_id: str, verdict: str, when: datetime, timeline: dict[str, str] | None = None, **fields: Any
) -> None:
    """A claim recorded as `verify_claim` records one (its report, photo, kept file and fields, so
    that every route reads it as a verified claim), with the given verdict; `timeline` the report's
    (`ordered_at`: an ISO time, ...). Its sentences are the photo's findings', as every report's: the
    pages and the API write them again from the findings in the reader's language."""
    claim = Claim(claim_id=claim_id, timeline=Timeline(), tenant=tenant, **fields)
    body = copy.deepcopy(_verified())
    risk = {"accept": 0.1, "review": 0.5, "reject": 0.9}[verdict]
    body.update(
        claim_id=claim_id,
        customer_id=claim.customer_id,
        sku=claim.sku,
        order_id=claim.order_id,
        wanted=claim.wanted,
        verdict=verdict,
        risk=risk,
        confidence=0.8,
        created_at=when.isoformat(),
        timeline={**body["timeline"], **(timeline or {})},
    )
    [image] = body["images"]
    image.update(verdict=verdict, risk=risk)
    photo = image["image_id"]
    store.record(
        claim, [(photo, image["filename"])], body, when, files={photo: SEEDED_PHOTO}, fields=claim_fields(claim)
    )
