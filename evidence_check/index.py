"""The fingerprint index: which earlier photos, listing photos and reference photos look like this one.

One `TenantIndex` per tenant (a merchant is never matched against another's photos). It holds, for
every indexed picture, the codes of `fingerprint.Fingerprint.index_pdq` / `index_phash` (the
trimmed picture, its crops, the untrimmed picture) in two FAISS binary indexes, one per hash:

- PDQ (256 bits) in an `IndexBinaryMultiHash` of 10 substrings of 24 bits, probed with up to
  `PDQ.nflip` flipped bits per substring: every code within 10 * (nflip + 1) - 1 = 19 bits of a
  query is found (pigeonhole), farther ones up to the radius often (98 % at 30 bits, 58 % at 40,
  measured). 16 substrings of 16 bits would find them all but took 50x longer in FAISS.
- pHash (64 bits) in an `IndexBinaryMultiHash` of 4 substrings of 16 bits, likewise (all codes
  within 7 bits found, 95 % at 8); it is the crop channel and gets the unturned query only.

Below `FLAT_BELOW` codes an exhaustive `IndexBinaryFlat` (popcount in C) is as fast and exact. A
lookup sends the eight dihedral variants of each query code to PDQ; only codes found in the hash
tables are compared in full. Nothing scans the codes in Python.

The index lives in memory; the store is the truth (`references.References` rebuilds it from the
stored fingerprints at start and adds each new one). Local features stay in the store; the check
fetches them for the few candidates.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import faiss
import numpy as np

from evidence_check.imaging.fingerprint import Codes

# Below this many codes a flat index is as fast as hashing, and exact.
FLAT_BELOW = 20_000
# A lookup is a handful of codes: OpenMP threads cost more than they save (measured).
faiss.omp_set_num_threads(1)


@dataclass(frozen=True)
class Channel:
    """One hash's index settings: code size, multi-index layout and lookup radius (bits)."""

    name: str
    bits: int
    nhash: int
    hash_bits: int
    nflip: int
    radius: int


# Radii measured by scripts/bench_reuse.py: copies of a picture stay within them, crops only in pHash,
# rotations by 180 degrees up to 58 PDQ bits; what they let through is confirmed or dropped by
# keypoints (references.confirmed).
PDQ = Channel("pdq", 256, 10, 24, 1, 63)
PHASH = Channel("phash", 64, 4, 16, 1, 12)


@dataclass(frozen=True)
class Entry:
    """One indexed picture and what it was: an earlier claim's photo, a listing photo, a reference."""

    entry_id: int  # the store's fingerprint row id
    kind: str  # "claim" | "listing" | "stock" | "review"
    ref_id: str  # claim id, SKU or reference id
    customer_id: str | None
    image_id: str  # sha256 of the file
    first_seen: datetime


@dataclass(frozen=True)
class Candidate:
    entry: Entry
    pdq_distance: int  # best over the query's variants and the entry's codes; 256 when not found
    phash_distance: int  # likewise, 64 when not found
    variant: int  # the query's dihedral variant that matched best (fingerprint.DIHEDRAL)


