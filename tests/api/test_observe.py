"""Metrics and request logs: counted, timed, and free of photo bytes and GPS."""

from __future__ import annotations

import json
import logging
import re
import sys

import anyio
import pytest
from starlette.types import Message, Receive, Scope, Send

from api.metrics import Metrics
from api.observe import LOGGED_KEYS, JsonLines, RequestObserver, log_requests
from evidence_check.engine import now_utc
from evidence_check.store import Store
from evidence_check.store.keys import create_key
from tests.api.conftest import Api, bearer, jpeg, make_api, photos
from tests.conftest import FIXTURES


def test_metrics_count_requests_verdicts_photos_and_latency(api: Api) -> None:
    api.verify(photos(("a.jpg", jpeg(1)), ("b.jpg", b"nope")))
    api.client.get("/v1/claims/nobody")
    text = api.client.get("/metrics").text
    assert 'evidence_check_http_requests_total{method="POST",route="/v1/verify",status="200"} 1.0' in text
    # The route template, not the claim id: one series per route.
    assert 'route="/v1/claims/{claim_id}",status="404"' in text
    assert 'evidence_check_photos_total{outcome="readable"} 1.0' in text
    assert 'evidence_check_photos_total{outcome="unreadable"} 1.0' in text
    assert "evidence_check_verdicts_total{verdict=" in text
    assert 'evidence_check_http_request_duration_seconds_count{method="POST",route="/v1/verify"} 1.0' in text


def test_a_claim_id_holding_an_encoded_slash_is_counted_under_its_route(api: Api) -> None:
    """The route is read from the scope the router filled in: a copy of it left the counter "unmatched"."""
    api.client.get("/v1/claims/a%2Fb")
    api.client.get("/v1/claims/a%2Fb/reports")
    text = api.client.get("/metrics").text
    assert 'route="/v1/claims/{claim_id}",status="404"} 1.0' in text
    assert 'route="/v1/claims/{claim_id}/reports",status="404"} 1.0' in text
    assert 'route="unmatched"' not in text


def test_a_request_log_line_is_json_without_photo_bytes_or_gps(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    photo = (FIXTURES / "exif_gps_infers_offset.jpg").read_bytes()
    with caplog.at_level(logging.INFO, logger="evidence_check.api.requests"):
        response = api.verify(
            photos(("gps.jpg", photo)), {"claim_id": "c-77"}, headers={"X-Request-ID": "r-1"}
        )
    assert response.headers["x-request-id"] == "r-1"
    lines = [r.getMessage() for r in caplog.records if r.name == "evidence_check.api.requests"]
    assert len(lines) == 1
    line = json.loads(lines[0])
    assert line["route"] == "/v1/verify" and line["status"] == 200 and line["request_id"] == "r-1"
    assert (line["tenant"], line["claim_id"], line["photos"]) == ("default", "c-77", 1)
    assert line["verdict"] == response.json()["verdict"]
    # Only these keys, ever: nothing of the photo beyond the request's size.
    assert set(line) <= {
        "ts",
        "event",
        "request_id",
        "method",
        "route",
        "status",
        "ms",
        "bytes_in",
        "client",
        "pid",
    } | set(LOGGED_KEYS)
    assert not any(word in lines[0].lower() for word in ("gps", "latitude", "longitude", "exif"))


TOKEN = "prometheus-scrape-token-1"


@pytest.mark.parametrize(
    ("token", "keys", "sent", "status"),
    [
        (None, False, None, 200),  # the loopback trial: nothing to protect from itself
        (None, True, None, 401),  # keys exist: the figures are every tenant's, a token is needed
        (None, True, "tenant key", 401),  # a tenant's key does not read every tenant's figures
        (TOKEN, True, None, 401),
        (TOKEN, True, "wrong-token-of-some-length", 401),
        (TOKEN, True, "tenant key", 401),
        (TOKEN, True, TOKEN, 200),
        (TOKEN, False, None, 401),  # a token once set is always required
        (TOKEN, False, TOKEN, 200),
    ],
    ids=[
        "trial open",
        "keys no token",
        "keys tenant key",
        "token missing",
        "token wrong",
        "token tenant key",
        "token right",
        "trial token missing",
        "trial token right",
    ],
)
def test_metrics_need_the_metrics_token_once_keys_exist(
    store: Store, token: str | None, keys: bool, sent: str | None, status: int
) -> None:
    tenant_key = create_key(store, "acme", now_utc())[1] if keys else "ec_none"
    headers = {} if sent is None else bearer(tenant_key if sent == "tenant key" else sent)
    for api in make_api(store, metrics_token=token):
        response = api.client.get("/metrics", headers=headers)
        assert response.status_code == status, response.text
        if status == 401:
            assert response.headers["www-authenticate"] == "Bearer"
            assert "EVIDENCE_CHECK_METRICS_TOKEN" in response.json()["detail"]
        else:
            assert "evidence_check_http_requests_total" in response.text


def test_a_check_that_raised_reaches_the_server_log_as_one_json_line_with_its_traceback() -> None:
    log_requests("info")
    handler = next(
        h for h in logging.getLogger("evidence_check").handlers if isinstance(h.formatter, JsonLines)
    )
    try:
        raise ValueError("bad pixels")
    except ValueError:
        record = logging.getLogger("evidence_check.engine").makeRecord(
            "evidence_check.engine",
            logging.ERROR,
            __file__,
            1,
            "check %s failed on %s",
            ("reuse", "ab12"),
            sys.exc_info(),
        )
    assert handler.level == logging.WARNING and handler.filter(record)
    text = handler.format(record)
    assert "\n" not in text
    line = json.loads(text)
    assert line["message"] == "check reuse failed on ab12" and line["level"] == "error"
    assert "ValueError: bad pixels" in line["exception"]


def test_every_route_is_counted_under_its_whole_template_api_console_and_unmatched_alike(api: Api) -> None:
    """The API's routers are included under `/v1` (api.app): their routes' labels carry it, no other's does."""
    for path in ("/v1/stats", "/v1/claims/a%2Fb/reports", "/claims/a%2Fb", "/new-claim/sku?sku=x", "/healthz", "/v1", "/v1/nothing", "/nothing"):
        api.client.get(path)
    routes = re.findall(r'evidence_check_http_requests_total\{method="GET",route="([^"]*)"', api.client.get("/metrics").text)
    assert sorted(routes) == sorted(
        ["/v1/stats", "/v1/claims/{claim_id}/reports", "/claims/{claim_id}", "/new-claim/sku", "/healthz", "unmatched"]
    )


def test_a_library_line_names_the_request_it_was_written_for_and_no_other() -> None:
    """The id is the request's while it is answered: a line written after it, in the same task (a
    connection's next request, the server's own work), names none."""
    formatter = JsonLines()
    seen: list[dict[str, object]] = []

    def line() -> dict[str, object]:
        record = logging.getLogger("evidence_check.service").makeRecord(
            "evidence_check.service", logging.WARNING, __file__, 1, "claim c-1 recorded", (), None
        )
        return dict(json.loads(formatter.format(record)))

    async def route(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(line())
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(_message: Message) -> None:
        pass

    async def answer_then_log() -> None:
        observed = RequestObserver(route, Metrics())
        scope = {"type": "http", "method": "GET", "path": "/v1/stats", "headers": [(b"x-request-id", b"r-7")]}
        await observed(scope, receive, send)
        seen.append(line())

    anyio.run(answer_then_log)
    assert seen[0]["request_id"] == "r-7" and "request_id" not in seen[1]
