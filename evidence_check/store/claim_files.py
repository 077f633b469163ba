"""What a claim is verified again from: its fields as sent, and its photos' files as received.

Kept so that `reverify` can analyse a claim anew against today's catalog and references. The
files are the customer's originals (their metadata is evidence); `reuse forget-features
--older-than DAYS` deletes those of photos older than that, after which such a claim can no
longer be verified again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields as dataclass_fields
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import SQLAlchemyError

from evidence_check.errors import WordedError
from evidence_check.models import Claim, ClaimReason, Region, Timeline, WantedOutcome
from evidence_check.store.database import PHOTO_REGIONS, Store, StoreError, store_errors
from evidence_check.store.tables import ClaimRow, PhotoFileRow, PhotoRow


def claim_fields(claim: Claim) -> dict[str, Any]:
    """The claim as JSON, all of it but the tenant and id (which its row holds)."""
    timeline = {
        item.name: (value.isoformat() if (value := getattr(claim.timeline, item.name)) else None)
        for item in dataclass_fields(Timeline)
    }
    region = claim.region
    return {
        "timeline": timeline,
        "customer_id": claim.customer_id,
        "sku": claim.sku,
        "category": claim.category,
        "reason": claim.reason.value,
        "order_id": claim.order_id,
        "wanted": claim.wanted.value if claim.wanted else None,
        # [x, y, w, h], and the photo's number as a fifth value when the region names one
        "region": ([region.x, region.y, region.w, region.h] + ([region.photo] if region.photo else [])) if region else None,
        "time_zone": claim.time_zone,
        "lang": claim.lang,
    }


def regions_by_image(claim: Claim, image_ids: Sequence[str | None]) -> dict[str, list[int] | None]:
    """Each region of the claim as [x, y, w, h] by the image id of the photo it was drawn on, and
    None by that of the photo whose region the claim takes back (`with_earlier_regions` drops it);
    `image_ids`: of the photos verified, in their order (None: a photo not received)."""
    found: dict[str, list[int] | None] = {}
    for region in claim.regions:
        if region.photo_number <= len(image_ids) and (image_id := image_ids[region.photo_number - 1]):
            found[image_id] = [region.x, region.y, region.w, region.h]
    number = claim.region_taken_back
    if number is not None and number <= len(image_ids) and (image_id := image_ids[number - 1]):
        found[image_id] = None
    return found


def claim_from_fields(tenant: str, claim_id: str, fields: dict[str, Any]) -> Claim:
    timeline = Timeline(
        **{name: datetime.fromisoformat(value) for name, value in fields["timeline"].items() if value}
    )
    region = fields.get("region")
    return Claim(
        claim_id=claim_id,
        timeline=timeline,
        customer_id=fields.get("customer_id"),
        sku=fields.get("sku"),
        category=fields.get("category"),
        reason=ClaimReason(fields.get("reason", ClaimReason.DAMAGED.value)),
        order_id=fields.get("order_id"),
        wanted=WantedOutcome(fields["wanted"]) if fields.get("wanted") else None,
        region=Region(*region) if region else None,
        tenant=tenant,
        time_zone=fields.get("time_zone", "UTC"),
        lang=fields.get("lang", "en"),
    )


class NotKept(WordedError):
    """The claim exists but cannot be verified again; the message says why, in one line."""


def kept_claim(store: Store, tenant: str, claim_id: str) -> tuple[Claim, list[tuple[str, bytes]]] | None:
    """The claim as last sent and its photos' files in the order received; None when the tenant has
    no such claim, `NotKept` when its fields or files were not kept (or were deleted since)."""
    try:
        with store.sessions() as session:
            row = session.scalar(select(ClaimRow).where(ClaimRow.tenant == tenant, ClaimRow.claim_id == claim_id))
            if row is None:
                return None
            photos = session.execute(
                select(PhotoRow.image_id, PhotoRow.filename, PhotoFileRow.data)
                .outerjoin(PhotoFileRow, PhotoFileRow.photo_pk == PhotoRow.id)
                .where(PhotoRow.claim_pk == row.id)
                .order_by(PhotoRow.id)
            ).all()
            fields = row.fields
    except SQLAlchemyError as exc:
        raise StoreError(f"could not read claim {claim_id}: {exc.__class__.__name__}") from None
    if fields is None:
        raise NotKept("claim.not_kept", claim_id=claim_id)
    missing = [filename for _, filename, data in photos if data is None]
    if missing or not photos:
        raise NotKept("claim.files_gone", claim_id=claim_id, missing=len(missing), photos=len(photos))
    claim = claim_from_fields(tenant, claim_id, dict(fields))
    by_image = fields.get(PHOTO_REGIONS)
    if by_image is not None:
        # Each photo judged by the region drawn on it, numbered as the photos are verified again. A
        # claim recorded before its fields kept them has the region of its latest request alone.
        numbered = []
        for number, (image_id, _, _) in enumerate(photos, 1):
            if image_id in by_image:
                x, y, w, h = by_image[image_id]
                numbered.append(Region(x, y, w, h, photo=number))
        claim = replace(claim, region=None, photo_regions=tuple(numbered))
    return claim, [(name, bytes(data)) for _, name, data in photos]


def sent_fields(store: Store, tenant: str, claim_id: str) -> dict[str, Any] | None:
    """The claim's fields as last sent (`claim_fields`); None when the tenant has no such claim or
    it was recorded before they were kept."""
    try:
        with store.sessions() as session:
            fields = session.scalar(
                select(ClaimRow.fields).where(ClaimRow.tenant == tenant, ClaimRow.claim_id == claim_id)
            )
    except SQLAlchemyError as exc:
        raise StoreError(f"could not read claim {claim_id}: {exc.__class__.__name__}") from None
    return dict(fields) if fields else None


def claim_image_ids(store: Store, tenant: str, claim_id: str) -> set[str]:
    """The image ids of the photos the tenant's claim holds (none when there is no such claim)."""
    try:
        with store.sessions() as session:
            ids = session.scalars(
                select(PhotoRow.image_id)
                .join(ClaimRow, ClaimRow.id == PhotoRow.claim_pk)
                .where(ClaimRow.tenant == tenant, ClaimRow.claim_id == claim_id)
            ).all()
    except SQLAlchemyError as exc:
        raise StoreError(f"could not read the photos of claim {claim_id}: {exc.__class__.__name__}") from None
    return set(ids)


