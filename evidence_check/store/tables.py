"""The tables. Changes go through a migration in `migrations/versions/`, never by editing history."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from evidence_check.widths import FILENAME_WIDTH, ID_WIDTH, TENANT_WIDTH


class Base(DeclarativeBase):
    pass


class ClaimRow(Base):
    __tablename__ = "claims"
    __table_args__ = (
        UniqueConstraint("tenant", "claim_id", name="uq_claims_tenant_claim"),
        Index("ix_claims_tenant_order", "tenant", "order_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(TENANT_WIDTH))
    claim_id: Mapped[str] = mapped_column(String(ID_WIDTH))
    customer_id: Mapped[str | None] = mapped_column(String(ID_WIDTH))
    sku: Mapped[str | None] = mapped_column(String(ID_WIDTH))
    reason: Mapped[str] = mapped_column(String(32))
    order_id: Mapped[str | None] = mapped_column(String(ID_WIDTH))
    wanted: Mapped[str | None] = mapped_column(String(32))  # refund | partial_refund | return | replacement | repair
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The claim as last sent (timeline, category, region, ...): what verifying it again starts from.
    fields: Mapped[dict | None] = mapped_column(JSON)


class PhotoRow(Base):
    """One photo as sent in one claim. The same bytes in two claims are two rows."""

    __tablename__ = "photos"
    __table_args__ = (
        UniqueConstraint("claim_pk", "image_id", name="uq_photos_claim_image"),
        Index("ix_photos_tenant_image", "tenant", "image_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(TENANT_WIDTH))
    image_id: Mapped[str] = mapped_column(String(64))
    claim_pk: Mapped[int] = mapped_column(ForeignKey("claims.id", ondelete="CASCADE"))
    claim_id: Mapped[str] = mapped_column(String(ID_WIDTH))
    customer_id: Mapped[str | None] = mapped_column(String(ID_WIDTH))
    filename: Mapped[str] = mapped_column(String(FILENAME_WIDTH))
    first_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PhotoFileRow(Base):
    """The file of a claim's photo as received, kept to verify the claim again (store/claim_files)."""

    __tablename__ = "photo_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    photo_pk: Mapped[int] = mapped_column(ForeignKey("photos.id", ondelete="CASCADE"), unique=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class ReportRow(Base):
    __tablename__ = "reports"
    __table_args__ = (Index("ix_reports_claim", "claim_pk", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_pk: Mapped[int] = mapped_column(ForeignKey("claims.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    verdict: Mapped[str] = mapped_column(String(16))
    risk: Mapped[float] = mapped_column(Float)
    body: Mapped[dict] = mapped_column(JSON)
