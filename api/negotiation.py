"""What the caller asked for: the report's language and its format."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Depends, Header, Query, Request

from api.state import SettingsDep
from evidence_check.explain import LANGUAGES


async def get_lang(
    settings: SettingsDep,
    accept_language: Annotated[
        str | None,
        Header(description="zh or en (e.g. `zh-CN,zh;q=0.9`): language of summaries, reasons and next steps"),
    ] = None,
) -> str:
    """The caller's most preferred language among those the reports are written in."""
    return preferred_language(accept_language, settings.lang)


def request_language(request: Request) -> str:
    """The language of a request's answer, as `get_lang` chooses it: for the exception handlers,
    which an error may reach before any dependency ran."""
    return preferred_language(request.headers.get("accept-language"), request.app.state.settings.lang)


def preferred_language(accept_language: str | None, default: str) -> str:
    """The most preferred of `Accept-Language`'s languages the service writes in, else `default`."""
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate((accept_language or "").split(",")):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        primary = tag.strip().split("-")[0].lower()
        if primary in LANGUAGES and quality > 0:
            ranked.append((-quality, position, primary))
    return min(ranked)[2] if ranked else default


LangDep = Annotated[str, Depends(get_lang)]


async def wants_html(
    request: Request,
    format: Annotated[
        Literal["json", "html"] | None,
        Query(description="html for the printable report; default JSON unless Accept prefers text/html"),
    ] = None,
) -> bool:
    if format is not None:
        return format == "html"
    accept = request.headers.get("accept", "")
    kinds = [part.split(";")[0].strip().lower() for part in accept.split(",")]
    if "text/html" not in kinds:
        return False
    return "application/json" not in kinds or kinds.index("text/html") < kinds.index("application/json")


HtmlDep = Annotated[bool, Depends(wants_html)]
