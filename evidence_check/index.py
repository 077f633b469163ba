"""The fingerprint index: which earlier photos, listing photos and reference photos look like this one.

One `TenantIndex` per tenant (a merchant is never matched against another's photos). It holds, for
every indexed picture, the codes of `fingerprint.Fingerprint.index_pdq` / `index_phash` (the
trimmed picture, its crops, the untrimmed picture), each in ONE orientation, in two multi-index
hashes (`_Codes`), one per hash:

- PDQ (256 bits): 10 substrings of 24 bits, probed with `PDQ.nflip` = 1 flipped bit per substring:
  every code within 10 * (nflip + 1) - 1 = 19 bits of a query is found (pigeonhole), farther ones up
  to the radius often (measured by scripts/bench_reuse.py --only index) — but not a code past the
  earliest and latest RUN_READ of a substring many codes share (a flood) in every table within a bit
  of the query.
- pHash (64 bits): 4 substrings of 16 bits; it is the crop channel and gets the unturned query
  only. Probed with 2 flipped bits per substring (all codes within 11 bits found, most to the radius
  of 14) while the tenant has up to `PHASH.wide_until` codes, with 1 (within 7) beyond, where the
  wider probe would read ~8x the codes per lookup (`scripts/bench_reuse.py --hashed` measures the
  recall through the tables). Up to `PHASH.whole_until` codes they are compared whole instead.

A lookup sends the eight dihedral variants of each query code to PDQ (so mirrored and rotated
copies are found without storing eight codes per picture); only codes found in the hash tables are
compared in full. Nothing scans the codes in Python.

The store is the truth. A tenant's index is one or two `TenantIndex` parts: the part of the host's
reuse file (`reuse_file.py`: sorted levels memory-mapped read-only, shared by the host's processes)
and the part in this process's memory (rows newer than the file); `references.References` keeps
both in step with the store. The parts hold different rows; a search asks both and probes as for
one index of their total size. Local features stay in the store; the check fetches them for the
few candidates.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import faiss
import numpy as np

from evidence_check.imaging.fingerprint import Codes

# New codes wait in an exact flat index this large before they are sorted into the hash tables.
TAIL_SIZE = 16_384
# A level's directory has one slot per 2**DIRECTORY_SPARSENESS codes (up to twice that: the slot
# count is a power of two). Each probe's slot is read whatever its size; the codes beside it are
# compared one by one, in numpy operations whose length is the cost, so the sparsest directory is
# the fastest (docs/measurements/relevance-features.md, "Reuse").
DIRECTORY_SPARSENESS = 1
# A lookup is a handful of codes: OpenMP threads cost more than they save (measured).
faiss.omp_set_num_threads(1)
# A probe reads at most this many entries of one substring in a level, half of them the earliest
# codes and half the latest, plus 8 times the run a substring has on average there (size /
# 2**hash_bits: 1 for PDQ at 16 M codes, 30 for pHash at 2 M), so that runs of distinct random
# pictures are read whole. A longer run is a flood: one picture's codes in thousands of rows (a
# placeholder sent with every claim) made a search find, sort and return every row, 6-22 s a search
# at 200,000 rows; the look reads the closest OWNERS_READ hits of a search only, the earliest among
# equals, and a row nearer the photo than the flood first (docs/measurements/reuse.md). Natural runs
# stay under it: a tenant of 200,000 codes of the corpora's pictures under many edits had none over
# it and the same recall as an exact search (scripts/bench_reuse_crowded.py).
RUN_READ = 1024
# A search returns at most this many hits, closest first (the look reads the first 96 of them).
MAX_HITS = 256


@dataclass(frozen=True)
class Channel:
    """One hash's index settings: code size, multi-index layout and lookup radius (bits)."""

    name: str
    bits: int
    nhash: int
    hash_bits: int
    nflip: int
    radius: int
    # Keep a copy of each code beside its substring in every table: the codes a probe finds are
    # then read in one run instead of one by one (worth it for short codes with crowded buckets).
    copies: bool = False
    # Up to this many codes, probe with `wide_nflip` flipped bits per substring instead of `nflip`.
    wide_until: int = 0
    wide_nflip: int = 0
    # Up to this many codes, the levels are compared whole instead of probed, as an index in memory
    # compares its exact tail: what the probes may miss within the radius is then found.
    whole_until: int = 0


