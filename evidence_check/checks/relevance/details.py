"""The numbers a relevance finding carries in its details, from the photo's assessment."""

from __future__ import annotations

from typing import Any

from evidence_check.catalog.entries import CatalogSku
from evidence_check.catalog.matching import Assessment, ImageMatch, distinctive_inliers
from evidence_check.catalog.photo import Look
from evidence_check.imaging import features as F


def counts(found: Assessment) -> dict[str, Any]:
    return {
        "inliers": found.ordered.inliers if found.ordered else 0,
        "other_inliers": found.other.inliers if found.other else 0,
    }


def details_of(found: Assessment, entry: CatalogSku, rival: CatalogSku | None) -> dict[str, Any]:
    return {
        "sku": entry.sku,
        "name": entry.name,
        "photo_keypoints": found.photo_keypoints,
        "closer_look": found.look is not Look.FIRST,  # the coarse look takes the closer look's rules
        "coarse_look": found.look is Look.COARSE,
        "ordered": _match(found.ordered),
        "other_sku": rival.sku if rival else None,
        "other_name": rival.name if rival else None,
        "other": _match(found.other),
        "other_framing": found.other_framing.as_details() if found.other_framing else None,
        "distinctive_inliers": _distinctive(found),
        "brand_distinct_inliers": found.brand_distinct,
        "colour_overlap": None if found.colour_overlap is None else round(found.colour_overlap, 3),
        "other_colour_overlap": None if found.other_colour_overlap is None else round(found.other_colour_overlap, 3),
        "candidates": [{"sku": sku, "score": round(score, 4)} for sku, score in found.candidates],
        "shortlist": [{"sku": sku, "word_inliers": inliers} for sku, inliers in found.shortlist],
        "rivals": [
            {
                "sku": match.image.sku,
                "inliers": match.inliers,
                "colour_lead": None if vote is None else round(vote.lead, 3),
                "colour_cells": None if vote is None else vote.differing,
            }
            for match, vote in zip(found.rivals, found.colour_votes, strict=False)
        ],
    }


def _distinctive(found: Assessment) -> dict[str, int] | None:
    """Inliers of the ordered SKU and of the best other on what their catalog images do not share."""
    if found.ordered is None or found.other is None or not found.ordered.inliers:
        return None
    return {
        "ordered": distinctive_inliers(found.ordered, found.other),
        "other": distinctive_inliers(found.other, found.ordered),
    }


def _view(index: int) -> dict[str, float]:
    """A tilted catalog view: squeezed `tilt` times across, at `angle` degrees; or the coarse copy."""
    if index == F.COARSE_VIEW:
        return {"blur": F.COARSE_BLUR}
    tilt, angle = F.VIEW_TILTS[index]
    return {"tilt": round(tilt, 2), "angle": angle}


def _match(match: ImageMatch | None) -> dict[str, Any] | None:
    if match is None:
        return None
    homography = match.homography_full
    return {
        "inliers": match.inliers,
        "catalog_view": None if match.view is None else _view(match.view),
        "matches": match.geometry.matches,
        "inlier_ratio": round(match.geometry.inlier_ratio, 3),
        "catalog_image": match.image.image_id,
        "catalog_filename": match.image.filename,
        "homography": None if homography is None else [[round(float(v), 6) for v in row] for row in homography],
    }
