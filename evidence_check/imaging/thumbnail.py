"""The EXIF thumbnail: the small preview a camera stores beside the photo, and whether it still matches.

A camera writes the thumbnail and the photo from the same capture. Most editors regenerate the
thumbnail when they save, but some tools (and some hand-made forgeries) change the pixels and leave
the old preview behind: a thumbnail that shows something else, or a wider scene (the photo was
cropped), is a trace of a change after capture.

The thumbnail is stored in the sensor's orientation, like the main image before its EXIF rotation;
it is turned upright the same way before it is compared with the working copy. Black bars that
cameras add to fit a 4:3 preview box are cut off first. A preview may also be turned a further
quarter or half turn (`turn`): a lossless rotation (`jpegtran -rotate 90 -copy all`) turns the photo's
pixels and leaves the EXIF, preview included, as the camera wrote it.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass

import numpy as np
from PIL import Image

from evidence_check.imaging.load import upright
from evidence_check.imaging.metadata import read_tiff_directory

MAX_THUMBNAIL_BYTES = 256 * 1024
MAX_THUMBNAIL_SIDE = 1024
COMPARE_SIZE = 24
BAR_MEAN, BAR_PEAK = 8, 40  # an edge row/column this dark throughout is a letterbox bar
# Clockwise turns of the preview, in degrees, as Pillow's transposes (which turn anticlockwise).
QUARTER_TURNS = {90: Image.Transpose.ROTATE_270, 180: Image.Transpose.ROTATE_180, 270: Image.Transpose.ROTATE_90}

@dataclass(frozen=True)
class ThumbnailComparison:
    similarity: float  # correlation of the two greyscale pictures at 24x24, -1..1
    mean_difference: float  # mean absolute difference of the 24x24 colour pictures, 0..255
    thumbnail_aspect: float  # width / height after bars were cut
    photo_aspect: float
    thumbnail_size: tuple[int, int]
    bars_cut: bool  # letterbox bars were removed, so the aspect ratio is the scene's, approximately

    @property
    def aspect_change(self) -> float:
        """How many times wider (or narrower) the preview's framing is than the photo's, >= 1."""
        ratio = self.thumbnail_aspect / self.photo_aspect
        return max(ratio, 1.0 / ratio)

    def as_details(self) -> dict[str, object]:
        return {
            "similarity": round(self.similarity, 3),
            "mean_difference": round(self.mean_difference, 1),
            "thumbnail_aspect": round(self.thumbnail_aspect, 3),
            "photo_aspect": round(self.photo_aspect, 3),
            "thumbnail_size": list(self.thumbnail_size),
            "bars_cut": self.bars_cut,
        }


def extract_thumbnail(exif_tiff: bytes) -> bytes | None:
    """The JPEG bytes of the IFD1 thumbnail of an EXIF (TIFF) block, if it has one."""
    if len(exif_tiff) < 8 or exif_tiff[:2] not in (b"II", b"MM"):
        return None
    order = "<" if exif_tiff[:2] == b"II" else ">"
    (ifd0_offset,) = struct.unpack(order + "I", exif_tiff[4:8])
    ifd0 = read_tiff_directory(exif_tiff, order, ifd0_offset)
    ifd1 = read_tiff_directory(exif_tiff, order, ifd0.following) if ifd0 and ifd0.following >= 8 else None
    if ifd1 is None:
        return None
    entries = {tag: value for tag, _kind, value in ifd1.entries if tag in (0x0201, 0x0202)}
    offset, length = entries.get(0x0201), entries.get(0x0202)
    if not offset or not length or length > MAX_THUMBNAIL_BYTES or offset + length > len(exif_tiff):
        return None
    thumbnail = exif_tiff[offset : offset + length]
    return thumbnail if thumbnail.startswith(b"\xff\xd8") else None


def open_thumbnail(thumbnail: bytes, orientation: int, turn: int = 0) -> tuple[Image.Image, bool] | None:
    """The thumbnail upright (then turned `turn` degrees clockwise) with its letterbox bars cut, and
    whether bars were cut; None when it cannot be read or is too large or too small to be a preview."""
    try:
        with Image.open(io.BytesIO(thumbnail), formats=["JPEG"]) as image:
            if max(image.size) > MAX_THUMBNAIL_SIDE:
                return None
            small = image.convert("RGB")
    except Exception:  # a broken preview is no evidence either way
        return None
    small = upright(small, orientation)
    if turn:
        small = small.transpose(QUARTER_TURNS[turn])
    framed = small.size
    small = _cut_bars(small)
    if small.width < 8 or small.height < 8:
        return None
    return small, small.size != framed


def compare_thumbnail(
    thumbnail: bytes, orientation: int, working: Image.Image, turn: int = 0
) -> ThumbnailComparison | None:
    """Compare the thumbnail (turned `turn` degrees clockwise) with the upright working copy; None
    when the thumbnail cannot be read."""
    opened = open_thumbnail(thumbnail, orientation, turn)
    if opened is None:
        return None
    small, bars_cut = opened
    a = _pixels(small)
    b = _pixels(working)
    grey_a, grey_b = a.mean(axis=2).ravel(), b.mean(axis=2).ravel()
    grey_a, grey_b = grey_a - grey_a.mean(), grey_b - grey_b.mean()
    norm = float(np.linalg.norm(grey_a) * np.linalg.norm(grey_b))
    similarity = float(grey_a @ grey_b) / norm if norm > 1e-6 else (1.0 if np.allclose(a, b, atol=8) else 0.0)
    return ThumbnailComparison(
        similarity=similarity,
        mean_difference=float(np.abs(a - b).mean()),
        thumbnail_aspect=small.width / small.height,
        photo_aspect=working.width / working.height,
        thumbnail_size=small.size,
        bars_cut=bars_cut,
    )


def _pixels(image: Image.Image) -> np.ndarray:
    resized = image.resize((COMPARE_SIZE, COMPARE_SIZE), Image.Resampling.BOX)
    return np.asarray(resized, dtype=np.float64)


def _cut_bars(image: Image.Image) -> Image.Image:
    grey = np.asarray(image.convert("L"), dtype=np.float64)
    rows = (grey.mean(axis=1) > BAR_MEAN) | (grey.max(axis=1) > BAR_PEAK)
    cols = (grey.mean(axis=0) > BAR_MEAN) | (grey.max(axis=0) > BAR_PEAK)
    top, bottom = _first_lit(rows), len(rows) - _first_lit(rows[::-1])
    left, right = _first_lit(cols), len(cols) - _first_lit(cols[::-1])
    # A camera centres the preview in its box: bars come in equal pairs. A dark scene does not.
    if abs(top - (len(rows) - bottom)) > 2:
        top, bottom = 0, len(rows)
    if abs(left - (len(cols) - right)) > 2:
        left, right = 0, len(cols)
    if bottom - top < 8 or right - left < 8:
        return image
    return image.crop((left, top, right, bottom))


def _first_lit(lit_lines: np.ndarray) -> int:
    lit = np.nonzero(lit_lines)[0]
    return int(lit[0]) if len(lit) else 0
