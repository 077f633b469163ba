"""Retake challenges and the agents' final outcomes of claims.

Revision ID: 0002_report
Revises: 0002_keys
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_report"
down_revision = "0002_keys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "challenges",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("claim_id", sa.String(128), nullable=False),
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_challenges_tenant_claim", "challenges", ["tenant", "claim_id", "id"])
    op.create_table(
        "outcomes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("claim_id", sa.String(128), nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_outcomes_tenant_claim", "outcomes", ["tenant", "claim_id", "id"])


def downgrade() -> None:
    op.drop_table("outcomes")
    op.drop_table("challenges")
