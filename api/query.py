"""The API's query strings take only the parameters a route declares, each once.

FastAPI leaves other parameters aside unsaid: `GET /v1/claims?custmer_id=u-42` answered every
claim, as if filtered, and `POST /v1/verify?claim_id=c-1` recorded the photos under a new claim id
(the claim's fields travel in the form). A parameter given twice (`?verdict=accept&verdict=reject`)
was read as its last value. Both are a client's mistake it cannot see, so both are refused (422),
as the form's and the JSON bodies' unknown fields already are. The console's pages, which browsers
and links may decorate (`?utm_source=`), are left as they are: the check is a dependency of the `/v1`
routers alone (`api.app`).

It depends on the caller's tenant, so a caller without a valid key is told 401 first, as for any
other malformed field: a client fixing its query string before its key would be fixing the wrong thing.
"""

from __future__ import annotations

from collections import Counter

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from api.auth import TenantDep
from evidence_check.intake import IntakeError


async def only_declared_query(request: Request, _tenant: TenantDep) -> None:
    """422 for a query parameter the route does not take, or one given more than once."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    known = declared_query(route)
    counts = Counter(name for name, _ in request.query_params.multi_items())
    for name, count in counts.items():
        if name not in known:
            if known:
                raise IntakeError("query.unknown", field=name, known=", ".join(known))
            raise IntakeError("query.none_taken", field=name)
        if count > 1:
            raise IntakeError("upload.field_repeated", field=name)  # the form's line


def declared_query(route: APIRoute) -> tuple[str, ...]:
    """The names of the route's query parameters, its dependencies' included, in declared order."""
    names: list[str] = []

    def walk(dependant: Dependant) -> None:
        names.extend(field.alias for field in dependant.query_params if field.alias not in names)
        for sub in dependant.dependencies:
            walk(sub)

    walk(route.dependant)
    return tuple(names)
