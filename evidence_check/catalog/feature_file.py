"""A tenant's catalog features in one file, so that a worker need not hold them.

A worker keeps resident only what names the catalog's SKUs and images (their names, sizes and
zones); the rest is read from the feature file, memory-mapped: the visual-word index, the
vocabulary the words are measured in (its fine words and leaves: ~37 MB at 128² words of 7 leaves)
and the arrays a photo is verified against (keypoints, descriptors, words, colours, mask,
thumbnail), which matching reads in place. Mapped pages are the page cache's: held once for every
process of the host, and dropped by the kernel under memory pressure, so a further worker adds none
of them, whatever the catalog's size (docs/measurements/scale.md). An `ArrayCache` of a configured
number of images keeps their `ImageArrays` (views of the mapping, ~1 KB private each):
what matching derives from them is made at each use, or kept a few dozen images (`matching.roots`).

The file is built once per host from the store (`host_file`: the first worker to need it builds
it under a lock, the others open it) and named after what identifies the catalog's content, so a
catalog that changed gets a new file.

Layout: the image arrays one after another, a table (per image and array: offset, dtype, shape),
the word index's three arrays, the vocabulary's, a JSON footer saying where each is, the footer's
offset and MAGIC. Every array starts at a multiple of ALIGN bytes, so a mapped one is as aligned as
an array numpy allocates (OpenCV and numpy's vector loops read it in place).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import itertools
import json
import math
import mmap
import os
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from evidence_check.catalog.entries import ImageArrays
from evidence_check.catalog.words import WordIndex
from evidence_check.imaging.features import Vocabulary

MAGIC = b"ECCATF03"  # the layout's version: a file of another is refused and built again
# Linux's advice number on every architecture (5.14 and later; an older kernel refuses it, EINVAL),
# which Python's mmap module does not name.
_MADV_POPULATE_READ = getattr(mmap, "MADV_POPULATE_READ", 22 if sys.platform.startswith("linux") else None)
ARRAYS = ("points", "descriptors", "keypoint_words", "words", "colour", "mask", "thumb", "detail")
DTYPES = ("float32", "uint8", "int16", "int32", "float64", "int64", "bool")
MAX_DIMS = 3
_TABLE_COLUMNS = 2 + MAX_DIMS  # offset, dtype code, then the shape (-1: no such axis)
_FOOTER = 16  # the footer's offset (uint64) and MAGIC
ALIGN = 64


class FeatureFileError(Exception):
    """A feature file that cannot be read: truncated, of another layout, or of other images."""


def write(out: BinaryIO, images: Iterable[tuple[int, ImageArrays]], count: int, identity: list[str], vocabulary: Vocabulary) -> None:
    """Write `count` images, each given once as (slot, arrays) in any order; the slots are the
    catalog's image order (the word index's). `identity` names each slot's image (checked on open);
    `vocabulary` is the one their words are measured in."""
    table = np.full((count, len(ARRAYS), _TABLE_COLUMNS), -1, np.int64)
    words: list[np.ndarray | None] = [None] * count
    position = out.tell()

    def put(value: np.ndarray) -> int:
        """`value` written at the next aligned position: where."""
        nonlocal position
        position += out.write(b"\0" * (-position % ALIGN))
        at = position
        position += out.write(np.ascontiguousarray(value).tobytes())
        return at

    for slot, arrays in images:
        for column, name in enumerate(ARRAYS):
            value = getattr(arrays, name)
            if value is None:
                continue
            if value.ndim > MAX_DIMS or str(value.dtype) not in DTYPES:
                raise ValueError(f"cannot store {name} of {value.dtype} {value.shape}")
            table[slot, column, :2] = put(value), DTYPES.index(str(value.dtype))
            table[slot, column, 2 : 2 + value.ndim] = value.shape
        words[slot] = arrays.words
    if any(found is None for found in words):
        raise ValueError("an image was not given")
    index = WordIndex([w for w in words if w is not None], vocabulary.index_size)
    footer: dict[str, object] = {"count": count, "identity": identity, "vocabulary_key": vocabulary.key}
    parts = {"table": table, **index.arrays(), "coarse": vocabulary.coarse, "fine": vocabulary.fine}
    if vocabulary.leaves is not None:
        parts["leaves"] = vocabulary.leaves
    for name, value in parts.items():
        footer[name] = [put(value), str(value.dtype), list(value.shape)]
    position += out.write(b"\0" * (-position % ALIGN))
    out.write(json.dumps(footer).encode())
    out.write(np.array([position], "<u8").tobytes() + MAGIC)


def identity_digest(identity: list[str]) -> str:
    """What names a catalog's images in their order, shortly: a worker keeps this, not the names."""
    return hashlib.sha256(json.dumps(identity).encode()).hexdigest()


