"""Probe: the reuse look on screenshots of a photo's shape, where a screen is told from a product on
a white backdrop by its edges (`screen_picture.MIN_EDGE_SHARE`), not by its aspect.

Two kinds, over bench_reuse's 203 originals (indexed as stock photos, as the bench does):

- **tablet**: bench_reuse's own loop (`default_rng(2026)`, every edit of `TRANSFORMS` drawn in order
  so the draws are the bench's) with the phone screens replaced by tablets' 3:4 ones; the
  `screenshot png` and `screenshot small` edits are looked up.
- **square**: each original shown at 25 % of a phone screen's width (`phone_screen`, one
  `default_rng(2026)` for the run) and the screenshot cut square, twice the photo's long side,
  around it, as a user trims a screenshot to the review.

Prints, per kind, how many copies were found (confirmed as the bench confirms), the misses, and any
other picture confirmed. `--no-edge-rule` sets MIN_EDGE_SHARE to 0 (the screen test before it).

    nice -n 10 .venv/bin/python scripts/probe_photo_shaped_screens.py [--kind tablet|square] [--limit N]
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_reuse import CORPORA, T0, _confirmed, _miss, _wrong, originals  # noqa: E402

from evidence_check.imaging import screen_picture, transforms  # noqa: E402
from evidence_check.imaging.load import load_photo  # noqa: E402
from evidence_check.measure import Measurements  # noqa: E402
from evidence_check.references import references_for  # noqa: E402
from evidence_check.store import Store  # noqa: E402

TABLETS = ((1536, 2048), (2048, 1536), (1080, 1440))
PHONES = transforms._SCREENS
SQUARE_SHARE = 0.25


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", choices=("tablet", "square"), action="append")
    parser.add_argument("--limit", type=int)
    parser.add_argument("--no-edge-rule", action="store_true")
    args = parser.parse_args()
    if args.no_edge_rule:
        screen_picture.MIN_EDGE_SHARE = 0.0
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
        for kind in args.kind or ["tablet", "square"]:
            rng = np.random.default_rng(2026)
            found: dict[str, int] = defaultdict(int)
            total: dict[str, int] = defaultdict(int)
            notes = []
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
                    notes += ["wrong: " + _wrong(name, ref_id, m) for m in hits if m.entry.ref_id != ref_id]
            print(f"\n{kind}: {', '.join(f'{n} {found[n]}/{total[n]}' for n in total)}")
            for line in notes:
                print(f"  {line}")
        store.close()


if __name__ == "__main__":
    main()
