"""`catalog reindex` streams the catalog: the vocabulary's training sample drawn image by image is
the one drawn from all the descriptors joined, and the images' words in it are written a batch at a
time, each in a transaction of its own, beside the current ones, then made current in one: an
interrupted reindex leaves the catalog as it was, and an image added meanwhile gets the new words."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime

import numpy as np
import pytest
from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from evidence_check import service
from evidence_check.catalog import words
from evidence_check.catalog.manifest import ManifestEntry
from evidence_check.catalog.words import train_catalog_vocabulary, training_sample
from evidence_check.engine import Upload
from evidence_check.imaging import features as F
from evidence_check.imaging.load import Limits
from evidence_check.importing import import_catalog
from evidence_check.settings import Settings
from evidence_check.store import Store, catalog_store
from evidence_check.store.catalog_store import images_since_vocabulary, load_tenant
from evidence_check.store.catalog_tables import CatalogImageRow, CatalogSkuRow, CatalogWordsRow
from tests.catalog_words import IMAGES, answers_of, fixture_catalog, measured_in
from tests.conftest import FIXTURES

NOW = datetime(2026, 12, 4, tzinfo=UTC)


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


def _every_image_in_the_vocabulary(store: Store) -> F.Vocabulary:
    """The tenant's stored vocabulary, once every stored image was found to carry its words in it."""
    stored = load_tenant(store, "default")
    vocabulary = F.Vocabulary.from_bytes(stored.vocabulary or b"")
    assert all(image.words is not None and measured_in(image, vocabulary) for sku in stored.skus for image in sku.images)
    return vocabulary


def _stored_keys(store: Store) -> dict[str, int]:
    """Vocabulary key -> images with words stored apart in it."""
    with store.sessions() as session:
        return dict(
            session.execute(
                select(CatalogWordsRow.vocabulary_key, func.count()).group_by(CatalogWordsRow.vocabulary_key)
            ).all()
        )


def test_reindex_trains_on_the_catalog_in_its_order_and_measures_every_image(store_url: str) -> None:
    store = fixture_catalog(store_url)
    try:
        blobs = [image.features for sku in load_tenant(store, "default").skus for image in sku.images]
        assert service.reindex_catalog(store, "default", NOW) == 3
        vocabulary = _every_image_in_the_vocabulary(store)
        whole = F.train_vocabulary(np.concatenate([F.rootsift(F.unpack(blob)["descriptors"]) for blob in blobs]))
        assert vocabulary.key == whole.key == train_catalog_vocabulary(lambda: iter(blobs)).key
        assert _stored_keys(store) == {vocabulary.key: 3}
        assert answers_of(store) == list(IMAGES)
    finally:
        store.engine.dispose()


def _failing_after(measured: list[bytes], calls: int, stored_key: str) -> Callable[[bytes, F.Vocabulary], bytes]:
    def failing(blob: bytes, vocabulary: F.Vocabulary) -> bytes:
        assert vocabulary.key != stored_key  # a change to lose
        if len(measured) == calls:
            raise RuntimeError("interrupted")
        measured.append(blob)
        return words.packed_words(blob, vocabulary)

    return failing


