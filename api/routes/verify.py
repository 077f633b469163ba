"""`POST /v1/verify`: one claim's photos in, its confidence report out."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request, Response

from api.deps import (
    HtmlDep,
    KeyFirstRoute,
    LangDep,
    MetricsDep,
    SettingsDep,
    StoreDep,
    TenantDep,
    UploadFormDep,
)
from api.routes.openapi import VERIFY_BODY, VERIFY_RESPONSES
from api.routes.rendering import report_response
from api.schemas import Report
from api.verifying import answer, idempotency_key_header, parse_verify
from evidence_check.engine import now_utc

router = APIRouter(tags=["claims"], route_class=KeyFirstRoute)


@router.post(
    "/verify",
    response_model=Report,
    response_model_by_alias=True,
    summary="Verify the photos of one claim",
    openapi_extra=VERIFY_BODY,
    responses=VERIFY_RESPONSES,
)
def verify(
    request: Request,
    response: Response,
    form: UploadFormDep,
    tenant: TenantDep,
    settings: SettingsDep,
    store: StoreDep,
    metrics: MetricsDep,
    lang: LangDep,
    html: HtmlDep,
    idempotency_key: Annotated[
        str | None,
        idempotency_key_header(
            "A retry with the same key and request returns the first report and records nothing"
            " again; the key with other photos or fields is 409"
        ),
    ] = None,
) -> Any:
    """Runs the five checks on every photo, scores the claim and, unless `record=false`, remembers
    the photos for later reuse checks. The same claim id with the same photos and fields (or the same
    `Idempotency-Key` with the same photos and fields) returns the stored report and records nothing
    twice; an `Idempotency-Key` sent again with anything changed is 409."""
    now = now_utc()
    parsed = parse_verify(
        form, tenant=tenant, lang=lang, settings=settings, now=now, idempotency_key=idempotency_key, store=store
    )
    body = answer(parsed, store=store, settings=settings, now=now, gate=request.app.state.gate)
    metrics.observe_report(body)
    request.state.log = {
        **getattr(request.state, "log", {}),
        "claim_id": body.get("claim_id"),
        "verdict": body.get("verdict"),
        "photos": len(parsed.photos),
    }
    answered = report_response(
        body, lang, html, store=store, tenant=tenant, settings=settings, just_recorded=parsed.record
    )
    # A claim costs a core ~100 ms or more, a new loopback or LAN connection well under 1 ms. Closing
    # lets the next claim go to whichever worker of `serve --workers N` accepts first, the idle one
    # most often: kept alive, a client's connection stays with one worker however busy it is, and
    # 4 clients split 3:1 or 4:0 between 2 workers while a core idled (scripts/load_api.py).
    (answered if isinstance(answered, Response) else response).headers["Connection"] = "close"
    return answered
