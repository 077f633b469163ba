"""What routes receive: settings, the store, the tenant of the caller's key, language and format.

A key belongs to one tenant, and everything a route does is scoped by that tenant. Until the first
key is created the server is a single user's trial: it answers only callers on loopback, as tenant
`default`, without keys (`evidence-check serve` also refuses to listen elsewhere then).
"""

from __future__ import annotations

import hmac
import ipaddress
from typing import Annotated, Literal

import anyio
import anyio.to_thread
from fastapi import Depends, Header, HTTPException, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.metrics import Metrics
from api.upload import UploadedForm, UploadLimits, read_multipart
from evidence_check.explain import LANGUAGES
from evidence_check.settings import Settings
from evidence_check.store import Store
from evidence_check.store.keys import any_key, tenant_for

TRIAL_TENANT = "default"
# Threads of their own for /healthz and /metrics: when every thread of the shared pool waits to
# analyse a claim, a busy server must still answer them rather than look dead and be restarted.
OPERATIONS_THREADS = anyio.CapacityLimiter(2)

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="`Authorization: Bearer KEY`, a key from `evidence-check keys create TENANT`",
)


# The dependencies that only read the request or the app are `async def`: FastAPI runs a plain
# `def` dependency in the thread pool, a hop to another thread and back (and a GIL hand-over) for
# each, five per verify request that way.
async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


async def get_metrics(request: Request) -> Metrics:
    metrics: Metrics = request.app.state.metrics
    return metrics


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[Store, Depends(get_store)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]


def is_loopback(host: str | None) -> bool:
    if host is None:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def unauthorized(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": "Bearer"})


def in_trial(request: Request, store: Store) -> bool:
    """True before the first key exists: then only callers on loopback are answered (401 others)."""
    state = request.app.state
    # Keys are never deleted (only revoked), so once one is seen the trial is over for good.
    if not state.keys_exist:
        state.keys_exist = any_key(store)
    if state.keys_exist:
        return False
    if not is_loopback(request.client.host if request.client else None):
        raise unauthorized(
            "this server has no API keys yet and answers only on loopback; "
            "create one with `evidence-check keys create TENANT`"
        )
    return True


def get_tenant(
    request: Request,
    store: StoreDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> str:
    """The tenant of a valid key (401 otherwise); `default` in the loopback trial before any key."""
    if in_trial(request, store):
        tenant = TRIAL_TENANT
    else:
        if credentials is None:
            raise unauthorized("missing API key: send Authorization: Bearer KEY")
        found = tenant_for(store, credentials.credentials)
        if found is None:
            raise unauthorized("invalid or revoked API key")
        tenant = found
    request.state.log = {**getattr(request.state, "log", {}), "tenant": tenant}
    return tenant


TenantDep = Annotated[str, Depends(get_tenant)]

metrics_bearer = HTTPBearer(
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
            raise unauthorized("metrics need Authorization: Bearer TOKEN (EVIDENCE_CHECK_METRICS_TOKEN)")
        return
    if not await anyio.to_thread.run_sync(in_trial, request, store, limiter=OPERATIONS_THREADS):
        raise unauthorized(
            "this server has API keys, so /metrics needs a token: set EVIDENCE_CHECK_METRICS_TOKEN "
            "and send it as Authorization: Bearer TOKEN"
        )


async def get_lang(
    settings: SettingsDep,
    accept_language: Annotated[
        str | None,
        Header(description="zh or en (e.g. `zh-CN,zh;q=0.9`): language of summaries, reasons and next steps"),
    ] = None,
) -> str:
    """The caller's most preferred language among those the reports are written in."""
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
    return min(ranked)[2] if ranked else settings.lang


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


async def get_upload_form(request: Request, settings: SettingsDep, _tenant: TenantDep) -> UploadedForm:
    """The multipart body, read as it streams (413 as soon as a limit is passed).

    Depends on the tenant so that a caller without a valid key is refused before any byte is read.
    """
    limits = UploadLimits(
        max_file_bytes=settings.max_file_bytes,
        max_request_bytes=settings.max_request_bytes,
        max_files=settings.max_photos,
    )
    return await read_multipart(
        request.headers.get("content-type"), request.headers.get("content-length"), request.stream(), limits
    )


UploadFormDep = Annotated[UploadedForm, Depends(get_upload_form)]


def one_library_thread_here() -> None:
    """Make FAISS single-threaded in the calling thread; call it in the thread that analyses.

    OpenMP keeps its thread count per thread: `faiss.omp_set_num_threads(1)` at start-up holds only
    for the main thread, and a request's pool thread got OpenMP's default of one thread per core.
    Its helper spun after every search: 12 MP photos cost 164 instead of 118 ms of CPU when
    analysed on a thread other than the main one (the same claim code, one process, 20 photos).
    """
    import faiss

    faiss.omp_set_num_threads(1)
