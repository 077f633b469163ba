"""What a reader finds by eye on the bench's damaged shelf photos, beside what the location look finds
(docs/measurements/location.md, "What a reader finds by eye on the same photos").

    .venv/bin/python scripts/probe_location_by_eye.py sheets DIR [--seeds 23-28] [--per-defect 10]
    .venv/bin/python scripts/probe_location_by_eye.py zoom DIR N X0 Y0 X1 Y1
    .venv/bin/python scripts/probe_location_by_eye.py score DIR GUESSES [GUESSES ...]

`sheets` paints `bench_location.py`'s draws unchanged (the same photos, defects and places), samples the same
number of damaged shelf photos of each defect, runs the look on those only (the draws' other photos are
painted, not judged: a few minutes in all), and writes one sheet per photo: the catalog image beside the photo at twice its size, with a ruler in photo pixels. The
truth and the look's IoU go to DIR/key.json: do not open it before guessing. `zoom` enlarges a part of
photo N with the same ruler. The guesses file has one line per sheet, `N X Y W H` (the box in photo
pixels) or `N none`; one file per reader. `score` prints, by defect, the photos each reader boxed at IoU >= 0.5,
those every reader and any reader boxed, the look's, and the look's among each of those.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import json
import random
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_location as bench  # noqa: E402

SCALE, MARGIN = 2, 40
RED, BLACK = (0, 0, 200), (0, 0, 0)


def ruled(photo: np.ndarray, origin: tuple[int, int], scale: int, margin: int) -> np.ndarray:
    """The photo enlarged on a white margin, ticks every 10 photo pixels, labels every 20 (every 40 when small)."""
    h, w = photo.shape[:2]
    big = cv2.resize(photo, (w * scale, h * scale), interpolation=cv2.INTER_CUBIC)
    sheet = np.full((h * scale + 2 * margin, w * scale + 2 * margin, 3), 255, np.uint8)
    sheet[margin : margin + h * scale, margin : margin + w * scale] = big
    label_every = 40 if scale < 3 else 20
    x0, y0 = origin
    for v in range(0, 10_000, 10):
        if x0 <= v <= x0 + w:
            x = margin + (v - x0) * scale
            cv2.line(sheet, (x, margin - 6), (x, margin), BLACK, 1)
            cv2.line(sheet, (x, margin + h * scale), (x, margin + h * scale + 6), BLACK, 1)
            if v % label_every == 0:
                cv2.putText(sheet, str(v), (x - 10, margin - 12), cv2.FONT_HERSHEY_SIMPLEX, 0.35, RED, 1)
        if y0 <= v <= y0 + h:
            y = margin + (v - y0) * scale
            cv2.line(sheet, (margin - 6, y), (margin, y), BLACK, 1)
            cv2.line(sheet, (margin + w * scale, y), (margin + w * scale + 6, y), BLACK, 1)
            if v % label_every == 0:
                cv2.putText(sheet, str(v), (2, y + 4), cv2.FONT_HERSHEY_SIMPLEX, 0.35, RED, 1)
    return sheet


def seeds(text: str) -> list[int]:
    first, _, last = text.partition("-")
    return list(range(int(first), int(last or first) + 1))


def sheets(args: argparse.Namespace) -> int:
    bench.corpus_or_exit(args.root)
    cv2.setNumThreads(1)
    photos = []  # (seed, index in the draw's damaged shelf photos, painted photo)
    for seed in seeds(args.seeds):
        painted: list[bench.PaintedShelf] = []
        cases = bench.run(args.root, args.per_product, seed, on_shelf=painted.append, look=False)
        assert len([c for c in cases if c.kind == "shelf"]) == len(painted), "one painted photo per shelf case"
        photos += [(seed, i, p) for i, p in enumerate(painted)]
    rng = random.Random(args.sample_seed)
    picked = []
    for defect in sorted({p.defect for _, _, p in photos}):
        picked += rng.sample([t for t in photos if t[2].defect == defect], args.per_defect)
    rng.shuffle(picked)
    args.out.mkdir(parents=True, exist_ok=True)
    key = []
    for n, (seed, i, p) in enumerate(picked):
        proposal, _, _ = bench.proposed(p.damaged, p.image, (p.damaged.shape[1], p.damaged.shape[0]))
        look_iou = None if proposal is None else bench.iou(proposal.box, p.truth)
        photo = cv2.cvtColor(p.damaged, cv2.COLOR_RGB2BGR)
        sheet = ruled(photo, (0, 0), SCALE, MARGIN)
        catalog = cv2.imread(str(args.root / "grocery" / p.image.sku / p.image.filename))
        height = photo.shape[0] * SCALE
        catalog = cv2.resize(
            catalog,
            (round(catalog.shape[1] * height / catalog.shape[0]), height),
            interpolation=cv2.INTER_AREA,
        )
        beside = np.full((sheet.shape[0], catalog.shape[1] + 20, 3), 255, np.uint8)
        beside[MARGIN : MARGIN + height, 10 : 10 + catalog.shape[1]] = catalog
        cv2.imwrite(str(args.out / f"{n:02d}.png"), np.hstack([beside, sheet]))
        cv2.imwrite(str(args.out / f"{n:02d}.photo.png"), photo)
        key.append(
            {
                "n": n,
                "seed": seed,
                "index": i,
                "product": p.product,
                "defect": p.defect,
                "truth": [int(v) for v in p.truth],
                "look_iou": look_iou,
            }
        )
    (args.out / "key.json").write_text(json.dumps(key, indent=1))
    print(f"{len(picked)} sheets in {args.out}; guess before opening key.json")
    return 0


def zoom(args: argparse.Namespace) -> int:
    photo = cv2.imread(str(args.out / f"{args.n:02d}.photo.png"))
    if photo is None:
        sys.exit(f"no photo {args.n} in {args.out} (run `sheets` first)")
    part = photo[args.y0 : args.y1, args.x0 : args.x1]
    scale = max(1, 700 // max(part.shape[:2]))
    cv2.imwrite(str(args.out / "zoom.png"), ruled(part, (args.x0, args.y0), scale, 30))
    print(args.out / "zoom.png")
    return 0


def read_guesses(path: Path, key: dict[int, dict[str, object]]) -> dict[int, list[int] | None]:
    guesses: dict[int, list[int] | None] = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        words = line.split("#")[0].split()
        if not words:
            continue
        if not (words[1:] == ["none"] or len(words) == 5) or not all(w.isdigit() for w in words if w != "none"):
            sys.exit(f"{path}:{number}: expected 'N X Y W H' or 'N none', found {line.strip()!r}")
        guesses[int(words[0])] = None if words[1] == "none" else [int(v) for v in words[1:]]
    if set(guesses) != set(key):
        sys.exit(f"{path} names sheets {sorted(set(guesses) ^ set(key))} the key does not, or misses them")
    return guesses


def score(args: argparse.Namespace) -> int:
    """By defect: the photos each reader boxed, those every reader and any reader boxed, the look's, and the
    look's among each of those sets (a goal restated as a share of what readers box is read there)."""
    key = {k["n"]: k for k in json.loads((args.out / "key.json").read_text())}
    readers = [read_guesses(path, key) for path in args.guesses]
    names = [f"reader {i + 1}" for i in range(len(readers))] + (["all", "any"] if len(readers) > 1 else [])
    counts: dict[str, list[int]] = {}  # per defect: photos, boxed by each name, the look, the look of each name's
    for n, k in sorted(key.items()):
        eyes = [guess is not None and bench.iou(guess, k["truth"]) >= 0.5 for guess in (r[n] for r in readers)]
        if len(eyes) > 1:
            eyes += [all(eyes), any(eyes)]
        look = k["look_iou"] is not None and k["look_iou"] >= 0.5
        row = counts.setdefault(k["defect"], [0] * (2 + 2 * len(names)))
        for i, value in enumerate([True, *eyes, look, *(look and eye for eye in eyes)]):
            row[i] += value
    for i, path in enumerate(args.guesses):
        print(f"reader {i + 1}: {path}")
    columns = ["photos", *(f"by {name}" for name in names), "the look", *(f"the look, of {name}'s" for name in names)]
    print("\n| defect | " + " | ".join(columns) + " |")
    print("|---|" + "---|" * len(columns))
    total = [sum(row[i] for row in counts.values()) for i in range(len(columns))]
    for defect, row in [*sorted(counts.items()), ("all", total)]:
        print(f"| {defect} | " + " | ".join(str(v) for v in row) + " |")
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("sheets")
    make.add_argument("out", type=Path)
    make.add_argument(
        "root",
        nargs="?",
        type=Path,
        default=bench.ROOT.parent / "shared" / "corpora" / "product-matching",
        help="the product-matching corpus (default: ../shared/corpora/product-matching)",
    )
    make.add_argument(
        "--per-product",
        type=int,
        default=3,
        help="synthetic photos per product, as the bench's draw (default 3)",
    )
    make.add_argument("--seeds", default="23-28", help="the draws sampled (default 23-28)")
    make.add_argument("--per-defect", type=int, default=10, help="photos of each defect (default 10)")
    make.add_argument("--sample-seed", type=int, default=17)
    look = commands.add_parser("zoom")
    look.add_argument("out", type=Path)
    for name in ("n", "x0", "y0", "x1", "y1"):
        look.add_argument(name, type=int)
    judge = commands.add_parser("score")
    judge.add_argument("out", type=Path)
    judge.add_argument("guesses", type=Path, nargs="+", help="one file of boxes per reader")
    args = parser.parse_args(argv)
    return {"sheets": sheets, "zoom": zoom, "score": score}[args.command](args)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
