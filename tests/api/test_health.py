"""`/healthz` says ready only when a claim could be recorded now: a store that answers but cannot
write (its disk full, a read-only PostgreSQL) is not ready."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from sqlalchemy import text

from api.routes import health
from evidence_check.store import Store
from tests.api.conftest import jpeg, make_api, photos
from tests.conftest import fill
from tests.torn_claims import half_written


def test_a_full_disk_under_the_store_makes_healthz_503_and_loses_nothing(small_disk: Path) -> None:
    store = Store(f"sqlite:///{small_disk / 'store.sqlite3'}")
    try:
        for api in make_api(store):
            assert api.client.get("/healthz").status_code == 200
            assert api.verify(photos(("a.jpg", jpeg(1))), {"claim_id": "c-1"}).status_code == 200
            filler = fill(small_disk)
            ready = api.client.get("/healthz")
            assert ready.status_code == 503
            assert "the store's disk is full" in ready.json()["detail"]
            claim = api.verify(photos(("b.jpg", jpeg(2))), {"claim_id": "c-2"})
            assert claim.status_code in (200, 503)  # SQLite may still fit one into its WAL
            assert half_written(store) == 0
            filler.unlink()
            assert api.client.get("/healthz").status_code == 200
            assert api.client.get("/v1/claims/c-1").status_code == 200
    finally:
        store.close()


def test_a_read_only_postgresql_is_not_ready(store: Store) -> None:
    if store.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's read-only setting")
    for api in make_api(store):
        assert api.client.get("/healthz").status_code == 200
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(
                text(f'ALTER DATABASE "{store.engine.url.database}" SET default_transaction_read_only = on')
            )
        store.engine.dispose()  # new connections take the database's new default
        ready = api.client.get("/healthz")
        assert ready.status_code == 503 and "read-only" in ready.json()["detail"]


def test_a_full_disk_under_the_upload_spool_is_not_ready_either(
    sqlite_url: str, small_disk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(small_disk))
    store = Store(sqlite_url)
    try:
        assert health.cannot_write(store) is None
        filler = fill(small_disk)
        assert "the upload spool's disk is full" in (health.cannot_write(store) or "")
        filler.unlink()
        assert health.cannot_write(store) is None
    finally:
        store.close()


def test_a_sqlite_store_opened_read_only_is_not_ready_and_says_why(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # where the URI, once taken for a relative path, made a folder `file:`
    file = tmp_path / "s.db"
    Store(f"sqlite:///{file}").close()
    store = Store(f"sqlite:///file:{file}?mode=ro&uri=true")
    try:
        assert health.cannot_write(store) == "the store is opened read-only (its URL says mode=ro or immutable)"
    finally:
        store.close()
