"""What one small `POST /v1/catalog/import` costs the server: an intake that adds catalog images one
call at a time pays it on every call.

    .venv/bin/python scripts/bench_import_one.py [--posts 6]

One server in this process (FastAPI's TestClient, a fresh SQLite store) is sent `--posts` + 1
archives of one image each, every one a new SKU and a new fixture image, with reindex=false so that
only the import is timed; the first is not counted (the server's first import). Prints each post's
wall time and CPU time, this process's and its ended children's (the measuring process a request
starts since s31-h4). To time another checkout, run it from there with `PYTHONPATH=.`.
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import statistics
import tempfile
import time
import zipfile
from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from evidence_check.settings import Settings
from evidence_check.store import Store

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "images"
LOOPBACK = ("127.0.0.1", 50000)  # no API key yet: the server answers on loopback only


def cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def one_image_archive(sku: str, image: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("manifest.jsonl", json.dumps({"sku": sku, "images": [image.name]}) + "\n")
        archive.writestr(image.name, image.read_bytes())
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=6, help="posts timed (at most 12)")
    args = parser.parse_args()
    images = sorted(p for p in FIXTURES.glob("*.jpg") if p.name.startswith(("exif_", "genuine", "no_exif", "IMG")))
    images = images[: min(args.posts, 12) + 1]
    walls, cpus = [], []
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/store.sqlite3"
        store = Store(url)
        try:
            with TestClient(create_app(Settings(db=url), store), base_url="http://127.0.0.1:8000", client=LOOPBACK) as client:
                for number, image in enumerate(images):
                    archive = one_image_archive(f"S-{number}", image)
                    used, started = cpu_seconds(), time.perf_counter()
                    answer = client.post(
                        "/v1/catalog/import",
                        files=[("archive", ("catalog.zip", archive, "application/zip"))],
                        data={"reindex": "false"},
                    )
                    wall, cpu = time.perf_counter() - started, cpu_seconds() - used
                    if answer.status_code != 200 or answer.json()["images"] != 1:
                        raise SystemExit(f"bench_import_one: {answer.status_code} {answer.text}")
                    if number:
                        walls.append(wall)
                        cpus.append(cpu)
        finally:
            store.close()
    print(f"{len(walls)} one-image imports")
    print("wall s: " + ", ".join(f"{w:.2f}" for w in walls) + f"  (median {statistics.median(walls):.2f})")
    print("CPU s:  " + ", ".join(f"{c:.2f}" for c in cpus) + f"  (median {statistics.median(cpus):.2f})")


if __name__ == "__main__":
    main()
