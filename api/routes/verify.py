"""`POST /v1/verify`: one claim's photos in, its confidence report out."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Request

from api.deps import HtmlDep, LangDep, MetricsDep, SettingsDep, StoreDep, TenantDep, VerifyFormDep
from api.routes.rendering import REPORT_CONTENT, UNAUTHORIZED, report_response
from api.schemas import Problem, Report, VerifyFields
from api.verifying import answer, parse_verify
from evidence_check.engine import now_utc

router = APIRouter(prefix="/v1", tags=["claims"])


def _inline(schema: Any, defs: dict[str, Any]) -> Any:
    """The JSON schema with its local `$ref`s replaced by what they name (OpenAPI extras stay inline),
    and without `null`: a form field is absent or text, never null."""
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            named = _inline(defs[ref.removeprefix("#/$defs/")], defs)
            return {**named, **{k: _inline(v, defs) for k, v in schema.items() if k != "$ref"}}
        options = schema.get("anyOf")
        if isinstance(options, list) and {"type": "null"} in options:
            rest = [option for option in options if option != {"type": "null"}]
            merged = {k: v for k, v in schema.items() if k not in ("anyOf", "default")}
            if len(rest) == 1:
                merged.update(rest[0])
            else:
                merged["anyOf"] = rest
            return _inline(merged, defs)
        return {k: _inline(v, defs) for k, v in schema.items() if k != "$defs"}
    if isinstance(schema, list):
        return [_inline(item, defs) for item in schema]
    return schema


def _form_schema() -> dict[str, Any]:
    fields = VerifyFields.model_json_schema()
    schema = _inline(fields, fields.get("$defs", {}))
    schema["title"] = "VerifyForm"
    schema["properties"] = {
        "photos": {
            "type": "array",
            "items": {"type": "string", "format": "binary"},
            "minItems": 1,
            "description": "the claim's photos (JPEG, HEIC, PNG, WebP, AVIF, TIFF, GIF)",
        },
        **schema["properties"],
    }
    schema["required"] = ["photos"]
    schema["additionalProperties"] = False
    return schema


VERIFY_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": _form_schema(),
                "encoding": {"photos": {"contentType": "image/*, application/octet-stream"}},
                "example": {
                    "claim_id": "c-123",
                    "sku": "BAG-001",
                    "ordered_at": "2026-11-10T10:00+08:00",
                    "delivered_at": "2026-11-14T15:00+08:00",
                    "reason": "damaged",
                },
            }
        },
    }
}


@router.post(
    "/verify",
    response_model=Report,
    response_model_by_alias=True,
    summary="Verify the photos of one claim",
    openapi_extra=VERIFY_BODY,
    responses={
        200: {"description": "The confidence report", "content": REPORT_CONTENT},
        **UNAUTHORIZED,
        409: {"model": Problem, "description": "Idempotency-Key already used for another request"},
        413: {
            "model": Problem,
            "description": "A photo, a field or the whole request is over the configured size",
            "content": {
                "application/json": {
                    "example": {"detail": "photo 'a.jpg' is over the 100.0 MB limit per file"}
                }
            },
        },
        422: {
            "model": Problem,
            "description": "A malformed field, no photos, or no photo readable",
            "content": {
                "application/json": {
                    "example": {
                        "detail": "ordered_at: '10/11' is not an ISO 8601 date or date-time (e.g. 2026-11-20T14:30+08:00)"
                    }
                }
            },
        },
    },
)
def verify(
    request: Request,
    form: VerifyFormDep,
    tenant: TenantDep,
    settings: SettingsDep,
    store: StoreDep,
    metrics: MetricsDep,
    lang: LangDep,
    html: HtmlDep,
    idempotency_key: Annotated[
        str | None,
        Header(
            min_length=1,
            max_length=255,
            pattern=r"^[\x21-\x7e]+$",
            description="A retry with the same key returns the first report and records nothing again",
        ),
    ] = None,
) -> Any:
    """Runs the five checks on every photo, scores the claim and, unless `record=false`, remembers
    the photos for later reuse checks. The same claim id with the same photos and fields (or the same
    `Idempotency-Key`) returns the stored report and records nothing twice."""
    parsed = parse_verify(
        form, tenant=tenant, lang=lang, settings=settings, now=now_utc(), idempotency_key=idempotency_key
    )
    body = answer(parsed, store=store, settings=settings, now=now_utc(), gate=request.app.state.gate)
    metrics.observe_report(body)
    request.state.log = {
        **getattr(request.state, "log", {}),
        "claim_id": body.get("claim_id"),
        "verdict": body.get("verdict"),
        "photos": len(parsed.uploads),
    }
    return report_response(body, lang, html)
