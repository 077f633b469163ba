"""`GET /healthz` (ready when the store answers) and `GET /metrics` (Prometheus text)."""

from __future__ import annotations

import anyio
import anyio.to_thread
from fastapi import APIRouter, Depends, HTTPException, Response
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from api.deps import OPERATIONS_THREADS, MetricsDep, StoreDep, check_metrics_access
from api.routes.rendering import problem
from api.schemas import Health
from evidence_check.store import Store

router = APIRouter(tags=["operations"])


@router.get(
    "/healthz",
    response_model=Health,
    response_model_by_alias=True,
    summary="Ready: the store answers",
    responses={
        200: {
            "description": "Ready",
            "content": {
                "application/json": {
                    "example": {"status": "ok", "schema": "evidence-check.report/1", "database": "postgresql"}
                }
            },
        },
        503: problem("The store does not answer", "the store does not answer"),
    },
)
async def healthz(store: StoreDep) -> Health:
    try:
        await anyio.to_thread.run_sync(_ping, store, limiter=OPERATIONS_THREADS)
    except SQLAlchemyError:
        raise HTTPException(503, "the store does not answer") from None
    return Health(status="ok", database=store.engine.dialect.name)


def _ping(store: Store) -> None:
    with store.engine.connect() as connection:
        connection.execute(text("SELECT 1"))


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
