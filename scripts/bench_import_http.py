"""What a catalog import over HTTP costs: `POST /v1/catalog/import` of the grocery corpus as one
zip, to a fresh `evidence-check serve` on loopback (SQLite), then the same archive again.

    .venv/bin/python scripts/bench_import_http.py [../shared/corpora/product-matching]

The archive holds the manifest of scripts/bench_import.py (31 SKUs, 186 images) and the images.
One request measures in one thread of one server process (the command line's `--jobs` spreads the
work over processes); the server's CPU time is the figure to compare on a shared machine. Also
printed: the thumbnails the import stored, their count and sizes.
"""

from __future__ import annotations

import argparse
import csv
import io
import sqlite3
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_import import COMMAND  # noqa: E402
from process_stats import cpu_seconds  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def archive(root: Path) -> tuple[bytes, int, int]:
    products = sorted(p for p in (root / "grocery").iterdir() if p.is_dir())
    rows = io.StringIO()
    writer = csv.writer(rows)
    writer.writerow(["sku", "name", "category", "images"])
    buffer = io.BytesIO()
    images = 0
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for product in products:
            pictures = sorted(product.glob("*.jpg"))
            for picture in pictures:
                out.write(picture, f"{product.name}/{picture.name}")
            writer.writerow([product.name, product.name.replace("-", " "), "", ";".join(f"{product.name}/{p.name}" for p in pictures)])
            images += len(pictures)
        out.writestr("manifest.csv", rows.getvalue())
    return buffer.getvalue(), len(products), images


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", default=ROOT.parent / "shared" / "corpora" / "product-matching", type=Path)
    args = parser.parse_args()
    if not (args.corpus / "grocery").is_dir():
        sys.exit(f"bench_import_http: no grocery/ folder in {args.corpus}")
    body, skus, images = archive(args.corpus)
    print(f"{skus} SKUs, {images} images, archive {len(body) / 2**20:.1f} MB")
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "http.db"
        port = 18765
        server = subprocess.Popen([*COMMAND, "serve", "--port", str(port), "--db", f"sqlite:///{db}", "--log-level", "warning"])
        try:
            url = f"http://127.0.0.1:{port}"
            for _ in range(600):
                try:
                    if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.5)
            for label in ("first", "again"):
                started, cpu_before = time.perf_counter(), cpu_seconds(server.pid) or 0.0
                answer = httpx.post(f"{url}/v1/catalog/import", files={"archive": ("catalog.zip", body)}, timeout=3600)
                seconds, cpu = time.perf_counter() - started, (cpu_seconds(server.pid) or 0.0) - cpu_before
                said = answer.json()
                if answer.status_code != 200:
                    sys.exit(f"bench_import_http: {answer.status_code} {said}")
                known = sum(row["known"] for row in said["rows"])
                print(f"{label}: {seconds:6.1f} s wall, server CPU {cpu:6.1f} s, {1000 * cpu / images:5.0f} ms CPU an image "
                      f"({said['skus']} SKUs, {said['images']} new, {known} held, reindexed {said['reindexed']})")
        finally:
            server.terminate()
            server.wait(timeout=30)
        with sqlite3.connect(db) as connection:
            count, total, largest = connection.execute("SELECT count(*), sum(length(data)), max(length(data)) FROM thumbnails").fetchone()
        print(f"thumbnails: {count}, {total / count / 1024:.1f} kB on average, {largest / 1024:.1f} kB at most")


if __name__ == "__main__":
    main()
