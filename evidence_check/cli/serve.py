"""`evidence-check serve`: the HTTP API (see api/), in one process or `--workers N`; several servers
may share one PostgreSQL store.

Until a key exists it is a single user's trial: it listens on loopback only and needs no key.
SIGTERM or Ctrl-C stops accepting connections and lets requests in flight finish (up to
GRACE_SECONDS) before the process exits.

What a connection may hold (see api.connections): headers of at most 16 KB that arrive within
`--header-timeout` seconds, bodies that never pause longer than `--body-timeout` and, past their
first `--body-timeout` seconds, come at `--body-min-rate` bytes a second on average, at most 64
connections and requests per process (503 beyond), 16 uploads read at once per process.
"""

from __future__ import annotations

import errno
import os
import shutil
import socket
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from evidence_check.cli.app import DbOption, app, fail, load_settings, open_store
from evidence_check.settings import checked_root_path, setting_variable
from evidence_check.store import StoreError
from evidence_check.store.keys import any_key

if TYPE_CHECKING:
    from fastapi import FastAPI

GRACE_SECONDS = 30
METRICS_FOLDER_PREFIX = "evidence-check-metrics-pid"


def fast_protocols() -> dict[str, str]:
    """uvicorn's C HTTP parser and event loop where they are installed (not on Windows, nor on
    interpreters they are not built for): each upload of several MB passes through the event loop,
    and with the pure-Python h11 parser and asyncio's loop that took 11.3 ms of CPU per 1.6 MB
    photo instead of 8.8 ms (scripts/load_api.py --overhead, same run, in turn). Either parser runs
    with the header guard of api.connections."""
    chosen = {"http": "api.connections:GuardedH11Protocol"}
    for option, module, name in (
        ("http", "httptools", "api.connections_httptools:GuardedHttpToolsProtocol"),
        ("loop", "uvloop", "uvloop"),
    ):
        try:
            __import__(module)
        except ImportError:
            continue
        chosen[option] = name
    return chosen


def new_metrics_folder() -> str:
    """A folder for the worker processes' metrics, named by this process's id; the folders of servers
    that are gone (killed with -9, so their own clean-up never ran) are removed first."""
    temporary = Path(tempfile.gettempdir())
    for folder in temporary.glob(f"{METRICS_FOLDER_PREFIX}*"):
        owner = folder.name.removeprefix(METRICS_FOLDER_PREFIX).split("-", 1)[0]
        if folder.is_dir() and folder.stat().st_uid == os.getuid() and not _alive(owner):
            shutil.rmtree(folder, ignore_errors=True)
    return tempfile.mkdtemp(prefix=f"{METRICS_FOLDER_PREFIX}{os.getpid()}-")


def _alive(pid: str) -> bool:
    """Whether process `pid` exists; a name without a pid is kept (not ours to judge)."""
    if not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


