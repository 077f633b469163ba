"""The location look on the grocery corpus: proposed regions, regions on and off the product, zones, cost.

    .venv/bin/python scripts/bench_location.py [../shared/corpora/product-matching] [--per-product N]
        [--no-cost | --cost-only] [--dump FILE] [--seed N] [--painter bench|varied|both] [--sheet FILE.png]

Each product's web-shop image (`*_Iconic.jpg`) is the catalog image. Photos are made from it:
placed in perspective on varied backgrounds (noise, stripes, another product's shelf photo), under
uneven light (a shading gradient, a colour cast, a glare spot), saved as JPEG; and the corpus's
real shelf photos (`*_00N.jpg`) that align with it (the relevance look's PASS_INLIERS). On each,
the same photo with a synthetic defect painted at a known place on the product (a tear, a scratch,
a stain, a dent's shading) and without one:
- proposal: the proposed region's IoU with the painted one (>= 0.5 counts), and whether the
  proposal is confident; on the undamaged copy, whether a confident region is proposed at all;
  a photo the look declines as too unlike the catalog image (`proposal.Declined`) counts as a
  miss, and is counted apart with the share of the rest proposed right; the hits by how well the
  photo aligns (`alignment`, as the look measures it);
- given regions: a box on the product (inside the projected outline) must never be `fail`; a box
  on the background (outside it) must be `fail`;
- zones: the catalog image's product is cut into three bands (top, middle, bottom), each a zone
  with a cause; a box inside a band must be named after it.
Edge set, apart (the rows "..., at the edge"): each photo damaged a second time, with its defect's
centre in the product's edge band (within half the defect's size of the projected outline) and its
pixels clipped to the product — on a shelf photo, to the part of the outline where the photo shows the
catalog's print (`lined_up`: the outline overshoots the carton onto the shelf and the hand); the kinds
above plus a crushed corner's shading and a tear along the edge. Drawn from a generator of its own, so
the default rows draw and print as they did without it.
A second painter (`--painter varied`, or `both` for each painter's tables on the same photos): the same photos
damaged another way (`paint_varied`: other inks and shapes of stain, 1-3 px scratches, jagged tears, Gaussian
dents), 10-35 % of the product's side, anywhere on the part of the product the photo shows, from a generator
of its own; its faint defects (`FAINT_LEVELS`) are counted apart. `--sheet FILE.png` paints a draw so, without
the look, and draws 24 of its photos with their truth box, to judge the painter by eye.
Shelf photos alone, by defect, in a table of their own (hits on each half of the products, by default and at
the edge): the rows "all, <defect>, ..." count synthetic photos too.
The proposal's threshold (`proposal.CONFIDENT_STRENGTH`) is fitted by product split: fitted on one
half of the products (the lowest strength above every undamaged photo's, with a margin), scored on
the other, both ways; the held-out figures are the headline. Cost: milliseconds the look adds per
photo beyond the relevance look's features (placing a region; proposing one), on a 12 MP JPEG.
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import statistics
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np

from evidence_check.catalog import matching
from evidence_check.catalog.entries import CatalogImage, ImageArrays, catalog_features
from evidence_check.catalog.photo import photo_features
from evidence_check.catalog.zones import read_zones
from evidence_check.checks.location import judged
from evidence_check.checks.location.geometry import ProductShape, box_corners, product_mask, project
from evidence_check.checks.location.proposal import CONFIDENT_STRENGTH, Declined, Proposal, propose
from evidence_check.checks.relevance import rules
from evidence_check.imaging import features as F
from evidence_check.imaging.load import load_photo
from evidence_check.models import Status

ROOT = Path(__file__).resolve().parent.parent

DEFECTS = ("tear", "scratch", "stain", "dent")
EDGE_DEFECTS = (*DEFECTS, "crushed corner", "edge tear")  # what a parcel's knocks leave at a carton's edge
EDGE_STREAM = 0xED6E  # the edge copies' own random stream: the default rows draw as they did without them
BAND_CAUSES = (("top", "wear"), ("middle", "shipping"), ("bottom", "manufacturing"))
PHOTO_SIZE = (1600, 1200)
SETS = ("synthetic", "shelf")  # the photos a draw makes: the catalog image placed on a background, the corpus's shelf photos
MARGIN = 1.1  # the fitted threshold lies this far above the strongest undamaged photo
VISIBLE = 12  # a pixel a defect changed by more than this (of 255, in any channel) is part of it


@dataclass
class Case:
    product: str
    kind: str  # synthetic | shelf
    defect: str
    iou: float | None  # None: nothing proposed
    strength: float | None
    clean_strength: float | None  # the undamaged copy's proposal strength; None: nothing proposed
    on_fail: bool  # a region on the product was judged fail
    off_fail: bool | None  # a region off the product was judged fail (None: no background to mark)
    zone_right: bool | None
    declined: bool  # the look declined to propose on the damaged photo (too unlike the catalog image)
    alignment: float | None  # the damaged photo's, as the look measured it; None: not measured
    edge: bool = False  # the defect's centre lies in the product's edge band (`edge_copy`)
    painter: str = "bench"  # who painted the defect: the bench's `paint`, or `paint_varied`
    faint: bool = False  # a faint defect (`FAINT_LEVELS`), counted apart from the goal's rows


@dataclass(frozen=True)
class EdgeCopies:
    """The edge set: its own generator, the cases it collects, and who is handed each damaged shelf photo."""

    rng: np.random.Generator
    cases: list[Case]
    on_shelf: Callable[[PaintedShelf], None] | None = None
    catalogs: dict[str, np.ndarray] = field(default_factory=dict)  # each product's catalog pixels (RGB), set by `run`


@dataclass(frozen=True)
class VariedCopies:
    """The second painter (`paint_varied`): its own generator, the cases it collects, and whether the bench's
    own damaged copy is judged beside it (`--painter both`) or only painted, so the draw stays the bench's."""

    rng: np.random.Generator
    cases: list[Case]
    bench_judged: bool
    catalogs: dict[str, np.ndarray] = field(default_factory=dict)  # each product's catalog pixels (RGB), set by `run`
    crops: list[tuple[str, np.ndarray]] | None = None  # each painted copy's label and crop, for `--sheet`


@dataclass(frozen=True)
class PaintedShelf:
    """A real shelf photo as `run` painted it, handed to a probe that judges it another way."""

    product: str
    defect: str
    truth: list[int]  # the painted box, photo pixels
    damaged: np.ndarray  # RGB, with the defect
    clean: np.ndarray  # RGB, as the corpus has it
    image: CatalogImage  # the web-shop image it was matched with (zoned in bands)


