"""Console sessions signed out: a session is a signed cookie with no row of its own, so a copy taken
before signing out opened the console until its 12 hours were over. Each session signed out is kept
here, with when it would have expired, and refused until then.

Revision ID: 0020_ended_sessions
Revises: 0019_outcome_request_key
"""

import sqlalchemy as sa
from alembic import op

revision = "0020_ended_sessions"
down_revision = "0019_outcome_request_key"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ended_sessions",
        sa.Column("session_id", sa.String(32), primary_key=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_ended_sessions_expires_at", "ended_sessions", ["expires_at"])


def downgrade() -> None:
    # The sign-outs are forgotten: a copy of a signed-out cookie opens the console again until it expires.
    op.drop_index("ix_ended_sessions_expires_at", table_name="ended_sessions")
    op.drop_table("ended_sessions")
