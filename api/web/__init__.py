"""The agents' console: server-rendered pages over the same store and service functions as the API."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from api.negotiation import get_lang
from api.web import catalog, claims, photos, routes
from api.web.pages import get_console, safe_next, within_app
from api.web.session import StaleForm

STATIC = Path(__file__).parent / "static"
FAVICON = (STATIC / "favicon.svg").read_bytes()


def install(app: FastAPI) -> None:
    """The pages at `/`, `/claims/...`, `/catalog`, sign in and out; the stylesheet and script at `/static`."""
    app.include_router(routes.router)
    # Before the claim pages: their `/claims/{claim_id:id}` would take a photo's path as a claim id.
    app.include_router(photos.router)
    app.include_router(claims.router)
    app.include_router(catalog.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="console-static")
    app.add_api_route("/favicon.ico", favicon, include_in_schema=False)
    app.add_exception_handler(StaleForm, stale_form)


def favicon() -> Response:
    """The tab's icon at the address every browser asks for unbidden (the printable page names none):
    each first page's request for it was a 404 in the server's log."""
    return Response(FAVICON, media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"})


async def stale_form(request: Request, _exc: Exception) -> Response:
    """A page in the agent's language, with the way back to the form's page, where an agent whose tab
    outlived a sign-in got the raw JSON of an API error."""
    settings = request.app.state.settings
    lang = await get_lang(settings, request.headers.get("accept-language"))
    console = get_console(request, request.app.state.store, settings, lang)
    came_from = urlsplit(request.headers.get("referer") or "")
    # The Referer is the address the browser saw, under the proxy's prefix; `again` is the app's.
    again = safe_next(within_app(request, came_from.path + (f"?{came_from.query}" if came_from.query else ""))) if (
        came_from.netloc == request.url.netloc
    ) else "/"
    return console.render("stale.html", status_code=403, here=again, again=again)
