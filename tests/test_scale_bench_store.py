"""The scale bench's store (`scripts/scale_catalog.py`) holds what a held catalog holds: read through
the store and the host's feature file, as `serve` reads a catalog, each image has the same arrays and
the same tilted views as the catalog held in memory that the bench compares it with; the synthetic
words' odds are counted on photos of products no claim names (split by product), unless asked."""

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

from scale_catalog import TENANT, build_store, claimed, synthetic_catalog, word_frequency  # noqa: E402

from evidence_check.imaging import features as F  # noqa: E402
from evidence_check.imaging.load import load_photo  # noqa: E402

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
    build_store(mini, len(PRODUCTS), path, claims=20, odds_from_claims=False)
    store = Store(f"sqlite:///{path}")
    through_store = catalog_for(store).for_tenant(TENANT)
    held = TenantCatalog(synthetic_catalog(mini, len(PRODUCTS), tmp_path, claims=20)[0])
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


def test_the_bench_claims_twenty_products_and_its_odds_count_none_of_their_photos(tmp_path: Path) -> None:
    product_matching = corpus("product-matching")
    claims = claimed(product_matching, 20)
    assert len(claims) == 20 and len({sku for _, sku in claims}) == 20  # one photo of each of 20 products
    assert all(path.parent.name == sku for path, sku in claims)
    claimed_product, other = PRODUCTS[0], PRODUCTS[1]
    both, alone = tmp_path / "both", tmp_path / "alone"
    for folder, names in ((both, (claimed_product, other)), (alone, (other,))):
        for name in names:
            (folder / "grocery" / name).mkdir(parents=True)
            for photo in (f"{name}_Iconic.jpg", f"{name}_001.jpg"):
                shutil.copy(product_matching / "grocery" / name / photo, folder / "grocery" / name)
    vocabulary = F.vocabulary()
    held_out = word_frequency(both, vocabulary, frozenset({claimed_product}))
    assert np.array_equal(held_out, word_frequency(alone, vocabulary))  # the claimed product's photos unread
    every_photo = word_frequency(both, vocabulary)
    assert not np.array_equal(every_photo, held_out)
    photo = product_matching / "grocery" / claimed_product / f"{claimed_product}_001.jpg"
    root = F.rootsift(F.extract_catalog(np.asarray(load_photo(photo.read_bytes(), photo.name).working.convert("L"))).descriptors)
    words = vocabulary.index_words(root, vocabulary.words(root))
    assert every_photo[words].sum() > 1.5 * held_out[words].sum()  # a claim's words made common by its own photos
