"""PNGs that are only a header declaring a size: what the decoded-size budget is checked against,
in the loader and through the API."""

from __future__ import annotations

import struct
import zlib


def png_header_only(width: int, height: int, bit_depth: int, colour_type: int) -> bytes:
    """A PNG whose header declares the size and whose pixels are cut short: a budget refusal must
    come before any decoding, so the missing pixels are never looked for."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 4096))
