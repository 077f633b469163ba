"""The catalog over HTTP: list (paged), one SKU, its zones replaced, deleted — one tenant's only."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, event, text

from evidence_check.store import Store
from evidence_check.store.catalog_store import list_skus
from evidence_check.store.catalog_tables import CatalogImageRow, CatalogSkuRow
from evidence_check.store.database import MIGRATIONS
from evidence_check.widths import ID_WIDTH, stored_filename
from tests.api.conftest import Api, bearer, jpeg, make_api, photos
from tests.conftest import PG_URL, _admin_engine, at_revision


def _add(api: Api, sku: str, headers: dict[str, str], *seeds: int) -> None:
    files = [("images", (f"{sku}-{seed}.jpg", jpeg(seed, (640, 480)), "image/jpeg")) for seed in seeds]
    fields = {"name": f"the {sku}", "brand": " Acme ", "family": "bags"} if sku == "BAG-1" else {"name": f"the {sku}"}
    answer = api.client.post(f"/v1/catalog/{sku}/images", files=files, data=fields, headers=headers)
    assert answer.status_code == 201, answer.text


def test_a_tenant_manages_its_catalog_over_http(keyed: tuple[Api, dict[str, str]]) -> None:
    api, keys = keyed
    acme, globex = bearer(keys["acme"]), bearer(keys["globex"])
    _add(api, "BAG-1", acme, 1, 2)
    _add(api, "CUP-2", acme, 3)
    _add(api, "HAT-3", globex, 4)

    first = api.client.get("/v1/catalog", params={"limit": 1}, headers=acme).json()
    second = api.client.get("/v1/catalog", params={"limit": 1, "cursor": first["next_cursor"]}, headers=acme).json()
    assert [s["sku"] for s in first["items"] + second["items"]] == ["BAG-1", "CUP-2"]
    assert second["next_cursor"] is None
    assert first["items"][0] == {
        "sku": "BAG-1", "name": "the BAG-1", "category": None, "brand": "Acme", "family": "bags", "images": 2, "zones": 0,
    }  # fmt: skip
    assert second["items"][0]["brand"] is None and second["items"][0]["family"] is None

    bag = api.client.get("/v1/catalog/BAG-1", headers=acme).json()
    assert (bag["brand"], bag["family"]) == ("Acme", "bags")
    assert [i["filename"] for i in bag["image_list"]] == ["BAG-1-1.jpg", "BAG-1-2.jpg"]
    assert api.client.get("/v1/catalog/HAT-3", headers=acme).status_code == 404  # another tenant's

    zoned = api.client.put("/v1/catalog/BAG-1/zones", json={"BAG-1-2.jpg": {"zipper": [10, 20, 100, 40]}}, headers=acme)
    assert zoned.status_code == 200, zoned.text
    assert [i["zones"] for i in zoned.json()["image_list"]] == [{}, {"zipper": [10, 20, 100, 40]}]
    plain = api.client.put("/v1/catalog/BAG-1/zones", json={"strap": [0, 0, 50, 50]}, headers=acme).json()
    assert [i["zones"] for i in plain["image_list"]] == [{"strap": [0, 0, 50, 50]}, {}]
    assert plain["zones"] == 1
    wrong = api.client.put("/v1/catalog/BAG-1/zones", json={"side.jpg": {"cap": [0, 0, 5, 5]}}, headers=acme)
    assert wrong.status_code == 422 and "side.jpg" in wrong.json()["detail"]
    # JSON's Infinity is no pixel: refused in one line, the zones stored before kept.
    infinite = api.client.put(
        "/v1/catalog/BAG-1/zones", content=b'{"cap": [Infinity, 0, 5, 5]}', headers={**acme, "Content-Type": "application/json"}
    )
    assert infinite.status_code == 422 and "cap" in infinite.json()["detail"]
    kept = api.client.get("/v1/catalog/BAG-1", headers=acme).json()["image_list"]
    assert kept[0]["zones"] == {"strap": [0, 0, 50, 50]}
    assert api.client.put("/v1/catalog/HAT-3/zones", json={}, headers=acme).status_code == 404

    # A claim is matched against the SKU until it is deleted.
    def relevance(claim_id: str) -> str:
        body = api.verify(photos(("p.jpg", jpeg(9))), {"claim_id": claim_id, "sku": "CUP-2"}, headers=acme).json()
        return str(body["images"][0]["checks"]["relevance"]["code"])

    assert relevance("c-before") != "relevance.no_catalog"
    assert api.client.delete("/v1/catalog/CUP-2", headers=globex).status_code == 404
    assert api.client.delete("/v1/catalog/CUP-2", headers=acme).status_code == 204
    assert api.client.delete("/v1/catalog/CUP-2", headers=acme).status_code == 404
    assert relevance("c-after") == "relevance.no_catalog"
    assert [s["sku"] for s in api.client.get("/v1/catalog", headers=acme).json()["items"]] == ["BAG-1"]
    assert [s["sku"] for s in api.client.get("/v1/catalog", headers=globex).json()["items"]] == ["HAT-3"]
    assert api.client.get("/v1/catalog", params={"cursor": "%%%"}, headers=acme).status_code == 422


@pytest.fixture
def en_us_store_url() -> Iterator[str]:
    """A PostgreSQL database whose collation is ICU's en-US, as a server initialised in en_US.UTF-8
    (the official image's default) orders text: a-1, B-2, c-3, D-4."""
    if not PG_URL:
        pytest.skip("needs a PostgreSQL server: set EVIDENCE_CHECK_TEST_PG_URL (.ci/run starts one)")
    name = f"ec_test_{uuid.uuid4().hex[:10]}"
    admin = _admin_engine()
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE \"{name}\" TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US'"))
    try:
        yield f"{PG_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_the_api_and_the_console_list_skus_in_the_cursors_order_under_any_collation(
    en_us_store_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    skus = ["a-1", "B-2", "c-3", "D-4", "é-1", "e-2", "中文-1"]
    store = Store(en_us_store_url)
    try:
        for api in make_api(store):
            for n, sku in enumerate(skus):
                added = api.client.post(f"/v1/catalog/{sku}/images", files=[("images", ("a.jpg", jpeg(n + 1), "image/jpeg"))])
                assert added.status_code == 201
            paged: list[str] = []
            cursor = None
            while len(paged) <= len(skus):
                page = api.client.get("/v1/catalog", params={"limit": 2, **({"cursor": cursor} if cursor else {})}).json()
                paged += [item["sku"] for item in page["items"]]
                cursor = page["next_cursor"]
                if cursor is None:
                    break
            # Cut by ">" but sorted by the collation, pages showed a-1, c-3, é-1 and 中文-1 only.
            assert paged == sorted(skus)
            # The console's catalog showed the collation's order (a-1, B-2, c-3, D-4, e-2, é-1, 中文-1).
            shown = re.findall(r'href="/catalog/([^"?]+)"', api.client.get("/catalog").text)
            assert [unquote(sku) for sku in shown] == sorted(skus)
    finally:
        store.close()


