"""A catalog add the store failed after its SKU was stored: adding it again completes what was left,
so the shop's own photo sent back is still caught (`reuse.listing_photo`)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from evidence_check.references import fingerprint_row as real_fingerprint_row
from evidence_check.store import Store, StoreError
from evidence_check.store.catalog_store import list_skus
from evidence_check.store.thumbnails import _put_thumbnails as real_put_thumbnails
from evidence_check.store.thumbnails import thumbnail_ids
from tests.api.catalog_archives import catalog_zip, send
from tests.api.conftest import Api, make_api, photos
from tests.test_catalog_cli import IMAGE, run


def _fingerprint_insert_fails_once(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    failed: list[str] = []

    def failing_once(*args: Any, **kwargs: Any) -> Any:
        if not failed:
            failed.append(args[2])  # the SKU
            raise OperationalError("INSERT INTO fingerprints", {}, Exception("server closed the connection"))
        return real_fingerprint_row(*args, **kwargs)

    monkeypatch.setattr("evidence_check.references.fingerprint_row", failing_once)
    return failed


def _thumbnail_insert_fails_once(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    failed: list[str] = []

    def failing_once(store: Store, tenant: str, pictures: Any, when: Any) -> int:
        if not failed:
            failed.append(_find_sku(store))
            raise StoreError("could not store thumbnails: server closed the connection")
        return real_put_thumbnails(store, tenant, pictures, when)

    monkeypatch.setattr("evidence_check.store.thumbnails._put_thumbnails", failing_once)
    return failed


def _find_sku(store: Store) -> str:
    """The SKU stored when the failure struck: it must be, for the failure to be the one meant."""
    return ",".join(summary.sku for summary in list_skus(store, "default"))


def _through_the_api(url: str, ask: Callable[[Api], Any]) -> Any:
    store = Store(url)
    try:
        for api in make_api(store):
            return ask(api)
        raise AssertionError("no API")
    finally:
        store.close()


def _by_api(url: str, tmp_path: Path) -> int:
    files = [("images", ("bag.jpg", IMAGE.read_bytes(), "image/jpeg"))]
    return _through_the_api(url, lambda api: api.client.post("/v1/catalog/BAG-1/images", files=files).status_code)


def _by_api_import(url: str, tmp_path: Path) -> int:
    archive = catalog_zip([{"sku": "BAG-1", "images": ["bag.jpg"]}], {"bag.jpg": IMAGE.read_bytes()})
    return _through_the_api(url, lambda api: send(api, archive).status_code)


def _by_cli_add(url: str, tmp_path: Path) -> int:
    return run("catalog", "add", "BAG-1", str(IMAGE), "--db", url)[0]


def _by_cli_import(url: str, tmp_path: Path) -> int:
    manifest = tmp_path / "products.jsonl"
    manifest.write_text(json.dumps({"sku": "BAG-1", "name": "Bag", "images": [str(IMAGE)]}) + "\n")
    return run("catalog", "import", str(manifest), "--db", url, "--jobs", "1")[0]


def _reuse_of_the_listing_photo_sent_back(url: str) -> dict[str, Any]:
    claim = photos(("claim.jpg", IMAGE.read_bytes()))
    report = _through_the_api(url, lambda api: api.verify(claim, {"sku": "BAG-1"}).json())
    return report["images"][0]["checks"]["reuse"]


@pytest.mark.parametrize(
    "add", [_by_api, _by_api_import, _by_cli_add, _by_cli_import], ids=["api", "api-import", "cli-add", "cli-import"]
)
@pytest.mark.parametrize(
    "fails_once", [_fingerprint_insert_fails_once, _thumbnail_insert_fails_once], ids=["print", "thumbnail"]
)
def test_adding_again_completes_what_the_failed_add_left_out(
    store_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    add: Callable[[str, Path], int],
    fails_once: Callable[[pytest.MonkeyPatch], list[str]],
) -> None:
    failed = fails_once(monkeypatch)
    assert add(store_url, tmp_path) in (1, 503)  # the CLI's exit status, the API's answer
    assert failed == ["BAG-1"]  # after put_sku: the SKU and its image are stored
    assert add(store_url, tmp_path) in (0, 200, 201)
    reuse = _reuse_of_the_listing_photo_sent_back(store_url)
    assert reuse["status"] == "fail" and reuse["code"] == "reuse.listing_photo"
    store = Store(store_url)
    try:  # shown beside the claim photo it matched
        assert thumbnail_ids(store, "default") == {hashlib.sha256(IMAGE.read_bytes()).hexdigest()}
    finally:
        store.close()


def test_adding_an_unchanged_sku_again_measures_nothing(store_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _by_cli_add(store_url, Path()) == 0
    measured: list[str] = []
    monkeypatch.setattr(
        "evidence_check.service.fingerprint", lambda working: measured.append("measured") or pytest.fail("measured")
    )
    assert _by_cli_add(store_url, Path()) == 0
    assert measured == []
