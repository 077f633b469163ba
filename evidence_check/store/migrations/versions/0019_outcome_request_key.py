"""An outcome's Idempotency-Key: a decision sent with one keeps a digest of the key and of what the
request asked, so that the request sent again, even after others decided, is answered as the first
was, and a deliberate decision sent without one is recorded. Unique per tenant: two processes cannot
record one request twice. Rows recorded before carry none (null).

Revision ID: 0019_outcome_request_key
Revises: 0018_outcome_decided_by
"""

import sqlalchemy as sa
from alembic import op

revision = "0019_outcome_request_key"
down_revision = "0018_outcome_decided_by"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outcomes") as batch:
        batch.add_column(sa.Column("request_key", sa.String(64), nullable=True))
        batch.add_column(sa.Column("request_digest", sa.String(64), nullable=True))
    op.create_index("uq_outcomes_tenant_request_key", "outcomes", ["tenant", "request_key"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_outcomes_tenant_request_key", table_name="outcomes")
    with op.batch_alter_table("outcomes") as batch:
        batch.drop_column("request_digest")
        batch.drop_column("request_key")
