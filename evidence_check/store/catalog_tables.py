"""The catalog's tables: a tenant's SKUs and their images with features computed once, at add time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from evidence_check.store.tables import Base
from evidence_check.widths import (
    CATEGORY_WIDTH,
    FILENAME_WIDTH,
    ID_WIDTH,
    LABEL_WIDTH,
    NAME_WIDTH,
    TENANT_WIDTH,
)


class CatalogSkuRow(Base):
    __tablename__ = "catalog_skus"
    __table_args__ = (UniqueConstraint("tenant", "sku", name="uq_catalog_skus_tenant_sku"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(TENANT_WIDTH))
    sku: Mapped[str] = mapped_column(String(ID_WIDTH))
    name: Mapped[str | None] = mapped_column(String(NAME_WIDTH))
    category: Mapped[str | None] = mapped_column(String(CATEGORY_WIDTH))
    brand: Mapped[str | None] = mapped_column(String(LABEL_WIDTH))
    family: Mapped[str | None] = mapped_column(String(LABEL_WIDTH))
    # Named parts drawn before zones went on images (0003): in pixels of the SKU's first image.
    zones: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CatalogImageRow(Base):
    """One catalog image; `features` is a compressed numpy archive (see `catalog.py`)."""

    __tablename__ = "catalog_images"
    __table_args__ = (
        UniqueConstraint("sku_pk", "image_id", name="uq_catalog_images_sku_image"),
        # `complete_image_ids` reads measured_as from here: in SQLite the column lies after the
        # features and views, which it reached through their overflow pages (0.15 ms an image).
        Index("ix_catalog_images_measured", "sku_pk", "measured_as", "image_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sku_pk: Mapped[int] = mapped_column(ForeignKey("catalog_skus.id", ondelete="CASCADE"), index=True)
    tenant: Mapped[str] = mapped_column(String(TENANT_WIDTH), index=True)
    image_id: Mapped[str] = mapped_column(String(64))  # sha256 of the file's bytes
    filename: Mapped[str] = mapped_column(String(FILENAME_WIDTH))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    features: Mapped[bytes] = mapped_column(LargeBinary)
    # Tilted views for the closer look (`catalog.StoredImage.views`): deferred, so loading a catalog
    # does not read them; a closer look reads the few it needs (`catalog_store.load_views`).
    views: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    # The `catalog_types.MEASUREMENT` it was stored with (`catalog_store.put_sku`); 1: before 0015.
    measured_as: Mapped[int] = mapped_column(Integer, server_default="1")
    # Named parts of the product on this image: name -> [x, y, w, h] in its pixels.
    zones: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CatalogVocabularyRow(Base):
    """The visual vocabulary a tenant's catalog was reindexed with (`catalog reindex`)."""

    __tablename__ = "catalog_vocabularies"

    tenant: Mapped[str] = mapped_column(String(TENANT_WIDTH), primary_key=True)
    key: Mapped[str] = mapped_column(String(32))
    vocabulary: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CatalogWordsRow(Base):
    """An image's visual words in one vocabulary (keypoint words and index words, packed): those of
    the current vocabulary win over the ones packed in its `features`. A reindex writes the words of
    its new vocabulary here a batch at a time, in transactions of their own, while readers keep the
    current one (`catalog_store.reindex`)."""

    __tablename__ = "catalog_words"
    # Made by migration 0016: a tenant's words of one vocabulary, read when the catalog loads.
    __table_args__ = (Index("ix_catalog_words_tenant_key", "tenant", "vocabulary_key"),)

    image_pk: Mapped[int] = mapped_column(ForeignKey("catalog_images.id", ondelete="CASCADE"), primary_key=True)
    vocabulary_key: Mapped[str] = mapped_column(String(32), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(TENANT_WIDTH))
    words: Mapped[bytes] = mapped_column(LargeBinary)


class CatalogReindexRow(Base):
    """The key of the vocabulary a tenant's reindex is writing words for, not yet current: a reindex
    stopped midway leaves it, and the next one trained to the same vocabulary goes on from the words
    written. The vocabulary itself is kept by the reindex until its switch stores it."""

    __tablename__ = "catalog_reindexes"

    tenant: Mapped[str] = mapped_column(String(TENANT_WIDTH), primary_key=True)
    key: Mapped[str] = mapped_column(String(32))


class CatalogVersionRow(Base):
    """How many times a tenant's catalog was changed: every write to its SKUs, images, zones or
    vocabulary adds one in the same transaction, so a process holding the catalog (on this host or
    another, whatever their clocks say) sees that it moved (`catalog_store.catalog_stamp`)."""

    __tablename__ = "catalog_versions"

    tenant: Mapped[str] = mapped_column(String(TENANT_WIDTH), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)
