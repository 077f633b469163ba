"""`evidence-check catalog`: the shop's products and their images, against which photos are matched.

    evidence-check catalog add SKU IMAGE... [--name NAME] [--category CATEGORY] [--brand BRAND]
                                            [--family FAMILY] [--zones FILE]
    evidence-check catalog list
    evidence-check catalog remove SKU
    evidence-check catalog import MANIFEST.csv|MANIFEST.jsonl
    evidence-check catalog reindex

Every command takes `--tenant MERCHANT` (default "default"): the catalog of that merchant only,
the one its API key's claims are matched against.

Candidates for "is this another product?" are found through visual words. A catalog starts with a
generic vocabulary; `reindex` (run by every import that stores images) fits one to the catalog's own
images, which finds the right product among thousands far more often. Images added later get words
in that vocabulary at once; reindex again after large changes.

A manifest names one SKU per row (CSV columns ``sku,name,category,images``, optionally ``brand`` and
``family``; several images are separated by ``;``) or per line (JSONL objects with the same keys, ``images`` a list, and
optionally ``zones`` as in a zones file). Image paths are read relative to the manifest's folder.
Files that cannot be used are skipped, one line each.

Zones name the parts of a product on a catalog image, so that the location look can say "the
zipper" for a region marked on the photo: a JSON object ``{"zipper": [x, y, w, h]}`` in pixels of
the first image, or per image ``{"back.jpg": {"seam": [x, y, w, h]}, ...}`` keyed by file name.

The brand (the maker, "Arla") and family (a line of it whose packs share one design, "yoghurt 1 l")
tell the relevance look which SKUs are variants of one another; without a brand it takes the first
word of the name.
"""

from __future__ import annotations

import json
import math
import os
import signal
import sys
from collections import deque
from collections.abc import Collection, Generator, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import AbstractContextManager, ExitStack, closing
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Any

import click
import cv2
import typer

from evidence_check import strict_json
from evidence_check.catalog import parse_image_zones, valid_label
from evidence_check.catalog.labels import brand_key
from evidence_check.catalog.manifest import RowsRefused, manifest_kind, parse_manifest
from evidence_check.catalog.zones import ZonesInvalid
from evidence_check.cli.app import (
    DbOption,
    app,
    check_storable,
    check_tenant,
    fail,
    load_settings,
    note,
    open_store,
    opened_store,
    refuse_special_file,
    stored_name,
)
from evidence_check.engine import Upload, now_utc
from evidence_check.errors import NameGivenTwice, WordedError, error_text, parser_stopped
from evidence_check.imaging.features import Vocabulary
from evidence_check.imaging.load import Limits, PhotoError, read_file
from evidence_check.importing import checked_zones
from evidence_check.intake import valid_id
from evidence_check.service import (
    MeasuredUploads,
    catalog_vocabulary,
    died_measuring,
    joined_measurements,
    limits_from,
    measure_catalog_uploads,
    no_outline_text,
    reindex_catalog,
    store_catalog_sku,
)
from evidence_check.settings import Settings
from evidence_check.spawned import spawned_pool
from evidence_check.storable import padded, shown
from evidence_check.store import Store, StoreError
from evidence_check.store.catalog_store import (
    complete_image_ids,
    images_since_vocabulary,
    list_skus,
    remove_sku,
)
from evidence_check.store.thumbnails import thumbnail_ids
from evidence_check.widths import CATEGORY_WIDTH, NAME_WIDTH

catalog_app = typer.Typer(
    help="The catalog: SKUs and their images, computed once and matched against claim photos.",
    no_args_is_help=True,
)
app.add_typer(catalog_app, name="catalog")

# SKUs `catalog list` reads at a time: its memory is a page's, not the catalog's.
LIST_PAGE = 1000
RESUME = "what was imported is kept: run the same import again to finish it"

