"""Edits that move a copy's colours, against the far rule's colour test: every bench original stored as
a stock photo, then each edit of it looked up twice, with the colour test (`FAR_COLOUR_APART`) and
without it (main's far rule); counted are the originals found, other pictures confirmed, and the copies
whose own verification leaves more than FAR_COLOUR_APART of the colour apart (a copy a far-rule-only
lookup would lose).

Edits (drawn with `default_rng(2027)`, in this order, original after original): a review-page screenshot
warmed as night shift (each channel scaled) or True Tone does on a screen; screenshots and photos
forwarded through a chat app (resized to 800 or 1280 px, JPEG q60-75, 4:2:0); a photo's sRGB numbers
turned to Display-P3 ones whose profile the loader ignores; HEIC at quality 50 saved as JPEG.

    nice -n 10 .venv/bin/python scripts/probe_colour_edits.py [--limit N] [--edit NAME ...]
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pillow_heif
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_reuse import T0, originals  # noqa: E402

from evidence_check import references as references_module  # noqa: E402
from evidence_check.imaging.load import load_photo  # noqa: E402
from evidence_check.imaging.transforms import screenshot, screenshot_small  # noqa: E402
from evidence_check.measure import Measurements  # noqa: E402
from evidence_check.references import confirmed, references_for  # noqa: E402
from evidence_check.store import Store  # noqa: E402

# Linear sRGB to linear Display-P3 (both D65): P3's numbers of the same colours are less saturated.
SRGB_TO_P3 = np.array([[0.8225, 0.1774, 0.0], [0.0332, 0.9669, 0.0], [0.0171, 0.0724, 0.9108]], np.float32)


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _jpeg(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=quality)
    return out.getvalue()


def _opened(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data)).convert("RGB")


def _scaled(image: Image.Image, red: float, green: float, blue: float) -> Image.Image:
    values = np.asarray(image.convert("RGB")).astype(np.float32) * np.array([red, green, blue], np.float32)
    return Image.fromarray(np.clip(values + 0.5, 0, 255).astype(np.uint8))


def _fit(image: Image.Image, side: int) -> Image.Image:
    scale = side / max(image.size)
    if scale >= 1:
        return image
    return image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.BILINEAR)


def _p3_numbers(image: Image.Image) -> Image.Image:
    encoded = np.asarray(image.convert("RGB")).astype(np.float32) / 255
    linear = np.where(encoded <= 0.04045, encoded / 12.92, ((encoded + 0.055) / 1.055) ** 2.4) @ SRGB_TO_P3.T
    linear = np.clip(linear, 0, 1)
    again = np.where(linear <= 0.0031308, linear * 12.92, 1.055 * np.power(linear, 1 / 2.4) - 0.055)
    return Image.fromarray(np.clip(again * 255 + 0.5, 0, 255).astype(np.uint8))


def _heic_then_jpeg(image: Image.Image) -> Image.Image:
    out = io.BytesIO()
    pillow_heif.from_pillow(image.convert("RGB")).save(out, quality=50)
    return _opened(_jpeg(pillow_heif.open_heif(io.BytesIO(out.getvalue())).to_pillow(), 85))


def _small(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    return _opened(screenshot_small(image, rng))


EDITS: dict[str, Callable[[Image.Image, np.random.Generator], bytes]] = {
    "shot small + night shift": lambda im, rng: _png(_scaled(_small(im, rng), 1.0, 0.86, 0.62)),
    "shot small + True Tone": lambda im, rng: _png(_scaled(_small(im, rng), 1.0, 0.97, 0.88)),
    "shot full, chat 800 q70": lambda im, rng: _jpeg(_fit(_opened(screenshot(im, rng)), 800), 70),
    "shot small, chat 800 q70": lambda im, rng: _jpeg(_fit(_small(im, rng), 800), 70),
    "chat 1280 q75, again 800 q60": lambda im, rng: _jpeg(_fit(_opened(_jpeg(_fit(im, 1280), 75)), 800), 60),
    "P3 numbers": lambda im, rng: _jpeg(_p3_numbers(im), 90),
    "P3 numbers, shot small": lambda im, rng: _png(_small(_p3_numbers(im), rng)),
    "HEIC to JPEG": lambda im, rng: _jpeg(_heic_then_jpeg(im), 85),
    "HEIC to JPEG, shot small": lambda im, rng: _png(_small(_heic_then_jpeg(im), rng)),
}
RULES = (("without colour", 1.0), ("with colour", references_module.FAR_COLOUR_APART))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, help="only the first N originals")
    parser.add_argument("--edit", choices=list(EDITS), action="append", help="only these edits")
    args = parser.parse_args()
    edits = args.edit or list(EDITS)
    paths = originals()[: args.limit]
    counts: dict[str, dict[str, int]] = {name: defaultdict(int) for name in edits}
    lost: dict[str, list[str]] = defaultdict(list)
    with tempfile.TemporaryDirectory() as folder:
        store = Store(f"sqlite:///{folder}/probe.sqlite3")
        try:
            references = references_for(store)
            for path in paths:
                references.add("t", "stock", path.name, load_photo(path.read_bytes(), path.name), T0)
            rng = np.random.default_rng(2027)
            for path in paths:
                image = Image.open(path).convert("RGB")
                for name in edits:
                    measured = Measurements(load_photo(EDITS[name](image, rng), "edited"))
                    quality = measured.fingerprint.codes.quality
                    found: dict[str, set[str]] = {}
                    for rule, limit in RULES:
                        references_module.FAR_COLOUR_APART = limit
                        examined = references.examine("t", measured)
                        found[rule] = {m.entry.ref_id for m in examined if confirmed(m.candidate, m.verification, quality)}
                        counts[name][rule] += path.name in found[rule]
                        counts[name][f"{rule}, others"] += len(found[rule] - {path.name})
                    own = [m.verification for m in examined if m.entry.ref_id == path.name]
                    if own and own[0].colour_apart > references_module.FAR_COLOUR_APART:
                        counts[name]["apart"] += 1
                    if path.name in found[RULES[0][0]] - found[RULES[-1][0]]:
                        lost[name].append(f"{path.name} ({own[0].colour_apart:.3f})")
        finally:
            references_module.FAR_COLOUR_APART = RULES[-1][1]
            store.close()
    print(f"{len(paths)} originals; found / other pictures confirmed; copies over FAR_COLOUR_APART")
    print(f"{'edit':30s} {'without colour':>16s} {'with colour':>16s} {'apart':>6s}")
    for name in edits:
        row = counts[name]
        cells = [f"{row[rule]} / {row[f'{rule}, others']}" for rule, _ in RULES]
        print(f"{name:30s} {cells[0]:>16s} {cells[1]:>16s} {row['apart']:6d}")
    for name, misses in lost.items():
        print(f"lost by the colour test, {name}: {', '.join(misses)}")


if __name__ == "__main__":
    main()
