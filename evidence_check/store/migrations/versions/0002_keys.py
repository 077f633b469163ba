"""API keys of tenants, and the keys of requests already answered (idempotency).

Revision ID: 0002_keys
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_keys"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key_id", sa.String(32), nullable=False, unique=True),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("secret_sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "request_keys",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("request_key", sa.String(300), nullable=False),
        sa.Column("report_pk", sa.Integer, sa.ForeignKey("reports.id", ondelete="CASCADE"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("tenant", "request_key", name="uq_request_keys_tenant_key"),
    )


def downgrade() -> None:
    op.drop_table("request_keys")
    op.drop_table("api_keys")
