"""Thumbnails of the pictures a photo may be matched with — catalog images, stock and review
photos — by tenant and image id: small JPEGs re-encoded from the decoded image, so neither the
original bytes nor their metadata are kept or ever leave the store.

A thumbnail stays when its catalog image or reference is deleted: a report recorded before still
shows what it matched.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlalchemy import DateTime, Integer, LargeBinary, String, UniqueConstraint, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from evidence_check.store.database import Store, StoreError, _one_line
from evidence_check.store.tables import Base
from evidence_check.widths import TENANT_WIDTH


class ThumbnailRow(Base):
    __tablename__ = "thumbnails"
    __table_args__ = (UniqueConstraint("tenant", "image_id", name="uq_thumbnails_tenant_image"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(TENANT_WIDTH))
    image_id: Mapped[str] = mapped_column(String(64))  # sha256 of the original file's bytes
    data: Mapped[bytes] = mapped_column(LargeBinary)  # JPEG
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def put_thumbnails(store: Store, tenant: str, pictures: Mapping[str, bytes], when: datetime) -> int:
    """Store the thumbnails (image id -> JPEG) the tenant has none of yet; how many were new.

    Another process storing the same picture at the same moment wins: this one then stores the rest."""
    try:
        return _put_thumbnails(store, tenant, pictures, when)
    except IntegrityError:
        pass
    try:
        return _put_thumbnails(store, tenant, pictures, when)
    except IntegrityError as exc:
        raise StoreError(f"could not store thumbnails: {_one_line(exc)}") from None


def _put_thumbnails(store: Store, tenant: str, pictures: Mapping[str, bytes], when: datetime) -> int:
    if not pictures:
        return 0
    try:
        with store.sessions.begin() as session:
            have = set(
                session.scalars(
                    select(ThumbnailRow.image_id).where(
                        ThumbnailRow.tenant == tenant, ThumbnailRow.image_id.in_(list(pictures))
                    )
                )
            )
            new = {image_id: data for image_id, data in pictures.items() if image_id not in have}
            session.add_all(
                ThumbnailRow(tenant=tenant, image_id=image_id, data=data, created_at=when)
                for image_id, data in new.items()
            )
            return len(new)
    except IntegrityError:
        raise
    except SQLAlchemyError as exc:
        raise StoreError(f"could not store thumbnails: {_one_line(exc)}") from None


def thumbnails_of(store: Store, tenant: str, image_ids: Iterable[str]) -> dict[str, bytes]:
    """The tenant's thumbnails of these image ids (those it has)."""
    wanted = list(dict.fromkeys(image_ids))
    if not wanted:
        return {}
    try:
        with store.sessions() as session:
            rows = session.execute(
                select(ThumbnailRow.image_id, ThumbnailRow.data).where(
                    ThumbnailRow.tenant == tenant, ThumbnailRow.image_id.in_(wanted)
                )
            ).all()
    except SQLAlchemyError as exc:
        raise StoreError(f"could not read thumbnails: {exc.__class__.__name__}") from None
    return {image_id: bytes(data) for image_id, data in rows}


def thumbnail_ids(store: Store, tenant: str, among: Iterable[str] | None = None) -> set[str]:
    """The image ids the tenant has thumbnails of (of those `among`, when given)."""
    query = select(ThumbnailRow.image_id).where(ThumbnailRow.tenant == tenant)
    if among is not None:
        wanted = list(among)
        if not wanted:
            return set()
        query = query.where(ThumbnailRow.image_id.in_(wanted))
    try:
        with store.sessions() as session:
            return set(session.scalars(query))
    except SQLAlchemyError as exc:
        raise StoreError(f"could not read thumbnails: {exc.__class__.__name__}") from None
