"""Make a 12-megapixel camera-like JPEG for benchmarks from the iPhone HEIC in ../shared/corpora.

Usage: python scripts/make_bench_photo.py OUT.jpg
The HEIC is a real 12 MP iPhone 13 Pro Max photo; its EXIF (capture time, camera) is kept, so the
JPEG exercises the same metadata paths as a phone photo.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pillow_heif
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT.parent / "shared" / "corpora" / "heif-avif-webp" / "exif-py" / "iphone_13_pro_max.heic"


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path, metavar="OUT.jpg", help="where the JPEG is written")
    out = parser.parse_args(argv).out
    if not SOURCE.is_file():
        sys.exit(f"needs {SOURCE} (../shared/corpora beside the checkout)")
    if not out.parent.is_dir():
        sys.exit(f"no folder {out.parent} to write {out.name} in")
    pillow_heif.register_heif_opener()
    with Image.open(SOURCE) as image:
        exif = image.getexif()
        image.convert("RGB").save(out, "JPEG", quality=92, exif=exif)
    print(f"wrote {out}")


if __name__ == "__main__":
    main(sys.argv[1:])
