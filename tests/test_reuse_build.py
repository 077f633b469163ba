"""The host's first build of the reuse file: the store's rows in sorted runs, merged into the file."""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import TypeVar

import numpy as np
import pytest

from evidence_check import reuse_file, reuse_merge, reuse_rows
from evidence_check.references import References
from evidence_check.reuse_file import Built, HostFile
from evidence_check.store import Store
from evidence_check.store.reuse_tables import StoredPrint, fingerprint_row
from tests.reuse_codes import ROWS_STORED_AT, near, query, random_codes

Item = TypeVar("Item")
TENANTS = "abcab"  # rows of three tenants, interleaved; c's rows are few


def crowded_store(path: Path, rows: int, seed: int = 3) -> tuple[Store, list[tuple[str, int, bytes, bytes]]]:
    """`rows` rows of 1-3 codes each (a photo and its crops); a third of the pHash codes share one
    table's substring (a crowded directory slot). Returns each row's tenant, id and first codes."""
    store = Store(f"sqlite:///{path}")
    rng = np.random.default_rng(seed)
    made = []
    with store.sessions.begin() as session:
        for i in range(rows):
            pdq, phash = random_codes(rng, 1 + i % 3)
            phash[::3, :2] = 0
            stored = StoredPrint(pdq.tobytes(), phash.tobytes(), 100, None)
            session.add(fingerprint_row(TENANTS[i % 5], "claim", f"r{i}", f"r{i}", f"r{i}.jpg", ROWS_STORED_AT, stored))
            made.append((TENANTS[i % 5], i + 1, pdq[0].tobytes(), phash[0].tobytes()))
    return store, made


def built_file(store: Store, folder: Path) -> bytes:
    host = HostFile(folder, store.url)
    host.open(lambda: reuse_rows.build(store), lambda built: True)
    assert [p.name for p in folder.iterdir() if "partial" in p.name] == []  # the runs are removed
    return host.path.read_bytes()


@pytest.mark.parametrize(("run_codes", "chunk_bytes"), [(97, 64), (500, reuse_merge.CHUNK_BYTES), (29, 8)])
def test_a_file_merged_from_runs_holds_the_bytes_of_one_built_from_every_row_at_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, run_codes: int, chunk_bytes: int
) -> None:
    store, made = crowded_store(tmp_path / "store.sqlite3", 700)
    monkeypatch.setattr(reuse_rows, "BUILD_BATCH", 40)  # the store read in batches that cut runs' rows
    monkeypatch.setattr(reuse_rows, "RUN_CODES", 10**9)
    whole = built_file(store, tmp_path / "at once")
    monkeypatch.setattr(reuse_rows, "RUN_CODES", run_codes)
    monkeypatch.setattr(reuse_merge, "CHUNK_BYTES", chunk_bytes)
    runs = list(reuse_rows.build(store))
    assert len(runs) >= 1400 // (run_codes + 2)  # 1,400 codes, whole rows a run
    assert [run.high_water for run in runs] == sorted({run.high_water for run in runs}) and runs[-1].high_water == 700
    assert built_file(store, tmp_path / "from runs") == whole

    # The file works: each tenant finds its own photos first, and no other tenant's.
    references = References(store, folder=tmp_path / "from runs")
    assert references._mapped is not None and references.index.in_memory() == {}
    rng = np.random.default_rng(4)
    for tenant, row_id, pdq, phash in made[::23]:
        probe = query(near(rng, np.frombuffer(pdq, np.uint8), 8), near(rng, np.frombuffer(phash, np.uint8), 4))
        assert references.index.search(tenant, [probe])[0].entry_id == row_id
        for other in set(TENANTS) - {tenant}:
            assert row_id not in [hit.entry_id for hit in references.index.search(other, [probe])]


def test_an_empty_store_builds_an_empty_file(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    references = References(store, folder=tmp_path / "files")
    assert references._mapped is not None and references._mapped.built == Built({}, 0, {}, "")


def traced_peak(store: Store, folder: Path) -> int:
    """The largest memory Python's allocators held at once while the host's file was built."""
    tracemalloc.start()
    try:
        HostFile(folder, store.url).open(lambda: reuse_rows.build(store), lambda built: True)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_the_builder_holds_one_run_never_every_row(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    store, _ = crowded_store(tmp_path / "store.sqlite3", 12_000)  # 24,000 codes: ~4.6 MB of index arrays
    monkeypatch.setattr(reuse_rows, "BUILD_BATCH", 200)
    monkeypatch.setattr(reuse_merge, "CHUNK_BYTES", 16 * 1024)
    monkeypatch.setattr(reuse_file, "_CHUNK", 16 * 1024)  # the checksums read a piece at a time
    monkeypatch.setattr(reuse_rows, "RUN_CODES", 10**9)
    built_file(store, tmp_path / "warm")  # what is loaded and cached once per process
    at_once = traced_peak(store, tmp_path / "at once")
    monkeypatch.setattr(reuse_rows, "RUN_CODES", 1000)
    in_runs = traced_peak(store, tmp_path / "in runs")
    assert (tmp_path / "in runs").exists() and at_once > 24_000 * 190  # every row's index arrays
    assert in_runs < at_once / 3  # one run of 1,000 codes at a time, and the pieces of the merge


def failing_after(items: Iterator[Item], count: int) -> Iterator[Item]:
    for _ in range(count):
        yield next(items)
    raise RuntimeError("the disk is on fire")


def test_a_build_that_fails_midway_leaves_no_file_and_no_runs_and_the_next_start_builds_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    store, made = crowded_store(tmp_path / "store.sqlite3", 300)
    monkeypatch.setattr(reuse_rows, "RUN_CODES", 50)
    folder = tmp_path / "files"
    host = HostFile(folder, store.url)
    # What a builder killed midway leaves: a run and a partial file.
    left = [folder / f"{host.path.name}.99999.run3.partial", folder / f"{host.path.name}.99999.partial"]
    for path in left:
        path.write_bytes(b"half")

    with pytest.raises(RuntimeError, match="on fire"):  # while writing the runs
        host.open(lambda: failing_after(reuse_rows.build(store), 3), lambda built: True)
    assert sorted(p.name for p in folder.iterdir()) == sorted([host._lock_path.name])

    merge = reuse_merge._merged
    monkeypatch.setattr(reuse_merge, "_merged", lambda *args: failing_after(merge(*args), 1))
    with pytest.raises(RuntimeError, match="on fire"):  # while merging them into the file
        host.open(lambda: reuse_rows.build(store), lambda built: True)
    assert sorted(p.name for p in folder.iterdir()) == sorted([host._lock_path.name])

    monkeypatch.setattr(reuse_merge, "_merged", merge)
    references = References(store, folder=folder)  # the next start
    assert references._mapped is not None and references._mapped.built.high_water == 300
    assert references.index.in_memory() == {}
    tenant, row_id, pdq, phash = made[123]
    assert references.index.search(tenant, [query(pdq, phash)])[0].entry_id == row_id
    monkeypatch.setattr(reuse_rows, "RUN_CODES", 10**9)
    assert built_file(store, tmp_path / "at once") == host.path.read_bytes()
