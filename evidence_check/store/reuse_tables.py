"""The fingerprints of every picture the reuse look compares with: recorded claim photos, catalog
listing photos, stock and review photos. Kept per tenant; the in-memory index is rebuilt from here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import DateTime, Index, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from evidence_check.store.tables import Base
from evidence_check.widths import FILENAME_WIDTH, ID_WIDTH, TENANT_WIDTH, stored_filename


class FingerprintRow(Base):
    __tablename__ = "fingerprints"
    __table_args__ = (
        # One picture once per claim / SKU / reference: re-verifying a claim adds nothing.
        UniqueConstraint("tenant", "kind", "ref_id", "image_id", name="uq_fingerprints_ref_image"),
        Index("ix_fingerprints_tenant_id", "tenant", "id"),
        # A file sent again byte for byte is looked up by its sha256 (`references.candidate_rows`): the
        # unique constraint's columns put kind and ref_id before it. Earliest first from the index
        # itself: a file sent in many claims is not sorted whole for its first 12 rows.
        Index("ix_fingerprints_tenant_image", "tenant", "image_id", "first_seen", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(TENANT_WIDTH))
    kind: Mapped[str] = mapped_column(String(16))  # claim | listing | stock | review
    ref_id: Mapped[str] = mapped_column(String(ID_WIDTH))  # claim id, SKU or reference id
    customer_id: Mapped[str | None] = mapped_column(String(ID_WIDTH))
    image_id: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(FILENAME_WIDTH))
    first_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    pdq: Mapped[bytes] = mapped_column(LargeBinary)  # 32 bytes: the picture, then each crop's
    phash: Mapped[bytes] = mapped_column(LargeBinary)  # 8 bytes: the picture, then each crop's
    quality: Mapped[int] = mapped_column(Integer)
    # fingerprint.Features.to_bytes(); None when the deployment keeps none (settings.reuse_keep_features)
    # or they were forgotten (`evidence-check reuse forget-features`).
    features: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)


@dataclass(frozen=True)
class StoredPrint:
    """The columns of a fingerprint row that come from the picture (see imaging/fingerprint.py)."""

    pdq: bytes
    phash: bytes
    quality: int
    features: bytes | None


def fingerprint_row(
    tenant: str,
    kind: str,
    ref_id: str,
    image_id: str,
    filename: str,
    when: datetime,
    stored: StoredPrint,
    customer_id: str | None = None,
) -> FingerprintRow:
    return FingerprintRow(
        tenant=tenant,
        kind=kind,
        ref_id=ref_id[:128],
        customer_id=customer_id,
        image_id=image_id,
        filename=stored_filename(filename),
        first_seen=when,
        pdq=stored.pdq,
        phash=stored.phash,
        quality=stored.quality,
        features=stored.features,
    )
