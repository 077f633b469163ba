"""Every status code of the contract's HTTP part, with the body it promises."""

from __future__ import annotations

import hashlib
import importlib
import logging
import pkgutil
from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any

import anyio
import pytest
from fastapi import APIRouter, Body, FastAPI
from fastapi.responses import StreamingResponse
from sqlalchemy.exc import OperationalError
from starlette.types import Receive, Scope, Send

import api.routes as api_routes
from api import auth
from api.addresses import KeepEncodedSlashes
from api.app import create_app
from api.connections import BodyIdleTimeout, CloseUnreadBody
from api.json_body import UniqueNamesRoute
from api.private_answers import PrivateAnswers
from api.routes import API_PREFIX, health
from evidence_check import strict_json
from evidence_check.checks.registry import CHECK_NAMES
from evidence_check.engine import now_utc
from evidence_check.store import Store, StoreError
from evidence_check.store.keys import create_key, key_for, revoke_key
from evidence_check.strict_json import loads
from tests.api.conftest import (
    CLAIM,
    LOCAL,
    LOOPBACK,
    Api,
    TestClient,
    bearer,
    jpeg,
    make_api,
    photos,
    settings_for,
)
from tests.conftest import FIXTURES


def test_healthz_is_200_when_the_store_answers(api: Api) -> None:
    response = api.client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    probe = api.client.head("/healthz")  # a load balancer's probe
    assert probe.status_code == 200 and probe.content == b""