TenantOption = Annotated[str, typer.Option(help="the merchant whose catalog this is (as its API key's tenant)")]


@dataclass(frozen=True)
class Entry:
    sku: str
    name: str | None
    category: str | None
    images: list[Path]
    zones: Any = None  # as written in a zones file, parsed against the images by `_add`
    brand: str | None = None
    family: str | None = None
    where: str = ""  # a manifest's "line 3", "row 2"


@catalog_app.command("add")
def add(
    sku: Annotated[str, typer.Argument(help="the SKU, as orders name it")],
    images: Annotated[list[Path], typer.Argument(help="catalog images of the product", show_default=False, readable=False)],
    name: Annotated[str | None, typer.Option(help="product name, e.g. 'Bravo Apple Juice'")] = None,
    category: Annotated[str | None, typer.Option(help="category for claim windows, e.g. fresh_food")] = None,
    brand: Annotated[str | None, typer.Option(help="the maker, e.g. 'Arla' (default: the name's first word)")] = None,
    family: Annotated[
        str | None, typer.Option(help="a line of the brand whose packs share one design, e.g. 'yoghurt 1 l'")
    ] = None,
    zones: Annotated[
        Path | None,
        typer.Option(
            help='JSON file: {"zone": [x, y, w, h]} in pixels of the first image, '
            'or {"IMAGE-FILE-NAME": {"zone": [x, y, w, h]}, ...} per image'
        ),
    ] = None,
    tenant: TenantOption = "default",
    db: DbOption = None,
) -> None:
    """Add a SKU's images (or more images to a SKU); their features are computed now, once."""
    _check_sku(sku)
    check_tenant(tenant)
    brand, family = _label("brand", brand), _label("family", family)
    name, category = check_storable("name", name, NAME_WIDTH), check_storable("category", category, CATEGORY_WIDTH)
    entry = Entry(sku, name, category, images, brand=brand, family=family)
    if zones is not None:
        entry = Entry(sku, name, category, images, _read_zones(zones), brand, family)
        try:
            parse_image_zones(entry.zones, [path.name for path in images])
        except ValueError as exc:
            fail(error_text("catalog.zones_file_invalid", {"file": _zones_file(zones), "problem": exc}), 2)
    settings = load_settings()
    store = open_store(db or settings.db)
    try:
        added, total = _add(store, settings, tenant, entry)
    except ZonesInvalid as exc:
        fail(f"{sku}: zones: {exc}", 2)
    except StoreError as exc:
        fail(str(exc))
    finally:
        store.close()
    if added is None:
        fail(f"no image of {sku} could be used")
    print(f"{sku}: {added} image(s) added, {total - added} already there or skipped")


@catalog_app.command("list")
def list_(tenant: TenantOption = "default", db: DbOption = None) -> None:
    """List the SKUs with their image counts."""
    check_tenant(tenant)
    settings = load_settings()
    with opened_store(db, settings) as store:
        rows = list_skus(store, tenant, limit=LIST_PAGE)
        if not rows:
            print("the catalog is empty (add products with: evidence-check catalog add SKU IMAGE...)")
            return
        print(f"{'SKU':<32} {'images':>6} {'zones':>5}  {'category':<16} {'brand / family':<24} name")
        while rows:
            for row in rows:
                # Names stored before control characters were refused are printed, not obeyed.
                # Without a brand the relevance look takes the name's first word: shown in brackets,
                # so a merchant sees which SKUs it counts as variants of one line.
                derived = brand_key(None, row.name, row.sku)
                brand = row.brand or (f"({derived})" if derived else None)
                line = shown(" / ".join(label for label in (brand, row.family) if label) or "-")
                category, name = shown(row.category or "-"), shown(row.name or "-")
                sku = padded(shown(row.sku), 32)
                print(f"{sku} {row.images:>6} {row.zones:>5}  {padded(category, 16)} {padded(line, 24)} {name}")
            rows = list_skus(store, tenant, after=rows[-1].sku, limit=LIST_PAGE) if len(rows) == LIST_PAGE else []