class _Codes:
    """One channel's codes: a flat FAISS index while small, then a FAISS multi-index hash."""

    def __init__(self, channel: Channel) -> None:
        self.channel = channel
        self.flat = faiss.IndexBinaryFlat(channel.bits)
        self.hashed: faiss.IndexBinaryMultiHash | None = None

    @property
    def ntotal(self) -> int:
        return int(self.flat.ntotal if self.hashed is None else self.hashed.ntotal)

    def add(self, codes: np.ndarray) -> None:
        if self.hashed is not None:
            self.hashed.add(codes)
            return
        self.flat.add(codes)
        if self.flat.ntotal >= FLAT_BELOW:
            channel = self.channel
            hashed = faiss.IndexBinaryMultiHash(channel.bits, channel.nhash, channel.hash_bits)
            hashed.nflip = channel.nflip
            hashed.add(np.asarray(self.flat.reconstruct_n(0, self.flat.ntotal), dtype=np.uint8))
            self.hashed = hashed
            self.flat = faiss.IndexBinaryFlat(channel.bits)

    def range_search(self, queries: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(query row, distance, code number) of the codes found within the channel's radius."""
        index = self.flat if self.hashed is None else self.hashed
        # FAISS returns codes strictly closer than the radius it is given.
        limits, distances, ids = index.range_search(queries, self.channel.radius + 1)
        rows = np.repeat(np.arange(len(queries)), np.diff(limits).astype(np.int64))
        return rows, distances.astype(np.int64), ids


class TenantIndex:
    def __init__(self) -> None:
        self.entries: list[Entry] = []
        self._owner = np.zeros(0, dtype=np.int64)  # code number -> position in entries
        self._pdq = _Codes(PDQ)
        self._phash = _Codes(PHASH)

    def __len__(self) -> int:
        """How many codes (per channel) are indexed."""
        return self._pdq.ntotal

    def add_many(self, items: Iterable[tuple[Entry, Sequence[bytes], Sequence[bytes]]]) -> None:
        """Index entries under their codes: (entry, PDQ codes, pHash codes), both in one order."""
        owners: list[int] = []
        pdq: list[bytes] = []
        phash: list[bytes] = []
        for entry, pdq_codes, phash_codes in items:
            if len(pdq_codes) != len(phash_codes):
                raise ValueError("an entry needs as many pHash codes as PDQ codes")
            owners.extend([len(self.entries)] * len(pdq_codes))
            self.entries.append(entry)
            pdq.extend(pdq_codes)
            phash.extend(phash_codes)
        if not owners:
            return
        self._owner = np.concatenate([self._owner, np.asarray(owners, dtype=np.int64)])
        self._pdq.add(np.frombuffer(b"".join(pdq), dtype=np.uint8).reshape(-1, 32))
        self._phash.add(np.frombuffer(b"".join(phash), dtype=np.uint8).reshape(-1, 8))

    def search(self, codes: Sequence[Codes]) -> list[Candidate]:
        """Entries with a code near a dihedral variant of any query code, closest PDQ first."""
        if len(self) == 0 or not codes:
            return []
        pdq_queries = np.frombuffer(b"".join(b"".join(c.pdq) for c in codes), dtype=np.uint8).reshape(-1, 32)
        # pHash is the crop channel: it is sent the picture as it is, unturned (its 64-bit tables
        # cost 8x more per query than PDQ's; a crop that is also turned is left to PDQ).
        phash_queries = np.frombuffer(b"".join(c.phash[0] for c in codes), dtype=np.uint8).reshape(-1, 8)
        pdq = self._closest(self._pdq, pdq_queries, 8)
        phash = self._closest(self._phash, phash_queries, 1)
        candidates = []
        for position in pdq.keys() | phash.keys():
            pdq_distance, pdq_variant = pdq.get(position, (256, -1))
            phash_distance, phash_variant = phash.get(position, (64, -1))
            variant = pdq_variant if pdq_variant >= 0 else phash_variant
            candidates.append(Candidate(self.entries[position], pdq_distance, phash_distance, variant))
        return sorted(candidates, key=lambda c: (c.pdq_distance, c.phash_distance, c.entry.first_seen))

    def _closest(self, channel: _Codes, queries: np.ndarray, variants: int) -> dict[int, tuple[int, int]]:
        """position -> (smallest distance, dihedral variant of the query that had it)."""
        rows, distances, ids = channel.range_search(queries)
        if len(ids) == 0:
            return {}
        owners = self._owner[ids]
        order = np.lexsort((distances, owners))
        first = order[np.r_[True, owners[order][1:] != owners[order][:-1]]]
        return {int(owners[i]): (int(distances[i]), int(rows[i]) % variants) for i in first}


class FingerprintIndex:
    """All tenants' indexes; safe to add to and search from several threads."""

    def __init__(self) -> None:
        self._tenants: dict[str, TenantIndex] = {}
        self._lock = threading.Lock()

    def add_many(self, tenant: str, items: Iterable[tuple[Entry, Sequence[bytes], Sequence[bytes]]]) -> None:
        with self._lock:
            index = self._tenants.setdefault(tenant, TenantIndex())
            index.add_many(items)

    def search(self, tenant: str, codes: Sequence[Codes]) -> list[Candidate]:
        with self._lock:
            index = self._tenants.get(tenant)
            return [] if index is None else index.search(codes)
