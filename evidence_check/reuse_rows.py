"""The store's fingerprint rows read in id order, as the reuse index takes them.

Rows are found by id, and ids are not committed in order: another process may take id 41, this one
42 and commit first. So a `Cursor` remembers an id skipped over as a gap and asks for it again on
each read until its row appears, or for `GAP_SECONDS` (a rolled-back insert leaves a PostgreSQL
sequence gap that never fills). `build` reads every row into the tenants' indexes of a host's
reuse file, with the gaps it saw.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import Connection, Select, bindparam, select, update

from evidence_check.imaging import fingerprint as fp
from evidence_check.imaging.load import Limits, PhotoError, load_photo
from evidence_check.index import TenantIndex
from evidence_check.reuse_file import Built, Items, anchor
from evidence_check.store import Store
from evidence_check.store.claim_files import file_of_image
from evidence_check.store.database import store_errors
from evidence_check.store.reuse_tables import FingerprintRow

# How long a skipped row id is looked for: far longer than a recording transaction lasts.
GAP_SECONDS = 600.0
MAX_GAPS = 10_000  # the oldest are given up first; a mass rollback must not slow every sync
BUILD_BATCH = 50_000  # rows read at a time when the host's file is built
# Codes in one sorted run of the host file's first build: the builder holds one run's index (about
# 200 bytes a code, 144 MB traced at 2**19) rather than every row's (3.7 GB at 10 M photos).
RUN_CODES = 1 << 19

# Built once: a search syncs with the store, and building these selects each time through an ORM
# session cost 1.4 ms CPU per query against 0.15 (SQLite, nothing new).
_ROW_CODES = select(FingerprintRow.id, FingerprintRow.tenant, FingerprintRow.pdq, FingerprintRow.phash)
_NEWER = _ROW_CODES.where(FingerprintRow.id > bindparam("last")).order_by(FingerprintRow.id)
_WITH_GAPS = _ROW_CODES.where(
    (FingerprintRow.id > bindparam("last")) | FingerprintRow.id.in_(bindparam("gaps", expanding=True))
).order_by(FingerprintRow.id)


class Cursor:
    """How far a reader of the fingerprint rows got: the highest row id seen, and the ids skipped
    below it that are still looked for -> when first missed (on the reader's clock)."""

    def __init__(self, last_id: int = 0, gaps: dict[int, float] | None = None, anchored: str = "") -> None:
        self.last_id = last_id
        self.gaps = dict(gaps or {})
        self._anchored, self._last_pdq = anchored, b""  # the last row's (`reuse_file.anchor`)

    def newer(self, connection: Connection, now: float, batch: int | None = None) -> Iterable[Sequence[Any]]:
        """The rows after `last_id` and the gaps' that arrived (gaps older than GAP_SECONDS dropped),
        in batches of `batch` rows (all in one without)."""
        self.gaps = {i: t for i, t in self.gaps.items() if now - t <= GAP_SECONDS}
        if batch is not None:
            connection = connection.execution_options(yield_per=batch)
        if self.gaps:
            result = connection.execute(_WITH_GAPS, {"last": self.last_id, "gaps": list(self.gaps)})
        else:
            result = connection.execute(_NEWER, {"last": self.last_id})
        return result.partitions() if batch is not None else [result.all()]

    def take(self, rows: Sequence[Any], now: float) -> dict[str, Items]:
        """Rows by tenant as `TenantIndex.add_many` takes them, the cursor moved past them."""
        by_tenant: dict[str, list[tuple[int, Sequence[bytes], Sequence[bytes]]]] = {}
        for row_id, tenant, pdq, phash in rows:
            self.seen(row_id, now, pdq)
            pdq_codes = [bytes(pdq[i : i + 32]) for i in range(0, len(pdq), 32)]
            phash_codes = [bytes(phash[i : i + 8]) for i in range(0, len(phash), 8)]
            by_tenant.setdefault(tenant, []).append((row_id, pdq_codes, phash_codes))
        self.trim()
        return dict(by_tenant)

    def seen(self, row_id: int, now: float, pdq: bytes) -> None:
        if row_id > self.last_id:
            skipped = range(max(self.last_id + 1, row_id - MAX_GAPS), row_id)
            self.gaps.update(dict.fromkeys(skipped, now))
            self.last_id, self._last_pdq = row_id, pdq
        else:
            self.gaps.pop(row_id, None)

    def trim(self) -> None:
        if len(self.gaps) > MAX_GAPS:
            self.gaps = dict(sorted(self.gaps.items(), key=lambda item: item[1])[-MAX_GAPS:])

    def wall_gaps(self, now: float) -> dict[int, float]:
        """The gaps as seconds since the epoch (how a reuse file keeps them)."""
        wall = time.time()
        return {i: wall - (now - t) for i, t in self.gaps.items()}

    @property
    def anchored(self) -> str:
        """`reuse_file.anchor` of the last row's PDQ codes."""
        if self._last_pdq:
            self._anchored, self._last_pdq = anchor(bytes(self._last_pdq)), b""
        return self._anchored

    @classmethod
    def from_file(cls, built: Built, now: float) -> Cursor:
        """Where a reader of the rows newer than a reuse file starts, on the reader's clock."""
        wall = time.time()
        return cls(built.high_water, {i: now - (wall - t) for i, t in built.gaps.items()}, built.anchor)


def build(store: Store, clock: Callable[[], float] = time.monotonic) -> Iterator[Built]:
    """Every fingerprint row of the store, in id order, as sorted runs: the rows of about
    `RUN_CODES` codes at a time (whole rows) in their tenants' indexes (sealed), and how far the rows
    were read; the last run's high water, anchor and gaps are the store's (an empty store: one empty
    run). The host's file is merged from the runs (`HostFile._build`)."""
    cursor, now = Cursor(), clock()
    found: dict[str, tuple[list[int], bytearray, bytearray]] = {}
    codes = 0
    with store.engine.connect() as connection:
        for rows in cursor.newer(connection, now, BUILD_BATCH):
            for row_id, tenant, pdq, phash in rows:
                cursor.seen(row_id, now, pdq)
                if len(pdq) % 32 or len(phash) % 8 or len(pdq) // 32 != len(phash) // 8:
                    raise ValueError(f"fingerprint row {row_id} does not hold one pHash code per PDQ code")
                owners, pdq_codes, phash_codes = found.setdefault(tenant, ([], bytearray(), bytearray()))
                owners.extend([row_id] * (len(pdq) // 32))
                pdq_codes += pdq
                phash_codes += phash
                codes += len(pdq) // 32
                if codes >= RUN_CODES:
                    yield _run(found, cursor, now)
                    found, codes = {}, 0
    if found or not cursor.last_id:
        yield _run(found, cursor, now)


def _run(found: dict[str, tuple[list[int], bytearray, bytearray]], cursor: Cursor, now: float) -> Built:
    cursor.trim()
    tenants = {
        tenant: TenantIndex().extended(
            np.array(owners, np.int64), np.frombuffer(pdq, np.uint8), np.frombuffer(phash, np.uint8)
        )
        for tenant, (owners, pdq, phash) in found.items()
    }
    return Built(tenants, cursor.last_id, cursor.wall_gaps(now), cursor.anchored)


# Where a row keeps its middle crop code: after the picture's code and the 90 % crops' (`CROPS`).
MIDDLE_AT = len(fp.CROPS)
# A row's code at MIDDLE_AT this near the middle code computed now (pHash bits, or PDQ bits) is the
# middle code. Of 318 corpus photos (damaged-packages, exif-camera-jpegs, product-matching), the code
# hashed from the kept 128-px thumbnail lay within 8 pHash bits of the exact one for 316 and within
# 64 PDQ bits for all but one (116, a 640x63 picture); in the rows of the earlier layout, the code at
# MIDDLE_AT (a framing of the whole picture) lay 10 pHash and 80 PDQ bits or more from it (145 rows
# that had one; docs/measurements/reuse.md).
SAME_MIDDLE_PHASH = 8
SAME_MIDDLE_PDQ = 64
# A thumbnail narrower than pHash's 32x32 grid is not hashed: its middle code is noise (that picture's).
MIN_THUMB_SIDE = 32
BACKFILL_BATCH = 200  # rows rewritten in one transaction


@dataclass
class Backfilled:
    """What `backfill_middle` did, by row."""

    exact: int = 0  # the middle code hashed from the photo's kept file
    approximate: int = 0  # from the kept grey thumbnail
    skipped: int = 0  # neither a file nor a thumbnail (one wide enough) kept to tell or compute it
    complete: int = 0  # had the middle code already
    # Fewer codes than the picture's and the nine crops' (or PDQ and pHash counts apart): not a
    # layout this tells, and a code put in one would be put in again by every run.
    unknown_layout: int = 0


@store_errors("could not add the middle crop code")
def backfill_middle(
    store: Store, tenant: str | None, limits: Limits, batch: int = BACKFILL_BATCH
) -> Backfilled:
    """Give the middle crop code to the fingerprint rows recorded before it (eleven codes for twelve),
    `batch` rows per transaction in id order. Each row is rewritten whole by one statement that
    holds only while its codes are the ones read, so a run stopped midway leaves every row of the
    one layout or the other, and running again finishes it."""
    done = Backfilled()
    for rows in batches_by_id(store, _BACKFILL_ROWS, tenant, batch):
        updates = _middle_codes(store, rows, limits, done)
        with store.engine.begin() as connection:
            for row_id, old_pdq, new_pdq, new_phash, exact in updates:
                written = connection.execute(
                    update(FingerprintRow)
                    .where(FingerprintRow.id == row_id, FingerprintRow.pdq == old_pdq)
                    .values(pdq=new_pdq, phash=new_phash)
                ).rowcount
                if not written:  # another run rewrote it since it was read
                    done.complete += 1
                elif exact:
                    done.exact += 1
                else:
                    done.approximate += 1
    return done


def batches_by_id(store: Store, rows: Select[*tuple[Any, ...]], tenant: str | None, batch: int) -> Iterator[Sequence[Any]]:
    """The fingerprint rows `rows` selects (of `tenant`, or all), `batch` at a time in id order, each
    batch read in a connection of its own: a command rewriting them may be stopped and run again,
    and rows added meanwhile come in their turn."""
    last = 0
    while True:
        query = rows.where(FingerprintRow.id > last)
        if tenant is not None:
            query = query.where(FingerprintRow.tenant == tenant)
        with store.engine.connect() as connection:
            found = connection.execute(query.limit(batch)).all()
        if not found:
            return
        last = found[-1].id
        yield found


_BACKFILL_ROWS = select(
    FingerprintRow.id,
    FingerprintRow.tenant,
    FingerprintRow.image_id,
    FingerprintRow.filename,
    FingerprintRow.pdq,
    FingerprintRow.phash,
    FingerprintRow.features,
).order_by(FingerprintRow.id)


def _middle_codes(
    store: Store, rows: Sequence[Any], limits: Limits, done: Backfilled
) -> list[tuple[int, bytes, bytes, bytes, bool]]:
    """(row id, its PDQ codes as read, its codes with the middle one, whether exact) of the rows
    lacking it; the others counted in `done`."""
    undecided = []
    for row in rows:
        codes = len(row.pdq) // 32
        if codes < MIDDLE_AT or len(row.pdq) != 32 * codes or len(row.phash) != 8 * codes:
            done.unknown_layout += 1
            continue
        thumb = _thumbnail(row.features)
        near = fp.middle_codes(thumb) if thumb is not None and min(thumb.shape) >= MIN_THUMB_SIDE else None
        if near is not None and _holds(row, near):
            done.complete += 1
        else:
            undecided.append((row, near))
    updates = []
    for row, near in undecided:
        # One file at a time: a batch's claim photos could be hundreds of megabytes.
        exact = _from_file(file_of_image(store, row.tenant, row.image_id), limits)
        middle = exact or near
        if middle is None:
            done.skipped += 1
        elif exact is not None and _holds(row, exact):
            done.complete += 1
        else:
            pdq, phash = bytes(row.pdq), bytes(row.phash)
            updates.append(
                (
                    row.id,
                    pdq,
                    pdq[: 32 * MIDDLE_AT] + middle[0] + pdq[32 * MIDDLE_AT :],
                    phash[: 8 * MIDDLE_AT] + middle[1] + phash[8 * MIDDLE_AT :],
                    exact is not None,
                )
            )
    return updates


def _thumbnail(features: bytes | None) -> np.ndarray | None:
    """The kept grey thumbnail; None without features, or of a damaged blob (the file may do)."""
    if features is None:
        return None
    try:
        return fp.Features.from_bytes(bytes(features)).thumb
    except ValueError:
        return None


def _from_file(kept: tuple[str, bytes] | None, limits: Limits) -> tuple[bytes, bytes] | None:
    """The middle code of a kept photo file, as recording it hashed it; None without one that loads."""
    if kept is None:
        return None
    try:
        photo = load_photo(kept[1], kept[0], limits)
    except PhotoError:
        return None
    return fp.middle_codes(fp.fingerprint(photo.working).grey)


def _holds(row: Any, middle: tuple[bytes, bytes]) -> bool:
    """Whether a row's codes hold this middle code at its place (see SAME_MIDDLE_PHASH)."""
    pdq, phash = bytes(row.pdq[32 * MIDDLE_AT :][:32]), bytes(row.phash[8 * MIDDLE_AT :][:8])
    if len(phash) < 8:
        return False
    return (
        _bits(phash, middle[1]) <= SAME_MIDDLE_PHASH or _bits(pdq, middle[0]) <= SAME_MIDDLE_PDQ
    )


def _bits(a: bytes, b: bytes) -> int:
    return (int.from_bytes(a) ^ int.from_bytes(b)).bit_count()