# Radii measured by scripts/bench_reuse.py: copies of a picture stay within them, crops only in pHash
# (of 812 random 5-15 % crops of the corpus originals, 99.1 % came within 12 bits of one of the
# picture's crop codes, 99.5 % within 14), rotations by 180 degrees up to 58 PDQ bits; what they let
# through is confirmed or dropped by keypoints (references.confirmed).
PDQ = Channel("pdq", 256, 10, 24, 1, 63)
# pHash through the tables finds crops with 2 flipped bits per substring as the exact search does,
# and with 1 misses some; the 2-bit probe's cost grows with the index, so it stops at 2 M codes
# (~170,000 photos of one tenant at 12 codes each; docs/measurements/relevance-features.md, "Reuse").
# The crop channel's codes are compared whole while a tenant has no more than a tail holds: the probes
# find only pHash codes within 11 bits for sure, a crop's may lie at 12-14 (two Garant shop images'
# 80 % crops at 12 and 14 were lost once the host file held them in levels), and comparing 16,384
# pHash codes with a photo's few costs ~1.5 ms against ~25 for PDQ's eight turns of each.
PHASH = Channel(
    "phash", 64, 4, 16, 1, 14, copies=True, wide_until=2_000_000, wide_nflip=2, whole_until=TAIL_SIZE
)


@dataclass(frozen=True)
class LevelArrays:
    """What a `_Level` is made of, as written to and mapped from the host's reuse file."""

    entries: np.ndarray  # (nhash, size) uint64, each table sorted
    directory: np.ndarray  # (nhash, 2**directory_bits + 1) offsets into entries.ravel()
    copies: np.ndarray | None  # (nhash, size, code bytes) when the channel keeps copies


@dataclass(frozen=True)
class Hit:
    """An indexed picture near the query, as the index knows it: by the store's row id."""

    entry_id: int
    pdq_distance: int  # best over the query's variants and the entry's codes; 256 when not found
    phash_distance: int  # likewise, 64 when not found
    variant: int  # the query's dihedral variant that matched best (fingerprint.DIHEDRAL)


