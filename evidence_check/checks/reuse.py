"""The reuse check: has this very photo been sent before, in another claim?

Only photos recorded *earlier* count (first seen wins), and the same claim id re-verified with the
same photo is not reuse. Another claim of the same customer is a repeat (``warn``); another
customer's claim is ``fail``. This version compares exact bytes (sha256); perceptual matching of
resized, cropped and re-encoded copies is the reuse issue's work.
"""

from __future__ import annotations

from evidence_check.checks.context import CheckContext
from evidence_check.imaging.load import Photo
from evidence_check.models import Claim, Finding, Status

SCORE_OTHER_CUSTOMER = 0.95
SCORE_SAME_CUSTOMER = 0.45


def check(photo: Photo, claim: Claim, context: CheckContext) -> Finding:
    if context.history is None:
        return Finding(Status.UNKNOWN, 0.0, "reuse.no_history")
    earlier = [
        s for s in context.history.sightings(claim.tenant, photo.image_id) if s.claim_id != claim.claim_id
    ]
    if not earlier:
        return Finding(Status.PASS, 0.0, "reuse.not_seen")
    first = min(earlier, key=lambda s: s.first_seen)
    matches = [
        {
            "kind": "claim",
            "claim_id": s.claim_id,
            "same_customer": s.customer_id is not None and s.customer_id == claim.customer_id,
            "first_seen": s.first_seen.isoformat(),
            "distance": 0,
            "method": "sha256",
        }
        for s in sorted(earlier, key=lambda s: s.first_seen)
    ]
    params = {"claim_id": first.claim_id, "first_seen": first.first_seen.strftime("%Y-%m-%d")}
    details = {"matches": matches}
    other_customer = [m for m in matches if not m["same_customer"]]
    if other_customer:
        params["claim_id"] = str(other_customer[0]["claim_id"])
        return Finding(
            Status.FAIL, SCORE_OTHER_CUSTOMER, "reuse.other_customer", params, details, "ask_new_photo"
        )
    return Finding(Status.WARN, SCORE_SAME_CUSTOMER, "reuse.same_customer", params, details, "ask_new_photo")
