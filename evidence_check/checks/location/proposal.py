"""The region of a photo that differs most from the catalog image it aligns with: a suggestion
for the agent of where the damage is, never a verdict.

The photo's feature copy is warped into the frame of the catalog image's detail copy, reduced to
`COMPARE_SIDE` (the relevance look's homography, `catalog.matching.ImageMatch`), and both are
compared there, on the product only (`geometry.product_mask`, shrunk a little: edges never align
exactly), both smoothed alike (a phone photo is softer than a shop image):
- light and colour are normalised first — brightness as the ratio to its own smooth version
  (shading and soft shadows leave it), colour as the shift of each channel's median;
- each photo pixel is compared with the catalog pixels around it (`TOLERANCE`), so a homography a
  pixel off does not paint the print's edges as differences;
- glare is discounted: a difference that a mix of the catalog colour with white explains counts
  only as far as that mix misses (`_off_glare`), and blown-out pixels do not count;
- the difference map is standardised by its own median and spread over the product, so a photo
  whose whole surface differs a little (blur, JPEG, a phone's sharpening) proposes nothing.
The blob with the most standardised difference is proposed (cores of `BLOB_Z`, grown over `GROW_Z`);
its `strength` (mean standardised difference of the core) says how sure: `CONFIDENT_STRENGTH`
and above is a high-confidence proposal.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from evidence_check.catalog.matching import ImageMatch
from evidence_check.catalog.photo import PhotoFeatures
from evidence_check.checks.location.geometry import bounding_box, box_corners, product_mask, project
from evidence_check.imaging import colour
from evidence_check.imaging import features as F

COMPARE_SIDE = 192  # the two are compared at most this size: finer finds no more, and costs more
BLUR_SIGMA = 1.5  # both are smoothed alike, so a blurred phone photo and a sharp shop image agree
SPREAD_FLOOR = 3.0  # the least spread of differences a photo is standardised by
TOLERANCE = 1  # catalog pixels around each photo pixel it may match (misalignment)
EDGE_SHRINK = 3  # pixels of the product mask's edge left out
LIGHT_SIGMA = 0.15  # of the detail copy's longest side: the scale of shading removed
GLARE_L = 245  # Lab lightness (8-bit scale) at or above which a photo pixel is glare
GLARE_WEIGHT = 1.0  # a difference a mix with white explains counts as that mix's residual
COLOUR_WEIGHT = 1.0  # a Lab colour unit against a lightness-ratio unit of `LIGHTNESS_UNIT`
LIGHTNESS_UNIT = 0.01
BLOB_Z = 3.0  # standardised difference that marks a pixel as the core of a blob
GROW_Z = 2.0  # a blob spreads over its neighbours this different
MIN_BLOB = 8  # compared pixels: smaller blobs are noise
CONFIDENT_STRENGTH = 12.0  # above every undamaged photo's strength, by product split (docs/measurements/location.md)
MIN_PRODUCT = 300  # product pixels compared seen in the photo needed to compare


@dataclass(frozen=True)
class Proposal:
    box: list[int]  # [x, y, w, h] in full-resolution photo pixels
    strength: float  # mean standardised difference of the blob
    confidence: float  # in [0, 1]: strength scaled so that CONFIDENT_STRENGTH is 0.5

    @property
    def confident(self) -> bool:
        return self.strength >= CONFIDENT_STRENGTH


def propose(features: PhotoFeatures, match: ImageMatch, photo_size: tuple[int, int]) -> Proposal | None:
    """The region that differs most, or None: no detail copy kept, too little of the product seen,
    or nothing stands out."""
    if match.homography_full is None or match.image.detail is None:
        return None
    catalog = colour.detail_rgb(match.image.detail)
    if catalog is None:
        return None
    catalog = F.fit_within(catalog, COMPARE_SIDE)
    height, width = catalog.shape[:2]
    detail_scale = width / match.image.width  # compared pixels per catalog pixel
    to_catalog = np.diag([1 / detail_scale, 1 / detail_scale, 1.0])
    detail_to_copy = np.diag([features.scale, features.scale, 1.0]) @ match.homography_full @ to_catalog
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    seen = cv2.warpPerspective(features.rgb, detail_to_copy, (width, height), flags=flags, borderMode=cv2.BORDER_REFLECT)
    inside = cv2.warpPerspective(np.full(features.rgb.shape[:2], 255, np.uint8), detail_to_copy, (width, height), flags=flags)
    mask = product_mask(match.image, (width, height)) & (inside == 255)
    mask = cv2.erode(mask.astype(np.uint8), np.ones((2 * EDGE_SHRINK + 1,) * 2, np.uint8)).astype(bool)
    if mask.sum() < MIN_PRODUCT:
        return None
    difference = _difference(seen, catalog, mask)
    found = _strongest_blob(difference, mask)
    if found is None:
        return None
    (x, y, w, h), strength = found
    corners = project(box_corners(x, y, w, h), match.homography_full @ to_catalog)
    box = bounding_box(corners, *photo_size)
    if box is None:
        return None
    return Proposal(box, round(strength, 2), round(min(1.0, strength / (2 * CONFIDENT_STRENGTH)), 3))


def _difference(seen: np.ndarray, catalog: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Per pixel: how far the photo is from the nearest catalog colour around it, light removed."""
    photo_lab = cv2.cvtColor(cv2.GaussianBlur(seen, (0, 0), BLUR_SIGMA), cv2.COLOR_RGB2LAB).astype(np.float32)
    shop_lab = cv2.cvtColor(cv2.GaussianBlur(catalog, (0, 0), BLUR_SIGMA), cv2.COLOR_RGB2LAB).astype(np.float32)
    weight = mask.astype(np.float32)
    smooth_weight = _smooth(weight) + 1e-3

    def relative(lightness: np.ndarray) -> np.ndarray:
        smooth = _smooth(lightness * weight) / smooth_weight
        return lightness / (smooth + 8.0)

    photo_l, shop_l = relative(photo_lab[..., 0]), relative(shop_lab[..., 0])
    chroma_shift = np.median(photo_lab[..., 1:][mask], axis=0) - np.median(shop_lab[..., 1:][mask], axis=0)
    photo_ab = photo_lab[..., 1:] - chroma_shift
    kernel = np.ones((2 * TOLERANCE + 1,) * 2, np.uint8)
    # Distance to the interval [min, max] of the catalog around each pixel, per channel.
    channels = [(photo_l, shop_l, 1 / LIGHTNESS_UNIT)] + [
        (photo_ab[..., i], shop_lab[..., 1 + i], COLOUR_WEIGHT) for i in range(2)
    ]
    total = np.zeros(mask.shape, np.float32)
    for photo_channel, shop_channel, factor in channels:
        low, high = cv2.erode(shop_channel, kernel), cv2.dilate(shop_channel, kernel)
        gap = np.maximum(low - photo_channel, 0) + np.maximum(photo_channel - high, 0)
        total += (gap * factor) ** 2
    total = np.sqrt(total)
    total[photo_lab[..., 0] >= GLARE_L] = 0
    return np.minimum(total, GLARE_WEIGHT * _off_glare(seen, catalog, mask))


