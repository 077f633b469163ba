"""Does `integrity.cloned_region` warn on honest camera photos of patterned products? (a probe)

A printed or woven product repeats one motif exactly (a monogram canvas, a check, a stripe, a knit,
a printed floral, a tiled wall behind the item); a camera then adds what an edit lacks: lens blur,
perspective or drape, uneven light, sensor noise, its own JPEG. Each photo here is built so — the
motif tiled through a map of the frame (slant, perspective, folds), light and noise added, saved
as a camera JPEG with EXIF and its thumbnail as `scripts/bench_integrity.py`'s 12 MP photo is — and
goes through the whole integrity check (`integrity.check`, the real path). Optionally real photos
too (`--photo`, photos of the corpora showing patterns), and as a control the edits the signal is for
(`--clones`: a 3 % patch cloned on each of the corpora's camera JPEGs, as the quiet-edit bench does,
and one cloned from beside itself; `--clone-on-prints`: the drawn prints with such a patch instead).
`--uneven-drape` gives the draped prints folds of random lengths instead of an exact sine.

Prints one row per photo: the check's status and whether `cloned_region` fired, the matches on its
shift, and what the period rules (`imaging.copy_move._clone_shift`) saw among the commonest shifts:
each one's count, the strongest other shift along its line (P: a period by that), and the share of
its pairs where the likeness goes on one shift further (G: a period by that).

    nice -n 10 .venv/bin/python scripts/probe_clone_patterns.py [--only stripes knit] [--shape flat] [--size 640x480]
        [--uneven-drape] [--clones] [--clone-on-prints] [--photo FILE ...]
"""

from __future__ import annotations

import argparse
import io
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "fixtures"))

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from evidence_check.checks import integrity  # noqa: E402
from evidence_check.checks.context import CheckContext  # noqa: E402
from evidence_check.checks.integrity.cloned_region import MIN_CLONE_PAIRS  # noqa: E402
from evidence_check.evaluation.quiet_edits import camera_jpegs, paint, save_edited  # noqa: E402
from evidence_check.imaging import copy_move  # noqa: E402
from evidence_check.imaging.load import Photo, PhotoError, load_photo  # noqa: E402
from evidence_check.models import Claim, Timeline  # noqa: E402
from evidence_check.settings import Settings  # noqa: E402

PATTERNS = ("monogram", "gingham", "stripes", "knit", "floral", "tiles")
# The motif's period as a share of the frame's width: a fine print, a shirt's check, a large motif.
SCALES = (1 / 70, 1 / 28, 1 / 11)
# flat: the product laid flat, photographed straight down; slant: turned 8 degrees and seen at a
# perspective; draped: folds displace the print by up to ~1.5 % of the frame and shade it.
SHAPES = ("flat", "slant", "draped")
SIZES = ((4032, 3024), (640, 480))  # a phone's photo (searched halved twice), an old camera's (unhalved)


@dataclass(frozen=True)
class Case:
    pattern: str
    scale: float
    shape: str
    size: tuple[int, int]
    seed: int

    @property
    def name(self) -> str:
        return f"{self.pattern} 1/{round(1 / self.scale)} {self.shape} {self.size[0]}x{self.size[1]}"


def cases() -> list[Case]:
    found = []
    seed = 0
    for pattern in PATTERNS:
        for scale in SCALES:
            for shape in SHAPES:
                for size in SIZES:
                    found.append(Case(pattern, scale, shape, size, seed))
                    seed += 1
    return found


