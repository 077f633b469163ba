"""Where the picture is in a frame: uniform bars trimmed from its edges, or a picture inside a screen.

A screenshot of another buyer's review photo shows the photo small (often under a third of the
screen's width) among the app's chrome: a status bar, an app bar, a page, a card, each a flat grey of
its own, with text, icons and an avatar on them. Trimming uniform bars from the edges
(`trim_borders`) stops at the first band; `find` finds the picture wherever it is:

0. Only a frame with a screen's bar (its outer rows one grey from side to side, `_has_bar`), or
   one trimming found borders in, is looked into: a photo costs a tenth of a millisecond.
1. On a copy of at most `DETECT_SIZE` pixels a side, a pixel is *flat* when its 3x3 neighbourhood
   spans at most `FLAT_STEP` grey levels. Flat regions of at least `MIN_FLAT` of the frame that
   touch its edge or enclose the busy part are chrome: the bars, the page, the card — however many
   greys they have — and a product photo's plain backdrop. A flat region inside the picture (a black
   sky beside a lit subject) is given back to the picture.
2. Everything else (text, icons, the picture with its enclosed flat patches) is opened with a square
   of `OPEN_SHARE` of the frame's short side: lines of text and thin rules vanish, a picture keeps
   its rectangle, rounded corners and all.
3. The largest region left no more elongated than `MAX_ASPECT` is the picture, returned when it is
   clearly smaller than the frame; it is *on a screen* when text or icons lie outside it and the
   frame has a bar, or the picture is a rectangle clear of the frame's edges (`_carded`: a
   screenshot cut down to the review, its bars cut away); merely on a plain backdrop when nothing
   lies outside it — or when the frame has a photo's shape (under `SCREEN_ASPECT`) and the region
   has no rectangle's edges (`MIN_EDGE_SHARE`):
   a white product on white with its sizes or labels printed beside it, whose outline moves with
   JPEG noise.

Example: a 1080x2340 light-theme screenshot with a 300-px review photo in a card gives the photo's
box, about (x, y, 300, 300) in the screenshot's pixels, on a screen; the photo itself gives ``None``.

Limits: a picture whose edge is the chrome's own grey (a white product photo in a white card, a
black photo on a black page) is found without that part; a flat drawing shown across the screen's
whole width has its own ground taken for chrome; on a screen of a photo's shape (a 4:3 tablet) a
picture whose own white ground meets a white card is taken for a product on a backdrop (whose
box's keypoints, not the frame's, then confirm a copy: `fingerprint.Fingerprint.product`). This
module measures; `imaging/fingerprint.py` hashes what it finds.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import cv2
import numpy as np

# --- tunables (measured by scripts/bench_reuse.py over ../shared/corpora) ---
# A border row/column is one where this share of its pixels is within BORDER_TOLERANCE grey levels
# of the border's colour: the status-bar clock and icons of a screenshot cover under 20 %.
BORDER_SHARE = 0.75
BORDER_TOLERANCE = 18
# Trimming that would leave less than this share of a side is not a border but a dark picture.
MIN_KEPT = 0.12
# Bars are found on a copy this large, sampled rather than averaged (a twentieth of the cost), to
# 3 px precision.
TRIM_SIZE = 384
DETECT_SIZE = 512  # longest side of the copy looked at: a 22 %-wide picture on a phone screen is ~50 px
FLAT_STEP = 3  # grey levels a 3x3 neighbourhood of chrome may span (PNG bars 0, re-encoded ones 1-3)
MIN_FLAT = 0.004  # share of the frame a flat region covers to be chrome, not a patch inside a picture
MIN_CHROME = 0.2  # share of the frame chrome must cover before a picture is looked for inside it
OPEN_SHARE = 0.04  # the opening's square, as a share of the short side: text lines are thinner
MIN_SIDE = 0.08  # a picture narrower than this share of the frame's short side is an icon
# Share of the frame that text and icons outside the picture cover on a screen (a status bar's clock
# alone covers more); a product photo's backdrop holds at most a shadow's specks.
MIN_THINGS = 0.002
# A screen's text and icons outside the picture cover at most this many times its area; a flat
# drawing (a cartoon, a rendered product) whose largest busy part was taken for a picture has more.
MAX_THINGS = 8.0
MAX_ASPECT = 3.0  # pictures are shown at most this elongated; a longer region is a strip of a drawing
# A status or navigation bar: the outer BAR_ROWS rows of the working copy (8 px of a phone screen's
# 80-px status bar above its clock) each this share one grey. Photos and drawings lack them.
BAR_ROWS = 4
BAR_SHARE = 0.98
MAX_SHARE = 0.85  # a region spanning more than this share of both sides is the frame itself
# A phone's or a monitor's screen is at least 16:9 (phones 19.5:9 to 20:9); photos are 1:1 to 3:2.
SCREEN_ASPECT = 1.6
# In a frame of a photo's shape, a picture inside a screen reaches each side of its box along at
# least this share of it (within EDGE_DEPTH of the box's short side); a product's outline does not.
MIN_EDGE_SHARE = 0.6
EDGE_DEPTH = 0.03
# A frame without a bar (a screenshot cut down to the review) is still a screen when its picture is a
# rectangle at least this share of the frame's short side from every edge (a card's margin: the
# probe's crops 0.12-0.27; a photo's ground under a flat sky reaches the edge).
CARD_MARGIN = 0.02


class Inside(NamedTuple):
    """A picture found inside a frame."""

    box: tuple[int, int, int, int]  # x, y, w, h in the frame's pixels
    # Text or icons lie outside it: the frame is a screen, its chrome no part of the picture. False:
    # flat ground alone around it (a product on a studio backdrop, which also has flat edge rows).
    on_screen: bool
    # The rectangle around it when only chrome touching the frame's edge is taken away: the whole
    # picture when a flat ground of its own (a grey backdrop) enclosed what `box` holds.
    outer: tuple[int, int, int, int]


def find(grey: np.ndarray, bordered: bool = False) -> Inside | None:
    """The picture inside a screen, or on a plain ground, in a grey frame; None for a photo.

    `bordered`: trimming found uniform borders (a backdrop, bars) — looked into even without a bar.
    """
    bar = _has_bar(grey)
    if not (bordered or bar):
        return None  # a photo: what follows costs a few milliseconds, paid by screens and backdrops
    small = _reduced(grey, DETECT_SIZE, cv2.INTER_AREA)
    spread = cv2.morphologyEx(small, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8))
    flat = (spread <= FLAT_STEP).astype(np.uint8)
    if flat.mean() < MIN_CHROME:
        return None
    count, labels, flat_stats, _ = cv2.connectedComponentsWithStats(flat, connectivity=4)
    large = flat_stats[:, cv2.CC_STAT_AREA] >= MIN_FLAT * flat.size
    large[0] = False  # label 0: the pixels that are not flat
    if large[labels].mean() < MIN_CHROME:
        return None
    side = max(3, round(OPEN_SHARE * min(small.shape)))
    found = _largest_region(large[labels], side)
    if found is None:
        return None
    box, region = found
    # A flat region inside the picture (a black sky, a white wall) was taken for chrome: chrome
    # touches the frame's edge or encloses the picture (a card, a studio backdrop); the rest is
    # given back to the picture and the picture found again.
    sh, sw = small.shape[:2]
    fx0, fy0, fw, fh = (flat_stats[:, i] for i in range(4))
    edge = (fx0 == 0) | (fy0 == 0) | (fx0 + fw == sw) | (fy0 + fh == sh)
    bx, by, bw, bh = box
    encloses = (fx0 <= bx) & (fy0 <= by) & (fx0 + fw >= bx + bw) & (fy0 + fh >= by + bh)
    chrome = large & (edge | encloses)
    if not np.array_equal(chrome, large):
        found = _largest_region(chrome[labels], side)
        if found is None:
            return None
        box, region = found
    outer = box
    if not np.array_equal(chrome, large & edge):
        edge_found = _largest_region((large & edge)[labels], side)
        outer = edge_found[0] if edge_found else box
    x, y, w, h = box
    if min(w, h) < MIN_SIDE * min(sh, sw) or (w > MAX_SHARE * sw and h > MAX_SHARE * sh):
        return None
    things = ~chrome[labels]
    things[max(0, y - 2) : y + h + 2, max(0, x - 2) : x + w + 2] = False
    outside = int(things.sum())
    if outside > MAX_THINGS * w * h:
        return None  # not a picture among chrome, but a part of a flat drawing
    on_screen = outside >= MIN_THINGS * things.size
    if on_screen and not bar and not _carded((sh, sw), box, region):
        return None  # things around a busy part, neither a screen's bar nor a card's: a drawing
    if on_screen and max(sh, sw) < SCREEN_ASPECT * min(sh, sw) and _edge_share(region) < MIN_EDGE_SHARE:
        # A frame of a photo's shape whose busy part has no rectangle's edges: a product on a white
        # ground, its printed labels or dimension text taken for a screen's; its outline moves with
        # JPEG noise, so it is a product on a plain backdrop, not the picture to hash.
        on_screen = False
    return Inside(_in_frame(grey, box, sw), on_screen, _in_frame(grey, outer, sw))

def _in_frame(grey: np.ndarray, box: tuple[int, int, int, int], reduced_width: int) -> tuple[int, int, int, int]:
    """A box of the reduced copy in `grey`'s pixels, the chrome's last pixels cut as uniform bars: the
    edge between picture and chrome is neither flat nor chrome, and the reduced copy blurs it further."""
    height, width = grey.shape[:2]
    x, y, w, h = box
    factor = width / reduced_width
    x0, y0 = max(0, int((x - 1) * factor)), max(0, int((y - 1) * factor))
    x1 = min(width, int(np.ceil((x + w + 1) * factor)))
    y1 = min(height, int(np.ceil((y + h + 1) * factor)))
    _, (tx, ty, tw, th) = trim_borders(grey[y0:y1, x0:x1])
    # Only the slack is trimmed: a picture's own flat rows (a product's plain panel) stay.
    slack = math.ceil(2 * factor) + 1
    left, top = min(tx, slack), min(ty, slack)
    right = min(x1 - x0 - tx - tw, slack)
    bottom = min(y1 - y0 - ty - th, slack)
    return x0 + left, y0 + top, x1 - x0 - left - right, y1 - y0 - top - bottom

def _has_bar(grey: np.ndarray) -> bool:
    """A screen's bar along its top or bottom edge: its outer rows each one grey from side to side."""
    for rows in (grey[:BAR_ROWS], grey[-BAR_ROWS:]):
        level = np.median(rows, axis=1, keepdims=True)
        if ((np.abs(rows.astype(np.int16) - level) <= FLAT_STEP).mean(axis=1) >= BAR_SHARE).all():
            return True
    return False


