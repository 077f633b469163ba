"""A SKU's brand and family as the merchant names them: the relevance look reads them, instead of the
first word of the name, to tell a variant of the ordered product's line from another product.

SKUs stored before keep NULL: the look falls back on the name's first word.

Revision ID: 0008_catalog_brand
Revises: 0007_claim_files
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_catalog_brand"
down_revision = "0007_claim_files"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("catalog_skus") as batch:
        batch.add_column(sa.Column("brand", sa.String(128)))
        batch.add_column(sa.Column("family", sa.String(128)))


def downgrade() -> None:
    with op.batch_alter_table("catalog_skus") as batch:
        batch.drop_column("family")
        batch.drop_column("brand")
