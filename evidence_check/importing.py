"""A catalog manifest imported in one process, as the HTTP API receives it (an archive of manifest
and images), with the command line's semantics (`evidence-check catalog import`):

- a malformed row, or zones that are not boxes on the row's images (or lie wholly outside them),
  refuses the whole manifest before anything is stored (`RowsRefused`: one line naming every such
  row, up to `SHOWN_ROWS`);
- each row is stored in its own transaction, so an interrupted import keeps what it finished and
  the same import run again finishes it: images a SKU holds whole already are not measured again;
- a SKU that exists gets the images it does not have yet (its name and category replaced when
  given); a file that cannot be used is skipped with its reason, and the rest of the row still go in;
- afterwards the catalog's vocabulary is fitted again when images were added (or it has none).

The images are measured in a spawned process of the import's own (`MeasuringProcess`), not in the
server's: a file that crashes the decoder there ends that process, not the server, and is skipped
with its reason (`photo.measuring_died`), the row's other images stored. `DEATHS_IN_A_ROW` such
files in a row, none measured between, stop the import (`MeasuringStoppedError`), the rows before kept.

`NothingUsable` when no row had an image that could be used: nothing was stored then.
"""

from __future__ import annotations

import posixpath
import signal
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import cv2

from evidence_check.catalog import parse_image_zones
from evidence_check.catalog.manifest import ManifestEntry, RowsRefused
from evidence_check.catalog.zones import bound_zones
from evidence_check.engine import Upload
from evidence_check.errors import WordedError
from evidence_check.imaging.features import Vocabulary
from evidence_check.imaging.load import Limits, PhotoError, load_photo
from evidence_check.service import (
    MeasuredUploads,
    catalog_vocabulary,
    died_measuring,
    joined_measurements,
    limits_from,
    measure_catalog_uploads,
    reindex_catalog,
    store_catalog_sku,
)
from evidence_check.settings import Settings
from evidence_check.spawned import spawned_pool
from evidence_check.store import Store
from evidence_check.store.catalog_store import complete_image_ids, images_since_vocabulary
from evidence_check.store.thumbnails import thumbnail_ids

ReadImage = Callable[[str], tuple[bytes | None, WordedError | None]]  # name in the manifest -> bytes, or why not


@dataclass(frozen=True)
class RowResult:
    where: WordedError | str  # the manifest's "line 3" / "row 2", in the reader's language
    sku: str
    added: int  # new images stored
    known: int  # images the SKU held already
    skipped: tuple[tuple[str, WordedError], ...]  # (image as named, why) of files that could not be used
    # (image as named, outline share) of images stored without a product outline (`CatalogAddition`)
    without_outline: tuple[tuple[str, float], ...] = ()

    @property
    def stored(self) -> bool:
        # Not `CatalogAddition.stored`: a row naming only images an earlier row of the same import
        # stored added nothing and knew nothing, and the answer has always called it not stored.
        return bool(self.added or self.known)


@dataclass(frozen=True)
class ImportResult:
    rows: tuple[RowResult, ...]
    reindexed: int | None  # images reindexed with a vocabulary fitted to them; None: not refitted


class NothingUsable(WordedError, ValueError):
    """No image of the manifest could be used; the message names the first reason."""


class MeasuringStoppedError(WordedError, ValueError):
    """`DEATHS_IN_A_ROW` images' measuring processes died in a row: the rows before were stored."""


class RowZonesInvalid(WordedError, ValueError):
    """A row's zones cannot be stored; the message names the row, its SKU and the zone."""


def import_catalog(
    store: Store,
    tenant: str,
    entries: Sequence[ManifestEntry],
    read_image: ReadImage,
    *,
    settings: Settings,
    now: datetime,
    reindex: bool = True,
) -> ImportResult:
    limits = limits_from(settings)
    zones, problems = [], []
    for entry in entries:
        try:
            zones.append(_zones(entry, read_image, limits))
        except RowZonesInvalid as exc:
            problems.append(exc)
    if problems:  # every row's, as for malformed rows
        raise RowsRefused(problems)
    complete = complete_image_ids(store, tenant)
    pictured = thumbnail_ids(store, tenant)
    vocabulary = catalog_vocabulary(store, tenant)
    rows = []
    stored_here: dict[str, set[str]] = {}  # SKU -> image ids this import's earlier rows measured and stored
    with MeasuringProcess(vocabulary, limits, settings.reuse_keep_features) as measuring:
        for entry, entry_zones in zip(entries, zones, strict=True):
            uploads, named = [], {}
            for name in entry.images:
                data, why = read_image(name)
                filename = posixpath.basename(name) or name
                named[filename] = name
                uploads.append(Upload(filename, data, why))
            done_before = complete.get(entry.sku, set())
            try:
                measured = measuring.measure(uploads, done_before, done_before & pictured)
            except DiedInARow as exc:
                raise MeasuringStoppedError(
                    "catalog_import.measuring_died", row=entry.where, sku=entry.sku, deaths=DEATHS_IN_A_ROW,
                    image=named.get(str(exc), str(exc)),
                ) from None  # fmt: skip
            added = store_catalog_sku(
                store, tenant, entry.sku, measured, name=entry.name, category=entry.category, zones=entry_zones, now=now,
                brand=entry.brand, family=entry.family,
            )  # fmt: skip
            if added.switched:  # a reindex overtook the import: the next rows measured in its vocabulary
                measuring.switch_to(added.vocabulary)
            skipped = tuple((named.get(filename, filename), why) for filename, why in added.skipped)
            without_outline = tuple((named.get(filename, filename), share) for filename, share in added.without_outline)
            # Measured as new but found stored by put_sku: by another import or add at the same time (20 of
            # one archive at once: those that lost the race added nothing and knew nothing, and when no row
            # was stored their answer was 422 "no image could be used"), or by this import's earlier row.
            # By ids, not counts: an image an earlier row stored and this one added again (the SKU deleted
            # between the two) was counted known -1.
            measured_ids = {m.image.image_id for m in measured.measured}
            earlier = stored_here.setdefault(entry.sku, set())
            held_by_others = measured_ids - added.added_ids - earlier
            earlier |= measured_ids
            known = len(measured.complete) + len(held_by_others)
            rows.append(RowResult(entry.where, entry.sku, added.added, known, skipped, without_outline))
    if not any(row.stored for row in rows):
        first = next((row for row in rows if row.skipped), None)
        if first is None:
            raise NothingUsable("catalog_import.nothing_usable")
        image, problem = first.skipped[0]
        raise NothingUsable("catalog_import.nothing_usable_because", sku=first.sku, image=image, problem=problem)
    reindexed = None
    if reindex and (any(row.added for row in rows) or images_since_vocabulary(store, tenant) is None):
        reindexed = reindex_catalog(store, tenant, now)
    return ImportResult(tuple(rows), reindexed)


