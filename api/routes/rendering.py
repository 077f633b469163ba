"""The report as JSON (the contract's body) or as the printable HTML page."""

from __future__ import annotations

import logging
from typing import Any

from fastapi.responses import HTMLResponse

from api.private_answers import NOT_STORED
from api.schemas import REPORT_EXAMPLE, Problem
from evidence_check.service import report_page
from evidence_check.settings import Settings
from evidence_check.store import Store, StoreError

log = logging.getLogger("evidence_check.api")

# The printable page (the API's `?format=html`, the console's printable page) holds a customer's photos
# and words: kept by no cache, framed by no one, and, self-contained (its style inline, its pictures
# data: URIs), allowed to load nothing and run nothing.
REPORT_PAGE_HEADERS = {
    **NOT_STORED,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
        "form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
    ),
}


def report_response(
    body: dict[str, Any],
    lang: str,
    html: bool,
    *,
    store: Store,
    tenant: str,
    settings: Settings,
    just_recorded: bool = False,
) -> Any:
    """The report as JSON, or as the printable page with pictures of the claim's kept photos.
    `just_recorded`: the request sent the claim to be recorded (recorded now, or a retry answered
    with the report recorded first), whose page is then drawn without pictures when the store cannot
    give them, not a 503 that a client without an Idempotency-Key would answer by sending the claim
    again."""
    if not html:
        return body
    try:
        page = report_page(store, tenant, body, lang, settings)
    except StoreError as exc:
        if not just_recorded:
            raise
        log.warning("claim %s of %s recorded, its page drawn without pictures: %s", body.get("claim_id"), tenant, exc)
        page = report_page(store, tenant, body, lang, settings, pictures=False)
    return HTMLResponse(page, headers=REPORT_PAGE_HEADERS)


REPORT_CONTENT: dict[str, Any] = {
    "application/json": {"example": REPORT_EXAMPLE},
    "text/html": {"schema": {"type": "string"}, "example": "<!doctype html><html>…</html>"},
}


def problem(description: str, example: str) -> dict[str, Any]:
    """An error answer of the OpenAPI description: `{"detail": "one line"}`, with an example."""
    return {
        "model": Problem,
        "description": description,
        "content": {"application/json": {"example": {"detail": example}}},
    }


UNAUTHORIZED: dict[int | str, dict[str, Any]] = {
    401: problem(
        "No valid key (or, before any key exists, a caller not on loopback)", "invalid or revoked API key"
    )
}

# What any route that reads or writes the store may answer besides its own outcomes.
SERVER_ERRORS: dict[int | str, dict[str, Any]] = {
    500: problem("An unexpected failure; the log line with the same X-Request-ID says why", "internal error"),
    503: problem(
        "The store does not answer; retrying later is safe", "the store is not available; try again"
    ),
}


def answer(description: str, example: Any) -> dict[str, Any]:
    """A successful JSON answer of the OpenAPI description, with its example."""
    return {"description": description, "content": {"application/json": {"example": example}}}


MALFORMED: dict[int | str, dict[str, Any]] = {422: problem("A malformed parameter", "claim_id: String should have at most 128 characters")}
