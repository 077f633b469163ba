"""An error's one line follows Accept-Language, as the report's sentences do: Chinese when asked,
English, word for word as before, when nothing is asked."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterator
from typing import Any, Literal

import httpx
import pytest
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from api.verifying import describe
from evidence_check.engine import now_utc
from evidence_check.errors import error_text
from evidence_check.store import Store, StoreError
from evidence_check.store.keys import create_key
from tests.api.conftest import Api, bearer, jpeg, make_api, photos

HAN = re.compile(r"[\u4e00-\u9fff]")
ZH = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}

Ask = Callable[[Api, dict[str, str]], httpx.Response]


def _zip(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return out.getvalue()


def _verify(fields: dict[str, str], files: list[Any] | None = None) -> Ask:
    return lambda api, headers: api.verify(files or photos(("a.jpg", jpeg(1))), fields, headers=headers)


# (what is asked, status, English line as clients have matched it, what the Chinese line keeps)
COMMON: list[tuple[str, Ask, int, str, str]] = [
    (
        "no claim",
        lambda api, h: api.client.get("/v1/claims/c-404", headers=h),
        404,
        "no claim 'c-404'",
        "'c-404'",
    ),
    (
        "no SKU",
        lambda api, h: api.client.get("/v1/catalog/BAG-404", headers=h),
        404,
        "no SKU 'BAG-404' in the catalog",
        "'BAG-404'",
    ),
    (
        "a date that is not one",
        _verify({"ordered_at": "next tuesday"}),
        422,
        "ordered_at: 'next tuesday' is not an ISO 8601 date or date-time (e.g. 2026-11-20T14:30+08:00)",
        "ordered_at",
    ),
    (
        "dates out of order",
        _verify({"ordered_at": "2026-11-15T10:00", "delivered_at": "2026-11-14T15:00"}),
        422,
        "delivered_at (2026-11-14T15:00:00+08:00) is before ordered_at (2026-11-15T10:00:00+08:00)",
        "delivered_at",
    ),
    (
        "a SKU that cannot be one",
        _verify({"sku": "BAG 001"}),
        422,
        "sku: 'BAG 001' must be 1-128 letters, digits or . _ - : @ / + (not . or .. alone)",  # was the regex
        "字母、数字",
    ),
    (
        "a reason not offered",
        _verify({"reason": "bored"}),
        422,
        "reason: Input should be 'damaged', 'not_received', 'wrong_item', 'not_as_described' or 'other'",
        "'damaged'、'not_received'、'wrong_item'、'not_as_described' 或 'other'",
    ),
    (
        "a region that is not a box",
        _verify({"region": "10,20,30"}),
        422,
        "region: region must be X,Y,W,H or N:X,Y,W,H, got '10,20,30'",
        "'10,20,30'",
    ),
    (
        "a field the request does not take",
        _verify({"colour": "red"}),
        422,
        "colour: not a field of this request (known: photos, ",
        "colour",
    ),
    (
        "no photo",
        _verify({}, [("other", ("a.jpg", jpeg(1), "image/jpeg"))]),
        422,
        "files must be sent in the 'photos' field, not other",
        "'photos'",
    ),
    (
        "no photo readable",
        _verify({}, photos(("a.jpg", b"not a photo"))),
        422,
        "no photo could be read (a.jpg: ",
        "a.jpg",
    ),
    (
        "not multipart",
        lambda api, h: api.client.post("/v1/verify", json={"sku": "BAG-001"}, headers=h),
        422,
        "send the photos as multipart/form-data (Content-Type with a boundary)",
        "multipart/form-data",
    ),
    (
        "a query parameter out of bounds",
        lambda api, h: api.client.get("/v1/claims", params={"limit": "0"}, headers=h),
        422,
        "limit: Input should be greater than or equal to 1",
        "limit",
    ),
    (
        "a cursor never handed out",
        lambda api, h: api.client.get("/v1/claims", params={"cursor": "@@"}, headers=h),
        422,
        "cursor: not one this server handed out; start again without it",
        "cursor",
    ),
    (
        "a zone that is not a box",
        lambda api, h: api.client.post(
            "/v1/catalog/BAG-1/images",
            files=[("images", ("front.jpg", jpeg(1), "image/jpeg"))],
            data={"zones": '{"zipper": [0, 0, -5, 10]}'},
            headers=h,
        ),
        422,
        "zones: zone 'zipper' needs x, y >= 0 and w, h > 0, got [0, 0, -5, 10]",
        "'zipper'",
    ),
    (
        "a brand too long",
        lambda api, h: api.client.post(
            "/v1/catalog/BAG-1/images",
            files=[("images", ("front.jpg", jpeg(1), "image/jpeg"))],
            data={"brand": "b" * 200},
            headers=h,
        ),
        422,
        "brand: at most 128 characters",
        "brand",
    ),
    (
        "an archive holding no manifest",
        lambda api, h: api.client.post(
            "/v1/catalog/import", files=[("archive", ("catalog.zip", _zip({"a.jpg": jpeg(1)}), "application/zip"))], headers=h
        ),
        422,
        "the archive holds no manifest.jsonl or manifest.csv at its root or in its top folder",
        "manifest.jsonl",
    ),
    (
        "a JSON body cut short",
        lambda api, h: api.client.put(
            "/v1/catalog/BAG-1/zones", content='{"zipper":', headers={**h, "Content-Type": "application/json"}
        ),
        422,
        "body: not JSON (Expecting value at character 10)",  # was "10: JSON decode error"
        "请求体：不是有效的 JSON（第 1 行第 11 列）",  # where the parser stopped, not its English words
    ),
    (
        "a JSON body nested deeper than Python reads",
        lambda api, h: api.client.put(
            "/v1/catalog/BAG-1/zones", content="[" * 100_000 + "]" * 100_000, headers={**h, "Content-Type": "application/json"}
        ),
        422,
        "body: not JSON (nested too deeply at character 0)",  # was 400, the same as bytes not text
        "JSON",
    ),
    (
        "a JSON body with a number of more digits than Python converts",
        lambda api, h: api.client.put(
            "/v1/catalog/BAG-1/zones", content='{"lid": [1' + "0" * 5000 + ", 0, 5, 5]}", headers={**h, "Content-Type": "application/json"}
        ),
        422,
        "body: not JSON (a number of more than 4300 digits at character 9)",  # was 400 "not UTF-8 text"
        "请求体：不是有效的 JSON（第 1 行第 10 列）",
    ),
    (
        "a JSON body that is not UTF-8 text",
        lambda api, h: api.client.put(
            "/v1/catalog/BAG-1/zones", content=b'{"lid": "\xff"}', headers={**h, "Content-Type": "application/json"}
        ),
        400,
        "body: cannot be read as JSON (not UTF-8 text)",  # was English only
        "JSON",
    ),
    (
        "a console form of more fields than Starlette reads",
        lambda api, h: api.client.post("/signin", data={f"f{n}": "x" for n in range(1001)}, headers=h),
        400,
        "Too many fields. Maximum number of fields is 1000.",  # was English only
        "1000",
    ),
    (
        "a path the API does not have",
        lambda api, h: api.client.get("/v1/nothing", headers=h),
        404,
        "Not Found",
        "",
    ),
]


@pytest.mark.parametrize(("why", "ask", "status", "english", "kept"), COMMON, ids=[c[0] for c in COMMON])
def test_the_common_errors_come_in_chinese_when_asked_and_in_english_otherwise(
    api: Api, why: str, ask: Ask, status: int, english: str, kept: str
) -> None:
    plain = ask(api, {})
    assert plain.status_code == status, plain.text
    assert plain.json()["detail"].startswith(english), why
    chinese = ask(api, ZH)
    assert chinese.status_code == status
    detail = chinese.json()["detail"]
    assert HAN.search(detail) and kept in detail and "\n" not in detail, detail
    assert set(chinese.json()) == {"detail"}
    # Chinese asked second: English is still preferred by a client that ranks it first.
    first_english = ask(api, {"Accept-Language": "en-GB,zh;q=0.5"})
    assert first_english.json()["detail"] == plain.json()["detail"]


@pytest.fixture
def keyed_api(store: Store) -> Iterator[tuple[Api, str]]:
    key = create_key(store, "acme", now_utc())[1]
    yield from ((api, key) for api in make_api(store))


@pytest.mark.parametrize(
    ("headers", "english", "chinese"),
    [
        (
            {},
            "missing API key: send Authorization: Bearer KEY",
            "缺少 API 密钥：请发送 Authorization: Bearer KEY",
        ),
        (bearer("not-a-key"), "invalid or revoked API key", "API 密钥无效或已吊销"),
    ],
)
def test_401_is_worded_in_the_callers_language_and_keeps_its_challenge(
    keyed_api: tuple[Api, str], headers: dict[str, str], english: str, chinese: str
) -> None:
    api, _key = keyed_api
    plain = api.client.get("/v1/claims/c-1", headers=headers)
    asked = api.client.get("/v1/claims/c-1", headers={**headers, **ZH})
    assert plain.status_code == asked.status_code == 401
    assert plain.json() == {"detail": english} and asked.json() == {"detail": chinese}
    assert asked.headers["www-authenticate"] == "Bearer"


def test_an_idempotency_key_used_again_for_other_photos_is_409_in_chinese(api: Api) -> None:
    first = api.verify(photos(("a.jpg", jpeg(1))), {"claim_id": "c-1"}, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == 200
    again = api.verify(
        photos(("a.jpg", jpeg(2))), {"claim_id": "c-1"}, headers={"Idempotency-Key": "k-1", **ZH}
    )
    assert again.status_code == 409
    assert again.json()["detail"] == error_text("request.idempotency_conflict", {}, "zh")
    assert "Idempotency-Key" in again.json()["detail"] and HAN.search(again.json()["detail"])


def test_a_photo_over_the_limit_is_413_in_chinese_and_names_the_photo(store: Store) -> None:
    for api in make_api(store, max_file_bytes=2048):
        plain = api.verify(photos(("big.jpg", jpeg(1))))
        asked = api.verify(photos(("big.jpg", jpeg(1))), headers=ZH)
        assert plain.status_code == asked.status_code == 413
        assert plain.json()["detail"] == "photo 'big.jpg' is over the 2 KB limit per file"
        assert asked.json()["detail"] == "照片 'big.jpg' 超过单个文件 2 KB 的上限"


def test_a_store_that_does_not_answer_is_503_in_chinese(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unavailable(*_args: object) -> None:
        raise StoreError("could not read: connection refused")

    monkeypatch.setattr(store, "latest_report", unavailable)
    for api in make_api(store):
        plain = api.client.get("/v1/claims/c-1")
        asked = api.client.get("/v1/claims/c-1", headers=ZH)
        assert plain.status_code == asked.status_code == 503
        assert plain.json() == {"detail": "the store is not available; try again"}
        assert asked.json() == {"detail": "存储暂时不可用；请稍后重试"}


def test_a_server_set_to_chinese_answers_in_chinese_unless_english_is_asked(store: Store) -> None:
    """One rule for the whole answer: the report's language, chosen as the report's is."""
    for api in make_api(store, lang="zh"):
        assert api.client.get("/v1/claims/c-404").json() == {"detail": "没有理赔 'c-404'"}
        english = api.client.get("/v1/claims/c-404", headers={"Accept-Language": "en"})
        assert english.json() == {"detail": "no claim 'c-404'"}


class _Fields(BaseModel):
    """Every kind of error the API's own fields and parameters are checked with."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=3, min_length=2, pattern=r"^[a-z]+$")
    count: int = Field(default=1, ge=1, le=5)
    flag: bool = False
    kind: Literal["a", "b"] = "a"


