"""A catalog stored before the coarse look's blurred copy was: migrating keeps its images, and adding
them again measures them again (the copy with them); images measured as now are not measured again."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import text

from evidence_check.engine import Upload
from evidence_check.imaging import features as F
from evidence_check.service import add_to_catalog
from evidence_check.settings import Settings
from evidence_check.store import Store
from evidence_check.store.catalog_store import complete_image_ids, load_views
from evidence_check.store.catalog_types import MEASUREMENT
from tests.catalog_measurements import measured_files
from tests.conftest import FIXTURES, at_revision

WITH_VIEWS = FIXTURES / "genuine_after_delivery.jpg"  # stored with tilted views (0004 to 0014)
WITHOUT_VIEWS = FIXTURES / "no_exif.jpg"  # stored before 0004
NOW = datetime(2026, 12, 5, tzinfo=UTC)


def _store_at_0014(url: str) -> None:
    """The store as 0014 left it, with a SKU whose two images were stored then."""
    old_views = F.pack(points=np.zeros((1, 2), np.float32), descriptors=np.zeros((1, 128), np.uint8),
                       view=np.zeros(1, np.uint8))  # fmt: skip
    with at_revision(url, "0014_catalog_version") as connection:
        # Upgrading a database already past 0014 (a copy of the migrated template, without the
        # `new_database` mark) does nothing and says nothing: the test would pass testing no migration.
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == "0014_catalog_version"
        sku = connection.execute(
            text("INSERT INTO catalog_skus (tenant, sku, created_at, updated_at) "
                 "VALUES ('default', 'BAG-1', :now, :now) RETURNING id"), {"now": NOW},
        ).scalar_one()  # fmt: skip
        for path, views in ((WITH_VIEWS, old_views), (WITHOUT_VIEWS, None)):
            connection.execute(
                text("INSERT INTO catalog_images (sku_pk, tenant, image_id, filename, width, height, "
                     "features, views, created_at) VALUES (:sku, 'default', :id, :name, 1, 1, :features, "
                     ":views, :now)"),
                {"sku": sku, "id": _id(path), "name": path.name, "features": b"old", "views": views, "now": NOW},
            )  # fmt: skip


def _id(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _add_again(store: Store) -> None:
    add_to_catalog(
        store, "default", "BAG-1", [Upload(p.name, p.read_bytes()) for p in (WITH_VIEWS, WITHOUT_VIEWS)],
        name=None, category=None, zones=None, settings=Settings(), now=NOW,
    )  # fmt: skip


@pytest.mark.new_database  # stored at revision 0014, then migrated by the store
def test_images_stored_before_are_measured_again_once_and_get_the_coarse_copy(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _store_at_0014(store_url)
    measured = measured_files(monkeypatch)
    store = Store(store_url)  # migrates them
    try:
        with store.sessions() as session:
            rows = session.execute(text("SELECT image_id, features, measured_as FROM catalog_images")).all()
        assert sorted(rows) == sorted((_id(p), b"old", 1) for p in (WITH_VIEWS, WITHOUT_VIEWS))
        assert MEASUREMENT > 1
        assert complete_image_ids(store, "default") == {}

        _add_again(store)
        assert sorted(measured) == sorted([WITH_VIEWS.name, WITHOUT_VIEWS.name])
        for path in (WITH_VIEWS, WITHOUT_VIEWS):
            views = load_views(store, "default", "BAG-1", _id(path))
            assert views is not None and F.COARSE_VIEW in F.unpack(views)["view"]
        with store.sessions() as session:
            rows = session.execute(text("SELECT features, measured_as FROM catalog_images")).all()
        assert all(features != b"old" and measured_as == MEASUREMENT for features, measured_as in rows)
        assert complete_image_ids(store, "default") == {"BAG-1": {_id(WITH_VIEWS), _id(WITHOUT_VIEWS)}}

        measured.clear()
        _add_again(store)
        assert measured == []
    finally:
        store.close()
