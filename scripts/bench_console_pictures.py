"""What the console's pictures cost a server: the form's preview of a photo (`upload_preview`, which
HEIC needs) and the error-level view of a kept photo (`error_levels` on the full-resolution photo,
shown at most 1600 px wide), per photo: wall and CPU time, and the peak RSS of a fresh process that
made only that picture.

    python scripts/bench_console_pictures.py PHOTO [PHOTO ...] [--runs 3]
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

from PIL import Image

from evidence_check.imaging.ela import error_levels
from evidence_check.imaging.load import Limits, load_photo
from evidence_check.previews import ELA_SIDE, upload_preview


def _make(kind: str, path: Path) -> dict[str, float]:
    data = path.read_bytes()
    wall, cpu = time.perf_counter(), time.process_time()
    if kind == "preview":
        jpeg, _w, _h = upload_preview(data, path.name, Limits())
        size = len(jpeg)
    else:
        picture = error_levels(load_photo(data, path.name, Limits()).full).picture
        picture.thumbnail((ELA_SIDE, ELA_SIDE), Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        picture.save(buffer, format="PNG")
        size = len(buffer.getvalue())
    return {
        "wall_ms": (time.perf_counter() - wall) * 1000,
        "cpu_ms": (time.process_time() - cpu) * 1000,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "bytes": size,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("photos", nargs="+", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print("| photo | pixels | picture | wall ms (median) | CPU ms (median) | peak RSS MB | bytes |")
    print("|---|---|---|---|---|---|---|")
    for path in args.photos:
        with Image.open(path) as image:
            pixels = f"{image.width}×{image.height}"
        for kind in ("preview", "ela"):
            runs = [
                json.loads(
                    subprocess.run(
                        [sys.executable, __file__, "--one", kind, str(path), str(path)],
                        capture_output=True, text=True, check=True,
                    ).stdout
                )
                for _ in range(args.runs)
            ]  # fmt: skip
            median = {k: sorted(r[k] for r in runs)[len(runs) // 2] for k in runs[0]}
            print(
                f"| {path.name} | {pixels} | {kind} | {median['wall_ms']:.0f} | {median['cpu_ms']:.0f} "
                f"| {median['rss_mb']:.0f} | {median['bytes']:.0f} |"
            )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--one":
        print(json.dumps(_make(sys.argv[2], Path(sys.argv[3]))))
    else:
        main()
