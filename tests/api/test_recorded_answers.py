"""A claim the store recorded is answered with its report, whatever fails after the record: the
store gone between the record and the reuse index's sync is a warning, not a 503 or a 500 a client
without an Idempotency-Key would answer by sending the claim again (and recording it twice). The
index catches up at its next sync. Reads after a first read the store answered give the same 503 as
the first. On SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from api.observe import JsonLines
from api.web import routes
from evidence_check.imaging.fingerprint import fingerprint
from evidence_check.imaging.load import Limits, load_photo
from evidence_check.references import references_for
from evidence_check.store import Store
from tests.api.conftest import Api, jpeg, photos
from tests.seeded_claims import seed

STORE_DOWN = {"detail": "the store is not available; try again"}


def take_down(store: Store, table: str) -> None:
    with store.engine.begin() as connection:
        connection.execute(text(f"ALTER TABLE {table} RENAME TO {table}_gone"))


def bring_back(store: Store, table: str) -> None:
    with store.engine.begin() as connection:
        connection.execute(text(f"ALTER TABLE {table}_gone RENAME TO {table}"))


def test_a_claim_recorded_before_the_index_could_read_it_is_answered_with_its_report(
    api: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    recorded = api.store.record

    def record_then_store_gone(*args: Any, **kwargs: Any) -> Any:
        earlier = recorded(*args, **kwargs)
        take_down(api.store, "fingerprints")  # what the sync after the record reads
        return earlier

    monkeypatch.setattr(api.store, "record", record_then_store_gone)
    photo = photos(("a.jpg", jpeg(7)))
    # As `serve` writes the library's warnings: one JSON line each, naming the request it was written for.
    server_log = io.StringIO()
    lines = logging.StreamHandler(server_log)
    lines.setFormatter(JsonLines())
    logging.getLogger("evidence_check.service").addHandler(lines)
    try:
        with caplog.at_level(logging.WARNING, logger="evidence_check.service"):
            # No claim id, no key: a retry would be a new claim.
            sent = api.verify(photo, {"customer_id": "x"}, headers={"x-request-id": "rec-1"})
    finally:
        logging.getLogger("evidence_check.service").removeHandler(lines)
    assert sent.status_code == 200, sent.text
    assert sent.json()["images"][0]["checks"]["reuse"]["status"] == "pass"
    assert api.count("claims") == 1 and api.count("reports") == 1
    warned = [r.getMessage() for r in caplog.records if r.name == "evidence_check.service"]
    assert len(warned) == 1 and f"claim {sent.json()['claim_id']} of default (api) recorded" in warned[0]
    (line,) = [json.loads(text) for text in server_log.getvalue().splitlines()]
    assert (line["request_id"], line["message"]) == ("rec-1", warned[0])

    monkeypatch.setattr(api.store, "record", recorded)
    bring_back(api.store, "fingerprints")
    # The index read nothing of the first claim; its next sync does, and a copy is found.
    again = api.verify(photo, {"claim_id": "c-2", "customer_id": "y"})
    reuse = again.json()["images"][0]["checks"]["reuse"]
    assert reuse["status"] == "fail" and reuse["details"]["matches"][0]["claim_id"] == sent.json()["claim_id"]


def test_a_reference_stored_before_the_index_could_read_it_counts_as_added_and_is_found_later(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    references = references_for(store)
    photo = load_photo(jpeg(5), "stock.jpg", Limits())
    indexed = references.sync

    def store_gone_then_sync() -> int:
        take_down(store, "fingerprints")
        try:
            return indexed()
        finally:
            bring_back(store, "fingerprints")

    monkeypatch.setattr(references, "sync", store_gone_then_sync)
    assert references.add("acme", "stock", "stock-1", photo) is True
    monkeypatch.setattr(references, "sync", indexed)
    assert references.add("acme", "stock", "stock-1", photo) is False  # stored once
    assert references.search("acme", fingerprint(photo.working))  # indexed by the sync after the outage


def test_the_queues_read_after_its_first_with_the_store_gone_is_the_same_503(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(api.store, "default", "c-accept", "accept", datetime(2026, 12, 1, tzinfo=UTC))
    seed(api.store, "default", "c-review", "review", datetime(2026, 12, 1, tzinfo=UTC) + timedelta(hours=1))
    assert api.client.get("/").status_code == 200
    listed = routes.list_claims
    calls = 0

    def list_then_store_gone(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        page = listed(*args, **kwargs)
        calls += 1
        if calls == 3:  # the review section, accepted, rejected: then their order is read
            take_down(api.store, "claims")
        return page

    monkeypatch.setattr(routes, "list_claims", list_then_store_gone)
    answer = api.client.get("/", follow_redirects=False)
    assert calls == 3
    assert (answer.status_code, answer.json()) == (503, STORE_DOWN)


def test_a_claim_recorded_before_its_page_could_read_its_pictures_is_answered_with_the_page(
    api: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    first = api.verify(photos(("a.jpg", jpeg(8))), {"claim_id": "c-1", "customer_id": "w"})
    assert first.status_code == 200, first.text
    recorded = api.store.record

    def record_then_store_gone(*args: Any, **kwargs: Any) -> Any:
        earlier = recorded(*args, **kwargs)
        take_down(api.store, "photo_files")  # what the page's own and matched pictures are drawn from
        return earlier

    monkeypatch.setattr(api.store, "record", record_then_store_gone)
    # A copy of c-1's photo: the page would show c-1's beside it, read from the store too.
    with caplog.at_level(logging.WARNING, logger="evidence_check.api"):
        sent = api.verify(photos(("b.jpg", jpeg(8))), {"customer_id": "x"}, params={"format": "html"})
    assert sent.status_code == 200, sent.text
    (warned,) = [r.getMessage() for r in caplog.records if "drawn without pictures" in r.getMessage()]
    assert warned.startswith("claim ") and " of default recorded, its page drawn without pictures: " in warned
    assert sent.headers["content-type"].startswith("text/html") and "b.jpg" in sent.text and "c-1" in sent.text
    assert "data:image/jpeg" not in sent.text  # no picture: the store could not give them
    assert api.count("claims") == 2
    # Read later, with nothing just recorded, the same failure is the store's 503.
    claim_id = api.client.get("/v1/claims").json()["items"][0]["claim_id"]
    later = api.client.get(f"/v1/claims/{claim_id}", params={"format": "html"})
    assert (later.status_code, later.json()) == (503, STORE_DOWN)
