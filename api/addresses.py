"""Claim ids and SKUs in paths: they may hold '/' (`evidence_check.intake.ID_PATTERN`).

A path is decoded before it is routed, so the id `a/reports` sent encoded (`/v1/claims/a%2Freports`)
reached the route of the reports of claim `a`, and the console's own links (which encode every '/')
opened the printable page of `x` for the claim `x/print`. Here a '/' sent as `%2F` stays part of the
id: `KeepEncodedSlashes` leaves `%2F` (and `%25`, so that `%2F` cannot be forged from `%252F`)
encoded in the path that is routed, and the `id` convertor of `{claim_id:id}` decodes them once the
route is chosen. An id sent with bare slashes is read as before (the longest match), so that
clients which never encoded still reach ids that do not end like an action.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, unquote, unquote_to_bytes

from starlette.convertors import Convertor, register_url_convertor
from starlette.types import ASGIApp, Receive, Scope, Send

_KEPT = re.compile(rb"(%2[fF]|%25)")


class IdConvertor(Convertor[str]):
    """`{name:id}`: one or more path segments, a '/' in them sent bare or as %2F."""

    regex = ".+"

    def convert(self, value: str) -> str:
        # PostgreSQL cannot even compare with a NUL (a 500, where SQLite found no such claim). No id
        # holds U+FFFD (the ID rule), so the id read in its place is no such claim on both backends,
        # as a lone surrogate already is (decoded as U+FFFD by `routed_path`).
        return unquote(value).replace("\x00", "\ufffd")

    def to_string(self, value: str) -> str:
        return quote(value, safe="")


register_url_convertor("id", IdConvertor())


def routed_path(raw_path: bytes) -> str:
    """The path as Starlette decodes it, but for `%2F` and `%25`, left encoded; a '%' that only
    decoding made (a bare '%' before `%32%46`) encoded again, so that the `id` convertor's decoding
    gives the id back as sent, not decoded twice."""
    pieces = _KEPT.split(raw_path)
    decoded = b"".join(
        piece.upper() if _KEPT.fullmatch(piece) else unquote_to_bytes(piece).replace(b"%", b"%25")
        for piece in pieces
    )
    return decoded.decode("utf-8", "replace")


class KeepEncodedSlashes:
    """ASGI middleware: routes on `routed_path` when the client sent an escape (else the path is the
    raw one)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw: Any = scope.get("raw_path")
        if scope["type"] in ("http", "websocket") and isinstance(raw, bytes) and b"%" in raw:
            # In place, not a copy: the middleware outside reads the route the router writes into
            # this scope (the metrics' and the log's route template).
            scope["path"] = routed_path(raw)
        await self.app(scope, receive, send)
