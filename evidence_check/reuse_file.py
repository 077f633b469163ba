"""The host's reuse index in one file, memory-mapped read-only by every process of the host.

A worker does not build its own `index.TenantIndex` of every stored fingerprint: the first process
of a host to need it builds the file from the store under a lock (`HostFile.open`), the others map
it. The builder indexes the rows a batch at a time into sorted runs written beside the file, and
merges the runs into it a piece at a time (`HostFile._build`), so it never holds every row's index.
The file holds, per tenant, the arrays a lookup reads (row ids, codes, each level's sorted entries,
directory and code copies), and the store's high-water row id and the ids below it not yet seen
(`references` gaps) it was built from. Rows newer than the file are indexed in each process's
memory (`FingerprintIndex`'s second part); when they grow past a bound, one process writes the
next generation under the lock (`next_generation`: the mapped parts and its memory part merged
into one index as they are written, a piece at a time: `reuse_merge`), and every process maps it
at its next sync. The page cache holds the file once for the host.

A file is written under a temporary name and renamed, so a reader sees a whole file or the last
one; a file that is truncated, of another layout, of another store, or whose bytes do not match
its checksum is never used: it is built again. Reading 2 GB to check the checksum takes seconds,
so the host checks a file once: the process that did records the file's identity (device, inode,
size, modification and change times) beside it, and a process opening the same identity relies on
that record; a file written to since has another.

Layout: arrays one after another (each at a multiple of 64 bytes), a JSON footer saying where each
is and what the file was built from, the footer's offset (uint64), its CRC-32 (uint32, with the
data's in the footer), and MAGIC.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import hashlib
import json
import logging
import mmap
import os
import threading
import weakref
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from evidence_check.imaging.fingerprint import Codes
from evidence_check.index import PDQ, PHASH, ChannelArrays, Hit, LevelArrays, TenantIndex, search_parts
from evidence_check.reuse_merge import Stream, tenant_streams

logger = logging.getLogger(__name__)
MAGIC = b"ECREUS01"  # the layout's version: a file of another is refused and built again
_TRAILER = 8 + 4 + len(MAGIC)  # footer offset, footer CRC-32, MAGIC
_ALIGN = 64
_CHUNK = 16 * 1024 * 1024  # bytes read at a time to check the checksum (not through the mapping)
_DTYPES = {"uint8", "uint64", "int32", "int64"}

Items = Sequence[tuple[int, Sequence[bytes], Sequence[bytes]]]  # (row id, PDQ codes, pHash codes)


class ReuseFileError(Exception):
    """A reuse file that cannot be trusted: truncated, of another layout or store, or damaged."""


@dataclass(frozen=True)
class Built:
    """What a reuse file holds: every row of the store up to `high_water` but the `gaps`."""

    tenants: dict[str, TenantIndex]
    high_water: int
    gaps: dict[int, float]  # row id -> when first missed (seconds since the epoch)
    anchor: str = ""  # `anchor` of the high-water row's PDQ codes: the store still has that row


def write(
    out: BinaryIO,
    built: Built,
    store_key: str,
    added: Sequence[Mapping[str, TenantIndex]] = (),
    after_piece: Callable[[], None] | None = None,
) -> None:
    """Write `built`'s tenants, each with the rows of it in each of `added` after its own (a next
    generation, or the sorted runs of a first build), and what they were built from. Each array is
    written as `reuse_merge` produces it, a piece at a time: the writer never holds a whole array it
    did not hold before. `after_piece` is called after each piece is written."""
    position, crc = 0, 0

    def put(stream: Stream) -> list[Any]:
        nonlocal position, crc
        pad = -position % _ALIGN
        out.write(b"\0" * pad)
        crc = zlib.crc32(b"\0" * pad, crc)
        written = 0
        for piece in stream.pieces:
            data = np.ascontiguousarray(piece, stream.dtype).reshape(-1).view(np.uint8).data
            out.write(data)
            crc = zlib.crc32(data, crc)
            written += len(data)
            if after_piece is not None:
                after_piece()
        if written != int(np.prod(stream.shape, dtype=np.int64)) * stream.dtype.itemsize:
            raise ValueError(f"an array of {stream.dtype} {stream.shape} written with {written} bytes")
        where = [position + pad, str(stream.dtype), list(stream.shape)]
        position += pad + written
        return where

    def described(arrays: Any) -> Any:  # the footer's tree of arrays, each written in its turn
        if isinstance(arrays, Stream):
            return put(arrays)
        if isinstance(arrays, dict):
            return {key: described(value) for key, value in arrays.items()}
        if isinstance(arrays, list):
            return [described(value) for value in arrays]
        return arrays  # None: a level without copies

    parts = [built.tenants, *added]
    tenants = {
        tenant: described(tenant_streams([part[tenant] for part in parts if tenant in part]))
        for tenant in dict.fromkeys(tenant for part in parts for tenant in part)
    }
    footer = json.dumps(
        {"store": store_key, "high_water": built.high_water, "anchor": built.anchor, "gaps": sorted(built.gaps.items()),
         "data_crc": crc, "tenants": tenants}  # fmt: skip
    ).encode()
    out.write(footer)
    out.write(np.array([position], "<u8").tobytes() + np.array([zlib.crc32(footer)], "<u4").tobytes() + MAGIC)


class ReuseFile:
    """An open reuse file, checked whole before anything in it is used, unless `checked` is its
    identity and data checksum (this host checked it already)."""

    def __init__(self, path: Path, store_key: str, checked: list[int] | None = None) -> None:
        fd = os.open(path, os.O_RDONLY)
        try:
            self.identity = _identity(os.fstat(fd))
            size = os.fstat(fd).st_size
            if size < _TRAILER:
                raise ReuseFileError("not a reuse file (or a truncated one)")
            self._buffer = mmap.mmap(fd, 0, prot=mmap.PROT_READ)
        except (OSError, ValueError) as exc:
            os.close(fd)
            if isinstance(exc, ReuseFileError):
                raise
            raise ReuseFileError(f"cannot map {path}") from None
        weakref.finalize(self, os.close, fd)
        trailer = self._buffer[size - _TRAILER :]
        if trailer[12:] != MAGIC:
            raise ReuseFileError("not a reuse file (or a truncated one)")
        start = int(np.frombuffer(trailer[:8], "<u8")[0])
        if start > size - _TRAILER:
            raise ReuseFileError("the footer's offset is past the end")
        footer = self._buffer[start : size - _TRAILER]
        if zlib.crc32(footer) != int(np.frombuffer(trailer[8:12], "<u4")[0]):
            raise ReuseFileError("the footer is damaged")
        try:
            described = json.loads(footer)
            if described["store"] != store_key:
                raise ReuseFileError("built from another store")
            self.checked = [*self.identity, int(described["data_crc"])]
            self.checked_now = checked != self.checked
            if self.checked_now and _data_crc(fd, start) != described["data_crc"]:
                raise ReuseFileError("the data does not match its checksum")
            self._end = start
            tenants = {name: self._tenant(parts) for name, parts in described["tenants"].items()}
            gaps = {int(row_id): float(when) for row_id, when in described["gaps"]}
            self.built = Built(tenants, int(described["high_water"]), gaps, str(described["anchor"]))
        except (KeyError, TypeError, ValueError) as exc:  # well formed, checksummed, yet wrong
            raise ReuseFileError(f"the footer does not describe the data ({exc})") from None

    def _tenant(self, parts: dict[str, Any]) -> TenantIndex:
        def channel(described: dict[str, Any]) -> ChannelArrays:
            levels = [
                LevelArrays(
                    self._mapped(level["entries"]), self._mapped(level["directory"]),
                    None if level["copies"] is None else self._mapped(level["copies"]),
                )  # fmt: skip
                for level in described["levels"]
            ]
            return self._mapped(described["codes"]), levels

        owners, pdq, phash = self._mapped(parts["owners"]), channel(parts["pdq"]), channel(parts["phash"])
        for (codes, levels), bits in ((pdq, PDQ.bits), (phash, PHASH.bits)):
            if codes.ndim != 2 or codes.shape[1] != bits // 8 or codes.dtype != np.uint8:
                raise ValueError("codes of the wrong shape")
            if len(levels) > 2 or any(level.entries.ndim != 2 for level in levels):
                raise ValueError("levels of the wrong shape")
            size = sum(level.entries.shape[1] for level in levels)
            if size != len(codes):
                raise ValueError("levels that do not hold every code")
            for level in levels:  # the checksum vouches for the values; this for the footer's shapes
                flat = level.directory.ravel()
                if len(flat) and (flat[0] != 0 or flat[-1] != level.entries.size):
                    raise ValueError("a directory outside its entries")
        return TenantIndex.from_arrays(owners, pdq, phash)

    def drop_pages(self) -> None:
        """Unmap the pages read so far from this process (the page cache keeps them): a file read
        through once, as a run of a first build is, need not count in the process's memory."""
        self._buffer.madvise(mmap.MADV_DONTNEED)

    def _mapped(self, where: list[Any]) -> np.ndarray:
        offset, dtype, shape = where
        if dtype not in _DTYPES or any(not isinstance(d, int) or d < 0 for d in shape):
            raise ValueError(f"an array of {dtype} {shape}")
        count = int(np.prod(shape)) if shape else 1
        if not 0 <= offset <= offset + count * np.dtype(dtype).itemsize <= self._end:
            raise ValueError("an array outside the data")
        return np.frombuffer(self._buffer, dtype, count, offset).reshape(shape)


