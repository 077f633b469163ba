"""JPEG history: which kind of encoder wrote the file, at what quality, and was it written twice.

Measured, recorded in details, never held against the photo: chat apps and gallery apps re-encode
genuine photos every day, so a re-encoding says "this is not the camera's file", not "this is fake".

- ``tables``: ``standard`` (the scaled example tables of libjpeg: Pillow, OpenCV, GIMP, browsers,
  chat apps and many phones) or ``custom`` (a camera's or an editor's own), with the quality
  (exact for standard tables, the nearest standard scaling otherwise) and a short fingerprint.
- ``reencoded``: a note when the EXIF records a camera exposure but the file starts with a JFIF
  header and carries standard tables — the signature of a library that decoded the camera's JPEG
  and wrote a new one, copying the EXIF across (camera firmware writes EXIF first, never JFIF
  first). That is a second compression.
"""

from __future__ import annotations

from typing import Any

from evidence_check.checks.context import CheckContext
from evidence_check.checks.integrity.signals import Facts, Reading, Signal
from evidence_check.imaging.jpeg_quality import fingerprint_tables
from evidence_check.imaging.load import Photo
from evidence_check.models import Claim, Status

MAX_SEGMENTS_SHOWN = 12


def read(photo: Photo, claim: Claim, facts: Facts, context: CheckContext) -> Reading:
    header = facts.jpeg
    if header is None:
        return Reading()
    details: dict[str, Any] = {
        "segments": list(header.segments[:MAX_SEGMENTS_SHOWN]),
        "progressive": header.progressive,
    }
    tables = fingerprint_tables(header.qtables)
    if tables is not None:
        details.update(tables.as_details())
    first_app = next((name for name in header.segments if name.startswith("APP")), None)
    if facts.camera and first_app == "APP0:JFIF" and tables is not None and tables.kind == "standard":
        details["reencoded"] = True
        note = Signal(
            "reencoded",
            Status.UNKNOWN,
            0.0,
            "integrity.reencoded",
            {"quality": tables.quality},
            {"quality": tables.quality, "first_segment": first_app},
        )
        return Reading((note,), details)
    return Reading((), details)
