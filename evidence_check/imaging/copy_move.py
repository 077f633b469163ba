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
   is a match, and its shift vector is counted. At most `MAX_CANDIDATES` pairs are compared, so
   that a pattern repeated over the whole frame costs a bounded time.
4. The shift shared by the most matches that is not a period — other shifts along its line matching
   too, as a weave, stitches or tiles do, or the likeness going on one shift further both ways, as
   a print does — and how many matches share it: the measure (`CloneMatch.pairs`). A cloned patch
   of side s matches on one shift at up to (s - 7)^2 positions; honest look-alikes match here and
   there, on shifts of their own. The matched positions on that shift, joined into connected
   groups, give the place (`CloneMatch.box`, the largest group).

This module measures; checks/integrity/ decides.
"""

from __future__ import annotations

from collections.abc import Callable
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
# A print (a monogram canvas, a check, stripes) repeats its motif pixel for pixel, so where two
# places match one shift apart the place a shift further matches too; a clone stamp copies once.
# Only neighbours in the sorted codes are paired, so a print's multiples of its period seldom are,
# and the rule above misses it: a shift is a period too when, of its matched pairs, more than this
# share have the likeness going on both one shift past the copy and one before the source
# (`likeness_going_on`). The middle of the widest gap between the clones caught in the fit half —
# half the corpora's camera photos' (0 % each) and drawn patches stamped two or three times in a
# row (up to 49 %: the middle pair of three stamps goes on both ways) — and the drawn monogram,
# gingham and stripe prints photographed that warned without it (0 % twice, draped; then 82-100 %).
# Held out, knit, floral and tile prints, the other photos' clones and stamps: 13 warnings of 54
# prints fall to 3, every clone caught stays so, 77 of 118 (docs/measurements/integrity.md,
# 2026-12-07, both sections).
MAX_GOING_ON = 0.66
# Grey levels, mean absolute difference once the blocks' mean difference is taken out: over two
# shifts a print's light drifts (a lamp at one side, the lens's vignetting) by more than a matched
# pair may differ, while a clone's block one shift on is other content: no caught clone's pair is
# within it (docs/measurements/integrity.md, 2026-12-07).
GOING_ON_DIFFERENCE = 2 * MAX_PAIR_DIFFERENCE
GOING_ON_SAMPLE = 1024  # pairs of a shift, evenly spaced, in which it is counted: a bounded cost
# Candidate pairs whose pixels are compared. The corpora's photos give at most 135,000 (a 640x480
# photo searched unhalved; docs/measurements/integrity.md, 2026-12-06); a pattern repeated over the
# whole frame (stripes, a weave) gives about one per block, up to 590,000 at 768x768, and comparing
# them all took seconds. Past the cap an evenly spaced share is compared, each shift keeping its share.
MAX_CANDIDATES = 150_000
COMPARED_AT_ONCE = 8192  # pairs per comparison step: a few MiB at a time instead of hundreds


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
    smooth = searched_copy(working)
    h, w = smooth.shape
    if min(h, w) < 4 * BLOCK:
        return None
    ys, xs, keys = _block_codes(smooth)
    if len(keys) < 2:
        return None
    first, second = _at_most(*_candidate_pairs(ys, xs, keys), MAX_CANDIDATES)
    close = _close(smooth, ys, xs, first, second)
    first, second = first[close], second[close]
    if len(first) == 0:
        return None
    dx, dy = xs[second] - xs[first], ys[second] - ys[first]
    flip = (dx < 0) | ((dx == 0) & (dy < 0))  # a shift and its opposite are one
    dx, dy = np.where(flip, -dx, dx), np.where(flip, -dy, dy)
    copies, sources = np.where(flip, first, second), np.where(flip, second, first)
    # One integer per shift, ordered as the (dx, dy) rows are: numpy's unique of rows sorts them as
    # records, tens of times slower when a repeated pattern gives matches by the hundred thousand.
    codes, inverse, counts = np.unique(dx * (2 * h + 1) + (dy + h), return_inverse=True, return_counts=True)
    shifts = np.stack([codes // (2 * h + 1), codes % (2 * h + 1) - h], axis=1)
    on_shift = inverse.ravel()

    def going_on(index: int) -> float:
        return likeness_going_on(smooth, ys, xs, sources[on_shift == index], shifts[index])

    best = _clone_shift(shifts, counts, going_on)
    if best is None:
        return None
    chosen = copies[on_shift == best]
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


def searched_copy(working: Image.Image) -> np.ndarray:
    """The picture as it is searched: grey, halved while its longest side exceeds `MAX_SIDE`, smoothed."""
    grey = np.asarray(working.convert("L"), dtype=np.float32)
    while max(grey.shape) > MAX_SIDE:
        size = (grey.shape[1] // 2, grey.shape[0] // 2)
        grey = np.asarray(cv2.resize(grey, size, interpolation=cv2.INTER_AREA), dtype=np.float32)
    return np.asarray(cv2.GaussianBlur(grey, (0, 0), SMOOTH_SIGMA))


def _candidate_pairs(ys: np.ndarray, xs: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Blocks with equal codes that are neighbours in the sorted order (ties in raster order) and at
    least `MIN_SHIFT` apart: indices of the earlier and the later one."""
    order = _stable_order(keys)
    same = keys[order[1:]] == keys[order[:-1]]
    first, second = order[:-1][same], order[1:][same]
    apart = np.maximum(np.abs(xs[second] - xs[first]), np.abs(ys[second] - ys[first])) >= MIN_SHIFT
    return first[apart], second[apart]


