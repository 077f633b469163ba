"""JSON bodies read by `evidence_check.strict_json`: a name given twice in one object is 422.

FastAPI reads a body with `Request.json`; the routers that take JSON bodies use `UniqueNamesRoute`,
which hands their routes a request whose `json` refuses such a document.

FastAPI also reads the body before any dependency, the key's included: a caller with no key, or a
revoked one, was told how its body was parsed (422) instead of "unauthorized". So a body that does
not parse has the key judged first; one that parses is read once, and the key judged as usual.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from api.auth import judge_key
from api.refusals import Refused
from evidence_check import strict_json


class UniqueNamesRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            try:
                self._json = strict_json.loads(await self.body())
            except strict_json.NameTwice as exc:
                # FastAPI passes an HTTPException through as it is (any other error is its 400).
                raise Refused(422, "input.name_twice", where="body", name=exc.name) from None
        return self._json

    async def parses(self) -> bool:
        """Whether `json` reads the body; FastAPI answers for the body that does not, as before. A
        body that cannot be read (it stalls: 408; the client leaves: 499) is answered at once."""
        await self.body()
        try:
            await self.json()
        except Exception:  # noqa: BLE001 - any reason to refuse the body is FastAPI's to word
            return False
        return True


class UniqueNamesRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        takes_body = self.body_field is not None

        async def with_unique_names(request: Request) -> Response:
            strict = UniqueNamesRequest(request.scope, request.receive)
            if takes_body and not await strict.parses():
                await judge_key(strict)
            return await handler(strict)

        return with_unique_names
