"""A tenant's catalog loaded by a worker: only the columns it holds are read from the store (not the
packed features, nor what SQLite keeps behind them), and each SKU, made when first asked for, reads
its own images' arrays from the host's feature file."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import event

from evidence_check.catalog.feature_file import ArrayCache
from evidence_check.catalog.loading import load_from_store
from evidence_check.catalog.registry import identity_of
from evidence_check.imaging import features as F
from evidence_check.store import Store
from evidence_check.store.catalog_store import load_tenant, put_sku, set_zones
from evidence_check.store.catalog_types import StoredImage
from tests.grocery_looks import catalog_image
from tests.shelf_photos import SHELF_PRODUCTS

NOW = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def images() -> dict[str, StoredImage]:
    from tests.conftest import corpus

    grocery = corpus("product-matching") / "grocery"
    return {
        sku: catalog_image(grocery / folder / f"{folder}_Iconic.jpg")
        for sku, (folder, _) in SHELF_PRODUCTS.items()
    }


def _stored(store: Store, images: dict[str, StoredImage]) -> dict[str, list[StoredImage]]:
    """SKUs of two images, of one, and of none; zones on an image of a SKU stored last."""
    given = {
        "TWO": [images["BRAVO-APPLE"], images["OATLY-MILK"]],
        "ONE": [images["VALIO-VANILLA"]],
        "NONE": [],
        "LAST": [images["TROPICANA-SMOOTH"], images["BRAVO-ORANGE"]],
    }
    for sku, stored in given.items():
        put_sku(
            store,
            "default",
            sku,
            name=f"{sku.title()} thing",
            category=None,
            images=stored,
            when=NOW,
            brand="Acme",
        )
    zones = {images["BRAVO-ORANGE"].filename: {"cap": [1, 2, 3, 4]}}
    assert set_zones(store, "default", "LAST", zones, NOW)
    return given


def test_each_sku_reads_its_own_images_and_zones_through_the_host_file(
    store_url: str, tmp_path: Path, images: dict[str, StoredImage]
) -> None:
    store = Store(store_url)
    try:
        given = _stored(store, images)
        tenant = load_from_store(store, "default", tmp_path / "features", ArrayCache(2))
        for sku in ("LAST", "NONE", "TWO", "ONE"):  # not in the file's order: each made when asked for
            entry = tenant.skus[sku]
            assert entry.given_brand == "Acme" and entry.name == f"{sku.title()} thing"
            assert [image.image_id for image in entry.images] == [image.image_id for image in given[sku]]
            for held, own in zip(entry.images, given[sku], strict=True):
                packed = F.unpack(own.features)
                assert np.array_equal(held.points, packed["points"])
                assert np.array_equal(held.descriptors, packed["descriptors"])
        assert tenant.skus["LAST"].images[1].zones == {"cap": [1, 2, 3, 4]}
        assert tenant.skus["LAST"].images[0].zones == {}
        assert tenant.skus["LAST"] is tenant.skus["LAST"]  # made once
        stored = load_tenant(store, "default", features=False)
        assert list(tenant.skus) == [sku.sku for sku in stored.skus] and sorted(tenant.skus) == sorted(given)
        assert len(tenant.skus) == 4 and "OTHER" not in tenant.skus and tenant.get("OTHER") is None
        assert tenant.image_count == 5
        assert [f"{image.sku}/{image.image_id}" for image in tenant.images] == identity_of(stored)
    finally:
        store.close()


def test_a_worker_opening_a_built_catalog_reads_neither_features_nor_what_follows_them(
    tmp_path: Path, images: dict[str, StoredImage]
) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    first, second = Store(url), Store(url)  # two worker processes of one host
    statements: list[str] = []
    try:
        _stored(first, images)
        folder = tmp_path / "features"
        load_from_store(first, "default", folder, ArrayCache(4))  # builds the host's file
        event.listen(second.engine, "before_cursor_execute", lambda *call: statements.append(call[2]))
        held = load_from_store(second, "default", folder, ArrayCache(4))
        read = [s for s in statements if "catalog_images" in s]
        assert read, "the catalog's images were not read"
        assert not any("catalog_images.features" in s or "catalog_images.created_at" in s for s in read)
        assert held.skus["LAST"].images[1].zones == {"cap": [1, 2, 3, 4]}
    finally:
        first.close()
        second.close()
