"""The FastAPI application: `create_app(settings)` builds it; `evidence-check serve` runs it.

Long-lived things are made once here and reach routes through `api.deps`: the settings, the store
(one connection pool per process; PostgreSQL is shared by several processes), the metrics, and the
gate that bounds how many claims are analysed at once. Errors become `{"detail": "one line"}`, the
line in the language the request asks for (evidence_check.errors).
"""

from __future__ import annotations

import ctypes
import logging
import os
import sys
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import NoReturn

from fastapi import Depends, FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_redoc_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi_offline import FastAPIOffline
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.types import Lifespan

from api.addresses import KeepEncodedSlashes
from api.connections import BodyIdleTimeout, CloseUnreadBody, body_min_rate, body_timeout
from api.last_resort import AnswerUnexpected
from api.metrics import Metrics
from api.negotiation import request_language
from api.observe import LOG_LEVEL_VARIABLE, RequestObserver, log_requests
from api.private_answers import NOT_STORED, PrivateAnswers
from api.query import only_declared_query
from api.refusals import Refused
from api.routes import (
    API_PREFIX,
    catalog,
    catalog_import,
    catalog_read,
    claims,
    decisions,
    health,
    pictures,
    references,
    verify,
    webhook,
)
from api.served_under import PrefixTaken, ServedUnder, refuse_own_address
from api.upload import UPLOADS_IN_FLIGHT, UploadInvalid, UploadNoRoom, UploadSlots, UploadTooLarge
from api.verifying import describe
from api.web import install as install_console
from evidence_check import __version__
from evidence_check.errors import error_text
from evidence_check.intake import IntakeError
from evidence_check.settings import Settings, SettingsInvalid, environment_settings, setting_variable
from evidence_check.storable import shown
from evidence_check.store import RequestConflict, Store, StoreError
from evidence_check.webhooks import Deliverer

log = logging.getLogger("evidence_check.api")
CLIENT_CLOSED_REQUEST = 499

DESCRIPTION = """Verifies the photos customers send as evidence for refund claims.

Send a claim's photos with `POST /v1/verify`; read a claim's latest report with
`GET /v1/claims/{claim_id}`. Every request but `/healthz` and `/metrics` needs
`Authorization: Bearer KEY` (`evidence-check keys create TENANT`); a tenant never sees, nor is
matched against, another tenant's claims or photos. Errors are `{"detail": "one line"}`, the line
in the language `Accept-Language` asks for (`zh` or `en`), as the report's sentences.
"""


def create_app(
    settings: Settings,
    store: Store | None = None,
    *,
    body_idle_seconds: float | None = None,
    body_min_bytes_per_second: float | None = None,
) -> FastAPI:
    """The app on `store`, or on a store opened at `settings.db` (closed when the app shuts down).

    `body_idle_seconds`: the longest pause allowed within a request's body; `body_min_bytes_per_second`:
    the slowest average past the body's first `body_idle_seconds` (0: none). Default:
    what `serve` was told, else BODY_IDLE_SECONDS and BODY_MIN_BYTES_PER_SECOND (see api.connections).
    A `settings.root_path` that one of the app's own addresses begins raises `PrefixTaken`, saying so in one
    line: served under it, the app would not find its own pages (api.served_under.refuse_own_address).
    """
    owned = store is None

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        deliverer = Deliverer(
            opened,
            settings.webhook_interval_seconds,
            private_allowed=settings.webhook_private_addresses,
            proxy=settings.webhook_proxy,
        )
        if settings.webhook_interval_seconds > 0:
            deliverer.start()
        yield
        if settings.webhook_interval_seconds > 0:
            deliverer.stop()
        if owned:
            opened.close()

    app = routed_app(lifespan)
    if settings.root_path:
        refuse_own_address(app.routes, settings.root_path)  # before the store is opened: nothing to close
    opened = store if store is not None else Store(settings.db)
    app.state.settings = settings
    app.state.store = opened
    app.state.metrics = Metrics()
    app.state.gate = threading.BoundedSemaphore(settings.api_max_parallel or analyses_per_process(1))
    app.state.uploads = UploadSlots(UPLOADS_IN_FLIGHT, settings.uploads_per_tenant)
    app.state.keys_exist = False
    # A route's failure is answered innermost, inside the middleware that marks its answer; a failure
    # of that middleware's own by the second `AnswerUnexpected`, inside `RequestObserver`, which gives
    # every answer its x-request-id.
    app.add_middleware(AnswerUnexpected, answer=internal_error_answer)
    app.add_middleware(PrivateAnswers)
    app.add_middleware(KeepEncodedSlashes)
    app.add_middleware(
        BodyIdleTimeout,
        seconds=body_idle_seconds or body_timeout(),
        min_rate=body_min_rate() if body_min_bytes_per_second is None else body_min_bytes_per_second,
    )
    app.add_middleware(CloseUnreadBody)
    app.add_middleware(AnswerUnexpected, answer=internal_error_answer)
    app.add_middleware(RequestObserver, metrics=app.state.metrics)
    if settings.root_path:
        app.add_middleware(ServedUnder, root_path=settings.root_path)
    _add_error_handlers(app)
    return app


