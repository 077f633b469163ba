"""`evidence-check serve`: the HTTP API (see api/), on one process; run several against PostgreSQL.

Until a key exists it is a single user's trial: it listens on loopback only and needs no key.
SIGTERM or Ctrl-C stops accepting connections and lets requests in flight finish (up to
GRACE_SECONDS) before the process exits.
"""

from __future__ import annotations

import logging
import sys
from typing import Annotated

import typer

from evidence_check.cli.app import app, fail, load_settings, open_store
from evidence_check.store.keys import any_key

GRACE_SECONDS = 30


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    db: Annotated[str | None, typer.Option(help="store URL (default: the setting EVIDENCE_CHECK_DB)")] = None,
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error")] = "info",
) -> None:
    """Serve the HTTP API; OpenAPI description at /docs."""
    # Imported here: the command line must not pay for the web stack when it only verifies.
    import uvicorn

    from api.app import create_app
    from api.deps import is_loopback

    if log_level not in ("debug", "info", "warning", "error"):
        fail(f"--log-level: {log_level!r} is not one of debug, info, warning, error", 2)
    settings = load_settings()
    if db:
        settings = settings.model_copy(update={"db": db})
    store = open_store(settings.db)
    if not any_key(store) and not is_loopback(host):
        store.close()
        fail(
            f"no API key exists yet, so the server listens on loopback only, not {host}: "
            "create one with `evidence-check keys create TENANT` first",
            2,
        )
    _log_json_lines(log_level)
    try:
        uvicorn.run(
            create_app(settings, store),
            host=host,
            port=port,
            access_log=False,  # api.observe writes one structured line per request instead
            log_level=log_level,
            timeout_graceful_shutdown=GRACE_SECONDS,
            server_header=False,
        )
    finally:
        store.close()


def _log_json_lines(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    requests = logging.getLogger("evidence_check.api.requests")
    requests.addHandler(handler)
    requests.setLevel(level.upper())
    requests.propagate = False
