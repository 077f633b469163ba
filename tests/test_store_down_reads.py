"""Reads of the catalog and of reports with the store down (a table gone under a running process, as
tests/web/test_session.py takes it down): the API's one-line 503, the console's too, the CLI's one
line and exit 1, as for its other store errors; never a 500 or a traceback. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from evidence_check.cli import app
from evidence_check.engine import now_utc
from evidence_check.store import Store, StoreError
from evidence_check.store.catalog_store import list_skus, stream_features
from evidence_check.store.keys import create_key
from evidence_check.store.outcomes import decided_claims
from tests.api.conftest import Api, bearer, jpeg, make_api, photos
from tests.web.conftest import sign_in

STORE_DOWN = {"detail": "the store is not available; try again"}


def take_down(store: Store, *tables: str) -> None:
    """The tables a read needs are no longer there: the read fails in the database, as with a server
    stopped or a file unreadable after the store was opened."""
    with store.engine.begin() as connection:
        for table in tables:
            connection.execute(text(f"ALTER TABLE {table} RENAME TO {table}_gone"))


def test_the_catalog_streamed_with_the_store_down_is_a_store_error_where_it_is_read(store: Store) -> None:
    assert list(stream_features(store, "default", "none")) == []
    take_down(store, "catalog_images")
    rows = stream_features(store, "default", "none")
    with pytest.raises(StoreError, match=r"^could not read the catalog features: "):
        list(rows)


@pytest.fixture
def signed_in(store: Store) -> Iterator[tuple[Api, str]]:
    key = create_key(store, "acme", now_utc())[1]
    for api in make_api(store):
        sign_in(api, key)
        yield api, key


def test_the_catalog_read_with_the_store_down_is_a_store_error_and_up_it_is_read(store: Store) -> None:
    assert list_skus(store, "default") == []
    take_down(store, "catalog_skus")
    with pytest.raises(StoreError, match=r"^could not list the catalog: ") as raised:
        list_skus(store, "default")
    assert "\n" not in str(raised.value)


def test_the_catalog_over_http_with_the_store_down_is_503(signed_in: tuple[Api, str]) -> None:
    api, key = signed_in
    assert api.client.get("/v1/catalog", headers=bearer(key)).status_code == 200
    take_down(api.store, "catalog_skus")
    answer = api.client.get("/v1/catalog", headers=bearer(key))
    assert (answer.status_code, answer.json()) == (503, STORE_DOWN)


def test_a_report_over_http_with_the_store_down_is_503(signed_in: tuple[Api, str]) -> None:
    api, key = signed_in
    sent = api.verify(photos(("a.jpg", jpeg(1))), {"claim_id": "c-1"}, headers=bearer(key))
    assert sent.status_code == 200, sent.text
    assert api.client.get("/v1/claims/c-1", headers=bearer(key)).status_code == 200
    take_down(api.store, "reports")
    answer = api.client.get("/v1/claims/c-1", headers=bearer(key))
    assert (answer.status_code, answer.json()) == (503, STORE_DOWN)


@pytest.mark.parametrize("page", ["/catalog", "/new-claim", "/new-claim/sku?sku=BAG-1"])
def test_the_consoles_catalog_reads_with_the_store_down_are_503(signed_in: tuple[Api, str], page: str) -> None:
    api, _ = signed_in
    assert api.client.get(page, follow_redirects=False).status_code == 200
    take_down(api.store, "catalog_skus")
    answer = api.client.get(page, follow_redirects=False)
    assert (answer.status_code, answer.json()) == (503, STORE_DOWN)


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_catalog_list_with_the_store_down_says_one_line(store: Store) -> None:
    assert run("catalog", "list", "--db", store.url)[0] == 0
    take_down(store, "catalog_skus")
    code, out, err = run("catalog", "list", "--db", store.url)
    assert code == 1 and out == ""
    assert err.startswith("evidence-check: could not list the catalog: ") and err.count("\n") == 1


def test_outcome_stats_with_the_store_down_say_one_line(store: Store) -> None:
    assert decided_claims(store, "default") == []
    take_down(store, "outcomes")
    code, _, err = run("stats", "--db", store.url)
    assert code == 1
    assert err.startswith("evidence-check: could not list decided claims: ") and err.count("\n") == 1
