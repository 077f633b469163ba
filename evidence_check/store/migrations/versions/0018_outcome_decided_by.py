"""Who decided: the outcome row names the API key its decision came with (over `/v1`, or from the
console session opened with that key), where it came from (api, console, cli) and, from the console,
the sign-in session's opaque id, so that a 409 can tell "you, in another tab" from "another agent
with the same key". Rows recorded before say nothing of it (null): who decided them is unknown.

Revision ID: 0018_outcome_decided_by
Revises: 0017_webhook_set_by_tenant
"""

import sqlalchemy as sa
from alembic import op

revision = "0018_outcome_decided_by"
down_revision = "0017_webhook_set_by_tenant"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outcomes") as batch:
        batch.add_column(sa.Column("decided_key", sa.String(32), nullable=True))
        batch.add_column(sa.Column("decided_via", sa.String(8), nullable=True))
        batch.add_column(sa.Column("decided_session", sa.String(32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outcomes") as batch:
        batch.drop_column("decided_session")
        batch.drop_column("decided_via")
        batch.drop_column("decided_key")
