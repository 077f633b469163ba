"""The pictures a photo is compared with for reuse, kept in the store and indexed in memory.

Three kinds of picture go in, each under a reference id, per tenant:

- ``claim``: every photo recorded with a claim (by `Store.record`, ref id = claim id);
- ``listing``: the shop's own catalog photos (ref id = SKU), added by the catalog with
  `add_reference(store, tenant, "listing", sku, photo)`;
- ``stock`` / ``review``: photos from stock libraries or other buyers' reviews (ref id = a name the
  merchant chose, by default the file name), added by ``evidence-check stock add``.

`References` keeps the `FingerprintIndex` in step with the store: it loads every fingerprint row at
start and, before each search and after each add, the rows written since (by this process or
another one sharing the store).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from evidence_check.imaging import fingerprint as fp
from evidence_check.imaging.load import Photo
from evidence_check.index import Candidate, Entry, FingerprintIndex
from evidence_check.store import Store, StoreError
from evidence_check.store.reuse_tables import FingerprintRow, StoredPrint, fingerprint_row

KINDS = ("claim", "listing", "stock", "review")

# --- tunables (measured by scripts/bench_reuse.py; see its table in the README) ---
MAX_CANDIDATES = 12  # verified per photo, closest first
# A candidate is the same picture when its keypoints fit one homography this well ...
MIN_INLIERS = 20
# ... and the query, warped by it, agrees with the reference's thumbnail over their overlap: another
# photo of the same product agrees on the product but not around it.
MIN_AGREEMENT = 0.8
MIN_OVERLAP = 0.3


@dataclass(frozen=True)
class Match:
    """An indexed picture confirmed to be the same picture as the photo looked up."""

    candidate: Candidate  # the indexed picture, the hash distances, how the photo is turned
    verification: fp.Verification

    @property
    def entry(self) -> Entry:
        return self.candidate.entry


def confirmed(verification: fp.Verification) -> bool:
    return (
        verification.inliers >= MIN_INLIERS
        and verification.agreement >= MIN_AGREEMENT
        and verification.overlap >= MIN_OVERLAP
    )


def stored_print(photo: Photo) -> StoredPrint:
    """What the store keeps of a photo for the reuse look."""
    print_ = fp.of_photo(photo)
    return StoredPrint(
        pdq=b"".join(print_.index_pdq()),
        phash=b"".join(print_.index_phash()),
        quality=print_.codes.quality,
        features=print_.features(0).to_bytes(),
    )


class References:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.index = FingerprintIndex()
        self._last_id = 0
        self._sync_lock = threading.Lock()
        self.sync()

    def sync(self) -> int:
        """Index the fingerprint rows written since the last sync; return how many."""
        with self._sync_lock:
            with self.store.sessions() as session:
                rows = session.execute(
                    select(
                        FingerprintRow.id,
                        FingerprintRow.tenant,
                        FingerprintRow.kind,
                        FingerprintRow.ref_id,
                        FingerprintRow.customer_id,
                        FingerprintRow.image_id,
                        FingerprintRow.first_seen,
                        FingerprintRow.pdq,
                        FingerprintRow.phash,
                    )
                    .where(FingerprintRow.id > self._last_id)
                    .order_by(FingerprintRow.id)
                ).all()
            by_tenant: dict[str, list[tuple[Entry, Sequence[bytes], Sequence[bytes]]]] = {}
            for row_id, tenant, kind, ref_id, customer_id, image_id, first_seen, pdq, phash in rows:
                entry = Entry(row_id, kind, ref_id, customer_id, image_id, _aware(first_seen))
                pdq_codes = [bytes(pdq[i : i + 32]) for i in range(0, len(pdq), 32)]
                phash_codes = [bytes(phash[i : i + 8]) for i in range(0, len(phash), 8)]
                by_tenant.setdefault(tenant, []).append((entry, pdq_codes, phash_codes))
                self._last_id = max(self._last_id, row_id)
            for tenant, items in by_tenant.items():
                self.index.add_many(tenant, items)
            return len(rows)

    def search(self, tenant: str, photo: Photo) -> list[Candidate]:
        self.sync()
        return self.index.search(tenant, fp.of_photo(photo).query_codes())

    def matches(self, tenant: str, photo: Photo) -> list[Match]:
        """Indexed pictures of `tenant` that this photo is a copy of, confirmed by keypoints."""
        return [m for m in self.examine(tenant, photo) if confirmed(m.verification)]

    def examine(self, tenant: str, photo: Photo) -> list[Match]:
        """The closest candidates of the index, each with its keypoint verification, confirmed or not."""
        print_ = fp.of_photo(photo)
        candidates = self.search(tenant, photo)[:MAX_CANDIDATES]
        references = self.features(c.entry.entry_id for c in candidates)
        return [
            Match(c, fp.verify(print_.features(c.variant), references[c.entry.entry_id]))
            for c in candidates
            if c.entry.entry_id in references
        ]

    def features(self, entry_ids: Iterable[int]) -> dict[int, fp.Features]:
        wanted = list(entry_ids)
        if not wanted:
            return {}
        with self.store.sessions() as session:
            rows = session.execute(
                select(FingerprintRow.id, FingerprintRow.features).where(FingerprintRow.id.in_(wanted))
            ).all()
        return {row_id: fp.Features.from_bytes(bytes(blob)) for row_id, blob in rows}

    def add(
        self,
        tenant: str,
        kind: str,
        ref_id: str,
        photo: Photo,
        when: datetime | None = None,
        customer_id: str | None = None,
    ) -> bool:
        """Store and index one picture; False when this ref id already holds these bytes."""
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
        stored = stored_print(photo)
        try:
            with self.store.sessions.begin() as session:
                known = session.scalar(
                    select(FingerprintRow.id).where(
                        FingerprintRow.tenant == tenant,
                        FingerprintRow.kind == kind,
                        FingerprintRow.ref_id == ref_id[:128],
                        FingerprintRow.image_id == photo.image_id,
                    )
                )
                if known is not None:
                    return False
                moment = when or datetime.now(UTC)
                session.add(
                    fingerprint_row(tenant, kind, ref_id, photo.image_id, photo.filename, moment, stored, customer_id)
                )
        except IntegrityError:
            return False  # the same picture added at the same moment by another process
        except SQLAlchemyError as exc:
            raise StoreError(f"could not add {photo.filename}: {str(exc).splitlines()[0][:200]}") from None
        self.sync()
        return True


_BY_STORE: weakref.WeakKeyDictionary[Store, References] = weakref.WeakKeyDictionary()
_BY_STORE_LOCK = threading.Lock()


def references_for(store: Store) -> References:
    """The one `References` of a store in this process, built from the store on first use."""
    with _BY_STORE_LOCK:
        found = _BY_STORE.get(store)
        if found is None:
            found = _BY_STORE[store] = References(store)
        return found


def add_reference(
    store: Store, tenant: str, kind: str, ref_id: str, photo: Photo, when: datetime | None = None
) -> bool:
    """Remember a listing (ref id = SKU), stock or review photo for the reuse look of `tenant`.

    Returns False when the same bytes were already added under this ref id.
    """
    return references_for(store).add(tenant, kind, ref_id, photo, when)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
