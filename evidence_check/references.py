"""The pictures a photo is compared with for reuse, kept in the store and indexed in memory.

Three kinds of picture go in, each under a reference id, per tenant:

- ``claim``: every photo recorded with a claim (by `Store.record`, ref id = claim id);
- ``listing``: the shop's own catalog photos (ref id = SKU), added with the catalog's images
  (`References.add_print`, from the prints measured for the catalog);
- ``stock`` / ``review``: photos from stock libraries or other buyers' reviews (ref id = a name the
  merchant chose, by default the file name), added by ``evidence-check stock add``.

`References` keeps the `FingerprintIndex` in step with the store. At start it maps the host's reuse
file (`reuse_file.py`; the host's first process builds it from every fingerprint row), and then,
before each search and after each add, indexes in its own memory the rows written since (by this
process or another one sharing the store; `reuse_rows.Cursor` asks again for ids committed late).
Past `memory_rows` rows in memory, the process writes the file's next generation, which every
process of the host maps at its next sync. Without a host file (an in-memory store, a folder it
cannot write), every row is indexed in memory.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from sqlalchemy import Connection, Integer, bindparam, case, func, select, union, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from evidence_check.catalog.loading import feature_folder
from evidence_check.errors import WordedError
from evidence_check.imaging import fingerprint as fp
from evidence_check.imaging.load import Limits, Photo, PhotoError, load_photo
from evidence_check.imaging.preview import preview_jpeg
from evidence_check.index import Hit
from evidence_check.measure import Measurements
from evidence_check.reuse_file import Built, FingerprintIndex, HostFile, ReuseFile, anchor, generation
from evidence_check.reuse_rows import Cursor, build
from evidence_check.settings import Settings, get_settings
from evidence_check.store import Store, StoreError
from evidence_check.store.database import store_errors
from evidence_check.store.holds import held_name
from evidence_check.store.reference_photos import REFERENCE_KINDS
from evidence_check.store.reuse_tables import FingerprintRow, StoredPrint, fingerprint_row
from evidence_check.store.thumbnails import put_thumbnails

logger = logging.getLogger(__name__)
KINDS = ("claim", "listing", "stock", "review")

# --- tunables (measured by scripts/bench_reuse.py over ../shared/corpora; see the README) ---
THUMBNAILS_PER_WRITE = 200  # a large stock import holds this many at most in memory
MAX_CANDIDATES = 12  # verified per photo, closest first; but first the PER_OWNER closest of each owner
# The owners of the index's closest OWNERS_READ hits are read when there are more hits than
# candidates: a customer's near copies of one photo (resaved, each its own file) closer than another
# customer's, or than a listing photo, would fill the closest 12 otherwise. A claim's owner is its
# customer (all claims of no customer one owner); a listing, stock or review row's is its own SKU or
# reference: the catalog as one owner let two other SKUs' closer listings crowd out the SKU a crop
# was of (`closest_of_each_owner`).
PER_OWNER = 2
OWNERS_READ = 8 * MAX_CANDIDATES
# Rows holding the photo's very file looked at besides, those that decide first (`_IDENTICAL`): one
# file sent with a thousand claims must not cost a thousand keypoint checks.
MAX_IDENTICAL = 12
# A candidate is the same picture when one of these holds, strongest evidence first:
# 1. its PDQ code is this close (of 256 bits) and the photo is not nearly flat: copies stayed within
#    36 bits except crops and some screenshots, distinct photos never came closer than 44;
PDQ_SURE = 36
MIN_QUALITY = 50  # PDQ's quality figure; below it the picture is too flat for its hash alone
# 2. its PDQ code is within the lookup radius and keypoints agree closely: a homography with this
#    many inliers, this small a median error (pixels at FEATURE_SIZE) and aligned thumbnails this
#    correlated (shelf re-shots of one product reached 46 bits with 0.93 but an error of 0.68);
PDQ_NEAR = 47
NEAR_INLIERS = 20
NEAR_ERROR = 0.6
NEAR_AGREEMENT = 0.85
# 3. whatever the hashes say (crops are found by pHash), the aligned thumbnails agree as only
#    copies do: re-shots of one product and a studio template relabelled peaked at 0.94 — and their
#    colours agree place for place: another flavour of one carton template (God Morgon's orange and
#    red grapefruit, Tropicana's Smooth and Mandarin) reached 0.951-0.963 in grey, its juice, fruit
#    and name in another colour (`fp.COLOUR_APART`; docs/measurements/reuse.md).
FAR_INLIERS = 12
FAR_AGREEMENT = 0.95
FAR_COLOUR_APART = 0.08

# What a candidate without stored features gets: only the hash rule can confirm it.
UNVERIFIED = fp.Verification(0, 0, 0.0, 0.0, 0.0, 0.0, 0.0)

# Built once, as `reuse_rows`' selects are: built for each search through an ORM session, a select
# cost 1.4 ms CPU against 0.15 (SQLite).
_STORED = select(
    FingerprintRow.id,
    FingerprintRow.tenant,
    FingerprintRow.kind,
    FingerprintRow.ref_id,
    FingerprintRow.customer_id,
    FingerprintRow.image_id,
    FingerprintRow.first_seen,
    FingerprintRow.features,
    FingerprintRow.pdq,
    FingerprintRow.phash,
).where(FingerprintRow.id.in_(bindparam("ids", expanding=True)))
_OWNERS = select(FingerprintRow.id, FingerprintRow.kind, FingerprintRow.ref_id, FingerprintRow.customer_id).where(
    FingerprintRow.tenant == bindparam("tenant"), FingerprintRow.id.in_(bindparam("ids", expanding=True))
)
# The rows of the photo's very file that decide its verdict come first, whatever the file's other rows:
# this claim's own (it dates the photo), the earliest of each reference kind (a listing outranks
# everything), then the earliest claim of each customer (and of no customer), earliest first; the
# rest of the file's rows, earliest first, fill what is left. So a customer who resent the file in
# many claims hides no other customer, nor a listing added since. They are ranked among the file's
# earliest FILE_ROWS_READ rows (read earliest first from ix_fingerprints_tenant_image, no sort) and
# this claim's own row (by the unique constraint), about 3 ms however many rows the file has; ranking
# every row of the file reads and sorts them all, 0.2-0.6 s a photo for a file in 200,000 claims (a
# placeholder sent with every claim). So a flood of more than FILE_ROWS_READ claims of the file still
# hides a customer, listing, stock or review row first seen after it (docs/measurements/reuse.md). The partition is by
# customer before kind: by kind first, SQLite without statistics took the unique constraint's index
# (tenant, kind, …) for that order and read all the tenant's rows.
FILE_ROWS_READ = 1000
_FILE_COLUMNS = (FingerprintRow.id, FingerprintRow.kind, FingerprintRow.ref_id, FingerprintRow.customer_id, FingerprintRow.first_seen)
_THIS_FILE = (FingerprintRow.tenant == bindparam("tenant"), FingerprintRow.image_id == bindparam("image_id"))
_EARLIEST_OF_FILE = (
    select(*_FILE_COLUMNS)
    .where(*_THIS_FILE)
    .order_by(FingerprintRow.first_seen, FingerprintRow.id)
    .limit(bindparam("file_rows", type_=Integer))
    .subquery("earliest")
)
_FILE_ROWS = union(
    select(*_EARLIEST_OF_FILE.c),
    select(*_FILE_COLUMNS).where(*_THIS_FILE, FingerprintRow.kind == "claim", FingerprintRow.ref_id == bindparam("claim_id")),
).subquery("file_rows")
_FIRST_OF_ITS_OWNER = (
    func.row_number()
    .over(partition_by=(_FILE_ROWS.c.customer_id, _FILE_ROWS.c.kind), order_by=(_FILE_ROWS.c.first_seen, _FILE_ROWS.c.id))
    .label("first_of_its_owner")
)
_OWN_ROW = (_FILE_ROWS.c.kind == "claim") & (_FILE_ROWS.c.ref_id == bindparam("claim_id"))
_SAME_FILE = select(
    _FILE_ROWS.c.id, _FILE_ROWS.c.kind, _FILE_ROWS.c.first_seen, _OWN_ROW.label("own"), _FIRST_OF_ITS_OWNER
).subquery()
_DECIDING_FIRST = case(
    (_SAME_FILE.c.own, 0),
    ((_SAME_FILE.c.kind != "claim") & (_SAME_FILE.c.first_of_its_owner == 1), 0),
    (_SAME_FILE.c.first_of_its_owner == 1, 1),
    else_=2,
)
_IDENTICAL = (
    select(_SAME_FILE.c.id)
    .order_by(_DECIDING_FIRST, _SAME_FILE.c.first_seen, _SAME_FILE.c.id)
    .limit(MAX_IDENTICAL)
)


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
    pdq_distance: int
    phash_distance: int
    variant: int


@dataclass(frozen=True)
class Match:
    """An indexed picture confirmed to be the same picture as the photo looked up."""

    candidate: Candidate  # the indexed picture, the hash distances, how the photo is turned
    verification: fp.Verification
    keypoints: bool = True  # False: the picture's features were not kept; hashes alone decided
    # The indexed picture's file is the photo's byte for byte (one sha256): the same picture, whatever
    # its codes say — rows an older fingerprinting wrote drift from the codes computed now.
    identical: bool = False

    @property
    def entry(self) -> Entry:
        return self.candidate.entry

    def found(self, quality: int) -> bool:
        """Whether this is the same picture as the photo (`quality`: the photo's PDQ quality)."""
        return self.identical or confirmed(self.candidate, self.verification, quality)


def confirmed(candidate: Candidate, verification: fp.Verification, quality: int) -> bool:
    if candidate.pdq_distance <= PDQ_SURE and quality >= MIN_QUALITY:
        return True
    if (
        candidate.pdq_distance <= PDQ_NEAR
        and verification.inliers >= NEAR_INLIERS
        and verification.error <= NEAR_ERROR
        and verification.agreement >= NEAR_AGREEMENT
    ):
        return True
    return (
        verification.inliers >= FAR_INLIERS
        and verification.agreement >= FAR_AGREEMENT
        and verification.colour_apart <= FAR_COLOUR_APART
    )


def _exact(
    candidate: Candidate, codes: Sequence[fp.Codes], finders: Sequence[fp.Codes], pdq: bytes, phash: bytes
) -> tuple[Candidate, tuple[int, ...]]:
    """The candidate's distances to the photo's picture codes, and the ways the photo may be turned
    to verify it, likeliest first.

    The variant comes from PDQ when it found the picture, else from pHash (a crop). A finder's codes
    (`Fingerprint.finders`) find, never confirm; when the picture's PDQ is far, the variant nearest
    by a finder's PDQ is tried as well: a screenshot's picture is turned as its frame is, but a
    crop of a symmetric product on white (a milk carton) lies nearer its own mirror image by the
    backdrop's codes than by the crop codes that found it.
    """
    pdq_distances = _distances(b"".join(b"".join(c.pdq) for c in codes), pdq, 32)
    phash_distances = _distances(b"".join(b"".join(c.phash) for c in codes), phash, 8)
    pdq_best, phash_best = int(pdq_distances.min()), int(phash_distances.min())
    table = pdq_distances if pdq_best <= PDQ_NEAR else phash_distances
    variants = [_variant(table)]
    if finders and pdq_best > PDQ_NEAR:
        by_finder = _variant(_distances(b"".join(b"".join(c.pdq) for c in (*codes, *finders)), pdq, 32))
        if by_finder not in variants:
            variants.append(by_finder)
    exact = replace(candidate, pdq_distance=pdq_best, phash_distance=phash_best, variant=variants[0])
    return exact, tuple(variants)


def _variant(distances: np.ndarray) -> int:
    """The dihedral variant of the closest pair in a (query code x 8 variants, stored code) table."""
    return int(np.unravel_index(int(distances.argmin()), distances.shape)[0]) % 8


def _distances(queries: bytes, stored: bytes, size: int) -> np.ndarray:
    """Hamming distances, query codes x stored codes (a handful of each)."""
    a = np.frombuffer(queries, dtype=np.uint8).reshape(-1, 1, size)
    b = np.frombuffer(stored, dtype=np.uint8).reshape(1, -1, size)
    return np.unpackbits(a ^ b, axis=2).sum(axis=2)


StoredRows = dict[int, tuple[Entry, fp.Features | None, bytes, bytes]]


@store_errors("could not read the photo's candidates")
def candidate_rows(
    store: Store, tenant: str, image_id: str, hits: Sequence[Hit], claim_id: str | None = None
) -> tuple[list[Hit], StoredRows]:
    """`candidates_read` over a connection of its own."""
    with store.engine.connect() as connection:
        return candidates_read(connection, tenant, image_id, hits, claim_id)


def candidates_read(
    connection: Connection, tenant: str, image_id: str, hits: Sequence[Hit], claim_id: str | None = None
) -> tuple[list[Hit], StoredRows]:
    """The index's hits (closest first; at most MAX_CANDIDATES of them, `closest_of_each_owner`)
    and the fingerprint rows of `tenant` whose file has this sha256 (at most
    MAX_IDENTICAL, those that decide first: claim `claim_id`'s own, the earliest of each reference
    kind and of each customer among the file's earliest FILE_ROWS_READ rows; read from the store, so found before a sync indexes them), with
    what the store holds of each (`stored_rows`). Both selects share one connection: a checkout is
    a round trip or two of its own on PostgreSQL (the pool's ping, the reset when it is returned)."""
    same_file = connection.execute(
        _IDENTICAL, {"tenant": tenant, "image_id": image_id, "claim_id": claim_id, "file_rows": FILE_ROWS_READ}
    ).scalars()
    hits = closest_of_each_owner(connection, tenant, hits)
    hashed = {h.entry_id for h in hits}
    # Unfound by the hashes: distances as the index gives a code it did not find.
    found = [*hits, *(Hit(row_id, 256, 64, 0) for row_id in same_file if row_id not in hashed)]
    return found, stored_rows(connection, tenant, [h.entry_id for h in found])


def closest_of_each_owner(connection: Connection, tenant: str, hits: Sequence[Hit]) -> list[Hit]:
    """At most MAX_CANDIDATES of the index's hits (closest first), in their order: the PER_OWNER
    closest of each owner (a claim's customer; a reference's SKU or reference id) among the first
    OWNERS_READ, then the closest of the rest.
    With one owner, or no more hits than candidates, that is the closest MAX_CANDIDATES."""
    if len(hits) <= MAX_CANDIDATES:
        return list(hits)
    read = hits[:OWNERS_READ]
    owners = {
        row.id: (row.kind, row.customer_id if row.kind == "claim" else row.ref_id)
        for row in connection.execute(_OWNERS, {"tenant": tenant, "ids": [h.entry_id for h in read]})
    }
    taken: Counter[tuple[str, str | None]] = Counter()
    first: list[Hit] = []
    rest: list[Hit] = []
    for hit in read:
        owner = owners.get(hit.entry_id)
        if owner is None:  # another tenant's row, whatever an index said
            continue
        (first if taken[owner] < PER_OWNER and len(first) < MAX_CANDIDATES else rest).append(hit)
        taken[owner] += 1
    chosen = {h.entry_id for h in first + rest[: MAX_CANDIDATES - len(first)]}
    return [h for h in read if h.entry_id in chosen]


def stored_rows(connection: Connection, tenant: str, entry_ids: Sequence[int]) -> StoredRows:
    """What these fingerprint rows of `tenant` were, their features, PDQ codes and pHash codes (a row
    of another tenant is never returned, whatever an index said)."""
    if not entry_ids:
        return {}
    rows = connection.execute(_STORED, {"ids": list(entry_ids)}).all()
    return {
        row.id: (
            Entry(row.id, row.kind, row.ref_id, row.customer_id, row.image_id, _aware(row.first_seen)),
            None if row.features is None else fp.Features.from_bytes(bytes(row.features)),
            bytes(row.pdq),
            bytes(row.phash),
        )
        for row in rows
        if row.tenant == tenant
    }


def stored_print(print_: fp.Fingerprint, keep_features: bool = True) -> StoredPrint:
    """What the store keeps of a photo for the reuse look: its codes, and its features if allowed."""
    return StoredPrint(
        pdq=b"".join(print_.index_pdq()),
        phash=b"".join(print_.index_phash()),
        quality=print_.codes.quality,
        features=print_.features(0).to_bytes() if keep_features else None,
    )


def forget_features(store: Store, before: datetime, tenant: str | None = None) -> int:
    """Drop the keypoints and thumbnails of pictures first seen before `before`; return how many.

    The hashes stay: those pictures are still found, and confirmed by PDQ distance alone.
    """
    condition = (FingerprintRow.first_seen < before) & FingerprintRow.features.is_not(None)
    if tenant is not None:
        condition &= FingerprintRow.tenant == tenant
    try:
        with store.sessions.begin() as session:
            result = session.execute(update(FingerprintRow).where(condition).values(features=None))
    except SQLAlchemyError as exc:
        raise StoreError(f"could not forget features: {str(exc).splitlines()[0][:200]}") from None
    return int(getattr(result, "rowcount", 0) or 0)


class References:
    """The tenants' indexed pictures, in step with the store (see the module's docstring).

    `folder`: where the host's reuse file is kept (None: every row indexed in this process's memory);
    `memory_rows`: rows indexed in memory beyond the file before its next generation is written."""

    def __init__(
        self,
        store: Store,
        clock: Callable[[], float] = time.monotonic,
        folder: Path | None = None,
        memory_rows: int = 50_000,
    ) -> None:
        self.store = store
        self.index = FingerprintIndex()
        self._cursor = Cursor()
        self._clock = clock
        self._sync_lock = threading.Lock()
        self._memory_rows, self._bound, self._next_try = 0, memory_rows, memory_rows
        self._mapped: ReuseFile | None = None
        self._writing = False
        self._host: HostFile | None = None
        if folder is not None:
            try:
                self._host = HostFile(folder, store.url)
            except OSError as exc:
                logger.warning("reuse file not usable in %s (%s); indexing every photo in memory", folder, exc)
        self.sync()

    @store_errors("could not index the new photos")
    def sync(self, connection: Connection | None = None) -> int:
        """Index the fingerprint rows written since the last sync, and late ones; return how many.
        Maps the host file's newer generation first, if one was written. A failed read leaves the
        cursor where it was: the next sync asks for the same rows again.

        `connection`: one the caller goes on reading over (a lookup's); without, the read checks out
        its own. Either is checked out before the lock is taken: a look holds its connection while it
        waits for the lock, so a sync that checked out under the lock waited for the look's
        connection while the look waited for it, until the pool's timeout when the pool was spent."""
        with nullcontext(connection) if connection is not None else self.store.engine.connect() as reading:
            return self._synced(reading)

    def _synced(self, reading: Connection) -> int:
        with self._sync_lock:
            now = self._clock()
            if self._host is not None and self._host.changed(self._mapped.identity if self._mapped else None):
                self._remap(now, reading)
            (rows,) = self._cursor.newer(reading, now)
            for tenant, items in self._cursor.take(rows, now).items():
                self.index.add_many(tenant, items)
            self._memory_rows += len(rows)
            if self._host is not None and self._memory_rows > self._next_try and not self._writing:
                self._write_next_generation()
            return len(rows)

    def _remap(self, now: float, reading: Connection) -> None:
        """Map the host's current file (built first when there is none to trust) and index in memory
        only what is newer than it. Its reads are the sync's `reading`: a look's sync holds that
        connection, and one more checked out beside it waited for a spent pool to free one."""
        assert self._host is not None
        try:
            opened = self._host.open(lambda: build(self.store, self._clock), lambda built: self._trusted(built, reading))
        except OSError as exc:
            logger.warning("reuse file %s not usable (%s); indexing every photo in memory", self._host.path, exc)
            self._host, self._mapped, self._cursor = None, None, Cursor()
            self.index.replace({}, {})
            return
        self._cursor = Cursor.from_file(opened.built, now)
        (rows,) = self._cursor.newer(reading, now)
        self.index.replace(opened.built.tenants, self._cursor.take(rows, now))
        self._mapped, self._memory_rows, self._next_try = opened, len(rows), self._bound

    def _trusted(self, built: Built, connection: Connection) -> bool:
        """False for a file of rows the store does not have (a store emptied, filled again or
        restored under the same URL): its high-water row is not the file's."""
        if built.high_water == 0:
            return True
        pdq = connection.execute(select(FingerprintRow.pdq).where(FingerprintRow.id == built.high_water)).scalar()
        return pdq is not None and anchor(bytes(pdq)) == built.anchor

    def _write_next_generation(self) -> None:
        """In a thread: the mapped file and the rows in memory as the host's next file."""
        assert self._host is not None and self._mapped is not None
        host, mapped = self._host, self._mapped
        rows, high_water, anchored = self.index.in_memory(), self._cursor.last_id, self._cursor.anchored
        gaps = self._cursor.wall_gaps(self._clock())
        self._writing, self._next_try = True, self._memory_rows + max(1, self._bound // 10)

        def write() -> None:
            try:
                host.next_generation(mapped.identity, lambda: generation(mapped.built, rows, high_water, gaps, anchored))
            except Exception as exc:  # the last file stays in use and the rows in memory: nothing is lost
                logger.warning("could not write the reuse file's next generation (%s: %s)", type(exc).__name__, exc)
            finally:
                self._writing = False

        threading.Thread(target=write, name="reuse-file", daemon=True).start()

    @property
    def waiting_for(self) -> list[int]:
        """Row ids skipped over and still looked for on each sync."""
        with self._sync_lock:
            return sorted(self._cursor.gaps)

    def search(self, tenant: str, print_: fp.Fingerprint, connection: Connection | None = None) -> list[Hit]:
        self.sync(connection)
        return self.index.search(tenant, print_.query_codes())

    def matches(self, tenant: str, measured: Measurements, claim_id: str | None = None) -> list[Match]:
        """Indexed pictures of `tenant` that this photo is a copy of, confirmed by keypoints
        (`claim_id`: the claim the photo is sent with, whose own earlier row of it is always examined)."""
        quality = measured.fingerprint.codes.quality
        return [m for m in self.examine(tenant, measured, claim_id) if m.found(quality)]

    def examine(self, tenant: str, measured: Measurements, claim_id: str | None = None) -> list[Match]:
        """The closest candidates of the index, each with its keypoint verification, confirmed or not.

        The index finds candidates approximately; their distances are then measured exactly from
        the stored codes, over every dihedral variant of the photo and every stored code. The rows
        of the photo's very file are examined too, found by the hashes or not (`Match.identical`).
        """
        print_ = measured.fingerprint  # timed apart (reuse.hashes) when first measured
        image_id = measured.photo.image_id
        with measured.timed("reuse.lookup"):
            hits, stored = self._looked_up(tenant, image_id, print_, claim_id)
        found = []
        with measured.timed("reuse.verify"):
            for hit in hits:
                if hit.entry_id not in stored:
                    continue
                entry, features, pdq, phash = stored[hit.entry_id]
                candidate = Candidate(entry, hit.pdq_distance, hit.phash_distance, hit.variant)
                identical = entry.image_id == image_id
                variants: tuple[int, ...] = (candidate.variant,)
                exact = candidate
                if pdq and phash:  # a row of no codes is found by its file only
                    exact, variants = _exact(candidate, print_.picture_codes(), print_.finders, pdq, phash)
                if features is None:
                    found.append(Match(exact, UNVERIFIED, keypoints=False, identical=identical))
                    continue
                quality = print_.codes.quality
                tried = [
                    Match(replace(exact, variant=v), fp.verify(print_.features(v), features)) for v in variants
                ]
                if print_.product is not None and not any(
                    confirmed(m.candidate, m.verification, quality) for m in tried
                ):
                    # The product's own keypoints, when the whole frame's did not confirm (a
                    # packshot on a card, cut square from a screenshot): paid only then.
                    tried += [
                        Match(replace(exact, variant=v), fp.verify(print_.features(v, product=True), features))
                        for v in variants
                    ]
                best = max(tried, key=lambda m: (confirmed(m.candidate, m.verification, quality), m.verification.inliers))
                found.append(replace(best, identical=identical))
        return found

    @store_errors("could not read the photo's candidates")
    def _looked_up(
        self, tenant: str, image_id: str, print_: fp.Fingerprint, claim_id: str | None
    ) -> tuple[list[Hit], StoredRows]:
        """`candidates_read` of the index's hits, the sync before the search reading over the same
        connection: one checkout a photo, not two. Each select sees what it saw over a connection of
        its own: SQLite reads outside a transaction, and under PostgreSQL's READ COMMITTED a select
        sees what was committed when it started, not when the sync read."""
        with self.store.engine.connect() as connection:
            return candidates_read(connection, tenant, image_id, self.search(tenant, print_, connection), claim_id)

    def add(
        self,
        tenant: str,
        kind: str,
        ref_id: str,
        photo: Photo,
        when: datetime | None = None,
        customer_id: str | None = None,
        keep_features: bool = True,
    ) -> bool:
        """Store and index one picture; False when this ref id already holds these bytes."""
        stored = stored_print(fp.fingerprint(photo.working), keep_features)
        return self.add_print(tenant, kind, ref_id, photo.image_id, photo.filename, stored, when, customer_id)

    def add_print(
        self,
        tenant: str,
        kind: str,
        ref_id: str,
        image_id: str,
        filename: str,
        stored: StoredPrint,
        when: datetime | None = None,
        customer_id: str | None = None,
    ) -> bool:
        """`add` of a picture whose print was measured already (by a worker of a bulk import).

        One picture, one kind of reference: a stock photo the tenant already has as a review photo (under
        any name), or the reverse, is not stored again: `OtherKind` says which it is. So it is when both
        are added at once, by two processes too: the look and the insert hold the (tenant, picture)."""
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
        try:
            with self.store.sessions.begin() as session:
                if kind in REFERENCE_KINDS:
                    # Two adds of one picture at once (as both kinds, or twice under one name): the
                    # second waits here for the first and then finds its row.
                    held_name(session, "reference picture", tenant, image_id)
                    kept_as = session.execute(
                        select(FingerprintRow.kind, FingerprintRow.ref_id)
                        .where(
                            FingerprintRow.tenant == tenant,
                            FingerprintRow.kind.in_([other for other in REFERENCE_KINDS if other != kind]),
                            FingerprintRow.image_id == image_id,
                        )
                        .order_by(FingerprintRow.id)
                        .limit(1)
                    ).first()
                    if kept_as is not None:
                        raise OtherKind(filename, kept_as.kind, kept_as.ref_id, kind, image_id)
                known = session.scalar(
                    select(FingerprintRow.id).where(
                        FingerprintRow.tenant == tenant,
                        FingerprintRow.kind == kind,
                        FingerprintRow.ref_id == ref_id[:128],
                        FingerprintRow.image_id == image_id,
                    )
                )
                if known is not None:
                    return False
                moment = when or datetime.now(UTC)
                session.add(fingerprint_row(tenant, kind, ref_id, image_id, filename, moment, stored, customer_id))
        except IntegrityError:
            return False  # a listing photo added under the same SKU at the same moment by another process
        except SQLAlchemyError as exc:
            raise StoreError(f"could not add {filename}: {str(exc).splitlines()[0][:200]}") from None
        try:
            self.sync()
        except StoreError as exc:
            # The picture is stored: a retry would find it known, and the next sync indexes it.
            logger.warning("%s of %s stored as %s %s, not indexed yet: %s", filename, tenant, kind, ref_id, exc)
        return True


_KIND_WORDS = {"stock": WordedError("references.kind_stock"), "review": WordedError("references.kind_review")}


class OtherKind(WordedError):
    """The picture is a reference of the tenant's already, of the other kind (`kind`, as `reference_id`)."""

    def __init__(self, filename: str, kind: str, reference_id: str, wanted: str, image_id: str) -> None:
        super().__init__(
            "references.other_kind",
            filename=filename,
            kind=_KIND_WORDS.get(kind, kind),
            reference_id=reference_id,
            wanted=_KIND_WORDS.get(wanted, wanted),
            image_id=image_id,
        )
        self.filename, self.kind, self.reference_id = filename, kind, reference_id


_BY_STORE: weakref.WeakKeyDictionary[Store, References] = weakref.WeakKeyDictionary()
_BY_STORE_LOCK = threading.Lock()


def references_for(store: Store, settings: Settings | None = None) -> References:
    """The one `References` of a store in this process, on the host's reuse file, made on first use
    (`settings`: the first caller's; the environment's when none is given)."""
    with _BY_STORE_LOCK:
        found = _BY_STORE.get(store)
        if found is None:
            settings = settings or get_settings()
            folder = reuse_folder(store, settings)
            found = _BY_STORE[store] = References(store, folder=folder, memory_rows=settings.reuse_memory_rows)
        return found


def reuse_folder(store: Store, settings: Settings) -> Path | None:
    """Where the host keeps its reuse file: `REUSE_INDEX_DIR`, else where it keeps its catalogs'
    feature files; None for an in-memory store (no other process can share its rows)."""
    if store.engine.dialect.name == "sqlite" and store.file is None:
        return None
    return settings.reuse_index_dir or feature_folder(store, settings.catalog_feature_dir)


@dataclass(frozen=True)
class AddResult:
    added: int
    known: int  # under the same name, or as the other kind (each of those in `other_kind` too)
    skipped: tuple[tuple[str, WordedError], ...]  # (name, why)
    other_kind: tuple[OtherKind, ...] = ()


def add_references(
    store: Store,
    tenant: str,
    kind: str,
    items: Iterable[tuple[str, str, bytes | None, WordedError | None]],
    limits: Limits,
    when: datetime | None = None,
    progress: Callable[[int], None] | None = None,
    keep_features: bool = True,
) -> AddResult:
    """Add many stock or review pictures: items are (ref id, file name, bytes or None, why not read).

    An unreadable file is skipped with its reason and the rest still go in; the command line and
    the HTTP API both add references through here.
    """
    references = references_for(store)
    added = known = 0
    skipped: list[tuple[str, WordedError]] = []
    other_kind: list[OtherKind] = []
    pictures: dict[str, bytes] = {}  # thumbnails shown beside a photo found to be one of them
    for number, (ref_id, filename, data, unread) in enumerate(items, 1):
        try:
            if data is None:
                raise PhotoError("photo.not_read")
            photo = load_photo(data, filename, limits)
        except PhotoError as exc:
            skipped.append((ref_id, unread or exc))
        else:
            try:
                stored = references.add(tenant, kind, ref_id, photo, when, keep_features=keep_features)
            except OtherKind as exc:
                other_kind.append(exc)
                stored = False
            added, known = (added + 1, known) if stored else (added, known + 1)
            pictures[photo.image_id] = preview_jpeg(photo.working)
            if len(pictures) >= THUMBNAILS_PER_WRITE:
                put_thumbnails(store, tenant, pictures, when or datetime.now(UTC))
                pictures = {}
        if progress is not None:
            progress(number)
    put_thumbnails(store, tenant, pictures, when or datetime.now(UTC))
    return AddResult(added, known, tuple(skipped), tuple(other_kind))


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