def test_verify_returns_the_contract_report(api: Api) -> None:
    good = (FIXTURES / "genuine_after_delivery.jpg").read_bytes()
    response = api.verify(photos(("good.jpg", good), ("bad.jpg", b"not a photo")), {"claim_id": "c-1"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["schema"] == "evidence-check.report/1" and body["claim_id"] == "c-1"
    assert body["verdict"] in ("accept", "review", "reject")
    readable, unreadable = body["images"]
    assert set(readable["checks"]) == set(CHECK_NAMES) and readable["error"] is None
    assert unreadable["checks"] == {} and unreadable["verdict"] == "review" and unreadable["error"]
    # Hashed once, for the idempotency keys, and handed on to the analysis: still each file's own.
    assert [readable["image_id"], unreadable["image_id"]] == [
        hashlib.sha256(good).hexdigest(),
        hashlib.sha256(b"not a photo").hexdigest(),
    ]
    assert api.client.get("/v1/claims/c-1").json() == body


@pytest.fixture
def revoked(store: Store) -> Iterator[tuple[Api, str, str]]:
    now = now_utc()
    valid = create_key(store, "acme", now)[1]
    key_id, gone = create_key(store, "acme", now)
    revoke_key(store, key_id, now)
    for api in make_api(store):
        yield api, valid, gone


@pytest.mark.parametrize(
    ("headers", "why"),
    [
        ({}, "missing API key"),
        ({"Authorization": "Bearer ec_not-a-key"}, "invalid or revoked"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "missing API key"),
        ("revoked", "invalid or revoked"),
    ],
    ids=["no header", "unknown key", "not bearer", "revoked key"],
)
def test_without_a_valid_key_every_route_is_401(
    revoked: tuple[Api, str, str], headers: dict[str, str] | str, why: str
) -> None:
    api, valid, gone = revoked
    sent = bearer(gone) if headers == "revoked" else headers
    assert isinstance(sent, dict)
    for response in (
        api.verify(photos(("a.jpg", jpeg(1))), headers=sent),
        api.client.get("/v1/claims/c-1", headers=sent),
        api.client.post("/v1/stock", files=[("images", ("s.jpg", jpeg(2), "image/jpeg"))], headers=sent),
        api.client.post(
            "/v1/catalog/BAG-1/images", files=[("images", ("c.jpg", jpeg(3), "image/jpeg"))], headers=sent
        ),
    ):
        assert response.status_code == 401
        assert why in response.json()["detail"]
        assert response.headers["www-authenticate"] == "Bearer"
    assert api.verify(photos(("a.jpg", jpeg(1))), headers=bearer(valid)).status_code == 200


@pytest.mark.parametrize("second", ["valid", "unknown", "revoked"])
def test_two_authorization_headers_are_refused_whichever_comes_first(
    revoked: tuple[Api, str, str], second: str
) -> None:
    """The first header used to win: a request a proxy judged by its other header was answered."""
    api, valid, gone = revoked
    other = {"valid": valid, "unknown": "ec_not-a-key", "revoked": gone}[second]
    for first, then in ((valid, other), (other, valid)):
        sent = [("Authorization", f"Bearer {first}"), ("Authorization", f"Bearer {then}")]
        for response in (
            api.client.get("/v1/claims/c-1", headers=sent),
            api.verify(photos(("a.jpg", jpeg(1))), headers=sent),
            api.client.get("/v1/claims/c-1", headers=[*sent, ("Accept-Language", "zh")]),
        ):
            assert response.status_code == 401, response.text
            assert response.headers["www-authenticate"] == "Bearer"
        assert response.json()["detail"] == "请求带有多个 Authorization 头：只能发送一个"
    assert api.count("claims") == 0
    refused = api.client.get("/v1/claims/c-1", headers=[("Authorization", f"Bearer {valid}")] * 2)
    assert refused.json()["detail"] == "more than one Authorization header: send one"
    assert api.client.get("/v1/claims/c-1", headers=bearer(valid)).status_code == 404  # one header: read


def test_two_metrics_tokens_are_refused(store: Store) -> None:
    token = "t" * 32
    for api in make_api(store, metrics_token=token):
        assert api.client.get("/metrics", headers=bearer(token)).status_code == 200
        twice = api.client.get("/metrics", headers=[("Authorization", f"Bearer {token}")] * 2)
        assert twice.status_code == 401 and "more than one" in twice.json()["detail"]


def test_trial_without_keys_refuses_callers_not_on_loopback(store: Store) -> None:
    for api in make_api(store, client=("203.0.113.7", 40000)):
        response = api.verify(photos(("a.jpg", jpeg(1))))
        assert response.status_code == 401
        assert "loopback" in response.json()["detail"]
        assert api.count("claims") == 0


@pytest.mark.parametrize(
    ("headers", "why"),
    [
        ({"Host": "evil.example"}, "addressed to localhost"),  # DNS rebinding: the page's own name
        ({"Host": "evil.example:8000"}, "addressed to localhost"),
        ({"Origin": "https://evil.example"}, "another site"),  # a form posted from another site
        ({"Origin": "null"}, "another site"),  # a sandboxed page or a file
        ({"Sec-Fetch-Site": "cross-site"}, "another site"),
    ],
)
def test_the_keyless_trial_refuses_other_sites_pages(api: Api, headers: dict[str, str], why: str) -> None:
    response = api.verify(photos(("a.jpg", jpeg(1))), headers=headers)
    assert response.status_code == 403
    assert why in response.json()["detail"]
    assert api.count("claims") == 0


@pytest.mark.parametrize(
    "headers",
    [
        {"Host": "localhost:8000", "Origin": "http://localhost:3000"},  # a page of the user's own
        {"Host": "[::1]:8000", "Origin": "http://127.0.0.1:8000", "Sec-Fetch-Site": "same-origin"},
        {"Host": "app.localhost"},
        {},  # a script: neither Origin nor Sec-Fetch-Site
    ],
)
def test_the_keyless_trial_answers_loopback_names_and_its_own_pages(
    api: Api, headers: dict[str, str]
) -> None:
    assert api.verify(photos(("a.jpg", jpeg(1))), headers=headers).status_code == 200


def test_a_cross_site_page_may_not_read_the_trial_by_rebinding_but_a_get_from_it_is_not_refused(
    api: Api,
) -> None:
    """A GET changes nothing, and without CORS the page cannot read the answer; only its Host counts."""
    assert api.client.get("/v1/claims/c-none", headers={"Origin": "https://evil.example"}).status_code == 404
    assert api.client.get("/v1/claims/c-none", headers={"Host": "evil.example"}).status_code == 403


def test_with_keys_a_request_is_judged_by_its_key_not_by_its_host(keyed: tuple[Api, dict[str, str]]) -> None:
    api, keys = keyed
    headers = {
        **bearer(keys["acme"]),
        "Host": "evidence.shop.example",
        "Origin": "https://agents.shop.example",
    }
    assert api.verify(photos(("a.jpg", jpeg(1))), headers=headers).status_code == 200


@pytest.mark.parametrize(
    ("files", "fields", "why"),
    [
        ([("a.jpg", 3000)], {}, "over the"),
        ([("a.jpg", 100), ("b.jpg", 100), ("c.jpg", 100), ("d.jpg", 100)], {}, "more than 3 photos"),
        ([("a.jpg", 1500), ("b.jpg", 1500), ("c.jpg", 1500)], {}, "request is over"),
        ([("a.jpg", 10)], {"sku": "x" * 20_000, "customer_id": "x" * 20_000}, "request is over"),
    ],
    ids=["file over limit", "too many photos", "request over limit", "fields over request limit"],
)
def test_over_a_byte_limit_is_413_and_records_nothing(
    store: Store, files: list[tuple[str, int]], fields: dict[str, str], why: str
) -> None:
    for api in make_api(store, max_file_bytes=2048, max_request_bytes=4096, max_photos=3):
        sent = photos(*((name, b"\xff" * size) for name, size in files))
        response = api.verify(sent, fields)
        assert response.status_code == 413, response.text
        assert why in response.json()["detail"]
        assert api.count("claims") == 0


def test_a_text_field_over_its_limit_is_413(api: Api) -> None:
    response = api.verify(photos(("a.jpg", jpeg(1))), {"sku": "x" * 20_000})
    assert response.status_code == 413
    assert "field 'sku' is over" in response.json()["detail"]


def test_a_body_cut_short_before_its_last_photo_records_nothing(api: Api) -> None:
    request = api.client.build_request(
        "POST", "/v1/verify", files=photos(("a.jpg", jpeg(1)), ("b.jpg", jpeg(2))), data={"claim_id": "c-cut"}
    )
    whole = request.read()
    cut = whole[: whole.index(b'filename="b.jpg"') + 200]  # the second photo half sent, as a dropped upload
    answer = api.client.post("/v1/verify", content=cut, headers={"Content-Type": request.headers["Content-Type"]})
    assert answer.status_code == 422 and "cut short" in answer.json()["detail"]
    assert api.count("claims") == 0 and api.count("photos") == 0


def test_a_photo_sent_without_a_filename_is_told_to_name_it_not_that_it_is_too_large(api: Api) -> None:
    part = ("photos", (None, jpeg(1, (640, 480)), "image/jpeg"))  # no filename: a text field
    response = api.client.post("/v1/verify", files=[part])
    assert response.status_code == 413 and "(a file's part needs a filename)" in response.json()["detail"]


def test_declared_length_over_the_limit_is_413_before_the_body_is_read(store: Store) -> None:
    for api in make_api(store, max_request_bytes=4096):
        response = api.client.post(
            "/v1/verify",
            content=b"--b\r\n",
            headers={"Content-Type": "multipart/form-data; boundary=b", "Content-Length": "999999"},
        )
        assert response.status_code == 413


@pytest.mark.parametrize(
    ("fields", "files", "why"),
    [
        ({"ordered_at": "10/11/2026"}, "one", "ordered_at: '10/11/2026' is not an ISO 8601"),
        ({"reason": "bored"}, "one", "reason:"),
        ({"region": "1,2,3"}, "one", "region:"),
        ({"tz": "Mars/Olympus"}, "one", "unknown time zone"),
        ({"claim_id": "has space"}, "one", "claim_id:"),
        ({"record": "perhaps"}, "one", "record:"),
        ({"colour": "red"}, "one", "colour: not a field of this request"),
        ({"delivered_at": "2026-11-01", "ordered_at": "2026-11-10"}, "one", "is before ordered_at"),
        ({}, "none", "photos: send one or more photos"),
        ({}, "photos as text", "send files"),
        ({}, "unreadable", "no photo could be read (a.jpg: not an image"),
        ({}, "wrong field", "files must be sent in the 'photos' field"),
    ],
)
def test_malformed_field_or_no_readable_photo_is_422_with_one_line(
    api: Api, fields: dict[str, str], files: str, why: str
) -> None:
    sent = {
        "one": photos(("a.jpg", jpeg(1))),
        # httpx sends multipart only with a file or a (None, value) part; these are text parts.
        "none": [("customer_id", (None, "cust-1"))],
        "photos as text": [("photos", (None, "a.jpg"))],
        "unreadable": photos(("a.jpg", b"hello")),
        "wrong field": [("image", ("a.jpg", jpeg(1), "image/jpeg"))],
    }[files]
    data = {**CLAIM, **fields}
    response = api.client.post("/v1/verify", files=sent, data=data)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, str) and "\n" not in detail
    assert why in detail, detail
    assert api.count("claims") == 0


@pytest.mark.parametrize(
    ("kwargs", "why"),
    [
        ({"content": b"a=1", "headers": {"Content-Type": "application/x-www-form-urlencoded"}}, "multipart"),
        ({"content": b"--b\r\ngarbage", "headers": {"Content-Type": "multipart/form-data; boundary=b"}}, ""),
        ({"files": photos(("a.jpg", b"x")), "headers": {"Idempotency-Key": "two words"}}, "idempotency-key"),
        ({"files": photos(("a.jpg", b"x")), "params": {"format": "pdf"}}, "format"),
    ],
    ids=["not multipart", "broken multipart", "bad idempotency key", "unknown format"],
)
def test_unreadable_request_is_422(api: Api, kwargs: dict[str, object], why: str) -> None:
    response = api.client.post("/v1/verify", **kwargs)  # type: ignore[arg-type]
    assert response.status_code == 422, response.text
    assert why in response.json()["detail"].lower()


def test_a_query_parameter_the_route_does_not_take_is_422_and_records_nothing(api: Api) -> None:
    # The claim id belongs in the form: in the query string it was left aside unsaid, and the photos
    # recorded under a new claim id.
    response = api.client.post(
        "/v1/verify", params={"claim_id": "c-1"}, files=photos(("a.jpg", jpeg(1))), data=CLAIM
    )
    assert response.status_code == 422, response.text
    assert response.json()["detail"] == "claim_id: not a query parameter of this request (known: format)"
    assert api.count("claims") == 0


@pytest.mark.parametrize(
    ("query", "lang", "detail"),
    [
        # A misspelt filter answered every claim, as if filtered.
        (
            "custmer_id=u-42",
            "en",
            "custmer_id: not a query parameter of this request "
            "(known: limit, cursor, verdict, customer_id, sku, order_id, since, until, q)",
        ),
        ("verdict=accept&verdict=reject", "en", "verdict: given more than once"),
        ("verdict=accept&verdict=reject", "zh", "verdict：重复提交了多次"),
    ],
)
def test_a_misspelt_or_repeated_filter_is_422_not_an_unfiltered_page(
    api: Api, query: str, lang: str, detail: str
) -> None:
    api.verify(photos(("a.jpg", jpeg(1))), {"customer_id": "u-1"})
    response = api.client.get(f"/v1/claims?{query}", headers={"Accept-Language": lang})
    assert response.status_code == 422, response.text
    assert response.json() == {"detail": detail}


def test_declared_query_parameters_and_the_consoles_pages_still_answer(api: Api) -> None:
    api.verify(photos(("a.jpg", jpeg(1))), {"customer_id": "u-1", "claim_id": "c-1"})
    assert [c["claim_id"] for c in api.client.get("/v1/claims?customer_id=u-1&limit=5").json()["items"]] == ["c-1"]
    assert api.client.get("/v1/claims/c-1?format=html").status_code == 200
    assert api.client.get("/v1/stats?x=1").json() == {"detail": "x: this request takes no query parameter"}
    # Links to the console may carry what a mail or a browser adds.
    assert api.client.get("/?utm_source=mail").status_code == 200


def test_every_v1_operation_refuses_a_query_parameter_it_does_not_take(api: Api) -> None:
    # The check is added router by router (api/app.py): a /v1 router included without it would take
    # any parameter unsaid again.
    operations = [
        (method, path)
        for path, item in api.client.get("/openapi.json").json()["paths"].items()
        if path.startswith("/v1/")
        for method in item
    ]
    assert len(operations) >= 19
    for method, path in operations:
        url = path.replace("{claim_id}", "c-1").replace("{sku}", "BAG-1").replace("{image_id}", "0" * 64)
        answer = api.client.request(method.upper(), url.replace("{number}", "1"), params={"zz": "1"})
        assert answer.status_code == 422, (method, path, answer.text)
        assert answer.json()["detail"].startswith("zz: "), (method, path, answer.text)


def test_a_caller_without_a_valid_key_is_told_401_before_its_query_string_is_judged(
    keyed: tuple[Api, dict[str, str]],
) -> None:
    # As for any other malformed field: the key first. The query check ran before it, so a caller
    # with no key (or a wrong one) and a stray parameter was told to fix the parameter.
    api, keys = keyed
    for headers in ({}, bearer("ec_not-a-key")):
        for response in (
            api.client.get("/v1/claims?custmer_id=u-42", headers=headers),
            api.client.get("/v1/stats?x=1&x=2", headers=headers),
            api.verify(photos(("a.jpg", jpeg(1))), params={"claim_id": "c-1"}, headers=headers),
        ):
            assert response.status_code == 401, response.text
            assert response.headers["www-authenticate"] == "Bearer"
    refused = api.client.get("/v1/claims?custmer_id=u-42", headers=bearer(keys["acme"]))
    assert refused.status_code == 422 and refused.json()["detail"].startswith("custmer_id: not a query parameter")
    assert api.count("claims") == 0


BROKEN_BODIES = {
    "cut short": b'{"outcome":',
    "nested too deep": b"[" * 3000 + b"]" * 3000,
    "a name given twice": b'{"outcome": "fraud", "outcome": "genuine"}',
    "not UTF-8": b'{"note": "\xff"}',
}


def body_operations(api: Api) -> list[tuple[str, str, str]]:
    """Every /v1 operation that takes a body, by its OpenAPI description: method, path, content type."""
    return [
        (method, path.replace("{claim_id}", "c-1").replace("{sku}", "BAG-1"), content_type)
        for path, item in api.client.get("/openapi.json").json()["paths"].items()
        if path.startswith("/v1/")
        for method, operation in item.items()
        for content_type in operation.get("requestBody", {}).get("content", {})
    ]


@pytest.mark.parametrize("body", BROKEN_BODIES.values(), ids=BROKEN_BODIES.keys())
def test_a_caller_without_a_valid_key_is_told_401_before_its_json_body_is_judged(
    revoked: tuple[Api, str, str], body: bytes
) -> None:
    # FastAPI reads a JSON body before any dependency: a caller with no key, or a revoked one, was
    # told how its body was parsed (422) instead of "unauthorized".
    api, valid, gone = revoked
    operations = [(method, path) for method, path, kind in body_operations(api) if kind == "application/json"]
    assert {path for _, path in operations} >= {"/v1/claims/c-1/outcome", "/v1/catalog/BAG-1/zones"}
    api.verify(photos(("a.jpg", jpeg(1))), {"claim_id": "c-1"}, headers=bearer(valid))
    for method, path in operations:
        for headers in ({}, bearer("ec_not-a-key"), bearer(gone)):
            sent = {**headers, "Content-Type": "application/json"}
            answer = api.client.request(method.upper(), path, content=body, headers=sent)
            assert answer.status_code == 401, (method, path, answer.text)
            assert answer.headers["www-authenticate"] == "Bearer"
        judged = api.client.request(
            method.upper(), path, content=body, headers={**bearer(valid), "Content-Type": "application/json"}
        )
        assert judged.status_code in (400, 422), (method, path, judged.text)
        assert judged.json()["detail"].startswith("body"), (method, path, judged.text)
    assert api.count("outcomes") == 0


def pieces_read_before_the_answer(
    app: Any, method: str, path: str, content_type: str, key: str | None, *, declared: bool = True
) -> tuple[int, int]:
    """The status of a request whose 50 MB body would come in 64 KiB pieces (its length `declared`,
    or chunked), and how many pieces the app asked for before it answered."""
    piece, pieces = 64 * 1024, 800
    asked = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal asked
        asked += 1
        return {"type": "http.request", "body": b"{" + b" " * (piece - 1), "more_body": asked < pieces}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    headers = [
        (b"host", b"127.0.0.1"),
        (b"content-type", content_type.replace("form-data", "form-data; boundary=b").encode()),
    ]
    if declared:
        headers.append((b"content-length", str(piece * pieces).encode()))
    if key is not None:
        headers.append((b"authorization", f"Bearer {key}".encode()))
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method.upper(),
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
        "headers": headers, "client": LOOPBACK, "server": ("127.0.0.1", 8000),
    }  # fmt: skip
    anyio.run(app, scope, receive, send)
    return next(message["status"] for message in sent if message["type"] == "http.response.start"), asked


