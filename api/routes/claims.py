"""A tenant's claims: the list (filtered, paged), a claim's latest report and its history."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response

from api.deps import HtmlDep, KeyFirstRoute, LangDep, SettingsDep, StoreDep, TenantDep
from api.refusals import Refused
from api.routes.rendering import (
    MALFORMED,
    REPORT_CONTENT,
    REPORT_EXAMPLE,
    SERVER_ERRORS,
    UNAUTHORIZED,
    answer,
    problem,
    report_response,
)
from api.schemas import ClaimPage, IdText, Report
from evidence_check.report import in_language
from evidence_check.service import annotated_photo
from evidence_check.store.claims import MAX_PAGE, ClaimFilter, CursorInvalid, list_claims, report_history

router = APIRouter(prefix="/claims", tags=["claims"], route_class=KeyFirstRoute)

NO_CLAIM = problem("No such claim for this key's tenant", "no claim 'c-123'")
CLAIMS_EXAMPLE = {
    "items": [
        {
            "claim_id": "c-123",
            "customer_id": "u-42",
            "sku": "BAG-001",
            "order_id": "SO-20261110-0042",
            "reason": "damaged",
            "wanted": "refund",
            "created_at": "2026-11-16T04:00:00+00:00",
            "updated_at": "2026-11-16T04:00:00+00:00",
            "verdict": "review",
            "risk": 0.42,
            "strongest_reason": "No capture time in the file: it was sent through a chat app or edited.",
            "photos": 2,
            "reports": 1,
            "outcome": None,
            "decided_by": None,
            "decision_id": None,
        }
    ],
    "next_cursor": "Yzk",
}


@router.get(
    "",
    response_model=ClaimPage,
    summary="The tenant's claims, newest first",
    responses={
        200: answer("One page of claim summaries", CLAIMS_EXAMPLE),
        **UNAUTHORIZED,
        422: problem("A malformed parameter or cursor", "limit: Input should be less than or equal to 100"),
        **SERVER_ERRORS,
    },
)
def get_claims(
    tenant: TenantDep,
    store: StoreDep,
    lang: LangDep,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    cursor: Annotated[str | None, Query(max_length=64, description="next_cursor of the page before")] = None,
    verdict: Literal["accept", "review", "reject"] | None = None,
    customer_id: Annotated[IdText | None, Query()] = None,
    sku: Annotated[IdText | None, Query()] = None,
    order_id: Annotated[IdText | None, Query(description="the claims of this order")] = None,
    since: Annotated[datetime | None, Query(description="recorded at or after (ISO 8601; UTC without an offset)")] = None,
    until: Annotated[datetime | None, Query(description="recorded before (ISO 8601; UTC without an offset)")] = None,
    q: Annotated[
        str | None, Query(max_length=128, description="part of the claim id, customer id, order id or SKU")
    ] = None,
) -> Any:
    """Pages are cut by `cursor`: a claim recorded while a client pages through shows on the first
    page and moves no other claim from one page to the next."""
    where = ClaimFilter(
        verdict=verdict, customer_id=customer_id, sku=sku, order_id=order_id, since=since, until=until, text=q
    )
    try:
        page = list_claims(store, tenant, where, limit, cursor)
    except CursorInvalid:
        raise Refused(422, "request.bad_cursor") from None
    items = []
    for item in page.items:
        reasons = in_language(item.report, lang, "api").get("reasons") or []
        items.append({**item.to_dict(), "strongest_reason": reasons[0] if reasons else None})
    return {"items": items, "next_cursor": page.next_cursor}


@router.get(
    "/{claim_id:id}/reports",
    response_model=list[Report],
    response_model_by_alias=True,
    summary="Every report of a claim, oldest first",
    responses={
        200: answer("The reports as recorded", [REPORT_EXAMPLE]),
        **UNAUTHORIZED,
        404: NO_CLAIM,
        **MALFORMED,
        **SERVER_ERRORS,
    },
)
def get_claim_reports(claim_id: str, tenant: TenantDep, store: StoreDep, lang: LangDep) -> Any:
    """A claim verified again (new photos, a retake, reverify) has one report for each time."""
    history = report_history(store, tenant, claim_id)
    if history is None:
        raise Refused(404, "claim.not_found", claim_id=claim_id)
    return [in_language(body, lang, "api") for body in history]


@router.get(
    "/{claim_id:id}/photos/{number}/annotated.png",
    response_class=Response,
    summary="A photo of the latest report, annotated by the location look",
    responses={
        200: {"description": "PNG, at most 1024 px: the region marked or proposed (red / orange dashed), the "
              "product's outline (green) and the zones (blue)", "content": {"image/png": {"schema": {"type": "string", "format": "binary"}, "example": "(PNG bytes)"}}},
        **UNAUTHORIZED,
        404: problem("No such claim, photo (numbered from 1) or kept file", "no photo 3 kept for claim 'c-123'"),
        **MALFORMED,
        **SERVER_ERRORS,
    },
)
def get_annotated_photo(
    claim_id: str, number: Annotated[int, Path(ge=1, le=1000)], tenant: TenantDep, store: StoreDep, settings: SettingsDep
) -> Response:
    """The photo's working copy re-encoded (no metadata travels) with what the location look saw."""
    body = store.latest_report(tenant, claim_id)
    if body is None:
        raise Refused(404, "claim.not_found", claim_id=claim_id)
    picture = annotated_photo(store, tenant, body, number, settings)
    if picture is None:
        raise Refused(404, "claim.photo_not_kept", number=number, claim_id=claim_id)
    return Response(picture, media_type="image/png")  # no-store: api.private_answers


@router.get(
    "/{claim_id:id}",
    response_model=Report,
    response_model_by_alias=True,
    summary="The latest report of a claim",
    responses={
        200: {"description": "The report as recorded", "content": REPORT_CONTENT},
        **UNAUTHORIZED,
        404: NO_CLAIM,
        422: problem("A malformed parameter (e.g. format)", "format: Input should be 'json' or 'html'"),
        **SERVER_ERRORS,
    },
)
def get_claim(
    claim_id: str, tenant: TenantDep, store: StoreDep, settings: SettingsDep, lang: LangDep, html: HtmlDep
) -> Any:
    """The report as recorded, its sentences in the language `Accept-Language` asks for."""
    body = store.latest_report(tenant, claim_id)
    if body is None:
        # The same answer whether the claim is another tenant's or nobody's.
        raise Refused(404, "claim.not_found", claim_id=claim_id)
    return report_response(in_language(body, lang, "api"), lang, html, store=store, tenant=tenant, settings=settings)