@pytest.mark.parametrize(
    ("given", "code"),
    [
        ({}, "input.missing"),
        ({"name": "abcd"}, "input.string_too_long"),
        ({"name": "a"}, "input.string_too_short"),
        ({"name": "AB"}, "input.string_pattern_mismatch"),
        ({"name": "ab", "count": "x"}, "input.int_parsing"),
        ({"name": "ab", "count": 0}, "input.greater_than_equal"),
        ({"name": "ab", "count": 9}, "input.less_than_equal"),
        ({"name": "ab", "flag": "perhaps"}, "input.bool_parsing"),
        ({"name": "ab", "kind": "c"}, "input.literal_error"),
        ({"name": "ab", "other": 1}, "input.extra_forbidden"),
        ({"name": 5}, "input.string_type"),
    ],
)
def test_pydantics_errors_keep_their_english_and_get_their_chinese(given: dict[str, Any], code: str) -> None:
    with pytest.raises(ValidationError) as raised:
        _Fields.model_validate(given)
    error = raised.value.errors()[0]
    found, params = describe(raised.value.errors())
    assert found == code
    field = ".".join(str(part) for part in error["loc"])
    if code != "input.extra_forbidden":
        assert error_text(found, params) == f"{field}: {error['msg']}"
    chinese = error_text(found, params, "zh")
    assert chinese.startswith(field) and HAN.search(chinese)


