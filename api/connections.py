"""What one HTTP connection may hold of a server process, and for how long.

uvicorn bounds the idle time between requests (`timeout_keep_alive`) and, with `limit_concurrency`,
answers 503 once a process has that many connections or requests; it bounds neither a request's
headers (the httptools parser takes header lines of any size, and waits for them forever) nor the
pauses within a request's body. Here:

- `GuardedHttpToolsProtocol` (api.connections_httptools; `GuardedH11Protocol` where httptools is
  not installed): a request's headers must arrive within `header_timeout()` seconds of the
  connection opening or the previous answer (else 408 and the connection closes), and be at most
  MAX_HEADER_BYTES (else 431 and close; h11's own limit answers 400); the bytes are counted as
  they arrive, so a header that never ends holds no more.
- `BodyIdleTimeout`: a request's body may pause at most `seconds` between two pieces, and past its
  first `seconds` must keep an average of `min_rate` bytes a second (else 408, `Connection: close`);
  an upload stalled or trickled by its client gives its slot and its spool back.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import anyio
import h11
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from api.refusals import Refused

MAX_HEADER_BYTES = 16 * 1024  # request line and headers; browsers send 1-2 KB
HEADER_TIMEOUT_SECONDS = 10.0
BODY_IDLE_SECONDS = 30.0
# The slowest average a body may arrive at once its first BODY_IDLE_SECONDS are over. A phone on the
# slowest link it still uploads on (GPRS, 2.5-5 KB/s up) keeps above it; so does an upload over a bad
# 3G link (15-50 KB/s). At 2 KB/s one 3 MB phone photo takes 25 minutes, longer than anyone waits for
# a claim, so no upload a user still waits for is refused. Without it a body could hold one of the
# process's MAX_CONNECTIONS slots for ever at a byte every 29 s; now each slot held costs its client
# 2 KB a second, and at most max_request_bytes / rate.
BODY_MIN_BYTES_PER_SECOND = 2048.0
# Connections and requests one process keeps at once (uvicorn's limit_concurrency): beyond, 503.
MAX_CONNECTIONS = 64
# How `serve` tells its worker processes the timeouts it was given.
HEADER_TIMEOUT_VARIABLE = "EVIDENCE_CHECK_HEADER_TIMEOUT"
BODY_TIMEOUT_VARIABLE = "EVIDENCE_CHECK_BODY_TIMEOUT"
BODY_MIN_RATE_VARIABLE = "EVIDENCE_CHECK_BODY_MIN_RATE"

_TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"content-length: %d\r\nconnection: close\r\n\r\n%s"
)
_TOO_SLOW = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"content-length: %d\r\nconnection: close\r\n\r\n%s"
)


def header_timeout() -> float:
    return float(os.environ.get(HEADER_TIMEOUT_VARIABLE) or HEADER_TIMEOUT_SECONDS)


def body_timeout() -> float:
    return float(os.environ.get(BODY_TIMEOUT_VARIABLE) or BODY_IDLE_SECONDS)


def body_min_rate() -> float:
    """Bytes a second; 0: no minimum."""
    return float(os.environ.get(BODY_MIN_RATE_VARIABLE) or BODY_MIN_BYTES_PER_SECOND)


class HeaderGuard:
    """Counts the bytes and the time a request's headers take; mixed into uvicorn's protocols."""

    transport: asyncio.Transport
    loop: asyncio.AbstractEventLoop
    _header_bytes = 0
    _header_timer: asyncio.TimerHandle | None = None

    # The clock starts when the connection opens (the first request's headers are awaited) and stops
    # when it closes; the protocol's own methods come next in the MRO.
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[misc]
        self._await_headers()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_header_clock()
        super().connection_lost(exc)  # type: ignore[misc]

    def _await_headers(self) -> None:
        self._stop_header_clock()
        self._header_bytes = 0
        self._header_timer = self.loop.call_later(header_timeout(), self._headers_too_slow)

    def _stop_header_clock(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        self._refuse(_TOO_SLOW, b"the request's headers did not arrive in time")

    def _count_header_bytes(self, n: int) -> None:
        """Add `n` bytes received while headers are awaited; refuse once they are over the limit."""
        self._header_bytes += n
        if self._header_bytes > MAX_HEADER_BYTES:
            self._stop_header_clock()
            self._refuse(_TOO_LARGE, b"the request's headers are over %d bytes" % MAX_HEADER_BYTES)

    def _refuse(self, template: bytes, message: bytes) -> None:
        if not self.transport.is_closing():
            self.transport.write(template % (len(message), message))
            self.transport.close()


class GuardedH11Protocol(HeaderGuard, H11Protocol):
    """h11 bounds the headers' size itself (`h11_max_incomplete_event_size`); the clock is added."""

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        awaiting = self.conn.their_state is h11.IDLE and (self.cycle is None or self.cycle.response_complete)
        if self._header_timer is not None and not awaiting:
            self._stop_header_clock()
        elif self._header_timer is None and awaiting and not self.transport.is_closing():
            # A request answered before its body ended: the next one is awaited from here.
            self._await_headers()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
            self._await_headers()


