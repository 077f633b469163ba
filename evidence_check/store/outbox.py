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
    their ids (none without a receiver)."""
    if not events or session.scalar(select(WebhookRow.id).where(WebhookRow.tenant == tenant)) is None:
        return []
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
    return [int(row.id) for row in rows]
