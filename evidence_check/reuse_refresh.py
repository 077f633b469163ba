"""`evidence-check reuse refresh`: fingerprint rows stored by an earlier version brought to what
recording their photo today stores, from the photo's kept file.

The fingerprint changes between versions (the colour map in the features, the picture alone hashed
of a screenshot cut down to a review photo): rows stored before keep the earlier one until hashed
again. Only a kept file is hashed again — a claim photo's as received (`KEEP_PHOTO_FILES`), which a
listing, stock or review row of the same bytes shares by its image id. A row of a picture no claim
kept (the catalog and `stock add` keep features and a preview, not the file) is counted and left.

A picture is hashed once per run, whatever the number of its rows: a file a customer sent with 50
claims is one picture in 50 claim rows (and maybe a listing's), each compared and written apart.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any

from sqlalchemy import func, select, update

from evidence_check.imaging import fingerprint as fp
from evidence_check.imaging.load import Limits, PhotoError, load_photo
from evidence_check.references import stored_print
from evidence_check.reuse_rows import batches_by_id
from evidence_check.store import Store
from evidence_check.store.claim_files import file_of_image
from evidence_check.store.database import store_errors
from evidence_check.store.reuse_tables import FingerprintRow, StoredPrint

logger = logging.getLogger(__name__)

REFRESH_BATCH = 100  # rows read, hashed and then written in one short transaction
PROGRESS_EVERY = 2000  # rows between progress lines (about a minute's hashing on one core)


@dataclass
class Refreshed:
    """What `refresh_rows` did, by row."""

    refreshed: int = 0  # rewritten as today's code stores them
    new_codes: int = 0  # of those, the ones whose codes changed (not only the features)
    current: int = 0  # already what today's code stores
    no_file: int = 0  # no kept file of the picture: left as it is
    unreadable: int = 0  # a kept file that no longer loads (a limit lowered since) or hashes: left as it is
    changed: int = 0  # written by another process between read and write: left for the next run

    @property
    def looked_at(self) -> int:
        return self.refreshed + self.current + self.no_file + self.unreadable + self.changed


_ROWS = select(
    FingerprintRow.id,
    FingerprintRow.tenant,
    FingerprintRow.image_id,
    FingerprintRow.pdq,
    FingerprintRow.phash,
    FingerprintRow.quality,
    FingerprintRow.features,
).order_by(FingerprintRow.id)


@store_errors("could not count the fingerprint rows")
def count_rows(store: Store, tenant: str | None) -> int:
    query = select(func.count()).select_from(FingerprintRow)
    if tenant is not None:
        query = query.where(FingerprintRow.tenant == tenant)
    with store.engine.connect() as connection:
        return int(connection.execute(query).scalar_one())


@store_errors("could not refresh the fingerprints")
def refresh_rows(
    store: Store,
    tenant: str | None,
    limits: Limits,
    keep_features: bool,
    batch: int = REFRESH_BATCH,
    progress: Callable[[Refreshed], None] | None = None,
) -> Refreshed:
    """Hash each fingerprint row's picture again from its kept file, `batch` rows at a time in id
    order, and write what differs. A row is rewritten only while it is as it was read, so a run
    stopped midway leaves each row old or new, and running again finishes it.

    A picture first met in a batch is hashed once, and its later rows (the same tenant and image id)
    are compared and written then, `batch` at a time; the batches skip them when they come to them.

    Features are written only where the row has some and `keep_features` holds: features a
    deployment never kept, or `forget-features` dropped, stay gone; ones kept before the
    deployment stopped keeping them are forget-features' to drop, not this command's."""
    done, told = Refreshed(), 0
    done_ahead: set[int] = set()  # ids of rows written with their picture's first row, not reached yet
    for rows in batches_by_id(store, _ROWS, tenant, batch):
        last = rows[-1].id
        unreached = [row for row in rows if row.id not in done_ahead]
        done_ahead.difference_update(row.id for row in rows)
        todays = _hashed(store, unreached, limits, keep_features)
        for group in chain([unreached], _later_rows(store, todays, last, batch)):
            done_ahead.update(row.id for row in group if row.id > last)
            _write(store, _todays(group, todays, keep_features, done), done)
        if progress is not None and done.looked_at - told >= PROGRESS_EVERY:
            told = done.looked_at
            progress(done)
    return done


Picture = tuple[str, str]  # (tenant, image id): the rows of one kept file
NO_FILE, UNREADABLE = "no file", "unreadable"  # a picture not hashed, and why


def _hashed(
    store: Store, rows: Sequence[Any], limits: Limits, keep_features: bool
) -> dict[Picture, StoredPrint | str]:
    """What recording each of these rows' pictures stores today (features only when the deployment
    keeps them: they are computed apart), or why it cannot be known; each picture hashed once."""
    todays: dict[Picture, StoredPrint | str] = {}
    for row in rows:
        picture = (row.tenant, row.image_id)
        if picture in todays:
            continue
        # One file at a time: a batch's photos could be hundreds of megabytes.
        kept = file_of_image(store, row.tenant, row.image_id)
        if kept is None:
            todays[picture] = NO_FILE
            continue
        try:
            photo = load_photo(kept[1], kept[0], limits, image_id=row.image_id)
            todays[picture] = stored_print(fp.fingerprint(photo.working), keep_features)
        except PhotoError:
            todays[picture] = UNREADABLE
        except Exception as exc:  # a fault of one picture must not stop every run at its row
            logger.warning(
                "the rows of picture %s (from row %s) not refreshed: %s: %s", row.image_id, row.id, type(exc).__name__, exc
            )
            todays[picture] = UNREADABLE
    return todays


def _later_rows(store: Store, pictures: Iterable[Picture], after: int, batch: int) -> Iterator[Sequence[Any]]:
    """The rows of these pictures past row `after`, `batch` at a time in id order. Every row id of
    the pictures is read first, from the (tenant, image id) index alone, and those past `after`
    kept here: given the id bound too, SQLite chose the (tenant, id) index and read every later
    row of the tenant, for each batch."""
    by_tenant: dict[str, list[str]] = {}
    for tenant, image_id in pictures:
        by_tenant.setdefault(tenant, []).append(image_id)
    later: list[int] = []
    with store.engine.connect() as connection:
        for tenant, image_ids in by_tenant.items():
            ids = connection.execute(
                select(FingerprintRow.id).where(FingerprintRow.tenant == tenant, FingerprintRow.image_id.in_(image_ids))
            ).scalars()
            later += (row_id for row_id in ids if row_id > after)
    later.sort()
    for start in range(0, len(later), batch):
        with store.engine.connect() as connection:
            yield connection.execute(_ROWS.where(FingerprintRow.id.in_(later[start : start + batch]))).all()


def _write(store: Store, updates: Sequence[tuple[Any, StoredPrint]], done: Refreshed) -> None:
    """Each row as today's code stores it, in one short transaction; a row changed since it was read
    is left (counted `changed`)."""
    with store.engine.begin() as connection:
        for row, today in updates:
            written = connection.execute(
                update(FingerprintRow)
                .where(
                    FingerprintRow.id == row.id,
                    FingerprintRow.pdq == row.pdq,
                    FingerprintRow.phash == row.phash,
                    FingerprintRow.quality == row.quality,
                    FingerprintRow.features.is_(None)
                    if row.features is None
                    else FingerprintRow.features == row.features,
                )
                .values(pdq=today.pdq, phash=today.phash, quality=today.quality, features=today.features)
            ).rowcount
            if not written:
                done.changed += 1
                continue
            done.refreshed += 1
            if (today.pdq, today.phash) != (bytes(row.pdq), bytes(row.phash)):
                done.new_codes += 1


def _todays(
    rows: Sequence[Any], todays: dict[Picture, StoredPrint | str], keep_features: bool, done: Refreshed
) -> list[tuple[Any, StoredPrint]]:
    """(row, what recording its photo stores today) of the rows that differ; the others counted."""
    updates = []
    for row in rows:
        today = todays[row.tenant, row.image_id]
        if not isinstance(today, StoredPrint):
            if today == NO_FILE:
                done.no_file += 1
            else:
                done.unreadable += 1
            continue
        if not (keep_features and row.features is not None):
            today = StoredPrint(today.pdq, today.phash, today.quality, _bytes(row.features))
        as_read = StoredPrint(bytes(row.pdq), bytes(row.phash), row.quality, _bytes(row.features))
        if today == as_read:
            done.current += 1
        else:
            updates.append((row, today))
    return updates


def _bytes(blob: bytes | None) -> bytes | None:
    return None if blob is None else bytes(blob)
