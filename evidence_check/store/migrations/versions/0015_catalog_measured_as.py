"""Which measurement each catalog image holds (`catalog_types.MEASUREMENT`), so that adding an image
measured before the coarse look's blurred copy was stored measures it again.

Images stored before hold 1, the column's default: adding the column with a constant default writes
no row (SQLite, PostgreSQL 11+), where setting a value per image would rewrite every image's
features and views, hundreds of kilobytes each. Whether they have tilted views does not matter:
either way they lack the blurred copy and are measured again. The index holds what
`catalog_store.complete_image_ids` reads: in SQLite the new column lies after each image's features
and views, reached through their overflow pages (0.15 ms an image; 2 µs from the index).

Revision ID: 0015_catalog_measured_as
Revises: 0014_catalog_version
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_catalog_measured_as"
down_revision = "0014_catalog_version"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("catalog_images") as batch:
        batch.add_column(sa.Column("measured_as", sa.Integer, nullable=False, server_default="1"))
    op.create_index("ix_catalog_images_measured", "catalog_images", ["sku_pk", "measured_as", "image_id"])


def downgrade() -> None:
    op.drop_index("ix_catalog_images_measured", "catalog_images")
    with op.batch_alter_table("catalog_images") as batch:
        batch.drop_column("measured_as")