class _Codes:
    """One channel's codes in compact multi-index hash tables (Norouzi et al. 2012), in numpy.

    Each code is cut into `nhash` substrings of `hash_bits`; per substring position a *level*
    (`_Level`) keeps one sorted 64-bit entry per code: 8 bytes per code and table, against ~90 for
    FAISS's `IndexBinaryMultiHash` hash-map nodes (which held 1.3 kB per code over 14 tables). A
    lookup probes each query substring and its `nflip`-bit neighbours through the level's directory,
    gathers the codes found and measures their full distance (popcount) to every query at once;
    nothing loops over codes in Python.

    New codes go to a small exhaustive FAISS flat index (the tail, exact); a full tail is sorted and
    merged into the small level, and that into the large level when it reaches an eighth of it, so a
    merge stays cheap (one pass over the arrays, no re-sorting) and rare.
    """

    def __init__(self, channel: Channel) -> None:
        if channel.hash_bits % 8 or channel.nhash * channel.hash_bits > channel.bits:
            raise ValueError(f"{channel.name}: substrings must be whole bytes within the code")
        self.channel = channel
        self.nbytes = channel.bits // 8
        self.codes = np.zeros((1024, self.nbytes), dtype=np.uint8)  # grown by doubling
        self.count = 0
        self.tail = faiss.IndexBinaryFlat(channel.bits)
        self.tail_start = 0  # code numbers below this are in the levels, the rest in the tail
        empty = np.zeros((channel.nhash, 0), dtype=np.uint64)
        self.levels = [self._level(empty), self._level(empty)]  # large, small

    @property
    def ntotal(self) -> int:
        return self.count

    def nbytes_used(self) -> int:
        """Memory held by the codes and the tables (not counting spare capacity)."""
        tables = sum(level.nbytes for level in self.levels)
        return self.count * self.nbytes + tables + self.tail.ntotal * self.nbytes

    @classmethod
    def from_arrays(cls, channel: Channel, codes: np.ndarray, levels: Sequence[LevelArrays]) -> _Codes:
        """Codes all sorted into levels, from arrays kept elsewhere (a mapped file)."""
        made = cls(channel)
        made.codes, made.count = codes, len(codes)
        made.tail_start = made.count
        made.levels = [_Level(level.entries, channel.hash_bits, level.copies, level.directory) for level in levels]
        made.levels += [made._level(np.zeros((channel.nhash, 0), np.uint64)) for _ in range(2 - len(levels))]
        return made

    def extended(self, codes: np.ndarray) -> _Codes:
        """A new `_Codes` holding these codes and `codes` after them, all in levels (this one unchanged)."""
        made = _Codes(self.channel)
        made.codes = np.concatenate([self.codes[: self.count], codes.reshape(-1, self.nbytes)])
        made.count, made.tail_start, made.levels = len(made.codes), self.tail_start, list(self.levels)
        made.seal()
        return made

    def level_arrays(self) -> list[LevelArrays]:
        """The arrays of each non-empty level (after `seal`, they hold every code)."""
        return [LevelArrays(level.entries, level.directory, level.copies) for level in self.levels if level.size]

    def seal(self) -> None:
        """Sort the tail's codes into the levels, so that the levels alone hold every code."""
        if self.count > self.tail_start:
            self._sort_tail()

    def add(self, codes: np.ndarray) -> None:
        codes = np.ascontiguousarray(codes, dtype=np.uint8).reshape(-1, self.nbytes)
        if self.count + len(codes) > len(self.codes):
            grown = np.zeros((max(2 * len(self.codes), self.count + len(codes)), self.nbytes), np.uint8)
            grown[: self.count] = self.codes[: self.count]
            self.codes = grown
        self.codes[self.count : self.count + len(codes)] = codes
        self.count += len(codes)
        if self.count - self.tail_start < TAIL_SIZE:
            self.tail.add(codes)
            return
        self._sort_tail()

    def _sort_tail(self) -> None:
        """A full tail (or a bulk load) becomes a sorted level."""
        ids = np.arange(self.tail_start, self.count, dtype=np.uint64)
        keys = self._keys(self.codes[self.tail_start : self.count]).astype(np.uint64)
        entries = np.sort((keys << np.uint64(32)) | ids[None, :], axis=1)
        large, small = (level.entries for level in self.levels)
        small = _merge(small, entries)
        if small.shape[1] * 8 >= large.shape[1]:
            large, small = _merge(large, small), small[:, :0]
        self.levels = [self._level(large), self._level(small)]
        self.tail.reset()
        self.tail_start = self.count

    def _level(self, entries: np.ndarray) -> _Level:
        copies = self.codes[(entries & _LOW).astype(np.int64)] if self.channel.copies else None
        return _Level(entries, self.channel.hash_bits, copies)

    def range_search(self, queries: np.ndarray, indexed: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(query row, distance, code number) of the codes found within the channel's radius.

        A code found through several tables comes several times; the caller keeps the closest.
        `indexed`: the codes of the whole index this is a part of (it sets the probe's width).
        """
        radius = self.channel.radius
        total = self.count if indexed is None else indexed
        # (nhash, probes), each query's probes side by side
        probes = self._probes(queries, total)
        per_query = probes.shape[1] // len(queries)
        rows_out, distances_out, ids_out = [], [], []
        for level in self.levels:
            if not level.size:
                continue
            if total <= self.channel.whole_until:
                rows, distances, ids = self._compared_whole(queries, level)
                near = distances <= radius
                rows_out.append(rows[near])
                distances_out.append(distances[near])
                ids_out.append(ids[near])
                continue
            probe, candidates, codes = level.find(probes)
            if not len(candidates):
                continue
            # Each code is measured against the query whose probe found it, not against all eight
            # variants: an eighth of the popcounts. Another variant near it probes it itself.
            rows = probe // per_query
            distances = _pair_hamming(queries[rows], self.codes[candidates] if codes is None else codes)
            near = distances <= radius
            rows_out.append(rows[near])
            distances_out.append(distances[near])
            ids_out.append(candidates[near])
        if self.tail.ntotal:
            # FAISS returns codes strictly closer than the radius it is given.
            limits, distances, positions = self.tail.range_search(queries, radius + 1)
            rows_out.append(np.repeat(np.arange(len(queries)), np.diff(limits).astype(np.int64)))
            distances_out.append(distances.astype(np.int64))
            ids_out.append(positions + self.tail_start)
        if not rows_out:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64)
        return (
            np.concatenate(rows_out).astype(np.int64),
            np.concatenate(distances_out).astype(np.int64),
            np.concatenate(ids_out).astype(np.int64),
        )

    def _compared_whole(self, queries: np.ndarray, level: _Level) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(query row, distance, code number) of every code of `level` against every query."""
        ids = (level.entries[0] & _LOW).astype(np.int64)
        codes = self.codes[ids]
        rows = np.repeat(np.arange(len(queries)), len(ids))
        distances = np.concatenate([_pair_hamming(np.broadcast_to(query, codes.shape), codes) for query in queries])
        return rows, distances, np.tile(ids, len(queries))

    def _keys(self, codes: np.ndarray) -> np.ndarray:
        """(nhash, n) uint32: the substrings of each code, little-endian within the bytes."""
        width = self.channel.hash_bits // 8
        used = codes[:, : self.channel.nhash * width].reshape(len(codes), self.channel.nhash, width)
        keys = np.zeros((self.channel.nhash, len(codes)), dtype=np.uint32)
        for byte in range(width):
            keys |= used[:, :, byte].T.astype(np.uint32) << np.uint32(8 * byte)
        return keys

    def _probes(self, queries: np.ndarray, indexed: int) -> np.ndarray:
        """(nhash, n * probes per substring): each substring and it with up to `nflip` bits flipped."""
        keys = self._keys(queries)  # (nhash, n)
        channel = self.channel
        nflip = channel.wide_nflip if indexed <= channel.wide_until else channel.nflip
        flips = _flip_masks(channel.hash_bits, nflip)
        return (keys[:, :, None] ^ flips[None, None, :]).reshape(len(keys), -1)


@functools.cache
def _flip_masks(bits: int, nflip: int) -> np.ndarray:
    """Every mask of `bits` bits with at most `nflip` bits set, fewest first."""
    masks = [0]
    for count in range(1, nflip + 1):
        masks += [sum(1 << b for b in chosen) for chosen in itertools.combinations(range(bits), count)]
    return np.array(masks, dtype=np.uint32)


_LOW = np.uint64(0xFFFFFFFF)


class _Level:
    """Per table, the codes' substrings and code numbers as sorted 64-bit entries (substring << 32 |
    code number: one read finds both), and a directory of where each substring prefix starts.

    The directory has one slot per two to four codes (the top `log2(codes) - DIRECTORY_SPARSENESS`
    bits of a substring), so a probe reads its slot's few neighbouring entries instead of
    binary-searching the table: two or three memory reads, not twenty, which at millions of codes is
    most of a lookup.
    """

    def __init__(
        self, entries: np.ndarray, hash_bits: int, copies: np.ndarray | None, directory: np.ndarray | None = None
    ) -> None:
        """`directory`: this level's, built before (a mapped file's); else built here."""
        self.entries, self.copies = entries, copies  # copies: (nhash, size, code bytes) or None
        tables, size = entries.shape
        self.run_read = RUN_READ + 8 * (size >> hash_bits)
        bits = directory_bits(size, hash_bits)
        self.shift = np.uint64(32 + hash_bits - bits)
        self.slots = (1 << bits) + 1
        self.prefix = np.uint64(hash_bits - bits)
        if directory is not None:
            if directory.shape != (tables, self.slots) or directory.dtype != directory_dtype(tables, size):
                raise ValueError(f"a directory of {directory.dtype} {directory.shape} for {size} codes")
            self.directory = directory
            return
        self.directory = np.zeros((tables, self.slots), dtype=directory_dtype(tables, size))
        for table in range(tables):
            counts = np.bincount((entries[table] >> self.shift).astype(np.int64), minlength=1 << bits)
            np.cumsum(counts, out=self.directory[table, 1:])
        self.directory += (np.arange(tables, dtype=self.directory.dtype) * size)[:, None]  # into entries.ravel()

    @property
    def size(self) -> int:
        return int(self.entries.shape[1])

    @property
    def nbytes(self) -> int:
        copies = 0 if self.copies is None else self.copies.nbytes
        return int(self.entries.nbytes + self.directory.nbytes + copies)

    def find(self, probes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Code numbers whose substring in some table equals one of that table's probes (nhash, p):
        (the probe's column, the code number, and the codes when the level keeps copies)."""
        wanted = probes.astype(np.uint64).ravel()
        slots = (wanted >> self.prefix).astype(np.int64)
        slots += np.repeat(np.arange(len(probes), dtype=np.int64) * self.slots, probes.shape[1])
        lo, hi = self.directory.ravel()[slots], self.directory.ravel()[slots + 1]
        crowded = np.flatnonzero(hi - lo > self.run_read)
        probe_of = None
        if len(crowded):
            lo, hi = lo.astype(np.int64), hi.astype(np.int64)
            latest_lo, latest_hi = self._ends_of_runs(wanted, crowded, lo, hi)
            lo, hi = np.concatenate([lo, latest_lo]), np.concatenate([hi, latest_hi])
            probe_of = np.concatenate([np.arange(len(wanted)), crowded])
        at, source = _ranges(lo, hi)
        if probe_of is not None:
            source = probe_of[source]
        found = self.entries.ravel()[at]
        if self.prefix:  # a slot holds several substrings: keep the probed one
            keep = (found >> np.uint64(32)) == wanted[source]
            at, found, source = at[keep], found[keep], source[keep]
        codes = None if self.copies is None else self.copies.reshape(-1, self.copies.shape[2])[at]
        return source % probes.shape[1], (found & _LOW).astype(np.int64), codes


    def _ends_of_runs(
        self, wanted: np.ndarray, crowded: np.ndarray, lo: np.ndarray, hi: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Narrow each crowded probe's [lo, hi) to its own substring's run; of a run longer than
        `run_read`, to its first half of that (within a run the code numbers ascend: the earliest
        codes), and return the ranges of its last half (the latest), one per crowded probe.

        The latest too: a row first seen after a flood's first `run_read` rows and sharing its
        substrings, but nearer the photo (a listing of the flooded picture added after it), was
        found when runs were read whole and named by the look; the earliest alone never read it."""
        flat = self.entries.ravel()
        first = wanted[crowded] << np.uint64(32)
        start = _first_at_least(flat, lo[crowded], hi[crowded], first)
        end = _first_at_least(flat, start, hi[crowded], first + np.uint64(1 << 32))
        long = end - start > self.run_read
        earliest_end = np.where(long, start + self.run_read // 2, end)
        latest_start = np.where(long, end - (self.run_read - self.run_read // 2), end)
        lo[crowded], hi[crowded] = start, earliest_end
        return latest_start, end


def _first_at_least(flat: np.ndarray, lo: np.ndarray, hi: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """For each i, the first position in flat[lo[i]:hi[i]] (sorted) whose value is >= keys[i], or hi[i]:
    one binary search per i, all side by side."""
    lo, hi = lo.copy(), hi.copy()
    while True:
        open_ = lo < hi
        if not open_.any():
            return lo
        mid = (lo + hi) // 2
        below = open_ & (flat[np.minimum(mid, len(flat) - 1)] < keys)
        lo = np.where(below, mid + 1, lo)
        hi = np.where(open_ & ~below, mid, hi)


def directory_bits(size: int, hash_bits: int) -> int:
    """The substring prefix a level of `size` codes has a directory slot for (see `_Level`)."""
    return int(min(hash_bits, max(4, math.floor(math.log2(max(size, 2))) - DIRECTORY_SPARSENESS)))


def directory_dtype(tables: int, size: int) -> type[np.signedinteger]:
    """A directory's offsets into a level's entries, all tables end to end."""
    return np.int32 if tables * size < 2**31 else np.int64


def _merge(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Two levels' sorted tables as one, in one pass (no re-sorting)."""
    if not a.shape[1]:
        return b
    if not b.shape[1]:
        return a
    tables, total = a.shape[0], a.shape[1] + b.shape[1]
    merged = np.empty((tables, total), dtype=a.dtype)
    for table in range(tables):
        rest, at = merge_order(a[table], b[table])
        merged[table, at] = b[table]
        merged[table, rest] = a[table]
    return merged


def merge_order(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where two sorted runs' values go when merged (no value in both): a mask of `a`'s places in
    the result, and the positions of `b`'s."""
    at = np.searchsorted(a, b, side="right") + np.arange(len(b))
    rest = np.ones(len(a) + len(b), dtype=bool)
    rest[at] = False
    return rest, at


def _ranges(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All positions lo[i] <= p < hi[i], concatenated, and the i of each."""
    counts = hi - lo
    source = np.repeat(np.arange(len(lo)), counts)
    if not len(source):
        return np.zeros(0, dtype=np.int64), source
    ends = np.cumsum(counts)
    return np.arange(len(source)) + (lo - ends + counts)[source], source


def _pair_hamming(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Hamming distance of each row of `a` to the same row of `b` (packed codes), by popcount."""
    counts = np.bitwise_count(np.ascontiguousarray(a).view(np.uint64) ^ np.ascontiguousarray(b).view(np.uint64))
    # Adding the few words by hand beats numpy's reduction over a short last axis.
    total = counts[:, 0].astype(np.int64)
    for word in range(1, counts.shape[1]):
        total += counts[:, word]
    return total


class TenantIndex:
    """One tenant's codes; a code knows only the row id of its picture (8 bytes), the store the rest."""

    def __init__(self) -> None:
        self._owner = np.zeros(1024, dtype=np.int64)  # code number -> row id; grown by doubling
        self._pdq = _Codes(PDQ)
        self._phash = _Codes(PHASH)

    @classmethod
    def from_arrays(cls, owners: np.ndarray, pdq: ChannelArrays, phash: ChannelArrays) -> TenantIndex:
        """An index over arrays kept elsewhere (the host's mapped reuse file); read-only."""
        if not len(owners) == len(pdq[0]) == len(phash[0]):
            raise ValueError("owners and codes differ in number")
        made = cls()
        made._owner = owners
        made._pdq = _Codes.from_arrays(PDQ, *pdq)
        made._phash = _Codes.from_arrays(PHASH, *phash)
        return made

    def arrays(self) -> tuple[np.ndarray, ChannelArrays, ChannelArrays]:
        """Owners and each channel's codes and levels, every code sorted into the levels first."""
        for channel in (self._pdq, self._phash):
            channel.seal()
        count = len(self)
        return (
            self._owner[:count],
            (self._pdq.codes[:count], self._pdq.level_arrays()),
            (self._phash.codes[:count], self._phash.level_arrays()),
        )

    def extended(self, owners: np.ndarray, pdq: np.ndarray, phash: np.ndarray) -> TenantIndex:
        """A new index of this one's codes and these after them (row ids, PDQ and pHash codes), sealed."""
        made = TenantIndex()
        made._owner = np.concatenate([self._owner[: len(self)], owners.astype(np.int64)])
        made._pdq = self._pdq.extended(pdq)
        made._phash = self._phash.extended(phash)
        return made

    def codes(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Copies of the owners, PDQ and pHash codes, in the order they were added."""
        count = len(self)
        return self._owner[:count].copy(), self._pdq.codes[:count].copy(), self._phash.codes[:count].copy()

    def __len__(self) -> int:
        """How many codes (per channel) are indexed."""
        return self._pdq.ntotal

    def nbytes(self) -> int:
        """Memory of the codes, tables and code owners."""
        return self._pdq.nbytes_used() + self._phash.nbytes_used() + self._owner[: len(self)].nbytes

    def add_many(self, items: Iterable[tuple[int, Sequence[bytes], Sequence[bytes]]]) -> None:
        """Index pictures under their codes: (row id, PDQ codes, pHash codes), both in one order."""
        owners: list[int] = []
        pdq: list[bytes] = []
        phash: list[bytes] = []
        for entry_id, pdq_codes, phash_codes in items:
            if len(pdq_codes) != len(phash_codes):
                raise ValueError("an entry needs as many pHash codes as PDQ codes")
            owners.extend([entry_id] * len(pdq_codes))
            pdq.extend(pdq_codes)
            phash.extend(phash_codes)
        if not owners:
            return
        count = len(self)
        if count + len(owners) > len(self._owner):
            grown = np.zeros(max(2 * len(self._owner), count + len(owners)), dtype=np.int64)
            grown[:count] = self._owner[:count]
            self._owner = grown
        self._owner[count : count + len(owners)] = owners
        self._pdq.add(np.frombuffer(b"".join(pdq), dtype=np.uint8).reshape(-1, 32))
        self._phash.add(np.frombuffer(b"".join(phash), dtype=np.uint8).reshape(-1, 8))

    def search(self, codes: Sequence[Codes]) -> list[Hit]:
        """Pictures with a code near a dihedral variant of any query code, closest PDQ first (at most
        MAX_HITS; of a substring many codes share, the earliest and latest RUN_READ, see `_Level.find`)."""
        return search_parts([self], codes)

    def _closest(
        self, channel: _Codes, queries: np.ndarray, variants: int, indexed: int
    ) -> dict[int, tuple[int, int]]:
        """row id -> (smallest distance, dihedral variant of the query that had it)."""
        rows, distances, ids = channel.range_search(queries, indexed)
        if len(ids) == 0:
            return {}
        owners = self._owner[ids]
        order = np.lexsort((distances, owners))
        first = order[np.r_[True, owners[order][1:] != owners[order][:-1]]]
        return {int(owners[i]): (int(distances[i]), int(rows[i]) % variants) for i in first}


ChannelArrays = tuple[np.ndarray, list[LevelArrays]]  # a channel's codes and its levels


def search_parts(parts: Sequence[TenantIndex], codes: Sequence[Codes]) -> list[Hit]:
    """`TenantIndex.search` over the parts of one tenant's index (each row in one part only),
    probing as one index of their total size would."""
    indexed = sum(len(part) for part in parts)
    if indexed == 0 or not codes:
        return []
    pdq_queries = np.frombuffer(b"".join(b"".join(c.pdq) for c in codes), dtype=np.uint8).reshape(-1, 32)
    # pHash is the crop channel: it is sent the picture as it is, unturned (its 64-bit tables
    # cost 8x more per query than PDQ's; a crop that is also turned is left to PDQ).
    phash_queries = np.frombuffer(b"".join(c.phash[0] for c in codes), dtype=np.uint8).reshape(-1, 8)
    pdq: dict[int, tuple[int, int]] = {}
    phash: dict[int, tuple[int, int]] = {}
    for part in parts:
        if len(part):
            pdq.update(part._closest(part._pdq, pdq_queries, 8, indexed))
            phash.update(part._closest(part._phash, phash_queries, 1, indexed))
    hits = []
    for entry_id in pdq.keys() | phash.keys():
        pdq_distance, pdq_variant = pdq.get(entry_id, (256, -1))
        phash_distance, phash_variant = phash.get(entry_id, (64, -1))
        variant = pdq_variant if pdq_variant >= 0 else phash_variant
        hits.append(Hit(entry_id, pdq_distance, phash_distance, variant))
    # Row ids grow with time: among equals the earlier picture comes first.
    return sorted(hits, key=lambda h: (h.pdq_distance, h.phash_distance, h.entry_id))[:MAX_HITS]
