"""An exception no handler took, answered inside the middleware that marks every answer.

Starlette answers it (with the app's `Exception` handler) in its outermost layer, outside the app's
middleware: the 500 carried no `x-request-id`, which its log line is found by, and no `no-store`.
The app adds it twice: innermost, for a route's failure, and just inside `RequestObserver`, for a
failure of a middleware between the two (the inner one's answer, once started, is not given again).
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class AnswerUnexpected:
    """ASGI middleware: `answer` gives the 500 (nothing of the exception in it); the
    exception is raised again after it, for Starlette's outermost layer, which logs it with the app's
    `Exception` handler and sends nothing more, and for the server's log."""

    def __init__(self, app: ASGIApp, answer: Callable[[Request], Response]) -> None:
        self.app = app
        self.answer = answer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_noting_the_start(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, send_noting_the_start)
        except Exception:
            if not started:
                response = self.answer(Request(scope, receive))
                await response(scope, receive, send)
            raise
