"""The app behind a reverse proxy's path prefix (`ROOT_PATH`, `serve --root-path`).

A shop that serves the app at `https://shop.example/evidence/` has its proxy forward
`/evidence/claims/c-1` as `/claims/c-1` (nginx's `proxy_pass http://app/;`), or as it came (`proxy_pass
http://app;`). `ServedUnder` makes both the same request, as the ASGI spec writes it: `root_path` the
prefix, `path` the whole path the browser asked for (`/evidence/claims/c-1`); Starlette routes on the
path past `root_path`. The console builds its links, redirects and cookie paths from `root_path`
(`api.web.pages.at`), FastAPI the docs page's and the OpenAPI description's `servers`.

The prefix is applied here, not by uvicorn's `--root-path`: since uvicorn 0.26 (Kludex/uvicorn#2213)
that prepends it to every path, so a proxy that does not strip it reached `/evidence/evidence/...`, a
404; nor by `FastAPI(root_path=...)`, deprecated in FastAPI 0.165 and setting `root_path` without
making `path` whole (a stripped path then read as the browser's). Here the app behaves the same under
any ASGI server, and in every worker of `serve --workers N`.

Both readings hold only while no address of the app's own begins with the prefix: under `/claims`, the
browser's `/claims/claims/c-1` comes from a stripping proxy as `/claims/c-1`, the console's claim page,
which reads as kept (the app's `/c-1`, a 404). `refuse_own_address` names such a prefix; `create_app`
raises on it and `serve` stops at start with one line.
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi.routing import iter_route_contexts
from starlette.routing import BaseRoute, Mount, compile_path
from starlette.types import ASGIApp, Receive, Scope, Send

SUGGESTED = "/evidence"


class ServedUnder:
    """ASGI middleware: requests as served under `root_path` (`/evidence`), stripped or not."""

    def __init__(self, app: ASGIApp, root_path: str) -> None:
        self.app = app
        self.root_path = root_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            scope = {**scope, "root_path": self.root_path, **self._full_path(scope)}
        await self.app(scope, receive, send)

    def _full_path(self, scope: Scope) -> dict[str, object]:
        path: str = scope["path"]
        if path == self.root_path or path.startswith(self.root_path + "/"):
            return {}  # the proxy forwarded the prefix, or the server added it
        raw = scope.get("raw_path")
        full: dict[str, object] = {"path": self.root_path + path}
        if isinstance(raw, bytes):
            full["raw_path"] = self.root_path.encode("ascii") + raw
        return full


def path_in_app(scope: Scope) -> str:
    """The request's path as the app's routes are written (`/v1/verify`), past the prefix: what a
    middleware that tells the API from the console must read, the whole path being `/evidence/v1/...`."""
    path: str = scope.get("path", "")
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root + "/") else path


class PrefixTaken(ValueError):
    """A prefix the app's own addresses take; the message is one line, naming one of them."""


def refuse_own_address(routes: Sequence[BaseRoute], root_path: str) -> None:
    """`PrefixTaken`, when `root_path` is also where an address among `routes` (an app's
    `app.routes`) begins: when a path it matches is the prefix, or goes on past it after a '/'.

    A prefix of several segments is refused when one of the app's addresses has them all, not for
    its first alone: `/claims/x` is claim x's page (`/claims/{claim_id}`), `/static/x` a folder of the
    stylesheet's, while `/v1/x` or `/docs/x` begins none of the app's addresses, so a path that starts
    with it can only be one the proxy kept. Read from the routes the app answers (FastAPI's
    `iter_route_contexts` opens its included routers), so that a page added later is covered."""
    # The address that is the prefix itself names it best: `/claims/new` as `/claims/new`, not as the
    # first route whose claim id could be `new`.
    itself: list[str] = []
    below: list[str] = []
    for context in iter_route_contexts(routes):
        template = context.path
        if not isinstance(template, str):
            continue
        if isinstance(context.original_route, Mount):
            template += "/{path:path}"  # a mount answers every path below it
        segments = template.split("/")[1:]
        # Each start of the template, cut after a segment: a parameter's own pattern judges the
        # prefix's segment there (an id's matches several, so `/claims/a/b` is claim a/b's page).
        starts = [compile_path("/" + "/".join(segments[:end]))[0] for end in range(1, len(segments) + 1)]
        if starts[-1].fullmatch(root_path):
            itself.append(compile_path(template)[1])
        elif any(start.fullmatch(root_path) for start in starts[:-1]):
            below.append(compile_path(template)[1])
    if itself or below:
        raise PrefixTaken(
            f"{root_path} is taken by the app's own addresses (as {(itself + below)[0]}): behind a proxy that "
            f"strips the prefix they could not be told from prefixed ones; choose another prefix, as {SUGGESTED}"
        )