DOCS_ASSETS = "/docs-assets"


def routed_app(lifespan: Lifespan[FastAPI] | None = None) -> FastAPI:
    """The app's routes, pages and docs, without its state and middleware: what `create_app` serves,
    and what `serve` reads the app's own addresses from before it opens the store or starts a worker
    (a prefix one of them begins is refused: api.served_under.refuse_own_address)."""
    # /docs and /redoc with Swagger UI's and ReDoc's files served by the app itself, not a CDN: the
    # pages work on air-gapped machines.
    app = FastAPIOffline(
        static_url=DOCS_ASSETS,
        redoc_url=None,  # served below, with its images kept to this server
        title="evidence-check",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_tags=[
            {"name": "claims", "description": "Verify a claim's photos; read its report"},
            {
                "name": "references",
                "description": "Stock, review and catalog pictures to compare photos with",
            },
            {"name": "webhooks", "description": "Where the tenant's intake system hears of its claims, and the log of what was sent"},
            {"name": "operations", "description": "Readiness and metrics"},
        ],
    )
    @app.get("/redoc", include_in_schema=False)
    async def redoc_page(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        page = get_redoc_html(
            openapi_url=f"{root}{app.openapi_url}",
            title="evidence-check - ReDoc",
            redoc_js_url=f"{root}{DOCS_ASSETS}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{DOCS_ASSETS}/favicon.png",
            with_google_fonts=False,
        )
        # ReDoc's bundle draws its footer's logo from cdn.redoc.ly, whatever its options: opening the
        # docs would tell that site, and an air-gapped browser would wait on it.
        page.headers["Content-Security-Policy"] = "img-src 'self' data:"
        return page

    for v1 in (verify, decisions, claims, references, catalog_import, catalog, pictures, catalog_read, webhook):
        app.include_router(v1.router, prefix=API_PREFIX, dependencies=[Depends(only_declared_query)])
    app.include_router(health.router)
    install_console(app)  # the agents' pages at / (api/web)
    return app


async def internal_error(request: Request, exc: Exception) -> Response:
    # The reason goes to the log, not to the client; the x-request-id header links the two. Starlette's
    # outermost layer calls this for every exception no other handler took, answered inside or not: the
    # one line of each.
    log.error("internal error on %s %s: %s", request.method, shown(request.url.path), type(exc).__name__)
    return internal_error_answer(request)


def internal_error_answer(request: Request) -> Response:
    # no-store of its own: a failure of `PrivateAnswers` or outside it, or on a console page, is not
    # marked by `PrivateAnswers`.
    answer = _problem(500, error_text("server.internal", {}, request_language(request)))
    answer.headers.update(NOT_STORED)
    return answer


def _problem(status: int, detail: str, *, retry_after: int | None = None) -> JSONResponse:
    headers = {}
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)


# Starlette's and FastAPI's own answers (a path or a method the app does not have, a JSON body it
# cannot read), worded as the others are.
STARLETTE_DETAILS = {
    "Not Found": "http.not_found",
    "Method Not Allowed": "http.method_not_allowed",
    "There was an error parsing the body": "http.unreadable_body",
    "Too many fields. Maximum number of fields is 1000.": "http.too_many_fields",
    "Too many files. Maximum number of files is 1000.": "http.too_many_files",
}


