"""Where a region of the photo lies on the product: projections through the relevance look's
homography, the product's outline on the catalog image, and the zones a region overlaps.

Everything is measured on a raster of the catalog image `GRID_SIDE` pixels on its longest side:
the product mask (its non-background pixels, `catalog.entries.CatalogImage.mask`, joined with the
zones, which lie on the product by definition), the region mapped back from the photo and each
zone. Measurements only: the look's statuses are decided in `checks/location/__init__.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from evidence_check.catalog.entries import CatalogImage
from evidence_check.catalog.zones import Zone
from evidence_check.imaging import colour

GRID_SIDE = 256
OUTLINE_POINTS = 32  # the product outline is simplified to about this many corners


@dataclass(frozen=True)
class Placement:
    on_share: float  # share of the region's area (mapped into the catalog image) on the product
    place: str  # "upper_left" ... "lower_right", "centre": where on the product its centre lies
    from_left: int  # per cent of the product's width from its left edge to the region's centre
    from_top: int
    zone: Zone | None  # the zone the region overlaps most, when it overlaps one enough
    zone_share: float
    corners: list[list[float]]  # the region mapped into the catalog image, its pixels


class ProductShape:
    """A catalog image's product: its mask and zones on the grid, and the maps to and from it."""

    def __init__(self, image: CatalogImage, zones: Sequence[Zone]) -> None:
        self.image = image
        self.zones = tuple(zones)
        self.scale = GRID_SIDE / max(image.width, image.height)  # grid pixels per catalog pixel
        self.size = (max(1, round(image.width * self.scale)), max(1, round(image.height * self.scale)))
        mask = product_mask(image, self.size).astype(np.uint8)
        for zone in self.zones:
            cv2.fillPoly(mask, [self._grid(zone.polygon)], 1)
        self.mask = mask.astype(bool)

    def _grid(self, points: Sequence[Sequence[float]] | np.ndarray) -> np.ndarray:
        return np.round(np.asarray(points, np.float64) * self.scale).astype(np.int32).reshape(-1, 1, 2)

    def outline(self) -> list[list[float]]:
        """The product's outline (its largest connected part), in catalog image pixels."""
        contours, _ = cv2.findContours(self.mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        if not contours:
            return []
        largest = max(contours, key=cv2.contourArea)
        tolerance = 0.005 * cv2.arcLength(largest, True)
        simple = cv2.approxPolyDP(largest, tolerance, True)
        while len(simple) > OUTLINE_POINTS:
            tolerance *= 1.5
            simple = cv2.approxPolyDP(largest, tolerance, True)
        return (simple.reshape(-1, 2) / self.scale).round(1).tolist()

    def place(self, mapped: np.ndarray) -> Placement | None:
        """Where the region (its four corners mapped into catalog pixels) lies on the product;
        None when the mapping folds it (a region the homography cannot carry)."""
        corners = mapped.astype(np.float32)
        if not np.all(np.isfinite(corners)) or not cv2.isContourConvex(corners.reshape(-1, 1, 2)):
            return None
        area = cv2.contourArea(corners) * self.scale**2
        if area <= 0:
            return None
        region = np.zeros(self.mask.shape, np.uint8)
        cv2.fillConvexPoly(region, self._grid(corners), 1)
        inside = region.astype(bool)
        drawn = max(float(inside.sum()), 1.0)
        # The region's area beyond the catalog image counts as off the product.
        on_share = min(1.0, float((inside & self.mask).sum()) / max(area, drawn))
        ys, xs = np.nonzero(self.mask)
        centre = corners.mean(axis=0) * self.scale
        left, right, top, bottom = xs.min(), xs.max() + 1, ys.min(), ys.max() + 1
        fx = float(np.clip((centre[0] - left) / max(right - left, 1), 0, 1))
        fy = float(np.clip((centre[1] - top) / max(bottom - top, 1), 0, 1))
        zone, zone_share = None, 0.0
        for candidate in self.zones:
            drawn_zone = np.zeros(self.mask.shape, np.uint8)
            cv2.fillPoly(drawn_zone, [self._grid(candidate.polygon)], 1)
            share = float((inside & drawn_zone.astype(bool)).sum()) / drawn
            if share > zone_share:
                zone, zone_share = candidate, share
        return Placement(
            on_share=on_share,
            place=_place(fx, fy),
            from_left=round(fx * 100),
            from_top=round(fy * 100),
            zone=zone,
            zone_share=zone_share,
            corners=corners.round(1).tolist(),
        )


def product_mask(image: CatalogImage, size: tuple[int, int]) -> np.ndarray:
    """The product's pixels on the catalog image at `size` (width, height): the hull of its
    non-background mask (`colour.product_hull`)."""
    return colour.product_hull(cv2.resize(image.mask.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST))


def box_corners(x: float, y: float, w: float, h: float) -> np.ndarray:
    return np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]], np.float64)


def project(points: Sequence[Sequence[float]] | np.ndarray, homography: np.ndarray) -> np.ndarray:
    """Points (N x 2) through a homography."""
    array = np.asarray(points, np.float64).reshape(-1, 1, 2)
    if array.size == 0:
        return np.zeros((0, 2))
    return cv2.perspectiveTransform(array, homography).reshape(-1, 2)


def bounding_box(points: np.ndarray, width: int, height: int) -> list[int] | None:
    """The [x, y, w, h] around the points, clipped to a width x height picture; None if empty."""
    if len(points) == 0 or not np.all(np.isfinite(points)):
        return None
    x0, y0 = np.clip(points.min(axis=0), 0, [width, height])
    x1, y1 = np.clip(points.max(axis=0), 0, [width, height])
    if x1 - x0 < 1 or y1 - y0 < 1:
        return None
    return [int(x0), int(y0), int(round(x1 - x0)), int(round(y1 - y0))]


def _place(fx: float, fy: float) -> str:
    row = "upper" if fy < 1 / 3 else "lower" if fy > 2 / 3 else "middle"
    column = "left" if fx < 1 / 3 else "right" if fx > 2 / 3 else "centre"
    if row == "middle" and column == "centre":
        return "centre"
    return f"{row}_{column}"