def _rows(store: Store, tenant: str, skus: list[str]) -> None:
    """The SKUs written directly, two images each (no picture measured), a zone on the first."""
    when = datetime(2026, 12, 7, tzinfo=UTC)
    with store.sessions.begin() as session:
        for sku in skus:
            row = CatalogSkuRow(tenant=tenant, sku=sku, name=f"the {sku}", created_at=when, updated_at=when)
            session.add(row)
            session.flush()
            for n in range(2):
                session.add(
                    CatalogImageRow(
                        sku_pk=row.id, tenant=tenant, image_id=f"{row.id:032x}{n:032x}", filename=f"{n}.jpg", width=8,
                        height=8, features=b"", zones={"zipper": [1, 2, 3, 4]} if n == 0 else None, created_at=when,
                    )  # fmt: skip
                )


# Codes that differ only in case, accented, CJK, a fullwidth letter (U+FF42) and one beyond the BMP
# (U+20000), which UTF-16's order would put first of the two.
AWKWARD_SKUS = ["a-1", "A-1", "B-2", "b-2", "é-1", "e-2", "E-2", "中文-1", "ｂ-1", "𠀀-1", "z.9", "Z/9"]


def test_a_page_of_the_catalog_is_cut_in_code_point_order_and_reads_its_own_skus_images_only(store: Store) -> None:
    skus = AWKWARD_SKUS + [f"f-{n:02d}" for n in range(20)]
    _rows(store, "default", skus)
    _rows(store, "another", ["a-0", "f-05x"])
    read: list[tuple[str, Any]] = []

    def images_read(conn: object, cursor: object, statement: str, parameters: Any, *args: object) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "catalog_images" in statement:
            read.append((statement, parameters))

    for api in make_api(store):
        paged: list[str] = []
        pages: list[dict[str, Any]] = []
        cursor = None
        while len(pages) <= len(skus):
            pages.append(api.client.get("/v1/catalog", params={"limit": 3, **({"cursor": cursor} if cursor else {})}).json())
            paged += [item["sku"] for item in pages[-1]["items"]]
            cursor = pages[-1]["next_cursor"]
            if cursor is None:
                break
        assert paged == sorted(skus)
        assert {(item["images"], item["zones"]) for page in pages for item in page["items"]} == {(2, 1)}

        event.listen(api.store.engine, "before_cursor_execute", images_read)
        try:
            middle = api.client.get("/v1/catalog", params={"limit": 3, "cursor": pages[4]["next_cursor"]}).json()
        finally:
            event.remove(api.store.engine, "before_cursor_execute", images_read)
        assert [item["sku"] for item in middle["items"]] == sorted(skus)[15:18]
        with api.store.engine.connect() as connection:
            rows = sum(len(connection.exec_driver_sql(statement, parameters).all()) for statement, parameters in read)
        assert 0 < rows <= 2 * 4  # the page's three SKUs and the one that says there is another page; all 64 before
        # A cursor no page gave: compared by the store now, a NUL in it was a 500 on PostgreSQL.
        # And a lone surrogate (U+D800 as UTF-8 would hold it, `7aCA`): no str of a SKU, no page's cursor.
        odd = ("AA", "YQBi", "7aCA")
        assert [api.client.get("/v1/catalog", params={"cursor": cursor}).status_code for cursor in odd] == [422, 422, 422]