def test_a_caller_without_a_valid_key_is_refused_before_any_byte_of_its_body_is_read(
    revoked: tuple[Api, str, str],
) -> None:
    # A keyless caller's 50 MB JSON body was read whole before its 401, and a stalled one waited for
    # its 408 (30 s): the key is in the headers, judged before the body by every route that needs it.
    api, valid, gone = revoked
    operations = body_operations(api)
    assert {kind for _, _, kind in operations} == {"application/json", "multipart/form-data"}
    for method, path, kind in operations:
        for key in (None, "ec_not-a-key", gone):
            assert pieces_read_before_the_answer(api.client.app, method, path, kind, key) == (401, 0), (
                method,
                path,
                key,
            )
        status, asked = pieces_read_before_the_answer(api.client.app, method, path, kind, valid)
        if kind == "application/json":  # over max_json_bytes by its Content-Length
            assert (status, asked) == (413, 0), (method, path)
        else:
            assert status in (400, 404, 413, 422) and asked > 0, (method, path, status)


def test_a_json_body_over_its_limit_is_413_and_not_read_past_it(store: Store) -> None:
    # A JSON body with a valid key had no limit: 50 MB sent to .../zones was read whole into memory.
    key = create_key(store, "acme", now_utc())[1]
    limit, piece = 1024 * 1024, 64 * 1024
    for api in make_api(store, max_json_bytes=limit):
        operations = [(method, path) for method, path, kind in body_operations(api) if kind == "application/json"]
        assert {path for _, path in operations} >= {"/v1/claims/c-1/outcome", "/v1/catalog/BAG-1/zones"}
        for method, path in operations:
            app = api.client.app
            assert pieces_read_before_the_answer(app, method, path, "application/json", key) == (413, 0), path
            # Chunked, it is stopped by the piece that passes the limit.
            chunked = pieces_read_before_the_answer(app, method, path, "application/json", key, declared=False)
            assert chunked == (413, limit // piece + 1), path
        api.verify(photos(("a.jpg", jpeg(1))), {"claim_id": "c-1"}, headers=bearer(key))
        outcome = b'{"outcome": "fraud", "note": "same photo as c-77"}'
        headers = {**bearer(key), "Content-Type": "application/json"}
        at_limit = api.client.post("/v1/claims/c-1/outcome", content=outcome.ljust(limit), headers=headers)
        assert at_limit.status_code == 200, at_limit.text
        for lang, line in (
            ("en", "body: the JSON document is over the 1.0 MB limit"),
            ("zh", "请求体：JSON 文档超过 1.0 MB 的上限"),
        ):
            over = api.client.post(
                "/v1/claims/c-1/outcome", content=outcome.ljust(limit + 1), headers={**headers, "Accept-Language": lang}
            )
            assert (over.status_code, over.json()["detail"], over.headers["connection"]) == (413, line, "close")
        assert api.count("outcomes") == 1


def test_the_key_is_judged_once_and_a_broken_body_parsed_once(
    revoked: tuple[Api, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    api, valid, _ = revoked
    judged, parsed = [], []
    monkeypatch.setattr(auth, "key_for", lambda *args: judged.append(args) or key_for(*args))
    monkeypatch.setattr(strict_json, "loads", lambda data: parsed.append(data) or loads(data))
    answer = api.client.put(
        "/v1/catalog/BAG-1/zones",
        content=b'{"a":',
        headers={**bearer(valid), "Content-Type": "application/json"},
    )
    assert answer.status_code == 422 and answer.json()["detail"].startswith("body")
    assert (len(judged), len(parsed)) == (1, 1)


def test_a_route_that_does_not_need_the_key_is_not_judged_by_it() -> None:
    # The key used to be judged by the route class for any route of the JSON routers.
    router = APIRouter(route_class=UniqueNamesRoute)

    @router.post("/v1/open")
    def take(body: Annotated[dict[str, int], Body()]) -> dict[str, int]:
        return body

    app = FastAPI()
    app.state.settings = settings_for("sqlite://")  # its JSON limit
    app.include_router(router)
    with TestClient(app) as client:
        assert (
            client.post("/v1/open", content=b"{", headers={"Content-Type": "application/json"}).status_code
            == 422
        )
        assert client.post("/v1/open", json={"a": 1}).json() == {"a": 1}


def test_a_json_object_naming_a_member_twice_is_422_and_stores_nothing(api: Api) -> None:
    # Python's json kept the second of the two, unsaid: one zone of two stored, `genuine` recorded.
    front = [("images", ("front.jpg", jpeg(1), "image/jpeg"))]
    twice = '{"zipper": [0, 0, 10, 10], "zipper": [40, 0, 10, 10]}'
    added = api.client.post("/v1/catalog/BAG-1/images", files=front, data={"zones": twice})
    assert (added.status_code, added.json()["detail"]) == (
        422,
        "zones: the name 'zipper' is given twice; which value is meant is not known",
    )
    # Nested past Python's recursion limit (6 KB, under the field's 16 KB): was a 500.
    deep = api.client.post("/v1/catalog/BAG-1/images", files=front, data={"zones": "[" * 3000 + "]" * 3000})
    assert (deep.status_code, deep.json()["detail"]) == (422, 'zones: not JSON (expected {"name": [x, y, w, h], ...})')
    # A whole number of more digits than Python converts (4,300): json's bare ValueError, a 500.
    long_number = api.client.post("/v1/catalog/BAG-1/images", files=front, data={"zones": '{"lid": [1' + "0" * 5000 + ", 0, 5, 5]}"})
    assert (long_number.status_code, long_number.json()["detail"]) == (422, deep.json()["detail"])
    assert api.client.post("/v1/catalog/BAG-1/images", files=front).status_code == 201
    put = api.client.put("/v1/catalog/BAG-1/zones", content=twice, headers={"Content-Type": "application/json"})
    assert put.status_code == 422 and "'zipper' is given twice" in put.json()["detail"]
    assert api.client.get("/v1/catalog/BAG-1").json()["zones"] == 0
    api.verify(photos(("a.jpg", jpeg(2))), {"claim_id": "c-1"})
    decided = api.client.post(
        "/v1/claims/c-1/outcome",
        content='{"outcome": "fraud", "outcome": "genuine"}',
        headers={"Content-Type": "application/json", "Accept-Language": "zh"},
    )
    assert (decided.status_code, decided.json()["detail"]) == (
        422,
        "body：名称 'outcome' 出现了两次，无法确定以哪个值为准",
    )
    assert api.count("outcomes") == 0


def test_unknown_claim_is_404(api: Api) -> None:
    response = api.client.get("/v1/claims/c-nobody")
    assert response.status_code == 404
    assert response.json() == {"detail": "no claim 'c-nobody'"}


def test_idempotency_key_reused_for_other_photos_is_409(api: Api) -> None:
    headers = {"Idempotency-Key": "req-1"}
    assert api.verify(photos(("a.jpg", jpeg(1))), headers=headers).status_code == 200
    response = api.verify(photos(("a.jpg", jpeg(2))), headers=headers)
    assert response.status_code == 409
    assert api.count("reports") == 1


@pytest.mark.parametrize(
    ("how", "kwargs"),
    [
        ("accept header", {"headers": {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}}),
        ("query", {"params": {"format": "html"}}),
    ],
)
def test_report_as_html(api: Api, how: str, kwargs: dict[str, object]) -> None:
    response = api.verify(photos(("a.jpg", jpeg(1))), {"claim_id": "c-html"}, **kwargs)  # type: ignore[arg-type]
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "c-html" in response.text
    again = api.client.get("/v1/claims/c-html", **kwargs)  # type: ignore[arg-type]
    assert again.headers["content-type"].startswith("text/html") and "c-html" in again.text


def test_json_unless_html_is_preferred(api: Api) -> None:
    response = api.verify(photos(("a.jpg", jpeg(1))), headers={"Accept": "application/json, text/html"})
    assert response.headers["content-type"] == "application/json"


@pytest.mark.parametrize(
    ("accept_language", "expect_chinese"),
    [("zh-CN,zh;q=0.9,en;q=0.8", True), ("en-GB,zh;q=0.5", False), ("fr, zh;q=0.3", True), (None, False)],
)
def test_accept_language_chooses_the_report_language(
    api: Api, accept_language: str | None, expect_chinese: bool
) -> None:
    headers = {"Accept-Language": accept_language} if accept_language else {}
    body = api.verify(photos(("a.jpg", jpeg(1))), {"record": "false"}, headers=headers).json()
    has_chinese = any("\u4e00" <= ch <= "\u9fff" for ch in " ".join(body["reasons"]))
    assert has_chinese is expect_chinese, body["reasons"]


def test_the_api_prefix_is_given_once_where_the_app_includes_its_routers(api: Api) -> None:
    routers = [
        module.router
        for info in pkgutil.iter_modules(api_routes.__path__)
        if (module := importlib.import_module(f"api.routes.{info.name}")) is not health and hasattr(module, "router")
    ]
    assert len(routers) == 9
    spelled = [route.path for router in routers for route in router.routes if route.path.startswith(API_PREFIX)]  # type: ignore[attr-defined]
    assert spelled == []
    paths = api.client.get("/openapi.json").json()["paths"]
    assert sorted(path for path in paths if not path.startswith(API_PREFIX + "/")) == ["/healthz", "/metrics"]
    assert {"/v1/verify", "/v1/stats", "/v1/claims/{claim_id}/reverify", "/v1/catalog/{sku}"} <= set(paths)


def test_openapi_documents_every_route_and_status_with_examples(api: Api) -> None:
    spec = api.client.get("/openapi.json").json()
    verify = spec["paths"]["/v1/verify"]["post"]
    assert set(verify["responses"]) == {"200", "401", "409", "413", "422", "500", "503"}
    body = verify["requestBody"]["content"]["multipart/form-data"]
    assert body["schema"]["properties"]["photos"]["items"]["format"] == "binary"
    assert "example" in body and "example" in verify["responses"]["200"]["content"]["application/json"]
    assert {"200", "401", "404"} <= set(spec["paths"]["/v1/claims/{claim_id}"]["get"]["responses"])
    assert {"/healthz", "/metrics", "/v1/stock", "/v1/catalog/{sku}/images", "/v1/images/{image_id}/thumbnail"} <= set(spec["paths"])
    assert {"ApiKey", "MetricsToken"} <= set(spec["components"]["securitySchemes"])
    assert api.client.get("/docs").status_code == 200
    # Every answer of every route, and every request body, comes with an example.
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for status, answer in operation["responses"].items():
                if status == "204":  # no content, by definition
                    assert not answer.get("content"), (method, path, status)
                    continue
                assert answer.get("content"), (method, path, status)
                for kind, media in answer["content"].items():
                    assert "example" in media, (method, path, status, kind)
            for kind, media in operation.get("requestBody", {}).get("content", {}).items():
                assert "example" in media, (method, path, kind)
                if kind == "multipart/form-data":
                    assert media["schema"]["required"], (method, path)


def test_the_first_key_ends_the_keyless_trial_of_a_running_server(api: Api) -> None:
    assert api.verify(photos(("a.jpg", jpeg(1)))).status_code == 200
    secret = create_key(api.store, "acme", now_utc())[1]
    assert api.verify(photos(("a.jpg", jpeg(2)))).status_code == 401
    assert api.verify(photos(("a.jpg", jpeg(2))), headers=bearer(secret)).status_code == 200


def test_a_claim_id_with_a_slash_is_found(api: Api) -> None:
    assert api.verify(photos(("a.jpg", jpeg(1))), {"claim_id": "shop/2026/c-1"}).status_code == 200
    assert api.client.get("/v1/claims/shop/2026/c-1").json()["claim_id"] == "shop/2026/c-1"


def test_every_v1_answer_is_kept_by_no_cache_and_the_rest_keep_their_own(keyed: tuple[Api, dict[str, str]]) -> None:
    """A report, a claim, the catalog, a refusal: one tenant's (the HTML report sent `no-store` already)."""
    api, keys = keyed
    acme = bearer(keys["acme"])
    verified = api.verify(photos(("a.jpg", jpeg(1))), {"claim_id": "c-1"}, headers=acme)
    answers = {
        "verify": verified,
        "report": api.client.get("/v1/claims/c-1", headers=acme),
        "catalog": api.client.get("/v1/catalog", headers=acme),
        "no key": api.client.get("/v1/claims/c-1"),
        "no claim": api.client.get("/v1/claims/c-2", headers=acme),
        "no route": api.client.get("/v1/nowhere", headers=acme),
        "bad cursor": api.client.get("/v1/catalog", params={"cursor": "%%%"}, headers=acme),
        "no method": api.client.put("/v1/claims/c-1", headers=acme),
    }
    assert {name: (a.status_code, a.headers.get("cache-control")) for name, a in answers.items()} == {
        "verify": (200, "no-store"), "report": (200, "no-store"), "catalog": (200, "no-store"), "no key": (401, "no-store"),
        "no claim": (404, "no-store"), "no route": (404, "no-store"), "bad cursor": (422, "no-store"),
        "no method": (405, "no-store"),
    }  # fmt: skip
    html = api.client.get("/v1/claims/c-1", params={"format": "html"}, headers=acme)
    assert html.headers.get_list("cache-control") == ["no-store"]  # its own, not a second
    png = api.client.get("/v1/claims/c-1/photos/1/annotated.png", headers=acme)
    assert (png.status_code, png.headers.get_list("cache-control")) == (200, ["no-store"])
    thumbnail = api.client.get(f"/v1/images/{verified.json()['images'][0]['image_id']}/thumbnail", headers=acme)
    assert (thumbnail.status_code, thumbnail.headers.get_list("cache-control")) == (200, ["private, max-age=3600"])
    assert "cache-control" not in api.client.get("/healthz").headers
    assert "cache-control" not in api.client.get("/static/console.css").headers


def test_an_unexpected_failure_is_500_without_its_reason(
    store: Store, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*_args: object) -> None:
        raise RuntimeError("secret internals")

    app = create_app(settings_for(store.url), store)
    monkeypatch.setattr(store, "latest_report", broken)
    with (
        TestClient(app, base_url=LOCAL, client=LOOPBACK, raise_server_exceptions=False) as client,
        caplog.at_level(logging.INFO, logger="evidence_check.api"),
    ):
        response = client.get("/v1/claims/c-1")
        assert response.status_code == 500
        assert response.json() == {"detail": "internal error"}
        # Answered outside the app's middleware, it had neither (the log line is found by the id).
        assert response.headers["cache-control"] == "no-store" and response.headers["x-request-id"]
        assert client.get("/healthz").status_code == 200
    said = [record.getMessage() for record in caplog.records]
    # One line of the failure, one of the request: answered inside and raised again, it was logged twice.
    assert [line for line in said if line.startswith("internal error")] == ["internal error on GET /v1/claims/c-1: RuntimeError"]
    assert [loads(line)["status"] for line in said if line.startswith("{")] == [500, 200]
    assert "secret internals" not in response.text


@pytest.mark.parametrize("middleware", [KeepEncodedSlashes, BodyIdleTimeout, CloseUnreadBody, PrivateAnswers])
def test_a_failure_of_a_middleware_is_500_with_its_id_and_no_store(
    store: Store, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, middleware: type
) -> None:
    """Answered by Starlette's outermost layer, such a 500 had no x-request-id and no no-store."""

    passing = middleware.__call__

    async def broken(self: Any, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":  # the app's startup passes
            raise RuntimeError("secret internals")
        await passing(self, scope, receive, send)

    monkeypatch.setattr(middleware, "__call__", broken)
    app = create_app(settings_for(store.url), store)
    with (
        TestClient(app, base_url=LOCAL, client=LOOPBACK, raise_server_exceptions=False) as client,
        caplog.at_level(logging.INFO, logger="evidence_check.api"),
    ):
        api_answer = client.get("/v1/claims/c-1", headers={"x-request-id": "api-1"})
        console_answer = client.get("/signin", headers={"x-request-id": "console-1"})
    for answer, request_id in ((api_answer, "api-1"), (console_answer, "console-1")):
        assert (answer.status_code, answer.json()) == (500, {"detail": "internal error"})
        assert answer.headers.get_list("x-request-id") == [request_id]
        assert answer.headers.get_list("cache-control") == ["no-store"]
        assert "secret internals" not in answer.text
    said = [record.getMessage() for record in caplog.records]
    assert [line for line in said if line.startswith("internal error")] == [
        "internal error on GET /v1/claims/c-1: RuntimeError",
        "internal error on GET /signin: RuntimeError",
    ]
    assert [(loads(line)["request_id"], loads(line)["status"]) for line in said if line.startswith("{")] == [
        ("api-1", 500),
        ("console-1", 500),
    ]


def test_a_failure_after_the_answer_began_sends_no_second_answer(store: Store, caplog: pytest.LogCaptureFixture) -> None:
    """No route of the app streams today; one that does and fails midway must not have a 500 sent after its 200."""

    async def broken_midway() -> AsyncIterator[bytes]:
        yield b'{"items": ['
        raise RuntimeError("secret internals")

    app = create_app(settings_for(store.url), store)
    app.add_api_route("/v1/streamed", lambda: StreamingResponse(broken_midway()))
    with (
        TestClient(app, base_url=LOCAL, client=LOOPBACK, raise_server_exceptions=False) as client,
        caplog.at_level(logging.INFO, logger="evidence_check.api"),
    ):
        response = client.get("/v1/streamed")
    assert (response.status_code, response.content) == (200, b'{"items": [')
    assert response.headers["cache-control"] == "no-store" and len(response.headers.get_list("x-request-id")) == 1
    said = [record.getMessage() for record in caplog.records]
    assert [line for line in said if line.startswith("internal error")] == ["internal error on GET /v1/streamed: RuntimeError"]
    assert [loads(line)["status"] for line in said if line.startswith("{")] == [200]


def test_a_store_that_does_not_answer_is_503_and_healthz_says_so(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unavailable(*_args: object) -> None:
        raise StoreError("could not read: connection refused")

    def no_answer(_store: Store) -> None:
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    app = create_app(settings_for(store.url), store)
    monkeypatch.setattr(store, "latest_report", unavailable)
    monkeypatch.setattr(health, "_ping", no_answer)
    with TestClient(app, base_url=LOCAL, client=LOOPBACK, raise_server_exceptions=False) as client:
        response = client.get("/v1/claims/c-1")
        assert response.status_code == 503
        assert response.json() == {"detail": "the store is not available; try again"}
        ready = client.get("/healthz")
        assert ready.status_code == 503 and ready.json() == {"detail": "the store does not answer"}
        assert client.head("/healthz").status_code == 503