@catalog_app.command("remove")
def remove(sku: Annotated[str, typer.Argument()], tenant: TenantOption = "default", db: DbOption = None) -> None:
    """Remove a SKU and all its images."""
    check_tenant(tenant)
    settings = load_settings()
    with opened_store(db, settings) as store:
        removed = remove_sku(store, tenant, sku)
    if not removed:
        fail(f"no SKU {sku!r} in the catalog")
    print(f"removed {sku}")


@catalog_app.command("import")
def import_(
    manifest: Annotated[Path, typer.Argument(help="CSV (sku,name,category,images) or JSONL", readable=False)],
    jobs: Annotated[
        int | None,
        typer.Option(
            min=1, help="processes measuring images at once (default: one per CPU this process may use)",
            show_default=False,
        ),
    ] = None,
    tenant: TenantOption = "default",
    db: DbOption = None,
) -> None:
    """Add many SKUs from a manifest, with a progress bar on stderr.

    Images the catalog already holds whole are not measured again: an import that stopped half
    way is resumed by running it again.
    """
    check_tenant(tenant)
    refuse_special_file(manifest, "manifest", 2)
    try:
        entries = list(_manifest(manifest))
    except OSError as exc:
        fail(f"cannot read {manifest}: {exc.strerror or exc}")
    except UnicodeDecodeError:  # Excel's "CSV (Comma delimited)" is the system's code page, not UTF-8
        fail(f"{manifest}: not UTF-8 text (from Excel, save it as CSV UTF-8)", 2)
    except ValueError as exc:
        fail(f"{manifest}: {exc}", 2)
    if not entries:
        fail(f"{manifest}: no SKU rows")
    settings = load_settings()
    _check_zones(manifest, entries, limits_from(settings))
    processes = min(jobs or usable_cpus(), len(entries))
    store = open_store(db or settings.db)
    skus = images = done = 0
    try:
        complete = complete_image_ids(store, tenant)
        pictured = thumbnail_ids(store, tenant)
        work = _Measuring(catalog_vocabulary(store, tenant), limits_from(settings), settings.reuse_keep_features)
        measured = closing(_measured_in_order(entries, complete, pictured, work, processes))
        # Off a terminal click would print the label alone, a line the import does not promise.
        bar = click.progressbar(
            length=len(entries), label="importing", file=sys.stderr, show_pos=True, hidden=not sys.stderr.isatty()
        )
        with measured as ordered, bar:
            for entry, uploads in ordered:
                added = _store(store, tenant, entry, uploads)
                if added is not None:
                    skus += 1
                    images += added
                done += 1
                bar.update(1)
    except ZonesInvalid as exc:  # by `_store`, only for a file changed on disk since `_check_zones` read it
        fail(f"{entry.sku}: zones: {exc}", 2)
    except StoreError as exc:
        fail(str(exc))
    except MeasuringDied as exc:
        fewer = " or fewer --jobs" if processes > 1 else ""
        fail(
            f"processes measuring images died again before any image was measured (out of memory?), measuring "
            f"{', '.join(exc.skus)}, after {done} of {len(entries)} SKU(s); with more free memory{fewer}, {RESUME}"
        )
    except KeyboardInterrupt:
        fail(f"interrupted after {done} of {len(entries)} SKU(s); {RESUME}", 130)
    finally:
        store.close()
    print(f"imported {skus} SKU(s), {images} new image(s) from {manifest}")
    if skus == 0:
        fail("no image in the manifest could be used")
    if images == 0 and _indexed(db or settings.db, tenant):
        # Nothing was stored since the vocabulary was fitted: refitting would change little and
        # takes minutes for a large catalog. An import stopped before its reindex left images
        # newer than the vocabulary, so running it again reindexes.
        print("no image newer than the catalog's vocabulary: not reindexed (catalog reindex refits it)")
        return
    _reindex(db or settings.db, tenant)


