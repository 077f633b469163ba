"""`GET /healthz` (ready when the store answers) and `GET /metrics` (Prometheus text)."""

from __future__ import annotations

import anyio
import anyio.to_thread
from fastapi import APIRouter, HTTPException, Response
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from api.deps import MetricsDep, StoreDep
from api.schemas import Health, Problem
from evidence_check.store import Store

router = APIRouter(tags=["operations"])
_HEALTH_THREADS = anyio.CapacityLimiter(2)


@router.get(
    "/healthz",
    response_model=Health,
    response_model_by_alias=True,
    summary="Ready: the store answers",
    responses={503: {"model": Problem, "description": "The store does not answer"}},
)
async def healthz(store: StoreDep) -> Health:
    # Threads of its own: when every thread of the shared pool waits to analyse a claim, a busy
    # server must still answer its health check rather than look dead and be restarted.
    try:
        await anyio.to_thread.run_sync(_ping, store, limiter=_HEALTH_THREADS)
    except SQLAlchemyError:
        raise HTTPException(503, "the store does not answer") from None
    return Health(status="ok", database=store.engine.dialect.name)


def _ping(store: Store) -> None:
    with store.engine.connect() as connection:
        connection.execute(text("SELECT 1"))


@router.get(
    "/metrics",
    summary="Prometheus metrics of this process",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
async def metrics(metrics: MetricsDep) -> Response:
    return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)