def test_the_cursor_after_the_longest_sku_is_taken_back(store: Store) -> None:
    longest = ["\U00020000" * ID_WIDTH, "\U00020001" * ID_WIDTH]  # four UTF-8 bytes each
    _rows(store, "default", longest)
    for api in make_api(store):
        first = api.client.get("/v1/catalog", params={"limit": 1}).json()
        second = api.client.get("/v1/catalog", params={"limit": 1, "cursor": first["next_cursor"]})
        assert second.status_code == 200 and [item["sku"] for item in second.json()["items"]] == longest[1:]


def test_skus_added_and_deleted_between_pages_give_none_twice_and_skip_none_that_stayed(api: Api) -> None:
    stayed = [f"s-{n:02d}" for n in range(10)]
    _rows(api.store, "default", stayed)
    first = api.client.get("/v1/catalog", params={"limit": 4}).json()
    listed = [item["sku"] for item in first["items"]]
    assert listed == stayed[:4]
    # The cursor's own SKU and one not yet listed deleted; one added before the cursor, one after.
    assert [api.client.delete(f"/v1/catalog/{sku}").status_code for sku in ("s-03", "s-07")] == [204, 204]
    _rows(api.store, "default", ["s-00a", "s-05a"])
    cursor = first["next_cursor"]
    while cursor is not None:
        page = api.client.get("/v1/catalog", params={"limit": 4, "cursor": cursor}).json()
        listed += [item["sku"] for item in page["items"]]
        cursor = page["next_cursor"]
    assert listed == stayed[:4] + ["s-04", "s-05", "s-05a", "s-06", "s-08", "s-09"]