def photo_files(store: Store, tenant: str, claim_id: str) -> list[tuple[str, str, bytes]]:
    """(image id, filename, file) of each kept photo of the claim, in the order received."""
    try:
        with store.sessions() as session:
            rows = session.execute(
                select(PhotoRow.image_id, PhotoRow.filename, PhotoFileRow.data)
                .join(PhotoFileRow, PhotoFileRow.photo_pk == PhotoRow.id)
                .join(ClaimRow, ClaimRow.id == PhotoRow.claim_pk)
                .where(ClaimRow.tenant == tenant, ClaimRow.claim_id == claim_id)
                .order_by(PhotoRow.id)
            ).all()
    except SQLAlchemyError as exc:
        raise StoreError(f"could not read the photos of claim {claim_id}: {exc.__class__.__name__}") from None
    return [(image_id, filename, bytes(data)) for image_id, filename, data in rows]


@store_errors("could not read the photos' files")
def files_by_image(store: Store, tenant: str, image_ids: list[str]) -> dict[str, tuple[str, bytes]]:
    """(filename, file) of one kept copy (the first kept) of each of the tenant's photos with these
    image ids: the copies are the same bytes, and a photo sent in many claims is kept in each, so a
    report's thumbnails and `reuse refresh` read one file per photo, not one per claim."""
    if not image_ids:
        return {}
    first_kept = (
        select(func.min(PhotoRow.id))
        .join(PhotoFileRow, PhotoFileRow.photo_pk == PhotoRow.id)
        .where(PhotoRow.tenant == tenant, PhotoRow.image_id.in_(image_ids))
        .group_by(PhotoRow.image_id)
    )
    with store.engine.connect() as connection:
        rows = connection.execute(
            select(PhotoRow.image_id, PhotoRow.filename, PhotoFileRow.data)
            .join(PhotoFileRow, PhotoFileRow.photo_pk == PhotoRow.id)
            .where(PhotoRow.id.in_(first_kept))
        ).all()
    return {image_id: (filename, bytes(data)) for image_id, filename, data in rows}


def file_of_image(store: Store, tenant: str, image_id: str) -> tuple[str, bytes] | None:
    """(filename, file) of the first kept copy of the tenant's photo with this image id, or None."""
    return files_by_image(store, tenant, [image_id]).get(image_id)


def forget_photo_files(store: Store, before: datetime, tenant: str | None = None) -> int:
    """Delete the files of photos first seen before `before`; return how many."""
    photos = select(PhotoRow.id).where(PhotoRow.first_seen < before)
    if tenant is not None:
        photos = photos.where(PhotoRow.tenant == tenant)
    try:
        with store.sessions.begin() as session:
            result = session.execute(delete(PhotoFileRow).where(PhotoFileRow.photo_pk.in_(photos)))
    except SQLAlchemyError as exc:
        raise StoreError(f"could not delete photo files: {exc.__class__.__name__}") from None
    return int(getattr(result, "rowcount", 0) or 0)
