"""Small JPEG previews of a decoded image, for reports and for pictures a photo was matched with.

Re-encoded from the pixels, so nothing of the original file travels: no EXIF, no GPS, no maker
notes, not the original bytes.
"""

from __future__ import annotations

import base64
import io

from PIL import Image

MATCHED_SIDE = 240  # the stored thumbnail of a catalog image or reference photo
QUALITY = 82


def preview_jpeg(image: Image.Image, side: int = MATCHED_SIDE) -> bytes:
    """The image fitted in `side` x `side` pixels, as a JPEG without metadata."""
    copy = image.convert("RGB")
    copy.thumbnail((side, side), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    copy.save(buffer, format="JPEG", quality=QUALITY)
    return buffer.getvalue()


def jpeg_uri(data: bytes) -> str:
    """A data URI of JPEG bytes, for a self-contained page."""
    return "data:image/jpeg;base64," + base64.b64encode(data).decode("ascii")
