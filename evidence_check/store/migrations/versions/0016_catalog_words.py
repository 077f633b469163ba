"""Catalog images' words per vocabulary, and the vocabulary a reindex is building, so that a reindex
writes its new words in short transactions of their own and makes them current in one small one.

Rewriting every image's packed features in one transaction kept each rewritten page in SQLite's
write-ahead log until the commit (1.08 GB at 10,000 images) and held PostgreSQL in one long
transaction. Nothing is moved: images keep the words packed in their features, which readers use
while the table holds none of the current vocabulary.

Revision ID: 0016_catalog_words
Revises: 0015_catalog_measured_as
"""

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
        sa.Column("vocabulary", sa.LargeBinary, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("catalog_reindexes")
    op.drop_index("ix_catalog_words_tenant_key", "catalog_words")
    op.drop_table("catalog_words")
