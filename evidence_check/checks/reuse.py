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
- An earlier claim of the same customer -> ``warn`` (a repeat); of another customer -> ``fail``;
  the shop's own listing photo -> ``fail``; a stock or review photo -> ``fail``. When the earlier
  claim or this one names no customer, nobody can tell whether the customer is the same:
  ``warn`` (``reuse.earlier_claim_customer_unknown``), scored below `scoring`'s reject threshold and
  above a same-customer repeat, so that a person looks — intake systems that send no customer ids
  would otherwise reject a customer's own repeat claim. But when this claim names no customer and
  earlier claims of two different customers sent the photo, one of them is another customer's whoever
  sends it now: ``fail`` as another customer's (``reuse.other_customer``, its sentence naming a claim of
  each and saying that this claim names no customer). The strongest of these is reported (in that
  order: listing, another customer, stock, review, customer unknown, same customer); every match is
  in details with its distances and the verification figures (inliers, aligned agreement), and an
  earlier claim's with ``same_customer`` and ``customer_known`` (both claims name a customer). An
  earlier claim's customer is the last id sent for it: one sent when the claim is verified again
  names the photos it recorded before (`store.database`).

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
# Between the repeat and the reject threshold (0.8): a warn asks for a person whatever its score,
# and this one weighs more in the photo's risk than a known customer's own repeat.
SCORE_CUSTOMER_UNKNOWN = 0.6

# What each kind of earlier picture means, strongest first: (code, status, score).
_OUTCOMES = {
    "listing": ("reuse.listing_photo", Status.FAIL, SCORE_LISTING),
    "other_customer": ("reuse.other_customer", Status.FAIL, SCORE_OTHER_CUSTOMER),
    "stock": ("reuse.stock_photo", Status.FAIL, SCORE_REFERENCE),
    "review": ("reuse.review_photo", Status.FAIL, SCORE_REFERENCE),
    "customer_unknown": ("reuse.earlier_claim_customer_unknown", Status.WARN, SCORE_CUSTOMER_UNKNOWN),
    "same_customer": ("reuse.same_customer", Status.WARN, SCORE_SAME_CUSTOMER),
}
_RANKS = list(_OUTCOMES)
_REF_NAMES = {"claim": "claim_id", "listing": "sku", "stock": "reference_id", "review": "reference_id"}


def check(photo: Photo, claim: Claim, context: CheckContext) -> Finding:
    if context.references is None:
        return Finding(Status.UNKNOWN, 0.0, "reuse.no_history")
    found = list(context.references.matches(claim.tenant, context.measurements(photo), claim.claim_id))
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
    ranked = sorted(earlier, key=lambda m: _RANKS.index(_kind(m, claim)))
    first = ranked[0]
    kind = _kind(first, claim)
    two_customers = _claims_of_two_customers(earlier, claim)
    if two_customers is not None and _RANKS.index(kind) > _RANKS.index("other_customer"):
        # This claim names no customer: its sentence names a claim of each earlier customer instead.
        first, second = two_customers
        code, status, score = _OUTCOMES["other_customer"]
        params = _said_of(first, earlier) | {
            "second_ref_id": second.entry.ref_id,
            "second_first_seen": _day(second.entry.first_seen),
            "without_customer": "this",
        }
        return Finding(status, score, code, params, details, "ask_new_photo")
    code, status, score = _OUTCOMES[kind]
    params = _said_of(first, earlier)
    if kind == "customer_unknown":
        params["without_customer"] = _without_customer(first, claim)
        return Finding(status, score, code, params, details, "compare_claim_customers")
    return Finding(status, score, code, params, details, "ask_new_photo")


def _said_of(first: Match, earlier: list[Match]) -> dict[str, Any]:
    return {"ref_id": first.entry.ref_id, "first_seen": _day(first.entry.first_seen), "count": len(earlier)}


def _kind(match: Match, claim: Claim) -> str:
    if match.entry.kind != "claim":
        return match.entry.kind
    if not _customer_known(match, claim):
        return "customer_unknown"
    return "same_customer" if _same_customer(match, claim) else "other_customer"


def _claims_of_two_customers(earlier: list[Match], claim: Claim) -> tuple[Match, Match] | None:
    """When this claim names no customer: the first earlier claims (`earlier`, oldest first) of two
    different customers, if two sent the photo."""
    if claim.customer_id:
        return None
    first_of_each: dict[str, Match] = {}
    for match in earlier:
        if match.entry.kind == "claim" and match.entry.customer_id:
            first_of_each.setdefault(match.entry.customer_id, match)
    if len(first_of_each) < 2:
        return None
    first, second = list(first_of_each.values())[:2]
    return first, second


def _customer_known(match: Match, claim: Claim) -> bool:
    return bool(match.entry.customer_id) and bool(claim.customer_id)


def _same_customer(match: Match, claim: Claim) -> bool:
    return _customer_known(match, claim) and match.entry.customer_id == claim.customer_id


def _without_customer(match: Match, claim: Claim) -> str:
    """Which claim names no customer: "both", "earlier" or "this" (worded by `explain.reuse.WORDS`)."""
    if not match.entry.customer_id and not claim.customer_id:
        return "both"
    return "earlier" if not match.entry.customer_id else "this"


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
        detail["customer_known"] = _customer_known(match, claim)
    return detail


def _day(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d")


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")
