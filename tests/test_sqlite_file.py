"""Which file a SQLite store URL names, and the paths derived from it (the store's folder, the
catalogs' feature folder beside it)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from evidence_check.catalog.loading import catalog_name, feature_folder
from evidence_check.store import Store
from evidence_check.store.sqlite_file import opened_read_only, sqlite_file


@pytest.mark.parametrize(
    ("url", "named"),
    [
        ("sqlite:///rel/s.db", "{cwd}/rel/s.db"),
        ("sqlite:////abs/s.db", "/abs/s.db"),
        ("sqlite:///file:/abs/s.db?mode=ro&uri=true", "/abs/s.db"),
        ("sqlite:///file:rel/s.db?mode=rwc&uri=true", "{cwd}/rel/s.db"),
        ("sqlite:///file:///abs/a%2520b.db?uri=true", "/abs/a b.db"),  # the URL's escape, then the URI's
        ("sqlite:///file://localhost/abs/s.db?uri=1", "/abs/s.db"),
        ("sqlite:///file:/abs/s.db", "{cwd}/file:/abs/s.db"),  # not a URI without uri=true: SQLite's own rule
        ("sqlite:///~/s.db", "{home}/s.db"),
    ],
)
def test_the_file_a_sqlite_url_names(url: str, named: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    expected = named.format(cwd=tmp_path.resolve(), home=(tmp_path / "home").resolve())
    assert sqlite_file(make_url(url)) == Path(expected)


@pytest.mark.parametrize(
    "url",
    ["sqlite://", "sqlite:///:memory:", "sqlite:///file::memory:?uri=true", "sqlite:///file:x?mode=memory&uri=true",
     "postgresql://u@h/db"],
)
def test_a_database_in_memory_or_elsewhere_names_no_file(url: str) -> None:
    assert sqlite_file(make_url(url)) is None


def test_read_only_is_a_uri_saying_so() -> None:
    assert opened_read_only(make_url("sqlite:///file:/abs/s.db?mode=ro&uri=true"))
    assert opened_read_only(make_url("sqlite:///file:/abs/s.db?immutable=1&uri=true"))
    assert not opened_read_only(make_url("sqlite:///file:/abs/s.db?mode=rw&uri=true"))
    assert not opened_read_only(make_url("sqlite:////abs/s.db"))


def test_a_store_opened_by_its_uri_makes_no_folder_and_keeps_its_features_beside_its_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = tmp_path / "data" / "s.db"
    Store(f"sqlite:///{file}").close()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    plain, by_uri = Store(f"sqlite:///{file}"), Store(f"sqlite:///file:{file}?mode=ro&uri=true")
    try:
        assert feature_folder(by_uri, None) == feature_folder(plain, None) == Path(f"{file}.features")
        # A reader opening the file read-only shares the writer's feature files.
        assert catalog_name(by_uri, "acme") == catalog_name(plain, "acme") == f"sqlite:///{file}#acme"
    finally:
        plain.close()
        by_uri.close()
    assert list(elsewhere.iterdir()) == []


def test_a_store_under_home_is_opened_where_its_folder_is_made(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    Store("sqlite:///~/stores/s.db").close()
    assert (tmp_path / "home" / "stores" / "s.db").is_file() and not (tmp_path / "~").exists()
