"""Catalog memory: a worker holds SKUs and the word index; image arrays come from the host's feature
file through a bounded cache, answer as a catalog held whole does, and never cross tenants."""

from __future__ import annotations

import errno
import mmap
import tracemalloc
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import numpy as np
import pytest

from evidence_check.catalog import feature_file
from evidence_check.catalog.feature_file import (
    ArrayCache,
    FeatureFile,
    FeatureFileError,
    host_file,
    in_memory,
)
from evidence_check.catalog.loading import feature_folder, load_from_store
from evidence_check.catalog.photo import Look, photo_features
from evidence_check.catalog.registry import Catalog, TenantCatalog, identity_of
from evidence_check.checks.relevance import rules
from evidence_check.imaging import colour
from evidence_check.imaging import features as F
from evidence_check.store import Store
from evidence_check.store.catalog_store import catalog_stamp, put_sku, set_zones
from evidence_check.store.catalog_types import StoredCatalog, StoredImage, StoredSku
from tests.grocery_looks import catalog_image
from tests.shelf_photos import SHELF_PRODUCTS, shelf

NOW = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def grocery() -> Path:
    from tests.conftest import corpus

    return corpus("product-matching")


@pytest.fixture(scope="module")
def images(grocery: Path) -> dict[str, StoredImage]:
    return {
        sku: catalog_image(grocery / "grocery" / folder / f"{folder}_Iconic.jpg")
        for sku, (folder, _) in SHELF_PRODUCTS.items()
    }


def _whole(images: dict[str, StoredImage]) -> StoredCatalog:
    return StoredCatalog(tuple(StoredSku(sku, SHELF_PRODUCTS[sku][1], None, None, (image,)) for sku, image in images.items()))


def _put(store: Store, tenant: str, images: dict[str, StoredImage]) -> None:
    for sku, image in images.items():
        put_sku(store, tenant, sku, name=SHELF_PRODUCTS[sku][1], category=None, images=[image], when=NOW)


def _summary(tenant: TenantCatalog, photo_sku: str, number: int, claimed: str, grocery: Path) -> tuple[object, ...]:
    found = tenant.assess(photo_features(shelf(grocery, photo_sku, number)), claimed, rules)
    return (
        found.ordered.inliers if found.ordered else None,
        found.other.image.sku if found.other else None,
        [(match.image.sku, match.inliers) for match in found.rivals],
        found.candidates,
        found.shortlist,
        found.colour_overlap,
    )


def test_a_stored_catalog_read_through_the_host_file_answers_as_one_held_whole(
    tmp_path: Path, grocery: Path, images: dict[str, StoredImage]
) -> None:
    store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        _put(store, "default", images)
        cache = ArrayCache(2)  # fewer than the images one claim verifies: arrays are read again
        hosted = load_from_store(store, "default", tmp_path / "features", cache)
        whole = TenantCatalog(_whole(images))
        for photo_sku, number, claimed in [("BRAVO-APPLE", 1, "BRAVO-APPLE"), ("OATLY-MILK", 2, "BRAVO-ORANGE")]:
            assert _summary(hosted, photo_sku, number, claimed, grocery) == _summary(
                whole, photo_sku, number, claimed, grocery
            )
        assert len(cache) == 2
        own = F.unpack(images["VALIO-VANILLA"].features)
        held = hosted.skus["VALIO-VANILLA"].images[0]
        assert np.array_equal(held.descriptors, own["descriptors"]) and np.array_equal(held.points, own["points"])
    finally:
        store.close()


def _owned_bytes(value: object) -> int:
    if isinstance(value, np.ndarray):
        return 0 if value.base is not None else value.nbytes
    return sum(_owned_bytes(item) for item in value) if isinstance(value, tuple) else 0


