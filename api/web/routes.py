"""The console's pages besides a claim's and the catalog's: sign in and out, the language switch, the queue."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import Annotated
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy import select

from api.negotiation import LangDep
from api.state import StoreDep
from api.web import words as w
from api.web.pages import (
    LANG_COOKIE,
    Console,
    ConsoleDep,
    console_language,
    redirect,
    safe_next,
    to_sign_in,
)
from api.web.session import (
    CSRF_FIELD,
    SESSION_COOKIE,
    SESSION_SECONDS,
    TRIAL_COOKIE,
    check_csrf,
    close_session,
    cookie_path,
    current_agent,
    open_session,
    set_cookie,
)
from evidence_check.engine import now_utc
from evidence_check.errors import error_text
from evidence_check.report import in_language
from evidence_check.store import Store, StoreError
from evidence_check.store.claims import (
    ClaimFilter,
    ClaimPage,
    ClaimSummary,
    CursorInvalid,
    encode_cursor,
    list_claims,
)
from evidence_check.store.database import store_errors
from evidence_check.store.tables import ClaimRow

log = logging.getLogger("evidence_check.api")
router = APIRouter(include_in_schema=False)

PAGE = 25
VERDICT_CHOICES = ("accept", "review", "reject")


@router.get("/signin", response_class=HTMLResponse)
def sign_in_page(console: ConsoleDep, next: str | None = None) -> Response:
    if console.agent is not None:
        return redirect(console.request, safe_next(next))
    # A session cookie that no longer opens a session: the agent was sent here mid-task, not by
    # signing out (which deletes it), and is told why.
    ended = SESSION_COOKIE in console.request.cookies
    return console.render("signin.html", next=safe_next(next), failed=False, ended_hours=SESSION_SECONDS // 3600 if ended else None)


@router.post("/signin", response_class=HTMLResponse)
def sign_in(
    request: Request,
    console: ConsoleDep,
    api_key: Annotated[str, Form(max_length=256)] = "",
    next: Annotated[str, Form(max_length=2048)] = "/",
) -> Response:
    """No CSRF token here (nobody is signed in yet); a form posted from another site is refused by
    its Origin, so that no page can sign a browser into a session of its own choosing."""
    origin = request.headers.get("origin")
    if origin is not None and urlsplit(origin).netloc != request.url.netloc:
        raise HTTPException(403, "sign in from this server's own page")
    value = open_session(console.store, api_key.strip())
    if value is None:
        return console.render("signin.html", status_code=401, next=safe_next(next), failed=True)
    response = redirect(request, safe_next(next))
    set_cookie(request, response, SESSION_COOKIE, value, max_age=SESSION_SECONDS)
    return response


@router.post("/signout")
def sign_out(
    request: Request, store: StoreDep, lang: LangDep, csrf: Annotated[str, Form(alias=CSRF_FIELD)] = ""
) -> Response:
    """This browser is signed out even when the store cannot check its session or record its end:
    its cookies are deleted all the same, and the 503 says that a copy of them still works."""
    response: Response = redirect(request, "/signin")
    try:
        agent = current_agent(request, store)
        if agent is not None:
            check_csrf(agent, csrf)
            close_session(store, agent)
    except StoreError as exc:
        log.error("store error: %s", exc)
        response = JSONResponse({"detail": error_text("store.session_not_ended", {}, console_language(request, lang))}, status_code=503)
    # Under a prefix, at `/` too: a browser's cookie from before the app moved under it (console_cookie).
    for name in (SESSION_COOKIE, TRIAL_COOKIE):
        for path in dict.fromkeys((cookie_path(request), "/")):
            response.delete_cookie(name, path=path, httponly=True, samesite="strict", secure=request.url.scheme == "https")
    return response


@router.get("/lang")
def switch_language(request: Request, to: str = "en", next: str | None = None) -> Response:
    response = redirect(request, safe_next(next))
    set_cookie(request, response, LANG_COOKIE, w.language(to) or "en", max_age=365 * 86400)
    return response


@router.get("/", response_class=HTMLResponse)
def queue(
    console: ConsoleDep,
    q: str = "",
    verdict: str = "",
    since: str = "",
    until: str = "",
    cursor: str | None = None,
    review_cursor: str | None = None,
) -> Response:
    """Claims newest first; without a verdict filter, those waiting for review come first, each
    section paged on its own."""
    agent = console.agent
    if agent is None:
        return to_sign_in(console.request)
    problems: list[str] = []
    where = ClaimFilter(
        verdict=verdict if verdict in VERDICT_CHOICES else None,
        text=q.strip()[:128] or None,
        since=_day_start(since, console, problems),
        until=_day_start(until, console, problems, next_day=True),
    )
    filters = {"q": q, "verdict": where.verdict or "", "since": since, "until": until}
    sections = []
    try:
        if where.verdict is None:
            review = list_claims(console.store, agent.tenant, replace(where, verdict="review"), PAGE, review_cursor)
            others = _accepted_and_rejected(console.store, agent.tenant, where, cursor)
            sections = [
                _section("needs_review", review, filters, "review_cursor", {"cursor": cursor, "review_cursor": review_cursor}),
                _section("other_claims", others, filters, "cursor", {"cursor": cursor, "review_cursor": review_cursor}),
            ]
        else:
            found = list_claims(console.store, agent.tenant, where, PAGE, cursor)
            sections = [_section("results", found, filters, "cursor", {"cursor": cursor})]
    except CursorInvalid as exc:
        problems.append(str(exc))
    return console.render(
        "queue.html",
        sections=sections,
        filters=filters,
        verdict_choices=VERDICT_CHOICES,
        problems=problems,
        ago=lambda moment: w.duration(now_utc() - moment, console.lang),
        strongest=lambda item: _strongest_reason(item, console.lang),
    )


def _strongest_reason(item: ClaimSummary, lang: str) -> str:
    """The first reason of the claim's latest report, written in the agent's language."""
    reasons = in_language(item.report, lang, "console").get("reasons") or []
    return str(reasons[0]) if reasons else ""


def _section(
    title: str, page: ClaimPage, filters: dict[str, str], cursor_name: str, keep: dict[str, str | None]
) -> dict[str, object]:
    """`keep`: the cursors of this page (of the other section too), so paging one keeps the other."""
    kept = {k: v for k, v in {**filters, **keep}.items() if v}
    return {
        "title": title,
        "items": page.items,
        "older": "/?" + urlencode({**kept, cursor_name: page.next_cursor}) if page.next_cursor else None,
        "newest": "/?" + urlencode({k: v for k, v in kept.items() if k != cursor_name}),
        "paged": cursor_name in kept,
    }


@store_errors("could not list claims")
def _accepted_and_rejected(store: Store, tenant: str, where: ClaimFilter, cursor: str | None) -> ClaimPage:
    """One page of the claims the service accepted or rejected, newest first, cut by one cursor
    (the store's cursor is a position in the claims' order, the same for every verdict)."""
    found = []
    more = False
    for verdict in ("accept", "reject"):
        page = list_claims(store, tenant, replace(where, verdict=verdict), PAGE, cursor)
        found += page.items
        more = more or page.next_cursor is not None
    if not found:
        return ClaimPage([], None)
    with store.sessions() as session:
        rows = session.execute(
            select(ClaimRow.claim_id, ClaimRow.id).where(
                ClaimRow.tenant == tenant, ClaimRow.claim_id.in_([s.claim_id for s in found])
            )
        )
        positions = {claim_id: row_id for claim_id, row_id in rows}
    found.sort(key=lambda summary: positions[summary.claim_id], reverse=True)
    shown = found[:PAGE]
    more = more or len(found) > PAGE
    return ClaimPage(shown, encode_cursor(positions[shown[-1].claim_id]) if more else None)


def _day_start(text: str, console: Console, problems: list[str], next_day: bool = False) -> datetime | None:
    """The start of a date in the agent's zone (of the day after, for an inclusive end)."""
    if not text.strip():
        return None
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        problems.append(console.words["not_a_date"].format(text=repr(text[:40])))
        return None
    if next_day and day == date.max:
        return None  # up to the end of the last day a date names: no bound at all
    return datetime.combine(day + timedelta(days=1 if next_day else 0), time(), console.zone)