def test_a_reindex_interrupted_midway_leaves_the_catalog_as_it_was_and_the_next_goes_on(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second batch fails after the first was written (in a transaction of its own): the
    vocabulary and every image's words are as before, and the catalog loads and answers as it did.
    The next reindex to the same vocabulary measures only the image left; the old words go."""
    store = fixture_catalog(store_url)
    try:
        service.reindex_catalog(store, "default", NOW)
        before = load_tenant(store, "default")
        answers = answers_of(store)
        stored_key = F.Vocabulary.from_bytes(before.vocabulary or b"").key
        monkeypatch.setattr(catalog_store, "REINDEX_BATCH", 2)
        measured: list[bytes] = []
        monkeypatch.setattr(service, "packed_words", _failing_after(measured, 2, stored_key))
        monkeypatch.setattr(words, "VOCABULARY_SEED", 7)  # another vocabulary than the stored one
        with pytest.raises(RuntimeError, match="interrupted"):
            service.reindex_catalog(store, "default", datetime(2026, 12, 5, tzinfo=UTC))
        assert len(measured) == 2
        after = load_tenant(store, "default")
        assert after == before
        service.catalog_for(store).forget("default")
        assert answers_of(store) == answers
        assert images_since_vocabulary(store, "default") == 0
        assert sorted(_stored_keys(store).values()) == [2, 3]  # the new vocabulary's first batch, beside

        monkeypatch.setattr(service, "packed_words", _failing_after(measured, 3, stored_key))
        assert service.reindex_catalog(store, "default", datetime(2026, 12, 5, tzinfo=UTC)) == 3
        assert len(measured) == 3  # the first batch's two were kept
        vocabulary = _every_image_in_the_vocabulary(store)
        assert vocabulary.key != stored_key
        assert _stored_keys(store) == {vocabulary.key: 3}
    finally:
        store.engine.dispose()


def test_words_of_a_reindex_stopped_for_another_vocabulary_are_cleared(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = fixture_catalog(store_url)
    try:
        service.reindex_catalog(store, "default", NOW)
        stored_key = F.Vocabulary.from_bytes(load_tenant(store, "default").vocabulary or b"").key
        monkeypatch.setattr(catalog_store, "REINDEX_BATCH", 2)
        monkeypatch.setattr(service, "packed_words", _failing_after([], 2, stored_key))
        monkeypatch.setattr(words, "VOCABULARY_SEED", 7)
        with pytest.raises(RuntimeError, match="interrupted"):
            service.reindex_catalog(store, "default", NOW)
        abandoned = set(_stored_keys(store)) - {stored_key}
        assert len(abandoned) == 1
        monkeypatch.setattr(service, "packed_words", words.packed_words)
        monkeypatch.setattr(words, "VOCABULARY_SEED", 9)
        service.reindex_catalog(store, "default", NOW)
        key = F.Vocabulary.from_bytes(load_tenant(store, "default").vocabulary or b"").key
        assert key not in abandoned | {stored_key}
        assert _stored_keys(store) == {key: 3}
    finally:
        store.engine.dispose()


ADDED = FIXTURES / "IMG-20261101-WA0001.jpg"


@pytest.mark.parametrize("when", ["while a batch is measured", "after the last batch, before the switch"])
def test_an_image_added_while_the_catalog_is_reindexed_gets_the_words_of_the_new_vocabulary(
    store_url: str, monkeypatch: pytest.MonkeyPatch, when: str
) -> None:
    """Added, measured in the old vocabulary, before the reindex made the new one current: the
    batches that follow, or else the switch, measure its words in the new one."""
    store = fixture_catalog(store_url)
    try:
        service.reindex_catalog(store, "default", NOW)
        monkeypatch.setattr(catalog_store, "REINDEX_BATCH", 2)
        added: list[int] = []
        if when == "while a batch is measured":

            def adding(blob: bytes, vocabulary: F.Vocabulary) -> bytes:
                if not added:
                    added.append(_add(store, "D-4").added)
                return words.packed_words(blob, vocabulary)

            monkeypatch.setattr(service, "packed_words", adding)
        else:
            real = catalog_store._without_words

            def without(session: Session, tenant: str, key: str, after: int, limit: int) -> list[tuple[int, bytes]]:
                found = real(session, tenant, key, after, limit)
                if not found and not added:  # the batches are done
                    added.append(_add(store, "D-4").added)
                return found

            monkeypatch.setattr(catalog_store, "_without_words", without)
        monkeypatch.setattr(words, "VOCABULARY_SEED", 7)
        assert service.reindex_catalog(store, "default", NOW) == 4
        assert added == [1]
        stored = load_tenant(store, "default")
        vocabulary = F.Vocabulary.from_bytes(stored.vocabulary or b"")
        (image,) = next(sku for sku in stored.skus if sku.sku == "D-4").images
        assert str(F.unpack(image.features)["vocabulary"]) != vocabulary.key  # measured in the old one
        assert image.words is not None and measured_in(image, vocabulary)
    finally:
        store.engine.dispose()


def test_an_image_removed_while_its_batch_is_measured_is_passed_over(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = fixture_catalog(store_url)
    try:
        service.reindex_catalog(store, "default", NOW)
        monkeypatch.setattr(catalog_store, "REINDEX_BATCH", 2)
        removed: list[bool] = []

        def removing(blob: bytes, vocabulary: F.Vocabulary) -> bytes:
            if not removed:  # A-1's image is in the first batch, being measured
                removed.append(service.remove_from_catalog(store, "default", "A-1"))
            return words.packed_words(blob, vocabulary)

        monkeypatch.setattr(service, "packed_words", removing)
        monkeypatch.setattr(words, "VOCABULARY_SEED", 7)
        assert service.reindex_catalog(store, "default", NOW) == 2
        assert removed == [True]
        assert [sku.sku for sku in load_tenant(store, "default").skus] == ["B-2", "C-3"]
        vocabulary = _every_image_in_the_vocabulary(store)
        assert _stored_keys(store) == {vocabulary.key: 2}
    finally:
        store.engine.dispose()


def test_an_image_measured_before_a_switch_and_stored_after_is_measured_again(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = fixture_catalog(store_url)
    try:
        service.reindex_catalog(store, "default", NOW)
        old = service.catalog_vocabulary(store, "default")
        uploads = service.measure_catalog_uploads([Upload(ADDED.name, ADDED.read_bytes())], old, Limits(), False)
        monkeypatch.setattr(words, "VOCABULARY_SEED", 7)
        service.reindex_catalog(store, "default", NOW)
        new = service.catalog_vocabulary(store, "default")
        assert old is not None and new is not None and new.key != old.key
        (measured,) = uploads.measured
        with pytest.raises(catalog_store.VocabularyChanged):
            catalog_store.put_sku(
                store, "default", "D-4", name=None, category=None, images=[measured.image], when=NOW,
                measured_with=old.key,
            )  # fmt: skip
        service.store_catalog_sku(store, "default", "D-4", uploads, name=None, category=None, zones=None, now=NOW)
        (image,) = next(sku for sku in load_tenant(store, "default").skus if sku.sku == "D-4").images
        assert image.words is None and measured_in(image, new)
        assert not measured_in(image, old)
    finally:
        store.engine.dispose()


def _add(store: Store, sku: str) -> service.CatalogAddition:
    return service.add_to_catalog(
        store, "default", sku, [Upload(ADDED.name, ADDED.read_bytes())],
        name=sku, category=None, zones=None, settings=Settings(), now=NOW,
    )  # fmt: skip


def test_a_reindex_started_as_another_switches_keeps_the_words_of_the_vocabulary_made_current(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second reindex read the current vocabulary before the first made its own current, and
    clears the words of vocabularies neither current nor its own after: the words of the one now
    current stay, or every load would measure every image again until the next reindex."""
    store = fixture_catalog(store_url)
    try:
        service.reindex_catalog(store, "default", NOW)
        real_clear = catalog_store._clear_words
        first: list[str] = []

        def switched_meanwhile(*args: object, **kwargs: object) -> None:
            if not first:  # the second reindex, after it read the current vocabulary and staged its own
                monkeypatch.setattr(words, "VOCABULARY_SEED", 7)
                first.append("running")
                service.reindex_catalog(store, "default", NOW)
                first[0] = F.Vocabulary.from_bytes(load_tenant(store, "default").vocabulary or b"").key
                monkeypatch.setattr(words, "VOCABULARY_SEED", 9)
            real_clear(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(catalog_store, "_clear_words", switched_meanwhile)
        monkeypatch.setattr(words, "VOCABULARY_SEED", 9)
        with pytest.raises(catalog_store.StoreError, match="another reindex"):
            service.reindex_catalog(store, "default", NOW)
        vocabulary = _every_image_in_the_vocabulary(store)
        assert vocabulary.key == first[0]
        assert _stored_keys(store).get(vocabulary.key) == 3
    finally:
        store.engine.dispose()


def test_words_of_an_image_whose_removal_commits_as_they_are_inserted_are_passed_over(store_url: str) -> None:
    """PostgreSQL: the insert's select saw the image, its removal was not committed yet; the foreign
    key's check waits for the removal, then finds the row gone. (SQLite: the removal holds the write
    lock, so the insert starts after it.)"""
    if not store_url.startswith("postgresql"):
        pytest.skip("SQLite runs one writer at a time")
    store = fixture_catalog(store_url)
    try:
        with store.sessions() as session:
            pk = session.scalar(select(CatalogImageRow.id).join(CatalogSkuRow).where(CatalogSkuRow.sku == "A-1"))
        failed: list[Exception] = []

        def insert() -> None:
            try:
                with store.sessions.begin() as session:
                    catalog_store._insert_words(session, "default", "k", [(pk, b"words")])
            except Exception as exc:  # reported by the assertion below
                failed.append(exc)

        with store.engine.connect() as removing:
            removing.execute(delete(CatalogImageRow).where(CatalogImageRow.id == pk))
            inserting = threading.Thread(target=insert)
            inserting.start()
            inserting.join(1.0)
            assert inserting.is_alive()  # waiting for the removal
            removing.commit()
        inserting.join(30)
        assert failed == []
        assert _stored_keys(store) == {}
    finally:
        store.engine.dispose()


def test_two_reindexes_to_the_same_vocabulary_both_finish_and_the_catalog_is_counted_changed_once(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first made the vocabulary both trained current while the second wrote its words: the
    second finds its work done, and does not count a change no worker need reload for."""
    store = fixture_catalog(store_url)
    try:
        service.reindex_catalog(store, "default", NOW)
        monkeypatch.setattr(words, "VOCABULARY_SEED", 7)
        real_clear = catalog_store._clear_words
        stamps: list[object] = []

        def first_meanwhile(*args: object, **kwargs: object) -> None:
            if not stamps:  # the second, its vocabulary staged: the first runs whole
                stamps.append(None)
                assert service.reindex_catalog(store, "default", NOW) == 3
                stamps[0] = catalog_store.catalog_stamp(store, "default")
            real_clear(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(catalog_store, "_clear_words", first_meanwhile)
        assert service.reindex_catalog(store, "default", NOW) == 3
        assert catalog_store.catalog_stamp(store, "default") == stamps[0]
        vocabulary = _every_image_in_the_vocabulary(store)
        assert _stored_keys(store) == {vocabulary.key: 3}
    finally:
        store.engine.dispose()


def test_a_reindex_under_way_is_named_by_its_vocabulary_key_alone(store_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The vocabulary (8–27 MB) is stored once, by the switch: a copy beside it while the words are
    written was never read, and cost its write, its read at the switch and its delete."""
    store = fixture_catalog(store_url)
    try:
        staged: list[tuple[str, ...]] = []

        def measuring(blob: bytes, vocabulary: F.Vocabulary) -> bytes:
            if not staged:
                with store.engine.connect() as connection:
                    staged.extend(tuple(row) for row in connection.execute(text("SELECT * FROM catalog_reindexes")))
                staged.append(("measured in", vocabulary.key))
            return words.packed_words(blob, vocabulary)

        monkeypatch.setattr(service, "packed_words", measuring)
        service.reindex_catalog(store, "default", NOW)
        key = staged[-1][1]
        assert staged == [("default", key), ("measured in", key)]
        with store.engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM catalog_reindexes")).scalar() == 0
    finally:
        store.engine.dispose()


def test_an_import_a_reindex_overtakes_parses_the_new_vocabulary_once_not_per_sku(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each SKU measured in the vocabulary read when the import began was refused by the store and
    # measured again in the current one, read and parsed again each time (0.30 s a SKU).
    store = fixture_catalog(store_url)
    try:
        service.reindex_catalog(store, "default", NOW)
        parsed: list[str] = []
        from_bytes = F.Vocabulary.from_bytes

        def counted(data: bytes) -> F.Vocabulary:
            vocabulary = from_bytes(data)
            parsed.append(vocabulary.key)
            return vocabulary

        monkeypatch.setattr(F.Vocabulary, "from_bytes", staticmethod(counted))
        switched: list[bool] = []

        def read_image(name: str) -> tuple[bytes | None, str | None]:
            if not switched:  # a reindex to another vocabulary, once the import has begun
                switched.append(True)
                monkeypatch.setattr(words, "VOCABULARY_SEED", 7)
                service.reindex_catalog(store, "default", NOW)
                parsed.clear()
            return (FIXTURES / name).read_bytes(), None

        rows = [ManifestEntry(f"N-{n}", None, None, (name,), where=f"line {n}") for n, name in enumerate(IMAGES.values(), 1)]
        imported = import_catalog(store, "default", rows, read_image, settings=Settings(), now=NOW, reindex=False)
        assert [row.added for row in imported.rows] == [1, 1, 1]
        new = service.catalog_vocabulary(store, "default")
        assert new is not None and parsed.count(new.key) == 2  # the store's switch, and the line above
        imported_images = [image for sku in load_tenant(store, "default").skus if sku.sku.startswith("N-") for image in sku.images]
        assert len(imported_images) == 3 and all(measured_in(image, new) for image in imported_images)
    finally:
        store.engine.dispose()
