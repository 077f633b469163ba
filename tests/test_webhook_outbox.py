"""The outbox: a webhook event is kept in the transaction of the record it announces, on SQLite and
PostgreSQL. A store failing while the event is written, or at the commit, leaves neither the record
nor its event; the request tried again keeps both, once."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from evidence_check.engine import Upload
from evidence_check.intake import build_claim
from evidence_check.service import decide, reverify_claim, verify_claim
from evidence_check.settings import Settings
from evidence_check.store import Store, StoreError
from evidence_check.store.challenge_tables import OutcomeRow
from evidence_check.store.database import request_key
from evidence_check.store.outcomes import DecidedBy
from evidence_check.store.tables import ReportRow
from evidence_check.store.webhook_tables import DeliveryRow
from evidence_check.store.webhooks import deliveries, set_webhook
from tests.webhook_receivers import FIXTURES, NOW, SECRET

AGENT = DecidedBy("api", "k1")

UNAVAILABLE = OperationalError("INSERT INTO webhook_deliveries", None, ConnectionError("the store went away"))


def _verify(store: Store, claim_id: str, request_keys: tuple[str, ...] = ()) -> dict[str, Any]:
    claim = build_claim(
        now=NOW,
        time_zone="UTC",
        ordered_at="2026-11-10",
        delivered_at="2026-11-14",
        claim_id=claim_id,
        tenant="acme",
    )
    photo = FIXTURES / "no_exif.jpg"
    uploads = [Upload(photo.name, photo.read_bytes())]
    return verify_claim(
        claim, uploads, settings=Settings(), store=store, now=NOW, request_keys=request_keys
    ).body


def _kept(store: Store) -> tuple[int, int, int]:
    """(reports, outcomes, deliveries) kept"""
    with store.sessions() as session:
        reports = session.scalar(select(func.count()).select_from(ReportRow)) or 0
        outcomes = session.scalar(select(func.count()).select_from(OutcomeRow)) or 0
    return reports, outcomes, len(deliveries(store, "acme").items)


@contextmanager
def _store_failing(when: str) -> Iterator[None]:
    """Meanwhile, a transaction that writes a delivery row fails as a store briefly unavailable does,
    at its flush (`"write"`) or at its commit (`"commit"`)."""

    def on_flush(session: Session, _context: object, _instances: object) -> None:
        if any(isinstance(row, DeliveryRow) for row in session.new):
            if when == "write":
                raise UNAVAILABLE
            session.info["delivery_written"] = True

    def on_commit(session: Session) -> None:
        if session.info.pop("delivery_written", False):
            raise UNAVAILABLE

    event.listen(Session, "before_flush", on_flush)
    event.listen(Session, "before_commit", on_commit)
    try:
        yield
    finally:
        event.remove(Session, "before_flush", on_flush)
        event.remove(Session, "before_commit", on_commit)


@pytest.mark.parametrize("when", ["write", "commit"])
def test_a_verify_whose_event_is_not_kept_is_not_recorded(store: Store, when: str) -> None:
    set_webhook(store, "acme", "http://127.0.0.1:9/hook", SECRET, lambda: NOW)
    with _store_failing(when), pytest.raises(StoreError):
        _verify(store, "c-1", (request_key("retry-1"),))
    assert _kept(store) == (0, 0, 0)


@pytest.mark.parametrize("when", ["write", "commit"])
def test_a_reverify_whose_event_is_not_kept_is_not_recorded(store: Store, when: str) -> None:
    set_webhook(store, "acme", "http://127.0.0.1:9/hook", SECRET, lambda: NOW)
    _verify(store, "c-1")
    with _store_failing(when), pytest.raises(StoreError):
        reverify_claim(store, "acme", "c-1", settings=Settings(), now=NOW)
    assert _kept(store) == (1, 0, 1)


@pytest.mark.parametrize("when", ["write", "commit"])
def test_an_outcome_whose_event_is_not_kept_is_not_recorded(store: Store, when: str) -> None:
    set_webhook(store, "acme", "http://127.0.0.1:9/hook", SECRET, lambda: NOW)
    _verify(store, "c-1")
    with _store_failing(when), pytest.raises(StoreError):
        decide(store, "acme", "c-1", "fraud", "same photo as c-0", by=AGENT)
    assert _kept(store) == (1, 0, 1)


def test_a_request_retried_after_a_failure_or_a_lost_answer_is_kept_and_announced_once(store: Store) -> None:
    set_webhook(store, "acme", "http://127.0.0.1:9/hook", SECRET, lambda: NOW)
    keys = (request_key("retry-1"),)
    with _store_failing("write"), pytest.raises(StoreError):
        _verify(store, "c-1", keys)
    assert _kept(store) == (0, 0, 0)
    first = _verify(store, "c-1", keys)  # the client's retry of the failed request
    again = _verify(store, "c-1", keys)  # and again, its answer lost on the way back
    assert again == first
    assert _kept(store) == (1, 0, 1)
    decide(store, "acme", "c-1", "genuine", None, by=AGENT)
    decide(store, "acme", "c-1", "genuine", None, by=AGENT)  # an outcome's retry: answered, not recorded again
    assert _kept(store) == (1, 1, 2)
    assert [d.event for d in deliveries(store, "acme").items] == ["claim.outcome", "claim.verified"]


def test_an_event_is_timed_as_its_record(store: Store) -> None:
    set_webhook(store, "acme", "http://127.0.0.1:9/hook", SECRET, lambda: NOW)
    _verify(store, "c-1")
    decided = decide(store, "acme", "c-1", "fraud", None, by=AGENT)
    outcome, verified = deliveries(store, "acme").items
    assert verified.created_at == NOW and outcome.created_at == decided.decided_at