def catalog_image(path: Path, zones: dict[str, object] | None = None) -> CatalogImage:
    photo = load_photo(path.read_bytes(), path.name)
    stored = catalog_features(photo)
    data = F.unpack(stored.features)
    arrays = ImageArrays(
        points=data["points"], descriptors=data["descriptors"], keypoint_words=np.zeros(0, np.int32),
        words=np.zeros(0, np.int32), colour=data["colour"], mask=data["mask"], thumb=data.get("thumb"),
        detail=data.get("detail"),
    )  # fmt: skip
    return CatalogImage(
        sku=path.parent.name, image_id=stored.image_id, filename=path.name, width=stored.width,
        height=stored.height, arrays_of=lambda: arrays, zones=dict(zones or {}),
    )  # fmt: skip


def bands(image: CatalogImage) -> dict[str, object]:
    """Three horizontal zones over the product's bounding box, each with a cause."""
    ys, xs = np.nonzero(product_mask(image, (image.width, image.height)))
    left, right, top, bottom = int(xs.min()), int(xs.max()) + 1, int(ys.min()), int(ys.max()) + 1
    third = (bottom - top) / 3
    return {
        name: {"box": [left, round(top + i * third), right - left, max(1, round(third))], "cause": cause}
        for i, (name, cause) in enumerate(BAND_CAUSES)
    }


