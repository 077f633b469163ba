"""`GET` and `HEAD /healthz` (ready when the store answers and can write) and `GET /metrics` (Prometheus text).

Ready means a claim could be received and recorded now: the store answers `SELECT 1`, and it can
write. For SQLite, the database's folder is writable and its disk has MIN_FREE_BYTES free (a full
disk let `SELECT 1` through while every claim was refused with 503); so has the folder where
uploads are spooled. For PostgreSQL, the server is neither a standby in recovery nor read-only;
its own disk is the database server's monitoring's to watch, not visible from here.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
from fastapi import APIRouter, Depends, HTTPException, Response
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from api.deps import OPERATIONS_THREADS, MetricsDep, StoreDep, check_metrics_access
from api.refusals import Refused
from api.routes.rendering import problem
from api.schemas import Health
from evidence_check.store import Store
from evidence_check.store.sqlite_file import opened_read_only

router = APIRouter(tags=["operations"])


HEALTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Ready",
        "content": {
            "application/json": {
                "example": {"status": "ok", "schema": "evidence-check.report/1", "database": "postgresql"}
            }
        },
    },
    503: problem("The store does not answer, or cannot write", "the store does not answer"),
}


@router.get(
    "/healthz",
    response_model=Health,
    response_model_by_alias=True,
    summary="Ready: the store answers",
    responses=HEALTH_RESPONSES,
)
async def healthz(store: StoreDep) -> Health:
    try:
        await anyio.to_thread.run_sync(_ping, store, limiter=OPERATIONS_THREADS)
    except SQLAlchemyError:
        raise Refused(503, "store.no_answer") from None
    problem = await anyio.to_thread.run_sync(cannot_write, store, limiter=OPERATIONS_THREADS)
    if problem is not None:
        raise HTTPException(503, problem)
    return Health(status="ok", database=store.engine.dialect.name)


# HEAD too: load balancers' and orchestrators' probes often ask without wanting the body. A route of
# its own, as one route for both methods gave both the same operationId, which the OpenAPI
# description must not repeat (client generators refuse it or merge the two).
router.add_api_route(
    "/healthz",
    healthz,
    methods=["HEAD"],
    operation_id="healthz_head",
    response_model=Health,
    response_model_by_alias=True,
    summary="Ready: the store answers (no body)",
    responses=HEALTH_RESPONSES,
)


MIN_FREE_BYTES = 32 * 1024 * 1024  # room for a burst of claims (reports, fingerprints, WAL)


def _ping(store: Store) -> None:
    with store.engine.connect() as connection:
        connection.execute(text("SELECT 1"))


def cannot_write(store: Store) -> str | None:
    """Why the store (or the upload spool) cannot take a claim now, or None when it can."""
    if store.engine.dialect.name == "postgresql":
        try:
            with store.engine.connect() as connection:
                standby, read_only = connection.execute(
                    text("SELECT pg_is_in_recovery(), current_setting('transaction_read_only')")
                ).one()
        except SQLAlchemyError:
            return "the store does not answer"
        if standby or read_only == "on":
            return "the store is read-only (a standby, or transactions are read-only)"
    if store.file is not None:
        if opened_read_only(store.engine.url):
            return "the store is opened read-only (its URL says mode=ro or immutable)"
        folder = store.file.parent
        if not os.access(folder, os.W_OK) or not os.access(store.file, os.W_OK):
            return f"the store's file or folder is not writable ({folder})"
        if (problem := _short_of_room(folder, "the store")) is not None:
            return problem
    return _short_of_room(Path(tempfile.gettempdir()), "the upload spool")


def _short_of_room(folder: Path, what: str) -> str | None:
    try:
        free = shutil.disk_usage(folder).free
    except OSError as exc:
        return f"{what}'s disk cannot be read ({exc.strerror})"
    if free < MIN_FREE_BYTES:
        return f"{what}'s disk is full ({free // (1024 * 1024)} MB free, {MIN_FREE_BYTES // (1024 * 1024)} MB needed)"
    return None


@router.get(
    "/metrics",
    summary="Prometheus metrics of this server (every worker process of it)",
    response_class=Response,
    dependencies=[Depends(check_metrics_access)],
    responses={
        200: {
            "description": "The Prometheus text format",
            "content": {
                "text/plain": {
                    "schema": {"type": "string"},
                    "example": 'evidence_check_http_requests_total{method="POST",route="/v1/verify",status="200"} 42.0\n',
                }
            },
        },
        401: problem(
            "No or a wrong metrics token (required once API keys exist)",
            "metrics need Authorization: Bearer TOKEN (EVIDENCE_CHECK_METRICS_TOKEN)",
        ),
    },
)
async def metrics(metrics: MetricsDep) -> Response:
    return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)
