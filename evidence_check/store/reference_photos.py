"""Store access of the stock and review photos the reuse look compares claims with: list, delete.

A deleted reference is gone for every process at once: the index of each process may still propose
it, but a candidate whose row is no longer in the store is passed over (`References.examine`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import SQLAlchemyError

from evidence_check.store.database import Store, StoreError
from evidence_check.store.reuse_tables import FingerprintRow

# A picture is one or the other, never both (`References.add_print`).
REFERENCE_KINDS = ("stock", "review")


@dataclass(frozen=True)
class ReferencePhoto:
    id: int
    kind: str  # stock | review
    reference_id: str
    image_id: str
    filename: str
    added_at: datetime


def list_reference_photos(
    store: Store, tenant: str, kind: str | None, limit: int, after_id: int | None = None
) -> list[ReferencePhoto]:
    """The tenant's reference photos newest first, `limit` of them after the row `after_id`."""
    query = select(FingerprintRow).where(FingerprintRow.tenant == tenant, FingerprintRow.kind.in_([kind] if kind else REFERENCE_KINDS))
    if after_id is not None:
        query = query.where(FingerprintRow.id < after_id)
    try:
        with store.sessions() as session:
            rows = session.scalars(query.order_by(FingerprintRow.id.desc()).limit(limit)).all()
    except SQLAlchemyError as exc:
        raise StoreError(f"could not list references: {exc.__class__.__name__}") from None
    return [
        ReferencePhoto(row.id, row.kind, row.ref_id, row.image_id, row.filename, _aware(row.first_seen))
        for row in rows
    ]


def delete_reference_photo(store: Store, tenant: str, image_id: str) -> int:
    """Forget a stock or review photo (every reference of the tenant with these bytes); how many."""
    try:
        with store.sessions.begin() as session:
            result = session.execute(
                delete(FingerprintRow).where(
                    FingerprintRow.tenant == tenant,
                    FingerprintRow.kind.in_(REFERENCE_KINDS),
                    FingerprintRow.image_id == image_id,
                )
            )
    except SQLAlchemyError as exc:
        raise StoreError(f"could not delete reference {image_id}: {exc.__class__.__name__}") from None
    return int(getattr(result, "rowcount", 0) or 0)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
