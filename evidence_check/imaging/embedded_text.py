"""Text that image files carry beside the pixels: PNG text chunks, WebP/JPEG XMP and comments.

Image generators leave their settings here: Stable Diffusion web UIs write a PNG ``parameters``
chunk, ComfyUI ``prompt`` and ``workflow``, InvokeAI ``invokeai_metadata``; XMP and C2PA carry the
IPTC digital-source type. Everything is read from the raw bytes with hard limits: compressed
chunks are inflated to at most `MAX_TEXT_BYTES` (a zlib bomb stops there), and at most
`MAX_CHUNKS` chunks are walked.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

MAX_TEXT_BYTES = 256 * 1024
MAX_CHUNKS = 65536  # a 20 MB PNG written in 8 KB IDAT chunks has ~2,500
# Where metadata can sit in containers we do not walk chunk by chunk (HEIF, AVIF, TIFF): the boxes
# before the picture data and, for files edited in place, the end of the file.
HEAD_BYTES = 512 * 1024
TAIL_BYTES = 128 * 1024


@dataclass(frozen=True)
class EmbeddedText:
    chunks: dict[str, str]  # keyword -> text, PNG tEXt/iTXt/zTXt chunks
    xmp: bytes  # the raw XMP packet (PNG iTXt XML:com.adobe.xmp, WebP XMP chunk, JPEG APP1)
    metadata_bytes: bytes  # the bytes that hold metadata, to look for fixed markers in


def png_text(data: bytes) -> EmbeddedText:
    chunks: dict[str, str] = {}
    xmp = b""
    regions: list[bytes] = []
    pos = 8
    for _ in range(MAX_CHUNKS):
        if pos + 8 > len(data):
            break
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IEND":
            break
        if kind == b"IDAT":
            continue
        regions.append(body[:MAX_TEXT_BYTES])
        if kind in (b"tEXt", b"zTXt", b"iTXt"):
            keyword, text = _png_chunk(kind, body)
            if keyword == "XML:com.adobe.xmp":
                xmp = text.encode("utf-8", "replace")
            elif keyword and keyword not in chunks:
                chunks[keyword] = text
    return EmbeddedText(chunks, xmp, b"".join(regions) + xmp)


def webp_text(data: bytes) -> EmbeddedText:
    xmp = b""
    regions: list[bytes] = []
    pos = 12
    for _ in range(MAX_CHUNKS):
        if pos + 8 > len(data):
            break
        kind, length = struct.unpack("<4sI", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        pos += 8 + length + (length & 1)
        if kind in (b"VP8 ", b"VP8L", b"ALPH", b"ANMF"):
            continue
        regions.append(body[:MAX_TEXT_BYTES])
        if kind == b"XMP ":
            xmp = body[:MAX_TEXT_BYTES]
    return EmbeddedText({}, xmp, b"".join(regions))


def container_text(data: bytes) -> EmbeddedText:
    """For formats whose boxes we do not walk: the head and tail of the file."""
    region = data[:HEAD_BYTES] + (data[-TAIL_BYTES:] if len(data) > HEAD_BYTES else b"")
    start = region.find(b"<x:xmpmeta")
    xmp = region[start : region.find(b"</x:xmpmeta>", start) + 12] if start >= 0 else b""
    return EmbeddedText({}, xmp, region)


def _png_chunk(kind: bytes, body: bytes) -> tuple[str, str]:
    keyword, _, rest = body.partition(b"\x00")
    name = keyword.decode("latin-1", "replace")[:80]
    try:
        if kind == b"tEXt":
            return name, rest[:MAX_TEXT_BYTES].decode("latin-1")
        if kind == b"zTXt":
            return name, _inflate(rest[1:]).decode("latin-1")
        compressed, method = rest[:1], rest[1:2]
        _language, _, rest = rest[2:].partition(b"\x00")
        _translated, _, text = rest.partition(b"\x00")
        raw = _inflate(text) if compressed == b"\x01" and method == b"\x00" else text[:MAX_TEXT_BYTES]
        return name, raw.decode("utf-8", "replace")
    except (zlib.error, ValueError):
        return name, ""


def _inflate(payload: bytes) -> bytes:
    inflater = zlib.decompressobj()
    return inflater.decompress(payload, MAX_TEXT_BYTES)
