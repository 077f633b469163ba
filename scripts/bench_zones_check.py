"""What the zones check of a catalog import costs beside the measuring it precedes.

    .venv/bin/python scripts/bench_zones_check.py [../shared/corpora/product-matching] [--side 2000] [--count 20]

`importing.checked_zones` opens each image that carries zones before any row is stored, to bound
its zones by the image's size; the measuring opens it again. Takes `--count` grocery pictures of the
corpus, each with one zone, at their own size and redrawn at `--side` px as JPEG and as PNG (which has
no reduced decode) in a scratch folder, and times, in this process, the check over them and then
`service.measure_catalog_uploads` over the same images.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from PIL import Image

from evidence_check.engine import Upload
from evidence_check.importing import checked_zones
from evidence_check.service import limits_from, measure_catalog_uploads
from evidence_check.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def timed(images: list[Path]) -> tuple[float, float]:
    limits = limits_from(Settings())
    started = time.perf_counter()
    for path in images:
        checked_zones({"seam": [0, 0, 10, 10]}, [str(path)], lambda name: (Path(name).read_bytes(), None), limits)
    check = time.perf_counter() - started
    started = time.perf_counter()
    measure_catalog_uploads([Upload(p.name, p.read_bytes(), None) for p in images], None, limits, False)
    return check, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=ROOT.parent / "shared/corpora/product-matching")
    parser.add_argument("--side", type=int, default=2000, help="side of the redrawn copies, px")
    parser.add_argument("--count", type=int, default=20, help="zoned images")
    args = parser.parse_args()
    originals = sorted((args.corpus / "grocery").glob("*/*.jpg"))[: args.count]
    print(f"{'images':<26} {'zones check':>11} {'measuring':>10} {'check share':>11}")
    with tempfile.TemporaryDirectory() as scratch:
        sets = {"corpus JPEG (198-348 px)": originals}
        for kind in ("jpg", "png"):
            copies = []
            for i, path in enumerate(originals):
                copy = Path(scratch) / f"{i}.{kind}"
                Image.open(path).convert("RGB").resize((args.side, args.side)).save(copy, quality=90)
                copies.append(copy)
            sets[f"{kind.upper()} {args.side} px"] = copies
        for label, images in sets.items():
            check, measure = timed(images)
            print(f"{label:<26} {check:>10.2f}s {measure:>9.2f}s {check / (check + measure):>10.1%}")


if __name__ == "__main__":
    main()
