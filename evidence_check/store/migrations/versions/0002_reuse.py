"""Fingerprints of claim, listing, stock and review photos for the reuse look.

Revision ID: 0002_reuse
Revises: 0002_report
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_reuse"
down_revision = "0002_report"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fingerprints",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("ref_id", sa.String(128), nullable=False),
        sa.Column("customer_id", sa.String(128)),
        sa.Column("image_id", sa.String(64), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pdq", sa.LargeBinary, nullable=False),
        sa.Column("phash", sa.LargeBinary, nullable=False),
        sa.Column("quality", sa.Integer, nullable=False),
        sa.Column("features", sa.LargeBinary, nullable=False),
        sa.UniqueConstraint("tenant", "kind", "ref_id", "image_id", name="uq_fingerprints_ref_image"),
    )
    op.create_index("ix_fingerprints_tenant_id", "fingerprints", ["tenant", "id"])


def downgrade() -> None:
    op.drop_table("fingerprints")
