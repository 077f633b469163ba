"""Per request: one structured log line (JSON) and the request metrics.

The log line names the route template, never the raw body: no photo bytes, no metadata, no GPS.
What a route wants logged (tenant, claim id, verdict, photo count) it puts in `request.state.log`.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import time
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.metrics import Metrics
from api.routes import API_PREFIX
from api.served_under import path_in_app

log = logging.getLogger("evidence_check.api.requests")
LOG_LEVEL_VARIABLE = "EVIDENCE_CHECK_API_LOG_LEVEL"  # how `serve` tells its worker processes
_REQUEST_ID = re.compile(r"^[\w.-]{1,64}$")
LOGGED_KEYS = ("tenant", "claim_id", "verdict", "photos")
# The request being answered, for the library's own log lines written meanwhile (a claim recorded
# whose photos could not be indexed yet): the operator finds its request line, and the client's
# X-Request-ID, by it. The threads a route runs in get a copy of the context.
REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)


class RequestObserver:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        headers = dict(scope.get("headers") or [])
        given = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        # Shared with the route's `request.state`, which fills in what this line should say.
        state = scope.setdefault("state", {})
        self.metrics.in_flight.inc()
        answering = REQUEST_ID.set(request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            REQUEST_ID.reset(answering)
            self.metrics.in_flight.dec()
            elapsed = time.perf_counter() - started
            route = route_template(scope)
            method = scope.get("method", "")
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.latency.labels(method, route).observe(elapsed)
            line: dict[str, Any] = {
                "ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
                "event": "request",
                "request_id": request_id,
                "method": method,
                "route": route,
                "status": status,
                "ms": round(elapsed * 1000, 1),
                "bytes_in": _int(headers.get(b"content-length")),
                "client": (scope.get("client") or [None])[0],
                "pid": os.getpid(),  # which worker of `serve --workers N` answered
            }
            extra = state.get("log") or {}
            line.update({k: extra[k] for k in LOGGED_KEYS if k in extra})
            log.info(json.dumps(line, ensure_ascii=False))


def route_template(scope: Scope) -> str:
    """The matched route's template without converters ("{claim_id}", not "{claim_id:id}"), whole:
    FastAPI's route of an included router keeps the router's own path ("/verify"), without the
    `API_PREFIX` the app includes the API's routers under."""
    template = getattr(scope.get("route"), "path_format", None)
    if template is None:
        return "unmatched"
    under_api = path_in_app(scope).startswith(API_PREFIX + "/")
    return API_PREFIX + template if under_api and not template.startswith(API_PREFIX + "/") else template


def _int(value: bytes | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def log_requests(level: str) -> None:
    """Write the request lines to stderr, one JSON object each (the server's process, or a worker).

    The library's own warnings (a check that raised, with its traceback) go to the same stream as
    JSON lines too: the report says only that the check failed, the operator needs the why.
    """
    if any(getattr(h, "_evidence_check", False) for h in log.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler._evidence_check = True  # type: ignore[attr-defined]
    log.addHandler(handler)
    log.setLevel(level.upper())
    log.propagate = False
    library = logging.getLogger("evidence_check")
    problems = logging.StreamHandler(sys.stderr)
    problems.setFormatter(JsonLines())
    problems.setLevel(logging.WARNING)
    library.addHandler(problems)


class JsonLines(logging.Formatter):
    """A log record as one JSON line, its traceback (if any) a field of it."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "event": "log",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "pid": os.getpid(),
        }
        request_id = REQUEST_ID.get()
        if request_id is not None:
            line["request_id"] = request_id
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)