def _at_most(first: np.ndarray, second: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    """`count` pairs evenly spaced along the sorted codes, when there are more."""
    if len(first) <= count:
        return first, second
    kept = np.linspace(0, len(first) - 1, count).astype(np.int64)
    return first[kept], second[kept]


def _stable_order(keys: np.ndarray) -> np.ndarray:
    """`np.argsort(keys, kind="stable")` for the 24-bit codes, as two 12-bit passes: numpy sorts
    16-bit integers by radix, several times faster than its merge sort of 64-bit ones."""
    low = np.argsort((keys & 0xFFF).astype(np.uint16), kind="stable")
    return low[np.argsort((keys[low] >> 12).astype(np.uint16), kind="stable")]


def _close(
    smooth: np.ndarray, ys: np.ndarray, xs: np.ndarray, first: np.ndarray, second: np.ndarray
) -> np.ndarray:
    """Which candidate pairs' smoothed pixels differ by at most `MAX_PAIR_DIFFERENCE` on average."""
    windows = np.lib.stride_tricks.sliding_window_view(smooth, (BLOCK, BLOCK))
    # Where a pair's first two rows alone differ by more than its whole block may, it is no match
    # whatever the other rows hold (the margin covers float rounding): most candidates of a textured
    # photo are rejected so, at a quarter of the work.
    most = MAX_PAIR_DIFFERENCE * BLOCK * BLOCK * 1.001
    close = np.zeros(len(first), bool)
    for start in range(0, len(first), COMPARED_AT_ONCE):
        a, b = first[start : start + COMPARED_AT_ONCE], second[start : start + COMPARED_AT_ONCE]
        top = np.abs(windows[ys[a], xs[a], :2] - windows[ys[b], xs[b], :2]).sum(axis=(1, 2))
        maybe = np.flatnonzero(top <= most)
        a, b = a[maybe], b[maybe]
        difference = np.abs(windows[ys[a], xs[a]] - windows[ys[b], xs[b]]).mean(axis=(1, 2))
        close[start + maybe] = difference <= MAX_PAIR_DIFFERENCE
    return close


def likeness_going_on(
    smooth: np.ndarray, ys: np.ndarray, xs: np.ndarray, sources: np.ndarray, shift: np.ndarray
) -> float:
    """Of the pairs matched on `shift` (their sources' indices; at most `GOING_ON_SAMPLE` of them,
    evenly spaced), the share where the likeness goes on: the block one shift past the copy is like
    the copy and the block one shift before the source like the source, within `GOING_ON_DIFFERENCE`
    but for a difference of brightness. Both ways, because a patch stamped twice in a row (a damage
    longer than the good patch beside it) goes on past its first copy to the second and before the
    second's source to the first, but never both ways at one pair, as a print does. Counted among the
    pairs whose both sides lie in the frame; where none do (a shift longer than a third of the frame),
    among those with one side in it, that side."""
    if len(sources) == 0:
        return 0.0
    spaced = np.linspace(0, len(sources) - 1, min(len(sources), GOING_ON_SAMPLE)).astype(np.int64)
    sample = sources[np.unique(spaced)]
    windows = np.lib.stride_tricks.sliding_window_view(smooth, (BLOCK, BLOCK))
    rows, cols = windows.shape[:2]
    dx, dy = int(shift[0]), int(shift[1])
    y, x = ys[sample], xs[sample]
    seen, alike = [], []
    for (ay, ax), (by, bx) in (((y + dy, x + dx), (y + 2 * dy, x + 2 * dx)), ((y, x), (y - dy, x - dx))):
        inside = (by >= 0) & (by < rows) & (bx >= 0) & (bx < cols)
        difference = windows[ay[inside], ax[inside]] - windows[by[inside], bx[inside]]
        unlit = np.abs(difference - difference.mean(axis=(1, 2), keepdims=True)).mean(axis=(1, 2))
        side_alike = np.zeros(len(sample), bool)
        side_alike[np.flatnonzero(inside)[unlit <= GOING_ON_DIFFERENCE]] = True
        seen.append(inside)
        alike.append(side_alike)
    both_seen = seen[0] & seen[1]
    if both_seen.any():
        return float((alike[0] & alike[1])[both_seen].mean())
    one_seen = seen[0] | seen[1]
    return float((alike[0] | alike[1])[one_seen].mean()) if one_seen.any() else 0.0


def _clone_shift(shifts: np.ndarray, counts: np.ndarray, going_on: Callable[[int], float]) -> int | None:
    """The index of the commonest shift that is not a period, or None. A pattern that repeats (a
    weave, a row of stitches, tiles) matches at several multiples of its period, all along one
    direction, and its likeness goes on past each match (`going_on`: the share of an index's pairs
    where it does); a clone matches at its one shift only, once."""
    lengths = np.hypot(shifts[:, 0], shifts[:, 1])
    for index in np.argsort(-counts)[:PERIOD_CANDIDATES]:
        shift, length = shifts[index], lengths[index]
        across = np.abs(shifts[:, 0] * shift[1] - shifts[:, 1] * shift[0]) / length  # off its line, pixels
        elsewhere = np.abs(shifts - shift).max(axis=1) > 2
        along = (across <= 1.5) & elsewhere & (lengths > 0)
        if (counts[along] * PERIOD_SHARE >= counts[index]).any():
            continue
        if going_on(int(index)) <= MAX_GOING_ON:
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
