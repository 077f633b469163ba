"""JSON read with each name of an object given once.

Python's `json` keeps the last value of a name given twice, unsaid: `{"zipper": [0, 0, 10, 10],
"zipper": [40, 0, 10, 10]}` stored one zone of the two, `{"outcome": "fraud", "outcome": "genuine"}`
recorded `genuine`. A document like that was built wrongly, and which value was meant is not
known: it is refused, naming the name (RFC 8259 leaves the answer to the reader).

A document nested past Python's recursion limit (~1,000 levels; 2 KB of `[`) is a `JSONDecodeError`
too: `json` raises RecursionError, which no caller's "not JSON" branch caught, so a zones field of
`[[[…]]]` was the API's 500 and the CLI's "internal error". So is a whole number of more digits
than Python converts (`sys.get_int_max_str_digits()`, 4,300): `json` raises a bare ValueError, which
was the 500 of a zones field, FastAPI's 400 "not UTF-8 text" for a JSON body, and Python's advice
("use sys.set_int_max_str_digits()") in an import's answer.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any


class NameTwice(ValueError):
    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"{name!r} is given twice in one object")


def loads(text: str | bytes) -> Any:
    """`json.loads`, raising `NameTwice` for an object that names a member twice."""
    try:
        return json.loads(text, object_pairs_hook=_unique)
    except RecursionError:
        raise json.JSONDecodeError("nested too deeply", text if isinstance(text, str) else "", 0) from None
    except (json.JSONDecodeError, NameTwice, UnicodeDecodeError):  # the last: FastAPI words it "not UTF-8 text"
        raise
    except ValueError:
        limit = sys.get_int_max_str_digits()
        document = text if isinstance(text, str) else text.decode("utf-8", "replace")
        # Only from a run's first digit: tried from every digit, a body of 4,300-digit numbers took
        # each run's length squared (4 MB: 98 s of a worker's time).
        long_number = re.search(rf"(?<![0-9])[0-9]{{{limit + 1},}}", document)
        position = long_number.start() if long_number else 0
        raise json.JSONDecodeError(f"a number of more than {limit} digits", document, position) from None


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    members: dict[str, Any] = {}
    for name, value in pairs:
        if name in members:
            raise NameTwice(name)
        members[name] = value
    return members
