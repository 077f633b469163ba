"""A NUL (and a lone surrogate) sent by a client: PostgreSQL's text holds neither, SQLite both. An id
holding one is no such claim; free text holding one, or another control character (ESC, CSI, DEL: the
command line would print it to a terminal), is a one-line 422, nothing stored; the same on both
backends (each test runs on SQLite and PostgreSQL)."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from evidence_check.errors import ERRORS
from evidence_check.widths import ID_WIDTH
from tests.api.conftest import Api, jpeg, photos

UNSTORABLE = "a control character (tab and line breaks aside) or a lone surrogate cannot be stored"


def _raw_json(value: object) -> dict[str, object]:
    # json.dumps writes a lone surrogate as the escape "\ud800", as a hostile client would send it.
    return {"content": json.dumps(value), "headers": {"content-type": "application/json"}}


@pytest.fixture
def claimed(api: Api) -> Api:
    assert api.verify(photos(("a.jpg", jpeg(1))), {"claim_id": "c-1", "sku": "S-1"}).status_code == 200
    return api


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/claims/a%00b"),
        ("GET", "/v1/claims/a%00b/reports"),
        ("GET", "/v1/claims/a%00b/photos/1/annotated.png"),
        ("POST", "/v1/claims/a%00b/reverify"),
        ("POST", "/v1/claims/a%00b/challenge"),
        ("GET", "/claims/a%00b"),
        ("GET", "/claims/a%00b/print"),
        ("GET", "/catalog/a%00b"),
    ],
)
def test_an_id_holding_a_nul_is_no_such_claim(claimed: Api, method: str, path: str) -> None:
    assert claimed.client.request(method, path).status_code == 404


def test_a_search_holding_a_nul_matches_no_claim(claimed: Api) -> None:
    listed = claimed.client.get("/v1/claims?q=S%00")
    assert listed.status_code == 200
    assert listed.json()["items"] == []
    assert claimed.client.get("/?q=c%00").status_code == 200


@pytest.mark.parametrize("field", ["customer_id", "sku", "order_id"])
def test_an_id_filter_holding_a_nul_is_refused_by_the_id_rule(claimed: Api, field: str) -> None:
    listed = claimed.client.get(f"/v1/claims?{field}=S%00")
    assert listed.status_code == 422
    assert listed.json()["detail"].startswith(f"{field}: 'S\\x00' must be 1-128 letters, digits")


@pytest.mark.parametrize("asked", ["q=%00", "q=%1b", "sku=S-1", "customer_id=a&order_id=o-1&q=%00"])
def test_a_bad_cursor_is_refused_whatever_the_filters_ask(claimed: Api, asked: str) -> None:
    listed = claimed.client.get(f"/v1/claims?{asked}&cursor=bad")
    assert (listed.status_code, listed.json()["detail"]) == (422, ERRORS["request.bad_cursor"][0])
    assert ERRORS["request.bad_cursor"][0] in claimed.client.get(f"/?{asked}&cursor=bad").text


@pytest.mark.parametrize(
    "note", ["a\x00b", "a\ud800b", "a\x1b[2J\x1b]0;owned\x07b", "a\x9b2Jb", "a\x7f\x08b", "a\x84b", "a\x86b", "a\x1cb"]
)
def test_an_outcome_note_that_cannot_be_stored_is_refused_whole(claimed: Api, note: str) -> None:
    sent = claimed.client.post("/v1/claims/c-1/outcome", **_raw_json({"outcome": "genuine", "note": note}))  # type: ignore[arg-type]
    assert (sent.status_code, sent.json()["detail"]) == (422, f"note: {UNSTORABLE}")
    assert claimed.count("outcomes") == 0
    in_chinese = claimed.client.post(
        "/v1/claims/c-1/outcome",
        headers={"Accept-Language": "zh", "content-type": "application/json"},
        content=json.dumps({"outcome": "genuine", "note": note}),
    )
    assert in_chinese.json()["detail"] == "note：不能保存控制字符（制表符和换行符除外）或孤立的代理码位"


def test_an_outcome_note_over_its_length_is_said_as_a_texts_length(claimed: Api) -> None:
    # It was "at most 2000 items after validation", in English in a Chinese line too.
    sent = claimed.client.post("/v1/claims/c-1/outcome", json={"outcome": "fraud", "note": "x" * 2001})
    assert (sent.status_code, sent.json()["detail"]) == (422, "note: at most 2000 characters")
    in_chinese = claimed.client.post(
        "/v1/claims/c-1/outcome", json={"outcome": "fraud", "note": "x" * 2001}, headers={"Accept-Language": "zh"}
    )
    assert in_chinese.json()["detail"] == "note：最多 2000 个字符"
    assert claimed.client.post("/v1/claims/c-1/outcome", json={"outcome": "fraud", "note": "x" * 2000}).status_code == 200


@pytest.mark.parametrize(
    "note",
    [
        "torn\r\nseam:\t3 cm",  # what a text area sends: "\r\n" between lines
        "torn\vseam\fpage 2",  # Word's own line break (VT) and page break (FF), in text read out of it
        "torn\x85seam",  # NEL, Unicode's next line
        "pa\u00adcket\u00a0torn \U0001f469\u200d\U0001f527 \u7f1d\u7ebf\u88c2\u5f00",  # soft hyphen, NBSP, ZWJ, Chinese
    ],
)
def test_an_outcome_note_keeps_its_tabs_and_line_breaks(claimed: Api, note: str) -> None:
    sent = claimed.client.post("/v1/claims/c-1/outcome", json={"outcome": "fraud", "note": note})
    assert (sent.status_code, sent.json()["note"]) == (200, note)


@pytest.mark.parametrize("field", ["name", "category"])
def test_a_catalog_text_holding_a_nul_is_refused_whole(api: Api, field: str) -> None:
    sent = api.client.post(
        "/v1/catalog/S-2/images", files=[("images", ("k.jpg", jpeg(2), "image/jpeg"))], data={field: "a\x00b"}
    )
    assert (sent.status_code, sent.json()["detail"]) == (422, f"{field}: {UNSTORABLE}")
    assert api.count("catalog_skus") == 0


@pytest.mark.parametrize(
    "zones",
    [
        {"a\ud800b": [0, 0, 10, 10]},
        {"seam": {"box": [0, 0, 10, 10], "note": "a\ud800b"}},
        {"seam": {"box": [0, 0, 10, 10], "label_zh": "a\x00b"}},
        {"seam": {"box": [0, 0, 10, 10], "note": "a\x1b[31mb"}},
        {"a\x9bb": [0, 0, 10, 10]},
    ],
)
def test_zones_that_cannot_be_stored_are_refused(api: Api, zones: dict[str, object]) -> None:
    assert api.client.post("/v1/catalog/S-3/images", files=[("images", ("k.jpg", jpeg(3), "image/jpeg"))]).status_code == 201
    sent = api.client.put("/v1/catalog/S-3/zones", **_raw_json(zones))  # type: ignore[arg-type]
    assert sent.status_code == 422
    assert UNSTORABLE in sent.json()["detail"]
    assert api.client.get("/v1/catalog/S-3").json()["zones"] == 0


@pytest.mark.parametrize(
    "row",
    [
        {"sku": "S-4", "images": ["x.jpg"], "category": "a\x00b"},
        {"sku": "S-4", "images": ["x.jpg"], "name": "a\ud800b"},
        {"sku": "S-4", "images": ["x.jpg"], "brand": "a\ud800b"},
        {"sku": "S-4", "images": ["x.jpg"], "name": "a\x1b[2Jb"},
    ],
)
def test_an_import_row_that_cannot_be_stored_imports_nothing(api: Api, row: dict[str, object]) -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as written:
        written.writestr("manifest.jsonl", json.dumps({"sku": "S-5", "images": ["x.jpg"]}) + "\n" + json.dumps(row) + "\n")
        written.writestr("x.jpg", jpeg(4))
    sent = api.client.post("/v1/catalog/import", files=[("archive", ("c.zip", archive.getvalue(), "application/zip"))])
    assert sent.status_code == 422
    assert sent.json()["detail"].startswith("manifest.jsonl: line 2: ")
    assert UNSTORABLE in sent.json()["detail"]
    assert api.count("catalog_skus") == 0


def test_a_claim_category_holding_a_nul_records_nothing(api: Api) -> None:
    # Kept in the claim's JSON fields, which both backends took: stored, to be read back by reverify.
    sent = api.verify(photos(("a.jpg", jpeg(5))), {"claim_id": "c-2", "category": "a\x00b"})
    assert (sent.status_code, sent.json()["detail"]) == (422, f"category: {UNSTORABLE}")
    assert api.count("claims") == 0


# Each text one character over its column (PostgreSQL refused the row, SQLite stored it whole).
OVER_LONG = [("name", 255), ("category", 64), ("brand", 128), ("family", 128)]


@pytest.mark.parametrize(("field", "width"), OVER_LONG)
def test_a_catalog_text_longer_than_its_column_is_refused_whole(api: Api, field: str, width: int) -> None:
    sent = [("images", ("k.jpg", jpeg(2), "image/jpeg"))]
    added = api.client.post("/v1/catalog/S-2/images", files=sent, data={field: "x" * (width + 1)})
    assert (added.status_code, added.json()["detail"]) == (422, f"{field}: at most {width} characters")
    in_chinese = api.client.post(
        "/v1/catalog/S-2/images", files=sent, data={field: "x" * (width + 1)}, headers={"Accept-Language": "zh"}
    )
    assert in_chinese.json()["detail"] == f"{field}：最多 {width} 个字符"
    assert api.count("catalog_skus") == 0


def test_catalog_texts_as_long_as_their_columns_are_stored_whole(api: Api) -> None:
    longest = {field: field[0] * width for field, width in OVER_LONG}
    added = api.client.post("/v1/catalog/S-2/images", files=[("images", ("k.jpg", jpeg(2), "image/jpeg"))], data=longest)
    assert added.status_code == 201
    shown = api.client.get("/v1/catalog/S-2").json()
    assert {field: shown[field] for field in longest} == longest


@pytest.mark.parametrize(("field", "width"), OVER_LONG)
def test_an_import_row_longer_than_its_column_imports_nothing(api: Api, field: str, width: int) -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as written:
        rows = [{"sku": "S-5", "images": ["x.jpg"]}, {"sku": "S-4", "images": ["x.jpg"], field: "x" * (width + 1)}]
        written.writestr("manifest.jsonl", "".join(json.dumps(row) + "\n" for row in rows))
        written.writestr("x.jpg", jpeg(4))
    sent = api.client.post("/v1/catalog/import", files=[("archive", ("c.zip", archive.getvalue(), "application/zip"))])
    assert (sent.status_code, sent.json()["detail"]) == (422, f"manifest.jsonl: line 2: {field}: at most {width} characters")
    assert api.count("catalog_skus") == 0


@pytest.mark.parametrize(
    ("field", "value", "refusal"),
    [
        ("category", "x" * 65, "category: at most 64 characters"),
        *((name, "c" * 129, f"{name}: '{'c' * 129}' must be 1-128") for name in ("claim_id", "customer_id", "order_id", "sku")),
    ],
)
def test_a_claim_field_longer_than_its_column_records_nothing(api: Api, field: str, value: str, refusal: str) -> None:
    sent = api.verify(photos(("a.jpg", jpeg(5))), {field: value})
    assert sent.status_code == 422 and sent.json()["detail"].startswith(refusal)
    assert api.count("claims") == 0


def test_the_openapi_description_gives_the_catalog_forms_widths(api: Api) -> None:
    # It said 16384 characters for a name and a category, which the route refuses past 255 and 64: a
    # client generated from it let through what the server answers with a 422.
    described = api.client.get("/openapi.json").json()
    operation = described["paths"]["/v1/catalog/{sku}/images"]["post"]
    fields = operation["requestBody"]["content"]["multipart/form-data"]["schema"]["properties"]
    assert {field: fields[field]["maxLength"] for field, _ in OVER_LONG} == dict(OVER_LONG)
    sku_patterns = {
        parameter["schema"]["pattern"]
        for item in described["paths"].values()
        for method in item.values()
        for parameter in method.get("parameters", [])
        if parameter["name"] == "sku" and parameter["in"] == "path"
    }
    assert sku_patterns == {rf"^[\w.:@/+-]{{1,{ID_WIDTH}}}$"}
