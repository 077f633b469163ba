"""A counter per tenant of the changes to its catalog, which processes holding the catalog watch.

A SKU's `updated_at` alone missed changes: a host whose clock is behind another's writes a time
older than the newest already stored, and the newest is what was compared. Catalogs changed before
have no row (version NULL in the stamp) until their next change.

Revision ID: 0014_catalog_version
Revises: 0011_claim_order
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_catalog_version"
down_revision = "0011_claim_order"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "catalog_versions",
        sa.Column("tenant", sa.String(64), primary_key=True),
        sa.Column("version", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("catalog_versions")