def _add_error_handlers(app: FastAPI) -> None:
    # Every line in the language the request asks for (Accept-Language), as the report's sentences.
    @app.exception_handler(IntakeError)
    async def intake_error(request: Request, exc: IntakeError) -> JSONResponse:
        return _problem(422, exc.text(request_language(request)))

    @app.exception_handler(UploadInvalid)
    async def upload_invalid(request: Request, exc: UploadInvalid) -> JSONResponse:
        return _problem(422, exc.text(request_language(request)))

    @app.exception_handler(UploadTooLarge)
    async def upload_too_large(request: Request, exc: UploadTooLarge) -> JSONResponse:
        # The rest of the body is never read: CloseUnreadBody closes the connection after the answer.
        return _problem(413, exc.text(request_language(request)))

    @app.exception_handler(UploadNoRoom)
    async def upload_no_room(request: Request, exc: UploadNoRoom) -> JSONResponse:
        log.warning("upload refused: %s", exc)
        return _problem(503, exc.text(request_language(request)), retry_after=5)

    @app.exception_handler(RequestConflict)
    async def idempotency_conflict(request: Request, _exc: RequestConflict) -> JSONResponse:
        return _problem(409, error_text("request.idempotency_conflict", {}, request_language(request)))

    @app.exception_handler(ClientDisconnect)
    async def client_abort(request: Request, _exc: ClientDisconnect) -> JSONResponse:
        # The client left before its request was read whole: nothing to answer, and not a failure
        # of ours. 499 (nginx's "client closed request") is what the request line and metrics say.
        # The path arrives percent-decoded: a client's %1b would drive the terminal `serve` logs to.
        log.info("client left during %s %s", request.method, shown(request.url.path))
        return _problem(CLIENT_CLOSED_REQUEST, error_text("client.closed", {}))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        code, params = describe(exc.errors(), body=exc.body)
        return _problem(422, error_text(code, params, request_language(request)))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if isinstance(exc, Refused):
            detail = exc.text(request_language(request))
        elif isinstance(exc.detail, str) and exc.detail in STARLETTE_DETAILS:
            detail = error_text(STARLETTE_DETAILS[exc.detail], {}, request_language(request))
        else:
            return await http_exception_handler(request, exc)
        return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=exc.headers)

    # Answered by `AnswerUnexpected` inside the middleware (a failure of `RequestObserver`'s own is
    # answered here); logged here, where `AnswerUnexpected` raises it again.
    app.add_exception_handler(Exception, internal_error)

    @app.exception_handler(StoreError)
    async def store_error(request: Request, exc: StoreError) -> JSONResponse:
        log.error("store error: %s", exc)
        return _problem(503, error_text("store.unavailable", {}, request_language(request)))


def app_from_environment() -> FastAPI:
    """The app of one worker process of `evidence-check serve --workers N`, and uvicorn's factory
    (`uvicorn --factory api.app:app_from_environment`): settings from the environment, which `serve`
    has filled in and checked before starting the workers. Run by uvicorn itself, a setting it
    refuses (a `ROOT_PATH` the app's own addresses take) or a store it cannot open is one line on
    stderr and exit status 2 or 1, as `serve` says them, not a traceback."""
    try:
        settings = environment_settings()
    except SettingsInvalid as exc:
        _exit_saying(str(exc), 2)
    log_requests(os.environ.get(LOG_LEVEL_VARIABLE, "info"))
    limit_malloc_arenas()
    one_thread_per_request()
    try:
        return create_app(settings)
    except PrefixTaken as exc:  # refused before the store is opened
        _exit_saying(f"bad setting {setting_variable('root_path')}: {exc}", 2)
    except StoreError as exc:
        _exit_saying(str(exc), 1)


def _exit_saying(line: str, status: int) -> NoReturn:
    sys.stderr.write(f"evidence-check: {line}\n")
    raise SystemExit(status)


def analyses_per_process(workers: int) -> int:
    """Claims one of `workers` processes analyses at once when the setting leaves it open: two per
    core in all. One per core leaves cores idle (a claim waits at times: for its process's event
    loop to let go of the GIL, for the store's commit); four per core only share them, each photo's
    buffers evicting the other's from the cache (docs/measurements/api-history.md)."""
    try:
        cores = len(os.sched_getaffinity(0))  # the cores this process may use (containers, taskset)
    except AttributeError:
        cores = os.cpu_count() or 1
    return max(1, 2 * cores // workers)


def one_thread_per_request() -> None:
    """A server gets its parallelism from concurrent requests; OpenCV's and FAISS's own thread
    pools then only compete with them for the same cores, spinning while they wait
    (docs/measurements/api-history.md)."""
    import cv2
    import faiss

    cv2.setNumThreads(1)  # for the whole process (OpenCV's pthreads pool)
    faiss.omp_set_num_threads(1)  # for this thread only: see api.threads.one_library_thread_here


MALLOC_ARENAS = 2
# Buffers this large or larger get pages of their own, returned to the system when freed.
MMAP_THRESHOLD = 1024 * 1024
_M_ARENA_MAX = -8  # glibc's mallopt parameter numbers
_M_MMAP_THRESHOLD = -3


def limit_malloc_arenas() -> None:
    """Keep the server's memory flat under load (glibc only; elsewhere nothing happens).

    glibc gives each thread of the pool its own malloc arena, and each keeps the freed buffers of
    the photos it handled, so memory grows with the clients and stays there; two arenas hold it
    flat at the same throughput.

    A fixed mmap threshold: glibc otherwise raises it to the size of each large buffer freed (up to
    32 MB), after which the decoded images (36 MB for 12 MP RGB) and their copies come from the
    arenas, fragment them and stay resident. With it, large buffers go back to the system when
    freed, for a little more CPU per photo in page faults (docs/measurements/api-history.md).
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(_M_ARENA_MAX, MALLOC_ARENAS)
        libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
    except (OSError, AttributeError):
        pass
