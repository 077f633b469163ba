"""Matching a photo against catalog images: what is measured, never what it means.

`best_match` verifies a photo against catalog images geometrically (ratio test, RANSAC homography;
in the closer look each tilted view apart as well); the functions after it measure how two matches
relate: the inliers on print one catalog image does not share with another (`distinctive_inliers`,
`unshared_inliers`), whether two matches are two objects side by side (`apart`), how the photo's
colours follow a catalog image (`colour_overlap`, `colour_vote`), and where in the frame a matched
product lies and how large (`framing`). `checks/relevance/rules.py`
decides what the numbers mean.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

from evidence_check.catalog.entries import CatalogImage
from evidence_check.catalog.photo import Look, PhotoFeatures
from evidence_check.imaging import colour
from evidence_check.imaging import features as F

# Two matches whose catalog images overlap this little in the photo (intersection over union) are two
# objects, say two cartons side by side: a colour vote between them means nothing.
SAME_OBJECT_OVERLAP = 0.15
# Two matches are two objects side by side when at most this share of either's inliers lies in the
# hull of the other's (the product held in front, another on the shelf behind it).
APART_INSIDE = 0.1
# Catalog images whose RootSIFT floats (4x their stored size, ~0.4 MB) are kept: a claim's own, each
# read again by its closer look and its inliers' comparisons. 64 held 26 MB in every worker and, made
# and dropped among a claim's buffers, kept its heap ~35 MB larger, for one RootSIFT less made a claim
# (0.3 ms; docs/measurements/scale.md).
ROOTS_CACHED = 16
VIEWS_CACHED = 32  # catalog images whose tilted views are kept, as SIFT (~0.7 MB each)


@dataclass(frozen=True)
class ImageMatch:
    image: CatalogImage
    geometry: F.GeometricMatch
    homography_full: np.ndarray | None  # catalog image pixels -> full-resolution photo pixels
    # Which of the image's tilted views matched (`features.COARSE_VIEW`: its coarse copy); None: the
    # upright image.
    view: int | None = None

    @property
    def features(self) -> tuple[np.ndarray, np.ndarray]:
        """Points and RootSIFT of what matched: the upright image or one of its tilted views."""
        if self.view is None:
            return self.image.points, roots(self.image)
        return view_roots(self.image, self.view)

    @property
    def inliers(self) -> int:
        return self.geometry.inliers


@dataclass(frozen=True)
class Framing:
    """Where a matched product's outline (its catalog image's product pixels, projected by the
    homography and clipped to the photo) lies in the photo."""

    share: float  # of the photo's area it covers
    offset: float  # its centre's distance from the photo's centre, in photo widths and heights

    def as_details(self) -> dict[str, float]:
        return {"share": round(self.share, 3), "offset": round(self.offset, 3)}


@dataclass(frozen=True)
class Assessment:
    """The photo measured against the ordered SKU and the rivals the catalog proposed."""

    photo_keypoints: int
    ordered: ImageMatch | None  # best image of the ordered SKU
    other: ImageMatch | None  # best image of any other SKU among the candidates
    rivals: tuple[ImageMatch, ...]  # the best image of each other SKU found, most inliers first
    colour_overlap: float | None  # ordered image vs the matched part of the photo
    other_colour_overlap: float | None  # the same for the best other SKU
    candidates: tuple[tuple[str, float], ...]  # (sku, retrieval score) of the SKUs verified
    # Per rival (same order): where the ordered and the rival's catalog images differ in colour,
    # which one the photo follows (`colour.colour_vote`; lead > 0: the ordered one). None for
    # the rivals the caller's rules give no vote, when either has no homography or no thumbnail,
    # or when the two land on different objects of the photo.
    colour_votes: tuple[colour.ColourVote | None, ...] = ()
    # (sku, word inliers) of the SKUs the visual words proposed, in the order they were ranked again.
    shortlist: tuple[tuple[str, int], ...] = ()
    look: Look = Look.FIRST  # the look it was measured at (the coarse look takes the closer look's rules)
    # In the closer look: the ordered SKU's inliers on print that its brand's verified SKUs do not
    # share, in the upright image or the view that matched, and the best of those SKUs. None: not
    # measured (the first look, nothing found, or no SKU of its brand verified).
    brand_distinct: int | None = None
    brand_sibling: str | None = None
    other_framing: Framing | None = None  # where the best other SKU's product lies in the photo

    def colour_vote(self, rival: ImageMatch) -> colour.ColourVote | None:
        for match, vote in zip(self.rivals, self.colour_votes, strict=False):
            if match is rival:
                return vote
        return None


def best_match(features: PhotoFeatures, images: Sequence[CatalogImage], look: Look = Look.FIRST) -> ImageMatch | None:
    """The image (or, at the closer look, the tilted view) with the most inliers; None: no images.
    At the coarse look each image's coarse copy alone (`features.COARSE_VIEW`), none where it has
    none stored."""
    best: ImageMatch | None = None
    height, width = features.rgb.shape[:2]
    for image in images:
        # Each view apart: a keypoint and its twin in another view would fail each other's ratio test.
        looks: list[tuple[int | None, tuple[np.ndarray, np.ndarray]]] = [(None, (image.points, roots(image)))]
        if look is Look.COARSE:
            looks = [(F.COARSE_VIEW, view_roots(image, F.COARSE_VIEW))]
        elif look is Look.CLOSER:
            looks += [(view, view_roots(image, view)) for view in range(len(F.VIEW_TILTS))]
        for view, (points, root) in looks:
            geometry = F.verify(features.points, features.root, points, root, (image.width, image.height), (width, height))
            if best is None or geometry.inliers > best.inliers:
                full = None
                if geometry.homography is not None:
                    full = np.diag([1 / features.scale, 1 / features.scale, 1.0]) @ geometry.homography
                best = ImageMatch(image, geometry, full, view)
    return best


def distinctive_inliers(match: ImageMatch, rival: ImageMatch) -> int:
    """Inliers of `match` on features its catalog image does not share with `rival`'s.

    Two variants of one design (apple and grapefruit juice of one brand) share logo and layout,
    which match either; what the photo shows of the parts that differ tells them apart. When
    both were fitted to the photo, their homographies map one catalog image onto the other.
    """
    inliers = match.geometry.inlier_keypoints
    if inliers is None or not len(inliers):
        return 0
    to_other = None
    if match.geometry.homography is not None and rival.geometry.homography is not None:
        to_other = np.linalg.inv(rival.geometry.homography) @ match.geometry.homography
    points, root = match.features
    other = rival.image
    # The coarse look compares coarse copies: the upright features are of print it no longer sees.
    other_points, other_roots = rival.features if match.view == rival.view == F.COARSE_VIEW else (other.points, roots(other))
    shared = F.shared_keypoints(
        points[inliers], root[inliers], other_points, other_roots, to_other, (other.width, other.height)
    )
    return int((~shared).sum())


def apart(first: ImageMatch, second: ImageMatch) -> bool:
    """The two matches are two objects in the photo: each one's inliers lie outside the other's.

    Where the inliers lie, not where the whole catalog images land: a carton held in front of the
    fridge and one on the shelf behind it overlap as quadrilaterals while their print does not.
    """
    mine, theirs = _photo_inliers(first), _photo_inliers(second)
    if len(mine) < 3 or len(theirs) < 3:
        return False
    return _share_inside(theirs, mine) <= APART_INSIDE and _share_inside(mine, theirs) <= APART_INSIDE


def _photo_inliers(match: ImageMatch) -> np.ndarray:
    """Where the match's inliers lie in the photo (pixels of the feature copy)."""
    inliers = match.geometry.inlier_keypoints
    if inliers is None or match.geometry.homography is None:
        return np.zeros((0, 2), np.float32)
    points = match.features[0][inliers].reshape(-1, 1, 2).astype(np.float32)
    return cv2.perspectiveTransform(points, match.geometry.homography).reshape(-1, 2)


