"""The reuse file's next generation: the mapped file and the rows since, merged as they are written."""

from __future__ import annotations

import io
import os
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from evidence_check import reuse_merge
from evidence_check.index import TAIL_SIZE, TenantIndex
from evidence_check.references import References, reuse_folder
from evidence_check.reuse_file import Built, HostFile, ReuseFile, generation, write
from evidence_check.reuse_rows import build
from evidence_check.settings import Settings
from evidence_check.store import Store
from evidence_check.store.reuse_tables import StoredPrint, fingerprint_row
from tests.reuse_codes import ROWS_STORED_AT, found_ids, near, query, random_codes


def indexed(pdq: np.ndarray, phash: np.ndarray, *batches: range) -> TenantIndex:
    index = TenantIndex()
    for rows in batches:
        index.add_many((i + 1, [pdq[i].tobytes()], [phash[i].tobytes()]) for i in rows)
    return index


def written(built: Built, added: dict[str, TenantIndex] | None = None) -> bytes:
    out = io.BytesIO()
    write(out, built, "store", [added] if added else [])
    return out.getvalue()


@pytest.mark.parametrize(
    ("chunk_bytes", "old"),
    [
        (4096, 10 * TAIL_SIZE),  # a table merged in ~300 pieces; the older part has two levels
        (reuse_merge.CHUNK_BYTES, 10 * TAIL_SIZE),
        (16, 3000),  # two entries a piece: directory pieces of one slot (~4 codes, or 1,234)
    ],
)
def test_a_file_merged_from_parts_holds_the_bytes_of_one_index_of_all_their_rows(
    monkeypatch: pytest.MonkeyPatch, chunk_bytes: int, old: int, tmp_path: Path
) -> None:
    monkeypatch.setattr(reuse_merge, "CHUNK_BYTES", chunk_bytes)
    rng = np.random.default_rng(11)
    total = old + 700
    pdq, phash = random_codes(rng, total)
    phash[::3, :2] = 0  # a crowded slot: a third of the codes share one pHash table's substring
    # Past TAIL_SIZE codes, a large level and a small one (an eighth of it would be merged into it)
    older = indexed(pdq, phash, range(0, old * 9 // 10), range(old * 9 // 10, old))
    newer = indexed(pdq, phash, range(old, total))  # still in its exact tail
    assert len(older.arrays()[1][1]) == len(older.arrays()[2][1]) == (2 if old > TAIL_SIZE else 1)
    assert newer._pdq.tail.ntotal == 700
    merged = written(Built({"t": older}, total, {}), {"t": newer})
    assert merged == written(Built({"t": indexed(pdq, phash, range(total))}, total, {}))
    # The merged file is a working index: each of the newest photos and of the older ones is found first.
    path = tmp_path / "merged.index"
    path.write_bytes(merged)
    mapped = ReuseFile(path, "store").built.tenants["t"]
    for target in [*rng.choice(old, 20, replace=False), *range(old, total, 50)]:
        hits = mapped.search([query(near(rng, pdq[target], 8), near(rng, phash[target], 4))])
        assert hits and hits[0].entry_id == target + 1


def test_the_writer_holds_a_few_pieces_at_a_time_never_a_whole_table(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reuse_merge, "CHUNK_BYTES", 16 * 1024)
    rng = np.random.default_rng(12)
    old, total = 10 * TAIL_SIZE, 10 * TAIL_SIZE + 700
    pdq, phash = random_codes(rng, total)
    phash[:, :2] = 0  # one pHash table's substrings all alike (flat pictures): its entries in one slot
    older, newer = indexed(pdq, phash, range(old)), indexed(pdq, phash, range(old, total))
    older.arrays(), newer.arrays()  # sealed, as a mapped file's and the rows' in memory are
    table = old * 8  # one hash table's entries: 1.3 MB
    with open(os.devnull, "wb") as nowhere:
        tracemalloc.start()
        try:
            write(nowhere, Built({"t": older}, total, {}), "store", [{"t": newer}])
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert peak < table / 4


def add_rows(store: Store, tenant: str, codes: int, rng: np.random.Generator, ref_id: str) -> tuple[bytes, bytes]:
    """A row of `codes` codes (a photo and its crops); returns its first PDQ and pHash code."""
    pdq, phash = random_codes(rng, codes)
    with store.sessions.begin() as session:
        stored = StoredPrint(pdq.tobytes(), phash.tobytes(), 100, None)
        session.add(fingerprint_row(tenant, "claim", ref_id, ref_id, f"{ref_id}.jpg", ROWS_STORED_AT, stored))
    return pdq[0].tobytes(), phash[0].tobytes()


def wait_for_the_writer(references: References) -> None:
    deadline = time.monotonic() + 60
    while references._writing and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not references._writing


def test_the_next_generation_holds_the_bytes_of_a_file_built_from_the_store_and_tenants_never_mix(
    filled: tuple[Store, np.ndarray, np.ndarray], tmp_path: Path
) -> None:
    store, pdq, phash = filled  # 600 rows: a's odd ids, b's even
    folder = reuse_folder(store, Settings())
    assert folder is not None
    writer = References(store, folder=folder, memory_rows=5)
    assert writer._mapped is not None
    first = writer._mapped.identity
    rng = np.random.default_rng(21)
    newest = {f"{tenant}{i}": (tenant, add_rows(store, tenant, 1 + i % 3, rng, f"new{tenant}{i}")) for i, tenant in enumerate("abcab")}
    writer.sync()  # 5 rows in memory, one of a tenant the file does not have yet: not past the bound
    assert writer.index.in_memory().keys() == {"a", "b", "c"} and not HostFile(folder, store.url).changed(first)
    newest["a5"] = ("a", add_rows(store, "a", 2, rng, "newa5"))
    writer.sync()  # 6: past it
    wait_for_the_writer(writer)
    host = HostFile(folder, store.url)
    assert host.changed(first)
    rebuilt = HostFile(tmp_path / "from the store", store.url)
    rebuilt.open(lambda: build(store), lambda built: True)
    assert host.path.read_bytes() == rebuilt.path.read_bytes()

    reader = References(store, folder=folder)
    assert reader._mapped is not None and reader._mapped.built.high_water == 606 and reader.index.in_memory() == {}
    tenants = reader._mapped.built.tenants
    assert list(tenants) == ["a", "b", "c"]
    assert set(tenants["a"].codes()[0]) == {*range(1, 600, 2), 601, 604, 606}
    assert set(tenants["b"].codes()[0]) == {*range(2, 601, 2), 602, 605}
    assert set(tenants["c"].codes()[0]) == {603}
    for tenant, (pdq_code, phash_code) in newest.values():
        found = [hit.entry_id for hit in reader.index.search(tenant, [query(pdq_code, phash_code)])]
        assert len(found) == 1 and found[0] > 600
        for other in {"a", "b", "c"} - {tenant}:
            assert reader.index.search(other, [query(pdq_code, phash_code)]) == []
    assert found_ids(reader, "b", pdq[299], phash[299]) == [300]
    assert found_ids(reader, "c", pdq[299], phash[299]) == []


def failing_after_one_piece(merged: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
    yield next(merged)
    raise RuntimeError("the disk is on fire")


def test_a_writer_that_fails_midway_leaves_the_last_file_in_use_and_nothing_half_written(
    filled: tuple[Store, np.ndarray, np.ndarray], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    store, pdq, phash = filled
    folder = reuse_folder(store, Settings())
    assert folder is not None
    writer = References(store, folder=folder, memory_rows=5)
    assert writer._mapped is not None
    host, first = HostFile(folder, store.url), writer._mapped.identity
    before = host.path.read_bytes()
    merge = reuse_merge._merged
    monkeypatch.setattr(reuse_merge, "_merged", lambda *args: failing_after_one_piece(merge(*args)))

    # Called directly, the failure is the caller's to see; the file is the last one, whole.
    built = writer._mapped.built
    with pytest.raises(RuntimeError, match="on fire"):
        host.next_generation(first, lambda: generation(built, {}, built.high_water, {}, built.anchor))
    assert host.path.read_bytes() == before and not host.changed(first)
    assert [p.name for p in folder.iterdir() if "partial" in p.name] == []

    # In a worker, the thread that writes it logs the failure; every row is still found.
    rng = np.random.default_rng(5)
    added = [add_rows(store, "ab"[i % 2], 1, rng, f"late{i}") for i in range(7)]
    writer.sync()
    wait_for_the_writer(writer)
    assert "could not write the reuse file's next generation (RuntimeError: the disk is on fire)" in caplog.text
    assert host.path.read_bytes() == before and not host.changed(first)
    assert [p.name for p in folder.iterdir() if "partial" in p.name] == []
    for i, (pdq_code, phash_code) in enumerate(added):
        assert [hit.entry_id for hit in writer.index.search("ab"[i % 2], [query(pdq_code, phash_code)])] == [601 + i]
    assert found_ids(writer, "a", pdq[0], phash[0]) == [1]

    # Once the writer works again, rows past the next try's mark write the generation.
    monkeypatch.setattr(reuse_merge, "_merged", merge)
    assert writer._next_try == 8
    for i in range(2):
        add_rows(store, "a", 1, rng, f"after{i}")
    writer.sync()
    wait_for_the_writer(writer)
    assert host.changed(first)
    reader = References(store, folder=folder)
    assert reader._mapped is not None and reader._mapped.built.high_water == 609 and reader.index.in_memory() == {}


def test_a_look_whose_sync_maps_a_new_generation_needs_no_second_connection(
    filled: tuple[Store, np.ndarray, np.ndarray],
) -> None:
    """The look's sync reads over the look's connection; when it first maps the next generation
    another process wrote, the check that the file is of this store's rows and the read of the rows
    newer than it take that connection too. Checking out their own beside it, a pool of one
    connection (a busy server's, every other held) waited out its timeout and the look failed."""
    store, _, _ = filled
    folder = reuse_folder(store, Settings())
    assert folder is not None
    reader = References(store, folder=folder)
    writer = References(store, folder=folder, memory_rows=5)
    assert reader._mapped is not None
    first = reader._mapped.identity
    rng = np.random.default_rng(22)
    for n in range(6):
        pdq_code, phash_code = add_rows(store, "a", 1, rng, f"new{n}")
    writer.sync()  # 6 rows, past its bound: it writes the next generation
    wait_for_the_writer(writer)
    assert HostFile(folder, store.url).changed(first)
    pool = store.engine.pool
    pool._pool.maxsize, pool._max_overflow, pool._timeout = 1, 0, 2  # type: ignore[attr-defined]
    store.engine.pool = pool.recreate()  # one connection, waited for 2 s
    with store.engine.connect() as connection:
        reader.sync(connection)
    assert reader._mapped.identity != first
    assert [hit.entry_id for hit in reader.index.search("a", [query(pdq_code, phash_code)])] == [606]