@catalog_app.command("reindex")
def reindex(tenant: TenantOption = "default", db: DbOption = None) -> None:
    """Fit the visual vocabulary to the catalog's own images (done after every import)."""
    check_tenant(tenant)
    _reindex(db or load_settings().db, tenant)


def _indexed(url: str, tenant: str) -> bool:
    store = open_store(url)
    try:
        return images_since_vocabulary(store, tenant) == 0
    finally:
        store.close()


def _reindex(url: str, tenant: str) -> None:
    store = open_store(url)
    try:
        count = reindex_catalog(store, tenant, now_utc())
    except ValueError as exc:
        fail(str(exc))
    except StoreError as exc:
        fail(str(exc))
    finally:
        store.close()
    print(f"reindexed {count} catalog image(s) with a vocabulary fitted to them")


def _add(store: Store, settings: Settings, tenant: str, entry: Entry) -> tuple[int | None, int]:
    """(images added or None when none was usable, images given); skipped files get one line each."""
    work = _Measuring(catalog_vocabulary(store, tenant), limits_from(settings), settings.reuse_keep_features)
    complete = complete_image_ids(store, tenant, entry.sku).get(entry.sku, set())
    uploads = work.measure(entry, complete, thumbnail_ids(store, tenant, complete))
    return _store(store, tenant, entry, uploads), len(entry.images)


def _store(store: Store, tenant: str, entry: Entry, uploads: MeasuredUploads) -> int | None:
    """Images added, or None when none was usable; skipped files get one line each.

    `ZonesInvalid` (a zone wholly outside its image) and `StoreError` are raised, not reported:
    the import's progress bar must end its line before the error is written."""
    zones = None if entry.zones is None else parse_image_zones(entry.zones, [p.name for p in entry.images])
    result = store_catalog_sku(
        store, tenant, entry.sku, uploads, name=entry.name, category=entry.category, zones=zones, now=now_utc(),
        brand=entry.brand, family=entry.family,
    )  # fmt: skip
    for filename, why in result.skipped:
        note(f"evidence-check: skipped {entry.sku} {filename}: {why}")
    for filename, share in result.without_outline:
        note(f"evidence-check: warning: {entry.sku} {no_outline_text(filename, share)}")
    return result.added if result.stored else None


@dataclass(frozen=True)
class _Measuring:
    """What measuring a catalog image needs; sent once to each worker process of an import."""

    vocabulary: Vocabulary | None
    limits: Limits
    keep_features: bool

    def measure(self, entry: Entry, complete: Collection[str], pictured: Collection[str]) -> MeasuredUploads:
        uploads = []
        for path in entry.images:
            try:
                uploads.append(Upload(stored_name(path.name), read_file(path, self.limits)))
            except PhotoError as exc:
                uploads.append(Upload(str(path), None, exc))
        return measure_catalog_uploads(uploads, self.vocabulary, self.limits, self.keep_features, complete, pictured)


_worker: _Measuring | None = None


def _start_worker(work: _Measuring, beside_others: bool) -> None:
    global _worker
    _worker = work
    if beside_others:  # one thread each: the processes keep every core busy; alone, OpenCV's own threads do
        cv2.setNumThreads(1)
    # Ctrl-C reaches the whole process group: the importing process stops the workers itself. The
    # worker was born with SIGINT blocked (`_submit`); one that came meanwhile is dropped here.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _measure_in_worker(entry: Entry, complete: frozenset[str], pictured: frozenset[str]) -> MeasuredUploads:
    assert _worker is not None
    return _worker.measure(entry, complete, pictured)


class MeasuringDied(Exception):
    """The import's measuring processes died twice with no image measured between: `skus` were in flight."""

    def __init__(self, skus: Sequence[str]) -> None:
        super().__init__(", ".join(skus))
        self.skus = list(skus)


