"""EXIF, GPS and XMP values of a photo, read once and kept as plain values.

Pillow reads the EXIF of every format we open; exifread is the second opinion for files whose EXIF
Pillow cannot parse. Both are wrapped: malformed metadata makes a field missing, never an error of
the whole photo. XMP is pulled out with regular expressions over the packet, not an XML parser, so
that entity tricks inside a hostile packet cannot expand.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from PIL import ExifTags, Image

log = logging.getLogger(__name__)

_XMP_MAX_BYTES = 1024 * 1024
_XMP_ATTR = re.compile(rb"\b([A-Za-z][\w.-]*):([A-Za-z][\w.-]*)\s*=\s*[\"']([^\"'<>]{0,512})[\"']")
_XMP_ELEM = re.compile(rb"<([A-Za-z][\w.-]*):([A-Za-z][\w.-]*)(?:\s[^>]{0,256})?>([^<>]{0,512})</\1:\2>")
_XMP_LI = re.compile(
    rb"<([A-Za-z][\w.-]*):([A-Za-z][\w.-]*)(?:\s[^>]{0,256})?>\s*<rdf:(?:Alt|Seq|Bag)>\s*"
    rb"<rdf:li(?:\s[^>]{0,256})?>([^<>]{0,512})</rdf:li>"
)


@dataclass(frozen=True)
class Metadata:
    """Tag name -> value. `exif` merges IFD0 and the Exif IFD; `gps` is the GPS IFD."""

    exif: Mapping[str, Any] = field(default_factory=dict)
    gps: Mapping[str, Any] = field(default_factory=dict)
    xmp: Mapping[str, str] = field(default_factory=dict)
    source: str = "none"  # "pillow", "exifread" or "none": which reader produced `exif`
    problems: tuple[str, ...] = ()

    @property
    def has_exif(self) -> bool:
        return bool(self.exif)


def read_metadata(image: Image.Image, data: bytes) -> Metadata:
    problems: list[str] = []
    exif, gps = _pillow_exif(image, problems)
    source = "pillow" if exif else "none"
    if not exif and _may_hold_exif(image):
        exif, gps = _exifread_exif(data, problems)
        source = "exifread" if exif else "none"
    xmp = parse_xmp(_xmp_packet(image))
    return Metadata(exif=exif, gps=gps, xmp=xmp, source=source, problems=tuple(problems))


def _may_hold_exif(image: Image.Image) -> bool:
    return image.format in {"JPEG", "MPO", "TIFF", "HEIF", "AVIF", "WEBP", "PNG"}


def _pillow_exif(image: Image.Image, problems: list[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    try:
        raw = image.getexif()
        exif = {ExifTags.TAGS.get(k, str(k)): v for k, v in raw.items()}
        for ifd in (ExifTags.IFD.Exif, ExifTags.IFD.Interop):
            exif.update({ExifTags.TAGS.get(k, str(k)): v for k, v in raw.get_ifd(ifd).items()})
        gps = {ExifTags.GPSTAGS.get(k, str(k)): v for k, v in raw.get_ifd(ExifTags.IFD.GPSInfo).items()}
    except Exception as exc:  # malformed EXIF must not take the photo down with it
        problems.append(f"pillow could not read EXIF: {type(exc).__name__}")
        return {}, {}
    for name in ("ExifOffset", "GPSInfo", "InteropOffset"):
        exif.pop(name, None)
    return exif, gps


def _exifread_exif(data: bytes, problems: list[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    import exifread

    try:
        tags = exifread.process_file(io.BytesIO(data), details=False, extract_thumbnail=False)
    except Exception as exc:
        problems.append(f"exifread could not read EXIF: {type(exc).__name__}")
        return {}, {}
    exif: dict[str, Any] = {}
    gps: dict[str, Any] = {}
    for key, tag in tags.items():
        group, _, name = key.partition(" ")
        if not name:
            continue
        value = tag.values
        if isinstance(value, list) and len(value) == 1:
            value = value[0]
        if group == "GPS":
            gps[name] = value
        elif group in ("Image", "EXIF"):
            exif[name] = value if not isinstance(value, str) else tag.printable
    return exif, gps


def _xmp_packet(image: Image.Image) -> bytes:
    packet = image.info.get("xmp") or image.info.get("XML:com.adobe.xmp") or b""
    if isinstance(packet, str):
        packet = packet.encode("utf-8", "replace")
    return bytes(packet[:_XMP_MAX_BYTES])


def parse_xmp(packet: bytes) -> dict[str, str]:
    """Simple XMP properties as ``{"prefix:Name": value}``, first value of Alt/Seq/Bag lists."""
    found: dict[str, str] = {}
    if not packet:
        return found
    for pattern in (_XMP_ATTR, _XMP_ELEM, _XMP_LI):
        for prefix, name, value in pattern.findall(packet):
            key = f"{prefix.decode('ascii', 'replace')}:{name.decode('ascii', 'replace')}"
            text = value.decode("utf-8", "replace").strip()
            if key not in found and text and not key.startswith(("xmlns:", "rdf:", "x:")):
                found[key] = text
    return found
