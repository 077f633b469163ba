"""A claim's fields as sent and its photos' files, what verifying it again starts from.

Claims recorded before keep NULL fields and no files: they cannot be verified again.

Revision ID: 0007_claim_files
Revises: 0006_webhooks
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_claim_files"
down_revision = "0006_webhooks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("claims") as batch:
        batch.add_column(sa.Column("fields", sa.JSON))
    op.create_table(
        "photo_files",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "photo_pk", sa.Integer, sa.ForeignKey("photos.id", ondelete="CASCADE"), nullable=False, unique=True
        ),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("photo_files")
    with op.batch_alter_table("claims") as batch:
        batch.drop_column("fields")
