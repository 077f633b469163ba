"""What a bulk catalog import costs: wall time by number of measuring processes, and run again.

    .venv/bin/python scripts/bench_import.py [../shared/corpora/product-matching] [--jobs 1 2 ...] [--images N]

Every grocery product becomes one SKU with all its pictures (the web-shop image and the five shelf
photos: 31 SKUs, 186 images; with `--images N` the first products' first N), written to a CSV
manifest and imported with `evidence-check catalog import` into a fresh SQLite store once per
`--jobs` value (default: 1 and one per CPU); then the last import is run again, which measures
nothing it already holds. Times include starting the command and the reindex every import ends
with; CPU is the command's and its measuring processes'.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

COMMAND = [sys.executable, "-m", "evidence_check"]


def manifest(root: Path, folder: Path, most: int | None) -> tuple[Path, int, int]:
    """A manifest of the corpus's products, their first `most` images (None: all); returns it with
    its SKU and image counts."""
    path = folder / "products.csv"
    skus = images = 0
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["sku", "name", "category", "images"])
        # Absolute: the manifest's paths are read relative to it, in a folder of its own.
        for product in sorted(p for p in (root.resolve() / "grocery").iterdir() if p.is_dir()):
            if most is not None and images >= most:
                break
            pictures = sorted(str(p) for p in product.glob("*.jpg"))[: None if most is None else most - images]
            writer.writerow([product.name, product.name.replace("-", " "), "", ";".join(pictures)])
            skus += 1
            images += len(pictures)
    return path, skus, images


def timed_import(products: Path, url: str, jobs: int) -> tuple[float, float, str]:
    """Wall seconds, CPU seconds (the command's and its measuring processes') and its first line."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [*COMMAND, "catalog", "import", str(products), "--jobs", str(jobs), "--db", url],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - used.ru_utime - used.ru_stime
    if done.returncode != 0:
        sys.exit(f"bench_import: the import failed: {done.stderr.strip().splitlines()[-1]}")
    return seconds, cpu, done.stdout.strip().splitlines()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", default=ROOT.parent / "shared" / "corpora" / "product-matching", type=Path)
    parser.add_argument("--jobs", nargs="+", type=int, default=[1, len(os.sched_getaffinity(0))])
    parser.add_argument("--images", type=int, help="the first products' first N images only (default: all)")
    args = parser.parse_args()
    if not (args.corpus / "grocery").is_dir():
        sys.exit(f"bench_import: no grocery/ folder in {args.corpus}")
    with tempfile.TemporaryDirectory() as folder:
        products, skus, images = manifest(args.corpus, Path(folder), args.images)
        print(f"{skus} SKUs, {images} images")
        url = ""
        for jobs in dict.fromkeys(args.jobs):
            url = f"sqlite:///{Path(folder) / f'jobs{jobs}.db'}"
            seconds, cpu, said = timed_import(products, url, jobs)
            print(
                f"--jobs {jobs}: {seconds:6.1f} s wall, {1000 * seconds / images:5.0f} ms an image, "
                f"{cpu:6.1f} s CPU  ({said})"
            )
        seconds, cpu, said = timed_import(products, url, args.jobs[-1])
        print(f"again:   {seconds:6.1f} s wall, {cpu:6.1f} s CPU  ({said})")


if __name__ == "__main__":
    main()
