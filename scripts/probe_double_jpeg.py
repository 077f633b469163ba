"""Does same-table double JPEG compression show where a quiet edit was painted?

    .venv/bin/python scripts/probe_double_jpeg.py [--corpora ../shared/corpora]

A quiet edit (`evidence_check/evaluation/quiet_edits.py`) re-saves the photo with the camera's own
quantisation tables: the untouched 8x8 blocks are then compressed twice with one table, the painted
ones once. Re-compressing a JPEG with its own tables changes single-compressed blocks more than
double-compressed ones (Huang, Huang & Shi, "Detecting double JPEG compression with the same
quantization matrix", IEEE TIFS 5(4), 2010). This probe measures that difference on the photos of
the quiet-edit bench (the corpora's camera JPEGs carrying a thumbnail): each file is decoded,
re-encoded with its tables and chroma subsampling by the same library that painted the edits
(libjpeg through Pillow, so the re-save is emulated exactly: the most favourable case), decoded
again, and per 16x16 block the share of pixels that changed is taken. It prints, by the luminance
table's first step (the DC quantiser): the share changed in the original (compressed once
everywhere), in the untouched blocks of each edit (twice) and in its painted blocks (once), how
many edits show their painted blocks at least twice as unstable as the rest, and the CPU
milliseconds of decode, re-encode and decode of a 12-megapixel photo.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
from PIL import Image, JpegImagePlugin

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from evidence_check.evaluation.quiet_edits import EDITS, camera_jpegs, paint  # noqa: E402
from evidence_check.imaging.jpeg_header import read_jpeg_header  # noqa: E402
from evidence_check.imaging.thumbnail import extract_thumbnail  # noqa: E402

BLOCK = 16  # one 4:2:0 MCU
PAINTED = 20  # grey levels: a pixel the edit changed by more is painted
PAINTED_SHARE = 0.3  # a block is painted when this share of its pixels is
SHARES = (0.01, 0.02, 0.03)
STEP_GROUPS = ((1, 1), (2, 3), (4, 7), (8, 255))


def decoded(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("RGB"), dtype=np.int16)


def resaved(pixels: np.ndarray, like: bytes) -> bytes:
    """`pixels` encoded with the quantisation tables and chroma subsampling of the JPEG `like`."""
    with Image.open(io.BytesIO(like)) as source:
        options: dict[str, object] = {"qtables": [list(t) for _, t in sorted(source.quantization.items())]}
        sampling = JpegImagePlugin.get_sampling(source)
        if sampling >= 0:
            options["subsampling"] = sampling
    buffer = io.BytesIO()
    Image.fromarray(pixels.astype(np.uint8)).save(buffer, "JPEG", **options)
    return buffer.getvalue()


def per_block(mask: np.ndarray) -> np.ndarray:
    h, w = (mask.shape[0] // BLOCK) * BLOCK, (mask.shape[1] // BLOCK) * BLOCK
    return mask[:h, :w].reshape(h // BLOCK, BLOCK, w // BLOCK, BLOCK).mean(axis=(1, 3))


def luminance(data: bytes) -> np.ndarray:
    """The JPEG's luminance plane as the decoder outputs it, without colour conversion."""
    with Image.open(io.BytesIO(data)) as image:
        image.draft("L", image.size)
        return np.asarray(image.convert("L"), dtype=np.int16)


def instability(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """The decoded pixels, and per block the share of luminance pixels a re-save with the file's
    tables changes (luminance only: the chroma's subsampling round trip changes it at every save,
    whatever the file's history)."""
    pixels = decoded(data)
    again = resaved(pixels, data)
    return pixels, per_block(luminance(data) != luminance(again))


def step_group(step: int) -> str:
    for low, high in STEP_GROUPS:
        if low <= step <= high:
            return f"{low}" if low == high else f"{low}-{high}" if high < 255 else f">={low}"
    return "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", type=Path, default=ROOT.parent / "shared" / "corpora")
    args = parser.parse_args()
    originals: dict[str, list[float]] = defaultdict(list)
    rows: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
    big: bytes | None = None
    for index, path in enumerate(camera_jpegs(args.corpora)):
        data = path.read_bytes()
        header = read_jpeg_header(data)
        if header is None or not header.exif_tiff or extract_thumbnail(header.exif_tiff) is None:
            continue
        try:
            pixels, first = instability(data)
        except (OSError, ValueError):
            continue
        if first.size < 4 or 0 not in header.qtables:
            continue
        if big is None and pixels.shape[0] * pixels.shape[1] >= 11_000_000:
            big = data
        group = step_group(header.qtables[0][0])
        originals[group].append(float(first.mean()))
        for k, kind in enumerate(EDITS):
            edited = paint(data, kind, index * 10 + k, SHARES[(index + k) % 3])
            edited_pixels, second = instability(edited)
            painted = per_block(np.abs(edited_pixels - pixels).max(axis=2) > PAINTED) >= PAINTED_SHARE
            if painted.any() and (~painted).any():
                rows[(group, kind)].append((float(second[painted].mean()), float(second[~painted].mean())))
    print("## Share of each 16x16 block's pixels a re-save with the file's own tables changes\n")
    print("| DC step | originals (once) | edit | edits | painted blocks (once) | the rest (twice) | painted >= 2x the rest and >= 0.1 |")
    print("|---|---|---|---|---|---|---|")
    for low, _high in STEP_GROUPS:
        group = step_group(low)
        for kind in EDITS:
            found = rows.get((group, kind), [])
            if not found:
                continue
            shown = sum(p >= 2 * r and p >= 0.1 for p, r in found)
            print(
                f"| {group} | {statistics.median(originals[group]):.3f} ({len(originals[group])} photos) | {kind} "
                f"| {len(found)} | {statistics.median(p for p, _ in found):.3f} "
                f"| {statistics.median(r for _, r in found):.3f} | {shown}/{len(found)} |"
            )
    if big is not None:
        spent = []
        for _ in range(3):
            started = time.process_time()
            instability(big)
            spent.append((time.process_time() - started) * 1000)
        print(f"\nCPU ms, decode + re-encode + decode of a 12 MP photo: {min(spent):.0f} (best of 3)")


if __name__ == "__main__":
    main()
