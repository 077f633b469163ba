"""`evidence-check reuse refresh`: fingerprint rows stored by an earlier version brought to what
recording their photo today stores, from the photo's kept file.

The fingerprint changes between versions (the colour map in the features, the picture alone hashed
of a screenshot cut down to a review photo): rows stored before keep the earlier one until hashed
again. Only a kept file is hashed again — a claim photo's as received (`KEEP_PHOTO_FILES`), which a
listing, stock or review row of the same bytes shares by its image id. A row of a picture no claim
kept (the catalog and `stock add` keep features and a preview, not the file) is counted and left.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
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

    Features are written only where the row has some and `keep_features` holds: features a
    deployment never kept, or `forget-features` dropped, stay gone; ones kept before the
    deployment stopped keeping them are forget-features' to drop, not this command's."""
    done, told = Refreshed(), 0
    for rows in batches_by_id(store, _ROWS, tenant, batch):
        updates = _todays(store, rows, limits, keep_features, done)
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
        if progress is not None and done.looked_at - told >= PROGRESS_EVERY:
            told = done.looked_at
            progress(done)
    return done


def _todays(
    store: Store, rows: Sequence[Any], limits: Limits, keep_features: bool, done: Refreshed
) -> list[tuple[Any, StoredPrint]]:
    """(row, what recording its photo stores today) of the rows that differ; the others counted."""
    updates = []
    for row in rows:
        # One file at a time: a batch's photos could be hundreds of megabytes.
        kept = file_of_image(store, row.tenant, row.image_id)
        if kept is None:
            done.no_file += 1
            continue
        with_features = keep_features and row.features is not None
        try:
            photo = load_photo(kept[1], kept[0], limits, image_id=row.image_id)
            today = stored_print(fp.fingerprint(photo.working), with_features)
        except PhotoError:
            done.unreadable += 1
            continue
        except Exception as exc:  # a fault of one picture must not stop every run at its row
            logger.warning("fingerprint row %s (%s) not refreshed: %s: %s", row.id, row.image_id, type(exc).__name__, exc)
            done.unreadable += 1
            continue
        if not with_features:
            today = StoredPrint(today.pdq, today.phash, today.quality, _bytes(row.features))
        as_read = StoredPrint(bytes(row.pdq), bytes(row.phash), row.quality, _bytes(row.features))
        if today == as_read:
            done.current += 1
        else:
            updates.append((row, today))
    return updates


def _bytes(blob: bytes | None) -> bytes | None:
    return None if blob is None else bytes(blob)
