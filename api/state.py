"""What the app holds for every request: settings, the store, the metrics (set by create_app)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from api.metrics import Metrics
from evidence_check.settings import Settings
from evidence_check.store import Store


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
