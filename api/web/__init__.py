"""The agents' console: server-rendered pages over the same store and service functions as the API."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api.web import catalog, claims, photos, routes

STATIC = Path(__file__).parent / "static"


def install(app: FastAPI) -> None:
    """The pages at `/`, `/claims/...`, `/catalog`, sign in and out; the stylesheet and script at `/static`."""
    app.include_router(routes.router)
    # Before the claim pages: their `/claims/{claim_id:path}` would take a photo's path as a claim id.
    app.include_router(photos.router)
    app.include_router(claims.router)
    app.include_router(catalog.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="console-static")
