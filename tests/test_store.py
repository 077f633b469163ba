"""Recording claims: whole or not at all, first seen wins, re-verifying is not reuse. SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select, text

from evidence_check.engine import Upload
from evidence_check.intake import build_claim
from evidence_check.service import verify_claim
from evidence_check.settings import Settings
from evidence_check.store import Store, StoreError, database
from evidence_check.store.tables import ClaimRow, PhotoRow, ReportRow
from tests.conftest import FIXTURES

NOW = datetime(2026, 11, 16, 4, 0, tzinfo=UTC)
GENUINE = FIXTURES / "genuine_after_delivery.jpg"
REPORT = {"verdict": "accept", "risk": 0.1}


def claim(claim_id: str, customer: str, tenant: str = "default"):
    return build_claim(
        now=NOW,
        time_zone="Asia/Shanghai",
        claim_id=claim_id,
        customer_id=customer,
        tenant=tenant,
        ordered_at="2026-11-10T10:00",
        delivered_at="2026-11-14T15:00",
    )


def run(
    store: Store, claim_id: str, customer: str, *files, tenant: str = "default", record: bool = True, now=NOW
):
    uploads = [Upload(f.name, f.read_bytes()) for f in files]
    return verify_claim(
        claim(claim_id, customer, tenant), uploads, settings=Settings(), store=store, now=now, record=record
    )


def counts(store: Store) -> tuple[int, int, int]:
    with store.sessions() as session:
        return tuple(
            session.scalar(select(func.count()).select_from(t)) for t in (ClaimRow, PhotoRow, ReportRow)
        )


def test_verify_records_claim_photo_and_report_and_the_report_can_be_read_back(store: Store) -> None:
    outcome = run(store, "c-1", "alice", GENUINE)
    assert counts(store) == (1, 1, 1)
    assert store.latest_report("default", "c-1") == outcome.body


def test_when_the_same_claim_is_verified_again_then_its_photo_is_not_reuse_and_not_recorded_twice(
    store: Store,
) -> None:
    run(store, "c-1", "alice", GENUINE)
    again = run(store, "c-1", "alice", GENUINE, now=NOW + timedelta(minutes=5))
    assert again.body["images"][0]["checks"]["reuse"]["status"] == "pass"
    assert counts(store) == (1, 1, 2)


@pytest.mark.parametrize(("customer", "status"), [("alice", "warn"), ("bob", "fail")])
def test_when_a_photo_of_an_earlier_claim_comes_back_then_reuse_fires(
    store: Store, customer: str, status: str
) -> None:
    run(store, "c-1", "alice", GENUINE)
    later = run(store, "c-2", customer, GENUINE, now=NOW + timedelta(days=1))
    reuse = later.body["images"][0]["checks"]["reuse"]
    assert reuse["status"] == status
    assert reuse["details"]["matches"][0]["claim_id"] == "c-1"


def test_the_earlier_claim_keeps_its_verdict_when_a_copy_appears_later(store: Store) -> None:
    first = run(store, "c-1", "alice", GENUINE)
    run(store, "c-2", "bob", GENUINE, now=NOW + timedelta(days=1))
    assert store.latest_report("default", "c-1") == first.body
    assert first.body["images"][0]["checks"]["reuse"]["status"] == "pass"


def test_another_tenant_never_sees_the_photo(store: Store) -> None:
    run(store, "c-1", "alice", GENUINE, tenant="shop-a")
    other = run(store, "c-9", "zoe", GENUINE, tenant="shop-b")
    assert other.body["images"][0]["checks"]["reuse"]["status"] == "pass"
    assert store.latest_report("shop-b", "c-1") is None


def test_no_record_remembers_nothing(store: Store) -> None:
    run(store, "c-1", "alice", GENUINE, record=False)
    assert counts(store) == (0, 0, 0)


def test_when_writing_fails_midway_then_nothing_of_the_claim_is_kept(store: Store) -> None:
    broken = {"verdict": "accept", "risk": "not-a-number"}  # fails when the report row is built
    c = claim("c-1", "alice")
    with pytest.raises((StoreError, ValueError)):
        store.record(c, [("a" * 64, "a.jpg")], broken, NOW)
    assert counts(store) == (0, 0, 0)


def test_a_bad_url_is_one_line() -> None:
    with pytest.raises(StoreError, match="nonsense"):
        Store("nonsense://")


def test_an_unreachable_server_is_one_line() -> None:
    with pytest.raises(StoreError) as caught:
        Store("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2")
    assert "\n" not in str(caught.value)


def test_a_postgres_url_is_read_as_postgresql() -> None:
    # Unreachable, so that the test needs no server: the scheme understood (no "Can't load plugin"),
    # the connection refused.
    with pytest.raises(StoreError, match=r"^cannot open the store at postgres://nobody@127\.0\.0\.1:1/none") as caught:
        Store("postgres://nobody@127.0.0.1:1/none?connect_timeout=2")
    assert "plugin" not in str(caught.value)


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("postgresql://bob:s3cret@127.0.0.1:1/none?connect_timeout=2", "postgresql://bob:***@127.0.0.1:1/none"),
        ("postgres://bob:s3cret@127.0.0.1:1/none?connect_timeout=2", "postgres://bob:***@127.0.0.1:1/none"),
    ],
)
def test_an_unreachable_servers_url_is_echoed_as_typed_without_its_password(typed: str, shown: str) -> None:
    with pytest.raises(StoreError) as caught:
        Store(typed)
    assert str(caught.value).startswith(f"cannot open the store at {shown}?connect_timeout=2: ")
    assert "s3cret" not in str(caught.value) and "psycopg" not in str(caught.value)


def test_a_url_naming_a_driver_not_installed_is_echoed_as_typed_without_its_password() -> None:
    with pytest.raises(StoreError) as caught:
        Store("postgresql+pg8000://bob:s3cret@127.0.0.1:1/none")
    assert str(caught.value).startswith("cannot use database postgresql+pg8000://bob:***@127.0.0.1:1/none: ")


def test_the_command_line_echoes_the_url_as_typed() -> None:
    from typer.testing import CliRunner

    from evidence_check.cli import app

    answer = CliRunner().invoke(app, ["catalog", "list", "--db", "postgresql://bob:s3cret@127.0.0.1:1/none?connect_timeout=2"])
    assert answer.exit_code == 1 and "Traceback" not in answer.output
    assert "cannot open the store at postgresql://bob:***@127.0.0.1:1/none" in answer.output
    assert "s3cret" not in answer.output and "psycopg" not in answer.output


def test_a_postgres_url_opens_the_server_a_postgresql_one_does(store_url: str) -> None:
    if not store_url.startswith("postgresql://"):
        pytest.skip("a PostgreSQL store's URL")
    store = Store(store_url.replace("postgresql://", "postgres://", 1))
    try:
        assert store.url.startswith("postgresql+psycopg://") and counts(store) == (0, 0, 0)
    finally:
        store.close()


def test_the_schema_head_the_store_checks_for_is_alembics_newest_migration() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from evidence_check.store.database import MIGRATIONS, SCHEMA_HEAD

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_current_head() == SCHEMA_HEAD


def _tables(url: str) -> list[str]:
    from sqlalchemy import create_engine, inspect

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        return inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_a_store_a_newer_version_migrated_is_refused_in_one_line(store_url: str) -> None:
    """A process left on the old version while a newer one migrates the store (as 0018 did), when it
    opens the store again: one line naming both schemas, not alembic's traceback; the store untouched."""
    Store(store_url).close()
    engine = create_engine(store_url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = '0099_from_a_newer_version'"))
        with pytest.raises(StoreError) as refused:
            Store(store_url)
        said = str(refused.value)
        assert "0099_from_a_newer_version" in said and database.SCHEMA_HEAD in said and "\n" not in said
        with engine.connect() as connection:
            assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0099_from_a_newer_version"
    finally:
        engine.dispose()


@pytest.mark.new_database
def test_a_database_given_to_a_test_that_migrates_it_itself_is_empty(store_url: str) -> None:
    assert _tables(store_url) == []
    Store(store_url).close()
    assert "claims" in _tables(store_url)


def test_a_test_database_is_given_at_the_newest_schema_and_stays_there_opened(store_url: str) -> None:
    """Each is a copy of a store migrated once per run (tests/conftest.py): a PostgreSQL database
    made from a template, a SQLite file copied."""
    from sqlalchemy import create_engine, text

    from evidence_check.store.database import SCHEMA_HEAD

    engine = create_engine(store_url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == SCHEMA_HEAD
        Store(store_url).close()
        with engine.connect() as connection:
            assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == SCHEMA_HEAD
    finally:
        engine.dispose()


@pytest.mark.parametrize("order", ["first", "second"])
def test_what_a_test_writes_to_its_sqlite_store_is_in_no_other_tests(
    store_url: str, migrated_sqlite: Path, order: str
) -> None:
    """Each SQLite store is a copy of one file migrated once per run: what a test writes there is in
    neither that file nor the next test's copy."""
    if store_url.startswith("postgresql"):
        pytest.skip("a PostgreSQL database is made from its template by the server")
    store = Store(store_url)
    try:
        with store.engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM claims")).scalar_one() == 0, "another test's claim"
        store.record(claim(f"c-{order}", "u-1"), [("a" * 64, "a.jpg")], {"verdict": "accept", "risk": 0.1}, NOW)
        with store.engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM claims")).scalar_one() == 1
    finally:
        store.close()
    template = create_engine(f"sqlite:///file:{migrated_sqlite}?immutable=1&uri=true")  # read, never locked
    try:
        with template.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM claims")).scalar_one() == 0
    finally:
        template.dispose()


def test_a_test_stores_catalog_files_stay_in_the_tests_own_folder(store_url: str, tmp_path: Path) -> None:
    from evidence_check.catalog.loading import feature_folder
    from evidence_check.settings import Settings

    store = Store(store_url)
    try:
        assert feature_folder(store, Settings().catalog_feature_dir).is_relative_to(tmp_path)
    finally:
        store.close()


def test_a_store_at_the_newest_schema_is_opened_without_importing_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    opened = "import sys; from evidence_check.store import Store; Store({url!r}); print('alembic' in sys.modules)"
    runs = [
        subprocess.run([sys.executable, "-c", opened.format(url=url)], capture_output=True, text=True, check=True)
        for _ in range(2)
    ]
    assert [run.stdout.strip() for run in runs] == ["True", "False"]  # migrated the first time only


@pytest.mark.parametrize(
    ("sent", "earlier", "kept"),
    [
        # Recorded without photos' regions either time (a caller that keeps none): left without.
        ({"region": None}, None, {"region": None}),
        ({"region": None}, {"region": [1, 2, 3, 4]}, {"region": None}),
        # A later request keeps the earlier photos' regions, and replaces one drawn on a photo sent again.
        ({"region": None}, {"photo_regions": {"a": [1, 2, 3, 4]}}, {"region": None, "photo_regions": {"a": [1, 2, 3, 4]}}),
        (
            {"photo_regions": {"b": [5, 6, 7, 8], "a": [9, 9, 9, 9]}},
            {"photo_regions": {"a": [1, 2, 3, 4], "c": [1, 1, 1, 1]}},
            {"photo_regions": {"a": [9, 9, 9, 9], "b": [5, 6, 7, 8], "c": [1, 1, 1, 1]}},
        ),
    ],
)
def test_a_claims_fields_keep_each_photos_region_across_requests(sent: dict, earlier: dict | None, kept: dict) -> None:
    assert database.with_earlier_regions(sent, earlier) == kept


@pytest.mark.parametrize("query", ["password=hunter2", "sslpassword=hunter2&connect_timeout=2", "PASSWORD=hunter2"])
def test_a_password_given_in_the_urls_query_is_hidden_too(query: str) -> None:
    # libpq reads `?password=` (and `?sslpassword=`) as it reads the password before the '@'.
    with pytest.raises(StoreError) as caught:
        Store(f"postgresql://bob@127.0.0.1:1/none?{query}")
    assert str(caught.value).startswith("cannot open the store at postgresql://bob@127.0.0.1:1/none?")
    assert "hunter2" not in str(caught.value) and "***" in str(caught.value)


def test_two_requests_of_one_claim_at_once_both_keep_their_photos_regions(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each request adds its photos' regions to those the claim's fields hold: read and written in one
    transaction, the claim's row held between. Here each, once it has read the fields, waits for the
    other to have read them too (2 s, not an assertion): while the row is held the other never does;
    without, both write what they read before either wrote, and the later one drops the other's."""
    store.record(claim("c-1", "alice"), [("a" * 64, "a.jpg")], REPORT, NOW, fields={"photo_regions": {"a" * 64: [1, 1, 1, 1]}})
    both_read = threading.Barrier(2)
    merge = database.with_earlier_regions

    def merge_once_both_have_read(*args: Any) -> dict[str, Any]:
        with suppress(threading.BrokenBarrierError):
            both_read.wait(timeout=2)
        return merge(*args)

    monkeypatch.setattr(database, "with_earlier_regions", merge_once_both_have_read)

    def retake(image_id: str) -> None:
        store.record(
            claim("c-1", "alice"), [(image_id, f"{image_id[0]}.jpg")], REPORT, NOW, fields={"photo_regions": {image_id: [2, 2, 2, 2]}}
        )

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(retake, ["b" * 64, "c" * 64]))
    with store.sessions() as session:
        fields = session.scalar(select(ClaimRow.fields).where(ClaimRow.claim_id == "c-1"))
    assert sorted(fields["photo_regions"]) == ["a" * 64, "b" * 64, "c" * 64]


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("postgresql://bob:s3cret@db.example:notaport/claims", "postgresql://bob:***@db.example:notaport/claims"),
        ("postgresql:/bob:s3cret@db.example/claims", "postgresql:/bob:***@db.example/claims"),
        ("bob:s3cret@db.example/claims", "bob:***@db.example/claims"),
    ],
)
def test_a_url_that_does_not_parse_is_one_line_without_its_password(typed: str, shown: str) -> None:
    with pytest.raises(StoreError) as caught:
        Store(typed)
    assert str(caught.value) == f"not a database URL: {shown!r}"
