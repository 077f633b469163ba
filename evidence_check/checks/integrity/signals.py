"""What every integrity signal shares: the facts of one photo, read once, and the shape of an answer.

Every signal module answers with a `Reading` through a `Reader`: the same inputs (the photo, the
claim, the facts, the context), the same output (the signals it found and the values it measured).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from evidence_check.checks.context import CheckContext
from evidence_check.imaging.embedded_text import EmbeddedText, container_text, png_text, webp_text
from evidence_check.imaging.jpeg_header import JpegHeader, read_jpeg_header
from evidence_check.imaging.load import Photo
from evidence_check.models import Claim, Status

# EXIF tags only a camera writes: the exposure of a capture. Make/Model alone can be set by anything
# (a game writes its own name there); a screenshot or a generated picture has no exposure.
CAPTURE_TAGS = (
    "ExposureTime",
    "FNumber",
    "ISOSpeedRatings",
    "PhotographicSensitivity",
    "FocalLength",
    "ExposureProgram",
)


@dataclass(frozen=True)
class Signal:
    """One integrity observation.

    `status`: ``fail``/``warn`` count against the photo; ``pass`` is positive or expected evidence
    (trusted Content Credentials, a screenshot for a not-received claim); ``unknown`` is a note
    recorded in details that changes nothing.
    """

    name: str
    status: Status
    score: float
    code: str
    params: Mapping[str, Any] = field(default_factory=dict)
    details: Mapping[str, Any] = field(default_factory=dict)
    next_step: str | None = None


@dataclass(frozen=True)
class Reading:
    """What one signal module found on one photo: its signals, and the values it measured (for the
    finding's details; empty when it measures nothing beyond its signals)."""

    signals: tuple[Signal, ...] = ()
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Facts:
    jpeg: JpegHeader | None
    text: EmbeddedText
    camera: bool  # the EXIF records an exposure

    @classmethod
    def of(cls, photo: Photo) -> Facts:
        jpeg = read_jpeg_header(photo.data) if photo.format in ("JPEG", "MPO") else None
        if jpeg is not None:
            header = photo.data[: jpeg.header_bytes]
            text = EmbeddedText({}, jpeg.xmp or b"", header)
        elif photo.format == "PNG":
            text = png_text(photo.data)
        elif photo.format == "WEBP":
            text = webp_text(photo.data)
        else:
            text = container_text(photo.data)
        camera = any(photo.metadata.exif.get(tag) not in (None, "", 0) for tag in CAPTURE_TAGS)
        return cls(jpeg, text, camera)


Reader = Callable[[Photo, Claim, Facts, CheckContext], Reading]


def exif_text(photo: Photo, tag: str) -> str | None:
    """An EXIF value as clean text (bytes decoded, NULs and padding removed), or None."""
    value = photo.metadata.exif.get(tag)
    if isinstance(value, bytes):
        if tag == "UserComment" and len(value) >= 8:
            charset, value = value[:8], value[8:]
            encoding = "utf-16" if charset.startswith(b"UNICODE") else "latin-1"
            value = value.decode(encoding, "replace")
        else:
            value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return None
    text = value.replace("\x00", " ").strip()
    return text or None