def _share_inside(points: np.ndarray, hull_of: np.ndarray) -> float:
    hull = cv2.convexHull(hull_of)
    inside = sum(cv2.pointPolygonTest(hull, (float(x), float(y)), False) >= 0 for x, y in points)
    return inside / len(points)


def framing(features: PhotoFeatures, match: ImageMatch | None) -> Framing | None:
    """Where the product of `match` lies in the photo: the bounding box of its catalog image's
    product pixels, projected into the photo and clipped to it; None without a homography."""
    if match is None or match.geometry.homography is None:
        return None
    image = match.image
    rows, cols = np.nonzero(image.mask)
    if not len(rows):
        return None
    sx, sy = image.width / image.mask.shape[1], image.height / image.mask.shape[0]
    left, right = cols.min() * sx, (cols.max() + 1) * sx
    top, bottom = rows.min() * sy, (rows.max() + 1) * sy
    corners = np.array([[left, top], [right, top], [right, bottom], [left, bottom]], np.float32).reshape(-1, 1, 2)
    outline = cv2.perspectiveTransform(corners, match.geometry.homography).reshape(-1, 2)
    height, width = features.rgb.shape[:2]
    frame = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float32)
    area, inside = cv2.intersectConvexConvex(cv2.convexHull(outline).reshape(-1, 2), frame)
    if area <= 0 or inside is None:
        return Framing(0.0, 1.0)
    moments = cv2.moments(inside.reshape(-1, 1, 2))
    cx, cy = (moments["m10"] / moments["m00"], moments["m01"] / moments["m00"]) if moments["m00"] else inside.reshape(-1, 2).mean(0)
    return Framing(float(area / (width * height)), float(np.hypot(cx / width - 0.5, cy / height - 0.5)))


