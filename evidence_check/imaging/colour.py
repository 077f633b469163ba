"""Colour for product matching: what colours a catalog image has, and where, against a photo.

A colour histogram tells a black item from a white one whatever its print; the Lab thumbnail and the
colour vote tell two variants of one design apart by the colours where they differ (the fruit, the
cap, the flavour band). Measurements only: `checks/relevance/rules.py` decides what they mean.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

HUE_BINS = 12
SAT_BINS = 3
GREY_BINS = 4  # achromatic pixels by brightness: black, dark grey, light grey, white
GREY_SATURATION = 40  # below this saturation (of 255) a pixel counts as achromatic
# Colour by place: a catalog image is also kept as a Lab thumbnail this size (3.6 kB). Two variants
# of one design are compared cell by cell where their thumbnails differ by at least COLOUR_DIFFERS
# (Lab units of OpenCV's 8-bit scale); a cell votes for the one whose colour the photo is nearer,
# by a margin of COLOUR_MARGIN of their difference.
THUMB_SIDE = 40
COLOUR_DIFFERS = 30.0
COLOUR_MARGIN = 0.25
COLOUR_NEAR = 0.5  # and only where the photo is this near (of their difference) to one of them
PHOTO_BLUR_SIGMA = 1.5  # the photo's pixels averaged over about a thumbnail cell
# The location look compares a photo with its catalog image at this size, kept JPEG-encoded (~10 kB).
DETAIL_SIDE = 256
DETAIL_QUALITY = 90
SPECK = 0.02  # parts of a product mask smaller than this share of its largest part are specks, not product


def colour_histogram(rgb: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """Hue x saturation bins for coloured pixels plus brightness bins for grey ones, summing to 1.

    Coarse on purpose: lighting in a phone photo shifts colours a little, but a black carton never
    lands in the bins of a white one, nor a red one in those of a green one.
    """
    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)
    hue, sat, val = (hsv[..., i].astype(np.int32) for i in range(3))
    chosen = np.ones(hue.shape, bool) if mask is None else mask.astype(bool)
    grey = sat < GREY_SATURATION
    colour_bin = (hue * HUE_BINS // 180) * SAT_BINS + np.minimum(
        (sat - GREY_SATURATION) * SAT_BINS // (256 - GREY_SATURATION), SAT_BINS - 1
    )
    grey_bin = HUE_BINS * SAT_BINS + np.minimum(val * GREY_BINS // 256, GREY_BINS - 1)
    bins = np.where(grey, grey_bin, colour_bin)[chosen]
    counts = np.bincount(bins.ravel(), minlength=HUE_BINS * SAT_BINS + GREY_BINS).astype(np.float32)
    total = counts.sum()
    return counts / total if total else counts


def histogram_overlap(a: np.ndarray, b: np.ndarray) -> float:
    """Histogram intersection in [0, 1]: the share of colour the two have in common."""
    return float(np.minimum(a, b).sum())


def lab_thumbnail(rgb: np.ndarray) -> np.ndarray:
    """A small Lab copy (uint8, OpenCV's scale) of a catalog image: its colours by place."""
    height, width = rgb.shape[:2]
    ratio = THUMB_SIDE / max(height, width)
    size = (max(1, round(width * ratio)), max(1, round(height * ratio)))
    return cv2.cvtColor(cv2.resize(rgb, size, interpolation=cv2.INTER_AREA), cv2.COLOR_RGB2LAB)


def detail_jpeg(rgb: np.ndarray) -> np.ndarray:
    """The catalog image reduced to DETAIL_SIDE and JPEG-encoded (bytes as a uint8 array)."""
    height, width = rgb.shape[:2]
    ratio = min(1.0, DETAIL_SIDE / max(height, width))
    size = (max(1, round(width * ratio)), max(1, round(height * ratio)))
    small = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
    ok, data = cv2.imencode(".jpg", cv2.cvtColor(small, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, DETAIL_QUALITY])
    return data.reshape(-1) if ok else np.zeros(0, np.uint8)


def detail_rgb(data: np.ndarray) -> np.ndarray | None:
    """The catalog image `detail_jpeg` kept, as RGB; None when it cannot be read."""
    if data.size == 0:
        return None
    image = cv2.imdecode(data, cv2.IMREAD_COLOR)
    return None if image is None else cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def photo_lab(rgb: np.ndarray) -> np.ndarray:
    """The photo in Lab (float32, OpenCV's 8-bit scale), smoothed to the scale of a thumbnail cell."""
    smooth = cv2.GaussianBlur(rgb, (0, 0), PHOTO_BLUR_SIGMA)
    return cv2.cvtColor(smooth, cv2.COLOR_RGB2LAB).astype(np.float32)


@dataclass(frozen=True)
class ColourVote:
    lead: float  # (cells for the first - cells for the second) / cells where the two differ
    differing: int  # thumbnail cells of the first where the two catalog images differ in colour


def colour_vote(
    photo: np.ndarray,
    first: np.ndarray,
    first_mask: np.ndarray,
    first_to_photo: np.ndarray,
    second: np.ndarray,
    second_mask: np.ndarray,
    first_to_second: np.ndarray,
) -> ColourVote:
    """Which of two catalog images the photo's colours follow, where the two differ.

    `first`/`second` are Lab thumbnails with their product masks (same size as each), `photo` comes
    from `photo_lab`; `first_to_photo` maps first-thumbnail pixels into the photo and
    `first_to_second` into the second thumbnail (both homographies fitted to one object). Only cells
    where the two designs differ vote (the fruit, the cap, the flavour band); the photo's overall
    colour cast is removed first (shift of each channel's median), so shop lighting does not vote.
    """
    height, width = first.shape[:2]
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    seen = cv2.warpPerspective(photo, first_to_photo, (width, height), flags=flags)
    inside = cv2.warpPerspective(np.ones(photo.shape[:2], np.uint8), first_to_photo, (width, height), flags=flags)
    rival = cv2.warpPerspective(second.astype(np.float32), first_to_second, (width, height), flags=flags)
    rival_mask = cv2.warpPerspective(second_mask.astype(np.uint8), first_to_second, (width, height), flags=flags)
    valid = first_mask.astype(bool) & (inside > 0) & (rival_mask > 0)
    if valid.sum() < 8:
        return ColourVote(0.0, 0)
    own = first.astype(np.float32)
    reference = (own[valid] + rival[valid]) / 2
    seen = seen - np.median(seen[valid], axis=0) + np.median(reference, axis=0)
    apart = np.linalg.norm(own - rival, axis=2)
    differing = valid & (apart >= COLOUR_DIFFERS)
    to_own = np.linalg.norm(seen - own, axis=2)
    to_rival = np.linalg.norm(seen - rival, axis=2)
    margin = COLOUR_MARGIN * apart
    # A cell the photo shows in neither colour (a hand, glare, a shelf edge) does not vote.
    differing &= np.minimum(to_own, to_rival) < COLOUR_NEAR * apart
    mine = int((differing & (to_own + margin < to_rival)).sum())
    theirs = int((differing & (to_rival + margin < to_own)).sum())
    count = int(differing.sum())
    return ColourVote((mine - theirs) / count if count else 0.0, count)


def product_mask(rgb: np.ndarray) -> np.ndarray:
    """Pixels that differ from the image's border colour: the product on a plain shop background."""
    border = np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]]).astype(np.int32)
    background = np.median(border, axis=0)
    distance = np.abs(rgb.astype(np.int32) - background).max(axis=2)
    mask = (distance > 24).astype(np.uint8)
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    if mask.sum() < 0.02 * mask.size:  # no plain background: the whole picture is the product
        mask[:] = 1
    return mask.astype(bool)


def product_hull(mask: np.ndarray) -> np.ndarray:
    """The product's outline filled: the convex hull of a non-background mask (uint8), specks left
    out. A white carton on a white shop background leaves only its print in the mask; the hull gives
    the carton back, and a region inside it is never called off the product."""
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    largest = max((cv2.contourArea(c) for c in contours), default=0.0)
    kept = [c for c in contours if cv2.contourArea(c) >= SPECK * largest]
    filled = np.zeros(mask.shape[:2], np.uint8)
    if kept:
        cv2.fillConvexPoly(filled, cv2.convexHull(np.concatenate(kept)), 1)
    return filled.astype(bool)


def outline_share(mask: np.ndarray) -> float:
    """The share of the image its product outline (`product_hull`) covers: near 1 when the image has
    no plain background, and a region anywhere on it lies on the "product"."""
    return float(product_hull(mask).mean()) if mask.size else 1.0