def test_skus_added_while_a_page_is_read_leave_its_image_counts_whole(store: Store) -> None:
    """The page's SKUs and their images are two queries: SKUs another request adds between them (an
    import) must not change which SKUs' images are counted."""
    _rows(store, "default", ["a", "b", "c", "d"])
    added = False

    def add_two_before_the_images_are_read(conn: object, cursor: object, statement: str, *args: object) -> None:
        nonlocal added
        if not added and statement.lstrip().upper().startswith("SELECT") and "catalog_images" in statement:
            added = True
            _rows(store, "default", ["a1", "a2"])

    event.listen(store.engine, "before_cursor_execute", add_two_before_the_images_are_read)
    try:
        page = list_skus(store, "default", limit=3)
    finally:
        event.remove(store.engine, "before_cursor_execute", add_two_before_the_images_are_read)
    assert added
    assert [(found.sku, found.images, found.zones) for found in page] == [("a", 2, 1), ("b", 2, 1), ("c", 2, 1)]


def test_postgresqls_index_of_skus_in_code_point_order_is_made_and_undone_by_its_migration(store_url: str) -> None:
    """The pages are read by it there (`list_skus`'s COLLATE "C"; without it, every tenant's SKUs were
    scanned and sorted); SQLite's (tenant, sku) index is in that order already: nothing is added there.
    The migration found by its name, not its number (the revision id has one home, its file)."""
    [migration] = [s for s in ScriptDirectory(str(MIGRATIONS)).walk_revisions() if s.path.endswith("_catalog_sku_code_points.py")]
    index = migration.module.INDEX
    postgresql = store_url.startswith("postgresql")

    def definitions(connection: Connection) -> list[str]:
        if postgresql:
            return list(connection.execute(text("SELECT indexdef FROM pg_indexes WHERE indexname = :name"), {"name": index}).scalars())
        return list(connection.execute(text("SELECT sql FROM sqlite_master WHERE name = :name"), {"name": index}).scalars())

    store = Store(store_url)
    try:
        with store.engine.connect() as connection:
            made = definitions(connection)
        assert made == ([f'CREATE INDEX {index} ON public.catalog_skus USING btree (tenant, sku COLLATE "C")'] if postgresql else [])
    finally:
        store.close()
    with at_revision(store_url, migration.down_revision, downgrade=True) as connection:
        assert definitions(connection) == []
    store = Store(store_url)  # migrated up again
    try:
        _rows(store, "default", AWKWARD_SKUS)
        assert [found.sku for found in list_skus(store, "default", after="b-2", limit=3)] == ["e-2", "z.9", "é-1"]
        with store.engine.connect() as connection:
            assert definitions(connection) == made
    finally:
        store.close()


def test_of_two_deletions_of_one_sku_at_once_one_is_told_it_deleted_it(api: Api) -> None:
    assert api.client.post("/v1/catalog/CUP-2/images", files=[("images", ("a.jpg", jpeg(1), "image/jpeg"))]).status_code == 201
    answers: list[int] = []
    overtaken: list[bool] = []

    def the_other_deletes_first(conn: object, cursor: object, statement: str, *args: object) -> None:
        # The first DELETE of the first request: the SKU was read; the second request deletes it whole now.
        if statement.lstrip().upper().startswith("DELETE") and not overtaken:
            overtaken.append(True)
            answers.append(api.client.delete("/v1/catalog/CUP-2").status_code)

    event.listen(api.store.engine, "before_cursor_execute", the_other_deletes_first)
    try:
        answers.append(api.client.delete("/v1/catalog/CUP-2").status_code)
    finally:
        event.remove(api.store.engine, "before_cursor_execute", the_other_deletes_first)
    assert answers == [204, 404]  # was [204, 204]
    assert api.client.get("/v1/catalog/CUP-2").status_code == 404


