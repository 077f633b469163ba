"""The digest of the request a request key was recorded for: the same Idempotency-Key sent again with
other photos or other fields is a conflict, not a retry.

Keys recorded before keep NULL and are replayed as they were.

Revision ID: 0005_request_digest
Revises: 0004_catalog_views
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_request_digest"
down_revision = "0004_catalog_views"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("request_keys") as batch:
        batch.add_column(sa.Column("request_digest", sa.String(64)))


def downgrade() -> None:
    with op.batch_alter_table("request_keys") as batch:
        batch.drop_column("request_digest")