def _measured_in_order(
    entries: Sequence[Entry], complete: dict[str, set[str]], pictured: set[str], work: _Measuring, jobs: int
) -> Generator[tuple[Entry, MeasuredUploads], None, None]:
    """Each entry with its measured images, in manifest order, measured by `jobs` processes.

    Measuring (SIFT and tilted views, ~0.6 s an image) is the import's cost; storing stays in this
    process, one SKU per transaction, so an interrupted import keeps every SKU it finished. At one
    job too the images are measured in a process of their own: a file that crashes the decoder there
    would end the import itself, with no line.

    A worker that dies (the OOM killer, a decoder's segfault) breaks the pool and every entry in
    flight with it. Those entries' images are measured again one at a time in a process of their own
    (`_MeasuringAlone`): an image whose process dies alone is given as skipped, naming its file, and
    the entry's other images as measured; the rest go on in a new pool. A pool that breaks again
    before any image was measured raises `MeasuringDied`.
    """

    def args(entry: Entry) -> tuple[Entry, frozenset[str], frozenset[str]]:
        done_before = frozenset(complete.get(entry.sku, ()))
        return entry, done_before, done_before & pictured

    left = deque(entries)
    measured_since_break = True
    while left:
        pending: deque[tuple[Entry, Future[MeasuredUploads]]] = deque()
        broken = False
        with _pool(jobs, work) as pool:
            while (left or pending) and not broken:
                try:
                    # A few entries ahead per process: each kept busy, few measured ones held in memory.
                    while left and len(pending) <= 4 * jobs:
                        pending.append((left[0], _submit(pool, *args(left[0]))))
                        left.popleft()
                    entry, future = pending[0]
                    uploads = future.result()
                except BrokenProcessPool:
                    broken = True
                    continue
                pending.popleft()
                measured_since_break = True
                yield entry, uploads
        if not broken:
            continue
        if not measured_since_break:
            raise MeasuringDied([entry.sku for entry, _ in pending] or [left[0].sku])
        measured_since_break = False
        with _MeasuringAlone(work) as alone:
            for entry, future in pending:
                if isinstance(future.exception(), BrokenProcessPool):
                    uploads = alone.image_by_image(*args(entry))
                else:  # measured before the break
                    uploads = future.result()
                measured_since_break = measured_since_break or bool(uploads.measured or uploads.complete)
                yield entry, uploads


class _MeasuringAlone:
    """One measuring process at a time, started when needed and again after each one that dies."""

    def __init__(self, work: _Measuring) -> None:
        self._work = work
        self._pools = ExitStack()
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> _MeasuringAlone:
        return self

    def __exit__(self, *exc: Any) -> None:
        self._pools.__exit__(*exc)

    def image_by_image(self, entry: Entry, complete: frozenset[str], pictured: frozenset[str]) -> MeasuredUploads:
        """The entry's images each measured alone: one whose process dies is skipped, named by its
        file, and the others measured as `_Measuring.measure` measures them together."""
        parts = []
        for path in entry.images:
            alone = replace(entry, images=[path])
            if self._pool is None:
                self._pool = self._pools.enter_context(_pool(1, self._work))
            try:
                parts.append(_submit(self._pool, alone, complete, pictured).result())
            except BrokenProcessPool:
                self._pools.close()
                self._pool = None
                parts.append(died_measuring(str(path)))
        return joined_measurements(parts, self._work.vocabulary)


def _pool(jobs: int, work: _Measuring) -> AbstractContextManager[ProcessPoolExecutor]:
    return spawned_pool(jobs, _start_worker, (work, jobs > 1))