def _zones(entry: ManifestEntry, read_image: ReadImage, limits: Limits) -> dict[str, dict[str, list[int]]] | None:
    try:
        return checked_zones(entry.zones, entry.images, read_image, limits)
    except ValueError as exc:
        raise RowZonesInvalid("catalog_import.row_zones", row=entry.where, sku=entry.sku, problem=exc) from None


def checked_zones(
    zones: Any, images: Sequence[str], read_image: ReadImage, limits: Limits
) -> dict[str, dict[str, list[int]]] | None:
    """A row's zones (None: it has none), checked against its images' sizes before any row is
    stored; `ValueError` saying what is wrong. An image that carries zones is opened here once
    more (a reduced decode), the others are not."""
    if zones is None:
        return None
    filenames = [posixpath.basename(name) or name for name in images]
    parsed = parse_image_zones(zones, filenames)  # refuses zones for a name two images share
    names = dict(zip(filenames, images, strict=True))
    sizes = {}
    for filename in parsed:
        data, _why = read_image(names[filename])
        try:
            photo = load_photo(data, filename, limits) if data else None
        except PhotoError:
            photo = None  # skipped when the row is stored, with its reason
        if photo is not None:
            sizes[filename] = (photo.width, photo.height)
    return bound_zones(parsed, sizes)


# Images whose process died alone, one after another with none measured between, that stop the import:
# an archive of a thousand files that each kill the decoder held the analysis gate for a thousand
# process starts (two a row: the row's, then its image's alone), out of memory as many.
DEATHS_IN_A_ROW = 3


class DiedInARow(Exception):
    """`DEATHS_IN_A_ROW` images' processes died in a row: the last one's file."""


class MeasuringProcess:
    """Rows' images measured in a spawned process of the import's own, started when first needed and
    again after one dies. A row whose process dies is measured again image by image, each alone: the
    image whose process dies alone is skipped (`photo.measuring_died`), the row's others measured."""

    def __init__(self, vocabulary: Vocabulary | None, limits: Limits, keep_features: bool) -> None:
        self._held = (vocabulary, limits, keep_features)
        self._pools = ExitStack()
        self._pool: ProcessPoolExecutor | None = None
        self._deaths_in_a_row = 0  # images whose process died alone, none measured since

    def __enter__(self) -> MeasuringProcess:
        return self

    def __exit__(self, *exc: Any) -> None:
        self._pools.__exit__(*exc)

    def switch_to(self, vocabulary: Vocabulary | None) -> None:
        """The next rows measured in `vocabulary` (a reindex overtook the import), by a new process."""
        self._held = (vocabulary, *self._held[1:])
        self._stopped()

    def measure(self, uploads: Sequence[Upload], complete: Collection[str], pictured: Collection[str]) -> MeasuredUploads:
        try:
            return self._progress(self._measured(uploads, complete, pictured))
        except BrokenProcessPool:
            self._stopped()
        parts = []
        for upload in uploads:
            try:
                parts.append(self._progress(self._measured([upload], complete, pictured)))
            except BrokenProcessPool:
                self._stopped()
                self._deaths_in_a_row += 1
                if self._deaths_in_a_row >= DEATHS_IN_A_ROW:
                    raise DiedInARow(upload.filename) from None
                parts.append(died_measuring(upload.filename))
        return joined_measurements(parts, self._held[0])

    def _progress(self, measured: MeasuredUploads) -> MeasuredUploads:
        if measured.measured or measured.complete:
            self._deaths_in_a_row = 0
        return measured

    def _measured(self, uploads: Sequence[Upload], complete: Collection[str], pictured: Collection[str]) -> MeasuredUploads:
        if self._pool is None:
            self._pool = self._pools.enter_context(spawned_pool(1, _start_measuring, self._held))
        return self._pool.submit(_measure_here, list(uploads), frozenset(complete), frozenset(pictured)).result()

    def _stopped(self) -> None:
        self._pools.close()
        self._pool = None


_held: tuple[Vocabulary | None, Limits, bool] | None = None  # a measuring process's vocabulary, limits, keep_features


def _start_measuring(vocabulary: Vocabulary | None, limits: Limits, keep_features: bool) -> None:
    global _held
    _held = (vocabulary, limits, keep_features)
    # One thread, as the server's own (api/app.py): an import holds one place of the analysis gate.
    cv2.setNumThreads(1)
    # A Ctrl-C to the server's process group: the server stops this process itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _measure_here(uploads: list[Upload], complete: frozenset[str], pictured: frozenset[str]) -> MeasuredUploads:
    assert _held is not None
    return measure_catalog_uploads(uploads, *_held, complete, pictured)
