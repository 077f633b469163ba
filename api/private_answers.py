"""The API's answers are kept by no cache: reports, claims, the catalog, a key's refusal are one
tenant's. A request with `Authorization` is not stored by a shared cache, but a browser's cache, a
proxy told otherwise or the keyless trial's answers are not bound by that; `no-store` says it to all.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.routes import API_PREFIX
from api.served_under import path_in_app

# One home for the policy: the API's answers here, the console's pages, photos and printable report, a 500.
NOT_STORED = {"Cache-Control": "no-store"}
NO_STORE = (b"cache-control", NOT_STORED["Cache-Control"].encode())


class PrivateAnswers:
    """ASGI middleware: every answer under `/v1` (JSON, an error, a 404 of a path the API does not
    have) says `Cache-Control: no-store`, unless its route chose its own policy (a thumbnail's
    `private, max-age=3600`: the same picture of an image id, asked again by the console's pages).
    `/healthz`, `/docs` and the console's pages and files keep their own headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = path_in_app(scope)
        if scope["type"] != "http" or not (path == API_PREFIX or path.startswith(API_PREFIX + "/")):
            await self.app(scope, receive, send)
            return

        async def send_not_stored(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                if all(name.lower() != NO_STORE[0] for name, _ in headers):
                    message = {**message, "headers": [*headers, NO_STORE]}
            await send(message)

        await self.app(scope, receive, send_not_stored)
