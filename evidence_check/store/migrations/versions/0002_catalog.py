"""The catalog: SKUs per tenant, their images with precomputed features, the tenant's vocabulary.

Revision ID: 0002_catalog
Revises: 0002_reuse
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_catalog"
down_revision = "0002_reuse"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "catalog_skus",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("sku", sa.String(128), nullable=False),
        sa.Column("name", sa.String(255)),
        sa.Column("category", sa.String(64)),
        sa.Column("zones", sa.JSON),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("tenant", "sku", name="uq_catalog_skus_tenant_sku"),
    )
    op.create_table(
        "catalog_images",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "sku_pk", sa.Integer, sa.ForeignKey("catalog_skus.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("image_id", sa.String(64), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("width", sa.Integer, nullable=False),
        sa.Column("height", sa.Integer, nullable=False),
        sa.Column("features", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("sku_pk", "image_id", name="uq_catalog_images_sku_image"),
    )
    op.create_table(
        "catalog_vocabularies",
        sa.Column("tenant", sa.String(64), primary_key=True),
        sa.Column("key", sa.String(32), nullable=False),
        sa.Column("vocabulary", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_catalog_images_sku_pk", "catalog_images", ["sku_pk"])
    op.create_index("ix_catalog_images_tenant", "catalog_images", ["tenant"])


def downgrade() -> None:
    op.drop_table("catalog_vocabularies")
    op.drop_table("catalog_images")
    op.drop_table("catalog_skus")