def unshared_inliers(match: ImageMatch, images: Sequence[CatalogImage]) -> int:
    """Inliers of `match` on features none of `images` has, upright or in the view that matched.

    Packs of one brand share its logo, and a tilted view matches a logo seen at a slant as well on
    any of them. The same view of each is compared as well: a slanted logo is alike in the same
    view of every pack.
    """
    inliers = match.geometry.inlier_keypoints
    if inliers is None or not len(inliers):
        return 0
    points, root = match.features
    shared = np.zeros(len(inliers), bool)
    for image in images:
        looks = [(image.points, roots(image))]
        if match.view is not None:
            looks.append(view_roots(image, match.view))
        for other_points, other_roots in looks:
            shared |= F.shared_keypoints(
                points[inliers], root[inliers], other_points, other_roots, None, (image.width, image.height)
            )
    return int((~shared).sum())


@lru_cache(maxsize=ROOTS_CACHED)
def roots(image: CatalogImage) -> np.ndarray:
    """RootSIFT of a catalog image: the ordered SKU and its rivals recur from claim to claim."""
    return F.rootsift(image.descriptors)


@lru_cache(maxsize=VIEWS_CACHED)
def views(image: CatalogImage) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """Points and SIFT descriptors of each tilted view of a catalog image, then of its coarse copy
    (`features.COARSE_VIEW`: empty for images added before it was stored); none when it has no views
    stored. Kept as SIFT: as RootSIFT floats (4x the bytes) the cache took ~80 MB of each worker,
    and making them again at each use (`view_roots`) costs ~0.2 ms a view."""
    blob = image.read_views() if image.read_views is not None else None
    if blob is None:
        return ()
    data = F.unpack(blob)
    return tuple(
        (data["points"][data["view"] == index], data["descriptors"][data["view"] == index])
        for index in range(F.COARSE_VIEW + 1)
    )


def view_roots(image: CatalogImage, view: int) -> tuple[np.ndarray, np.ndarray]:
    """Points and RootSIFT of one view of a catalog image; none where it has no such view stored."""
    found = views(image)
    if view >= len(found):
        return np.zeros((0, 2), np.float32), np.zeros((0, 128), np.float32)
    points, descriptors = found[view]
    return points, F.rootsift(descriptors)


def colour_overlap(features: PhotoFeatures, match: ImageMatch | None) -> float | None:
    """Colour of the catalog product vs the photo's pixels where the homography puts it."""
    if match is None or match.geometry.homography is None:
        return None
    image = match.image
    mask = image.mask
    height, width = features.colour_rgb.shape[:2]
    shrink = width / features.rgb.shape[1]
    to_mask = np.diag([mask.shape[1] / image.width, mask.shape[0] / image.height, 1.0])
    from_mask = np.diag([shrink, shrink, 1.0]) @ match.geometry.homography @ np.linalg.inv(to_mask)
    warped = cv2.warpPerspective(mask, from_mask, (width, height), flags=cv2.INTER_NEAREST)
    if warped.sum() < 50:
        return None
    return colour.histogram_overlap(image.colour, colour.colour_histogram(features.colour_rgb, warped))


def colour_vote(features: PhotoFeatures, ordered: ImageMatch | None, rival: ImageMatch) -> colour.ColourVote | None:
    """Where the ordered and the rival's catalog images differ in colour, which the photo follows."""
    if ordered is None or ordered.geometry.homography is None or rival.geometry.homography is None:
        return None
    mine, theirs = ordered.image, rival.image
    if mine.thumb is None or theirs.thumb is None or _overlap(ordered, rival) < SAME_OBJECT_OVERLAP:
        return None  # two objects in the photo (two cartons side by side): colours do not choose
    to_photo = ordered.geometry.homography @ mine.from_thumb
    to_theirs = np.linalg.inv(theirs.from_thumb) @ np.linalg.inv(rival.geometry.homography) @ to_photo
    return colour.colour_vote(
        features.lab, mine.thumb, mine.thumb_mask, to_photo, theirs.thumb, theirs.thumb_mask, to_theirs
    )


def _overlap(first: ImageMatch, second: ImageMatch) -> float:
    """Intersection over union of where two homographies put their catalog images in the photo."""
    quads = []
    for match in (first, second):
        width, height = match.image.width, match.image.height
        corners = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float32).reshape(-1, 1, 2)
        assert match.geometry.homography is not None
        quads.append(cv2.perspectiveTransform(corners, match.geometry.homography).reshape(-1, 2))
    common, _ = cv2.intersectConvexConvex(quads[0], quads[1])
    union = cv2.contourArea(quads[0]) + cv2.contourArea(quads[1]) - common
    return float(common / union) if union > 0 else 0.0
