"""`GET /healthz` (ready when the store answers) and `GET /metrics` (Prometheus text)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Response
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from api.deps import MetricsDep, StoreDep
from api.schemas import Health, Problem

router = APIRouter(tags=["operations"])


@router.get(
    "/healthz",
    response_model=Health,
    response_model_by_alias=True,
    summary="Ready: the store answers",
    responses={503: {"model": Problem, "description": "The store does not answer"}},
)
def healthz(store: StoreDep) -> Health:
    try:
        with store.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError:
        raise HTTPException(503, "the store does not answer") from None
    return Health(status="ok", database=store.engine.dialect.name)


@router.get(
    "/metrics",
    summary="Prometheus metrics of this process",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
def metrics(metrics: MetricsDep) -> Response:
    return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)
