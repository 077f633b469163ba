"""The location look (看问题位置): where on the product is the problem, and what does that suggest?

The problem region is given (`Claim.region_on`: on the photo it was drawn on; the claim's other
photos are not judged by it) or, when none is given, proposed by the service (`proposal`: where the photo
differs most from the catalog image it aligns with; a suggestion, never a verdict). Through the
relevance look's homography (its assessment of the photo, measured once for both looks) the region
is mapped into the matched catalog image and placed on the product (`geometry`): on it or off it,
where, and on which of the zones the merchant drew there, with the zone's likely cause.

What the statuses do to the verdict:
- `pass`: a region on the product (naming its zone and the zone's cause when there is one).
- `warn` (WEAR_SCORE): the region is on a zone whose problems come from wear — a person should ask
  how the item was used (`ask_about_use`), which is a review, never a rejection.
- `fail` (OFF_PRODUCT_SCORE): the marked region is outside the ordered item (the shelf, the table, a
  hand). The mark may be the agent's or the form's mistake as much as the customer's, so it asks
  for a person (below the scoring's reject threshold) and never rejects by itself.
- `unknown` (score 0): no region on this photo, the photo does not align with a catalog image, or
  the region cannot be carried into it. A proposed region is reported as `unknown` too: it is the
  service's guess, not evidence for or against the claim; so is a photo too unlike the catalog
  image to propose one (`location.not_comparable`: a hand over most of the product, another print
  version). A photo that lines up over only part of the product is compared there (`location.proposed_part`,
  `details.compared_share`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from evidence_check.catalog.zones import Zone, read_zones
from evidence_check.checks.context import CheckContext
from evidence_check.checks.location.geometry import Placement, ProductShape, box_corners, project
from evidence_check.checks.location.proposal import Declined, propose
from evidence_check.checks.relevance import rules
from evidence_check.imaging.load import Photo
from evidence_check.models import Claim, Finding, Status

MIN_ZONE_SHARE = 0.2  # share of the mapped region that must fall on a zone to name it
ON_PRODUCT_MIN = 0.25  # share of the mapped region on the product below which it is off the product
OFF_PRODUCT_SCORE = 0.5  # a doubt for a person, below the scoring's reject_score
WEAR_SCORE = 0.15
# A catalog image whose product outline (zones aside) covers this share of it has no plain background
# (a hand-held photo): any region on it is "on the product". Its merchant is told when adding it
# (`lacks_outline`); docs/measurements/location.md, "A catalog image without an outline".
NO_OUTLINE_SHARE = 0.75


def lacks_outline(outline_share: float, zoned: bool) -> bool:
    """Whether a catalog image gives this look no product outline: zones drawn on it are one."""
    return not zoned and outline_share >= NO_OUTLINE_SHARE


def check(photo: Photo, claim: Claim, context: CheckContext) -> Finding:
    region = claim.region_on(context.photo_number)
    details: dict[str, Any] = {"image_size": [photo.width, photo.height], "zone": None}
    if claim.regions and region is None:
        # Every photo that carries a region; `region_on_photo`, the first of them, as clients read it.
        elsewhere = sorted({other.photo_number for other in claim.regions})
        details.update(region_on_photo=elsewhere[0], regions_on_photos=elsewhere)
    if region is not None:
        text = f"{region.x},{region.y},{region.w},{region.h}"
        if region.x + region.w > photo.width or region.y + region.h > photo.height:
            details["region"] = [region.x, region.y, region.w, region.h]
            params = {"region": text, "size": f"{photo.width}x{photo.height}"}
            return Finding(Status.UNKNOWN, 0.0, "location.region_outside", params, details)
        details.update(
            region=[region.x, region.y, region.w, region.h],
            region_fraction=[
                round(region.x / photo.width, 4),
                round(region.y / photo.height, 4),
                round(region.w / photo.width, 4),
                round(region.h / photo.height, 4),
            ],
        )
    aligned = _aligned(photo, claim, context)
    if isinstance(aligned, str):
        if region is not None:
            details["on_product"] = None
            return Finding(Status.UNKNOWN, 0.0, "location.not_aligned", {"region": text, "reason": aligned}, details)
        if "region_on_photo" in details:
            return Finding(Status.UNKNOWN, 0.0, "location.region_elsewhere", _elsewhere(details), details)
        return Finding(Status.UNKNOWN, 0.0, "location.no_region", {}, details)
    match, features = aligned
    shape = ProductShape(match.image, read_zones(match.image.zones))
    to_photo = match.homography_full
    details.update(
        matched_image={"image_id": match.image.image_id, "filename": match.image.filename},
        outline_in_photo=_rounded(project(shape.outline(), to_photo)),
        zones_in_photo={zone.name: _rounded(project(zone.polygon, to_photo)) for zone in shape.zones},
    )
    if region is None:
        return _proposed(photo, context, match, features, shape, details)
    placement = shape.place(project(box_corners(region.x, region.y, region.w, region.h), np.linalg.inv(to_photo)))
    if placement is None:
        details["on_product"] = None
        return Finding(Status.UNKNOWN, 0.0, "location.not_aligned", {"region": text, "reason": "folded"}, details)
    return judged(text, placement, details)


def _elsewhere(details: dict[str, Any]) -> dict[str, Any]:
    """The parameters of `location.region_elsewhere`: the first photo that carries a region as a number
    (`photo`) and every one of them written out in each language (`photos`, `photos_zh`)."""
    numbers = [str(number) for number in details["regions_on_photos"]]
    listed = f"photo {numbers[0]}" if len(numbers) == 1 else f"photos {', '.join(numbers[:-1])} and {numbers[-1]}"
    return {"photo": details["region_on_photo"], "photos": listed, "photos_zh": "、".join(numbers)}


def judged(text: str, placement: Placement, details: dict[str, Any]) -> Finding:
    on_product = placement.on_share >= ON_PRODUCT_MIN
    details.update(
        on_product=on_product,
        on_product_share=round(placement.on_share, 3),
        place=placement.place,
        from_left=placement.from_left,
        from_top=placement.from_top,
        region_in_catalog=placement.corners,
    )
    params: dict[str, Any] = {"region": text, "place": placement.place, "from_left": placement.from_left}
    if not on_product:
        return Finding(Status.FAIL, OFF_PRODUCT_SCORE, "location.off_product", params, details)
    zone = placement.zone if placement.zone_share >= MIN_ZONE_SHARE else None
    if zone is None:
        return Finding(Status.PASS, 0.0, "location.on_product", params, details)
    details.update(_zone_details(zone), zone_share=round(placement.zone_share, 3))
    params.update(_zone_params(zone))
    note = "_note" if zone.note else ""
    if zone.cause == "wear":
        return Finding(Status.WARN, WEAR_SCORE, f"location.zone_wear{note}", params, details, next_step="ask_about_use")
    code = "location.zone" if zone.cause == "unknown" else "location.zone_cause"
    return Finding(Status.PASS, 0.0, code + note, params, details)


def _proposed(photo: Photo, context: CheckContext, match: Any, features: Any, shape: ProductShape, details: dict[str, Any]) -> Finding:
    measured = context.measurements(photo)
    with measured.timed("location.proposal"):
        proposal = propose(features, match, (photo.width, photo.height), photo.working)
    if proposal is None:
        if "region_on_photo" in details:
            return Finding(Status.UNKNOWN, 0.0, "location.region_elsewhere", _elsewhere(details), details)
        return Finding(Status.UNKNOWN, 0.0, "location.nothing_proposed", {}, details)
    details["alignment"] = proposal.alignment
    if isinstance(proposal, Declined):
        return Finding(Status.UNKNOWN, 0.0, "location.not_comparable", {"alignment": f"{proposal.alignment:.2f}"}, details)
    x, y, w, h = proposal.box
    details.update(
        proposed_region=proposal.box,
        proposal_confidence=proposal.confidence,
        proposal_strength=proposal.strength,
        proposal_confident=proposal.confident,
    )
    params: dict[str, Any] = {"region": f"{x},{y},{w},{h}", "confidence": f"{proposal.confidence:.2f}"}
    part = ""
    if proposal.compared_share < 1.0:
        # Compared on the part that lines up only: the agent is told how much of the product that was.
        details["compared_share"] = proposal.compared_share
        details["left_out_in_photo"] = [_rounded(outline) for outline in proposal.left_out]
        params["share"] = f"{100 * proposal.compared_share:.0f}"
        part = "_part"
    placement = shape.place(project(box_corners(x, y, w, h), np.linalg.inv(match.homography_full)))
    if placement is not None and placement.zone is not None and placement.zone_share >= MIN_ZONE_SHARE:
        details.update(_zone_details(placement.zone), zone_share=round(placement.zone_share, 3))
        params.update(_zone_params(placement.zone))
        return Finding(Status.UNKNOWN, 0.0, f"location.proposed_zone{part}", params, details)
    return Finding(Status.UNKNOWN, 0.0, f"location.proposed{part}", params, details)


def _aligned(photo: Photo, claim: Claim, context: CheckContext) -> tuple[Any, Any] | str:
    """The relevance look's match of the ordered SKU and the photo's features it was found on, or
    why there is none: `no_sku`, `no_catalog` (no catalog images of the SKU), `not_found`."""
    catalog = context.catalog
    if not claim.sku:
        return "no_sku"
    if catalog is None:
        return "no_catalog"
    tenant = catalog.for_tenant(claim.tenant)
    entry = tenant.get(claim.sku)
    if entry is None or not entry.images:
        return "no_catalog"
    measured = context.measurements(photo)
    found = measured.assessment(tenant, claim.sku, rules)
    match = found.ordered
    if match is None or match.homography_full is None or match.inliers < rules.PASS_INLIERS:
        return "not_found"
    return match, measured.relevance_features(found.look)


def _zone_details(zone: Zone) -> dict[str, Any]:
    return {"zone": zone.name, "cause": zone.cause, "note": zone.note, "zone_label_zh": zone.label_zh}


def _zone_params(zone: Zone) -> dict[str, Any]:
    return {"zone": zone.label("en"), "zone_zh": zone.label("zh"), "cause": zone.cause, "note": zone.note or ""}


def _rounded(points: np.ndarray) -> list[list[float]]:
    return [[round(float(x), 1), round(float(y), 1)] for x, y in points]

