"""Whether a tenant's webhook was set over the API with its key rather than by the operator: such a
receiver is sent to at public addresses only (evidence_check.webhooks). Those set before were all set
by the operator, on the command line.

Revision ID: 0017_webhook_set_by_tenant
Revises: 0016_catalog_words
"""

import sqlalchemy as sa
from alembic import op

revision = "0017_webhook_set_by_tenant"
down_revision = "0016_catalog_words"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("webhooks") as batch:
        batch.add_column(sa.Column("set_by_tenant", sa.Boolean, nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("webhooks") as batch:
        batch.drop_column("set_by_tenant")