def test_the_arrays_cache_holds_views_of_the_file_not_what_matching_derives_from_them(
    tmp_path: Path, grocery: Path, images: dict[str, StoredImage]
) -> None:
    """A long-lived worker's cache fills (`catalog_cached_images`): anything it kept per image beyond
    the product mask at thumbnail size would be multiplied by thousands, in every worker."""
    store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        _put(store, "default", images)
        cache = ArrayCache(16)
        hosted = load_from_store(store, "default", tmp_path / "features", cache)
        found = hosted.assess(photo_features(shelf(grocery, "OATLY-MILK", 2)), "BRAVO-ORANGE", rules)
        assert found.shortlist and len(cache) >= 2  # the words' shortlist read arrays through the cache
        held = {key: sum(_owned_bytes(value) for value in vars(arrays).values()) for key, (_, arrays) in cache._held.items()}
        assert max(held.values()) <= colour.THUMB_SIDE**2, held
    finally:
        store.close()


@pytest.fixture
def shop_file(tmp_path: Path, images: dict[str, StoredImage]) -> Path:
    """The shop's host feature file, as a worker's first load of the stored catalog builds it."""
    store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        _put(store, "default", images)
        load_from_store(store, "default", tmp_path / "features", ArrayCache(16))
    finally:
        store.close()
    (path,) = (tmp_path / "features").glob("*.features")
    return path


def test_an_image_s_mapped_arrays_take_about_a_kilobyte_of_the_worker_s_own_memory(
    shop_file: Path, images: dict[str, StoredImage]
) -> None:
    """The `ArrayCache` holds thousands of them in every worker: each array made by `np.frombuffer`
    of the mapping took a buffer export of its own, ~4.5 KB an image (18 MB at 4,096 images)."""
    file = FeatureFile(shop_file)
    tracemalloc.start()
    try:
        held = [file.arrays(slot % file.count) for slot in range(200)]
        taken, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert taken / len(held) < 2048, taken / len(held)
    own = F.unpack(images[sorted(images)[0]].features)
    assert any(np.array_equal(arrays.descriptors, own["descriptors"]) for arrays in held[: file.count])
    assert not held[0].descriptors.flags.writeable


def _mapped_resident_kb(file: FeatureFile) -> int:
    """The resident pages of `file`'s mapping in this process (its entry of /proc/self/smaps)."""
    start = f"{file._bytes.ctypes.data:x}"
    lines = Path("/proc/self/smaps").read_text().splitlines()
    at = next(i for i, line in enumerate(lines) if line.split("-", 1)[0] == start)
    return next(int(line.split()[1]) for line in lines[at + 1 :] if line.startswith("Rss:"))


@pytest.mark.skipif(not Path("/proc/self/smaps").exists(), reason="needs Linux's /proc/self/smaps")
def test_images_the_cache_lets_go_leave_the_worker_s_resident_memory_and_read_back_the_same(
    shop_file: Path, images: dict[str, StoredImage]
) -> None:
    """A long-lived worker verifies image after image of a large catalog: without letting the pages
    of those the cache dropped go, its resident memory grows with every image it ever read."""
    kept, dropping = FeatureFile(shop_file), FeatureFile(shop_file)
    everything, two = ArrayCache(kept.count), ArrayCache(2)
    last_two_kb = 0
    for slot in range(kept.count):
        for file, cache in ((kept, everything), (dropping, two)):
            arrays = cache.get(file, slot)
            assert int(arrays.descriptors.sum()) > 0  # every page of the descriptors read
        if slot >= kept.count - 2:
            last_two_kb += arrays.descriptors.nbytes // 1024
    assert kept.count >= 5
    resident, after_drops = _mapped_resident_kb(kept), _mapped_resident_kb(dropping)
    assert resident > 2 * after_drops, (resident, after_drops)
    assert after_drops >= last_two_kb - 8  # the two images cached stay mapped (two partial pages aside)
    # A view held (a claim still reading the image) while its image is let go: read again after.
    held, before = two.get(dropping, 0).descriptors, dropping.arrays(0).descriptors.copy()
    for slot in range(1, dropping.count):
        two.get(dropping, slot)
    assert held.nbytes > 4 * mmap.PAGESIZE and not _present_pages(dropping, held)[1:-1].any()  # let go under it
    assert np.array_equal(held, before)
    own = F.unpack(images[sorted(images)[0]].features)
    read_again = [dropping.arrays(slot).descriptors for slot in range(dropping.count)]
    assert any(np.array_equal(descriptors, own["descriptors"]) for descriptors in read_again)
    assert sum(int(d.sum()) for d in read_again) == sum(int(kept.arrays(s).descriptors.sum()) for s in range(kept.count))


