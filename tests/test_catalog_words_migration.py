"""A catalog reindexed before its words were stored apart (0016): migrating keeps the words packed in
its features, which it loads without measuring them again, and the next reindex writes them apart."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
from sqlalchemy import text

from evidence_check import service
from evidence_check.catalog import entries
from evidence_check.catalog.words import train_catalog_vocabulary, with_words
from evidence_check.imaging import features as F
from evidence_check.store import Store
from evidence_check.store.catalog_store import load_tenant
from tests.catalog_words import answers_of, fixture_catalog, measured_in
from tests.conftest import at_revision

NOW = datetime(2026, 12, 5, tzinfo=UTC)


def _reindexed_at_0015(url: str) -> str:
    """The catalog as 0015's reindex left it: its images' features rewritten with their words in a
    vocabulary trained on them, stored beside. Returns the vocabulary's key."""
    fixture_catalog(url).engine.dispose()
    with at_revision(url, "0015_catalog_measured_as", downgrade=True) as connection:
        images = connection.execute(text("SELECT id, features FROM catalog_images ORDER BY id")).all()
        vocabulary = train_catalog_vocabulary(lambda: (blob for _, blob in images))
        for pk, blob in images:
            connection.execute(
                text("UPDATE catalog_images SET features = :features WHERE id = :pk"),
                {"features": with_words(blob, vocabulary), "pk": pk},
            )
        connection.execute(
            text("INSERT INTO catalog_vocabularies (tenant, key, vocabulary, created_at) "
                 "VALUES ('default', :key, :vocabulary, :now)"),
            {"key": vocabulary.key, "vocabulary": vocabulary.to_bytes(), "now": NOW},
        )  # fmt: skip
    return vocabulary.key


def test_a_catalog_reindexed_before_keeps_its_words_and_the_next_reindex_stores_them_apart(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = _reindexed_at_0015(store_url)
    store = Store(store_url)  # migrates it
    try:
        stored = load_tenant(store, "default")
        vocabulary = F.Vocabulary.from_bytes(stored.vocabulary or b"")
        assert vocabulary.key == key
        assert all(image.words is None and measured_in(image, vocabulary) for sku in stored.skus for image in sku.images)

        def not_again(descriptors: np.ndarray, vocabulary: F.Vocabulary) -> tuple[np.ndarray, np.ndarray]:
            raise AssertionError("measured again when loaded")

        with monkeypatch.context() as patched:
            patched.setattr(entries, "measured_words", not_again)
            answers = answers_of(store)

        assert service.reindex_catalog(store, "default", NOW) == 3
        reindexed = load_tenant(store, "default")
        assert F.Vocabulary.from_bytes(reindexed.vocabulary or b"").key == key  # the same images, the same one
        assert all(image.words is not None and measured_in(image, vocabulary) for sku in reindexed.skus for image in sku.images)
        service.catalog_for(store).forget("default")
        assert answers_of(store) == answers
    finally:
        store.close()


def test_downgraded_to_0015_a_catalog_reindexed_at_0016_keeps_its_words_in_its_features(store_url: str) -> None:
    """0015 reads an image's words from its features only: the current vocabulary's words stored
    apart go back into them, or every load at 0015 would measure every image again."""
    store = fixture_catalog(store_url)
    try:
        service.reindex_catalog(store, "default", NOW)
        stored = load_tenant(store, "default")
        key = F.Vocabulary.from_bytes(stored.vocabulary or b"").key
        apart = {image.image_id: F.unpack(image.words or b"") for sku in stored.skus for image in sku.images}
        features = {image.image_id: F.unpack(image.features) for sku in stored.skus for image in sku.images}
        assert all(str(packed["vocabulary"]) != key for packed in features.values())  # measured before
    finally:
        store.close()
    with at_revision(store_url, "0015_catalog_measured_as", downgrade=True) as connection:
        rows = connection.execute(text("SELECT image_id, features FROM catalog_images")).all()
    assert len(rows) == len(apart) == 3
    for image_id, blob in rows:
        downgraded = F.unpack(blob)
        assert str(downgraded["vocabulary"]) == key
        assert np.array_equal(downgraded["keypoint_words"], apart[image_id]["keypoint_words"])
        assert np.array_equal(downgraded["words"], apart[image_id]["words"])
        assert all(np.array_equal(downgraded[name], features[image_id][name]) for name in ("descriptors", "points", "colour"))
    Store(store_url).close()  # and up again
