"""Pictures of a claim's kept photos for a person to look at: small previews that know their photo's
size (so a region given in the photo's pixels can be drawn on them), and the error-level view.

Both are re-encoded from the kept files: no metadata of the customer's original travels with them.
A photo whose file is no longer kept (retention) or cannot be read has neither.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image

from evidence_check.imaging.ela import error_levels
from evidence_check.imaging.load import Limits, Photo, PhotoError, load_photo
from evidence_check.render.html import thumbnail_uri
from evidence_check.store import Store
from evidence_check.store.claim_files import photo_files

ELA_SIDE = 1600  # the error-level picture is measured at full size and shown at most this wide


@dataclass(frozen=True)
class Preview:
    uri: str  # data:image/jpeg;base64,...
    width: int  # the upright photo's full-resolution size, the pixels a region is given in
    height: int


def kept_photos(store: Store, tenant: str, claim_id: str, limits: Limits) -> list[Photo]:
    """The claim's kept photo files, decoded once (a file that no longer reads is left out)."""
    photos = []
    for image_id, filename, data in photo_files(store, tenant, claim_id):
        try:
            photos.append(load_photo(data, filename, limits, image_id=image_id))
        except PhotoError:
            continue
    return photos


def claim_previews(store: Store, tenant: str, claim_id: str, limits: Limits) -> dict[str, Preview]:
    """A JPEG preview of each kept photo of the claim, by image id (HEIC and the rest alike)."""
    return {
        photo.image_id: Preview(thumbnail_uri(photo.working), photo.width, photo.height)
        for photo in kept_photos(store, tenant, claim_id, limits)
    }


def upload_preview(data: bytes, filename: str, limits: Limits) -> tuple[bytes, int, int]:
    """A JPEG preview of a photo not yet sent with a claim (a browser shows no HEIC), with the
    photo's upright size; `PhotoError` when it cannot be read."""
    photo = load_photo(data, filename, limits)
    copy = photo.working.convert("RGB")
    buffer = io.BytesIO()
    copy.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue(), photo.width, photo.height


def error_level_png(store: Store, tenant: str, claim_id: str, image_id: str, limits: Limits) -> bytes | None:
    """The error-level view of one kept photo of the claim as PNG, measured on the full-resolution
    photo (a shrunk copy would hide the compression's traces); None when the tenant's claim has
    no such kept photo, or it cannot be read."""
    found = next((f for f in photo_files(store, tenant, claim_id) if f[0] == image_id), None)
    if found is None:
        return None
    try:
        photo = load_photo(found[2], found[1], limits, image_id=image_id)
    except PhotoError:
        return None
    picture = error_levels(photo.full).picture
    picture.thumbnail((ELA_SIDE, ELA_SIDE), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()