def test_a_catalog_changed_by_another_process_is_seen_within_seconds(store_url: str) -> None:
    """Two API processes on one store (two Store objects here, each with its own catalog in memory):
    an image added or a SKU deleted through one is used by the other once it looks again (2 s)."""
    import time

    from evidence_check.store import Store
    from tests.api.conftest import make_api

    first, second = Store(store_url), Store(store_url)
    try:
        for one in make_api(first):
            for other in make_api(second):

                def relevance(claim_id: str, one: Api = one) -> str:
                    body = one.verify(photos(("p.jpg", jpeg(9))), {"claim_id": claim_id, "sku": "CUP-2"}).json()
                    return str(body["images"][0]["checks"]["relevance"]["code"])

                assert relevance("c-1") == "relevance.no_catalog"  # the first process holds an empty catalog
                _add(other, "CUP-2", {}, 3)
                time.sleep(2.1)
                assert relevance("c-2") != "relevance.no_catalog"
                assert other.client.delete("/v1/catalog/CUP-2").status_code == 204
                time.sleep(2.1)
                assert relevance("c-3") == "relevance.no_catalog"
    finally:
        first.close()
        second.close()


def test_a_sku_holding_a_slash_is_addressed_with_it_encoded(api: Api) -> None:
    """`a/zones` and `a/images` are SKUs of their own, not the zones or images of `a`."""
    for sku in ("a", "a/zones", "a/images"):
        _add(api, quote(sku, safe=""), {}, 1)
    listed = api.client.get("/v1/catalog").json()["items"]
    assert sorted(s["sku"] for s in listed) == ["a", "a/images", "a/zones"]
    for sku in ("a/zones", "a/images"):
        at = f"/v1/catalog/{quote(sku, safe='')}"
        assert api.client.get(at).json()["sku"] == sku
        zoned = api.client.put(f"{at}/zones", json={"cap": [0, 0, 5, 5]})
        assert zoned.status_code == 200 and zoned.json()["sku"] == sku, zoned.text
        assert api.client.delete(at).status_code == 204
    assert api.client.get("/v1/catalog/a").json()["zones"] == 0


def test_zones_are_bounded_by_the_image_they_are_drawn_on(api: Api) -> None:
    """Coordinates reached 2**32 unchecked: cut at the image's edge, refused when wholly off it."""
    files = [("images", ("f.jpg", jpeg(1, (640, 480)), "image/jpeg"))]
    huge = 2**31 - 1
    off = api.client.post("/v1/catalog/BAG-1/images", files=files, data={"zones": '{"lid": [0, 480, 5, 5]}'})
    assert off.status_code == 422
    assert off.json()["detail"].endswith("zone 'lid' lies wholly outside f.jpg (640x480 pixels)"), off.text
    assert api.client.get("/v1/catalog/BAG-1").status_code == 404  # nothing stored
    added = api.client.post("/v1/catalog/BAG-1/images", files=files, data={"zones": f'{{"lid": [10, 10, {huge}, 5]}}'})
    assert added.status_code == 201, added.text
    assert api.client.get("/v1/catalog/BAG-1").json()["image_list"][0]["zones"] == {"lid": [10, 10, 630, 5]}
    moved = api.client.put("/v1/catalog/BAG-1/zones", json={"lid": [huge, 0, 1, 1]})
    assert moved.status_code == 422 and "wholly outside f.jpg" in moved.json()["detail"]
    assert api.client.get("/v1/catalog/BAG-1").json()["image_list"][0]["zones"] == {"lid": [10, 10, 630, 5]}
    wedge = api.client.put("/v1/catalog/BAG-1/zones", json={"lid": {"polygon": [[0, 0], [huge, 0], [0, 100]]}})
    assert wedge.status_code == 200, wedge.text
    assert wedge.json()["image_list"][0]["zones"]["lid"]["polygon"] == [[0, 0], [640, 0], [640, 100], [0, 100]]