def background(rng: np.random.Generator, shelf: list[Path], size: tuple[int, int]) -> np.ndarray:
    width, height = size
    choice = rng.integers(3)
    if choice == 0:
        noise = rng.integers(60, 200, (height // 40 + 1, width // 40 + 1, 3)).astype(np.uint8)
        return cv2.resize(noise, (width, height), interpolation=cv2.INTER_CUBIC)
    if choice == 1:
        image = np.zeros((height, width, 3), np.uint8)
        colours = rng.integers(40, 230, (2, 3))
        for x in range(0, width, 60):
            image[:, x : x + 30] = colours[0]
            image[:, x + 30 : x + 60] = colours[1]
        return cv2.GaussianBlur(image, (0, 0), 2)
    other = cv2.cvtColor(cv2.imread(str(shelf[rng.integers(len(shelf))])), cv2.COLOR_BGR2RGB)
    return cv2.resize(other, (width, height), interpolation=cv2.INTER_LINEAR)


def place(rng: np.random.Generator, catalog: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A homography from catalog pixels to a photo of `size`: the product about half the frame, tilted."""
    height, width = catalog.shape[:2]
    side = rng.uniform(0.45, 0.7) * min(size)
    scale = side / max(width, height)
    cx, cy = size[0] / 2 + rng.uniform(-0.1, 0.1) * size[0], size[1] / 2 + rng.uniform(-0.1, 0.1) * size[1]
    corners = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float32)
    target = (corners - [width / 2, height / 2]) * scale + [cx, cy]
    target += rng.uniform(-0.08, 0.08, (4, 2)) * side
    return cv2.getPerspectiveTransform(corners, target.astype(np.float32))


def light(rng: np.random.Generator, image: np.ndarray) -> np.ndarray:
    """Uneven light: a shading gradient, a colour cast and a glare spot."""
    height, width = image.shape[:2]
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    ramp = (np.cos(angle) * xx / width + np.sin(angle) * yy / height)
    shading = 1.0 + rng.uniform(0.15, 0.35) * (ramp - ramp.mean())
    cast = rng.uniform(0.9, 1.1, 3)
    out = image.astype(np.float32) * shading[..., None] * cast
    gx, gy, radius = rng.uniform(0, width), rng.uniform(0, height), rng.uniform(0.03, 0.08) * width
    glare = np.exp(-((xx - gx) ** 2 + (yy - gy) ** 2) / (2 * radius**2))
    out = out + 120 * glare[..., None]
    return np.clip(out, 0, 255).astype(np.uint8)


def paint(rng: np.random.Generator, image: np.ndarray, kind: str, centre: tuple[float, float], size: float) -> list[int] | None:
    """Paints a defect about `size` pixels across at `centre`; returns the bounding box [x, y, w, h]
    of the pixels it visibly changed (a dent's light side on white print changes nothing)."""
    before = image.astype(np.int32)
    drawn = np.zeros(image.shape[:2], np.uint8)
    cx, cy = centre
    if kind in ("tear", "scratch"):
        points = [(cx - size / 2, cy + rng.uniform(-0.3, 0.3) * size)]
        for step in range(1, 6):
            points.append((cx - size / 2 + step * size / 5, cy + rng.uniform(-0.3, 0.3) * size))
        line = np.array(points, np.int32).reshape(-1, 1, 2)
        thickness = max(2, int(size / 12)) if kind == "tear" else max(2, int(size / 20))
        cv2.polylines(drawn, [line], False, 255, thickness)
        if kind == "tear":
            edge = cv2.dilate(drawn, np.ones((5, 5), np.uint8)) & ~drawn
            image[edge > 0] = np.clip(image[edge > 0].astype(np.int32) + 70, 0, 255).astype(np.uint8)
            image[drawn > 0] = (35, 30, 28)
        else:  # a scratch bares the board: light on dark print, a dark groove on light print
            light_print = image[drawn > 0].mean() > 150
            change = -110 if light_print else 110
            image[drawn > 0] = np.clip(image[drawn > 0].astype(np.int32) + change, 0, 255).astype(np.uint8)
    elif kind == "stain":
        axes = (int(size / 2), int(size * rng.uniform(0.3, 0.5)))
        cv2.ellipse(drawn, (int(cx), int(cy)), axes, rng.uniform(0, 180), 0, 360, 255, -1)
        soft = cv2.GaussianBlur(drawn.astype(np.float32) / 255, (0, 0), size / 15)[..., None]
        stain = np.array([110, 70, 30], np.float32)
        image[:] = np.clip(image * (1 - 0.75 * soft) + stain * 0.75 * soft, 0, 255).astype(np.uint8)
    else:  # dent: a dark crescent and a light one, as a pressed-in surface catches the light
        radius = size / 2
        yy, xx = np.mgrid[0 : image.shape[0], 0 : image.shape[1]].astype(np.float32)
        distance = np.hypot(xx - cx, yy - cy) / radius
        inside = np.clip(1 - distance, 0, 1)
        angle = np.arctan2(yy - cy, xx - cx)
        shade = -70 * inside * np.cos(angle - rng.uniform(0, 2 * np.pi))
        image[:] = np.clip(image.astype(np.float32) + shade[..., None], 0, 255).astype(np.uint8)
    ys, xs = np.nonzero(np.abs(image.astype(np.int32) - before).max(axis=2) > VISIBLE)
    if len(xs) == 0:
        return None
    return [int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)]


VARIED_STREAM = 0x5EC0  # the second painter's own random stream: the bench's photos and draws stay as they were
INKS = (  # RGB: four browns, four greys, a blue and a black ink, a whitish water mark, a yellow grease
    (110, 70, 30), (140, 95, 50), (90, 55, 35), (160, 120, 70), (60, 60, 60), (100, 100, 100), (140, 140, 140),
    (180, 180, 180), (40, 60, 140), (20, 20, 25), (235, 235, 225), (200, 170, 60),
)  # fmt: skip
FAINT_LEVELS = 40  # of 255: a defect that changes fewer than `FAINT_PIXELS` pixels by more than this is faint,
FAINT_PIXELS = 20  # counted apart from the goal's rows (on the contact sheets, mostly dents and stains no reader sees)


def bent_curve(rng: np.random.Generator, centre: tuple[float, float], size: float, pieces: int) -> np.ndarray:
    """`pieces` + 1 points along a curve about `size` long through `centre`, at any angle, bowed to one side."""
    angle = rng.uniform(0, np.pi)
    along = np.array([np.cos(angle), np.sin(angle)])
    across = np.array([-along[1], along[0]])
    t = np.linspace(-0.5, 0.5, pieces + 1)
    bow = rng.uniform(-0.25, 0.25) * size * (1 - (2 * t) ** 2)
    return np.array(centre) + np.outer(t * size, along) + np.outer(bow, across)


def paint_varied(rng: np.random.Generator, image: np.ndarray, kind: str, centre: tuple[float, float], size: float) -> None:
    """Paints a defect another way than `paint` in each thing a ranker could learn: stains in twelve inks as a
    blotch, a noisy polygon or a cup's ring, hard to very soft, blended or multiplied into the print; scratches
    1-3 px wide, light or dark whatever the print, one stroke or a bundle; jagged tears of any darkness or a
    light fibre, with a light rim, a dark shadow or none; dents as an elliptical Gaussian's shading."""
    height, width = image.shape[:2]
    drawn = np.zeros((height, width), np.uint8)
    cx, cy = centre
    if kind == "scratch":
        strokes, stroke_width = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        curve = bent_curve(rng, centre, size, 12)
        across = np.array([-(curve[-1] - curve[0])[1], (curve[-1] - curve[0])[0]]) / max(float(np.hypot(*(curve[-1] - curve[0]))), 1e-6)
        for stroke in range(strokes):
            shifted = curve + across * stroke * rng.uniform(3, 6) + rng.uniform(-0.1, 0.1, 2) * size
            cv2.polylines(drawn, [shifted.astype(np.int32).reshape(-1, 1, 2)], False, 255, stroke_width)
        change = rng.uniform(40, 120) * rng.choice([-1, 1])
        image[drawn > 0] = np.clip(image[drawn > 0].astype(np.float32) + change, 0, 255).astype(np.uint8)
    elif kind == "tear":
        pieces = int(rng.integers(8, 15))
        curve = bent_curve(rng, centre, size, pieces)
        step = curve[1] - curve[0]
        across = np.array([-step[1], step[0]]) / max(float(np.hypot(*step)), 1e-6)
        jagged = curve + np.outer(rng.uniform(-0.07, 0.07, pieces + 1) * size, across)
        cv2.polylines(drawn, [jagged.astype(np.int32).reshape(-1, 1, 2)], False, 255, int(rng.integers(2, 6)))
        edge = rng.integers(3)
        if edge == 0:  # a light rim of torn board
            rim = cv2.dilate(drawn, np.ones((5, 5), np.uint8)) & ~drawn
            image[rim > 0] = np.clip(image[rim > 0].astype(np.int32) + 60, 0, 255).astype(np.uint8)
        elif edge == 1:  # a dark shadow the torn flap casts to one side
            shadow = np.roll(drawn, (2, 2), axis=(0, 1)) & ~drawn
            image[shadow > 0] = np.clip(image[shadow > 0].astype(np.int32) - 60, 0, 255).astype(np.uint8)
        tone = rng.uniform(200, 240) if rng.random() < 0.25 else rng.uniform(10, 120)
        image[drawn > 0] = np.clip(tone + rng.uniform(-8, 8, 3), 0, 255).astype(np.uint8)
    elif kind == "stain":
        shape = rng.integers(3)
        if shape == 0:  # a blotch of overlapping ellipses
            for _ in range(int(rng.integers(3, 8))):
                offset = rng.uniform(-0.3, 0.3, 2) * size
                axes = (max(1, int(size * rng.uniform(0.1, 0.3))), max(1, int(size * rng.uniform(0.08, 0.25))))
                cv2.ellipse(drawn, (int(cx + offset[0]), int(cy + offset[1])), axes, rng.uniform(0, 180), 0, 360, 255, -1)
        elif shape == 1:  # a noisy polygon
            corners = int(rng.integers(10, 21))
            turn = np.sort(rng.uniform(0, 2 * np.pi, corners))
            reach = size / 2 * rng.uniform(0.5, 1.0, corners)
            polygon = np.stack([cx + reach * np.cos(turn), cy + reach * np.sin(turn)], axis=1)
            cv2.fillPoly(drawn, [polygon.astype(np.int32)], 255)
        else:  # a cup's ring with a faint inside
            axes = (max(2, int(size / 2)), max(2, int(size / 2 * rng.uniform(0.7, 1.0))))
            cv2.ellipse(drawn, (int(cx), int(cy)), axes, rng.uniform(0, 180), 0, 360, 70, -1)
            cv2.ellipse(drawn, (int(cx), int(cy)), axes, rng.uniform(0, 180), 0, 360, 255, max(2, int(size * rng.uniform(0.06, 0.14))))
        soft = cv2.GaussianBlur(drawn.astype(np.float32) / 255, (0, 0), max(0.5, size * rng.uniform(0.01, 0.2)))
        cover = (rng.uniform(0.3, 0.85) * soft)[..., None]
        ink = np.clip(np.array(INKS[rng.integers(len(INKS))], np.float32) + rng.uniform(-8, 8, 3), 0, 255)
        base = image.astype(np.float32)
        if rng.random() < 0.4:  # soaked into the print: the ink multiplies it
            out = base * (1 - cover + cover * ink / 255)
        else:
            out = base * (1 - cover) + ink * cover
        image[:] = np.clip(np.rint(out), 0, 255).astype(np.uint8)
    else:  # dent: an elliptical Gaussian's shading, lit from any side
        long_axis = size / 4
        short_axis = long_axis * rng.uniform(0.5, 1.0)
        tilt, lit = rng.uniform(0, np.pi), rng.uniform(0, 2 * np.pi)
        yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
        dx, dy = xx - cx, yy - cy
        along, across = dx * np.cos(tilt) + dy * np.sin(tilt), -dx * np.sin(tilt) + dy * np.cos(tilt)
        bump = np.exp(-0.5 * ((along / long_axis) ** 2 + (across / short_axis) ** 2))
        shade = (dx * np.cos(lit) + dy * np.sin(lit)) * bump
        shade *= rng.uniform(25, 70) / max(float(np.abs(shade).max()), 1e-6)
        image[:] = np.clip(np.rint(image.astype(np.float32) + shade[..., None]), 0, 255).astype(np.uint8)


def varied_copy(
    rng: np.random.Generator, rgb: np.ndarray, seen: np.ndarray, product_side: float
) -> tuple[str, np.ndarray, list[int], bool] | None:
    """A copy damaged by the second painter (`paint_varied`), 10-35 % of the product's side, its centre any pixel
    of the part `seen` to be the product (a shelf photo's `lined_up` carton: not the hand or the shelf), its
    pixels clipped to that part. Returns the defect, the copy, the box of the pixels it visibly changed (as
    `paint`'s truth) and whether the defect is faint (`FAINT_LEVELS`); None when it changed no pixel visibly."""
    defect = DEFECTS[rng.integers(len(DEFECTS))]
    size = product_side * rng.uniform(0.10, 0.35)
    inside = cv2.distanceTransform(seen.astype(np.uint8), cv2.DIST_L2, 5)
    centre = inner_point(rng, inside >= 2, 0)
    if centre is None:
        return None
    painted = rgb.copy()
    paint_varied(rng, painted, defect, centre, size)
    painted[~seen] = rgb[~seen]
    change = np.abs(painted.astype(np.int32) - rgb).max(axis=2)
    ys, xs = np.nonzero(change > VISIBLE)
    if len(xs) == 0:
        return None
    faint = int((change > FAINT_LEVELS).sum()) < FAINT_PIXELS
    return defect, painted, [int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)], faint


SHEET_TILE = 256  # pixels: a contact sheet's tile


def crop(image: np.ndarray, truth: list[int]) -> np.ndarray:
    """The painted photo around its truth box (three times its side, at least 96 px), the box drawn 3 px outside
    the pixels it holds so as not to hide them, scaled to a contact sheet's tile."""
    x, y, w, h = truth
    side = max(96, 3 * max(w, h))
    x0, y0 = max(0, x + w // 2 - side // 2), max(0, y + h // 2 - side // 2)
    window = image[y0 : y0 + side, x0 : x0 + side].copy()
    cv2.rectangle(window, (x - x0 - 3, y - y0 - 3), (x - x0 + w + 2, y - y0 + h + 2), (0, 255, 0), 1)
    scale = SHEET_TILE / max(window.shape[:2])
    return cv2.resize(window, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST if scale > 1 else cv2.INTER_AREA)


def contact_sheet(crops: list[tuple[str, np.ndarray]], rng: np.random.Generator, path: Path, count: int = 24) -> bool:
    """`count` of the painted copies drawn at random, six a row, each labelled (product, photo, defect); whether
    the PNG was written."""
    chosen = sorted(rng.choice(len(crops), min(count, len(crops)), replace=False))
    rows = (len(chosen) + 5) // 6
    sheet = np.full((rows * (SHEET_TILE + 18), 6 * SHEET_TILE, 3), 255, np.uint8)
    for slot, pick in enumerate(chosen):
        label, tile = crops[pick]
        top, left = (slot // 6) * (SHEET_TILE + 18), (slot % 6) * SHEET_TILE
        sheet[top + 18 : top + 18 + tile.shape[0], left : left + tile.shape[1]] = tile
        cv2.putText(sheet, f"{pick} {label}", (left + 2, top + 13), cv2.FONT_HERSHEY_SIMPLEX, 0.38, (0, 0, 0), 1)
    return bool(cv2.imwrite(str(path), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR)))


def iou(a: list[int], b: list[int]) -> float:
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    inter = max(0, x1 - x0) * max(0, y1 - y0)
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def jpeg(image: np.ndarray, name: str, quality: int = 88) -> bytes:
    ok, data = cv2.imencode(".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok, name
    return data.tobytes()


def product_mask_in_photo(image: CatalogImage, to_photo: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    mask = product_mask(image, (image.width, image.height)).astype(np.uint8)
    return cv2.warpPerspective(mask, to_photo, size, flags=cv2.INTER_NEAREST).astype(bool)


def inner_point(rng: np.random.Generator, mask: np.ndarray, margin: int) -> tuple[float, float] | None:
    """A point of `mask` at least `margin` pixels inside it."""
    inner = cv2.erode(mask.astype(np.uint8), np.ones((2 * margin + 1,) * 2, np.uint8))
    ys, xs = np.nonzero(inner)
    if len(xs) == 0:
        return None
    pick = rng.integers(len(xs))
    return float(xs[pick]), float(ys[pick])


def one_photo(
    rng: np.random.Generator,
    product: str,
    kind: str,
    rgb: np.ndarray,
    image: CatalogImage,
    truth_to_photo: np.ndarray | None,
    on_shelf: Callable[[PaintedShelf], None] | None = None,
    edges: EdgeCopies | None = None,
    look: bool = True,
    varied: VariedCopies | None = None,
) -> Case | None:
    """Matches the photo, then judges: a painted defect, its undamaged copy, a region on and off the product, a zone.
    With `edges`, a second damaged copy painted in the edge band is judged and listed too; with `varied`, a copy
    damaged by the second painter (the bench's own copy is still painted, so the draw stays the bench's, and
    judged only if `varied.bench_judged`). Without `look`, nothing
    is proposed (the case has no IoU): the same photos are painted from the same draws, for a probe that proposes
    on a sample of them only."""
    clean = load_photo(jpeg(rgb, "clean"), "clean.jpg")
    features = photo_features(clean)
    match = matching.best_match(features, [image])
    if match is None or match.homography_full is None or match.inliers < rules.PASS_INLIERS:
        return None
    to_photo = match.homography_full if truth_to_photo is None else truth_to_photo
    size = (clean.width, clean.height)
    mask = product_mask_in_photo(image, to_photo, size)
    product_side = float(np.sqrt(mask.sum()))
    defect = DEFECTS[rng.integers(len(DEFECTS))]
    defect_size = product_side * rng.uniform(0.15, 0.3)
    centre = inner_point(rng, mask, int(defect_size * 0.8))
    if centre is None:
        return None
    damaged_rgb = rgb.copy()
    truth = paint(rng, damaged_rgb, defect, centre, defect_size)
    if truth is None:
        return None
    if on_shelf is not None and kind == "shelf":
        on_shelf(PaintedShelf(product, defect, truth, damaged_rgb, rgb, image))
    bench_judged = look and (varied is None or varied.bench_judged)
    proposal, declined, alignment = proposed(damaged_rgb, image, size) if bench_judged else (None, False, None)
    clean_proposal = propose(features, match, size, clean.working) if look else None
    clean_proposal = clean_proposal if isinstance(clean_proposal, Proposal) else None
    shape = ProductShape(image, read_zones(image.zones))
    inverse = np.linalg.inv(match.homography_full)
    box_side = int(defect_size)
    on_centre = inner_point(rng, mask, box_side)
    on_fail = False
    zone_right: bool | None = None
    if on_centre is not None:
        box = [int(on_centre[0] - box_side / 2), int(on_centre[1] - box_side / 2), box_side, box_side]
        placement = shape.place(project(box_corners(*box), inverse))
        finding = judged("x", placement, {}) if placement is not None else None
        on_fail = finding is not None and finding.status is Status.FAIL
        truth_zone = zone_at(image, project([on_centre], np.linalg.inv(to_photo))[0])
        if truth_zone is not None and finding is not None:
            zone_right = finding.details.get("zone") == truth_zone
    outside = cv2.dilate(mask.astype(np.uint8), np.ones((2 * box_side + 1,) * 2, np.uint8)) == 0
    off_centre = inner_point(rng, outside, box_side // 2 + 1)
    off_fail: bool | None = None
    if off_centre is not None:
        box = [int(off_centre[0] - box_side / 2), int(off_centre[1] - box_side / 2), box_side, box_side]
        placement = shape.place(project(box_corners(*box), inverse))
        off_fail = placement is not None and judged("x", placement, {}).status is Status.FAIL
    case = Case(
        product, kind, defect,
        None if proposal is None else iou(proposal.box, truth),
        None if proposal is None else proposal.strength,
        None if clean_proposal is None else clean_proposal.strength,
        on_fail, off_fail, zone_right, declined, alignment,
    )  # fmt: skip
    if varied is not None:
        carton = mask if truth_to_photo is not None else lined_up(rgb, varied.catalogs[product], to_photo, mask)
        painted_again = varied_copy(varied.rng, rgb, carton, product_side)
        if painted_again is not None:
            varied_defect, varied_rgb, varied_truth, faint = painted_again
            if varied.crops is not None:
                varied.crops.append((f"{product[:16]} {kind[:5]} {varied_defect}{' FAINT' if faint else ''}", crop(varied_rgb, varied_truth)))
            varied_proposal, varied_declined, varied_alignment = proposed(varied_rgb, image, size) if look else (None, False, None)
            varied.cases.append(replace(
                case, defect=varied_defect, iou=None if varied_proposal is None else iou(varied_proposal.box, varied_truth),
                strength=None if varied_proposal is None else varied_proposal.strength, declined=varied_declined,
                alignment=varied_alignment, painter="varied", faint=faint,
            ))  # fmt: skip
    if edges is not None:
        seen = mask if truth_to_photo is not None else lined_up(rgb, edges.catalogs[product], to_photo, mask)
        at_edge = edge_copy(edges.rng, rgb, image, to_photo, mask, seen, product_side)
        if at_edge is not None:
            edge_defect, edge_rgb, edge_truth = at_edge
            if edges.on_shelf is not None and kind == "shelf":
                edges.on_shelf(PaintedShelf(product, edge_defect, edge_truth, edge_rgb, rgb, image))
            edge_proposal, edge_declined, edge_alignment = proposed(edge_rgb, image, size) if look else (None, False, None)
            edges.cases.append(replace(
                case, defect=edge_defect, iou=None if edge_proposal is None else iou(edge_proposal.box, edge_truth),
                strength=None if edge_proposal is None else edge_proposal.strength, declined=edge_declined,
                alignment=edge_alignment, edge=True,
            ))  # fmt: skip
    return case


def proposed(damaged_rgb: np.ndarray, image: CatalogImage, size: tuple[int, int]) -> tuple[Proposal | None, bool, float | None]:
    """The look's proposal on a damaged photo (None: not matched, or declined), whether it declined, its alignment."""
    damaged = load_photo(jpeg(damaged_rgb, "damaged"), "damaged.jpg")
    damaged_features = photo_features(damaged)
    damaged_match = matching.best_match(damaged_features, [image])
    proposal = None
    if damaged_match is not None and damaged_match.homography_full is not None and damaged_match.inliers >= rules.PASS_INLIERS:
        proposal = propose(damaged_features, damaged_match, size, damaged.working)
    alignment = None if proposal is None else proposal.alignment
    return (proposal if isinstance(proposal, Proposal) else None), isinstance(proposal, Declined), alignment


LINED_UP = 45  # RGB levels (after the photo's colour cast is matched): a photo pixel this near the catalog's is the product's


def lined_up(rgb: np.ndarray, catalog_rgb: np.ndarray, to_photo: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The part of a shelf photo's projected outline where the photo shows the catalog's print (at a coarse scale,
    misregistration forgiven): a shelf photo's outline overshoots the carton onto the shelf and the hand, and
    an edge defect is painted on the carton, not there."""
    size = (rgb.shape[1], rgb.shape[0])
    sigma = max(1.0, 0.02 * float(np.sqrt(mask.sum())))
    photo = cv2.GaussianBlur(rgb.astype(np.float32), (0, 0), sigma)
    warped = cv2.GaussianBlur(cv2.warpPerspective(catalog_rgb, to_photo, size).astype(np.float32), (0, 0), sigma)
    cast = np.median(photo[mask], axis=0) / np.maximum(np.median(warped[mask], axis=0), 1.0)
    agrees = mask & (np.abs(photo - warped * cast).max(axis=2) < LINED_UP)
    square = np.ones((max(3, int(2 * sigma) | 1),) * 2, np.uint8)
    agrees = cv2.morphologyEx(agrees.astype(np.uint8), cv2.MORPH_CLOSE, square)
    agrees = cv2.morphologyEx(agrees, cv2.MORPH_OPEN, square) & mask
    count, labels, stats, _ = cv2.connectedComponentsWithStats(agrees)
    if count < 2:
        return np.zeros_like(mask)
    return labels == 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))


def edge_copy(
    rng: np.random.Generator, rgb: np.ndarray, image: CatalogImage, to_photo: np.ndarray, mask: np.ndarray,
    seen: np.ndarray, product_side: float,
) -> tuple[str, np.ndarray, list[int]] | None:
    """A damaged copy whose defect's centre lies in the product's edge band (within half the defect's size of
    the projected outline `mask`) on the part `seen` to be the product; the painted pixels are clipped to that
    part, so only the product is painted. Returns the defect, the copy and the box of the pixels it visibly changed."""
    defect = EDGE_DEFECTS[rng.integers(len(EDGE_DEFECTS))]
    defect_size = product_side * rng.uniform(0.15, 0.3)
    inside = cv2.distanceTransform(mask.astype(np.uint8), cv2.DIST_L2, 5)
    on_product = cv2.erode(seen.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    band = (inside >= 2) & (inside <= defect_size / 2) & on_product
    if defect == "crushed corner":
        centre = corner_point(rng, image, to_photo, band)
    else:
        centre = inner_point(rng, band, 0)
    if centre is None:
        return None
    painted = rgb.copy()
    if defect == "crushed corner":
        crush(rng, painted, centre, defect_size, mask)
    elif defect == "edge tear":
        x, y = int(centre[0]), int(centre[1])
        inward = np.array([cv2.Sobel(inside, cv2.CV_32F, 1, 0)[y, x], cv2.Sobel(inside, cv2.CV_32F, 0, 1)[y, x]])
        tear_along(rng, painted, centre, defect_size, inward)
    elif paint(rng, painted, defect, centre, defect_size) is None:
        return None
    painted[~seen] = rgb[~seen]
    ys, xs = np.nonzero(np.abs(painted.astype(np.int32) - rgb).max(axis=2) > VISIBLE)
    if len(xs) == 0:
        return None
    return defect, painted, [int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)]


def corner_point(rng: np.random.Generator, image: CatalogImage, to_photo: np.ndarray, band: np.ndarray) -> tuple[float, float] | None:
    """The edge band's point nearest one of the product's corners (its catalog bounding box's, projected)."""
    ys, xs = np.nonzero(product_mask(image, (image.width, image.height)))
    corners = [(xs.min(), ys.min()), (xs.max(), ys.min()), (xs.max(), ys.max()), (xs.min(), ys.max())]
    height, width = band.shape
    seen = [c for c in project(np.array(corners, np.float64), to_photo) if 0 <= c[0] < width and 0 <= c[1] < height]
    by, bx = np.nonzero(band)
    if not seen or len(bx) == 0:
        return None
    corner = seen[rng.integers(len(seen))]
    nearest = int(np.argmin((bx - corner[0]) ** 2 + (by - corner[1]) ** 2))
    return float(bx[nearest]), float(by[nearest])


def crush(rng: np.random.Generator, image: np.ndarray, centre: tuple[float, float], size: float, mask: np.ndarray) -> None:
    """A crushed corner's shading: the pressed-in corner darker towards its tip, a crease across it with a
    lit side, about `size` across."""
    ys, xs = np.nonzero(mask)
    inward = np.array([xs.mean() - centre[0], ys.mean() - centre[1]])
    inward /= max(float(np.hypot(*inward)), 1e-6)
    yy, xx = np.mgrid[0 : image.shape[0], 0 : image.shape[1]].astype(np.float32)
    along = (xx - centre[0]) * inward[0] + (yy - centre[1]) * inward[1]  # how far in from the corner's tip
    across = np.abs((xx - centre[0]) * -inward[1] + (yy - centre[1]) * inward[0])
    crease = size * rng.uniform(0.35, 0.55)
    near = (across < size * 0.7).astype(np.float32)
    pressed = np.clip(1 - along / crease, 0, 1) * (along > -size * 0.3) * near
    shade = -rng.uniform(45, 75) * pressed
    width = max(2.0, size / 20)
    shade += near * (-60 * np.exp(-((along - crease) ** 2) / (2 * width**2)) + 45 * np.exp(-((along - crease - 2 * width) ** 2) / (2 * width**2)))
    image[:] = np.clip(image.astype(np.float32) + shade[..., None], 0, 255).astype(np.uint8)


def tear_along(rng: np.random.Generator, image: np.ndarray, centre: tuple[float, float], size: float, inward: np.ndarray) -> None:
    """A tear running along the outline near `centre` (`inward` points into the product), drawn as `paint`'s tear."""
    normal = inward / max(float(np.hypot(*inward)), 1e-6)
    tangent = np.array([-normal[1], normal[0]])
    points = [np.array(centre) + tangent * (step * size / 5 - size / 2) + normal * rng.uniform(-0.15, 0.15) * size for step in range(6)]
    drawn = np.zeros(image.shape[:2], np.uint8)
    cv2.polylines(drawn, [np.array(points, np.int32).reshape(-1, 1, 2)], False, 255, max(2, int(size / 12)))
    rim = cv2.dilate(drawn, np.ones((5, 5), np.uint8)) & ~drawn
    image[rim > 0] = np.clip(image[rim > 0].astype(np.int32) + 70, 0, 255).astype(np.uint8)
    image[drawn > 0] = (35, 30, 28)


def zone_at(image: CatalogImage, point: np.ndarray) -> str | None:
    """The band a catalog point lies in, away from the bands' borders (ground truth for zones)."""
    for zone in read_zones(image.zones):
        (x0, y0), (x1, y1) = zone.polygon[0], zone.polygon[2]
        pad = 0.15 * (y1 - y0)
        if x0 <= point[0] <= x1 and y0 + pad <= point[1] <= y1 - pad:
            return zone.name
    return None


def run(
    root: Path, per_product: int, seed: int = 23, on_shelf: Callable[[PaintedShelf], None] | None = None,
    edges: EdgeCopies | None = None, look: bool = True, varied: VariedCopies | None = None,
    sets: tuple[str, ...] = SETS,
) -> list[Case]:
    """The draw's cases; `on_shelf` is handed each damaged shelf photo (the probes judge them again). With
    `edges`, each photo's copy damaged at the edge is judged too, into `edges.cases` (its own generator).
    With `varied`, each photo's copy damaged by the second painter too, into `varied.cases`. Without `look`,
    the photos are painted and nothing is proposed (`one_photo`). A set left out of `sets` is still painted,
    without the look, and its cases dropped: the random streams run as in a full draw, so the set judged
    holds the very photos and defects it holds there."""
    rng = np.random.default_rng(seed)
    folders = sorted(p for p in (root / "grocery").iterdir() if p.is_dir())
    shelf = [p for folder in folders for p in sorted(folder.glob("*_00?.jpg"))]
    cases: list[Case] = []
    for folder in folders:
        iconic = next(folder.glob("*_Iconic.jpg"))
        image = catalog_image(iconic)
        image = replace(image, zones=bands(image))
        catalog_rgb = cv2.cvtColor(cv2.imread(str(iconic)), cv2.COLOR_BGR2RGB)
        if edges is not None:
            edges.catalogs[folder.name] = catalog_rgb
        if varied is not None:
            varied.catalogs[folder.name] = catalog_rgb
        for _ in range(per_product):
            to_photo = place(rng, catalog_rgb, PHOTO_SIZE)
            photo = background(rng, [p for p in shelf if p.parent != folder], PHOTO_SIZE)
            warped = cv2.warpPerspective(catalog_rgb, to_photo, PHOTO_SIZE)
            inside = cv2.warpPerspective(np.full(catalog_rgb.shape[:2], 255, np.uint8), to_photo, PHOTO_SIZE) > 127
            photo[inside] = warped[inside]
            case = one_photo(rng, folder.name, "synthetic", light(rng, photo), image, to_photo, None, edges, look and "synthetic" in sets, varied)
            if case is not None:
                cases.append(case)
        for path in sorted(folder.glob("*_00?.jpg")):
            rgb = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
            case = one_photo(rng, folder.name, "shelf", rgb, image, None, on_shelf, edges, look and "shelf" in sets, varied)
            if case is not None:
                cases.append(case)
        print(f"  {folder.name}: {sum(c.product == folder.name for c in cases)} photos", file=sys.stderr)
    if sets != SETS:
        for collected in (edges.cases if edges is not None else [], varied.cases if varied is not None else []):
            collected[:] = [c for c in collected if c.kind in sets]
        cases = [c for c in cases if c.kind in sets]
    return cases


def fit(cases: list[Case]) -> float:
    clean = [c.clean_strength for c in cases if c.clean_strength is not None]
    return MARGIN * max(clean, default=0.0)


def score(cases: list[Case], threshold: float) -> dict[str, float]:
    n = len(cases)
    hit = [c for c in cases if c.iou is not None and c.iou >= 0.5]
    offs = [c for c in cases if c.off_fail is not None]
    zoned = [c for c in cases if c.zone_right is not None]
    proposed = [c for c in cases if not c.declined]
    return {
        "photos": n,
        "iou>=0.5": len(hit) / n,
        "declined": (n - len(proposed)) / n,
        "iou>=0.5 of the rest": len(hit) / max(len(proposed), 1),
        "iou>=0.5 & confident": sum(1 for c in hit if (c.strength or 0) >= threshold) / n,
        "undamaged confident": sum(1 for c in cases if (c.clean_strength or 0) >= threshold) / n,
        "on product: fail": sum(c.on_fail for c in cases) / n,
        "off product: fail": sum(1 for c in offs if c.off_fail) / max(len(offs), 1),
        "zone right": sum(1 for c in zoned if c.zone_right) / max(len(zoned), 1),
    }


def by_alignment(cases: list[Case]) -> None:
    """Hits on shelf photos by how well each aligns (the look's `alignment` of the damaged photo)."""
    edges = (0.0, 0.4, 0.5, 0.6, 0.7, 0.8, 1.01)
    shelf = [c for c in cases if c.kind == "shelf"]
    print("\n| shelf photos by alignment | photos | iou>=0.5 | declined |\n|---|---|---|---|")
    for low, high in zip(edges, edges[1:], strict=False):
        band = [c for c in shelf if c.alignment is not None and low <= c.alignment < high]
        hits = sum(1 for c in band if c.iou is not None and c.iou >= 0.5)
        print(f"| {low:.1f}-{min(high, 1.0):.1f} | {len(band)} | {hits} | {sum(c.declined for c in band)} |")
    unmeasured = [c for c in shelf if c.alignment is None]
    print(f"| not measured (no match or too little product) | {len(unmeasured)} | {sum(1 for c in unmeasured if c.iou is not None and c.iou >= 0.5)} | 0 |")


def shelf_by_defect(cases: list[Case], edge_cases: list[Case]) -> list[str]:
    """Shelf photos alone, by defect, as Markdown: hits of IoU >= 0.5 on half A's products, on half B's, on
    both, by default and at the edge. The rows "all, tear, ..." count synthetic photos too, and the goal for
    real shelf photos may be restated per defect (docs/measurements/location.md, "The shelf-photo goal")."""
    half_a, half_b = halves(c.product for c in cases + edge_cases)
    columns = ("A", "B", "both", "A at the edge", "B at the edge", "both at the edge")
    lines = ["| shelf photos, iou>=0.5 | " + " | ".join(columns) + " |", "|---|" + "---|" * len(columns)]
    for defect in EDGE_DEFECTS:
        cells = []
        for pool in (cases, edge_cases):
            shelf = [c for c in pool if c.kind == "shelf" and c.defect == defect]
            for products in (half_a, half_b, half_a | half_b):
                photos = [c for c in shelf if c.product in products]
                hits = sum(1 for c in photos if c.iou is not None and c.iou >= 0.5)
                cells.append(f"{hits} of {len(photos)} ({100 * hits / len(photos):.1f} %)" if photos else "—")
        lines.append(f"| {defect} | " + " | ".join(cells) + " |")
    return lines


PROPOSAL_COLUMNS = ("photos", "iou>=0.5", "declined", "iou>=0.5 of the rest", "iou>=0.5 & confident", "undamaged confident")


def table(rows: list[tuple[str, dict[str, float]]], columns: tuple[str, ...] | None = None) -> None:
    """The rows as a Markdown table; `columns` keeps those only (the edge set repeats the photos' given regions)."""
    names = list(columns or rows[0][1])
    print("| set | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    for label, row in rows:
        cells = [f"{row[n]:.0f}" if n == "photos" else f"{100 * row[n]:.1f} %" for n in names]
        print(f"| {label} | " + " | ".join(cells) + " |")


def cost(root: Path) -> None:
    """Milliseconds the look adds per photo beyond the relevance features, on a 12 MP JPEG."""
    rng = np.random.default_rng(7)
    iconic = next((root / "grocery" / "Alpro-Fresh-Soy-Milk").glob("*_Iconic.jpg"))
    image = catalog_image(iconic)
    image = replace(image, zones=bands(image))
    catalog_rgb = cv2.cvtColor(cv2.imread(str(iconic)), cv2.COLOR_BGR2RGB)
    size = (4000, 3000)
    to_photo = place(rng, catalog_rgb, size)
    photo = np.full((size[1], size[0], 3), 150, np.uint8)
    warped = cv2.warpPerspective(catalog_rgb, to_photo, size)
    inside = cv2.warpPerspective(np.full(catalog_rgb.shape[:2], 255, np.uint8), to_photo, size) > 127
    photo[inside] = warped[inside]
    loaded = load_photo(jpeg(light(rng, photo), "12mp", 92), "12mp.jpg")
    features = photo_features(loaded)
    match = matching.best_match(features, [image])
    assert match is not None and match.homography_full is not None
    region = project(box_corners(60, 60, 40, 40), match.homography_full)
    x0, y0 = region.min(axis=0)
    x1, y1 = region.max(axis=0)
    box = [int(x0), int(y0), int(x1 - x0), int(y1 - y0)]
    placing, proposing = [], []
    for _ in range(30):
        started = time.process_time()
        shape = ProductShape(image, read_zones(image.zones))
        shape.outline()
        placement = shape.place(project(box_corners(*box), np.linalg.inv(match.homography_full)))
        assert placement is not None
        judged("x", placement, {})
        placing.append((time.process_time() - started) * 1000)
        started = time.process_time()
        propose(features, match, (loaded.width, loaded.height), loaded.working)
        proposing.append((time.process_time() - started) * 1000)
    print(f"\n12 MP JPEG ({loaded.width}x{loaded.height}), CPU ms per photo, median of 30 (mean):")
    print(f"- a given region placed (outline, zones, on/off the product): {statistics.median(placing):.1f} ({statistics.mean(placing):.1f})")
    print(f"- a region proposed (warp, compare, place, size): {statistics.median(proposing):.1f} ({statistics.mean(proposing):.1f})")


def draw_arguments(description: str, per_product: int) -> argparse.ArgumentParser:
    """The corpus and the draw, as this bench and the probes that judge its draw again take them."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("root", nargs="?", type=Path,
                        default=ROOT.parent / "shared" / "corpora" / "product-matching",
                        help="the product-matching corpus (default: ../shared/corpora/product-matching)")
    parser.add_argument("--per-product", type=int, default=per_product, metavar="N",
                        help=f"synthetic photos made per product (default {per_product}); every aligned shelf photo is used")
    parser.add_argument("--seed", type=int, default=23, help="the draw (default 23; 24-28 are the other draws measured)")
    return parser


def halves(products: Iterable[str]) -> tuple[set[str], set[str]]:
    """Half A and half B of the products, every other one by name: the bench fits on one and scores
    the other, and the probes that judge its draw again count by the same halves."""
    ordered = sorted(set(products))
    return set(ordered[0::2]), set(ordered[1::2])


def corpus_or_exit(root: Path) -> None:
    """One line, exit 1, where a fresh clone has no ../shared beside it."""
    if not (root / "grocery").is_dir():
        sys.exit(f"no grocery corpus under {root} (a checkout wants ../shared/corpora/product-matching beside it)")


def report(cases: list[Case], edge_cases: list[Case]) -> None:
    """The tables of one painter's cases: the held-out halves, the shipped threshold's rows by defect, the
    photos by alignment, the edge set (when painted), the shelf photos alone by defect."""
    split = halves(c.product for c in cases)
    rows: list[tuple[str, dict[str, float]]] = []
    edge_rows: list[tuple[str, dict[str, float]]] = []
    for name, (fitted, held) in (("A->B", split), ("B->A", split[::-1])):
        threshold = fit([c for c in cases if c.product in fitted])
        held_cases = [c for c in cases if c.product in held]
        print(f"threshold fitted on {name.split('->')[0]}: {threshold:.2f}")
        rows.append((f"held-out {name[-1]} (fit {name[0]}), all", score(held_cases, threshold)))
        for kind in ("synthetic", "shelf"):
            subset = [c for c in held_cases if c.kind == kind]
            if subset:
                rows.append((f"held-out {name[-1]}, {kind}", score(subset, threshold)))
        for kind in ("synthetic", "shelf"):
            subset = [c for c in edge_cases if c.product in held and c.kind == kind]
            if subset:
                edge_rows.append((f"held-out {name[-1]}, {kind}, at the edge", score(subset, threshold)))
    rows.append((f"all, shipped threshold {CONFIDENT_STRENGTH}", score(cases, CONFIDENT_STRENGTH)))
    for defect in DEFECTS:
        subset = [c for c in cases if c.defect == defect]
        if subset:
            rows.append((f"all, {defect}, shipped threshold", score(subset, CONFIDENT_STRENGTH)))
    for defect in EDGE_DEFECTS:
        subset = [c for c in edge_cases if c.defect == defect]
        if subset:
            edge_rows.append((f"all at the edge, {defect}, shipped threshold", score(subset, CONFIDENT_STRENGTH)))
    print()
    table(rows)
    by_alignment(cases)
    if edge_rows:
        print("\nThe same photos, each damaged again with its defect's centre in the product's edge band (a set of its own):\n")
        table(edge_rows, PROPOSAL_COLUMNS)
    print("\nShelf photos alone, by defect (hits of photos; the halves as the held-out rows split them):\n")
    print("\n".join(shelf_by_defect(cases, edge_cases)))


def faint_apart(cases: list[Case]) -> None:
    """The second painter's faint defects (`FAINT_LEVELS`), left out of its tables: how many, and how many hit."""
    faint = [c for c in cases if c.faint]
    print(f"\nFaint defects, counted apart ({len(faint)} of {len(cases)} painted):")
    for defect in DEFECTS:
        for kind in ("synthetic", "shelf"):
            subset = [c for c in faint if c.defect == defect and c.kind == kind]
            if subset:
                hits = sum(1 for c in subset if c.iou is not None and c.iou >= 0.5)
                print(f"- {defect}, {kind}: {len(subset)} ({hits} hit)")


def main(argv: list[str]) -> int:
    parser = draw_arguments(__doc__.split("\n")[0], per_product=6)
    parser.add_argument("--dump", type=Path, metavar="FILE", help="write one row per case (tab-separated)")
    parser.add_argument("--painter", choices=("bench", "varied", "both"), default="bench",
                        help="who paints the defects: the bench's painter (default; its edge set too), the second "
                             "painter (`paint_varied`) on the same photos, or both, each in tables of its own")
    parser.add_argument("--sheet", type=Path, metavar="FILE",
                        help="paint the draw with the second painter without the look and write 24 of its photos, "
                             "the truth box drawn, as a PNG contact sheet (nothing is measured)")
    parser.add_argument("--sets", choices=(*SETS, "both"), default="both",
                        help="the photos judged (default both); the other set is still painted, unjudged, so the "
                             "photos and defects judged are the very ones of a full draw")
    runs = parser.add_mutually_exclusive_group()
    runs.add_argument("--no-cost", action="store_true", help="skip the 12 MP cost measure")
    runs.add_argument("--cost-only", action="store_true", help="only the 12 MP cost measure")
    args = parser.parse_args(argv)
    root, per_product, seed = args.root, args.per_product, args.seed
    corpus_or_exit(root)
    if args.sheet is not None and (args.sheet.suffix.lower() != ".png" or not args.sheet.parent.is_dir()):
        sys.exit(f"--sheet {args.sheet}: expected a .png file in a folder that exists")
    cv2.setNumThreads(1)
    if args.sheet is not None:
        painted = VariedCopies(np.random.default_rng((seed, VARIED_STREAM)), [], False, crops=[])
        run(root, per_product, seed, look=False, varied=painted)
        assert painted.crops is not None
        if not contact_sheet(painted.crops, np.random.default_rng(seed), args.sheet):
            sys.exit(f"--sheet {args.sheet}: could not be written")
        print(f"{args.sheet}: 24 of {len(painted.crops)} painted copies ({sum(c.faint for c in painted.cases)} faint)")
        return 0
    if not args.cost_only:
        bench = args.painter in ("bench", "both")
        edges = EdgeCopies(np.random.default_rng((seed, EDGE_STREAM)), []) if bench else None
        varied = None if args.painter == "bench" else VariedCopies(np.random.default_rng((seed, VARIED_STREAM)), [], bench)
        sets = SETS if args.sets == "both" else (args.sets,)
        cases = run(root, per_product, seed, edges=edges, varied=varied, sets=sets)
        if bench:
            if varied is not None:
                print("\n## The bench's painter\n")
            report(cases, edges.cases if edges is not None else [])
        if varied is not None:
            print("\n## The second painter (`paint_varied`), faint defects apart\n")
            report([c for c in varied.cases if not c.faint], [])
            faint_apart(varied.cases)
        if args.dump:
            dumped = (cases + (edges.cases if edges is not None else []) if bench else []) + (varied.cases if varied is not None else [])
            with open(args.dump, "w") as out:
                for c in dumped:
                    print(c.product, c.kind, c.defect, c.iou, c.strength, c.clean_strength, c.on_fail, c.off_fail, c.zone_right, c.declined, c.alignment, c.edge, c.painter, c.faint, sep="\t", file=out)
    if not args.no_cost:
        cost(root)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
