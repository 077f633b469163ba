"""The console's catalog page, the new-claim form's SKU list and `catalog list` with a catalog too large to
show whole: a page at a time in `GET /v1/catalog`'s order and cursor, a search by a SKU's first characters."""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Iterator

import pytest

from api.routes.catalog_read import sku_cursor
from api.web import catalog, claims
from evidence_check.store import Store
from evidence_check.store.catalog_store import list_skus, remove_sku
from tests.api.conftest import CLAIM, Api, jpeg, make_api, photos
from tests.api.test_catalog_read import AWKWARD_SKUS, _rows
from tests.web.conftest import csrf_of, sign_in

SKUS = AWKWARD_SKUS + [f"f-{n:02d}" for n in range(20)]
SHOWN = re.compile(r'<tr><td><a href="/catalog/[^"]*">([^<]*)</a></td>')
NEXT = re.compile(r'<a href="([^"]*)">Next SKUs →</a>')


def _shown(page: str) -> list[str]:
    return [html.unescape(sku) for sku in SHOWN.findall(page)]


def _next(page: str) -> str | None:
    found = NEXT.search(page)
    return html.unescape(found.group(1)) if found else None


@pytest.fixture
def paged(store: Store, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    """The trial tenant's 32 SKUs of every kind and another tenant's, five a page."""
    monkeypatch.setattr(catalog, "PAGE", 5)
    _rows(store, "default", SKUS)
    _rows(store, "another", ["a-0", "f-05x"])
    yield from make_api(store)


def test_the_catalog_page_pages_by_code_point_as_the_api_does(paged: Api) -> None:
    shown: list[list[str]] = []
    cursors: list[str] = []
    address = "/catalog"
    while True:
        page = paged.client.get(address)
        assert page.status_code == 200
        shown.append(_shown(page.text))
        # every SKU's two images and the zone on the first, counted by the page's own query
        assert page.text.count('<td class="num">2</td><td class="num">1</td>') == len(shown[-1])
        # The first page has no link back to itself; every later one has.
        assert ("First SKUs</a>" in page.text) == (address != "/catalog")
        following = _next(page.text)
        if following is None:
            break
        cursors.append(following.split("cursor=")[1])
        address = following
    assert [sku for page in shown for sku in page] == sorted(SKUS)  # case, accents, CJK, U+FF42, U+20000
    assert [len(page) for page in shown] == [5] * 6 + [2]
    api_cursors: list[str] = []
    cursor = None
    while True:
        answer = paged.client.get("/v1/catalog", params={"limit": 5, **({"cursor": cursor} if cursor else {})}).json()
        cursor = answer["next_cursor"]
        if cursor is None:
            break
        api_cursors.append(cursor)
    assert cursors == api_cursors  # the API's cursor: a link taken from one pages the other


def test_a_page_after_a_deleted_sku_starts_after_where_it_stood(paged: Api) -> None:
    first = paged.client.get("/catalog").text
    following = _next(first)
    assert following is not None
    expected = _shown(paged.client.get(following).text)
    assert remove_sku(paged.store, "default", _shown(first)[-1])
    assert _shown(paged.client.get(following).text) == expected
    # After the last SKU, deleted since: an empty page that says so, a link to the first.
    for sku in sorted(SKUS)[-3:]:
        assert remove_sku(paged.store, "default", sku)
    last = paged.client.get("/catalog", params={"cursor": sku_cursor(sorted(SKUS)[-4])})
    assert _shown(last.text) == [] and "No more SKUs." in last.text and "First SKUs</a>" in last.text


@pytest.mark.parametrize("forged", ["AA", "YQBi", "7aCA", "!!!", "QkFHLTAw" * 200])
def test_a_cursor_no_page_gave_is_one_line_over_the_first_page(paged: Api, forged: str) -> None:
    """Not base64, a NUL (a 500 on PostgreSQL, compared by the store), a lone surrogate, longer than any."""
    english = paged.client.get("/catalog", params={"cursor": forged})
    assert english.status_code == 200
    assert english.text.count('class="problem"') == 1
    assert "cursor: not one this server handed out; start again without it" in english.text
    assert _shown(english.text) == sorted(SKUS)[:5] and "First SKUs</a>" not in english.text
    chinese = paged.client.get("/catalog", params={"cursor": forged}, headers={"Accept-Language": "zh"})
    assert "cursor：不是本服务器给出的游标" in chinese.text


def test_the_search_finds_the_skus_starting_with_it_in_a_range_of_the_order(paged: Api) -> None:
    def found(typed: str) -> list[str]:
        shown: list[str] = []
        address = "/catalog?q=" + typed
        while address:
            page = paged.client.get(address).text
            shown += _shown(page)
            address = _next(page) or ""
        return shown

    assert found("f-1") == [f"f-{n}" for n in range(10, 20)]  # two pages: the next link keeps the search
    assert found("b") == ["b-2"]  # not B-2, nor the fullwidth ｂ-1
    assert found("é") == ["é-1"] and found("中文") == ["中文-1"] and found("𠀀") == ["𠀀-1"]
    assert found("f_1") == []  # `_` is no pattern (LIKE's would match f-10…)
    assert found("f-05") == ["f-05"]  # not the other tenant's f-05x
    none = paged.client.get("/catalog", params={"q": "zzz"}).text
    assert "No SKU starts with zzz." in none and _shown(none) == []
    assert "没有以 zzz 开头的 SKU。" in paged.client.get("/catalog?q=zzz", headers={"Accept-Language": "zh"}).text
    # What no SKU can start with (a space, a NUL): one line, the first page.
    for typed in ("a b", "a\x00"):
        refused = paged.client.get("/catalog", params={"q": typed})
        assert refused.status_code == 200 and refused.text.count('class="problem"') == 1
        assert "SKU starts with: " in refused.text and _shown(refused.text) == sorted(SKUS)[:5]
    assert [s.sku for s in list_skus(paged.store, "default", starting="E")] == ["E-2"]
    assert [s.sku for s in list_skus(paged.store, "default", starting="f-0", after="f-07", limit=2)] == ["f-08", "f-09"]


def test_a_deletion_is_still_announced_when_the_sku_was_on_another_page(paged: Api) -> None:
    token = csrf_of(paged.client.get("/catalog").text)
    last = sorted(SKUS)[-1]
    deleted = paged.client.post(f"/catalog/{last}/delete", data={"csrf": token, "confirm": "yes"}, follow_redirects=False)
    assert deleted.status_code == 303
    assert f"SKU deleted: {last}" in paged.client.get(deleted.headers["location"]).text


def test_the_new_claim_form_lists_a_large_catalogs_first_skus_and_takes_any(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    for seed, sku in enumerate(("BAG-1", "BAG-2")):
        added = api.client.post(f"/v1/catalog/{sku}/images", files=[("images", ("a.jpg", jpeg(seed, (640, 480)), "image/jpeg"))])
        assert added.status_code == 201, added.text
    monkeypatch.setattr(claims, "SKU_CHOICES", 2)
    whole = api.client.get("/new-claim").text
    assert '<datalist id="skus" data-lookup="/new-claim/sku" data-every>' in whole and "type any other in full" not in whole
    added = api.client.post("/v1/catalog/CUP-3/images", files=[("images", ("a.jpg", jpeg(7, (640, 480)), "image/jpeg"))])
    assert added.status_code == 201, added.text
    cut = api.client.get("/new-claim").text
    assert re.findall(r'<option value="([^"]*)" data-found', cut) == ["BAG-1", "BAG-2"]
    assert '<datalist id="skus" data-lookup="/new-claim/sku">' in cut  # no data-every: a SKU not listed is looked up
    assert "The list offers the catalog&#39;s first 2 SKUs: type any other in full." in cut
    assert "列表只列出目录中前 2 个 SKU" in api.client.get("/new-claim", headers={"Accept-Language": "zh"}).text

    def relevance(sku: str) -> str:
        token = csrf_of(api.client.get("/new-claim").text)
        sent = {**CLAIM, "csrf": token, "claim_id": f"c-{sku}", "sku": sku}
        answer = api.client.post("/new-claim", files=photos(("p.jpg", jpeg(9))), data=sent, follow_redirects=False)
        assert answer.status_code == 303, answer.text
        report = api.client.get(f"/v1/claims/c-{sku}/reports").json()[-1]
        assert report["sku"] == sku
        return str(report["images"][0]["checks"]["relevance"]["code"])

    assert relevance("CUP-3") != "relevance.no_catalog"  # not in the list, known all the same
    assert relevance("CUP-404") == "relevance.no_catalog"  # as before: taken, compared with nothing
    token = csrf_of(api.client.get("/new-claim").text)
    refused = api.client.post("/new-claim", files=photos(("p.jpg", jpeg(9))), data={**CLAIM, "csrf": token, "sku": "CUP 3"})
    assert refused.status_code == 422 and "sku: &#39;CUP 3&#39; must be" in refused.text
    assert api.count("claims") == 2


def _looked_up(api: Api, sku: str) -> object:
    answer = api.client.get("/new-claim/sku", params={"sku": sku})
    assert answer.status_code == 200 and answer.headers.get_list("cache-control") == ["no-store"]
    return answer.json()["found"]


def test_the_forms_sku_look_up_finds_one_sku_exactly_in_the_signed_in_tenants_catalog(store: Store) -> None:
    odd = ["a/b", "中文-SKU", "x:y@z+1"]
    _rows(store, "default", ["AB-1", *odd])
    _rows(store, "another", ["ab-1", "theirs"])
    for api in make_api(store):
        looked_up = functools.partial(_looked_up, api)
        assert looked_up("AB-1") == "the AB-1 · Images: 2"
        assert [looked_up(sku) for sku in odd] == [f"the {sku} · Images: 2" for sku in odd]
        # Case-sensitive and exact: another tenant's `ab-1`, a SKU's first characters, none at all; no SKU
        # holds '%', '?' or '#', and `a/b` followed by one is not `a/b` (nor its escape `a%2Fb`).
        unknown = ("ab-1", "Ab-1", "AB-", "theirs", "", "a\x00b", "x" * 200, "a/b#c", "a/b?c=1", "a/b%", "a%2Fb", "中文")
        assert [looked_up(sku) for sku in unknown] == [None] * len(unknown)
        in_zh = api.client.get("/new-claim/sku", params={"sku": "a/b"}, headers={"Accept-Language": "zh"})
        assert in_zh.json() == {"sku": "a/b", "found": "the a/b · 图片: 2"}  # in the agent's language, as the list
        # The list's line and the look-up's are one: the same text for a listed SKU.
        assert 'value="AB-1" data-found="the AB-1 · Images: 2"' in api.client.get("/new-claim").text


def test_the_forms_sku_look_up_is_only_for_a_signed_in_agent(keyed: tuple[Api, dict[str, str]]) -> None:
    api, keys = keyed
    _rows(api.store, "acme", ["AB-1"])
    _rows(api.store, "globex", ["G-1"])
    refused = api.client.get("/new-claim/sku", params={"sku": "AB-1"})
    assert (refused.status_code, refused.headers["cache-control"]) == (401, "no-store")
    assert "AB-1" not in refused.text and refused.json() == {"detail": "Sign in first."}
    in_zh = api.client.get("/new-claim/sku", params={"sku": "AB-1"}, headers={"Accept-Language": "zh"})
    assert (in_zh.status_code, in_zh.json()) == (401, {"detail": "请先登录。"})
    # The form's photo preview, the other script-only console route, refuses alike.
    preview = api.client.post("/claims/preview", files={"photo": ("a.jpg", b"\xff\xd8")}, headers={"Accept-Language": "zh"})
    assert (preview.status_code, preview.text, preview.headers["cache-control"]) == (401, "请先登录。", "no-store")
    sign_in(api, keys["globex"])
    assert api.client.get("/new-claim/sku", params={"sku": "AB-1"}).json()["found"] is None
    assert api.client.get("/new-claim/sku", params={"sku": "G-1"}).json()["found"] == "the G-1 · Images: 2"
    # A session signed out, its cookies kept (a copy), or a cookie forged: refused as signed out.
    copied = dict(api.client.cookies)
    token = csrf_of(api.client.get("/new-claim").text)
    assert api.client.post("/signout", data={"csrf": token}, follow_redirects=False).status_code == 303
    api.client.cookies.update(copied)
    ended = api.client.get("/new-claim/sku", params={"sku": "G-1"})
    assert ended.status_code == 401 and "G-1 ·" not in ended.text
    api.client.cookies.update({name: value[:-2] + "AA" for name, value in copied.items()})
    forged = api.client.get("/new-claim/sku", params={"sku": "G-1"})
    assert forged.status_code == 401 and "G-1 ·" not in forged.text
