"""The console on a fresh store: the API's fixtures, a signed-in browser-like client, seeded claims."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from evidence_check.models import Claim, Timeline
from evidence_check.store import Store
from tests.api.conftest import Api, api, keyed  # noqa: F401  (fixtures used by the tests here)

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(page: str) -> str:
    found = CSRF.search(page)
    assert found is not None, "the page has no form with a CSRF token"
    return found.group(1)


def sign_in(agent: Api, key: str) -> None:
    answer = agent.client.post("/signin", data={"api_key": key, "next": "/"}, follow_redirects=False)
    assert answer.status_code == 303, answer.text


def seed(
    store: Store, tenant: str, claim_id: str, verdict: str, when: datetime, timeline: dict[str, str] | None = None, **fields: Any
) -> None:
    """A claim recorded with a report of the given verdict, as `verify_claim` records one; `timeline`
    the report's (`ordered_at`: an ISO time, ...)."""
    claim = Claim(claim_id=claim_id, timeline=Timeline(), tenant=tenant, **fields)
    body = {
        "claim_id": claim_id,
        "customer_id": claim.customer_id,
        "sku": claim.sku,
        "reason": "damaged",
        "verdict": verdict,
        "risk": {"accept": 0.1, "review": 0.5, "reject": 0.9}[verdict],
        "confidence": 0.8,
        "verdict_basis": {"summary": f"basis of {claim_id}"},
        "reasons": [f"strongest reason of {claim_id}", "a weaker one"],
        "next_steps": [],
        "created_at": when.isoformat(),
        "timeline": timeline or {},
        "images": [],
    }
    store.record(claim, [(f"{claim_id}-photo", "p.jpg")], body, when)
