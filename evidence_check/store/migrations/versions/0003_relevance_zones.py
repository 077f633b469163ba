"""Zones on any catalog image: the location look names the part through whichever image matched.

Zones stored before on the SKU stay there and keep meaning "on the SKU's first image".

Revision ID: 0003_relevance_zones
Revises: 0002_catalog
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_relevance_zones"
down_revision = "0003_reuse_features"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("catalog_images") as batch:
        batch.add_column(sa.Column("zones", sa.JSON))


def downgrade() -> None:
    with op.batch_alter_table("catalog_images") as batch:
        batch.drop_column("zones")
