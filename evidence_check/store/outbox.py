"""The outbox: a webhook event is written as a delivery row in the very transaction that records
what it is about (a report, an outcome), so the two are kept together or not at all. An event
queued afterwards, in a transaction of its own, was lost for good when that one failed or the
process died between the two, and the request's retry replayed the stored answer without it.

Only the delivery row is written here; `evidence_check.webhooks` sends it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence_check.store.holds import held_from_removal
from evidence_check.store.webhook_tables import DeliveryRow, WebhookRow

EVENTS = ("claim.verified", "claim.outcome", "challenge.passed")


@dataclass(frozen=True)
class Event:
    name: str  # one of EVENTS
    data: dict[str, Any]

    def __post_init__(self) -> None:
        if self.name not in EVENTS:
            raise ValueError(f"unknown webhook event {self.name!r}")


def queue_events(session: Session, tenant: str, events: Sequence[Event], when: datetime) -> list[int]:
    """Add the events' delivery rows to `session`'s transaction when the tenant has a receiver;
    their ids (none without a receiver).

    The receiver is asked again once the rows are written, and held (see `_receiver_held`) until the
    transaction ends: a receiver removed meanwhile (`remove_webhook`) either is gone by then, and the
    rows are taken back, or waits for this transaction, and its removal then drops the rows with the
    others pending. Asked only before, a removal between the two, or before this commit, left rows
    pending with no receiver to send them to, for ever."""
    if not events or session.scalar(select(WebhookRow.id).where(WebhookRow.tenant == tenant)) is None:
        return []  # the common case, a tenant with no receiver, writes nothing
    rows = [
        DeliveryRow(
            tenant=tenant,
            event=event.name,
            payload=event.data,
            status="pending",
            attempts=0,
            next_attempt_at=when,
            created_at=when,
        )
        for event in events
    ]
    session.add_all(rows)
    session.flush()
    if not _receiver_held(session, tenant):
        for row in rows:
            session.delete(row)
        session.flush()
        return []
    return [int(row.id) for row in rows]


def _receiver_held(session: Session, tenant: str) -> bool:
    """Whether the tenant has a receiver, which no other transaction can remove before this one ends
    (`held_from_removal`): events of one tenant queued at once do not wait for each other, nor for a
    PUT replacing the receiver's URL and secret (`set_webhook`); a removal, a DELETE, waits for them all."""
    query = select(WebhookRow.id).where(WebhookRow.tenant == tenant)
    return session.scalar(held_from_removal(session, query)) is not None
