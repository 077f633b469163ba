"""Probe: the reuse look on screenshots of a photo's shape, where a screen is told from a product on
a white backdrop by its edges (`screen_picture.MIN_EDGE_SHARE`), not by its aspect.

Two kinds, over bench_reuse's 203 originals (indexed as stock photos, as the bench does):

- **tablet**: bench_reuse's own loop (`default_rng(2026)`, every edit of `TRANSFORMS` drawn in order
  so the draws are the bench's) with the phone screens replaced by tablets' 3:4 ones; the
  `screenshot png` and `screenshot small` edits are looked up.
- **square**: each original shown at 25 % of a phone screen's width (`phone_screen`, one
  `default_rng(2026)` for the run) and the screenshot cut square, twice the photo's long side,
  around it, as a user trims a screenshot to the review.

- **photos**: no lookup; every camera photo of the corpora (`PHOTO_FOLDERS`: the eval's genuine
  photos, HEIC and the rest, the grocery shelf photos and packshots, the doorstep and box photos) run
  through `screen_picture.find`: how many reach the card's gate (things around a busy part, no bar),
  how many it passes (a box where main hashed the whole frame), fitted products and held-out ones
  apart (grocery: `held_out_products`; the rest: every second name), and the CPU `find` costs a photo.

Prints, per kind, how many copies were found (confirmed as the bench confirms), how many were no
candidate at all, the misses, and any other picture confirmed. `--no-edge-rule` sets MIN_EDGE_SHARE
to 0 (the screen test before it); `--no-card` refuses every card (`_carded`: the gate before it).

    nice -n 10 .venv/bin/python scripts/probe_photo_shaped_screens.py [--kind tablet|square|photos] [--limit N]
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_reuse import CORPORA, T0, _confirmed, _miss, _wrong, originals  # noqa: E402

from evidence_check.evaluation import held_out_products  # noqa: E402
from evidence_check.imaging import screen_picture, transforms  # noqa: E402
from evidence_check.imaging.load import load_photo  # noqa: E402
from evidence_check.measure import Measurements  # noqa: E402
from evidence_check.references import references_for  # noqa: E402
from evidence_check.store import Store  # noqa: E402

TABLETS = ((1536, 2048), (2048, 1536), (1080, 1440))
PHONES = transforms._SCREENS
SQUARE_SHARE = 0.25
PHOTO_FOLDERS = ("exif-camera-jpegs", "heif-avif-webp", "damaged-packages", "product-matching", "near-duplicates", "c2pa")
PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".heic", ".heif", ".hif", ".webp", ".avif", ".tif", ".tiff", ".mpo", ".gif"}


def square_crop(image: Image.Image, rng: np.random.Generator) -> bytes:
    screen, (x, y, w, h) = transforms.phone_screen(image, rng, share=SQUARE_SHARE)
    side = min(2 * max(w, h), screen.width, screen.height)
    cx, cy = x + w // 2, y + h // 2
    left = min(max(0, cx - side // 2), screen.width - side)
    top = min(max(0, cy - side // 2), screen.height - side)
    out = io.BytesIO()
    screen.crop((left, top, left + side, top + side)).save(out, "PNG")
    return out.getvalue()


def queries(kind: str, source: Image.Image, rng: np.random.Generator) -> list[tuple[str, bytes]]:
    # Set on every call: left at the tablets, the square crops of a run after them were cut from tablets.
    transforms._SCREENS = TABLETS if kind == "tablet" else PHONES  # type: ignore[assignment]
    if kind == "square":
        return [("square crop", square_crop(source, rng))]
    wanted = []
    for name, edit in transforms.TRANSFORMS.items():
        data = edit(source, rng)  # every edit drawn: the rng's draws stay bench_reuse's
        if name in ("screenshot png", "screenshot small"):
            wanted.append((name, data))
    return wanted


def look_into_photos(paths: list[Path]) -> None:
    """The card's gate on camera photos: reached, passed, per half, and `find`'s CPU per photo."""
    held = held_out_products(CORPORA)
    others = sorted({p.stem for p in paths if "grocery" not in p.parts})
    held |= set(others[1::2])
    reached: dict[bool, list[str]] = defaultdict(list)
    passed: dict[bool, list[str]] = defaultdict(list)
    counted: dict[bool, int] = defaultdict(int)
    spent = []
    carded = screen_picture._carded
    seen: list[bool] = []

    def spied(shape: tuple[int, int], box: tuple[int, int, int, int], region: np.ndarray) -> bool:
        seen.append(carded(shape, box, region))
        return seen[-1]

    screen_picture._carded = spied  # type: ignore[assignment]
    for path in paths:
        try:
            photo = load_photo(path.read_bytes(), path.name)
        except Exception as error:  # the corpora hold hostile files on purpose
            print(f"  not a photo: {path.relative_to(CORPORA)} ({type(error).__name__})")
            continue
        grey = np.asarray(photo.working.convert("L"))
        product = path.parent.name if "grocery" in path.parts else path.stem
        half = product in held
        counted[half] += 1
        seen.clear()
        start = time.process_time()
        trimmed, _ = screen_picture.trim_borders(grey)
        inside = screen_picture.find(grey, bordered=trimmed.shape != grey.shape)
        spent.append(1000 * (time.process_time() - start))
        name = str(path.relative_to(CORPORA))
        if seen:
            reached[half].append(name)
        if any(seen):
            passed[half].append(f"{name} -> {inside}")
    screen_picture._carded = carded  # type: ignore[assignment]
    for half, label in ((False, "fitted"), (True, "held out")):
        print(f"\nphotos, {label}: {counted[half]} photos, {len(reached[half])} reach the card's gate, "
              f"{len(passed[half])} pass it")
        for line in passed[half]:
            print(f"  card: {line}")
    spent.sort()
    print(f"\ntrim and find, CPU ms a photo: median {statistics.median(spent):.2f}, "
          f"90th percentile {spent[int(0.9 * (len(spent) - 1))]:.2f}, most {spent[-1]:.2f} ({len(spent)} photos)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", choices=("tablet", "square", "photos"), action="append")
    parser.add_argument("--limit", type=int)
    parser.add_argument("--no-edge-rule", action="store_true")
    parser.add_argument("--no-card", action="store_true")
    args = parser.parse_args()
    if args.no_edge_rule:
        screen_picture.MIN_EDGE_SHARE = 0.0
    if args.no_card:
        screen_picture._carded = lambda *_: False  # type: ignore[assignment]
    kinds = args.kind or ["tablet", "square", "photos"]
    if "photos" in kinds:
        found_photos = sorted(
            p for folder in PHOTO_FOLDERS for p in (CORPORA / folder).rglob("*") if p.suffix.lower() in PHOTO_SUFFIXES
        )
        look_into_photos(found_photos[: args.limit])
        kinds = [k for k in kinds if k != "photos"]
        if not kinds:
            return
    paths = originals()[: args.limit]
    with tempfile.TemporaryDirectory() as folder:
        store = Store(f"sqlite:///{folder}/probe.sqlite3")
        references = references_for(store)
        photos = {}
        for path in paths:
            photo = load_photo(path.read_bytes(), path.name)
            ref_id = str(path.relative_to(CORPORA))
            references.add("probe", "stock", ref_id, photo, T0)
            photos[ref_id] = photo
        for kind in kinds:
            rng = np.random.default_rng(2026)
            found: dict[str, int] = defaultdict(int)
            total: dict[str, int] = defaultdict(int)
            notes = []
            never = 0
            for ref_id, photo in photos.items():
                for name, data in queries(kind, photo.full, rng):
                    query = Measurements(load_photo(data, "edited"))
                    examined = references.examine("probe", query)
                    hits = _confirmed(examined, query)
                    total[name] += 1
                    if any(m.entry.ref_id == ref_id for m in hits):
                        found[name] += 1
                    else:
                        notes.append("missed: " + _miss(name, ref_id, examined))
                        never += all(m.entry.ref_id != ref_id for m in examined)
                    notes += ["wrong: " + _wrong(name, ref_id, m) for m in hits if m.entry.ref_id != ref_id]
            print(f"\n{kind}: {', '.join(f'{n} {found[n]}/{total[n]}' for n in total)}; no candidate at all: {never}")
            for line in notes:
                print(f"  {line}")
        store.close()


if __name__ == "__main__":
    main()
