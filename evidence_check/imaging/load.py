"""Loading a photo once: sniff, limits, reduced decode, orientation, metadata.

Every check reads the same `Photo`: a working copy no larger than `working_size` on its longest
side, already turned upright by the EXIF orientation, plus the metadata read once. JPEGs are decoded
straight at a reduced scale with the DCT scaling of libjpeg (`Image.draft`), which costs a fraction
of a full decode; the full resolution is decoded only when a check asks for it.

Memory is bounded before anything is decoded: the header gives the size and mode, and the bytes the
decoder will hold for them (`decoded_bytes`) must fit `Limits.max_decoded_bytes`. Other formats have
no reduced decode, so a large picture is shrunk to the working copy a strip of rows at a time: no
full-size converted copy is ever made beside the decoded one.
"""

from __future__ import annotations

import hashlib
import io
import logging
import math
import os
import stat
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pillow_heif
from PIL import Image, UnidentifiedImageError

from evidence_check.errors import WordedError
from evidence_check.imaging.metadata import Metadata, read_metadata
from evidence_check.imaging.sniff import sniff_format

pillow_heif.register_heif_opener()
logging.getLogger("exifread").setLevel(logging.CRITICAL)

_READABLE = {"JPEG", "PNG", "GIF", "WEBP", "TIFF", "HEIF", "AVIF", "BMP"}
# Pillow names a JPEG with several frames MPO; it reads the same way.
_OPEN_AS = {"JPEG": ["JPEG", "MPO"], "HEIF": ["HEIF"], "AVIF": ["AVIF", "HEIF"]}
_FORMAT_NAMES = {"HEIF": "HEIC/HEIF", "JXL": "JPEG XL"}

# EXIF orientation -> the transposition that makes the photo upright.
_UPRIGHT = {
    2: (Image.Transpose.FLIP_LEFT_RIGHT,),
    3: (Image.Transpose.ROTATE_180,),
    4: (Image.Transpose.FLIP_TOP_BOTTOM,),
    5: (Image.Transpose.TRANSPOSE,),
    6: (Image.Transpose.ROTATE_270,),
    7: (Image.Transpose.TRANSVERSE,),
    8: (Image.Transpose.ROTATE_90,),
}


DRAFT_MARGIN = 0.95
# Pillow's resize first box-reduces by the whole factor that keeps twice the target size; the strip
# reduction below does the same, so that the working copy is the one a plain resize would give.
REDUCING_GAP = 2.0
STRIP_BYTES = 16 * 1024 * 1024  # rows converted at a time while shrinking a large picture

# Bytes per pixel of a decoded picture as Pillow holds it: one for "1", "L" and "P", two for 16-bit
# grey, four for every other mode (three RGB bands are kept in four bytes).
_PILLOW_BYTES = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16L": 2, "I;16B": 2, "I;16N": 2}
# Decoders that hold copies of their own while they fill Pillow's (measured peaks per RGB pixel, 4 of
# them Pillow's): libwebp's frame and canvas (16.5 bytes), libavif's planes and frame (9.4 bytes),
# libtiff's buffer of a strip, which may be the whole picture (7.3 bytes).
_DECODER_COPIES = {"WEBP": 4, "AVIF": 3, "TIFF": 2}
_GIF_SCAN_BYTES = 1 << 20  # extension blocks before a GIF's first frame, read no further
# libheif's planes, in samples per pixel, by chroma subsampling.
_HEIF_PLANES = {420: 1.5, 422: 2.0, 444: 3.0}
# The modes of a HEIF picture read straight from libheif's buffer (others go through Pillow).
_HEIF_BANDS = {"L": 1, "RGB": 3, "RGBA": 4}
_NUMERIC_MODES = ("I", "I;16", "I;16B", "I;16L", "I;16N", "F")


class PhotoError(WordedError):
    """A photo that cannot be analysed: one line a person can read, in English (`str`) or the
    reader's language (`text(lang)`), kept as its code and parameters in the report."""


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 100 * 1024 * 1024
    max_pixels: int = 260_000_000
    working_size: int = 1024
    max_decoded_bytes: int = 896 * 1024 * 1024


@dataclass(frozen=True, eq=False)
class Photo:
    image_id: str  # sha256 of the file's bytes
    filename: str
    data: bytes
    format: str  # what the bytes are, e.g. "JPEG", "HEIF"
    width: int  # upright full-resolution size
    height: int
    orientation: int
    working: Image.Image  # upright RGB copy, longest side <= working_size
    metadata: Metadata
    timings_ms: dict[str, float] = field(default_factory=dict)

    @cached_property
    def full(self) -> Image.Image:
        """The upright RGB photo at full resolution, decoded on first use."""
        with Image.open(io.BytesIO(self.data), formats=_OPEN_AS.get(self.format, [self.format])) as im:
            im.load()  # an RGB photo passes through _to_rgb unchanged: decode before the file closes
            return upright(_to_rgb(im), self.orientation)

    @property
    def scale(self) -> float:
        """Working-copy pixels per full-resolution pixel."""
        return self.working.width / self.width