def _identity(stat: os.stat_result) -> tuple[int, ...]:
    """What tells one generation of the file from the next (renamed in place), or from itself
    written to since."""
    return stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns


def _data_crc(fd: int, end: int) -> int:
    """CRC-32 of the file's first `end` bytes, read from the page cache rather than mapped, so a
    worker's memory does not count pages it will never look at."""
    crc, at, buffer = 0, 0, bytearray(_CHUNK)
    view = memoryview(buffer)
    while at < end:
        got = os.preadv(fd, [view[: min(_CHUNK, end - at)]], at)
        if got <= 0:
            raise ReuseFileError("the file ends early")
        crc = zlib.crc32(view[:got], crc)
        at += got
    return crc


class HostFile:
    """The host's reuse file of one store: its path and lock, opened, built or written anew."""

    def __init__(self, folder: Path, store_url: str) -> None:
        self.store_key = hashlib.sha256(store_url.encode()).hexdigest()
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / f"reuse-{self.store_key[:16]}.index"
        self._lock_path = folder / f"reuse-{self.store_key[:16]}.lock"
        self._checked_path = folder / f"reuse-{self.store_key[:16]}.checked"

    def changed(self, since: tuple[int, ...] | None) -> bool:
        """Whether the file on disk is not the one with this identity (another generation, or none)."""
        try:
            return _identity(os.stat(self.path)) != since
        except OSError:
            return True

    def open(self, build: Callable[[], Iterable[Built]], trusted: Callable[[Built], bool]) -> ReuseFile:
        """The current file; built from `build`'s runs (`_build`) under the lock when there is none,
        or none to trust (damaged, foreign, or not `trusted`: of rows the store no longer has).
        Processes that only open it hold the lock shared, so they check the file at the same time."""
        with open(self._lock_path, "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_SH)
            found = self._trusted(trusted)
            if found is not None:
                return found
            fcntl.flock(lock, fcntl.LOCK_EX)  # another process may have built it meanwhile
            found = self._trusted(trusted)
            if found is not None:
                return found
            self._build(build())
            return self._checked(ReuseFile(self.path, self.store_key))

    def _trusted(self, trusted: Callable[[Built], bool]) -> ReuseFile | None:
        try:
            checked = json.loads(self._checked_path.read_text())
        except (OSError, ValueError):
            checked = None
        try:
            found = self._checked(ReuseFile(self.path, self.store_key, checked))
        except FileNotFoundError:
            return None
        except ReuseFileError as exc:
            logger.warning("reuse file %s not used (%s): built again", self.path, exc)
            return None
        if trusted(found.built):
            return found
        logger.warning("reuse file %s is of rows the store no longer has: built again", self.path)
        return None

    def _checked(self, found: ReuseFile) -> ReuseFile:
        """Record that `found` was checked whole (a process that cannot write the record checks again)."""
        if found.checked_now:
            partial = self._checked_path.with_name(f"{self._checked_path.name}.{os.getpid()}.partial")
            try:
                partial.write_text(json.dumps(found.checked))
                os.replace(partial, self._checked_path)
            except OSError:
                partial.unlink(missing_ok=True)
        return found

    def remove(self) -> None:
        """Delete the file (rows rewritten in place, which it holds as they were): each process of the
        host finds it gone at its next sync and maps the one the first of them builds from the store."""
        with open(self._lock_path, "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # not while a generation is being written
            self.path.unlink(missing_ok=True)
            self._checked_path.unlink(missing_ok=True)

    def next_generation(
        self, mapped_from: tuple[int, ...], next_built: Callable[[], tuple[Built, dict[str, TenantIndex]]]
    ) -> bool:
        """Write the next generation from `next_built` (`generation`) unless another process is writing
        one or wrote one since `mapped_from` was mapped; True when written."""
        with open(self._lock_path, "w") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            if self.changed(mapped_from):
                return False
            self._remove_partials()
            built, added = next_built()
            self._write(built, [added])
            self._checked(ReuseFile(self.path, self.store_key))  # here, so that the others need not
            return True

    def _build(self, runs: Iterable[Built]) -> None:
        """Write the file from sorted runs (`reuse_rows.build`: each a batch of rows in its tenants'
        indexes, the last saying how far the rows were read): each run is written to a temporary
        file beside it and mapped, and the runs are merged into the file a piece at a time
        (`reuse_merge`), so the builder holds one run in memory, never every row. The runs are
        removed whether the file is written or not."""
        self._remove_partials()
        mapped: list[ReuseFile] = []
        last = Built({}, 0, {})
        for number, run in enumerate(runs):
            path = self.path.with_name(f"{self.path.name}.{os.getpid()}.run{number}.partial")
            try:
                with open(path, "wb") as out:
                    write(out, run, self.store_key)
                mapped.append(ReuseFile(path, self.store_key))
            finally:
                path.unlink(missing_ok=True)  # its mapping keeps it until the merge is done
            last = Built({}, run.high_water, run.gaps, run.anchor)  # how far, not the run's index
        tenants = [run.built.tenants for run in mapped]
        heads = Built(tenants[0] if tenants else {}, last.high_water, last.gaps, last.anchor)

        def drop_pages() -> None:
            for run in mapped:
                run.drop_pages()

        self._write(heads, tenants[1:], drop_pages)
        _return_freed_memory()

    def _remove_partials(self) -> None:
        """Remove what a writer that died left (under the lock, so none is being written)."""
        for left in self.path.parent.glob(f"{self.path.name}.*.partial"):
            left.unlink(missing_ok=True)

    def _write(
        self, built: Built, added: Sequence[Mapping[str, TenantIndex]], after_piece: Callable[[], None] | None = None
    ) -> None:
        """Write under the lock; the file takes its name when whole, so a write that fails leaves
        the last one in place."""
        partial = self.path.with_name(f"{self.path.name}.{os.getpid()}.partial")
        try:
            with open(partial, "wb") as out:
                write(out, built, self.store_key, added, after_piece)
            os.replace(partial, self.path)
        finally:
            partial.unlink(missing_ok=True)


def _return_freed_memory() -> None:
    """Give the system back the heap pages a first build freed: glibc keeps the runs' arrays' pages
    in its heap once freed (its mmap threshold rises past their size), and the worker would hold
    them for its life. Without glibc (no `malloc_trim`), nothing to do."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).malloc_trim(0)


def anchor(pdq: bytes) -> str:
    """What a file keeps of its high-water row, to tell the store it was built from from another
    store under the same URL (emptied and filled again, restored)."""
    return hashlib.sha256(pdq).hexdigest()[:32]


def generation(
    mapped: Built,
    rows: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]],
    high_water: int,
    gaps: dict[int, float],
    anchored: str,
) -> tuple[Built, dict[str, TenantIndex]]:
    """A file's next generation as `write` takes it: the mapped tenants, and per tenant the rows
    indexed since (row ids, PDQ and pHash codes) to be written after them."""
    added = {tenant: TenantIndex().extended(owners, pdq, phash) for tenant, (owners, pdq, phash) in rows.items()}
    return Built(mapped.tenants, high_water, gaps, anchored), added


class FingerprintIndex:
    """All tenants' indexes, each of a mapped part (the host's file) and a part in memory; safe to
    add to and search from several threads."""

    def __init__(self, mapped: dict[str, TenantIndex] | None = None) -> None:
        self._mapped = mapped or {}
        self._tenants: dict[str, TenantIndex] = {}
        self._lock = threading.Lock()

    def add_many(self, tenant: str, items: Iterable[tuple[int, Sequence[bytes], Sequence[bytes]]]) -> None:
        with self._lock:
            index = self._tenants.setdefault(tenant, TenantIndex())
            index.add_many(items)

    def replace(self, mapped: dict[str, TenantIndex], rows: dict[str, Items]) -> None:
        """Take another file's parts and, in memory, just these rows: one step for every search."""
        tenants = {}
        for tenant, items in rows.items():
            tenants[tenant] = TenantIndex()
            tenants[tenant].add_many(items)
        with self._lock:
            self._mapped, self._tenants = mapped, tenants

    def in_memory(self) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Per tenant, copies of the in-memory part's row ids and codes (`TenantIndex.codes`)."""
        with self._lock:
            return {tenant: index.codes() for tenant, index in self._tenants.items()}

    def search(self, tenant: str, codes: Sequence[Codes]) -> list[Hit]:
        with self._lock:
            parts = [part for part in (self._mapped.get(tenant), self._tenants.get(tenant)) if part is not None]
            return search_parts(parts, codes)
