"""Small re-encoded pictures of the catalog's images and the stock and review photos, by image id,
shown beside a photo that matched one (the originals are never kept).

Images stored before have none: a report shows no picture beside a match on them until the same
images are added or imported again, which stores their thumbnails without measuring them again.

Revision ID: 0009_thumbnails
Revises: 0007_claim_files
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_thumbnails"
down_revision = "0008_catalog_brand"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "thumbnails",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("image_id", sa.String(64), nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("tenant", "image_id", name="uq_thumbnails_tenant_image"),
    )


def downgrade() -> None:
    op.drop_table("thumbnails")
