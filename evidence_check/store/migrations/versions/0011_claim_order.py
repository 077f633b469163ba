"""A claim's order id and the outcome its customer wants, with an index to find an order's claims.

Claims recorded before have neither (NULL).

Revision ID: 0011_claim_order
Revises: 0007_claim_files
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_claim_order"
down_revision = "0009_thumbnails"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("claims") as batch:
        batch.add_column(sa.Column("order_id", sa.String(128)))
        batch.add_column(sa.Column("wanted", sa.String(32)))
    op.create_index("ix_claims_tenant_order", "claims", ["tenant", "order_id"])


def downgrade() -> None:
    op.drop_index("ix_claims_tenant_order", table_name="claims")
    with op.batch_alter_table("claims") as batch:
        batch.drop_column("wanted")
        batch.drop_column("order_id")
