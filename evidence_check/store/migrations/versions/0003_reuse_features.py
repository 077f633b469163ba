"""A deployment may keep no keypoints or thumbnails of photos (reuse_keep_features), or forget them
after a while (`evidence-check reuse forget-features`): the features column may be empty.

Revision ID: 0003_reuse_features
Revises: 0002_catalog
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_reuse_features"
down_revision = "0002_catalog"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("fingerprints") as batch:
        batch.alter_column("features", existing_type=sa.LargeBinary, nullable=True)


def downgrade() -> None:
    # The old column needs bytes: a header of no keypoints and no thumbnail (20 zero bytes), which the
    # old code reads as a picture it cannot confirm by keypoints, as it is.
    fingerprints = sa.table("fingerprints", sa.column("features", sa.LargeBinary))
    op.execute(fingerprints.update().where(fingerprints.c.features.is_(None)).values(features=bytes(20)))
    with op.batch_alter_table("fingerprints") as batch:
        batch.alter_column("features", existing_type=sa.LargeBinary, nullable=False)
