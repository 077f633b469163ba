"""The location look (看问题位置): where on the product is the problem?

The agent (or intake form) marks the region on the first photo; it is checked against the photo's
size and reported in the photo's own pixels and as fractions of the frame. When the relevance look
found the ordered product (its homography maps the best-matching catalog image into the photo) and
the merchant drew zones on that image (`catalog add --zones`, on any of the SKU's images), the
region is mapped back into the catalog image and named after the zone it overlaps most
(``location.zone``, e.g. "zipper").
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from evidence_check.checks.context import CheckContext
from evidence_check.checks.relevance import rules
from evidence_check.imaging.load import Photo
from evidence_check.models import Claim, Finding, Region, Status

MIN_ZONE_SHARE = 0.2  # share of the mapped region that must fall on a zone to name it


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
    details: dict[str, Any] = {
        "region": [region.x, region.y, region.w, region.h],
        "region_fraction": fractions,
        "image_size": [photo.width, photo.height],
        "zone": None,
    }
    text = f"{region.x},{region.y},{region.w},{region.h}"
    named = _zone(photo, claim, context, region)
    if named is not None:
        zone, share, corners = named
        details.update(zone=zone, zone_share=round(share, 3), region_in_catalog=corners)
        return Finding(Status.PASS, 0.0, "location.zone", {"region": text, "zone": zone}, details)
    return Finding(Status.UNKNOWN, 0.0, "location.region_only", {"region": text}, details)


def _zone(
    photo: Photo, claim: Claim, context: CheckContext, region: Region
) -> tuple[str, float, list[list[float]]] | None:
    catalog = context.catalog
    if catalog is None or not claim.sku:
        return None
    tenant = catalog.for_tenant(claim.tenant)
    entry = tenant.get(claim.sku)
    if entry is None or not entry.has_zones:
        return None
    # The relevance look's assessment of this photo (measured once for both looks) and its rules.
    found = context.measurements(photo).assessment(tenant, claim.sku, rules)
    match = found.ordered
    # Zones are in the pixels of the image they were drawn on; only that image's homography maps them.
    if match is None or match.homography_full is None or match.inliers < rules.PASS_INLIERS or not match.image.zones:
        return None
    corners = np.array(
        [[region.x, region.y], [region.x + region.w, region.y],
         [region.x + region.w, region.y + region.h], [region.x, region.y + region.h]],
        dtype=np.float32,
    ).reshape(-1, 1, 2)  # fmt: skip
    inverse = np.linalg.inv(match.homography_full)
    mapped = cv2.perspectiveTransform(corners, inverse).reshape(-1, 2).astype(np.float32)
    if not np.all(np.isfinite(mapped)) or not cv2.isContourConvex(mapped):
        return None
    area = cv2.contourArea(mapped)
    if area <= 0:
        return None
    best: tuple[str, float] | None = None
    for name, (x, y, w, h) in match.image.zones.items():
        box = np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]], dtype=np.float32)
        overlap, _ = cv2.intersectConvexConvex(mapped, box)
        share = float(overlap) / area
        if share >= MIN_ZONE_SHARE and (best is None or share > best[1]):
            best = (name, share)
    if best is None:
        return None
    return best[0], best[1], [[round(float(v), 1) for v in point] for point in mapped]
