"""The location look (看问题位置): where on the product is the problem?

The agent (or intake form) marks the region on the first photo; it is checked against the photo's
size and reported in the photo's own pixels and as fractions of the frame. Naming the product part
(collar, zipper, …) needs the catalog's zones and the relevance look's homography.
"""

from __future__ import annotations

from evidence_check.checks.context import CheckContext
from evidence_check.imaging.load import Photo
from evidence_check.models import Claim, Finding, Status


def check(photo: Photo, claim: Claim, context: CheckContext) -> Finding:
    region = claim.region
    if region is None:
        return Finding(Status.UNKNOWN, 0.0, "location.no_region")
    if region.x + region.w > photo.width or region.y + region.h > photo.height:
        return Finding(
            Status.UNKNOWN,
            0.0,
            "location.region_outside",
            {
                "region": f"{region.x},{region.y},{region.w},{region.h}",
                "size": f"{photo.width}x{photo.height}",
            },
            {"region": [region.x, region.y, region.w, region.h], "image_size": [photo.width, photo.height]},
        )
    fractions = [
        round(region.x / photo.width, 4),
        round(region.y / photo.height, 4),
        round(region.w / photo.width, 4),
        round(region.h / photo.height, 4),
    ]
    return Finding(
        Status.UNKNOWN,
        0.0,
        "location.region_only",
        {"region": f"{region.x},{region.y},{region.w},{region.h}"},
        {
            "region": [region.x, region.y, region.w, region.h],
            "region_fraction": fractions,
            "image_size": [photo.width, photo.height],
            "zone": None,
        },
    )
