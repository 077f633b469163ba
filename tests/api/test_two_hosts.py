"""Two hosts, one store: two `serve` processes, each with its own folders (so its own catalog
feature files and whatever else a host keeps), on one PostgreSQL database.

What one records, the other finds, with these delays:
- a photo recorded through one is found as reuse through the other at once: the reuse look reads
  the fingerprint rows written since its last look before each search (`references.References`),
  and a report is answered only after its photos are recorded;
- keys, claims and the catalog's rows are read from the store on each request: at once;
- a catalog changed through one (imported, a SKU deleted) is what the other's relevance look uses
  within `Catalog.recheck_seconds` (2 s): a worker holds the tenant's catalog and asks the store
  for the catalog's change count at most that often, reloading it when it moved.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from evidence_check.catalog.registry import Catalog
from evidence_check.engine import now_utc
from evidence_check.store import Store
from evidence_check.store.keys import create_key, list_keys, revoke_key
from tests.api.catalog_archives import catalog_zip
from tests.api.conftest import CLAIM, Server, start_server
from tests.conftest import corpus

pytestmark = pytest.mark.parametrize("store_url", ["postgresql"], indirect=True)

RECHECK = Catalog.__dataclass_fields__["recheck_seconds"].default


@pytest.fixture
def hosts(store_url: str, tmp_path: Path) -> Iterator[tuple[Server, Server]]:
    started: list[Server] = []
    try:
        for name in ("a", "b"):
            folder = tmp_path / f"host-{name}"
            folder.mkdir()
            env = {"XDG_CACHE_HOME": str(folder / "cache"), "TMPDIR": str(folder)}
            started.append(start_server(store_url, folder / "server.log", env=env))
        yield started[0], started[1]
    finally:
        for server in started:
            server.stop()


def _verify(server: Server, photo: bytes, headers: dict[str, str], **fields: str) -> dict[str, object]:
    files = [("photos", ("photo.png", photo, "image/png"))]
    answer = httpx.post(f"{server.url}/v1/verify", files=files, data={**CLAIM, **fields}, headers=headers, timeout=180)
    assert answer.status_code == 200, answer.text
    body: dict[str, object] = answer.json()
    return body


def _check(body: dict[str, object], name: str) -> str:
    images = body["images"]
    assert isinstance(images, list)
    return str(images[0]["checks"][name]["code"])


def test_two_hosts_on_one_store_share_keys_claims_catalogs_and_reuse(
    store_url: str, tmp_path: Path, hosts: tuple[Server, Server]
) -> None:
    one, other = hosts
    box = corpus("product-matching") / "opencv-box"
    shop, scene = (box / "box.png").read_bytes(), (box / "box_in_scene.png").read_bytes()
    store = Store(store_url)
    try:
        # A key made on one host (the command line writes it to the shared store) opens both.
        secret = create_key(store, "acme", now_utc())[1]
        acme = {"Authorization": f"Bearer {secret}"}
        for server in hosts:
            assert httpx.get(f"{server.url}/v1/claims", headers=acme, timeout=30).status_code == 200
            assert httpx.get(f"{server.url}/v1/claims", timeout=30).status_code == 401

        # The other host holds acme's (empty) catalog before the import.
        assert _check(_verify(other, scene, acme, claim_id="c-before", sku="BOX-1"), "relevance") == "relevance.no_catalog"
        rows = [{"sku": "BOX-1", "name": "Cookie box", "images": ["box.png"]}]
        archive = [("archive", ("catalog.zip", catalog_zip(rows, {"box.png": shop}), "application/zip"))]
        imported = httpx.post(f"{one.url}/v1/catalog/import", files=archive, headers=acme, timeout=300)
        assert imported.status_code == 200, imported.text
        assert imported.json()["images"] == 1
        time.sleep(RECHECK + 0.1)
        found = _verify(other, scene, acme, claim_id="c-imported", sku="BOX-1", customer_id="u-1")
        assert _check(found, "relevance") == "relevance.match", found

        # The photo recorded through the other host is reuse through this one, with no wait.
        again = _verify(one, scene, acme, claim_id="c-again", sku="BOX-1", customer_id="u-2")
        assert _check(again, "reuse") == "reuse.other_customer", again

        # A SKU deleted through one host is no longer used by the other.
        assert httpx.delete(f"{one.url}/v1/catalog/BOX-1", headers=acme, timeout=30).status_code == 204
        time.sleep(RECHECK + 0.1)
        gone = _verify(other, scene, acme, claim_id="c-deleted", sku="BOX-1", customer_id="u-3")
        assert _check(gone, "relevance") == "relevance.no_catalog"

        # Both list every claim, wherever it was made.
        for server in hosts:
            page = httpx.get(f"{server.url}/v1/claims", headers=acme, timeout=30).json()
            assert {item["claim_id"] for item in page["items"]} == {"c-before", "c-imported", "c-again", "c-deleted"}

        # Each host built its own feature file of acme's catalog.
        for name in ("a", "b"):
            assert list((tmp_path / f"host-{name}" / "cache").rglob("*.features")), name

        # A key revoked on one host is refused by both.
        (key,) = list_keys(store)
        assert revoke_key(store, key.key_id, now_utc())
        for server in hosts:
            assert httpx.get(f"{server.url}/v1/claims", headers=acme, timeout=30).status_code == 401
    finally:
        store.close()
