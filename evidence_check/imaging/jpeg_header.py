"""The header segments of a JPEG, read straight from its bytes: no decode.

Walks the markers from SOI to the first SOS (where the compressed picture starts) and keeps what
the integrity check reads: the quantisation tables, which APPn segments are present and in which
order, comments, the EXIF (TIFF) block and the XMP packet. Every length is bounds-checked: a
hostile header ends the walk, it never raises.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

MAX_SEGMENTS = 512

# The zig-zag order in which a DQT segment stores the 64 coefficients of a table.
ZIGZAG = (
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
    12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
    35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
    58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
)  # fmt: skip


@dataclass(frozen=True)
class JpegHeader:
    qtables: dict[int, tuple[int, ...]]  # table id -> 64 values in natural (row-major) order
    segments: tuple[str, ...]  # e.g. ("APP1:Exif", "APP0:JFIF", "DQT", "SOF0")
    comments: tuple[bytes, ...]
    exif_tiff: bytes | None  # the TIFF block of the first APP1 "Exif" segment
    xmp: bytes | None
    header_bytes: int  # where the first SOS starts: everything before is metadata

    @property
    def progressive(self) -> bool:
        return any(name in ("SOF2", "SOF6", "SOF10", "SOF14") for name in self.segments)


def read_jpeg_header(data: bytes) -> JpegHeader | None:
    """The header of a JPEG, or None when the bytes do not start like one."""
    start = data.find(b"\xff\xd8")
    if start < 0 or start > 1024:  # junk before SOI happens; a JPEG buried further is not one
        return None
    qtables: dict[int, tuple[int, ...]] = {}
    segments: list[str] = []
    comments: list[bytes] = []
    exif_tiff: bytes | None = None
    xmp: bytes | None = None
    pos = start + 2
    end = len(data)
    for _ in range(MAX_SEGMENTS):
        while pos < end and data[pos] != 0xFF:  # tolerate stray bytes between segments
            pos += 1
        while pos < end and data[pos] == 0xFF:
            pos += 1
        if pos >= end:
            break
        marker = data[pos]
        pos += 1
        if marker == 0xD9:
            break
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            continue
        if pos + 2 > end:
            break
        (length,) = struct.unpack(">H", data[pos : pos + 2])
        if length < 2 or pos + length > end:
            break
        body = data[pos + 2 : pos + length]
        if marker == 0xDA:
            segments.append("SOS")
            return JpegHeader(qtables, tuple(segments), tuple(comments), exif_tiff, xmp, pos - 2)
        name = _segment_name(marker, body)
        segments.append(name)
        if marker == 0xDB:
            _read_dqt(body, qtables)
        elif marker == 0xFE:
            comments.append(body[:4096])
        elif name == "APP1:Exif" and exif_tiff is None:
            exif_tiff = body[6:]
        elif name == "APP1:XMP" and xmp is None:
            xmp = body[body.find(b"\x00") + 1 :]
        pos += length
    return JpegHeader(qtables, tuple(segments), tuple(comments), exif_tiff, xmp, pos)


def _segment_name(marker: int, body: bytes) -> str:
    if 0xE0 <= marker <= 0xEF:
        app = f"APP{marker - 0xE0}"
        for prefix, label in (
            (b"JFIF\x00", "JFIF"),
            (b"JFXX\x00", "JFXX"),
            (b"Exif\x00", "Exif"),
            (b"http://ns.adobe.com/xap/1.0/\x00", "XMP"),
            (b"http://ns.adobe.com/xmp/extension/\x00", "XMPext"),
            (b"ICC_PROFILE\x00", "ICC"),
            (b"MPF\x00", "MPF"),
            (b"Photoshop 3.0\x00", "Photoshop"),
            (b"Adobe", "Adobe"),
            (b"Ducky", "Ducky"),
            (b"JP", "JUMBF"),
        ):
            if body.startswith(prefix):
                return f"{app}:{label}"
        return app
    if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
        return f"SOF{marker - 0xC0}"
    return {0xDB: "DQT", 0xC4: "DHT", 0xDD: "DRI", 0xFE: "COM"}.get(marker, f"M{marker:02X}")


def _read_dqt(body: bytes, tables: dict[int, tuple[int, ...]]) -> None:
    pos = 0
    while pos < len(body):
        precision, table_id = body[pos] >> 4, body[pos] & 0x0F
        pos += 1
        size = 128 if precision else 64
        if pos + size > len(body):
            return
        chunk = body[pos : pos + size]
        values = struct.unpack(">64H", chunk) if precision else tuple(chunk)
        natural = [0] * 64
        for index, value in zip(ZIGZAG, values, strict=True):
            natural[index] = value
        tables[table_id] = tuple(natural)
        pos += size
