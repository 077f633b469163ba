"""A tenant's index in the host's reuse file, produced piece by piece from the parts it is made of.

The file's next generation holds, per tenant, the mapped file's index and the rows indexed in
memory since, as one index; the host's first file, the sorted runs its builder wrote of the
store's rows a batch at a time (`reuse_file.HostFile._build`). Building that index in memory first
would put all of its arrays (the file's size: 2 GB at 10 M photos) in the writer's memory; instead
each array is produced here in pieces of about `CHUNK_BYTES`, in the order the file lays them out,
and written as it comes: the parts' row ids and codes one after the other, and each hash table's
sorted entries merged from the parts' levels (each part's code numbers moved past the previous
parts'). A piece of a merge holds about `CHUNK_BYTES` of entries whatever the number of parts,
never a whole table.

Every channel comes out as ONE sorted level, whatever levels the parts had: a file written from
parts holds the same bytes as one written from an index of all their rows added in the same order
(`reuse_rows.build` from the store), and a lookup probes one level, not two.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from evidence_check.index import (
    PDQ,
    PHASH,
    Channel,
    ChannelArrays,
    LevelArrays,
    TenantIndex,
    directory_bits,
    directory_dtype,
)

CHUNK_BYTES = 8 * 1024 * 1024  # what one piece of an array holds, about (the merge: one per part)


@dataclass(frozen=True)
class Stream:
    """One array of the file: its type, its shape, and its bytes in C order as pieces (consumed once)."""

    dtype: np.dtype[Any]
    shape: tuple[int, ...]
    pieces: Iterator[np.ndarray]


@dataclass(frozen=True)
class _Run:
    """One sorted level of a part, for one merge: its arrays and how far its part's codes move."""

    level: LevelArrays
    offset: int  # added to each entry's code number: the codes of the parts before


def tenant_streams(parts: Sequence[TenantIndex]) -> dict[str, Any]:
    """The arrays of one index of `parts`' codes one after another (each part sealed first), as the
    reuse file's footer describes a tenant: row ids, then per channel its codes and its one level."""
    arrays = [part.arrays() for part in parts]
    return {
        "owners": _concatenated([owners for owners, _, _ in arrays], np.dtype(np.int64)),
        "pdq": _channel(PDQ, [pdq for _, pdq, _ in arrays]),
        "phash": _channel(PHASH, [phash for _, _, phash in arrays]),
    }


