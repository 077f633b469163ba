"""JSON bodies read by `evidence_check.strict_json`: a name given twice in one object is 422.

FastAPI reads a body with `Request.json`; the routers that take JSON bodies use `UniqueNamesRoute`,
which hands their routes a request whose `json` refuses such a document.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

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


class UniqueNamesRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def with_unique_names(request: Request) -> Response:
            return await handler(UniqueNamesRequest(request.scope, request.receive))

        return with_unique_names
