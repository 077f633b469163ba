"""Tilted views of catalog images for the relevance look's closer look, read per image on demand.

Images stored before keep NULL and are matched upright only; adding them again gives them views.

Revision ID: 0004_catalog_views
Revises: 0003_relevance_zones
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_catalog_views"
down_revision = "0003_relevance_zones"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("catalog_images") as batch:
        batch.add_column(sa.Column("views", sa.LargeBinary))


def downgrade() -> None:
    with op.batch_alter_table("catalog_images") as batch:
        batch.drop_column("views")
