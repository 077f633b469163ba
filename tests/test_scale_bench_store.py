"""The scale bench's store (`scripts/scale_catalog.py`) holds what a held catalog holds: read through
the store and the host's feature file, as `serve` reads a catalog, each image has the same arrays and
the same tilted views as the catalog held in memory that the bench compares it with."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np

from evidence_check.catalog.registry import TenantCatalog
from evidence_check.service import catalog_for
from evidence_check.store import Store
from tests.conftest import ROOT, corpus

sys.path.append(str(ROOT / "scripts"))  # the bench's own module, after every installed one

from scale_catalog import TENANT, build_store, synthetic_catalog  # noqa: E402

# The three products whose bench claims only a tilted view finds (relevance.not_found without them).
PRODUCTS = ("Arla-Sour-Cream", "Bravo-Apple-Juice", "Tropicana-Juice-Smooth")
ARRAYS = ("points", "descriptors", "keypoint_words", "words", "colour", "mask", "thumb", "detail")


def test_the_bench_store_keeps_every_array_and_the_tilted_views(tmp_path: Path) -> None:
    grocery = corpus("product-matching") / "grocery"
    mini = tmp_path / "corpus"
    for name in PRODUCTS:
        (mini / "grocery" / name).mkdir(parents=True)
        shutil.copy(grocery / name / f"{name}_Iconic.jpg", mini / "grocery" / name)
    path = tmp_path / f"catalog-{len(PRODUCTS)}.db"
    build_store(mini, len(PRODUCTS), path)
    store = Store(f"sqlite:///{path}")
    through_store = catalog_for(store).for_tenant(TENANT)
    held = TenantCatalog(synthetic_catalog(mini, len(PRODUCTS), tmp_path)[0])
    assert through_store.file is not None and through_store.file.held_bytes == 0  # the host's file, mapped
    assert [(i.sku, i.image_id) for i in through_store.images] == [(i.sku, i.image_id) for i in held.images]
    for mine, theirs in zip(through_store.images, held.images, strict=True):
        for name in ARRAYS:
            found, expected = getattr(mine, name), getattr(theirs, name)
            assert found.dtype == expected.dtype and np.array_equal(found, expected), (mine.sku, name)
        assert mine.read_views is not None and theirs.read_views is not None
        views = mine.read_views()
        assert views is not None and views == theirs.read_views()
    for name in ("offsets", "postings", "weights"):
        assert np.array_equal(through_store.index.arrays()[name], held.index.arrays()[name])