NOT_AN_OBJECT = (
    "body: not a JSON object; send one, with Content-Type: application/json",
    "请求体：不是 JSON 对象；请发送一个 JSON 对象，Content-Type 为 application/json",
)


@pytest.mark.parametrize(
    ("sent", "english", "chinese"),
    [
        pytest.param({"data": {"outcome": "fraud"}}, *NOT_AN_OBJECT, id="form-encoded"),
        pytest.param({"content": b"fraud", "headers": {"Content-Type": "text/plain"}}, *NOT_AN_OBJECT, id="plain text"),
        pytest.param({"json": ["fraud"]}, *NOT_AN_OBJECT, id="a JSON list"),
        pytest.param({}, *NOT_AN_OBJECT, id="no body"),
        pytest.param(
            {"json": {"outcome": "fraud", "note": 5}},
            "note: Input should be a valid string",
            "note：应为字符串",
            id="a note that is a number",
        ),
    ],
)
def test_a_malformed_outcome_is_one_worded_line_in_either_language(
    api: Api, sent: dict[str, Any], english: str, chinese: str
) -> None:
    """Pydantic's "Input should be a valid dictionary or object to extract fields from" came inside
    the Chinese line, and told an agent's script sending a form nothing about what to send."""
    assert api.verify(photos(("a.jpg", jpeg(1))), {"claim_id": "c-1"}).status_code == 200
    headers = sent.pop("headers", {})
    for lang, line in (("en", english), ("zh", chinese)):
        answered = api.client.post("/v1/claims/c-1/outcome", headers={**headers, "Accept-Language": lang}, **sent)
        assert (answered.status_code, answered.json()) == (422, {"detail": line})
    assert api.client.get("/v1/stats").json()["decided"] == 0


