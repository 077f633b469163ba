"""One claim, end to end: analyse the photos, then record claim, photos and report together.

The command line and the HTTP API both call `verify_claim`; neither knows how the other works.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from evidence_check import report as report_json
from evidence_check.checks import CHECKS, challenge
from evidence_check.checks.context import CheckContext
from evidence_check.engine import Upload, verify
from evidence_check.imaging.load import Limits, Photo
from evidence_check.models import Claim, Report
from evidence_check.references import references_for, stored_print
from evidence_check.settings import Settings
from evidence_check.store import Store
from evidence_check.store.outcomes import open_challenge


@dataclass(frozen=True)
class Outcome:
    report: Report
    body: dict[str, Any]  # the contract's JSON
    readable: int  # how many photos could be read
    photos: tuple[Photo, ...] = ()  # the readable ones, for thumbnails in the HTML report


def limits_from(settings: Settings) -> Limits:
    return Limits(
        max_bytes=settings.max_file_bytes, max_pixels=settings.max_pixels, working_size=settings.working_size
    )


def verify_claim(
    claim: Claim,
    uploads: Sequence[Upload],
    *,
    settings: Settings,
    store: Store | None,
    now: datetime,
    record: bool = True,
    request_keys: Sequence[str] = (),
) -> Outcome:
    """Analyse and record. `request_keys` make recording idempotent (see `Store.record`): when the
    same request was recorded first elsewhere, `body` is that earlier report and nothing is added."""
    settings = settings.for_tenant(claim.tenant)
    references = references_for(store) if store is not None else None
    # The retake challenge is checked only for claims that have one, not in every report.
    issued = open_challenge(store, claim.tenant, claim.claim_id) if store is not None else None
    checks = CHECKS if issued is None else {**CHECKS, "challenge": challenge.check}
    context = CheckContext(settings=settings, now=now, references=references, challenge=issued)
    analysis = verify(claim, uploads, context, limits_from(settings), checks)
    body = report_json.to_dict(analysis.report)
    if record and store is not None and references is not None and analysis.photos:
        fingerprints = {p.image_id: stored_print(p) for p in analysis.photos}
        earlier = store.record(
            claim,
            [(p.image_id, p.filename) for p in analysis.photos],
            body,
            now,
            request_keys=request_keys,
            fingerprints=fingerprints,
        )
        body = earlier if earlier is not None else body
        references.sync()
    return Outcome(report=analysis.report, body=body, readable=len(analysis.photos), photos=analysis.photos)