class FeatureFile:
    """An open feature file (a path, or the bytes of one built in memory)."""

    _serial = itertools.count()

    def __init__(self, source: Path | bytes) -> None:
        self.key = next(self._serial)  # this file's images in an `ArrayCache`
        # Bytes of this file in the worker's own memory: all of it when built in memory, none when mapped.
        self.held_bytes = len(source) if isinstance(source, bytes) else 0
        if isinstance(source, bytes):
            self._buffer: bytes | mmap.mmap = source
        else:
            descriptor = os.open(source, os.O_RDONLY)
            try:
                self._buffer = mmap.mmap(descriptor, 0, prot=mmap.PROT_READ)
            except (OSError, ValueError):
                raise FeatureFileError(f"cannot map {source}") from None
            finally:
                os.close(descriptor)  # the mapping keeps the file
        # Every array is a view of this one: `np.frombuffer` of the mapping for each would make a
        # buffer export of its own, ~4.5 KB of small objects an image, 18 MB in a full `ArrayCache`.
        self._bytes = np.frombuffer(self._buffer, np.uint8)
        size = len(self._buffer)
        if size < _FOOTER or self._buffer[size - len(MAGIC) :] != MAGIC:
            raise FeatureFileError("not a catalog feature file (or a truncated one)")
        start = int(np.frombuffer(self._buffer[size - _FOOTER : size - len(MAGIC)], "<u8")[0])
        footer = json.loads(bytes(self._buffer[start : size - _FOOTER]))
        self.count: int = footer["count"]
        self.identity = identity_digest(footer["identity"])  # the names themselves not kept: ~7 MB at 100,000
        self._table = self._mapped(footer["table"])
        self.index = WordIndex.from_arrays(
            self._mapped(footer["offsets"]), self._mapped(footer["postings"]), self._mapped(footer["weights"]), self.count
        )
        self._map_in(*self.index.arrays().values())
        leaves = self._mapped(footer["leaves"]) if "leaves" in footer else None
        self.vocabulary = Vocabulary(self._mapped(footer["coarse"]), self._mapped(footer["fine"]), leaves)
        # Named by the key it was written with (the catalog's, which names the file), not hashed
        # again: hashing reads every page of its leaves into a copy (0.1 s at 128² words of 7 leaves).
        self.vocabulary.__dict__["key"] = footer["vocabulary_key"]

    def _map_in(self, *arrays: np.ndarray) -> None:
        """Maps `arrays`' pages into this process now, read in order, where a claim's query would fault
        them in one by one: within a worker's first 20 claims nearly all of the word index's
        (646 MB at 100,000 images), ~3 ms a claim (docs/measurements/scale.md). Linux 5.14 and
        later (`MADV_POPULATE_READ`); elsewhere they are faulted in as read."""
        if not isinstance(self._buffer, mmap.mmap) or _MADV_POPULATE_READ is None:
            return
        base = self._bytes.ctypes.data
        for array in arrays:
            start = (array.ctypes.data - base) // mmap.PAGESIZE * mmap.PAGESIZE
            end = array.ctypes.data - base + array.nbytes
            if end > start:
                try:
                    self._buffer.madvise(_MADV_POPULATE_READ, start, end - start)
                except OSError:
                    return

    def _mapped(self, where: list[Any]) -> np.ndarray:
        offset, dtype, shape = where
        dtype = np.dtype(dtype)
        count = math.prod(shape)
        return self._bytes[offset : offset + count * dtype.itemsize].view(dtype).reshape(shape)

    def arrays(self, slot: int) -> ImageArrays:
        """One image's arrays, mapped: read-only, in the host's page cache."""
        rows = self._table[slot]
        found: dict[str, np.ndarray | None] = {}
        for name, (offset, code, *shape) in zip(ARRAYS, rows.tolist(), strict=True):
            if offset < 0:
                found[name] = None
                continue
            if offset + _table_nbytes(code, shape) > len(self._buffer):
                raise FeatureFileError("the feature file ends early")
            found[name] = self._mapped([offset, DTYPES[code], [d for d in shape if d >= 0]])
        return ImageArrays(**found)  # type: ignore[arg-type]

    def let_go(self, slot: int) -> None:
        """Unmaps from this process the pages that hold only this image's arrays: they stay in the
        host's page cache (the next read maps them again, a minor fault), but no longer count in
        the worker's resident memory, which would otherwise grow with every image it ever verified
        (a long-lived worker at 100,000 images: 1.7 GB of them after 1,500 claims). A view of them
        still held (another thread's claim reading the same image) reads the same bytes after: the
        mapping is of the file, shared and read-only, so a page let go is mapped again from the page
        cache, never zeroed. The kernel may refuse (pages locked by `mlockall`: EINVAL); they then
        stay mapped, as they would without the advice."""
        if not isinstance(self._buffer, mmap.mmap):
            return
        spans = [
            (offset, offset + _table_nbytes(code, shape))
            for offset, code, *shape in self._table[slot].tolist()
            if offset >= 0
        ]
        if not spans:
            return
        # Whole pages only: a page shared with a neighbouring image's arrays stays.
        start = -(-min(begin for begin, _ in spans) // mmap.PAGESIZE) * mmap.PAGESIZE
        end = max(finish for _, finish in spans) // mmap.PAGESIZE * mmap.PAGESIZE
        if end > start:
            with contextlib.suppress(OSError):
                self._buffer.madvise(mmap.MADV_DONTNEED, start, end - start)


def _table_nbytes(code: int, shape: Iterable[int]) -> int:
    """The bytes of an image's array as the table gives it: its dtype's code and shape (-1: no such axis)."""
    return math.prod(d for d in shape if d >= 0) * np.dtype(DTYPES[code]).itemsize


def in_memory(images: Iterable[tuple[int, ImageArrays]], count: int, identity: list[str], vocabulary: Vocabulary) -> FeatureFile:
    """A feature file built in memory: for catalogs given whole (tests, benches) rather than stored."""
    buffer = io.BytesIO()
    write(buffer, images, count, identity, vocabulary)
    return FeatureFile(buffer.getvalue())


def host_file(
    folder: Path,
    catalog: str,
    version: Hashable,
    identity: list[str],
    vocabulary: Vocabulary,
    images: Callable[[], Iterator[tuple[int, ImageArrays]]],
) -> FeatureFile:
    """The host's feature file of `catalog` (its store and tenant) as of `version` (its stamp):
    opened when a process of the host built it already, else built from `images` under a lock.
    Older files of the same catalog are removed (a process still reading one keeps it open)."""
    digest = hashlib.sha256(repr((catalog, version)).encode()).hexdigest()[:24]
    catalog = hashlib.sha256(catalog.encode()).hexdigest()[:12]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{catalog}-{digest}.features"
    with open(folder / f"{catalog}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if path.exists():
            try:
                found = FeatureFile(path)
                if found.identity == identity_digest(identity):
                    return found
            except (FeatureFileError, ValueError, KeyError):
                pass
        partial = path.with_suffix(f".{os.getpid()}.partial")
        try:
            with open(partial, "wb") as out:
                write(out, images(), len(identity), identity, vocabulary)
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
        for older in folder.glob(f"{catalog}-*.features"):
            if older != path:
                older.unlink(missing_ok=True)
    return FeatureFile(path)


class ArrayCache:
    """The arrays of the catalog images verified last, up to `size` images, for every tenant. An
    image let go is unmapped from the worker (`FeatureFile.let_go`), so that the pages it holds of
    the host's feature files stay about `size` images'."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._held: OrderedDict[tuple[int, int], tuple[FeatureFile, ImageArrays]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, file: FeatureFile, slot: int) -> ImageArrays:
        key = (file.key, slot)
        with self._lock:
            found = self._held.get(key)
            if found is not None:
                self._held.move_to_end(key)
                return found[1]
        arrays = file.arrays(slot)
        evicted = []
        with self._lock:
            self._held[key] = (file, arrays)
            while len(self._held) > self.size:
                (_, evicted_slot), (evicted_file, _) = self._held.popitem(last=False)
                evicted.append((evicted_file, evicted_slot))
        for evicted_file, evicted_slot in evicted:
            evicted_file.let_go(evicted_slot)
        return arrays

    def __len__(self) -> int:
        return len(self._held)