class BodyStalled(Refused):
    def __init__(self, seconds: float) -> None:
        super().__init__(408, "request.body_stalled", headers={"Connection": "close"}, seconds=f"{seconds:g}")


class BodyTooSlow(Refused):
    def __init__(self, rate: float) -> None:
        # Every digit: ':g' wrote the largest rate `serve` takes, 1048576, as 1.04858e+06.
        super().__init__(408, "request.body_too_slow", headers={"Connection": "close"}, rate=f"{rate:.15g}")


class CloseUnreadBody:
    """ASGI middleware: an answer given before its request's body was read to its end says
    `Connection: close`. Kept open, the connection had the server read and drop the rest of the body
    (all 50 MB of a refused upload, measured) to reach the next request: a key refused before the
    body, an upload over its limit or malformed, a console form posted while signed out. One home
    for the API's routes and the console's forms alike."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _carries_body(scope):
            await self.app(scope, receive, send)
            return
        body_complete = False

        async def receive_noting_its_end() -> Message:
            nonlocal body_complete
            message = await receive()
            if message["type"] != "http.request" or not message.get("more_body", False):
                body_complete = True
            return message

        async def send_closing_if_unread(message: Message) -> None:
            if message["type"] == "http.response.start" and not body_complete:
                headers = [(name, value) for name, value in message.get("headers", ()) if name.lower() != b"connection"]
                message = {**message, "headers": [*headers, (b"connection", b"close")]}
            await send(message)

        await self.app(scope, receive_noting_its_end, send_closing_if_unread)


def _carries_body(scope: Scope) -> bool:
    headers = dict(scope.get("headers", ()))
    return b"transfer-encoding" in headers or headers.get(b"content-length", b"0") != b"0"


class BodyIdleTimeout:
    """ASGI middleware: each piece of a request's body must come within `seconds` of asking for it,
    and once `seconds` of waiting for it are over, the body must have come at `min_rate` bytes a second
    on average (0: no minimum). Only the time spent waiting for the client counts: not the server's
    own between two pieces (an upload slot, the disk).

    Only while the body is incomplete: afterwards `receive` waits for the client to leave, as long
    as the answer takes, and is passed through untouched.
    """

    def __init__(self, app: ASGIApp, seconds: float, min_rate: float) -> None:
        self.app = app
        self.seconds = seconds
        self.min_rate = min_rate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body_complete = False
        received = 0
        waited = 0.0

        async def receive_in_time() -> Message:
            nonlocal body_complete, received, waited
            if body_complete:
                return await receive()
            # The longest wait after which what has come is still on average min_rate a second: never
            # below 0, as each piece came within the last such wait.
            rate_allows = self.seconds + received / self.min_rate - waited if self.min_rate else float("inf")
            allowed = min(self.seconds, rate_allows)
            message: dict[str, Any] | None = None
            asked = anyio.current_time()
            with anyio.move_on_after(allowed):
                message = dict(await receive())
            waited += anyio.current_time() - asked
            if message is None:
                raise BodyStalled(self.seconds) if allowed == self.seconds else BodyTooSlow(self.min_rate)
            if message["type"] != "http.request" or not message.get("more_body", False):
                body_complete = True
            received += len(message.get("body", b""))
            return message

        await self.app(scope, receive_in_time, send)