def _smooth(image: np.ndarray) -> np.ndarray:
    """A Gaussian blur of LIGHT_SIGMA of the picture's longest side, made on a copy an eighth the
    size (the same picture of the light at a sixtieth of the cost)."""
    height, width = image.shape[:2]
    small = cv2.resize(image, (max(1, width // 8), max(1, height // 8)), interpolation=cv2.INTER_AREA)
    blurred = cv2.GaussianBlur(small, (0, 0), LIGHT_SIGMA * max(small.shape[:2]))
    return cv2.resize(blurred, (width, height), interpolation=cv2.INTER_LINEAR)


def _off_glare(seen: np.ndarray, catalog: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """How far each photo pixel is from any mix of its catalog colour with white (RGB units).

    Glare adds white light: a glared pixel lies on the line from the catalog colour to white,
    whatever the print under it; a stain, a tear or a scratch leaves it. Infinite where the
    photo is darker than the catalog (glare only brightens)."""
    photo = cv2.GaussianBlur(seen, (0, 0), BLUR_SIGMA).astype(np.float32)
    shop = cv2.GaussianBlur(catalog, (0, 0), BLUR_SIGMA).astype(np.float32)
    photo *= np.median(shop[mask], axis=0) / np.maximum(np.median(photo[mask], axis=0), 1.0)
    towards = 255.0 - shop
    lift = (photo - shop) * towards
    amount = lift.sum(axis=2) / np.maximum((towards**2).sum(axis=2), 1.0)
    residual = np.linalg.norm(photo - shop - np.clip(amount, 0, 1)[..., None] * towards, axis=2)
    return np.where(amount > 0, residual, np.inf).astype(np.float32)


def _strongest_blob(difference: np.ndarray, mask: np.ndarray) -> tuple[tuple[int, int, int, int], float] | None:
    """The blob with the most standardised difference: pixels of at least GROW_Z, joined across
    gaps of a pixel or two, holding at least MIN_BLOB pixels of BLOB_Z; its box and the mean of those."""
    values = difference[mask]
    median = float(np.median(values))
    spread = max(1.4826 * float(np.median(np.abs(values - median))), SPREAD_FLOOR)
    z = np.where(mask, (difference - median) / spread, 0)
    grown = cv2.morphologyEx((z >= GROW_Z).astype(np.uint8), cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(grown, connectivity=8)
    best: tuple[tuple[int, int, int, int], float, float] | None = None
    for label in range(1, count):
        x, y, w, h, _ = (int(v) for v in stats[label])
        blob = z[y : y + h, x : x + w][labels[y : y + h, x : x + w] == label]
        core = blob[blob >= BLOB_Z]
        if core.size < MIN_BLOB:
            continue
        mass = float(core.sum())
        if best is None or mass > best[2]:
            best = ((x, y, w, h), float(core.mean()), mass)
    return None if best is None else (best[0], best[1])
