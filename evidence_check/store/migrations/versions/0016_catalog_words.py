"""Catalog images' words per vocabulary, and the key of the vocabulary a reindex is building, so that a reindex
writes its new words in short transactions of their own and makes them current in one small one.

Rewriting every image's packed features in one transaction kept each rewritten page in SQLite's
write-ahead log until the commit (1.08 GB at 10,000 images) and held PostgreSQL in one long
transaction. Nothing is moved: images keep the words packed in their features, which readers use
while the table holds none of the current vocabulary.

Revision ID: 0016_catalog_words
Revises: 0015_catalog_measured_as
"""

import io
from typing import Any

import numpy as np
import sqlalchemy as sa
from alembic import op

revision = "0016_catalog_words"
down_revision = "0015_catalog_measured_as"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "catalog_words",
        sa.Column("image_pk", sa.Integer, sa.ForeignKey("catalog_images.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("vocabulary_key", sa.String(32), primary_key=True),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("words", sa.LargeBinary, nullable=False),
    )
    op.create_index("ix_catalog_words_tenant_key", "catalog_words", ["tenant", "vocabulary_key"])
    op.create_table(
        "catalog_reindexes",
        sa.Column("tenant", sa.String(64), primary_key=True),
        sa.Column("key", sa.String(32), nullable=False),
    )


def downgrade() -> None:
    _words_into_features()
    op.drop_table("catalog_reindexes")
    op.drop_index("ix_catalog_words_tenant_key", "catalog_words")
    op.drop_table("catalog_words")


FOLDED = 64  # images read and rewritten at a time


def _words_into_features() -> None:
    """0015 reads an image's words from its packed features only: the current vocabulary's, stored
    apart, go back into them, or every load at 0015 would measure every image's words again."""
    bind = op.get_bind()
    current = (
        "FROM catalog_words w JOIN catalog_vocabularies v ON v.tenant = w.tenant AND v.key = w.vocabulary_key"
    )
    images = bind.execute(sa.text(f"SELECT w.image_pk {current} ORDER BY w.image_pk")).scalars().all()
    for start in range(0, len(images), FOLDED):
        rows = bind.execute(
            sa.text(
                f"SELECT w.image_pk, i.features, w.words, w.vocabulary_key {current} "
                "JOIN catalog_images i ON i.id = w.image_pk WHERE w.image_pk IN :images"
            ).bindparams(sa.bindparam("images", expanding=True)),
            {"images": images[start : start + FOLDED]},
        ).all()
        for pk, features, words, key in rows:
            bind.execute(
                sa.text("UPDATE catalog_images SET features = :features WHERE id = :pk"),
                {"features": _with_words(features, words, key), "pk": pk},
            )


def _with_words(features: bytes, words: bytes, key: str) -> bytes:
    arrays: dict[str, np.ndarray] = {}
    for packed in (features, words):
        with np.load(io.BytesIO(packed), allow_pickle=False) as data:
            arrays |= {name: data[name] for name in data.files}
    arrays["vocabulary"] = np.array(key)
    buffer = io.BytesIO()
    save: Any = np.savez_compressed  # numpy's stubs do not type keyword arrays
    save(buffer, **arrays)
    return buffer.getvalue()
