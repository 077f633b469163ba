"""Clones the going-on rule (`copy_move.MAX_GOING_ON`) might take for a print's period (a probe).

Each edited picture is searched by `find_clone` twice: as built, and with the rule off (the share
set to 1, as before the rule); a clone found without the rule and not with it is lost.

- `--stamped`: a patch of a drawn gravel texture stamped once, twice or three times in a row (a
  damage longer than the good patch beside it), away from the frame's edge and from it.
- `--smooth-places`: on each of the corpora's camera JPEGs, 3 % patches taken where the photo is
  smoothest yet holds an edge or a gradient (3-25 % of the window's pixels with a gradient above
  20 grey levels), copied 1.3 sides away along the local edges (both ways) and across them: where
  smooth blocks look alike one shift further.

    nice -n 10 .venv/bin/python scripts/probe_going_on_attacks.py --stamped --smooth-places
"""

from __future__ import annotations

import argparse
import io
import math
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "fixtures"))
sys.path.insert(0, str(ROOT / "scripts"))

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from make_integrity_fixtures import with_thumbnail  # noqa: E402
from PIL import Image  # noqa: E402
from probe_clone_patterns import commonest_shifts  # noqa: E402

from evidence_check.checks.integrity.cloned_region import MIN_CLONE_PAIRS  # noqa: E402
from evidence_check.evaluation.quiet_edits import camera_jpegs, save_edited  # noqa: E402
from evidence_check.imaging import copy_move  # noqa: E402
from evidence_check.imaging.load import PhotoError, load_photo  # noqa: E402

BUILT = copy_move.MAX_GOING_ON


def searched(data: bytes) -> tuple[dict[str, int], float]:
    """Matches on the kept shift, as built and with the rule off; the share going on on the shift
    kept with the rule off (what `fit_going_on.py --stamped` reads)."""
    photo = load_photo(data, "IMG_0001.jpg")
    found = {}
    for name, share in (("built", BUILT), ("off", 1.0)):
        copy_move.MAX_GOING_ON = share
        match = copy_move.find_clone(photo.working)
        found[name] = match.pairs if match else 0
    copy_move.MAX_GOING_ON = BUILT
    kept = next((shift for shift in commonest_shifts(photo)[1] if not shift.period), None)
    return found, kept.continues if kept else 0.0


def stamped() -> Iterator[tuple[str, bytes]]:
    for seed in (3, 5, 11, 13):
        for side, (dx, dy) in ((60, (80, 0)), (70, (0, 90)), (60, (75, 40)), (50, (-70, 60))):
            for top in (150 if dy == 0 else 120, 20):
                for times in (1, 2, 3):
                    rng = np.random.default_rng(seed)
                    coarse = rng.normal(0, 1, (120, 160, 3)).astype(np.float32)
                    smooth = cv2.GaussianBlur(cv2.resize(coarse, (640, 480), interpolation=cv2.INTER_CUBIC), (0, 0), 2)
                    pixels = 128 + 45 * smooth / smooth.std() + rng.normal(0, 4, smooth.shape)
                    left = 200 if dx >= 0 else 440
                    patch = pixels[top : top + side, left : left + side].copy()
                    for k in range(1, times + 1):
                        pixels[top + k * dy : top + k * dy + side, left + k * dx : left + k * dx + side] = patch
                    photo = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
                    name = f"seed {seed}, {side} px by {dx},{dy}, top {top}, {times}x"
                    yield name, with_thumbnail(photo, photo, preview_quality=85)


def smooth_places(corpora: Path) -> Iterator[tuple[str, bytes]]:
    for path in camera_jpegs(corpora):
        data = path.read_bytes()
        try:
            with Image.open(io.BytesIO(data)) as opened:
                image = opened.convert("RGB")
        except OSError:
            continue
        w, h = image.size
        side = max(4, round((0.03 * w * h) ** 0.5))
        scale = 256 / max(w, h)
        grey = np.asarray(image.convert("L"), np.float32)
        small = cv2.resize(grey, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
        gx, gy = cv2.Sobel(small, cv2.CV_32F, 1, 0), cv2.Sobel(small, cv2.CV_32F, 0, 1)
        s = max(2, round(side * scale))
        edged = cv2.boxFilter((np.hypot(gx, gy) > 20).astype(np.float32), -1, (s, s), anchor=(0, 0))
        inside = np.zeros(edged.shape, bool)
        inside[: small.shape[0] - s, : small.shape[1] - s] = True
        places = np.argwhere(inside & (edged > 0.03) & (edged < 0.25))
        rng = np.random.default_rng(len(path.name))
        for pick in rng.choice(len(places), min(3, len(places)), replace=False) if len(places) else []:
            y0, x0 = places[pick]
            jx, jy = gx[y0 : y0 + s, x0 : x0 + s], gy[y0 : y0 + s, x0 : x0 + s]
            across = 0.5 * math.atan2(2 * (jx * jy).sum(), (jx * jx).sum() - (jy * jy).sum())
            for way, bearing in (("along", across + math.pi / 2), ("along back", across - math.pi / 2), ("across", across)):  # fmt: skip
                sx, sy = round(x0 / scale), round(y0 / scale)
                tx, ty = sx + round(1.3 * side * math.cos(bearing)), sy + round(1.3 * side * math.sin(bearing))
                if 0 <= tx <= w - side and 0 <= ty <= h - side:
                    edited = image.copy()
                    edited.paste(image.crop((sx, sy, sx + side, sy + side)), (tx, ty))
                    try:
                        yield f"{path.name} {way} ({sx},{sy})->({tx},{ty})", save_edited(edited, data)
                    except TypeError:  # an EXIF Pillow reads as None cannot be written back
                        break


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stamped", action="store_true")
    parser.add_argument("--smooth-places", action="store_true")
    parser.add_argument("--corpora", type=Path, default=ROOT.parent / "shared" / "corpora")
    args = parser.parse_args()
    kinds = {"stamped": stamped() if args.stamped else iter(()),
             "smooth places": smooth_places(args.corpora) if args.smooth_places else iter(())}  # fmt: skip
    totals = []
    print(f"MAX_GOING_ON {BUILT}; found: {MIN_CLONE_PAIRS} matches or more\n\n| case | rule off | built | going on, rule off | |\n|---|---|---|---|---|")
    for kind, cases in kinds.items():
        count = found_off = lost = 0
        for name, data in cases:
            try:
                found, going_on = searched(data)
            except PhotoError:
                continue
            off, built = found["off"] >= MIN_CLONE_PAIRS, found["built"] >= MIN_CLONE_PAIRS
            count, found_off, lost = count + 1, found_off + off, lost + (off and not built)
            print(f"| {kind}: {name} | {found['off']} | {found['built']} | {going_on:.1%} "
                  f"| {'**lost**' if off and not built else ''} |", flush=True)  # fmt: skip
        totals.append(f"| {kind} | {count} | {found_off} | {lost} |")
    print("\n| kind | clones | found with the rule off | lost with it |\n|---|---|---|---|", *totals, sep="\n")


if __name__ == "__main__":
    main()
