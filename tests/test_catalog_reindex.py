"""`catalog reindex` streams the catalog: the vocabulary's training sample drawn image by image is
the one drawn from all the descriptors joined, and the images are measured again and written a
batch at a time in one transaction, so that an interrupted reindex leaves the catalog as it was."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from evidence_check import service
from evidence_check.catalog import words
from evidence_check.catalog.photo import photo_features
from evidence_check.catalog.words import train_catalog_vocabulary, training_sample
from evidence_check.engine import Upload
from evidence_check.imaging import features as F
from evidence_check.imaging.load import load_photo
from evidence_check.settings import Settings
from evidence_check.store import Store, catalog_store
from evidence_check.store.catalog_store import images_since_vocabulary, load_tenant
from tests.conftest import FIXTURES

NOW = datetime(2026, 12, 4, tzinfo=UTC)
IMAGES = {"A-1": "genuine_after_delivery.jpg", "B-2": "no_exif.jpg", "C-3": "exif_orientation_6.jpg"}


def _descriptor_sets(counts: list[int]) -> list[np.ndarray]:
    rng = np.random.default_rng(5)
    return [rng.integers(0, 256, (count, 128)).astype(np.uint8) for count in counts]


def test_the_sample_drawn_image_by_image_is_the_draw_from_all_descriptors_joined() -> None:
    counts = [700, 0, 1, 1300, 450, 900]
    sets = _descriptor_sets(counts)
    joined = F.rootsift(np.concatenate(sets))
    drawn = np.random.default_rng(1).choice(len(joined), 1000, replace=False)
    assert np.array_equal(training_sample(iter(sets), counts, 1000), joined[drawn])
    # Descriptors no more than the sample: all of them, in order.
    assert np.array_equal(training_sample(iter(sets), counts, len(joined)), joined)
    with pytest.raises(ValueError, match="changed"):
        training_sample(iter(sets[:-1]), counts, 1000)


def test_a_vocabulary_trained_on_the_streamed_sample_is_the_one_trained_on_all_descriptors(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """At a branching of 8 and a sample of 1,500 of 4,000 descriptors (as 128 at 400,000 of more):
    `train_vocabulary` given every descriptor draws the same sample and trains the same tree."""
    monkeypatch.setattr(F, "VOCABULARY_SAMPLE", 1500)
    counts = [1200, 800, 2000]
    sets = [F.unpack(F.pack(descriptors=d))["descriptors"] for d in _descriptor_sets(counts)]
    whole = F.train_vocabulary(F.rootsift(np.concatenate(sets)), branch=8)
    streamed = F.train_vocabulary(training_sample(iter(sets), counts), branch=8)
    assert streamed.key == whole.key


def _catalog(url: str) -> Store:
    store = Store(url)
    for sku, name in IMAGES.items():
        path = FIXTURES / name
        service.add_to_catalog(
            store, "default", sku, [Upload(path.name, path.read_bytes())],
            name=sku, category=None, zones=None, settings=Settings(), now=NOW,
        )  # fmt: skip
    return store


def _answers(store: Store) -> list[str]:
    tenant = service.catalog_for(store).for_tenant("default")
    found = []
    for name in IMAGES.values():
        photo = load_photo((FIXTURES / name).read_bytes(), name)
        found.append(tenant.retrieve(photo_features(photo), None, 1)[0][0])
    return found


def test_reindex_trains_on_the_catalog_in_its_order_and_measures_every_image(store_url: str) -> None:
    store = _catalog(store_url)
    try:
        blobs = [image.features for sku in load_tenant(store, "default").skus for image in sku.images]
        assert service.reindex_catalog(store, "default", NOW) == 3
        stored = load_tenant(store, "default")
        vocabulary = F.Vocabulary.from_bytes(stored.vocabulary or b"")
        whole = F.train_vocabulary(np.concatenate([F.rootsift(F.unpack(blob)["descriptors"]) for blob in blobs]))
        assert vocabulary.key == whole.key == train_catalog_vocabulary(lambda: iter(blobs)).key
        for sku in stored.skus:
            for image in sku.images:
                assert str(F.unpack(image.features)["vocabulary"]) == vocabulary.key
        assert _answers(store) == list(IMAGES)
    finally:
        store.engine.dispose()


def test_a_reindex_interrupted_midway_leaves_the_catalog_as_it_was(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second batch fails after the first was written (in the same transaction): the vocabulary
    and every image are as before, and the catalog loads and answers as it did."""
    store = _catalog(store_url)
    try:
        service.reindex_catalog(store, "default", NOW)
        before = load_tenant(store, "default")
        answers = _answers(store)
        stored_key = F.Vocabulary.from_bytes(before.vocabulary or b"").key
        monkeypatch.setattr(catalog_store, "REINDEX_BATCH", 2)
        measured = []
        real = service.with_words

        def failing(blob: bytes, vocabulary: F.Vocabulary | None) -> bytes:
            assert vocabulary is not None and vocabulary.key != stored_key  # a change to lose
            if len(measured) == 2:
                raise RuntimeError("interrupted")
            measured.append(blob)
            return real(blob, vocabulary)

        monkeypatch.setattr(service, "with_words", failing)
        monkeypatch.setattr(words, "VOCABULARY_SEED", 7)  # another vocabulary than the stored one
        with pytest.raises(RuntimeError, match="interrupted"):
            service.reindex_catalog(store, "default", datetime(2026, 12, 5, tzinfo=UTC))
        assert len(measured) == 2
        after = load_tenant(store, "default")
        assert after == before
        service.catalog_for(store).forget("default")
        assert _answers(store) == answers
        assert images_since_vocabulary(store, "default") == 0
    finally:
        store.engine.dispose()