def _submit(pool: ProcessPoolExecutor, *args: Any) -> Future[MeasuredUploads]:
    """`pool.submit` of one entry, SIGINT held back meanwhile: a submit may start a worker, which
    inherits the blocked signal and so cannot be interrupted while it imports its modules (~1 s),
    before `_start_worker` ignores it. Unblocked, a Ctrl-C then printed the worker's traceback
    beside the import's line. A Ctrl-C held back reaches this process as soon as the submit returns."""
    if not hasattr(signal, "pthread_sigmask"):  # not on POSIX
        return pool.submit(_measure_in_worker, *args)
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        return pool.submit(_measure_in_worker, *args)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def usable_cpus(cgroup: Path = Path("/sys/fs/cgroup")) -> int:
    """The CPUs this process may use: its affinity, capped by a container's CPU quota.

    `docker run --cpus 2` on a 64-core host leaves all 64 in the affinity; a worker each would hold
    64 copies of OpenCV and the vocabulary in memory for the time of two cores.
    """
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    quota = _cgroup_quota(cgroup)
    return max(1, min(cpus, math.ceil(quota))) if quota else cpus


def _cgroup_quota(cgroup: Path) -> float | None:
    """CPUs' worth of time the cgroup may use (v2 `cpu.max`, else v1 `cpu.cfs_*`); None: no limit."""
    try:
        limit, every = (cgroup / "cpu.max").read_text().split()[:2]
        return None if limit == "max" else int(limit) / int(every)
    except (OSError, ValueError):
        pass
    try:
        quota = int((cgroup / "cpu" / "cpu.cfs_quota_us").read_text())
        period = int((cgroup / "cpu" / "cpu.cfs_period_us").read_text())
    except (OSError, ValueError):
        return None
    return quota / period if quota > 0 and period > 0 else None


def _manifest(path: Path) -> Iterator[Entry]:
    kind = manifest_kind(path.name)
    folder = path.parent
    with path.open(encoding="utf-8", newline="") as handle:
        for row in parse_manifest(handle, kind):
            images = [Path(image) if Path(image).is_absolute() else folder / image for image in row.images]
            yield Entry(row.sku, row.name, row.category, images, row.zones, row.brand, row.family, str(row.where))


def _check_zones(manifest: Path, entries: Sequence[Entry], limits: Limits) -> None:
    """Exit 2 for a row's zones that are not boxes on its images or lie wholly off them, before any
    row is stored (as `POST /v1/catalog/import` refuses them), where the rows before it were kept."""

    def read(name: str) -> tuple[bytes | None, PhotoError | None]:
        try:
            return read_file(Path(name), limits), None
        except PhotoError as exc:
            return None, exc

    problems = []
    for entry in entries:
        try:
            checked_zones(entry.zones, [str(path) for path in entry.images], read, limits)
        except ValueError as exc:
            problems.append(ValueError(error_text("catalog_import.row_zones", {"row": entry.where, "sku": entry.sku, "problem": exc})))
    if problems:  # every row's, as for malformed rows
        fail(f"{manifest}: {RowsRefused(problems)}", 2)


def _label(key: str, value: str | None) -> str | None:
    try:
        return valid_label(key, value)
    except ValueError as exc:
        fail(str(exc), 2)


def _check_sku(sku: str) -> None:
    if not valid_id(sku):
        fail(error_text("intake.bad_id", {"field": "sku", "value": sku}), 2)


def _zones_file(path: Path) -> WordedError:
    return WordedError("catalog.zones_file", path=str(path))


def _read_zones(path: Path) -> Any:
    refuse_special_file(path, "zones file", 2)
    try:
        return strict_json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        fail(error_text("catalog.zones_file_unreadable", {"file": _zones_file(path), "problem": exc.strerror or exc}), 2)
    except strict_json.NameTwice as exc:
        fail(str(NameGivenTwice(_zones_file(path), exc.name)), 2)
    except json.JSONDecodeError as exc:
        stopped = parser_stopped(exc, named="line")
        fail(error_text("catalog.zones_file_not_json", {"file": _zones_file(path), "problem": stopped}), 2)
