"""Who is calling: the tenant of an API key, the loopback trial before the first key, the metrics token.

A key belongs to one tenant, and everything a route does is scoped by that tenant. Until the first
key is created the server is a single user's trial: it answers only callers on loopback, as tenant
`default`, without keys (`evidence-check serve` also refuses to listen elsewhere then).

A caller on loopback may still be a web page in the user's browser. So the trial also answers only
requests addressed to a loopback name (`Host: localhost`, `127.0.0.1`, `[::1]`): a page of
evil.example that rebinds its name to 127.0.0.1 (DNS rebinding) still sends `Host: evil.example`.
And it refuses a cross-site page's unsafe requests (a form POSTed from another site, CSRF): those
carry an `Origin` that is not a loopback one, or `Sec-Fetch-Site: cross-site`. Clients that are not
browsers send neither. Once keys exist, a browser cannot send one on its own, and neither check
is needed.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

import anyio.to_thread
from fastapi import Depends, Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.requests import HTTPConnection

from api.refusals import Refused
from api.state import SettingsDep, StoreDep
from api.threads import OPERATIONS_THREADS
from evidence_check.store import Store
from evidence_check.store.keys import any_key, key_for

TRIAL_TENANT = "default"


class OneBearer(HTTPBearer):
    """`Authorization: Bearer ...`, refused when sent more than once: the first one used to win, where
    a proxy in front may have judged (or added) the other one, so which key the request stands for
    is not known."""

    async def __call__(self, request: HTTPConnection) -> HTTPAuthorizationCredentials | None:
        if len(request.headers.getlist("authorization")) > 1:
            raise unauthorized("auth.several_keys")
        return await super().__call__(request)


bearer = OneBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="`Authorization: Bearer KEY`, a key from `evidence-check keys create TENANT`",
)


def is_loopback(host: str | None) -> bool:
    if host is None:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_loopback_name(host: str) -> bool:
    """Whether `host` (a Host header's or an origin's host, without port) names loopback."""
    name = host.strip("[]").lower().rstrip(".")
    return name == "localhost" or name.endswith(".localhost") or is_loopback(name)


def host_of(authority: str) -> str:
    """The host of `host[:port]`, `[v6]:port` or a URL's `scheme://host[:port]`."""
    authority = authority.split("://", 1)[-1].split("/", 1)[0]
    if authority.startswith("["):
        return authority[: authority.find("]") + 1]
    return authority.rsplit(":", 1)[0] if authority.count(":") == 1 else authority


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def check_trial_origin(request: Request) -> None:
    """403 unless the request is addressed to loopback and, when unsafe, comes from no other site."""
    host = request.headers.get("host", "")
    if not is_loopback_name(host_of(host)):
        raise Refused(403, "auth.trial_host", host=host[:100])
    if request.method in SAFE_METHODS:
        return
    origin = request.headers.get("origin")
    cross_site = request.headers.get("sec-fetch-site") == "cross-site"
    if cross_site or (origin is not None and not is_loopback_name(host_of(origin))):
        raise Refused(403, "auth.trial_cross_site")


def unauthorized(code: str) -> Refused:
    return Refused(401, code, headers={"WWW-Authenticate": "Bearer"})


def in_trial(request: Request, store: Store) -> bool:
    """True before the first key exists: then only callers on loopback are answered (401 others)."""
    state = request.app.state
    # Keys are never deleted (only revoked), so once one is seen the trial is over for good.
    if not state.keys_exist:
        state.keys_exist = any_key(store)
    if state.keys_exist:
        return False
    if not is_loopback(request.client.host if request.client else None):
        raise unauthorized("auth.no_keys_yet")
    check_trial_origin(request)
    return True


def judged_tenant(request: Request, store: Store, credentials: HTTPAuthorizationCredentials | None) -> str:
    """The tenant of a valid key (401 otherwise); `default` in the loopback trial before any key.
    The key's public id is kept for the request (`key_id_of`)."""
    if in_trial(request, store):
        tenant = TRIAL_TENANT
    else:
        if credentials is None:
            raise unauthorized("auth.missing_key")
        found = key_for(store, credentials.credentials)
        if found is None:
            raise unauthorized("auth.invalid_key")
        tenant, request.state.key_id = found
    request.state.log = {**getattr(request.state, "log", {}), "tenant": tenant}
    return tenant


async def get_tenant(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> str:
    """The caller's tenant, judged once per request: by `KeyFirstRoute` before the body is read, or
    here for a route of another class."""
    tenant: str | None = getattr(request.state, "tenant", None)
    if tenant is None:
        store: Store = request.app.state.store
        tenant = await anyio.to_thread.run_sync(judged_tenant, request, store, credentials)
        request.state.tenant = tenant
    return tenant


TenantDep = Annotated[str, Depends(get_tenant)]


def key_id_of(request: Request) -> str | None:
    """The public id of the key the request's tenant was judged by; None in the loopback trial."""
    key_id: str | None = getattr(request.state, "key_id", None)
    return key_id


def needs_key(dependant: Dependant) -> bool:
    """Whether `get_tenant` is among the dependencies of `dependant`, however deep."""
    return any(sub.call is get_tenant or needs_key(sub) for sub in dependant.dependencies)


class KeyFirstRoute(APIRoute):
    """A route whose dependencies need the caller's key judges it before anything else: FastAPI reads
    a JSON body before any dependency, so a caller without a valid key made the server read its body
    (50 MB, or 30 s of a stalled one before a 408) and was told how it parsed instead of 401."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        judges_key = needs_key(self.dependant)

        async def key_first(request: Request) -> Response:
            if judges_key:  # refused, its body unread: api.connections.CloseUnreadBody closes the connection
                await get_tenant(request, await bearer(request))
            return await handler(await self.received(request))

        return key_first

    async def received(self, request: Request) -> Request:
        """The request the route reads, once the key is judged: a subclass may read the body here."""
        return request


metrics_bearer = OneBearer(
    auto_error=False,
    scheme_name="MetricsToken",
    description="`Authorization: Bearer TOKEN`, the setting EVIDENCE_CHECK_METRICS_TOKEN",
)


async def check_metrics_access(
    request: Request,
    settings: SettingsDep,
    store: StoreDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(metrics_bearer)],
) -> None:
    """The metrics token when one is set; without one, only the loopback trial may read /metrics.

    Not a tenant's key: the figures are the whole server's, every tenant's requests and verdicts.
    """
    token = settings.metrics_token
    if token is not None:
        given = credentials.credentials.encode() if credentials is not None else b""
        if not hmac.compare_digest(given, token.get_secret_value().encode()):
            raise unauthorized("auth.metrics_token")
        return
    if not await anyio.to_thread.run_sync(in_trial, request, store, limiter=OPERATIONS_THREADS):
        raise unauthorized("auth.metrics_need_token")
