"""A patch of the photo cloned from elsewhere in it: copy-move detection by block matching.

A clone stamp copies pixels from one place of the photo to another; after the re-save the copy
differs from its source only by the JPEG's rounding, while two honest places that look alike (the
same product twice on a shelf, tiles, text) differ by sensor noise, light and perspective. The
search follows Fridrich, Soukal & Lukáš (2003) and Popescu & Farid (2004):

1. The working copy in grey, halved while its longest side exceeds `MAX_SIDE`, smoothed a little
   (the copy's pixels sit at another phase of the JPEG grid and of any resampling than its source's).
2. Every overlapping `BLOCK` x `BLOCK` block described by its four quadrant means, quantised by
   `FEATURE_STEP` grey levels; flat blocks (spread below `MIN_BLOCK_SPREAD`) are left out, as
   any two flat blocks of one colour match.
3. Blocks with the same quantised features sorted next to each other; each neighbouring pair at
   least `MIN_SHIFT` apart whose pixels differ by at most `MAX_PAIR_DIFFERENCE` grey levels on average
   is a match, and its shift vector is counted.
4. The shift shared by the most matches that is not a period (other shifts along its line matching
   too, as a weave, stitches or tiles do), and how many matches share it: the measure
   (`CloneMatch.pairs`). A cloned patch of side s matches on one shift at up to (s - 7)^2 positions;
   honest look-alikes match here and there, on shifts of their own. The matched positions on that
   shift, joined into connected groups, give the place (`CloneMatch.box`, the largest group).

This module measures; checks/integrity/ decides.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

MAX_SIDE = 768  # longest side of the searched copy: larger working copies are halved
BLOCK = 8  # side of a compared block, pixels of the searched copy
SMOOTH_SIGMA = 0.8
FEATURE_STEP = 4.0  # grey levels: quantisation step of the quadrant means
MIN_BLOCK_SPREAD = 8.0  # grey levels: standard deviation a block needs to be compared at all
MAX_PAIR_DIFFERENCE = 1.0  # grey levels: mean absolute difference of a matched pair's smoothed pixels
# Pixels of the searched copy: a shift at least three blocks long. Shorter ones are the photo's own
# periodic texture (weaves, gratings, the JPEG grid in flat areas), and a patch cloned over its own
# neighbourhood would cover what it copies.
MIN_SHIFT = 3 * BLOCK
PERIOD_SHARE = 4  # a shift is a period when another along its line holds a quarter as many matches
PERIOD_CANDIDATES = 5  # commonest shifts examined for periods


@dataclass(frozen=True)
class CloneMatch:
    pairs: int  # matches on the commonest shift
    shift: tuple[int, int]  # that shift from source to copy, pixels of the searched copy (dx, dy)
    # The largest connected group of matched blocks where the shift leads (which of the two places is
    # the copy cannot be told), shares of the frame (left, top, right, bottom).
    box: tuple[float, float, float, float]
    searched_size: tuple[int, int]

    def as_details(self) -> dict[str, object]:
        return {
            "pairs": self.pairs,
            "shift": list(self.shift),
            "box": [round(v, 3) for v in self.box],
            "searched_size": list(self.searched_size),
        }


def find_clone(working: Image.Image) -> CloneMatch | None:
    """The strongest cloned region of the picture; None when no two blocks match, or when every
    shift they match on is a period of a repeating pattern."""
    grey = np.asarray(working.convert("L"), dtype=np.float32)
    while max(grey.shape) > MAX_SIDE:
        size = (grey.shape[1] // 2, grey.shape[0] // 2)
        grey = np.asarray(cv2.resize(grey, size, interpolation=cv2.INTER_AREA), dtype=np.float32)
    h, w = grey.shape
    if min(h, w) < 4 * BLOCK:
        return None
    smooth = cv2.GaussianBlur(grey, (0, 0), SMOOTH_SIGMA)
    ys, xs, keys = _block_codes(smooth)
    if len(keys) < 2:
        return None
    order = np.argsort(keys, kind="stable")
    same = keys[order[1:]] == keys[order[:-1]]
    first, second = order[:-1][same], order[1:][same]
    dx, dy = xs[second] - xs[first], ys[second] - ys[first]
    apart = np.maximum(np.abs(dx), np.abs(dy)) >= MIN_SHIFT
    first, second, dx, dy = first[apart], second[apart], dx[apart], dy[apart]
    if len(first) == 0:
        return None
    windows = np.lib.stride_tricks.sliding_window_view(smooth, (BLOCK, BLOCK))
    difference = np.abs(windows[ys[first], xs[first]] - windows[ys[second], xs[second]]).mean(axis=(1, 2))
    close = difference <= MAX_PAIR_DIFFERENCE
    first, second, dx, dy = first[close], second[close], dx[close], dy[close]
    if len(first) == 0:
        return None
    flip = (dx < 0) | ((dx == 0) & (dy < 0))  # a shift and its opposite are one
    dx, dy = np.where(flip, -dx, dx), np.where(flip, -dy, dy)
    copies = np.where(flip, first, second)
    shifts, inverse, counts = np.unique(
        np.stack([dx, dy], axis=1), axis=0, return_inverse=True, return_counts=True
    )
    best = _clone_shift(shifts, counts)
    if best is None:
        return None
    chosen = copies[inverse.ravel() == best]
    shift = (int(shifts[best, 0]), int(shifts[best, 1]))
    placed = np.zeros((h, w), np.uint8)
    placed[ys[chosen], xs[chosen]] = 1
    # Quantisation splits a region's matches: positions two pixels apart still belong together.
    joined = cv2.dilate(placed, np.ones((3, 3), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    largest = 1 + int(np.argmax(np.bincount(labels[placed > 0], minlength=count)[1:]))
    x, y, bw, bh, _ = (int(v) for v in stats[largest])
    return CloneMatch(
        len(chosen),
        shift,
        (x / w, y / h, min(1.0, (x + bw + BLOCK) / w), min(1.0, (y + bh + BLOCK) / h)),
        (w, h),
    )


def _clone_shift(shifts: np.ndarray, counts: np.ndarray) -> int | None:
    """The index of the commonest shift that is not a period, or None. A pattern that repeats (a
    weave, a row of stitches, tiles) matches at several multiples of its period, all along one
    direction; a clone matches at its one shift only."""
    lengths = np.hypot(shifts[:, 0], shifts[:, 1])
    for index in np.argsort(-counts)[:PERIOD_CANDIDATES]:
        shift, length = shifts[index], lengths[index]
        across = np.abs(shifts[:, 0] * shift[1] - shifts[:, 1] * shift[0]) / length  # off its line, pixels
        elsewhere = np.abs(shifts - shift).max(axis=1) > 2
        along = (across <= 1.5) & elsewhere & (lengths > 0)
        if not (counts[along] * PERIOD_SHARE >= counts[index]).any():
            return int(index)
    return None


def _block_codes(smooth: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The top-left corners of the blocks that are not flat, and each one's quantised quadrant means
    packed into one integer."""
    h, w = smooth.shape
    half = BLOCK // 2

    def block_mean(values: np.ndarray, side: int) -> np.ndarray:  # of the block starting at each pixel
        return np.asarray(
            cv2.boxFilter(values, -1, (side, side), anchor=(0, 0), borderType=cv2.BORDER_CONSTANT)
        )

    quarter = block_mean(smooth, half)
    mean = block_mean(smooth, BLOCK)
    square = block_mean(smooth * smooth, BLOCK)
    rows, cols = h - BLOCK + 1, w - BLOCK + 1
    spread = np.sqrt(np.maximum(square[:rows, :cols] - mean[:rows, :cols] ** 2, 0.0))
    ys, xs = np.nonzero(spread >= MIN_BLOCK_SPREAD)
    keys = np.zeros(len(ys), np.int64)
    for dy, dx in ((0, 0), (0, half), (half, 0), (half, half)):
        keys = keys * 64 + np.floor(quarter[ys + dy, xs + dx] / FEATURE_STEP).astype(np.int64)
    return ys, xs, keys
