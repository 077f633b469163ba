"""JSON bodies read by `evidence_check.strict_json`: a name given twice in one object is 422.

FastAPI reads a body with `Request.json`; the routers that take JSON bodies use `UniqueNamesRoute`,
which hands their routes a request whose `json` refuses such a document. Being a `KeyFirstRoute`,
it reads no body before the caller's key is judged; then no more of it than `max_json_bytes` (413).
"""

from __future__ import annotations

from typing import Any

from fastapi import Request

from api.auth import KeyFirstRoute
from api.refusals import Refused
from api.upload import UploadTooLarge, size_text
from evidence_check import strict_json


class UniqueNamesRequest(Request):
    async def body(self) -> bytes:
        # Starlette reads a body whole into memory, however long: a valid key's 50 MB body was.
        if not hasattr(self, "_body"):
            limit: int = self.app.state.settings.max_json_bytes
            too_large = UploadTooLarge("input.json_too_large", limit=size_text(limit))
            declared = self.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit:
                raise too_large
            chunks, received = [], 0
            async for chunk in self.stream():
                received += len(chunk)
                if received > limit:  # a chunked body declares no length
                    raise too_large
                chunks.append(chunk)
            self._body = b"".join(chunks)
        return self._body

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            try:
                self._json = strict_json.loads(await self.body())
            except strict_json.NameTwice as exc:
                # FastAPI passes an HTTPException through as it is (any other error is its 400).
                raise Refused(422, "input.name_twice", where="body", name=exc.name) from None
        return self._json


class UniqueNamesRoute(KeyFirstRoute):
    async def received(self, request: Request) -> Request:
        strict = UniqueNamesRequest(request.scope, request.receive)
        if self.body_field is not None:
            # Read here rather than by FastAPI, which words any failure to read a body as its 400:
            # a body that stalls is 408 and one whose client left 499, as for a form.
            await strict.body()
        return strict
