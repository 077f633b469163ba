"""Error-level analysis: a picture of how much each region changes when the photo is saved again.

The photo is re-encoded as JPEG at a known quality and subtracted from itself. Regions that were
already compressed at that quality change little; regions pasted in or retouched after the last
save, or saved at another quality, often stand out. It is a view for a person, not a verdict:
edges, texture and saturated colours light up in genuine photos too, so nothing is scored from it.

The whole photo is encoded once (strips would change the decoder's chroma upsampling at their
seams); the differences are then taken a strip of rows at a time into one byte per channel, and
the brightness percentile is read from their histogram, so a 12 MP photo needs a few of its own
sizes in memory rather than a dozen (int16 and float64 copies of the whole picture).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image

DEFAULT_QUALITY = 90
PERCENTILE = 99.5  # the difference mapped to full brightness; the few brightest pixels clip
STRIP_ROWS = 256


@dataclass(frozen=True)
class ErrorLevels:
    picture: Image.Image
    quality: int
    gain: float  # brightness multiplier applied to the raw differences
    mean_level: float  # mean absolute difference before the gain, 0..255


def error_levels(image: Image.Image, quality: int = DEFAULT_QUALITY) -> ErrorLevels:
    original = image.convert("RGB")
    buffer = io.BytesIO()
    original.save(buffer, "JPEG", quality=quality)
    buffer.seek(0)
    with Image.open(buffer) as resaved:
        again = np.asarray(resaved.convert("RGB"))
    before = np.asarray(original)
    difference = np.empty(before.shape, dtype=np.uint8)
    counts = np.zeros(256, dtype=np.int64)
    for top in range(0, original.height, STRIP_ROWS):
        rows = slice(top, top + STRIP_ROWS)
        strip = np.abs(before[rows].astype(np.int16) - again[rows]).astype(np.uint8)
        difference[rows] = strip
        counts += np.bincount(strip.ravel(), minlength=256)
    del again, before
    brightest = _percentile(counts, PERCENTILE) or 1.0
    gain = 255.0 / brightest
    picture = np.empty(difference.shape, dtype=np.uint8)
    for top in range(0, original.height, STRIP_ROWS):
        rows = slice(top, top + STRIP_ROWS)
        picture[rows] = np.clip(difference[rows] * gain, 0, 255).astype(np.uint8)
    mean = float(np.dot(np.arange(256), counts) / max(1, counts.sum()))
    return ErrorLevels(Image.fromarray(picture), quality, round(gain, 2), round(mean, 3))


def _percentile(counts: np.ndarray, percent: float) -> float:
    """numpy's default (linear) percentile of the values 0..255 counted in `counts`."""
    total = int(counts.sum())
    if total == 0:
        return 0.0
    position = percent / 100 * (total - 1)
    below, fraction = int(position), position - int(position)
    cumulative = np.cumsum(counts)
    low = int(np.searchsorted(cumulative, below + 1))
    high = int(np.searchsorted(cumulative, min(below + 2, total)))
    return low + fraction * (high - low)
