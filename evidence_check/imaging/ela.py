"""Error-level analysis: a picture of how much each region changes when the photo is saved again.

The photo is re-encoded as JPEG at a known quality and subtracted from itself. Regions that were
already compressed at that quality change little; regions pasted in or retouched after the last
save, or saved at another quality, often stand out. It is a view for a person, not a verdict:
edges, texture and saturated colours light up in genuine photos too, so nothing is scored from it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image

DEFAULT_QUALITY = 90
PERCENTILE = 99.5  # the difference mapped to full brightness; the few brightest pixels clip


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
        difference = np.abs(
            np.asarray(original, dtype=np.int16) - np.asarray(resaved.convert("RGB"), dtype=np.int16)
        )
    top = float(np.percentile(difference, PERCENTILE)) or 1.0
    gain = 255.0 / top
    picture = Image.fromarray(np.clip(difference * gain, 0, 255).astype(np.uint8))
    return ErrorLevels(picture, quality, round(gain, 2), round(float(difference.mean()), 3))