class _RefusingAdvice(mmap.mmap):
    """A mapping whose kernel refuses every advice, as Linux refuses MADV_DONTNEED on locked pages."""

    def madvise(self, *_: int) -> None:
        raise OSError(errno.EINVAL, "Invalid argument")


def test_a_worker_whose_pages_cannot_be_let_go_still_reads_its_images(
    shop_file: Path
) -> None:
    """A worker run with its memory locked (`mlockall`): the kernel refuses to unmap an image's
    pages, and the claim that evicted it must still get its arrays, not an OSError."""
    file = FeatureFile(shop_file)
    with open(shop_file, "rb") as opened:
        file._buffer = _RefusingAdvice(opened.fileno(), 0, prot=mmap.PROT_READ)
    cache = ArrayCache(2)
    read = [cache.get(file, slot).descriptors for slot in range(file.count)]
    assert file.count > 2 and len(cache) == 2  # images were evicted, each one's let_go refused
    assert all(np.array_equal(a, file.arrays(s).descriptors) for s, a in enumerate(read))


def _present_pages(file: FeatureFile, array: np.ndarray) -> np.ndarray:
    """Whether each page of `array` is mapped into this process now (/proc/self/pagemap's bit 63)."""
    page = mmap.PAGESIZE
    first, last = array.ctypes.data // page, (array.ctypes.data + array.nbytes - 1) // page
    with open("/proc/self/pagemap", "rb") as entries:
        entries.seek(first * 8)
        found = np.frombuffer(entries.read((last - first + 1) * 8), np.uint64)
    return (found >> np.uint64(63)).astype(bool)


def _populates() -> bool:
    """Whether this kernel takes the advice `FeatureFile` gives (an older one refuses it)."""
    if feature_file._MADV_POPULATE_READ is None:
        return False
    probe = mmap.mmap(-1, mmap.PAGESIZE)
    try:
        probe.madvise(feature_file._MADV_POPULATE_READ, 0, mmap.PAGESIZE)
        return True
    except (OSError, ValueError):
        return False
    finally:
        probe.close()


