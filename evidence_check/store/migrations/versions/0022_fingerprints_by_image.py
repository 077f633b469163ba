"""A tenant's fingerprint rows indexed by image id: a photo sent again byte for byte is found by its
sha256 whatever its codes say (`references.candidate_rows`), a lookup every photo makes. The unique
constraint (tenant, kind, ref_id, image_id) cannot serve it: kind and ref_id come first. The
index holds the lookup's order too (first_seen, id): a file sent in many claims is read earliest
first without sorting all its rows (5.3 s per photo for a file in 200,000 rows, SQLite, without).

Revision ID: 0022_fingerprints_by_image
Revises: 0021_catalog_sku_code_points
"""

from alembic import op

revision = "0022_fingerprints_by_image"
down_revision = "0021_catalog_sku_code_points"
branch_labels = None
depends_on = None

INDEX = "ix_fingerprints_tenant_image"


def upgrade() -> None:
    op.create_index(INDEX, "fingerprints", ["tenant", "image_id", "first_seen", "id"])


def downgrade() -> None:
    op.drop_index(INDEX, table_name="fingerprints")