def motif(pattern: str, side: int, rng: np.random.Generator) -> np.ndarray:
    """One period of the print, RGB float, `side` pixels square: tiled it repeats seamlessly."""
    big = max(side, 64)  # drawn large, then shrunk as a print's artwork is, so fine prints stay smooth
    colours = rng.uniform(40, 220, (4, 3))
    tile = np.empty((big, big, 3), np.float32)
    tile[:] = colours[0]
    y, x = np.mgrid[0:big, 0:big] / big
    if pattern == "monogram":  # a canvas with a letter pair and a four-petal flower, half-dropped
        canvas = tile.astype(np.uint8)  # OpenCV draws text on 8-bit pictures only
        for cx, cy in ((0.25, 0.25), (0.75, 0.75)):
            cv2.putText(canvas, "LV", (int((cx - 0.18) * big), int((cy + 0.1) * big)),
                        cv2.FONT_HERSHEY_TRIPLEX, big / 110, colours[1].tolist(), max(1, big // 40))  # fmt: skip
        for cx, cy in ((0.75, 0.25), (0.25, 0.75)):
            for angle in range(0, 360, 90):
                px = cx + 0.09 * math.cos(math.radians(angle))
                py = cy + 0.09 * math.sin(math.radians(angle))
                cv2.circle(canvas, (int(px * big), int(py * big)), max(2, big // 14), colours[2].tolist(), -1)
        tile = canvas.astype(np.float32)
    elif pattern == "gingham":  # two crossing bands, darker where they cross
        band_x, band_y = (x % 1) < 0.5, (y % 1) < 0.5
        tile[band_x] = tile[band_x] * 0.6 + colours[1] * 0.4
        tile[band_y] = tile[band_y] * 0.6 + colours[1] * 0.4
        tile[(np.abs(x - 0.5) < 0.04)] = colours[2]
    elif pattern == "stripes":
        tile[(x % 1) < 0.35] = colours[1]
        tile[np.abs(x - 0.6) < 0.05] = colours[2]
    elif pattern == "knit":  # rows of V stitches, each stitch shaded across like a loop of yarn
        for half in (0, 1):
            arm = np.abs((x - 0.25 - 0.5 * half) * 2 - (y - 0.5) * 0.8)
            loop = np.clip(1 - arm / 0.22, 0, 1) * (np.abs(x - 0.25 - 0.5 * half) < 0.25)
            tile += (loop[..., None] * (colours[1] - colours[0]) * 0.8).astype(np.float32)
        tile *= (0.85 + 0.15 * np.cos(2 * np.pi * y))[..., None]
    elif pattern == "floral":  # a printed repeat of five-petal flowers at random places of the tile
        for _ in range(9):
            cx, cy = rng.uniform(0, big, 2)
            colour = colours[1 + int(rng.integers(3))].tolist()
            for petal in range(5):
                bearing = petal * 72.0 + rng.uniform(0, 30)
                centre = (int(cx + big * 0.05 * math.cos(math.radians(bearing))),
                          int(cy + big * 0.05 * math.sin(math.radians(bearing))))  # fmt: skip
                axes = (max(2, int(big * 0.05)), max(1, int(big * 0.025)))
                for ox in (-big, 0, big):  # drawn wrapped, so the tile joins its neighbours seamlessly
                    for oy in (-big, 0, big):
                        cv2.ellipse(tile, (centre[0] + ox, centre[1] + oy), axes, bearing, 0, 360, colour, -1)
    elif pattern == "tiles":  # square tiles, grey grout, a printed glaze mottling the same on each
        glaze = cv2.GaussianBlur(rng.normal(0, 1, (big, big)).astype(np.float32), (0, 0), big / 20)
        tile += (12 * glaze / glaze.std())[..., None]
        tile[(x < 0.05) | (y < 0.05)] = colours[3]
    return np.asarray(cv2.resize(tile, (side, side), interpolation=cv2.INTER_AREA), np.float32)


def _fold_phase(
    rng: np.random.Generator, length: int, folds: float, phase: float, uneven: bool
) -> Callable[[np.ndarray], np.ndarray]:
    """The phase of `folds` folds across `length` pixels, as a function of the position: an exact sine
    (every fold the same length), or with `uneven` each fold 0.6-1.4 times the mean length, as cloth
    falls."""
    if not uneven:
        return lambda at: 2 * np.pi * folds * at / length + phase
    lengths = length / folds * rng.uniform(0.6, 1.4, int(2 * folds) + 4)
    knots = np.concatenate([[0.0], np.cumsum(lengths)]) - lengths[0] * rng.uniform(0, 1) - length * 0.1
    return lambda at: np.interp(at, knots, 2 * np.pi * np.arange(len(knots)) + phase).astype(np.float32)


def photograph(case: Case, uneven_drape: bool = False) -> bytes:
    """The print tiled across the frame through the case's slant or drape, lit unevenly, blurred by a
    lens, with sensor noise, saved as a camera JPEG with EXIF and a 160x120 thumbnail."""
    from make_integrity_fixtures import with_thumbnail

    rng = np.random.default_rng(case.seed)
    w, h = case.size
    period = max(4, round(case.scale * w))
    tile = motif(case.pattern, period, rng)
    x: np.ndarray
    y: np.ndarray
    x, y = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    shade: np.ndarray | float = 1.0
    if case.shape == "slant":
        angle = math.radians(8)
        depth = 1 + 0.35 * y / h  # the far edge (top) smaller: seen at a perspective
        u = (x - w / 2) * depth
        v = y * (1 + 0.2 * y / h)
        x, y = u * math.cos(angle) - v * math.sin(angle), u * math.sin(angle) + v * math.cos(angle)
    elif case.shape == "draped":
        folds = rng.uniform(2, 5)
        phase = rng.uniform(0, 2 * np.pi)
        across, down = _fold_phase(rng, w, folds, phase, uneven_drape), _fold_phase(rng, h, 1.7, phase, uneven_drape)
        wave = np.sin(across(x) + 0.8 * np.sin(2 * np.pi * y / h))
        x = x + 0.015 * w * wave
        y = y + 0.006 * w * np.cos(down(y))
        shade = 0.8 + 0.2 * np.cos(across(x))
    pixels: np.ndarray = cv2.remap(tile, x.astype(np.float32), y.astype(np.float32), cv2.INTER_LINEAR,
                       borderMode=cv2.BORDER_WRAP)  # fmt: skip
    # Light from one side and a lens's vignetting: the same motif is a few per cent brighter here than there.
    gx, gy = (
        np.arange(w, dtype=np.float32)[None, :] / w - 0.5,
        np.arange(h, dtype=np.float32)[:, None] / h - 0.5,
    )
    side = 1 + 0.25 * rng.uniform(-1, 1) * gx + 0.15 * rng.uniform(-1, 1) * gy
    vignette = 1 - 0.25 * (gx**2 + gy**2)
    pixels = pixels * (shade * side * vignette)[..., None]
    pixels = cv2.GaussianBlur(pixels, (0, 0), 0.8)
    pixels = pixels + 3 * rng.standard_normal(pixels.shape, dtype=np.float32)
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    return with_thumbnail(image, image, quality=92)


def near_clone(data: bytes, seed: int, share: float) -> bytes:
    """A patch of `share` of the frame copied from 1.3 of its sides away in a random direction, as a
    clone stamp takes the texture beside the damage it hides: the place one shift past the copy is
    in the frame, unlike most of `paint`'s far clones (the going-on rule's hard case)."""
    with Image.open(io.BytesIO(data)) as opened:
        image = opened.convert("RGB")
    rng = np.random.default_rng(seed)
    w, h = image.size
    side = max(4, round((share * w * h) ** 0.5))
    while True:
        sx, sy = int(rng.integers(0, w - side)), int(rng.integers(0, h - side))
        bearing = rng.uniform(0, 2 * np.pi)
        dx, dy = sx + round(1.3 * side * math.cos(bearing)), sy + round(1.3 * side * math.sin(bearing))
        if 0 <= dx <= w - side and 0 <= dy <= h - side:
            break
    image.paste(image.crop((sx, sy, sx + side, sy + side)), (dx, dy))
    return save_edited(image, data)


@dataclass(frozen=True)
class Shift:
    shift: tuple[int, int]
    count: int
    along: int  # matches on the strongest other shift along its line (the period rule's evidence)
    # Of its matched pairs (source, copy), the share where the likeness goes on one shift further: the
    # block a shift past the copy matches the copy, or the block a shift before the source matches
    # the source. A repeating print goes on; a clone stamp copies once.
    continues: float

    @property
    def period(self) -> bool:
        return self.along * copy_move.PERIOD_SHARE >= self.count

    @property
    def goes_on(self) -> bool:
        return self.continues > copy_move.MAX_GOING_ON


def commonest_shifts(photo: Photo) -> tuple[int, list[Shift]]:
    """The compared candidate pairs and the `PERIOD_CANDIDATES` commonest shifts of the matches, as
    `copy_move.find_clone` counts them (its own steps, read here, not changed)."""
    smooth = copy_move.searched_copy(photo.working)
    h, _ = smooth.shape
    ys, xs, keys = copy_move._block_codes(smooth)
    if len(keys) < 2:
        return 0, []
    first, second = copy_move._at_most(*copy_move._candidate_pairs(ys, xs, keys), copy_move.MAX_CANDIDATES)
    compared = len(first)
    close = copy_move._close(smooth, ys, xs, first, second)
    first, second = first[close], second[close]
    if len(first) == 0:
        return compared, []
    dx, dy = xs[second] - xs[first], ys[second] - ys[first]
    flip = (dx < 0) | ((dx == 0) & (dy < 0))
    dx, dy = np.where(flip, -dx, dx), np.where(flip, -dy, dy)
    sources = np.where(flip, second, first)
    codes, inverse, counts = np.unique(dx * (2 * h + 1) + (dy + h), return_inverse=True, return_counts=True)
    shifts = np.stack([codes // (2 * h + 1), codes % (2 * h + 1) - h], axis=1)
    on_shift = inverse.ravel()
    lengths = np.hypot(shifts[:, 0], shifts[:, 1])
    found = []
    for index in np.argsort(-counts)[: copy_move.PERIOD_CANDIDATES]:
        shift = shifts[index]
        across = np.abs(shifts[:, 0] * shift[1] - shifts[:, 1] * shift[0]) / lengths[index]
        along = (across <= 1.5) & (np.abs(shifts - shift).max(axis=1) > 2) & (lengths > 0)
        strongest = int(counts[along].max()) if along.any() else 0
        goes_on = copy_move.likeness_going_on(smooth, ys, xs, sources[on_shift == index], shift)
        found.append(Shift((int(shift[0]), int(shift[1])), int(counts[index]), strongest, goes_on))
    return compared, found


def probe(name: str, data: bytes, context: CheckContext, claim: Claim) -> tuple[bool, str]:
    photo = load_photo(data, "IMG_0001.jpg")
    finding = integrity.check(photo, claim, context)
    fired = "cloned_region" in finding.details.get("flags", [])
    measured = finding.details.get("copy_move", {})
    compared, shifts = commonest_shifts(photo)
    seen = "; ".join(
        f"{s.shift[0]},{s.shift[1]}: {s.count} vs {s.along}{' P' if s.period else ''} {s.continues:.1%}"
        f"{' G' if s.goes_on else ''}"
        for s in shifts
    )
    kept = next((s for s in shifts if not s.period and not s.goes_on), None)  # the shift find_clone measures
    searched = "copy_move" in finding.details  # camera JPEGs only: others are not looked at
    row = (
        f"| {name} | {finding.status.value} `{finding.code.removeprefix('integrity.')}` "
        f"| {'**warn**' if fired else '-' if searched else 'not searched'} | {measured.get('pairs', '-')} "
        f"| {','.join(map(str, measured.get('shift', []))) or '-'} "
        f"| {f'{kept.continues:.0%}' if kept else '-'} | {compared:,} | {seen or '-'} |"
    )
    return fired, row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=PATTERNS, nargs="*", help="these patterns' photos only")
    parser.add_argument("--shape", choices=SHAPES, help="one shape's photos only")
    parser.add_argument("--size", choices=[f"{w}x{h}" for w, h in SIZES], help="one size's photos only")
    parser.add_argument(
        "--uneven-drape", action="store_true", help="folds of random lengths instead of an exact sine"
    )
    parser.add_argument("--photo", type=Path, nargs="*", default=[], help="real photos to probe as well")
    parser.add_argument(
        "--clones",
        action="store_true",
        help="also a 3 %% patch cloned on each camera JPEG of the corpora (the edits the signal is for)",
    )
    parser.add_argument(
        "--clone-on-prints",
        action="store_true",
        help="instead of each drawn print, the same photo with a 3 %% patch of it cloned beside itself",
    )
    parser.add_argument("--corpora", type=Path, default=ROOT.parent / "shared" / "corpora")
    args = parser.parse_args()
    context = CheckContext(settings=Settings(), now=datetime.now(UTC))
    claim = Claim(claim_id="probe", timeline=Timeline())
    print(f"threshold: {MIN_CLONE_PAIRS} matches on one shift; a shift is a period when another along "
          f"its line holds 1/{copy_move.PERIOD_SHARE} as many (P)\n")  # fmt: skip
    print("| photo | integrity (its code) | cloned_region | matches on its shift | shift | goes on one shift further "
          "| pairs compared "
          "| commonest shifts: count vs strongest along its line |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    fired_on, total = [], 0
    clones_fired, clones = 0, 0
    by: dict[str, list[int]] = {}  # "pattern monogram" -> [warned, photos]
    for case in cases():
        if (
            (args.only and case.pattern not in args.only)
            or (args.shape and case.shape != args.shape)
            or (args.size and case.name.split()[-1] != args.size)
        ):
            continue
        data = photograph(case, args.uneven_drape)
        if args.clone_on_prints:  # the print's photo with a patch of it cloned: is the clone still found?
            on_print, row = probe(f"near clone 3 % on {case.name}", near_clone(data, case.seed, 0.03), context, claim)
            print(row, flush=True)
            clones += 1
            clones_fired += on_print
            continue
        fired, row = probe(case.name, data, context, claim)
        print(row, flush=True)
        total += 1
        if fired:
            fired_on.append(case.name)
        for key in (f"pattern {case.pattern}", f"period 1/{round(1 / case.scale)} of the width",
                    f"shape {case.shape}", f"size {case.size[0]}x{case.size[1]}"):  # fmt: skip
            by.setdefault(key, [0, 0])
            by[key][0] += fired
            by[key][1] += 1
    for path in args.photo:
        try:
            fired, row = probe(path.name, path.read_bytes(), context, claim)
        except PhotoError as error:
            print(f"| {path.name} | unreadable: {error} | | | | | | |")
            continue
        print(row, flush=True)
        total += 1
        if fired:
            fired_on.append(path.name)
    for path in camera_jpegs(args.corpora) if args.clones else []:
        data = path.read_bytes()
        try:
            original = integrity.check(load_photo(data, path.name), claim, context)
        except PhotoError:
            continue
        if "copy_move" not in original.details:  # no camera exposure tags: never searched
            continue
        for name, edited in ((f"clone 3 % {path.name}", paint(data, "clone", 7, 0.03)),
                             (f"near clone 3 % {path.name}", near_clone(data, len(path.name), 0.03))):  # fmt: skip
            fired, row = probe(name, edited, context, claim)
            print(row, flush=True)
            clones += 1
            clones_fired += fired
    if args.clones or args.clone_on_prints:
        print(f"\nclones: cloned_region warned on {clones_fired} of {clones}")
    print(f"\ncloned_region warned on {len(fired_on)} of {total}" + "".join(f"\n- {n}" for n in fired_on))
    print("\n| drawn photos by | warned |\n|---|---|")
    for key, (warned, photos) in by.items():
        print(f"| {key} | {warned}/{photos} |")


if __name__ == "__main__":
    main()
