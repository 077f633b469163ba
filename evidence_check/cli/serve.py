"""`evidence-check serve`: the HTTP API (see api/), in one process or `--workers N`; several servers
may share one PostgreSQL store.

Until a key exists it is a single user's trial: it listens on loopback only and needs no key.
SIGTERM or Ctrl-C stops accepting connections and lets requests in flight finish (up to
GRACE_SECONDS) before the process exits.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from typing import Annotated, Any

import typer

from evidence_check.cli.app import app, fail, load_settings, open_store
from evidence_check.store.keys import any_key

GRACE_SECONDS = 30


def fast_protocols() -> dict[str, str]:
    """uvicorn's C HTTP parser and event loop where they are installed (not on Windows, nor on
    interpreters they are not built for): each upload of several MB passes through the event loop,
    and with the pure-Python h11 parser and asyncio's loop that took 11.3 ms of CPU per 1.6 MB
    photo instead of 8.8 ms (scripts/load_api.py --overhead, same run, in turn)."""
    chosen = {}
    for option, module, name in (("http", "httptools", "httptools"), ("loop", "uvloop", "uvloop")):
        try:
            __import__(module)
        except ImportError:
            continue
        chosen[option] = name
    return chosen


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    db: Annotated[str | None, typer.Option(help="store URL (default: the setting EVIDENCE_CHECK_DB)")] = None,
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error")] = "info",
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="processes; analysis is CPU-bound, so about one per core")
    ] = 1,
) -> None:
    """Serve the HTTP API; OpenAPI description at /docs."""
    # Imported here: the command line must not pay for the web stack when it only verifies.
    import uvicorn

    from api.app import analyses_per_process, create_app, limit_malloc_arenas, one_thread_per_request
    from api.deps import is_loopback
    from api.observe import LOG_LEVEL_VARIABLE, log_requests

    if log_level not in ("debug", "info", "warning", "error"):
        fail(f"--log-level: {log_level!r} is not one of debug, info, warning, error", 2)
    settings = load_settings()
    if db:
        settings = settings.model_copy(update={"db": db})
    if settings.api_max_parallel is None:
        settings = settings.model_copy(update={"api_max_parallel": analyses_per_process(workers)})
    store = open_store(settings.db)
    if not any_key(store) and not is_loopback(host):
        store.close()
        fail(
            f"no API key exists yet, so the server listens on loopback only, not {host}: "
            "create one with `evidence-check keys create TENANT` first",
            2,
        )
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
        **fast_protocols(),
    }
    if workers == 1:
        try:
            uvicorn.run(create_app(settings, store), **options)
        finally:
            store.close()
        return
    # Several processes: the GIL keeps one process near one core, while the analysis could use all.
    # Workers are new interpreters: they read the settings (and the store's URL) from the environment,
    # and write their metrics to one shared folder.
    store.close()
    metrics_folder = tempfile.mkdtemp(prefix="evidence-check-metrics-")
    os.environ["EVIDENCE_CHECK_DB"] = settings.db
    os.environ["EVIDENCE_CHECK_API_MAX_PARALLEL"] = str(settings.api_max_parallel)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_folder
    os.environ[LOG_LEVEL_VARIABLE] = log_level
    try:
        uvicorn.run("api.app:app_from_environment", factory=True, workers=workers, **options)
    finally:
        shutil.rmtree(metrics_folder, ignore_errors=True)
