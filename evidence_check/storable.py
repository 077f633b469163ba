"""Text the store can hold, on every backend: what a client sends as free text is refused (422, exit 2)
when it holds what PostgreSQL's text cannot, instead of failing inside the driver (a 500) there and
being stored on SQLite."""

from __future__ import annotations

from evidence_check.errors import WordedError


def storable(text: str) -> bool:
    """False for text PostgreSQL's text cannot hold: a NUL, or a lone surrogate (not UTF-8). SQLite
    holds both, so without this rule one backend stored what the other answered with a 500."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class TextUnstorable(WordedError, ValueError):
    """Free text a client sent that no backend is to store (`storable`)."""


def storable_text(field: str, value: str | None) -> str | None:
    if value is not None and not storable(value):
        raise TextUnstorable("text.unstorable", field=field)
    return value
