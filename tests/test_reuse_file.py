"""The host's reuse file: built once from the store, mapped by every process, kept current."""

from __future__ import annotations

import random
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from evidence_check.evaluation.evidence import TRANSFORMS as EVAL_TRANSFORMS
from evidence_check.imaging.load import load_photo
from evidence_check.index import TAIL_SIZE, TenantIndex, search_parts
from evidence_check.measure import Measurements
from evidence_check.references import References, references_for, reuse_folder, stored_rows
from evidence_check.reuse_file import Built, HostFile, ReuseFile, ReuseFileError
from evidence_check.settings import Settings
from evidence_check.store import Store
from tests.conftest import corpus
from tests.reuse_codes import add_row, found_ids, near, query, random_codes

ROOT = Path(__file__).resolve().parent.parent


def mapped_copy(tmp_path: Path, index: TenantIndex) -> TenantIndex:
    host = HostFile(tmp_path / "host", "sqlite:///nowhere")
    opened = host.open(lambda: [Built({"t": index}, 0, {})], lambda built: True)
    return opened.built.tenants["t"]


def test_a_search_over_the_mapped_file_finds_what_the_index_in_memory_finds(tmp_path: Path) -> None:
    rng = np.random.default_rng(25)
    total = 3 * TAIL_SIZE + 1000
    pdq, phash = random_codes(rng, total)
    in_memory, unsealed = TenantIndex(), TenantIndex()
    # In several adds, so the file holds a large level, a small one and a tail sorted in.
    batches = ((0, 2 * TAIL_SIZE), (2 * TAIL_SIZE, 2 * TAIL_SIZE + 500), (2 * TAIL_SIZE + 500, total - 300), (total - 300, total))
    for start, stop in batches:
        for index in (in_memory, unsealed):
            index.add_many((i + 1, [pdq[i].tobytes()], [phash[i].tobytes()]) for i in range(start, stop))
    mapped = mapped_copy(tmp_path, in_memory)  # writing the file sorts in_memory's tail into its levels
    assert isinstance(mapped._owner, np.ndarray) and not mapped._owner.flags.writeable
    assert unsealed._pdq.tail.ntotal == 300 and in_memory._pdq.tail.ntotal == 0
    hits = 0
    for target in [*rng.choice(total, 40, replace=False), *range(total - 300, total, 30)]:
        pdq_flips, phash_flips = int(rng.integers(0, 40)), int(rng.integers(0, 14))
        codes = query(near(rng, pdq[target], pdq_flips), near(rng, phash[target], phash_flips))
        expected = in_memory.search([codes])
        assert mapped.search([codes]) == expected
        if pdq_flips <= 19 and phash_flips <= 11:  # within what the levels always find, as the exact tail does
            assert unsealed.search([codes]) == expected
        hits += bool(expected) and expected[0].entry_id == target + 1
    assert hits >= 40  # the near copies were found, so the comparison compared something
    for pair in zip(*random_codes(rng, 20), strict=True):
        codes = query(*(c.tobytes() for c in pair))
        assert mapped.search([codes]) == in_memory.search([codes]) == unsealed.search([codes])