def read_file(path: Path, limits: Limits) -> bytes:
    """The bytes of a regular file, at most `limits.max_bytes`. A folder, a FIFO or a device is
    refused without reading it: a FIFO with no writer would block the read for ever, a device
    may never end. It is opened without blocking, and checked on the open file, not its name."""
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise PhotoError("photo.no_such_file") from None
    except IsADirectoryError:
        raise PhotoError("photo.folder") from None
    except PermissionError:
        raise PhotoError("photo.permission_denied") from None
    except OSError as exc:
        raise PhotoError("photo.cannot_read", reason=str(exc.strerror or exc)) from None
    try:
        info = os.fstat(descriptor)
        mode, size = info.st_mode, info.st_size
        if stat.S_ISDIR(mode):
            raise PhotoError("photo.folder")
        if not stat.S_ISREG(mode):
            raise _not_regular(mode)
        if size > limits.max_bytes:
            raise PhotoError("photo.too_large", size=_mb(size), limit=_mb(limits.max_bytes))
        return _read_at_most(descriptor, limits.max_bytes + 1)
    except OSError as exc:
        raise PhotoError("photo.cannot_read", reason=str(exc.strerror or exc)) from None
    finally:
        os.close(descriptor)


def _read_at_most(descriptor: int, limit: int) -> bytes:
    chunks: list[bytes] = []
    left = limit
    while left > 0:
        chunk = os.read(descriptor, min(left, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _not_regular(mode: int) -> PhotoError:
    if stat.S_ISFIFO(mode):
        return PhotoError("photo.fifo")
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return PhotoError("photo.device")
    if stat.S_ISSOCK(mode):
        return PhotoError("photo.socket")
    return PhotoError("photo.special_file")


def load_photo(
    data: bytes, filename: str, limits: Limits | None = None, *, image_id: str | None = None
) -> Photo:
    """Decode `data` into a `Photo`, or raise `PhotoError` with a one-line reason. `image_id`: the
    sha256 of `data` when the caller has it already (about 1 ms per 1.6 MB saved)."""
    limits = limits or Limits()
    timings: dict[str, float] = {}
    started = time.perf_counter()
    if not data:
        raise PhotoError("photo.empty")
    if len(data) > limits.max_bytes:
        raise PhotoError("photo.too_large", size=_mb(len(data)), limit=_mb(limits.max_bytes))
    image_id = image_id or hashlib.sha256(data).hexdigest()
    kind = sniff_format(data[:64])
    if kind is None:
        raise PhotoError("photo.not_an_image")
    if kind not in _READABLE:
        raise PhotoError("photo.unsupported", format=_FORMAT_NAMES.get(kind, kind))
    timings["read"] = _ms(started)

    if kind == "GIF":
        _check_gif_canvas(data, limits)
    # Pillow refuses above twice MAX_IMAGE_PIXELS; our own check below enforces the exact limit.
    Image.MAX_IMAGE_PIXELS = limits.max_pixels // 2
    with warnings.catch_warnings():
        # Libraries warn about odd metadata on stderr; a damaged tag shows in Metadata.problems instead.
        warnings.simplefilter("ignore")
        return _decode(data, filename, kind, image_id, limits, timings)


def _decode(
    data: bytes, filename: str, kind: str, image_id: str, limits: Limits, timings: dict[str, float]
) -> Photo:
    name = _FORMAT_NAMES.get(kind, kind)
    try:
        t = time.perf_counter()
        image = Image.open(io.BytesIO(data), formats=_OPEN_AS.get(kind, [kind]))
        width, height = image.size
        if width <= 0 or height <= 0:
            raise PhotoError("photo.empty_picture", format=name, width=width, height=height)
        if width * height > limits.max_pixels:
            raise PhotoError(
                "photo.too_many_pixels",
                format=name,
                width=width,
                height=height,
                megapixels=f"{width * height / 1e6:.0f}",
                limit=f"{limits.max_pixels / 1e6:.0f}",
            )
        # Before the metadata: Pillow decodes a whole PNG to look for an eXIf chunk after the pixels.
        coefficients = _jpeg_coefficient_bytes(image)  # at full size, before the draft
        _reduce_decode(image, limits.working_size)
        needed = decoded_bytes(image, kind) + coefficients
        if needed > limits.max_decoded_bytes:
            said = {"format": name, "width": width, "height": height, "mode": image.mode}
            said |= {"needed": _mib(needed), "limit": _mib(limits.max_decoded_bytes)}
            if coefficients:
                raise PhotoError("photo.decoding_limit_progressive", **said)
            raise PhotoError("photo.decoding_limit", **said)
        timings["open"] = _ms(t)
        t = time.perf_counter()
        metadata = read_metadata(image, data)
        orientation = _orientation(metadata)
        timings["exif"] = _ms(t)
        t = time.perf_counter()
        working = upright(_working_copy(image, data, limits.working_size), orientation)
        timings["decode"] = _ms(t)
    except PhotoError:
        raise
    except Image.DecompressionBombError:
        raise PhotoError("photo.pixels_over_limit", format=name, limit=f"{limits.max_pixels / 1e6:.0f}") from None
    except UnidentifiedImageError:
        raise PhotoError("photo.damaged_start", format=name) from None
    except MemoryError:
        raise PhotoError("photo.too_large_to_decode", format=name) from None
    except (OSError, ValueError, SyntaxError, EOFError, TypeError, IndexError, KeyError, RuntimeError) as exc:
        raise PhotoError("photo.damaged", format=name, problem=_one_line(exc)) from None
    upright_w, upright_h = (height, width) if orientation in (5, 6, 7, 8) else (width, height)
    return Photo(
        image_id=image_id,
        filename=filename,
        data=data,
        format=kind,
        width=upright_w,
        height=upright_h,
        orientation=orientation,
        working=working,
        metadata=metadata,
        timings_ms=timings,
    )


def _check_gif_canvas(data: bytes, limits: Limits) -> None:
    """Refuse a GIF whose first frame is too large before Pillow opens it.

    Opening a GIF already fills a buffer the size of its first frame when that frame asks to be
    disposed to the background: a 47-byte file declaring a 22909x10496 frame cost 240 MB and a second
    of filling before the budget below could refuse it. The logical screen and the first frame's
    extent are read here, from the header and the blocks before the first image descriptor.
    """
    width, height = int.from_bytes(data[6:8], "little"), int.from_bytes(data[8:10], "little")
    position = 13 + (3 << ((data[10] & 7) + 1) if len(data) > 10 and data[10] & 0x80 else 0)
    while position < min(len(data), _GIF_SCAN_BYTES):
        block = data[position]
        if block == 0x2C and position + 9 < len(data):  # the first image descriptor
            left, top, frame_w, frame_h = (
                int.from_bytes(data[position + 1 + 2 * i : position + 3 + 2 * i], "little") for i in range(4)
            )
            width, height = max(width, left + frame_w), max(height, top + frame_h)
            break
        if block == 0x3B:  # the trailer: no frame at all
            break
        if block != 0x21:  # Pillow passes over a byte that starts no block, and so do we
            position += 1
            continue
        position += 2
        while position < len(data) and data[position]:  # the extension's sub-blocks
            position += data[position] + 1
        position += 1
    if width * height > limits.max_pixels:
        raise PhotoError(
            "photo.gif_frame_too_large",
            width=width,
            height=height,
            megapixels=f"{width * height / 1e6:.0f}",
            limit=f"{limits.max_pixels / 1e6:.0f}",
        )
    needed = width * height * _PILLOW_BYTES["P"] * 2  # the frame and the background it is disposed to
    if needed > limits.max_decoded_bytes:
        raise PhotoError(
            "photo.gif_decoding_limit", width=width, height=height, needed=_mib(needed), limit=_mib(limits.max_decoded_bytes)
        )


def decoded_bytes(image: Image.Image, kind: str) -> int:
    """The bytes the decoder holds for `image` (as opened, after any `draft`), its copies included."""
    pixels = image.width * image.height
    if image.format == "HEIF":
        return int(pixels * _heif_bytes_per_pixel(image))
    return pixels * _PILLOW_BYTES.get(image.mode, 4) * _DECODER_COPIES.get(kind, 1)


def _jpeg_coefficient_bytes(image: Image.Image) -> int:
    """What libjpeg keeps of a progressive JPEG whatever the draft scale: every DCT coefficient of
    the whole picture, two bytes a sample (a 192 MP 4:2:0 photo: 549 MiB; measured 565 MB)."""
    layers = getattr(image, "layer", None)
    if image.format not in ("JPEG", "MPO") or not image.info.get("progressive") or not layers:
        return 0
    most = max(h for _, h, _, _ in layers) * max(v for _, _, v, _ in layers) or 1
    samples = sum(h * v for _, h, v, _ in layers) / most
    return int(image.width * image.height * samples * 2)


def _heif_bytes_per_pixel(image: Image.Image) -> float:
    """libheif decodes the colour planes (4:2:0 chroma: 1.5 samples a pixel), and converts them into
    one buffer of 8-bit samples, which is then read a strip at a time."""
    depth = 2 if int(image.info.get("bit_depth") or 8) > 8 else 1
    planes = _HEIF_PLANES.get(int(image.info.get("chroma") or 0), 1.0 if image.mode == "L" else 3.0)
    alpha = 1.0 if image.mode == "RGBA" else 0.0
    return len(image.getbands()) + (planes + alpha) * depth


def _reduce_decode(image: Image.Image, size: int) -> None:
    """Ask the decoder for less than full resolution where the format allows (JPEG, MPO)."""
    if image.format in ("JPEG", "MPO"):
        # libjpeg decodes at 1/2, 1/4 or 1/8 scale, never below the requested size. Asking for
        # the aspect-true target less a margin lets a 4032 px photo decode at 1/4 (1008 px)
        # instead of 1/2: about four times less work for a working copy 2 % smaller.
        # At least a pixel a side: Pillow divides by the requested size (a 10x16394 strip).
        ratio = size * DRAFT_MARGIN / max(image.size)
        image.draft("RGB", (max(1, int(image.width * ratio)), max(1, int(image.height * ratio))))


def _working_copy(image: Image.Image, data: bytes, size: int) -> Image.Image:
    """An RGB copy whose longest side is at most `size`: what `resize` would give, but reduced a strip
    of rows at a time, so that no full-size copy is made beside the decoded picture."""
    frame = _heif_pixels(data) if image.format == "HEIF" else None
    rows: Callable[[int, int], Image.Image]
    if frame is not None:
        height, width = frame.shape[:2]
        samples = frame[:, :, 0] if frame.shape[2] == 1 else frame

        def rows(top: int, bottom: int) -> Image.Image:
            return Image.fromarray(samples[top:bottom])

        peak = None
    else:
        image.load()
        width, height = image.size

        def rows(top: int, bottom: int) -> Image.Image:
            return image if bottom - top == height else image.crop((0, top, width, bottom))

        peak = _largest_value(image)
    ratio = min(1.0, size / max(width, height))
    target = (max(1, round(width * ratio)), max(1, round(height * ratio)))
    factor_x = int(width / target[0] / REDUCING_GAP) or 1
    factor_y = int(height / target[1] / REDUCING_GAP) or 1
    if factor_x == 1 and factor_y == 1:
        whole = _to_rgb(rows(0, height), peak)
        if whole.size == target:
            return whole.copy() if whole.readonly else whole
        return whole.resize(target, Image.Resampling.BILINEAR)
    reduced = Image.new("RGB", (math.ceil(width / factor_x), math.ceil(height / factor_y)))
    step = factor_y * max(1, STRIP_BYTES // (width * 4 * factor_y))
    for top in range(0, height, step):
        strip = _to_rgb(rows(top, min(height, top + step)), peak)
        reduced.paste(strip.reduce((factor_x, factor_y)), (0, top // factor_y))
    return reduced.resize(target, Image.Resampling.BILINEAR, box=(0.0, 0.0, width / factor_x, height / factor_y))


def _largest_value(image: Image.Image) -> float | None:
    """The largest sample of a numeric (16-bit, 32-bit, float) picture, which `_to_rgb` maps to 255."""
    if image.mode not in _NUMERIC_MODES:
        return None
    largest = image.getextrema()[1]
    return float(largest) if isinstance(largest, int | float) else None


def _heif_pixels(data: bytes) -> np.ndarray | None:
    """The primary picture of a HEIF file as libheif decoded it: a view of its buffer, no copy; None
    for a mode other than 8-bit L, RGB or RGBA (Pillow reads those)."""
    heif = pillow_heif.open_heif(io.BytesIO(data), convert_hdr_to_8bit=True, remove_stride=False)
    primary = heif[heif.primary_index]
    bands = _HEIF_BANDS.get(primary.mode)
    if bands is None:
        return None
    width, height = primary.size
    # Rows are padded to the decoder's stride, which need not be a whole number of pixels.
    return np.ndarray((height, width, bands), np.uint8, buffer=primary.data, strides=(primary.stride, bands, 1))


def _to_rgb(image: Image.Image, top: float | None = None) -> Image.Image:
    """`image` in RGB; numeric modes are scaled so that `top` (default: their own largest value) is 255."""
    if image.mode == "RGB":
        return image
    if image.mode in _NUMERIC_MODES:
        values = np.asarray(image, dtype=np.float64)
        scale = 255.0 / ((values.max() if top is None else top) or 1.0)
        return Image.fromarray((values * scale).astype(np.uint8)).convert("RGB")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")


def _orientation(metadata: Metadata) -> int:
    value = metadata.exif.get("Orientation", 1)
    try:
        value = int(value)
    except (TypeError, ValueError):
        return 1
    return value if 1 <= value <= 8 else 1


def upright(image: Image.Image, orientation: int) -> Image.Image:
    for step in _UPRIGHT.get(orientation, ()):
        image = image.transpose(step)
    return image


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:160]


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MiB"


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000.0, 3)