@pytest.mark.parametrize(
    "sent",
    [
        pytest.param({"json": [{"name": "seam", "box": [0, 0, 5, 5]}]}, id="a JSON list"),
        pytest.param({"data": {"a.jpg": "seam"}}, id="form-encoded"),
        pytest.param({}, id="no body"),
    ],
)
def test_zones_that_are_not_an_object_are_worded_for_zones_too(api: Api, sent: dict[str, Any]) -> None:
    """The line is every JSON route's: a SKU's zones are a map of its images' names, not "fields"."""
    added = api.client.post("/v1/catalog/SKU-1/images", files=[("images", ("a.jpg", jpeg(2), "image/jpeg"))])
    assert added.status_code == 201
    for lang, line in zip(("en", "zh"), NOT_AN_OBJECT, strict=True):
        answered = api.client.put("/v1/catalog/SKU-1/zones", headers={"Accept-Language": lang}, **sent)
        assert (answered.status_code, answered.json()) == (422, {"detail": line})
    assert api.client.get("/v1/catalog/SKU-1").json()["zones"] == 0


def test_a_kind_of_pydantic_error_not_worded_keeps_its_message_in_chinese() -> None:
    found, params = describe(
        [
            {
                "type": "date_from_datetime_inexact",
                "loc": ("query", "day"),
                "msg": "Datetimes provided to dates should have zero time",
            }
        ]
    )
    assert found == "input.invalid"
    assert error_text(found, params) == "day: Datetimes provided to dates should have zero time"
    assert (
        error_text(found, params, "zh")
        == "day：取值无效（Datetimes provided to dates should have zero time）"
    )


def test_no_readable_photo_is_422_with_each_photos_reason_in_chinese(api: Api) -> None:
    answer = api.verify(photos(("a.jpg", b"not a photo"), ("b.jpg", b"")), {}, headers=ZH)
    detail = answer.json()["detail"]
    assert answer.status_code == 422
    assert detail == "没有一张照片能够读取（a.jpg：不是可读取格式的图片（JPEG、PNG、WebP、HEIC、AVIF、TIFF、GIF）；b.jpg：文件是空的）"
    english = api.verify(photos(("a.jpg", b"not a photo"), ("b.jpg", b"")), {}).json()["detail"]
    assert english == (
        "no photo could be read (a.jpg: not an image in a format we read (JPEG, PNG, WebP, HEIC, AVIF, TIFF, GIF); "
        "b.jpg: the file is empty)"
    )
