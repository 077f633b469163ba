"""The pictures a report's photos were matched with, read from the checks' details: the one home
of which image a report shows beside a photo.

- relevance: the catalog image of the ordered SKU the photo was compared with, the best matching
  one (``ordered.catalog_image``), and that of another SKU the photo looked like
  (``other.catalog_image``, with inliers);
- reuse: each earlier picture the photo was found in (``matches[].image_id``, ``earlier``): another
  claim's photo, the shop's listing image, a stock or review photo.

An earlier claim's photo is shown from its kept file; the others from the thumbnail stored when
the catalog image or reference was added (`store.thumbnails`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

SHOWN_PER_CHECK = 3
_LABELS = ("claim_id", "sku", "reference_id")
# Under a relevance picture, in the console and the printable report (en, zh): its check's title
# ("Is it the ordered item: ARLA-MILK") read as if the photo were that other product.
_ROLE_CAPTIONS = {
    "ordered": ("Compared with the ordered product", "比对的订购商品"),
    "other": ("Compared with another product", "比对的其他商品"),
}


@dataclass(frozen=True)
class Matched:
    image_id: str
    kind: str  # catalog | claim | listing | stock | review
    label: str  # the SKU, the earlier claim or the reference id
    # relevance: "ordered" (the ordered SKU's image, shown even unmatched) or "other" (another SKU's)
    role: str = ""

    def caption(self, lang: str) -> str | None:
        """What the picture was to the look, when its check's title is not the caption (None)."""
        found = _ROLE_CAPTIONS.get(self.role)
        return None if found is None else found[1 if lang == "zh" else 0]


@dataclass(frozen=True)
class Wanted:
    claims: list[str]  # image ids of earlier claims' photos
    stored: list[str]  # image ids of catalog images and reference photos


def matched_in(check: str, details: Mapping[str, Any]) -> list[Matched]:
    """The pictures one check's details name, at most SHOWN_PER_CHECK."""
    found: list[Matched] = []
    if check == "relevance":
        for key, sku_key in (("ordered", "sku"), ("other", "other_sku")):
            match = details.get(key)
            # The ordered SKU's image is what the photo was compared with, shown even unmatched;
            # another SKU's only when the photo looked like it.
            if isinstance(match, Mapping) and match.get("catalog_image") and (key == "ordered" or match.get("inliers")):
                label = details.get(sku_key) or match.get("catalog_filename") or ""
                found.append(Matched(str(match["catalog_image"]), "catalog", str(label), key))
    elif check == "reuse":
        matches = details.get("matches")
        for match in matches if isinstance(matches, list) else []:
            if isinstance(match, Mapping) and match.get("earlier") and match.get("image_id"):
                label = next((match[k] for k in _LABELS if match.get(k)), match["image_id"])
                found.append(Matched(str(match["image_id"]), str(match.get("kind")), str(label)))
    return found[:SHOWN_PER_CHECK]


def matched_images(body: Mapping[str, Any]) -> Wanted:
    """Every picture a report's photos were matched with, as the store keeps them."""
    claims: dict[str, None] = {}
    stored: dict[str, None] = {}
    for image in body.get("images") or []:
        for check, finding in (image.get("checks") or {}).items():
            for match in matched_in(check, (finding or {}).get("details") or {}):
                (claims if match.kind == "claim" else stored)[match.image_id] = None
    return Wanted(list(claims)[:24], list(stored)[:24])
