"""The HTTP errors of the routes, named by a code of evidence_check.errors: the app's
exception handler words them in the language the request asks for."""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException

from evidence_check.errors import error_text


class Refused(HTTPException):
    """An HTTPException whose detail is the English line of `code`; `text(lang)` words it in `lang`."""

    def __init__(
        self, status: int, code: str, *, headers: dict[str, str] | None = None, **params: Any
    ) -> None:
        self.code = code
        self.params = params
        super().__init__(status, error_text(code, params), headers=headers)

    def text(self, lang: str) -> str:
        return error_text(self.code, self.params, lang)
