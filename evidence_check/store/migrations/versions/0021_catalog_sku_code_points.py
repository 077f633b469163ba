"""A tenant's SKUs indexed in code-point order on PostgreSQL, the order `GET /v1/catalog` pages in
(`catalog_store.list_skus`, `COLLATE "C"`): the index of (tenant, sku) follows the database's collation,
so a page was a scan of every tenant's SKUs and a sort (20,000 SKUs: 12 ms of the server's, growing
with the catalog). SQLite's (tenant, sku) index is in that order already (BINARY): nothing to add.

Revision ID: 0021_catalog_sku_code_points
Revises: 0020_ended_sessions
"""

import sqlalchemy as sa
from alembic import op

revision = "0021_catalog_sku_code_points"
down_revision = "0020_ended_sessions"
branch_labels = None
depends_on = None

INDEX = "ix_catalog_skus_tenant_sku_code_points"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.create_index(INDEX, "catalog_skus", ["tenant", sa.text('sku COLLATE "C"')])


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index(INDEX, table_name="catalog_skus")