@pytest.mark.skipif(
    not Path("/proc/self/pagemap").exists() or not _populates(), reason="needs Linux 5.14's MADV_POPULATE_READ"
)
@pytest.mark.parametrize("populated", [True, False])
def test_a_worker_maps_the_word_index_in_as_it_opens_the_host_file_and_no_image(
    shop_file: Path, populated: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A claim's query touches posting lists all over the index: faulted in page by page they cost a
    new worker's first claims ~3 ms each."""
    if not populated:  # the check can fail: without the advice, nothing is mapped in at open
        monkeypatch.setattr(feature_file, "_MADV_POPULATE_READ", None)
    file = FeatureFile(shop_file)
    index = file.index.arrays()
    assert all(_present_pages(file, index[name]).all() == populated for name in ("postings", "weights"))
    descriptors = file.arrays(0).descriptors
    assert descriptors.nbytes > 4 * mmap.PAGESIZE and not _present_pages(file, descriptors)[1:-1].any()


@pytest.mark.parametrize("closer", [False, True])
def test_a_claim_makes_each_image_s_rootsift_once_in_the_few_the_worker_keeps(
    monkeypatch: pytest.MonkeyPatch, grocery: Path, images: dict[str, StoredImage], closer: bool
) -> None:
    """`matching.ROOTS_CACHED` is kept small for memory: not so small that one claim's look, its
    closer look with the tilted views included, makes an image's RootSIFT twice."""
    from evidence_check.catalog import matching

    kept = matching.roots
    asked: set[int] = set()
    monkeypatch.setattr(matching, "roots", lambda image: (asked.add(id(image)), kept(image))[1])
    kept.cache_clear()
    found = TenantCatalog(_whole(images)).assess(
        photo_features(shelf(grocery, "BRAVO-APPLE", 1)), "BRAVO-ORANGE", rules, Look.CLOSER if closer else Look.FIRST
    )
    assert found.ordered is not None and len(asked) > 2
    assert kept.cache_info().misses == len(asked), (kept.cache_info(), len(asked))


def test_the_host_file_is_built_once_and_again_when_the_catalog_changes(
    tmp_path: Path, images: dict[str, StoredImage]
) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    first, second = Store(url), Store(url)  # two worker processes of one host
    try:
        _put(first, "default", dict(list(images.items())[:3]))
        folder = feature_folder(first, None)
        assert folder == tmp_path / "store.db.features"
        load_from_store(first, "default", folder, ArrayCache(16))
        (built,) = folder.glob("*.features")
        stamp = built.stat().st_mtime_ns
        other = load_from_store(second, "default", folder, ArrayCache(16))
        assert [f.stat().st_mtime_ns for f in folder.glob("*.features")] == [stamp]  # opened, not built
        assert sorted(other.skus) == sorted(list(images)[:3])

        _put(first, "default", dict(list(images.items())[3:]))
        changed = load_from_store(second, "default", folder, ArrayCache(16))
        (rebuilt,) = folder.glob("*.features")  # the older version's file is gone
        assert rebuilt != built and sorted(changed.skus) == sorted(images)
    finally:
        first.close()
        second.close()


def test_every_spelling_of_one_store_path_opens_the_same_host_file(
    tmp_path: Path, images: dict[str, StoredImage], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = tmp_path / "data"
    real.mkdir()
    (tmp_path / "link").symlink_to(real)
    monkeypatch.chdir(tmp_path)
    spellings = [f"sqlite:///{real / 'store.db'}", f"sqlite:///{tmp_path / 'link' / 'store.db'}", "sqlite:///data/store.db"]
    stores = [Store(url) for url in spellings]  # three workers of one host, each configured its own way
    try:
        _put(stores[0], "default", dict(list(images.items())[:2]))
        folder = tmp_path / "features"
        load_from_store(stores[0], "default", folder, ArrayCache(4))
        (built,) = folder.glob("*.features")
        stamp = built.stat().st_mtime_ns
        for other in stores[1:]:
            assert sorted(load_from_store(other, "default", folder, ArrayCache(4)).skus) == sorted(list(images)[:2])
        assert [(f, f.stat().st_mtime_ns) for f in folder.glob("*.features")] == [(built, stamp)]
    finally:
        for store in stores:
            store.close()


def test_a_change_made_with_a_clock_behind_is_seen_by_a_process_holding_the_catalog(
    tmp_path: Path, images: dict[str, StoredImage]
) -> None:
    """Two hosts: one's clock is an hour behind the other's. Its changes store an older time than
    the newest already there, and a process holding the catalog must see them all the same."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    writer, reader = Store(url), Store(url)
    try:
        _put(writer, "default", dict(list(images.items())[:2]))
        first, second = list(images)[:2]
        held = Catalog(
            lambda tenant: load_from_store(reader, tenant, tmp_path / "features", ArrayCache(16)),
            stamp=partial(catalog_stamp, reader),
            recheck_seconds=0,
        )
        assert held.for_tenant("default").skus[first].images[0].zones == {}
        behind = NOW - timedelta(hours=1)
        assert set_zones(writer, "default", first, {images[first].filename: {"cap": [1, 2, 3, 4]}}, behind)
        assert held.for_tenant("default").skus[first].images[0].zones == {"cap": [1, 2, 3, 4]}
        put_sku(writer, "default", second, name=None, category=None, images=[], when=behind, brand="Acme")
        assert held.for_tenant("default").skus[second].given_brand == "Acme"
    finally:
        writer.close()
        reader.close()


def test_tenants_with_the_same_sku_never_read_each_others_arrays(
    tmp_path: Path, images: dict[str, StoredImage]
) -> None:
    store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        bravo, oatly = images["BRAVO-APPLE"], images["OATLY-MILK"]
        put_sku(store, "shop-a", "SKU-1", name="One", category=None, images=[bravo], when=NOW)
        put_sku(store, "shop-b", "SKU-1", name="One", category=None, images=[oatly], when=NOW)
        cache = ArrayCache(1)  # one slot for both tenants
        folder = tmp_path / "features"
        a = load_from_store(store, "shop-a", folder, cache)
        b = load_from_store(store, "shop-b", folder, cache)
        for _ in range(2):
            assert np.array_equal(a.skus["SKU-1"].images[0].descriptors, F.unpack(bravo.features)["descriptors"])
            assert np.array_equal(b.skus["SKU-1"].images[0].descriptors, F.unpack(oatly.features)["descriptors"])
        assert len(list(folder.glob("*.features"))) == 2
    finally:
        store.close()


def test_a_damaged_or_foreign_feature_file_is_refused_and_built_again(
    tmp_path: Path, images: dict[str, StoredImage]
) -> None:
    with pytest.raises(FeatureFileError, match="not a catalog feature file"):
        FeatureFile(b"\x00" * 100)
    stored = _whole(images)
    whole = TenantCatalog(stored)
    assert whole.file is not None
    with pytest.raises(FeatureFileError, match="other images"):
        TenantCatalog.from_file(StoredCatalog(stored.skus[:2]), whole.file, None, None)

    arrays = [image.arrays_of() for image in whole.images]
    built: list[int] = []

    def given() -> object:
        built.append(1)
        return iter(enumerate(arrays))

    folder = tmp_path / "features"
    host_file(folder, "store#t", 1, identity_of(stored), whole.vocabulary, given)  # type: ignore[arg-type]
    (path,) = folder.glob("*.features")
    path.write_bytes(path.read_bytes()[:-5])  # cut short, as by a full disk
    found = host_file(folder, "store#t", 1, identity_of(stored), whole.vocabulary, given)  # type: ignore[arg-type]
    assert len(built) == 2
    assert np.array_equal(found.arrays(3).descriptors, arrays[3].descriptors)


def test_in_memory_files_keep_missing_thumbnails_missing(images: dict[str, StoredImage]) -> None:
    whole = TenantCatalog(_whole(images))
    arrays = whole.images[0].arrays_of()
    file = in_memory([(0, replace(arrays, thumb=None))], 1, ["x/y"], whole.vocabulary)
    read = file.arrays(0)
    assert read.thumb is None and np.array_equal(read.mask, arrays.mask) and read.words.dtype == np.int32


def test_tenants_beyond_the_memory_budget_are_let_go_least_recently_used_first(
    images: dict[str, StoredImage],
) -> None:
    skus = list(images.items())
    stored = {
        f"shop-{n}": StoredCatalog((StoredSku("SKU-1", "One", None, None, (image,)),)) for n, (_, image) in enumerate(skus[:3])
    }
    loads: list[str] = []

    def load(tenant: str) -> StoredCatalog:
        loads.append(tenant)
        return stored[tenant]

    one = TenantCatalog(stored["shop-0"]).resident_bytes()
    catalog = Catalog(load, memory_bytes=int(2.5 * one))  # room for two tenants' catalogs
    for tenant in ("shop-0", "shop-1", "shop-0", "shop-2"):
        catalog.for_tenant(tenant)
    assert catalog.held() == ["shop-0", "shop-2"]  # shop-1 was used least recently
    assert loads == ["shop-0", "shop-1", "shop-2"]
    for n in (1, 2, 0):
        image = skus[n][1]
        held = catalog.for_tenant(f"shop-{n}").skus["SKU-1"].images[0]
        assert held.image_id == image.image_id
        assert np.array_equal(held.descriptors, F.unpack(image.features)["descriptors"])
    assert loads == ["shop-0", "shop-1", "shop-2", "shop-1", "shop-0"]  # loaded again when next needed
    assert catalog.held() == ["shop-2", "shop-0"]


def test_a_folder_the_host_cannot_write_leaves_the_catalog_in_memory(
    tmp_path: Path, images: dict[str, StoredImage]
) -> None:
    store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        _put(store, "default", dict(list(images.items())[:2]))
        blocked = tmp_path / "a-file"
        blocked.write_text("not a folder")
        found = load_from_store(store, "default", blocked / "features", ArrayCache(16))
        assert found.file is not None and found.file.held_bytes > 0  # built in memory
        assert sorted(found.skus) == sorted(list(images)[:2])
    finally:
        store.close()


def test_a_stored_catalogs_skus_held_packed_are_made_as_stored(images: dict[str, StoredImage]) -> None:
    pairs = list(images.items())
    stored = StoredCatalog(
        (
            StoredSku("TWO", "Two images", "dairy", {"cap": [1, 2, 3, 4]}, (pairs[0][1], pairs[1][1]), "Arla", "milk 1 l"),
            *(StoredSku(sku, SHELF_PRODUCTS[sku][1], None, None, (image,)) for sku, image in pairs[2:4]),
            StoredSku("Ünïcode ✓", None, None, None, (replace(pairs[4][1], zones={"logo": [5, 6, 7, 8]}),)),
        )
    )
    tenant = TenantCatalog(stored)
    assert list(tenant.skus) == [sku.sku for sku in stored.skus] and len(tenant.skus) == 4
    for sku in stored.skus:
        made = tenant.skus[sku.sku]
        assert (made.sku, made.name, made.category, made.given_brand, made.family) == (
            sku.sku, sku.name, sku.category, sku.brand, sku.family
        )  # fmt: skip
        assert [(i.image_id, i.filename, i.width, i.height) for i in made.images] == [
            (i.image_id, i.filename, i.width, i.height) for i in sku.images
        ]
    assert tenant.skus["TWO"].images[0].zones == {"cap": [1, 2, 3, 4]} and tenant.skus["TWO"].images[1].zones == {}
    assert tenant.skus["Ünïcode ✓"].images[0].zones == {"logo": [5, 6, 7, 8]}
    assert np.array_equal(tenant.skus["TWO"].images[1].descriptors, F.unpack(pairs[1][1].features)["descriptors"])
    assert tenant.skus["TWO"].images[0].read_views is not None  # the views given with the catalog
    assert tenant.get("NOT-THERE") is None and "NOT-THERE" not in tenant.skus
    assert [f"{image.sku}/{image.image_id}" for image in tenant.images] == identity_of(stored)


def test_skus_made_beyond_the_bound_are_let_go_and_made_again_alike(
    images: dict[str, StoredImage], monkeypatch: pytest.MonkeyPatch
) -> None:
    from evidence_check.catalog import registry

    monkeypatch.setattr(registry, "MADE_SKUS", 2)
    tenant = TenantCatalog(_whole(images))
    first = tenant.skus["BRAVO-APPLE"]
    others = [sku for sku in images if sku != "BRAVO-APPLE"][:2]
    assert tenant.skus[others[0]] is tenant.skus[others[0]]  # kept while among the last made
    tenant.skus[others[1]]
    again = tenant.skus["BRAVO-APPLE"]
    assert again is not first and again.images[0].image_id == first.images[0].image_id
