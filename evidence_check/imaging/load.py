"""Loading a photo once: sniff, limits, reduced decode, orientation, metadata.

Every check reads the same `Photo`: a working copy no larger than `working_size` on its longest
side, already turned upright by the EXIF orientation, plus the metadata read once. JPEGs are decoded
straight at a reduced scale with the DCT scaling of libjpeg (`Image.draft`), which costs a fraction
of a full decode; the full resolution is decoded only when a check asks for it.
"""

from __future__ import annotations

import hashlib
import io
import logging
import time
import warnings
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pillow_heif
from PIL import Image, UnidentifiedImageError

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


class PhotoError(Exception):
    """A photo that cannot be analysed; the message is one line a person can read."""


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 100 * 1024 * 1024
    max_pixels: int = 260_000_000
    working_size: int = 1024


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
    try:
        size = path.stat().st_size
        if size > limits.max_bytes:
            raise PhotoError(f"the file is {_mb(size)}, over the {_mb(limits.max_bytes)} limit")
        with path.open("rb") as handle:
            return handle.read(limits.max_bytes + 1)
    except FileNotFoundError:
        raise PhotoError("no such file") from None
    except IsADirectoryError:
        raise PhotoError("is a folder, not a file") from None
    except PermissionError:
        raise PhotoError("permission denied") from None
    except OSError as exc:
        raise PhotoError(f"cannot read the file: {exc.strerror or exc}") from None


def load_photo(
    data: bytes, filename: str, limits: Limits | None = None, *, image_id: str | None = None
) -> Photo:
    """Decode `data` into a `Photo`, or raise `PhotoError` with a one-line reason. `image_id`: the
    sha256 of `data` when the caller has it already (about 1 ms per 1.6 MB saved)."""
    limits = limits or Limits()
    timings: dict[str, float] = {}
    started = time.perf_counter()
    if not data:
        raise PhotoError("the file is empty")
    if len(data) > limits.max_bytes:
        raise PhotoError(f"the file is {_mb(len(data))}, over the {_mb(limits.max_bytes)} limit")
    image_id = image_id or hashlib.sha256(data).hexdigest()
    kind = sniff_format(data[:64])
    if kind is None:
        raise PhotoError("not an image in a format we read (JPEG, PNG, WebP, HEIC, AVIF, TIFF, GIF)")
    if kind not in _READABLE:
        raise PhotoError(
            f"{_FORMAT_NAMES.get(kind, kind)} images are not supported yet; ask for a JPEG or HEIC"
        )
    timings["read"] = _ms(started)

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
            raise PhotoError(f"the {name} file declares an empty picture ({width}x{height})")
        if width * height > limits.max_pixels:
            raise PhotoError(
                f"the {name} file declares {width}x{height} pixels "
                f"({width * height / 1e6:.0f} MP), over the {limits.max_pixels / 1e6:.0f} MP limit"
            )
        timings["open"] = _ms(t)
        t = time.perf_counter()
        metadata = read_metadata(image, data)
        orientation = _orientation(metadata)
        timings["exif"] = _ms(t)
        t = time.perf_counter()
        working = _working_copy(image, limits.working_size)
        working = upright(working, orientation)
        timings["decode"] = _ms(t)
    except PhotoError:
        raise
    except Image.DecompressionBombError:
        raise PhotoError(
            f"the {name} file declares more pixels than the {limits.max_pixels / 1e6:.0f} MP limit"
        ) from None
    except UnidentifiedImageError:
        raise PhotoError(f"the file starts like {name} but cannot be read: it is damaged") from None
    except MemoryError:
        raise PhotoError(f"the {name} file is too large to decode") from None
    except (OSError, ValueError, SyntaxError, EOFError, TypeError, IndexError, KeyError, RuntimeError) as exc:
        raise PhotoError(f"the {name} file is damaged or truncated ({_one_line(exc)})") from None
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


def _working_copy(image: Image.Image, size: int) -> Image.Image:
    if image.format in ("JPEG", "MPO"):
        # libjpeg decodes at 1/2, 1/4 or 1/8 scale, never below the requested size. Asking for
        # the aspect-true target less a margin lets a 4032 px photo decode at 1/4 (1008 px)
        # instead of 1/2: about four times less work for a working copy 2 % smaller.
        ratio = size * DRAFT_MARGIN / max(image.size)
        image.draft("RGB", (int(image.width * ratio), int(image.height * ratio)))
    image.load()
    if image.mode != "RGB":
        image = _to_rgb(image)
    width, height = image.size
    if max(width, height) <= size:
        return image.copy() if image.readonly else image
    ratio = size / max(width, height)
    target = (max(1, round(width * ratio)), max(1, round(height * ratio)))
    # resize() returns a new image: no copy of a huge read-only decode (a 200 MP HEIC) is made.
    return image.resize(target, Image.Resampling.BILINEAR, reducing_gap=2.0)


def _to_rgb(image: Image.Image) -> Image.Image:
    if image.mode == "RGB":
        return image
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        values = np.asarray(image, dtype=np.float64)
        top = values.max() or 1.0
        return Image.fromarray((values * (255.0 / top)).astype(np.uint8)).convert("RGB")
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


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000.0, 3)
