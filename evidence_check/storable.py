"""Text the store can hold and a terminal can show: what a client sends as free text is refused (422,
exit 2) when it holds what PostgreSQL's text cannot, instead of failing inside the driver (a 500)
there and being stored on SQLite, or a control character, which the command line would print back
to an agent's terminal as a command (ESC starts one, and so does the C1 character CSI, U+009B).
Text stored before this rule, and names of uploaded files, are shown through `shown`."""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

from evidence_check.errors import WordedError

# C0, DEL and C1 but tab and Unicode's line breaks (UAX #14's BK, CR, LF, NL): a text area sends
# "\r\n", Word's text holds VT (its line break) and FF (its page break), NEL is C1's line break.
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]")
# Every control character: for text shown on one line of a terminal, and values of one line.
_SHOWN_AS_ESCAPE = re.compile("[\x00-\x1f\x7f-\x9f]")
# What json.dumps leaves raw of them (it escapes C0 only).
_RAW_IN_JSON = re.compile("[\x7f-\x9f]")


def storable(text: str) -> bool:
    """False for text PostgreSQL's text cannot hold (a NUL, a lone surrogate: not UTF-8), or that holds
    a control character other than tab and line breaks (LF, CR, VT, FF, NEL). SQLite holds all of them, so without this
    rule one backend stored what the other answered with a 500, and the command line printed it raw."""
    if _CONTROL.search(text):
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class TextUnstorable(WordedError, ValueError):
    """Free text a client sent that no backend is to store (`storable`), or longer than its column."""


def storable_text(field: str, value: str | None, width: int) -> str | None:
    """`value` as sent, or TextUnstorable naming `field`; `width`, the most its column (or, for
    unbounded text, our rule) keeps (evidence_check.widths)."""
    if value is None:
        return None
    if len(value) > width:
        raise TextUnstorable("text.too_long", field=field, max_length=width)
    if not storable(value):
        raise TextUnstorable("text.unstorable", field=field)
    return value


def holds_control(text: str) -> bool:
    """True for text holding any control character, tab and line breaks too: none belongs in a value
    of one line, such as a URL."""
    return _SHOWN_AS_ESCAPE.search(text) is not None


def shown(text: str) -> str:
    """`text` as the command line prints it: each control character (tab and line breaks too, which
    would break a table's line or overwrite it) written as its escape, `\\x1b`, so that stored text
    cannot drive the terminal it is printed on."""
    return _SHOWN_AS_ESCAPE.sub(_escape, text)


def padded(text: str, columns: int) -> str:
    """`text` and the spaces that fill `columns` of a terminal's table. A Chinese character takes two
    columns (East Asian Wide and Fullwidth), a combining mark or an invisible format character (a
    zero-width space or joiner, a variation selector) none, so padding by the number of characters,
    as a format's width does, pushed every column after a Chinese category or brand."""
    used = sum(_columns(character) for character in text)
    return text + " " * max(columns - used, 0)


def _columns(character: str) -> int:
    if unicodedata.category(character) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(character) in ("W", "F") else 1


def shown_all(value: Any) -> Any:
    """A report's body (or any JSON value) with every string in it `shown`."""
    if isinstance(value, str):
        return shown(value)
    if isinstance(value, dict):
        return {shown_all(key): shown_all(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [shown_all(item) for item in value]
    return value


def shown_json(value: Any) -> str:
    """`value` as JSON for a terminal: the same JSON, with DEL and the C1 controls written as escapes
    too, for a terminal obeys CSI (U+009B) as it does ESC [."""
    text = json.dumps(value, ensure_ascii=False, indent=2)
    return _RAW_IN_JSON.sub(lambda match: f"\\u{ord(match.group()):04x}", text) + "\n"


def _escape(match: re.Match[str]) -> str:
    return repr(match.group())[1:-1]
