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
import struct
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
    from exifread.core.find_exif import determine_type

    try:
        offset, _endian, _fake = determine_type(io.BytesIO(data))
    except Exception:  # no EXIF where exifread looks, or none it can place: it would return nothing
        return {}, {}
    if not _ifds_fit(memoryview(data)[offset:]):
        problems.append("exifread not asked: EXIF directories claim more entries than the file holds")
        return {}, {}
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


_SUB_IFD_TAGS = (0x8769, 0x8825, 0xA005)  # the Exif, GPS and Interoperability directories
_MAX_IFDS = 16


@dataclass(frozen=True)
class TiffDirectory:
    entries: tuple[tuple[int, int, int], ...]  # (tag, type, value: a SHORT if its type is one, else a LONG)
    following: int  # offset of the next directory in the chain; 0 when none is given or it cannot be read


def read_tiff_directory(tiff: bytes | memoryview, order: str, offset: int) -> TiffDirectory | None:
    """The TIFF directory at `offset`; None when it, or any of the entries its count declares, lies
    past the end of the data.

    A directory's 16-bit entry count is the number a hostile file inflates (65,535 entries in a
    700-byte block), and a count that does not fit is damage, not data. Both of our own EXIF walks —
    the guard before exifread (`_ifds_fit`) and the EXIF thumbnail's (`thumbnail.extract_thumbnail`)
    — read their directories here, so that they hold the same bounds.
    """
    if offset + 2 > len(tiff):
        return None
    (count,) = struct.unpack(order + "H", tiff[offset : offset + 2])
    end = offset + 2 + 12 * count
    if end > len(tiff):
        return None
    # a SHORT sits in the first two bytes of the 4-byte value field: the low half of a little-endian
    # LONG read there, the high half of a big-endian one
    short_shift = 0 if order == "<" else 16
    entries = tuple(
        (tag, kind, (value >> short_shift) & 0xFFFF if kind == 3 else value)
        for tag, kind, _count, value in struct.iter_unpack(order + "HHII", tiff[offset + 2 : end])
    )
    following = struct.unpack(order + "I", tiff[end : end + 4])[0] if end + 4 <= len(tiff) else 0
    return TiffDirectory(entries, int(following))


def _ifds_fit(tiff: memoryview) -> bool:
    """Whether every directory exifread would walk has its entries inside the data.

    exifread loops over the entry count a directory declares, reading past the end of the data as
    zeros: a count of 65,535 in a 700-byte file costs it a second or more per directory. A count that
    does not fit is damage, not data (EXIF comes before the pixels, so a cut file loses its picture
    too), and such a file gets no second opinion.
    """
    if len(tiff) < 8 or bytes(tiff[:2]) not in (b"II", b"MM"):
        return False
    order = "<" if bytes(tiff[:2]) == b"II" else ">"
    # (offset, whether its next-directory pointer is followed): exifread follows the chain from IFD0,
    # not from the Exif, GPS and Interoperability directories
    first = struct.unpack(order + "I", tiff[4:8])[0]
    pending = [(first, True)] if first else []
    seen: set[int] = set()
    while pending and len(seen) < _MAX_IFDS:
        offset, chained = pending.pop()
        if offset in seen or offset + 2 > len(tiff):
            continue  # a directory past the end reads as empty: no work for exifread
        seen.add(offset)
        directory = read_tiff_directory(tiff, order, offset)
        if directory is None:
            return False
        subs = [value for tag, kind, value in directory.entries if tag in _SUB_IFD_TAGS and kind in (4, 13)]
        pending += [(sub, False) for sub in subs]
        if chained and directory.following:
            pending.append((directory.following, True))
    return True


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