def refuse_unusable_address(host: str, port: int) -> None:
    """uvicorn, unable to listen, writes a traceback-like log after starting the app and exits 1:
    a port already taken (another server, the last one still stopping) or an address that is not
    this machine's is said first, in one line. Bound with SO_REUSEADDR as uvicorn binds, so a port
    whose last connections are in TIME_WAIT is not taken for busy."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except (socket.gaierror, UnicodeError) as error:
        fail(f"--host: {host!r} is not an address of this machine ({error})", 2)
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                fail(f"--port: {host}:{port} is already in use: stop what listens there or choose another port", 2)
            fail(f"--host: cannot listen on {host}:{port} ({error.strerror or error})", 2)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    db: DbOption = None,
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error")] = "info",
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="processes; analysis is CPU-bound, so about one per core")
    ] = 1,
    header_timeout: Annotated[
        float | None,
        typer.Option(min=0.1, max=600, help="seconds a request's headers may take to arrive [default: 10]"),
    ] = None,
    body_timeout: Annotated[
        float | None,
        typer.Option(
            min=0.1, max=3600, help="longest pause, in seconds, within a request's body [default: 30]"
        ),
    ] = None,
    body_min_rate: Annotated[
        float | None,
        typer.Option(
            min=0,
            max=1024 * 1024,
            help="slowest average, in bytes a second, of a body past its first --body-timeout seconds; "
            "0: none [default: 2048]",
        ),
    ] = None,
    root_path: Annotated[
        str | None,
        typer.Option(
            help="path prefix a reverse proxy serves the app under, as /evidence (stripped or not); "
            "every link, redirect and cookie carries it [default: ROOT_PATH, else none]"
        ),
    ] = None,
) -> None:
    """Serve the HTTP API; OpenAPI description at /docs."""
    # Imported here: the command line must not pay for the web stack when it only verifies.
    import uvicorn

    from api.app import (
        analyses_per_process,
        create_app,
        limit_malloc_arenas,
        one_thread_per_request,
        routed_app,
    )
    from api.connections import (
        BODY_IDLE_SECONDS,
        BODY_MIN_BYTES_PER_SECOND,
        BODY_MIN_RATE_VARIABLE,
        BODY_TIMEOUT_VARIABLE,
        HEADER_TIMEOUT_SECONDS,
        HEADER_TIMEOUT_VARIABLE,
        MAX_CONNECTIONS,
        MAX_HEADER_BYTES,
    )
    from api.deps import is_loopback
    from api.observe import LOG_LEVEL_VARIABLE, log_requests
    from api.served_under import PrefixTaken, refuse_own_address

    if log_level not in ("debug", "info", "warning", "error"):
        fail(f"--log-level: {log_level!r} is not one of debug, info, warning, error", 2)
    settings = load_settings()
    if db:
        settings = settings.model_copy(update={"db": db})
    if root_path is not None:
        try:
            settings = settings.model_copy(update={"root_path": checked_root_path(root_path)})
        except ValueError as exc:
            fail(f"--root-path: {exc}", 2)
    if settings.api_max_parallel is None:
        settings = settings.model_copy(update={"api_max_parallel": analyses_per_process(workers)})
    header_timeout = header_timeout or HEADER_TIMEOUT_SECONDS
    body_timeout = body_timeout or BODY_IDLE_SECONDS
    body_min_rate = BODY_MIN_BYTES_PER_SECOND if body_min_rate is None else body_min_rate
    served: FastAPI | None = None
    try:
        if workers == 1:
            # The app served, built once: `create_app` refuses a taken prefix before it opens the store.
            served = create_app(settings, body_idle_seconds=body_timeout, body_min_bytes_per_second=body_min_rate)
        elif settings.root_path:
            # Here, not in each worker's `create_app`: a worker that raised would die, and uvicorn
            # start another, after the port was already open.
            refuse_own_address(routed_app().routes, settings.root_path)
    except PrefixTaken as exc:
        fail(f"{'--root-path' if root_path is not None else 'bad setting ' + setting_variable('root_path')}: {exc}", 2)
    except StoreError as exc:
        fail(str(exc))
    store = served.state.store if served is not None else open_store(settings.db)
    if not any_key(store) and not is_loopback(host):
        store.close()
        fail(
            f"no API key exists yet, so the server listens on loopback only, not {host}: "
            "create one with `evidence-check keys create TENANT` first",
            2,
        )
    try:
        refuse_unusable_address(host, port)
    except typer.Exit:
        store.close()
        raise
    log_requests(log_level)
    limit_malloc_arenas()
    one_thread_per_request()
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "access_log": False,  # api.observe writes one structured line per request instead
        "log_level": log_level,
        "timeout_graceful_shutdown": GRACE_SECONDS,
        "server_header": False,
        "limit_concurrency": MAX_CONNECTIONS,
        "h11_max_incomplete_event_size": MAX_HEADER_BYTES,
        **fast_protocols(),
    }
    # Read by the protocol of each connection (api.connections) and by each worker's app.
    os.environ[HEADER_TIMEOUT_VARIABLE] = str(header_timeout)
    os.environ[BODY_TIMEOUT_VARIABLE] = str(body_timeout)
    os.environ[BODY_MIN_RATE_VARIABLE] = str(body_min_rate)
    if served is not None:
        try:
            uvicorn.run(served, **options)
        finally:
            store.close()
        return
    # Several processes: the GIL keeps one process near one core, while the analysis could use all.
    # Workers are new interpreters: they read the settings (and the store's URL) from the environment,
    # and write their metrics to one shared folder.
    store.close()
    metrics_folder = new_metrics_folder()
    os.environ["EVIDENCE_CHECK_DB"] = settings.db
    os.environ["EVIDENCE_CHECK_API_MAX_PARALLEL"] = str(settings.api_max_parallel)
    os.environ["EVIDENCE_CHECK_ROOT_PATH"] = settings.root_path
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_folder
    os.environ[LOG_LEVEL_VARIABLE] = log_level
    try:
        uvicorn.run("api.app:app_from_environment", factory=True, workers=workers, **options)
    finally:
        shutil.rmtree(metrics_folder, ignore_errors=True)
