"""Store access of webhooks: a tenant's receiver, the events waiting for it, and the delivery log.

An event is a row before it is a request: a receiver that is down, slow or restarting loses
nothing, and every server process may deliver, each row to one of them (`claim_due`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, delete, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from evidence_check.store.claims import Page, decode_cursor, encode_cursor
from evidence_check.store.database import Store, StoreError, store_errors
from evidence_check.store.holds import held
from evidence_check.store.webhook_tables import DeliveryRow, WebhookRow


@dataclass(frozen=True)
class Webhook:
    tenant: str
    url: str
    secret: str
    set_at: datetime
    set_by_tenant: bool  # over the API with the tenant's key, rather than by the operator


@dataclass(frozen=True)
class Delivery:
    id: int
    tenant: str
    event: str
    payload: dict[str, Any]
    status: str
    attempts: int
    next_attempt_at: datetime
    last_status: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


def set_webhook(
    store: Store,
    tenant: str,
    url: str,
    secret: str,
    clock: Callable[[], datetime],
    *,
    set_by_tenant: bool = False,
) -> Webhook:
    """The tenant's receiver (one per tenant; setting it again replaces URL and secret), as stored.

    Settings of one tenant are stored one after the other, the tenant's receiver held meanwhile, and
    `clock` is read then, for its `set_at`: of PUTs arriving at once, the one stored last is the one with
    the latest `set_at`, and its secret is the one that signs (a time taken before the write let an
    earlier time win and an answer that looked newest hold a secret already replaced)."""
    for tries_left in (1, 0):
        try:
            with store.sessions.begin() as session:
                # Keys kept (url and secret change): events queued meanwhile hold the row FOR KEY SHARE, and a
                # PUT held FOR UPDATE waited for every verify of the tenant then committing.
                query = select(WebhookRow).where(WebhookRow.tenant == tenant)
                row = session.scalar(held(session, query, keys_kept=True))
                if row is None:
                    row = WebhookRow(tenant=tenant)
                    session.add(row)
                row.url, row.secret, row.set_by_tenant = url, secret, set_by_tenant
                row.created_at = clock()
                return _webhook(row)
        except IntegrityError:
            # Two PUTs of a tenant's first receiver at once (a client retrying one it thought lost):
            # the other inserted it after this read. Set over it, as one after the other would.
            if not tries_left:
                raise StoreError(f"could not set the webhook of {tenant}: IntegrityError") from None
        except SQLAlchemyError as exc:
            raise StoreError(f"could not set the webhook of {tenant}: {exc.__class__.__name__}") from None
    raise AssertionError("unreachable")


@store_errors("could not remove the webhook")
def remove_webhook(store: Store, tenant: str) -> bool:
    """Stop sending to the tenant; events not yet delivered are dropped with it."""
    with store.sessions.begin() as session:
        removed = cast(
            CursorResult[Any], session.execute(delete(WebhookRow).where(WebhookRow.tenant == tenant))
        ).rowcount
        _drop_pending(session, DeliveryRow.tenant == tenant)
    return bool(removed)


@store_errors("could not drop orphaned deliveries")
def drop_orphaned(store: Store) -> int:
    """End the deliveries left pending with no receiver, as its removal ends them; how many. A store
    from before `queue_events` held the receiver may have some (an event queued while its receiver was
    removed), which no pass would ever take: `claim_due` sends to a receiver."""
    orphaned = DeliveryRow.tenant.not_in(select(WebhookRow.tenant))
    with store.sessions() as session:
        if session.scalar(select(DeliveryRow.id).where(DeliveryRow.status == "pending", orphaned).limit(1)) is None:
            return 0  # each pass asks; only a store from before writes
    with store.sessions.begin() as session:
        return _drop_pending(session, orphaned)


def _drop_pending(session: Session, which: ColumnElement[bool]) -> int:
    """The one reason an operator reads for an event not sent because its receiver went."""
    return cast(
        CursorResult[Any],
        session.execute(
            update(DeliveryRow)
            .where(DeliveryRow.status == "pending", which)
            .values(status="failed", last_error="webhook removed")
            .execution_options(synchronize_session=False)
        ),
    ).rowcount


@store_errors("could not read the webhook")
def webhook_of(store: Store, tenant: str) -> Webhook | None:
    with store.sessions() as session:
        row = session.scalar(select(WebhookRow).where(WebhookRow.tenant == tenant))
    return _webhook(row) if row is not None else None


def _webhook(row: WebhookRow) -> Webhook:
    return Webhook(row.tenant, row.url, row.secret, _aware(row.created_at), bool(row.set_by_tenant))


@store_errors("could not claim due deliveries")
def claim_due(
    store: Store, now: datetime, lease: timedelta, limit: int = 20
) -> list[tuple[Delivery, Webhook]]:
    """Pending deliveries due by `now`, each leased to this caller for `lease`: another process that
    looks meanwhile does not send it too (the lease runs out if this one dies while sending)."""
    claimed: list[tuple[Delivery, Webhook]] = []
    with store.sessions.begin() as session:
        due = session.execute(
            select(DeliveryRow, WebhookRow)
            .join(WebhookRow, WebhookRow.tenant == DeliveryRow.tenant)
            .where(DeliveryRow.status == "pending", DeliveryRow.next_attempt_at <= now)
            .order_by(DeliveryRow.next_attempt_at, DeliveryRow.id)
            .limit(limit)
        ).all()
        for row, hook in due:
            taken = cast(
                CursorResult[Any],
                session.execute(
                    update(DeliveryRow)
                    .where(
                        DeliveryRow.id == row.id,
                        DeliveryRow.status == "pending",
                        DeliveryRow.next_attempt_at == row.next_attempt_at,
                    )
                    .values(next_attempt_at=now + lease)
                    .execution_options(synchronize_session=False)
                ),
            ).rowcount
            if taken == 1:
                claimed.append((_delivery(row), _webhook(hook)))
    return claimed


@store_errors("could not record the delivery attempt")
def mark_attempt(
    store: Store,
    delivery_id: int,
    when: datetime,
    *,
    delivered: bool,
    status: int | None,
    error: str | None,
    retry_at: datetime | None,
) -> None:
    """Record one attempt: delivered, to be tried again at `retry_at`, or failed for good (None)."""
    with store.sessions.begin() as session:
        row = session.get(DeliveryRow, delivery_id)
        if row is None:
            return
        row.attempts += 1
        row.last_status, row.last_error = status, (error[:500] if error else None)
        if delivered:
            row.status, row.delivered_at = "delivered", when
        elif retry_at is None:
            row.status = "failed"
        else:
            row.next_attempt_at = retry_at


@store_errors("could not list deliveries")
def deliveries(store: Store, tenant: str, limit: int = 50, cursor: str | None = None) -> Page[Delivery]:
    """One page of the tenant's deliveries, newest first: the log its operator and its developers
    read. Cut by the id of the last one shown, as claims are (`store.claims`), so an event kept while
    a client pages shows on the first page and moves no other. CursorInvalid for a foreign cursor."""
    query = select(DeliveryRow).where(DeliveryRow.tenant == tenant)
    if cursor is not None:
        query = query.where(DeliveryRow.id < decode_cursor(cursor))
    with store.sessions() as session:
        rows = session.scalars(query.order_by(DeliveryRow.id.desc()).limit(limit + 1)).all()
    items = [_delivery(row) for row in rows[:limit]]
    return Page(items, encode_cursor(items[-1].id) if len(rows) > limit else None)


def _delivery(row: DeliveryRow) -> Delivery:
    return Delivery(
        id=row.id,
        tenant=row.tenant,
        event=row.event,
        payload=dict(row.payload),
        status=row.status,
        attempts=row.attempts,
        next_attempt_at=_aware(row.next_attempt_at),
        last_status=row.last_status,
        last_error=row.last_error,
        created_at=_aware(row.created_at),
        delivered_at=_aware(row.delivered_at) if row.delivered_at else None,
    )


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
