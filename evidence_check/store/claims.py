"""Reading claims back: a tenant's claims, newest first, filtered and paged; a claim's report history.

Pages are cut by a cursor, the position of the last claim a page showed (its row id, which only
grows): a claim recorded while a client pages through appears on the first page, never twice, and
never pushes another claim from one page onto the next.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, String, cast, func, or_, select
from sqlalchemy.exc import SQLAlchemyError

from evidence_check.storable import storable
from evidence_check.store.challenge_tables import OutcomeRow
from evidence_check.store.database import Store, StoreError
from evidence_check.store.outcomes import DecidedBy, public_decided_by
from evidence_check.store.tables import ClaimRow, PhotoRow, ReportRow

Item = TypeVar("Item")

MAX_PAGE = 100
VERDICTS = ("accept", "review", "reject")


class CursorInvalid(ValueError):
    """A cursor this store did not hand out; the message is one line."""


@dataclass(frozen=True)
class ClaimFilter:
    verdict: str | None = None  # of the claim's latest report
    customer_id: str | None = None
    sku: str | None = None
    order_id: str | None = None
    since: datetime | None = None  # the claim's first recording, inclusive
    until: datetime | None = None  # exclusive
    text: str | None = None  # a part of the claim id, customer id, order id or SKU, any case


@dataclass(frozen=True)
class ClaimSummary:
    claim_id: str
    customer_id: str | None
    sku: str | None
    order_id: str | None
    reason: str
    wanted: str | None
    created_at: datetime
    updated_at: datetime
    verdict: str
    risk: float
    report: dict[str, Any]  # the latest, as recorded
    photos: int
    reports: int
    outcome: str | None  # genuine | fraud once an agent decided
    decided_by: dict[str, str | None] | None  # who recorded that outcome (`outcomes.public_decided_by`)
    decision_id: int | None  # that outcome's id, what a client sends as `seen` to decide knowing it

    def to_dict(self) -> dict[str, Any]:
        """Its fields as JSON, without the report (a list shows a sentence of it, in its reader's language)."""
        summary = {name: value for name, value in vars(self).items() if name != "report"}
        return {**summary, "created_at": self.created_at.isoformat(), "updated_at": self.updated_at.isoformat()}


@dataclass(frozen=True)
class Page(Generic[Item]):
    """One page of a list cut by cursor, newest first: claims here, a tenant's webhook deliveries."""

    items: list[Item]
    next_cursor: str | None  # None on the last page


ClaimPage = Page[ClaimSummary]  # the name the console's pages know it by


def encode_cursor(row_id: int) -> str:
    return base64.urlsafe_b64encode(f"c{row_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The row id `encode_cursor` wrote into `cursor`; anything else it could not have written (a row
    id past the store's 64-bit ids, which PostgreSQL cannot compare with, or `int`'s other spellings:
    "1_0", " 7", other scripts' digits) is refused."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not text.startswith("c"):
            raise ValueError(text)
        row_id = int(text[1:])
    except (ValueError, binascii.Error, UnicodeDecodeError):
        row_id = 0
    if not 0 < row_id <= _LARGEST_ROW_ID or encode_cursor(row_id) != cursor:
        raise CursorInvalid("cursor: not one this server handed out; start again without it")
    return row_id


_LARGEST_ROW_ID = 2**63 - 1


def list_claims(
    store: Store, tenant: str, where: ClaimFilter, limit: int = 50, cursor: str | None = None
) -> ClaimPage:
    """One page of the tenant's claims, newest first; `next_cursor` is None on the last page."""
    limit = max(1, min(limit, MAX_PAGE))
    before = decode_cursor(cursor) if cursor is not None else None  # refused whatever the filters say
    asked = (where.customer_id, where.sku, where.order_id, where.text)
    if any(value is not None and not storable(value) for value in asked):
        # No claim holds such text, and PostgreSQL cannot compare with it: none matches, on both backends.
        return ClaimPage([], None)
    latest = (
        select(ReportRow.claim_pk, func.max(ReportRow.id).label("report_pk"), func.count().label("reports"))
        .group_by(ReportRow.claim_pk)
        .subquery()
    )
    photos = select(PhotoRow.claim_pk, func.count().label("photos")).group_by(PhotoRow.claim_pk).subquery()
    decided = (
        select(OutcomeRow.claim_id, func.max(OutcomeRow.id).label("outcome_pk"))
        .where(OutcomeRow.tenant == tenant)
        .group_by(OutcomeRow.claim_id)
        .subquery()
    )
    query: Select[Any] = (
        select(
            ClaimRow,
            ReportRow.verdict,
            ReportRow.risk,
            ReportRow.body,
            latest.c.reports,
            func.coalesce(photos.c.photos, 0),
            OutcomeRow.decision,
            OutcomeRow.decided_via,
            OutcomeRow.decided_key,
            OutcomeRow.id,
        )
        .join(latest, latest.c.claim_pk == ClaimRow.id)
        .join(ReportRow, ReportRow.id == latest.c.report_pk)
        .outerjoin(photos, photos.c.claim_pk == ClaimRow.id)
        .outerjoin(decided, decided.c.claim_id == ClaimRow.claim_id)
        .outerjoin(OutcomeRow, OutcomeRow.id == decided.c.outcome_pk)
        .where(ClaimRow.tenant == tenant)
    )
    query = _filtered(query, where)
    if before is not None:
        query = query.where(ClaimRow.id < before)
    query = query.order_by(ClaimRow.id.desc()).limit(limit + 1)
    try:
        with store.sessions() as session:
            rows = session.execute(query).all()
    except SQLAlchemyError as exc:
        raise StoreError(f"could not list claims: {exc.__class__.__name__}") from None
    items = [_summary(*row) for row in rows[:limit]]
    more = len(rows) > limit
    return ClaimPage(items, encode_cursor(rows[limit - 1][0].id) if more else None)


def report_history(store: Store, tenant: str, claim_id: str) -> list[dict[str, Any]] | None:
    """Every report of the claim, oldest first, as recorded; None when the tenant has no such claim."""
    try:
        with store.sessions() as session:
            claim_pk = session.scalar(
                select(ClaimRow.id).where(ClaimRow.tenant == tenant, ClaimRow.claim_id == claim_id)
            )
            if claim_pk is None:
                return None
            bodies = session.scalars(
                select(ReportRow.body).where(ReportRow.claim_pk == claim_pk).order_by(ReportRow.id)
            ).all()
    except SQLAlchemyError as exc:
        raise StoreError(f"could not read claim {claim_id}: {exc.__class__.__name__}") from None
    return [dict(body) for body in bodies]


def _filtered(query: Select[Any], where: ClaimFilter) -> Select[Any]:
    if where.verdict is not None:
        query = query.where(ReportRow.verdict == where.verdict)
    if where.customer_id is not None:
        query = query.where(ClaimRow.customer_id == where.customer_id)
    if where.sku is not None:
        query = query.where(ClaimRow.sku == where.sku)
    if where.order_id is not None:
        query = query.where(ClaimRow.order_id == where.order_id)
    if where.since is not None:
        query = query.where(ClaimRow.created_at >= _in_utc(where.since))
    if where.until is not None:
        query = query.where(ClaimRow.created_at < _in_utc(where.until))
    if where.text:
        # LIKE's own wildcards in the text are matched as themselves.
        escaped = where.text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        query = query.where(
            or_(
                *(
                    func.lower(cast(column, String)).like(pattern, escape="\\")
                    for column in (ClaimRow.claim_id, ClaimRow.customer_id, ClaimRow.order_id, ClaimRow.sku)
                )
            )
        )
    return query


def _summary(
    claim: ClaimRow,
    verdict: str,
    risk: float,
    body: dict[str, Any],
    reports: int,
    photos: int,
    outcome: str | None,
    decided_via: str | None,
    decided_key: str | None,
    decision_id: int | None,
) -> ClaimSummary:
    return ClaimSummary(
        claim_id=claim.claim_id,
        customer_id=claim.customer_id,
        sku=claim.sku,
        order_id=claim.order_id,
        reason=claim.reason,
        wanted=claim.wanted,
        created_at=_aware(claim.created_at),
        updated_at=_aware(claim.updated_at),
        verdict=verdict,
        risk=round(float(risk), 4),
        report=dict(body),
        photos=int(photos),
        reports=int(reports),
        outcome=outcome,
        decided_by=public_decided_by(DecidedBy(decided_via, decided_key)),
        decision_id=decision_id,
    )


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _in_utc(moment: datetime) -> datetime:
    """A bound compared with `created_at`, in UTC: SQLite keeps it as UTC text and compares text, so
    a bound written with its offset (2026-12-07T03:00+08:00, or the console's day in the agent's zone)
    was compared as if that wall time were UTC. A moment whose UTC falls outside datetime's years
    (0001-01-01T00:00+14:00) is its nearest end, which orders the same against every stored claim."""
    try:
        return _aware(moment).astimezone(UTC)
    except OverflowError:
        offset = moment.utcoffset()
        return (datetime.min if offset is not None and offset > timedelta(0) else datetime.max).replace(tzinfo=UTC)
