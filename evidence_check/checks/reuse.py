"""The reuse look: was this photo used before — in an earlier claim, as the shop's listing photo, or as
a stock or review photo — however resized, recompressed, cropped, mirrored, rotated, brightened,
watermarked or screenshotted?

The measuring is elsewhere: `imaging/fingerprint.py` (hashes, keypoints, verification) and
`references.py` / `index.py` (the tenant's indexed pictures). This module decides what a confirmed
match means for the claim:

- **First seen wins.** Only pictures recorded *before* this photo count against it. The photo's own
  time is when this claim first recorded it (re-verifying a claim), else now. A later copy is listed
  in details for information and never turns an earlier claim's verdict.
- The same claim id re-verified with the same photo is not reuse.
- An earlier claim of the same customer -> ``warn`` (a repeat); of another customer (or of an
  unknown one) -> ``fail``; the shop's own listing photo -> ``fail``; a stock or review photo ->
  ``fail``. The strongest of these is reported; every match is in details with its distances and
  the verification figures (inliers, aligned agreement).

Example: a customer sends the shop's own listing photo of SKU BAG-001, cropped and mirrored:
``fail``, code ``reuse.listing_photo``, details ``{"matches": [{"kind": "listing", "sku": "BAG-001",
"pdq_distance": 38, "inliers": 212, ...}]}``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from evidence_check.checks.context import CheckContext
from evidence_check.imaging.fingerprint import DIHEDRAL_NAMES
from evidence_check.imaging.load import Photo
from evidence_check.models import Claim, Finding, Status
from evidence_check.references import Match

SCORE_OTHER_CUSTOMER = 0.95
SCORE_LISTING = 0.95
SCORE_REFERENCE = 0.9
SCORE_SAME_CUSTOMER = 0.45

# What each kind of earlier picture means, strongest first: (code, status, score).
_OUTCOMES = {
    "listing": ("reuse.listing_photo", Status.FAIL, SCORE_LISTING),
    "other_customer": ("reuse.other_customer", Status.FAIL, SCORE_OTHER_CUSTOMER),
    "stock": ("reuse.stock_photo", Status.FAIL, SCORE_REFERENCE),
    "review": ("reuse.review_photo", Status.FAIL, SCORE_REFERENCE),
    "same_customer": ("reuse.same_customer", Status.WARN, SCORE_SAME_CUSTOMER),
}
_REF_NAMES = {"claim": "claim_id", "listing": "sku", "stock": "reference_id", "review": "reference_id"}


def check(photo: Photo, claim: Claim, context: CheckContext) -> Finding:
    if context.references is None:
        return Finding(Status.UNKNOWN, 0.0, "reuse.no_history")
    found = list(context.references.matches(claim.tenant, context.measurements(photo)))
    own = [m for m in found if m.entry.kind == "claim" and m.entry.ref_id == claim.claim_id]
    others = [m for m in found if m not in own]
    own_time = min((m.entry.first_seen for m in own), default=context.now)
    earlier = sorted((m for m in others if m.entry.first_seen < own_time), key=lambda m: m.entry.first_seen)
    later = sorted((m for m in others if m.entry.first_seen >= own_time), key=lambda m: m.entry.first_seen)
    details: dict[str, Any] = {
        "matches": [_detail(m, claim, True) for m in earlier] + [_detail(m, claim, False) for m in later]
    }
    if not earlier:
        code = "reuse.only_later" if later else "reuse.not_seen"
        return Finding(Status.PASS, 0.0, code, {"count": len(later)}, details)
    ranked = sorted(earlier, key=lambda m: list(_OUTCOMES).index(_kind(m, claim)))
    first = ranked[0]
    code, status, score = _OUTCOMES[_kind(first, claim)]
    params = {
        "ref_id": first.entry.ref_id,
        "first_seen": first.entry.first_seen.strftime("%Y-%m-%d"),
        "count": len(earlier),
    }
    return Finding(status, score, code, params, details, "ask_new_photo")


def _kind(match: Match, claim: Claim) -> str:
    if match.entry.kind != "claim":
        return match.entry.kind
    return "same_customer" if _same_customer(match, claim) else "other_customer"


def _same_customer(match: Match, claim: Claim) -> bool:
    return match.entry.customer_id is not None and match.entry.customer_id == claim.customer_id


def _detail(match: Match, claim: Claim, counts: bool) -> dict[str, Any]:
    entry, verification = match.entry, match.verification
    detail: dict[str, Any] = {
        "kind": entry.kind,
        _REF_NAMES.get(entry.kind, "reference_id"): entry.ref_id,
        "first_seen": _iso(entry.first_seen),
        "image_id": entry.image_id,  # the earlier picture, which a report may show beside the photo
        "earlier": counts,
        # 256 / 64: that hash did not find it (the other did).
        "pdq_distance": match.candidate.pdq_distance,
        "phash_distance": match.candidate.phash_distance,
        "turned": DIHEDRAL_NAMES[match.candidate.variant],
        "inliers": verification.inliers,
        "agreement": round(verification.agreement, 3),
        "overlap": round(verification.overlap, 3),
        # False: the picture's keypoints were not kept (settings.reuse_keep_features, or forgotten),
        # so only a close PDQ distance could confirm it; crops and heavy edits go unconfirmed then.
        "keypoints_kept": match.keypoints,
        # True: the earlier picture's file is this photo's byte for byte, a match whatever the
        # distances above (its codes may be an older version's).
        "identical": match.identical,
    }
    if entry.kind == "claim":
        detail["same_customer"] = _same_customer(match, claim)
    return detail


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")
