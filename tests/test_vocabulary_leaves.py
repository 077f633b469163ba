"""A vocabulary with a third level: a large catalog's words split into leaves, the words of its
inverted index, while verification keeps the two-level words; stored and loaded as other words are,
and a catalog of the older two-level layout loads as it did."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import UTC, datetime

import numpy as np
import pytest

from evidence_check import service
from evidence_check.catalog.entries import image_arrays
from evidence_check.catalog.feature_file import in_memory
from evidence_check.catalog.photo import PhotoFeatures, photo_features
from evidence_check.catalog.registry import TenantCatalog
from evidence_check.catalog.words import with_words
from evidence_check.engine import Upload
from evidence_check.imaging import features as F
from evidence_check.imaging.load import load_photo
from evidence_check.settings import Settings
from evidence_check.store import Store
from evidence_check.store.catalog_store import load_tenant
from evidence_check.store.catalog_types import StoredCatalog, StoredImage, StoredSku
from tests.conftest import FIXTURES

NOW = datetime(2026, 12, 4, tzinfo=UTC)


def _clustered(count: int, seed: int = 3) -> np.ndarray:
    """RootSIFT-like unit vectors around 300 centres, as descriptors of real images gather."""
    rng = np.random.default_rng(seed)
    centres = rng.random((300, 128)) ** 4
    values = centres[rng.integers(0, 300, count)] + rng.random((count, 128)) * 0.05
    return F.rootsift((values * 255 / values.max()).astype(np.float32))


def test_each_descriptor_gets_the_nearest_word_of_its_nearest_cell() -> None:
    """The words are found for a photo's descriptors cell by cell at once: each must be, to the bit,
    the one its cell's descriptors get matched apart against that cell's words (`nearest`: the same
    products, so a tie goes the same way); a word off at one run's end among 700 fails."""
    vocabulary = F.train_vocabulary(_clustered(20_000), branch=16)
    descriptors = _clustered(700, seed=9)
    cells = F.nearest(descriptors, vocabulary.coarse)
    branch = vocabulary.fine.shape[1]
    apart = np.empty(len(descriptors), np.int64)
    for cell in np.unique(cells).tolist():
        at = np.flatnonzero(cells == cell)
        apart[at] = cell * branch + F.nearest(descriptors[at], vocabulary.fine[cell])
    words = vocabulary.words(descriptors)
    assert len(np.unique(words // branch)) > 8  # many cells, each a run of its own
    assert np.array_equal(words, apart)


def test_enough_descriptors_for_a_full_branching_grow_leaves_and_few_do_not() -> None:
    root = _clustered(8 * 8 * F.MIN_DESCRIPTORS_PER_WORD * 8)
    large = F.train_vocabulary(root, branch=8)
    assert (large.size, large.depth, large.index_size) == (64, 8, 512)
    words = large.words(root)
    index = large.index_words(root, words)
    assert np.array_equal(index // large.depth, words)  # a leaf lies inside its word
    assert len(np.unique(index)) > 3 * len(np.unique(words))  # and the leaves split the words
    # Fewer descriptors than 2 leaves a word need: two levels, index words the words themselves.
    few = F.train_vocabulary(root[: 8 * 8 * F.MIN_DESCRIPTORS_PER_WORD * 2 - 1], branch=8)
    assert (few.depth, few.index_size) == (1, few.size)
    assert np.array_equal(few.index_words(root, few.words(root)), few.words(root))
    # Too few for the full branching (the 31-image grocery catalog's case): two levels too.
    assert F.train_vocabulary(root[:150], branch=8).depth == 1
    assert F.train_vocabulary(root, branch=8, max_leaves=1).depth == 1


def test_leaves_round_trip_through_bytes_with_one_key() -> None:
    root = _clustered(4000)
    vocabulary = F.train_vocabulary(root, branch=8)
    loaded = F.Vocabulary.from_bytes(vocabulary.to_bytes())
    assert loaded.depth == vocabulary.depth == 8
    assert loaded.key == vocabulary.key
    assert np.array_equal(
        loaded.index_words(root, loaded.words(root)), vocabulary.index_words(root, vocabulary.words(root))
    )
    two_levels = F.train_vocabulary(root, branch=8, max_leaves=1)
    assert two_levels.key != vocabulary.key


def test_leaves_held_as_float32_keep_the_key_and_words_of_the_float16_ones_stored() -> None:
    """Leaves are stored as float16 and held as float32: a catalog's words, stored under the key of
    the float16 leaves, stay comparable with a photo's measured now."""
    root = _clustered(4000)
    vocabulary = F.train_vocabulary(root, branch=8)
    stored = F.unpack(vocabulary.to_bytes())["leaves"]
    assert stored.dtype == np.float16 and vocabulary.leaves is not None
    assert vocabulary.leaves.dtype == np.float32 and np.array_equal(vocabulary.leaves, stored.astype(np.float32))
    digest = hashlib.sha256(vocabulary.coarse.tobytes() + vocabulary.fine.tobytes() + stored.tobytes())
    assert vocabulary.key == digest.hexdigest()[:16]
    words = vocabulary.words(root)
    near = vocabulary.leaves[words] - root[:, None, :]  # each descriptor to its word's leaves
    assert np.array_equal(vocabulary.index_words(root, words) % vocabulary.depth, (near**2).sum(axis=2).argmin(axis=1))


def _image(descriptors: np.ndarray, image_id: str, points: np.ndarray) -> StoredImage:
    """A stored catalog image of these keypoints (no colour, a blank mask: retrieval reads neither)."""
    blob = F.pack(
        points=points.astype(np.float32),
        descriptors=descriptors,
        colour=np.zeros(8, np.float32),
        mask=np.ones((4, 4), np.uint8),
    )
    return StoredImage(image_id, f"{image_id}.jpg", 200, 200, blob)


def test_index_words_round_trip_through_the_stored_features_and_the_feature_file() -> None:
    rng = np.random.default_rng(5)
    descriptors = [rng.integers(0, 60, (300, 128)).astype(np.uint8) ** 2 // 15 for _ in range(6)]
    vocabulary = F.train_vocabulary(np.concatenate([F.rootsift(d) for d in descriptors]), branch=8)
    assert vocabulary.depth > 1
    stored = [
        with_words(_image(d, f"i{n}", rng.uniform(0, 200, (len(d), 2))).features, vocabulary)
        for n, d in enumerate(descriptors)
    ]
    file = in_memory(
        ((n, image_arrays(blob, vocabulary)) for n, blob in enumerate(stored)),
        6,
        [str(n) for n in range(6)],
        vocabulary,
    )
    for n, d in enumerate(descriptors):
        root = F.rootsift(d)
        words = vocabulary.words(root)
        arrays = file.arrays(n)
        assert np.array_equal(arrays.keypoint_words, words)  # verification's words: two levels
        assert arrays.keypoint_words.dtype == np.int16
        assert np.array_equal(arrays.words, np.unique(vocabulary.index_words(root, words)))
        assert arrays.words.max() >= vocabulary.size  # index words beyond the two-level range
        # An image's own index words score it first.
        assert int(np.argmax(file.index.scores(arrays.words))) == n


def test_a_large_catalog_reindexed_stores_and_loads_its_leaves(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`catalog reindex` of a catalog with descriptors enough for leaves (at a branching of 8 here,
    as 128 at 400,000 descriptors): stored, loaded through the host's feature file, and the words of
    an image added afterwards are measured in the same vocabulary."""
    monkeypatch.setattr(service, "train_catalog_vocabulary", _small_tree)
    store = Store(sqlite_url)
    try:
        for sku, name in (("A-1", "genuine_after_delivery.jpg"), ("B-2", "no_exif.jpg")):
            path = FIXTURES / name
            service.add_to_catalog(
                store, "default", sku, [Upload(path.name, path.read_bytes())],
                name=sku, category=None, zones=None, settings=Settings(), now=NOW,
            )  # fmt: skip
        assert service.reindex_catalog(store, "default", NOW) == 2
        stored = load_tenant(store, "default")
        vocabulary = F.Vocabulary.from_bytes(stored.vocabulary or b"")
        assert vocabulary.depth > 1
        tenant = service.catalog_for(store).for_tenant("default")
        assert "key" in vars(tenant.vocabulary)  # hashed as the catalog loaded, not by its first claim
        assert tenant.vocabulary.key == vocabulary.key and tenant.file is not None
        assert vocabulary.leaves is not None
        assert tenant.resident_bytes() > vocabulary.leaves.nbytes + tenant.index.nbytes()  # counted in the budget
        assert tenant.index.size == 2
        for image in tenant.images:
            assert image.words.max() < vocabulary.index_size
            assert len(image.words) > len(
                np.unique(image.keypoint_words)
            )  # leaves: more index words than words
            assert tenant._rank(tenant.index.scores(image.words), None, 1)[0][0] == image.sku
        photo = load_photo((FIXTURES / "genuine_after_delivery.jpg").read_bytes(), "photo.jpg")
        assert tenant.retrieve(photo_features(photo), None, 1)[0][0] == "A-1"
    finally:
        store.close()


def _small_tree(features: Callable[[], Iterable[bytes]]) -> F.Vocabulary:
    """The catalog's vocabulary at a branching of 8, which two fixture images fill with leaves."""
    roots = [F.rootsift(F.unpack(blob)["descriptors"]) for blob in features()]
    return F.train_vocabulary(np.concatenate(roots), branch=8)


def test_a_catalog_of_the_two_level_layout_loads_and_old_images_are_measured_again() -> None:
    """A stored vocabulary without leaves (every catalog reindexed before leaves existed) is read as
    two levels: its index words are its words. An image stored under another vocabulary, in the
    layout before index words were stored (keypoint words only), gets both measured again."""
    rng = np.random.default_rng(9)
    descriptors = [rng.integers(0, 60, (300, 128)).astype(np.uint8) ** 2 // 15 for _ in range(4)]
    roots = np.concatenate([F.rootsift(d) for d in descriptors])
    two_levels = F.train_vocabulary(roots, branch=8, max_leaves=1)
    old_blob = F.pack(coarse=two_levels.coarse.astype(np.float16), fine=two_levels.fine.astype(np.float16))
    loaded = F.Vocabulary.from_bytes(old_blob)
    assert loaded.leaves is None and loaded.key == two_levels.key
    images = [_image(d, f"i{n}", rng.uniform(0, 200, (len(d), 2))) for n, d in enumerate(descriptors)]
    catalog = TenantCatalog(
        StoredCatalog(
            tuple(
                StoredSku(
                    f"S{n}", None, None, None, (replace(image, features=with_words(image.features, loaded)),)
                )
                for n, image in enumerate(images)
            ),
            old_blob,
        )  # fmt: skip
    )
    for n, image in enumerate(catalog.images):
        assert np.array_equal(image.words, np.unique(loaded.words(F.rootsift(descriptors[n]))))

    with_leaves = F.train_vocabulary(roots, branch=8)
    old_layout = F.unpack(with_words(images[0].features, two_levels))
    del old_layout["words"]  # stored before index words were: keypoint words of another vocabulary
    arrays = image_arrays(F.pack(**old_layout), with_leaves)
    root = F.rootsift(descriptors[0])
    assert np.array_equal(arrays.keypoint_words, with_leaves.words(root))
    assert np.array_equal(arrays.words, np.unique(with_leaves.index_words(root, with_leaves.words(root))))


@pytest.fixture(scope="module")
def lookalikes() -> tuple[list[StoredImage], list[tuple[str, PhotoFeatures]]]:
    """The web-shop images of one dairy's 14 packs (Arla's and Alpro's: one brand's print each) and
    three shelf photos of each."""
    from tests.conftest import corpus

    grocery = corpus("product-matching") / "grocery"
    names = sorted(p.name for p in grocery.iterdir() if p.name.startswith(("Arla", "Alpro")))
    images = []
    for name in names:
        photo = load_photo((grocery / name / f"{name}_Iconic.jpg").read_bytes(), f"{name}.jpg")
        local = F.extract_catalog(np.asarray(photo.working.convert("L")))
        images.append(_image(local.descriptors, name, local.points / photo.scale))
    photos = [
        (name, photo_features(load_photo(path.read_bytes(), path.name)))
        for name in names
        for path in sorted((grocery / name).glob(f"{name}_00[1-3].jpg"))
    ]
    return images, photos


def test_leaves_find_the_pack_shown_among_its_lookalikes(
    lookalikes: tuple[list[StoredImage], list[tuple[str, PhotoFeatures]]],
) -> None:
    """At one branching, the words' leaves rank the pack a shelf photo shows first among its
    brand's other packs far more often than the words alone (measured: 21 and 5 of 42 photos)."""
    images, photos = lookalikes
    roots = np.concatenate([F.rootsift(F.unpack(image.features)["descriptors"]) for image in images])
    first = {}
    for leaves in (1, F.MAX_LEAVES):
        vocabulary = F.train_vocabulary(roots, branch=16, max_leaves=leaves)
        assert vocabulary.depth == leaves
        catalog = TenantCatalog(
            StoredCatalog(
                tuple(
                    StoredSku(
                        image.image_id,
                        None,
                        None,
                        None,
                        (replace(image, features=with_words(image.features, vocabulary)),),
                    )
                    for image in images
                ),
                vocabulary.to_bytes(),
            )  # fmt: skip
        )
        first[leaves] = sum(catalog.retrieve(features, None, 1)[0][0] == name for name, features in photos)
    assert first[F.MAX_LEAVES] >= len(photos) / 3
    assert first[F.MAX_LEAVES] >= 3 * first[1]