def test_a_tenant_split_between_the_file_and_memory_searches_as_one_index(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    pdq, phash = random_codes(rng, 2 * TAIL_SIZE)
    whole, older, newer = TenantIndex(), TenantIndex(), TenantIndex()
    whole.add_many((i + 1, [pdq[i].tobytes()], [phash[i].tobytes()]) for i in range(len(pdq)))
    older.add_many((i + 1, [pdq[i].tobytes()], [phash[i].tobytes()]) for i in range(TAIL_SIZE + 100))
    newer.add_many((i + 1, [pdq[i].tobytes()], [phash[i].tobytes()]) for i in range(TAIL_SIZE + 100, len(pdq)))
    parts = [mapped_copy(tmp_path, older), newer]
    for target in (5, TAIL_SIZE + 99, TAIL_SIZE + 100, len(pdq) - 1):
        codes = query(near(rng, pdq[target], 15), near(rng, phash[target], 9))
        found = search_parts(parts, [codes])
        assert found == whole.search([codes]) and found[0].entry_id == target + 1


def spread_flips(code: np.ndarray, per_substring: tuple[int, ...]) -> bytes:
    """`code` (pHash, 8 bytes) with this many bits flipped in each of its 16-bit substrings."""
    bits = np.unpackbits(code).reshape(len(per_substring), -1)
    for substring, flips in zip(bits, per_substring, strict=True):
        substring[:flips] ^= 1
    return np.packbits(bits.ravel()).tobytes()


def test_a_small_tenants_file_finds_a_crop_as_far_as_the_phash_radius(tmp_path: Path) -> None:
    # A crop's pHash may lie 12-14 bits from its picture's crop codes (a listing photo's 80 % crop at
    # 12 and 14); the probes find only codes within 11 bits for sure, the exact tail every one.
    rng = np.random.default_rng(7)
    pdq, phash = random_codes(rng, 200)
    index = TenantIndex()
    index.add_many((i + 1, [pdq[i].tobytes()], [phash[i].tobytes()]) for i in range(len(pdq)))
    mapped = mapped_copy(tmp_path, index)
    far_pdq = random_codes(rng, 1)[0][0].tobytes()
    for spread in ((3, 3, 3, 3), (3, 3, 4, 4)):
        codes = query(far_pdq, spread_flips(phash[42], spread))
        found = mapped.search([codes])
        assert found == index.search([codes])
        assert [(hit.entry_id, hit.phash_distance) for hit in found] == [(43, sum(spread))]
    beyond = query(far_pdq, spread_flips(phash[42], (4, 4, 4, 3)))  # 15 bits: past the radius
    assert mapped.search([beyond]) == index.search([beyond]) == []


# --- a store's file ---------------------------------------------------------------------------------


def test_the_file_is_built_mapped_and_used_and_a_row_added_after_it_is_found(
    filled: tuple[Store, np.ndarray, np.ndarray], tmp_path: Path
) -> None:
    store, pdq, phash = filled
    folder = reuse_folder(store, Settings())
    assert folder is not None and folder.parent == tmp_path
    references = References(store, folder=folder)
    assert references._mapped is not None and references._mapped.built.high_water == 600
    assert sum(len(index) for index in references._mapped.built.tenants.values()) == 600
    # The file was checked whole once, by the process that built it; the next relies on that.
    again = References(store, folder=folder)
    assert again._mapped is not None and not again._mapped.checked_now
    assert again._mapped.identity == references._mapped.identity
    assert references.index.in_memory() == {}  # every row is in the file
    assert found_ids(references, "a", pdq[10], phash[10]) == [11]
    assert found_ids(references, "b", pdq[11], phash[11]) == [12]
    # Tenants never mix: a's photo is not found in b's index, from the file or from memory.
    assert found_ids(references, "b", pdq[10], phash[10]) == []
    new_pdq, new_phash = random_codes(np.random.default_rng(2), 1)
    add_row(store, "a", new_pdq[0], new_phash[0], "new")
    assert found_ids(references, "a", new_pdq[0], new_phash[0]) == [601]
    assert found_ids(references, "b", new_pdq[0], new_phash[0]) == []
    assert list(references.index.in_memory()) == ["a"]
    # Whatever an index says, a row of another tenant is never read as one of this tenant's.
    with store.engine.connect() as connection:
        assert list(stored_rows(connection, "a", [11, 12])) == [11]


def test_a_second_process_maps_the_same_file_and_each_sees_the_others_rows(
    filled: tuple[Store, np.ndarray, np.ndarray],
) -> None:
    store, pdq, phash = filled
    folder = reuse_folder(store, Settings())
    assert folder is not None
    references = References(store, folder=folder)
    assert references._mapped is not None
    built = references._mapped.identity
    code = (
        "import sys, numpy as np\n"
        "from pathlib import Path\n"
        "from evidence_check.references import References\n"
        "from evidence_check.store import Store\n"
        "from tests.reuse_codes import add_row, found_ids\n"
        "store = Store(sys.argv[1]); references = References(store, folder=Path(sys.argv[2]))\n"
        "pdq, phash = (np.frombuffer(bytes.fromhex(a), np.uint8) for a in sys.argv[3:5])\n"
        "assert found_ids(references, 'a', pdq, phash) == [601], 'the first process row'\n"
        "add_row(store, 'a', pdq[::-1].copy(), phash[::-1].copy(), 'second')\n"
        "print(references._mapped.identity)\n"
    )
    new_pdq, new_phash = random_codes(np.random.default_rng(7), 1)
    add_row(store, "a", new_pdq[0], new_phash[0], "first")
    assert found_ids(references, "a", new_pdq[0], new_phash[0]) == [601]
    args = [store.url, str(folder), new_pdq[0].tobytes().hex(), new_phash[0].tobytes().hex()]
    done = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(built)  # it mapped the file this process built, not one of its own
    assert found_ids(references, "a", new_pdq[0][::-1].copy(), new_phash[0][::-1].copy()) == [602]


@pytest.mark.parametrize("damage", ["flipped byte", "truncated", "foreign", "empty"])
def test_a_damaged_or_foreign_file_is_built_again_never_used(
    filled: tuple[Store, np.ndarray, np.ndarray], damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    store, pdq, phash = filled
    folder = reuse_folder(store, Settings())
    assert folder is not None
    first = References(store, folder=folder)
    assert first._mapped is not None
    path = first._mapped.built and HostFile(folder, store.url).path
    data = bytearray(path.read_bytes())
    if damage == "flipped byte":
        data[len(data) // 3] ^= 0x40  # inside the codes and levels
    elif damage == "truncated":
        data = data[: len(data) - 100]
    elif damage == "foreign":
        HostFile(folder, "sqlite:///another.sqlite3").open(lambda: [Built({}, 0, {})], lambda b: True)
        data = bytearray(HostFile(folder, "sqlite:///another.sqlite3").path.read_bytes())
    else:
        data = bytearray()
    path.write_bytes(bytes(data))
    with pytest.raises(ReuseFileError):  # whatever this host checked before: the file was written to since
        ReuseFile(path, HostFile(folder, store.url).store_key, first._mapped.checked)
    again = References(store, folder=folder)
    assert again._mapped is not None and again._mapped.built.high_water == 600
    assert "built again" in caplog.text
    assert found_ids(again, "a", pdq[300], phash[300]) == [301]
    ReuseFile(path, HostFile(folder, store.url).store_key)  # the file rebuilt opens


@pytest.mark.parametrize("refilled", [5, 25])
def test_a_file_of_rows_the_store_does_not_have_is_built_again(tmp_path: Path, refilled: int) -> None:
    folder = tmp_path / "files"
    pdq, phash = random_codes(np.random.default_rng(4), 20)
    store = Store(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    for i in range(20):
        add_row(store, "a", pdq[i], phash[i], f"r{i}")
    assert found_ids(References(store, folder=folder), "a", pdq[15], phash[15]) == [16]
    store.close()
    (tmp_path / "store.sqlite3").unlink()
    # The same URL, emptied and filled again with fewer rows or more: ids 1.. name other photos.
    store = Store(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    other_pdq, other_phash = random_codes(np.random.default_rng(5), refilled)
    for i in range(refilled):
        add_row(store, "a", other_pdq[i], other_phash[i], f"other{i}")
    references = References(store, folder=folder)
    assert references._mapped is not None and references._mapped.built.high_water == refilled
    assert found_ids(references, "a", pdq[2], phash[2]) == []
    assert found_ids(references, "a", other_pdq[2], other_phash[2]) == [3]


def test_past_its_bound_the_memory_part_becomes_the_next_generation_which_others_map(
    filled: tuple[Store, np.ndarray, np.ndarray],
) -> None:
    store, pdq, phash = filled
    folder = reuse_folder(store, Settings())
    assert folder is not None
    writer, reader = References(store, folder=folder, memory_rows=5), References(store, folder=folder, memory_rows=1000)
    assert writer._mapped is not None and reader._mapped is not None
    first = writer._mapped.identity
    new_pdq, new_phash = random_codes(np.random.default_rng(9), 8)
    for i in range(8):
        add_row(store, "ab"[i % 2], new_pdq[i], new_phash[i], f"new{i}")
    writer.sync()  # 8 rows in memory: past 5, a thread writes the next generation
    deadline = time.monotonic() + 60
    while writer._writing and time.monotonic() < deadline:
        time.sleep(0.05)
    assert HostFile(folder, store.url).changed(first)
    for references in (reader, writer):
        assert found_ids(references, "b", new_pdq[7], new_phash[7]) == [608]
        assert references._mapped is not None and references._mapped.identity != first
        assert references._mapped.built.high_water == 608 and references.index.in_memory() == {}
        assert found_ids(references, "a", new_pdq[7], new_phash[7]) == []
        assert found_ids(references, "a", pdq[0], phash[0]) == [1]


def test_a_folder_it_cannot_write_leaves_every_row_in_memory(
    filled: tuple[Store, np.ndarray, np.ndarray], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store, pdq, phash = filled
    blocked = tmp_path / "a file, not a folder"
    blocked.write_text("")
    references = References(store, folder=blocked / "reuse")
    assert references._mapped is None and "indexing every photo in memory" in caplog.text
    assert found_ids(references, "a", pdq[20], phash[20]) == [21]
    assert sum(len(codes[0]) for codes in references.index.in_memory().values()) == 600


def test_the_process_references_use_the_configured_folder(filled: tuple[Store, np.ndarray, np.ndarray], tmp_path: Path) -> None:
    store, pdq, phash = filled
    settings = Settings(reuse_index_dir=tmp_path / "reuse files", reuse_memory_rows=100)
    references = references_for(store, settings)
    assert references._mapped is not None and references._bound == 100
    assert sorted(p.suffix for p in (tmp_path / "reuse files").iterdir()) == [".checked", ".index", ".lock"]
    assert found_ids(references, "b", pdq[41], phash[41]) == [42]
    assert reuse_folder(Store("sqlite://"), settings) is None  # an in-memory store: nothing to share


@pytest.mark.parametrize("product", ["Garant-Ecological-Medium-Fat-Milk", "Garant-Ecological-Standard-Milk"])
def test_the_evals_crop_of_a_garant_shop_image_is_found_through_the_file(tmp_path: Path, product: str) -> None:
    # The eval's listing-photo crops missed since the picture inside a screen (Medium-Fat: its
    # backdrop's codes turned it to its mirror) and the host file (Standard-Milk: pHash 14 bits
    # away, PDQ 62, neither within what the probes always find).
    grocery = corpus("product-matching") / "grocery"
    store = Store(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    try:
        writer = References(store)
        for path in sorted(grocery.glob("Garant-*/*_Iconic.jpg")):
            assert writer.add("t", "listing", path.parent.name, load_photo(path.read_bytes(), path.name))
        reader = References(store, folder=tmp_path / "host")  # the file holds every row
        shop_image = Image.open(grocery / product / f"{product}_Iconic.jpg")
        crop = load_photo(EVAL_TRANSFORMS["crop"](shop_image, random.Random(0)), "crop.jpg")
        assert [m.entry.ref_id for m in reader.matches("t", Measurements(crop))] == [product]
    finally:
        store.close()