def _concatenated(arrays: Sequence[np.ndarray], dtype: np.dtype[Any]) -> Stream:
    shape = (sum(len(array) for array in arrays), *arrays[0].shape[1:])
    rows = max(1, CHUNK_BYTES // max(1, int(np.prod(shape[1:], dtype=np.int64)) * dtype.itemsize))

    def pieces() -> Iterator[np.ndarray]:
        for array in arrays:
            for start in range(0, len(array), rows):
                yield array[start : start + rows]

    return Stream(dtype, shape, pieces())


def _channel(channel: Channel, parts: Sequence[ChannelArrays]) -> dict[str, Any]:
    codes = _concatenated([part_codes for part_codes, _ in parts], np.dtype(np.uint8))
    total = codes.shape[0]
    if total >= 2**32:
        raise ValueError(f"{total} codes in one tenant's index: an entry's code number has 32 bits")
    offsets = np.cumsum([0, *(len(part_codes) for part_codes, _ in parts)])
    runs = [_Run(level, int(offset)) for (_, levels), offset in zip(parts, offsets, strict=False) for level in levels]
    if channel.copies and any(run.level.copies is None for run in runs):
        raise ValueError(f"{channel.name}: a level without the copies its channel keeps")
    if not total:
        return {"codes": codes, "levels": []}
    tables, bits = channel.nhash, directory_bits(total, channel.hash_bits)
    level = {
        "entries": Stream(np.dtype(np.uint64), (tables, total), _tables(runs, tables, copies=False)),
        "directory": Stream(
            np.dtype(directory_dtype(tables, total)),
            (tables, (1 << bits) + 1),
            _directory(runs, tables, total, 32 + channel.hash_bits - bits, (1 << bits) + 1),
        ),
        "copies": None
        if not channel.copies
        else Stream(np.dtype(np.uint8), (tables, total, channel.bits // 8), _tables(runs, tables, copies=True)),
    }
    return {"codes": codes, "levels": [level]}


def _tables(runs: Sequence[_Run], tables: int, copies: bool) -> Iterator[np.ndarray]:
    """Each table's entries (or the codes beside them) merged from the runs, table after table."""
    for table in range(tables):
        yield from _merged(runs, table, copies)


def _merged(runs: Sequence[_Run], table: int, copies: bool) -> Iterator[np.ndarray]:
    """One table's entries merged in order from the runs' (each moved by its offset), in pieces: each
    piece ends at the smallest of the runs' values a share of a piece's length ahead (the piece's
    length over the runs), so it holds about a piece's length of entries however many runs there
    are. With `copies`, the codes beside the entries, in the same order."""
    step = max(1, CHUNK_BYTES // 8 // len(runs))
    at = [0] * len(runs)
    while True:
        live = [i for i, run in enumerate(runs) if at[i] < run.level.entries.shape[1]]
        if not live:
            return
        bound = min(
            int(runs[i].level.entries[table, min(at[i] + step, runs[i].level.entries.shape[1]) - 1]) + runs[i].offset
            for i in live
        )
        pieces, pieces_copies = [], []
        for i in live:
            entries, offset = runs[i].level.entries[table], runs[i].offset
            if bound < offset:
                continue
            end = at[i] + int(np.searchsorted(entries[at[i] :], np.uint64(bound - offset), side="right"))
            pieces.append(entries[at[i] : end] + np.uint64(offset))
            if copies:
                pieces_copies.append(runs[i].level.copies[table, at[i] : end])  # type: ignore[index]
            at[i] = end
        # Stable sorting is timsort: it merges the runs' sorted pieces (no entry is in two runs).
        if copies:
            yield np.concatenate(pieces_copies)[np.argsort(np.concatenate(pieces), kind="stable")]
        else:
            yield np.sort(np.concatenate(pieces), kind="stable")


def _directory(runs: Sequence[_Run], tables: int, total: int, shift: int, slots: int) -> Iterator[np.ndarray]:
    """The merged level's directory (`index._Level`): per table and slot s, where the entries whose
    substring prefix (entry >> `shift`) is below s start, in the entries of all tables end to end.
    Counted from each run's entries (an offset moves code numbers, never a prefix), in pieces of
    slots that each end before the prefix of a run's entry a piece's length on: a piece reads at
    most that many entries of each run however crowded the slots (a 16-bit pHash table at 10 M
    codes has ~150 a slot)."""
    dtype = directory_dtype(tables, total)
    step = max(1, CHUNK_BYTES // 8)
    for table in range(tables):
        first = 0
        while first < slots:
            last, starts = min(slots, first + step), []
            for run in runs:
                entries = run.level.entries[table]
                starts.append(int(np.searchsorted(entries, np.uint64(first << shift))))
                if starts[-1] + step < len(entries):
                    last = min(last, int(entries[starts[-1] + step] >> np.uint64(shift)) + 1)
            last = max(last, first + 1)
            row = np.full(last - first, table * total, np.int64)
            for run, lo in zip(runs, starts, strict=True):
                entries = run.level.entries[table]
                hi = int(np.searchsorted(entries, np.uint64((last - 1) << shift)))  # prefixes below last - 1
                prefixes = (entries[lo:hi] >> np.uint64(shift)).astype(np.int64) - first
                row[0] += lo
                row[1:] += lo + np.cumsum(np.bincount(prefixes, minlength=last - 1 - first))
            yield row.astype(dtype)
            first = last
