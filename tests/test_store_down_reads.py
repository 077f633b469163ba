"""Reads of the catalog and of reports with the store down (a table gone under a running process, as
tests/web/test_session.py takes it down): the API's one-line 503, the console's too, the CLI's one
line and exit 1, as for its other store errors; never a 500 or a traceback. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from evidence_check.cli import app
from evidence_check.engine import now_utc
from evidence_check.references import candidate_rows
from evidence_check.store import Store, StoreError
from evidence_check.store.catalog_store import (
    catalog_stamp,
    complete_image_ids,
    held_images,
    images_since_vocabulary,
    list_skus,
    load_tenant,
    load_views,
    load_vocabulary,
    put_sku,
    reindex,
    sku_images,
    stream_descriptor_blobs,
    stream_features,
)
from evidence_check.store.catalog_types import StoredImage
from evidence_check.store.claim_files import file_of_image
from evidence_check.store.keys import any_key, create_key, key_for, list_keys, revoke_key
from evidence_check.store.outcomes import (
    decided_claims,
    has_claim,
    latest_decision,
    open_challenge,
    sightings,
)
from evidence_check.store.webhooks import (
    claim_due,
    deliveries,
    drop_orphaned,
    mark_attempt,
    remove_webhook,
    webhook_of,
)
from tests.api.conftest import Api, bearer, jpeg, make_api, photos
from tests.conftest import _admin_engine
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


def server_gone(store: Store) -> None:
    """A real outage of a PostgreSQL store: its server ends every connection to the database and
    accepts no new one, as a stopped server does (the database is the test's own)."""
    name = make_url(store.url).database
    admin = _admin_engine()
    with admin.connect() as connection:
        connection.execute(text(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false'))
        connection.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"), {"name": name})
    admin.dispose()


NOW = datetime(2026, 12, 7, tzinfo=UTC)
EVERY_WRAPPED_READ: dict[str, Callable[[Store], object]] = {
    "complete_image_ids": lambda s: complete_image_ids(s, "acme"),
    "list_skus": lambda s: list_skus(s, "acme"),
    "sku_images": lambda s: sku_images(s, "acme", "BAG-1"),
    "catalog_stamp": lambda s: catalog_stamp(s, "acme"),
    "load_tenant": lambda s: load_tenant(s, "acme"),
    "stream_features": lambda s: list(stream_features(s, "acme", "none")),
    "load_views": lambda s: load_views(s, "acme", "BAG-1", "a"),
    "held_images": lambda s: held_images(s, "acme", "BAG-1", {"a"}),
    "images_since_vocabulary": lambda s: images_since_vocabulary(s, "acme"),
    "load_vocabulary": lambda s: load_vocabulary(s, "acme"),
    "stream_descriptor_blobs": lambda s: list(stream_descriptor_blobs(s, "acme")),
    "reindex": lambda s: reindex(s, "acme", "k", b"", bytes, NOW),
    "replay": lambda s: s.replay("acme", ["k"]),
    "latest_report": lambda s: s.latest_report("acme", "c-1"),
    "list_keys": list_keys,
    "revoke_key": lambda s: revoke_key(s, "k", NOW),
    "any_key": any_key,
    "key_for": lambda s: key_for(s, "ec_" + "x" * 40),
    "open_challenge": lambda s: open_challenge(s, "acme", "c-1"),
    "sightings": lambda s: sightings(s, "acme", "a"),
    "latest_decision": lambda s: latest_decision(s, "acme", "c-1"),
    "decided_claims": lambda s: decided_claims(s, "acme"),
    "has_claim": lambda s: has_claim(s, "acme", "c-1"),
    "remove_webhook": lambda s: remove_webhook(s, "acme"),
    "drop_orphaned": drop_orphaned,
    "webhook_of": lambda s: webhook_of(s, "acme"),
    "claim_due": lambda s: claim_due(s, NOW, timedelta(minutes=1)),
    "mark_attempt": lambda s: mark_attempt(s, 1, NOW, delivered=True, status=200, error=None, retry_at=None),
    "deliveries": lambda s: deliveries(s, "acme"),
    "candidate_rows": lambda s: candidate_rows(s, "acme", "0" * 64, []),
    "file_of_image": lambda s: file_of_image(s, "acme", "0" * 64),
}


@pytest.mark.parametrize("read", EVERY_WRAPPED_READ)
def test_every_store_function_with_the_postgresql_server_gone_is_a_one_line_store_error(store: Store, read: str) -> None:
    if store.engine.dialect.name != "postgresql":
        pytest.skip("a server that ends its connections: PostgreSQL's")
    EVERY_WRAPPED_READ[read](store)  # answered while the server is there
    server_gone(store)
    with pytest.raises(StoreError) as raised:
        EVERY_WRAPPED_READ[read](store)
    assert str(raised.value).startswith("could not ") and "\n" not in str(raised.value)


def test_the_api_with_the_postgresql_server_gone_is_503(signed_in: tuple[Api, str]) -> None:
    api, key = signed_in
    if api.store.engine.dialect.name != "postgresql":
        pytest.skip("a server that ends its connections: PostgreSQL's")
    assert api.client.get("/v1/catalog", headers=bearer(key)).status_code == 200
    server_gone(api.store)
    for path in ("/v1/catalog", "/v1/claims/c-1", "/v1/catalog/BAG-1"):
        answer = api.client.get(path, headers=bearer(key))
        assert (answer.status_code, answer.json()) == (503, STORE_DOWN), path


@pytest.mark.parametrize("stream", ["stream_features", "stream_descriptor_blobs"])
def test_a_stream_closed_early_ends_quietly_and_gives_its_connection_back(store: Store, stream: str) -> None:
    for sku in ("BAG-1", "BAG-2"):
        image = StoredImage(f"{sku}-a", "a.jpg", 8, 8, b"packed")
        put_sku(store, "acme", sku, name=None, category=None, images=[image], when=NOW)
    rows = EVERY_STREAM[stream](store)
    next(rows)
    assert store.engine.pool.checkedout() == 1  # type: ignore[attr-defined]  # the stream's session
    rows.close()  # GeneratorExit passes through store_errors: no StoreError, the session closed
    assert store.engine.pool.checkedout() == 0  # type: ignore[attr-defined]


EVERY_STREAM: dict[str, Callable[[Store], Iterator[object]]] = {
    "stream_features": lambda s: stream_features(s, "acme", "none"),
    "stream_descriptor_blobs": lambda s: stream_descriptor_blobs(s, "acme"),
}