def test_zones_name_an_image_whose_file_name_is_over_its_width(keyed: tuple[Api, dict[str, str]]) -> None:
    """A file name over 255 characters is stored cut: the zones naming it whole answered "not one of
    the images", and the merchant could not tell which name to give."""
    api, keys = keyed
    acme = bearer(keys["acme"])
    long_name = "front-" + "x" * 300 + ".jpg"
    files = [("images", (long_name, jpeg(1, (640, 480)), "image/jpeg"))]
    assert api.client.post("/v1/catalog/BAG-9/images", files=files, data={"name": "bag"}, headers=acme).status_code == 201
    stored = api.client.get("/v1/catalog/BAG-9", headers=acme).json()["image_list"][0]["filename"]
    assert stored == stored_filename(long_name) and len(stored) == 255
    for given in (long_name, stored):
        zoned = api.client.put("/v1/catalog/BAG-9/zones", json={given: {"zipper": [10, 20, 100, 40]}}, headers=acme)
        assert zoned.status_code == 200, zoned.text
        assert zoned.json()["image_list"][0]["zones"] == {"zipper": [10, 20, 100, 40]}
    other = api.client.put("/v1/catalog/BAG-9/zones", json={"back.jpg": {"cap": [0, 0, 5, 5]}}, headers=acme)
    assert other.status_code == 422 and "back.jpg" in other.json()["detail"]


def test_two_file_names_agreeing_in_their_first_255_characters_stay_two(keyed: tuple[Api, dict[str, str]]) -> None:
    # Cut plainly they were stored as one name, and the zones drawn for the front landed on the back.
    api, keys = keyed
    acme = bearer(keys["acme"])
    folder = "catalog/" + "deep-folder/" * 22
    front, back = folder + "front.jpg", folder + "back.jpg"
    assert front[:255] == back[:255]
    files = [("images", (front, jpeg(1, (640, 480)), "image/jpeg")), ("images", (back, jpeg(2, (640, 480)), "image/jpeg"))]
    zones = json.dumps({front: {"zipper": [10, 20, 100, 40]}})
    added = api.client.post("/v1/catalog/BAG-9/images", files=files, data={"name": "bag", "zones": zones}, headers=acme)
    assert added.status_code == 201, added.text
    images = api.client.get("/v1/catalog/BAG-9", headers=acme).json()["image_list"]
    zoned = {image["filename"]: image["zones"] for image in images}
    assert zoned == {stored_filename(front): {"zipper": [10, 20, 100, 40]}, stored_filename(back): {}}
    moved = api.client.put("/v1/catalog/BAG-9/zones", json={back: {"cap": [0, 0, 5, 5]}}, headers=acme)
    zoned = {image["filename"]: image["zones"] for image in moved.json()["image_list"]}
    assert zoned == {stored_filename(front): {}, stored_filename(back): {"cap": [0, 0, 5, 5]}}


def test_a_name_stored_plainly_cut_before_the_digest_is_still_found_by_its_zones(keyed: tuple[Api, dict[str, str]]) -> None:
    api, keys = keyed
    acme = bearer(keys["acme"])
    long_name = "front-" + "x" * 300 + ".jpg"
    files = [("images", (long_name, jpeg(1, (640, 480)), "image/jpeg"))]
    assert api.client.post("/v1/catalog/BAG-9/images", files=files, data={"name": "bag"}, headers=acme).status_code == 201
    with api.store.engine.begin() as connection:  # as a store written before the digest holds it
        connection.execute(text("UPDATE catalog_images SET filename = :cut"), {"cut": long_name[:255]})
    for given in (long_name, long_name[:255]):
        zoned = api.client.put("/v1/catalog/BAG-9/zones", json={given: {"zipper": [10, 20, 100, 40]}}, headers=acme)
        assert zoned.status_code == 200, zoned.text
        assert zoned.json()["image_list"][0]["zones"] == {"zipper": [10, 20, 100, 40]}
