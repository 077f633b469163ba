"""The report as JSON (the contract's body) or as the printable HTML page."""

from __future__ import annotations

from typing import Any

from fastapi.responses import HTMLResponse

from api.schemas import REPORT_EXAMPLE, Problem
from evidence_check.render.html import render_html


def report_response(body: dict[str, Any], lang: str, html: bool) -> Any:
    return HTMLResponse(render_html(body, lang)) if html else body


REPORT_CONTENT: dict[str, Any] = {
    "application/json": {"example": REPORT_EXAMPLE},
    "text/html": {"schema": {"type": "string"}, "example": "<!doctype html><html>…</html>"},
}

UNAUTHORIZED: dict[int | str, dict[str, Any]] = {
    401: {
        "model": Problem,
        "description": "No valid key (or, before any key exists, a caller not on loopback)",
        "content": {"application/json": {"example": {"detail": "invalid or revoked API key"}}},
    }
}
