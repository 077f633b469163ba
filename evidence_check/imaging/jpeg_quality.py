"""What the quantisation tables of a JPEG say about the program that wrote it.

libjpeg (and so Pillow, OpenCV, browsers, GIMP, most chat apps and many phones' gallery apps)
writes the example tables of the JPEG standard (Annex K) scaled by a quality from 1 to 100. A file
whose tables are exactly such a scaled pair was written by a libjpeg-style encoder at that quality;
camera firmware and some editors (Photoshop, Apple's and Samsung's cameras) use tables of their own.
For those the quality is estimated as the nearest standard scaling.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

# Annex K tables, natural (row-major) order.
STD_LUMA = (
    16, 11, 10, 16, 24, 40, 51, 61,
    12, 12, 14, 19, 26, 58, 60, 55,
    14, 13, 16, 24, 40, 57, 69, 56,
    14, 17, 22, 29, 51, 87, 80, 62,
    18, 22, 37, 56, 68, 109, 103, 77,
    24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101,
    72, 92, 95, 98, 112, 100, 103, 99,
)  # fmt: skip
STD_CHROMA = (
    17, 18, 24, 47, 99, 99, 99, 99,
    18, 21, 26, 66, 99, 99, 99, 99,
    24, 26, 56, 99, 99, 99, 99, 99,
    47, 66, 99, 99, 99, 99, 99, 99,
    99, 99, 99, 99, 99, 99, 99, 99,
    99, 99, 99, 99, 99, 99, 99, 99,
    99, 99, 99, 99, 99, 99, 99, 99,
    99, 99, 99, 99, 99, 99, 99, 99,
)  # fmt: skip


def scaled_table(base: tuple[int, ...], quality: int, limit: int = 255) -> tuple[int, ...]:
    """The table libjpeg writes for `quality` (jpeg_quality_scaling + jpeg_add_quant_table)."""
    quality = min(100, max(1, quality))
    scale = 5000 // quality if quality < 50 else 200 - quality * 2
    return tuple(min(limit, max(1, (value * scale + 50) // 100)) for value in base)


_QUALITIES = np.arange(1, 101)
_STD_LUMA = np.array([scaled_table(STD_LUMA, int(q)) for q in _QUALITIES], dtype=np.int32)
_STD_CHROMA = np.array([scaled_table(STD_CHROMA, int(q)) for q in _QUALITIES], dtype=np.int32)


@dataclass(frozen=True)
class TableFingerprint:
    kind: str  # "standard": libjpeg-style scaled tables; "custom": a camera's or an editor's own
    quality: int  # exact for "standard", nearest standard scaling otherwise
    fingerprint: str  # short hash of the tables, to recognise a writer seen before
    tables: int

    def as_details(self) -> dict[str, object]:
        return {
            "tables": self.kind,
            "quality": self.quality,
            "fingerprint": self.fingerprint,
            "table_count": self.tables,
        }


def fingerprint_tables(qtables: dict[int, tuple[int, ...]]) -> TableFingerprint | None:
    if not qtables:
        return None
    luma = qtables.get(0) or next(iter(qtables.values()))
    chroma = qtables.get(1)
    digest = hashlib.sha1(
        b"".join(bytes(min(v, 255) for v in qtables[k]) for k in sorted(qtables))
    ).hexdigest()[:12]
    errors = np.abs(_STD_LUMA - np.array(luma, dtype=np.int32)).sum(axis=1)
    if chroma is not None:
        errors += np.abs(_STD_CHROMA - np.array(chroma, dtype=np.int32)).sum(axis=1)
    best = int(np.argmin(errors))  # the first minimum: the lowest quality of equal fit
    kind = "standard" if errors[best] == 0 else "custom"
    return TableFingerprint(kind, int(_QUALITIES[best]), digest, len(qtables))