def _carded(shape: tuple[int, int], box: tuple[int, int, int, int], region: np.ndarray) -> bool:
    """A picture on a card: a rectangle clear of the frame's edges, as a screenshot cut down to a
    review photo (its bars cut away) shows it. Around it is chrome or thin things by construction
    (the largest busy region once thin things are opened away). A drawing's busy part has no
    rectangle's edges; a photo's busy ground reaches the frame's edge under its flat sky."""
    height, width = shape
    x, y, w, h = box
    clear = min(x, y, width - x - w, height - y - h) >= CARD_MARGIN * min(height, width)
    return clear and _edge_share(region) >= MIN_EDGE_SHARE


def _largest_region(
    chrome: np.ndarray, side: int
) -> tuple[tuple[int, int, int, int], np.ndarray] | None:
    """The box of the largest region left when chrome is taken away and thin things opened away,
    of those no more elongated than a picture is shown (a line of large type is longer), and the
    region within its box."""
    rest = cv2.morphologyEx((~chrome).astype(np.uint8), cv2.MORPH_OPEN, np.ones((side, side), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(rest, connectivity=8)
    w, h = stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT]
    shaped = np.flatnonzero(np.maximum(w, h) <= MAX_ASPECT * np.minimum(w, h))
    if len(shaped) == 0:
        return None
    largest = 1 + int(shaped[np.argmax(stats[1 + shaped, cv2.CC_STAT_AREA])])
    x, y, bw, bh = (int(v) for v in stats[largest, :4])
    return (x, y, bw, bh), labels[y : y + bh, x : x + bw] == largest


def _edge_share(region: np.ndarray) -> float:
    """The least share of a side of the region's box along which the region reaches that side: near
    1 for a picture's rectangle (rounded corners cost a few hundredths), a fraction for the outline
    of a product, which touches its box at a corner or a ridge."""
    height, width = region.shape
    depth = max(1, round(EDGE_DEPTH * min(height, width)))
    return float(min(
        region[:depth].any(axis=0).mean(),
        region[-depth:].any(axis=0).mean(),
        region[:, :depth].any(axis=1).mean(),
        region[:, -depth:].any(axis=1).mean(),
    ))


def trim_borders(picture: np.ndarray) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """Cut uniform bars from each side of a grey or RGB picture; return the rest and its box (x, y, w, h).

    The bars are found on a copy of at most TRIM_SIZE pixels a side and the cut rounded inwards.
    """
    height, width = picture.shape[:2]
    small = _reduced(picture, TRIM_SIZE, cv2.INTER_LINEAR)
    if small.ndim == 3:
        small = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)
    grey = small.astype(np.int16)
    sh, sw = grey.shape
    top, bottom = _edge_run(grey), sh - _edge_run(grey[::-1])
    left, right = _edge_run(grey.T), sw - _edge_run(grey.T[::-1])
    if bottom - top < MIN_KEPT * sh or right - left < MIN_KEPT * sw:
        return picture, (0, 0, width, height)
    fy, fx = height / sh, width / sw
    y0, y1 = math.ceil(top * fy), math.floor(bottom * fy)
    x0, x1 = math.ceil(left * fx), math.floor(right * fx)
    return picture[y0:y1, x0:x1], (x0, y0, x1 - x0, y1 - y0)


def _edge_run(grey: np.ndarray) -> int:
    """How many leading rows of `grey` are border: nearly all pixels the colour of the first row."""
    colour = int(np.median(grey[0]))
    # Rows are looked at in growing blocks from the edge: most photos have no border, so the first
    # block ends the run, and the whole picture is seldom compared (a quarter of trimming's cost).
    start, block = 0, 8
    while start < len(grey):
        share = (np.abs(grey[start : start + block] - colour) <= BORDER_TOLERANCE).mean(axis=1)
        not_border = np.flatnonzero(share < BORDER_SHARE)
        if len(not_border):
            return start + int(not_border[0])
        start, block = start + block, block * 2
    return len(grey)


def _reduced(picture: np.ndarray, size: int, interpolation: int) -> np.ndarray:
    """Scale down (never up) so the longest side is at most `size`."""
    height, width = picture.shape[:2]
    scale = size / max(height, width)
    if scale >= 1:
        return np.ascontiguousarray(picture)
    target = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(np.ascontiguousarray(picture), target, interpolation=interpolation)
