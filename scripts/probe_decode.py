"""Peak memory and time of loading one large photo: what the decoded-size budget bounds.

Each probe is loaded by `load_photo` in its own subprocess, with the limits of the current settings
(EVIDENCE_CHECK_* variables apply), and the child reports its peak RSS
(`resource.getrusage(RUSAGE_SELF).ru_maxrss`). Probes: the two PNGs of issue 21 (16000x16000, 16-bit
grey and 8-bit RGB, written with streamed zlib so that making them costs no memory), a 16000x12000
JPEG (reduced decode), the 200 MP HEIC of ../shared/corpora when present, and a small JPEG fixture for
the baseline of the process itself.

    .venv/bin/python scripts/probe_decode.py            # all probes, one table
    .venv/bin/python scripts/probe_decode.py --only png16-grey
"""

from __future__ import annotations

import argparse
import json
import resource
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPORA = ROOT.parent / "shared" / "corpora"


def png(path: Path, width: int, height: int, bit_depth: int, colour_type: int, channels: int) -> None:
    """A PNG of zeros, written a row at a time."""
    row = b"\x00" * (1 + width * channels * bit_depth // 8)
    packer = zlib.compressobj(9)
    body = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")
    )


def big_jpeg(path: Path) -> None:
    from PIL import Image

    Image.new("RGB", (16000, 12000), (120, 90, 60)).save(path, "JPEG", quality=90)


# name -> (file name, how to make it) for made probes, or the path of an existing file.
MADE: dict[str, tuple[str, Callable[[Path], None]]] = {
    "png16-grey": ("grey16.png", lambda p: png(p, 16000, 16000, 16, 0, 1)),
    "png8-rgb": ("rgb8.png", lambda p: png(p, 16000, 16000, 8, 2, 3)),
    "jpeg-192mp": ("big.jpg", big_jpeg),
}
EXISTING = {
    "small-jpeg": ROOT / "fixtures" / "images" / "genuine_after_delivery.jpg",
    "heic-200mp": CORPORA / "malformed-images" / "pillow-heif" / "200MP.heic",
}


def child(path: Path) -> None:
    """Load one probe and print what happened as JSON (run in a fresh process per probe)."""
    from PIL import Image

    from evidence_check.imaging.load import PhotoError, load_photo, read_file
    from evidence_check.service import limits_from
    from evidence_check.settings import Settings

    limits = limits_from(Settings())
    Image.MAX_IMAGE_PIXELS = None
    with Image.open(path) as image:
        width, height, mode = image.width, image.height, image.mode
    started = time.perf_counter()
    try:
        photo = load_photo(read_file(path, limits), path.name, limits)
        outcome = f"loaded, working copy {photo.working.width}x{photo.working.height}"
    except PhotoError as exc:
        outcome = f"refused: {exc}"
    seconds = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "size": f"{width}x{height} {mode}",
                "megapixels": width * height / 1e6,
                "file_mb": path.stat().st_size / 1e6,
                "budget_mib": limits.max_decoded_bytes / 2**20,
                "seconds": seconds,
                "peak_mb": peak_kb / 1024,
                "outcome": outcome,
            }
        )
    )


def run(*args: str) -> subprocess.CompletedProcess[str]:
    # A fresh interpreter per step: a child's ru_maxrss starts from its parent's, so the parent stays small.
    return subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, check=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", help="one probe by name")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--make", nargs=2, metavar=("NAME", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    if args.make:
        MADE[args.make[0]][1](Path(args.make[1]))
        return
    with tempfile.TemporaryDirectory() as folder:
        for name in [*EXISTING, *MADE]:
            if args.only and name != args.only:
                continue
            if name in MADE:
                path = Path(folder) / MADE[name][0]
                run("--make", name, str(path))
            else:
                path = EXISTING[name]
            if not path.is_file():
                print(f"{name:12} absent")
                continue
            done = run("--child", str(path))
            if done.returncode != 0:
                print(f"{name:12} child failed ({done.returncode}): {done.stderr.strip().splitlines()[-1:]}")
                continue
            r = json.loads(done.stdout)
            print(
                f"{name:12} {r['size']:20} {r['megapixels']:6.1f} MP {r['file_mb']:6.2f} MB file  "
                f"budget {r['budget_mib']:.0f} MiB  {r['seconds']:6.2f} s  peak RSS {r['peak_mb']:5.0f} MB  "
                f"{r['outcome']}"
            )


if __name__ == "__main__":
    main()
