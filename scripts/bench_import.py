"""What a bulk catalog import costs: wall time by number of measuring processes, and run again.

    .venv/bin/python scripts/bench_import.py [../shared/corpora/product-matching] [--jobs 1 2 ...]

Every grocery product becomes one SKU with all its pictures (the web-shop image and the five shelf
photos: 31 SKUs, 186 images), written to a CSV manifest and imported with `evidence-check catalog
import` into a fresh SQLite store once per `--jobs` value (default: 1 and one per CPU); then the
last import is run again, which measures nothing it already holds. Times include starting the
command and the reindex every import ends with.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

COMMAND = [sys.executable, "-m", "evidence_check"]


def manifest(root: Path, folder: Path) -> tuple[Path, int, int]:
    """A manifest of the corpus's products; returns it with its SKU and image counts."""
    path = folder / "products.csv"
    skus = images = 0
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["sku", "name", "category", "images"])
        for product in sorted(p for p in (root / "grocery").iterdir() if p.is_dir()):
            pictures = sorted(str(p) for p in product.glob("*.jpg"))
            writer.writerow([product.name, product.name.replace("-", " "), "", ";".join(pictures)])
            skus += 1
            images += len(pictures)
    return path, skus, images


def timed_import(products: Path, url: str, jobs: int) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(
        [*COMMAND, "catalog", "import", str(products), "--jobs", str(jobs), "--db", url],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"bench_import: the import failed: {done.stderr.strip().splitlines()[-1]}")
    return seconds, done.stdout.strip().splitlines()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", default=ROOT.parent / "shared" / "corpora" / "product-matching", type=Path)
    parser.add_argument("--jobs", nargs="+", type=int, default=[1, len(os.sched_getaffinity(0))])
    args = parser.parse_args()
    if not (args.corpus / "grocery").is_dir():
        sys.exit(f"bench_import: no grocery/ folder in {args.corpus}")
    with tempfile.TemporaryDirectory() as folder:
        products, skus, images = manifest(args.corpus, Path(folder))
        print(f"{skus} SKUs, {images} images")
        url = ""
        for jobs in dict.fromkeys(args.jobs):
            url = f"sqlite:///{Path(folder) / f'jobs{jobs}.db'}"
            seconds, said = timed_import(products, url, jobs)
            print(f"--jobs {jobs}: {seconds:6.1f} s wall, {1000 * seconds / images:5.0f} ms an image  ({said})")
        seconds, said = timed_import(products, url, args.jobs[-1])
        print(f"again:   {seconds:6.1f} s wall  ({said})")


if __name__ == "__main__":
    main()
