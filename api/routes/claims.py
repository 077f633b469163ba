"""`GET /v1/claims/{claim_id}`: the latest report of a claim of the caller's tenant."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException

from api.deps import HtmlDep, LangDep, StoreDep, TenantDep
from api.routes.rendering import REPORT_CONTENT, SERVER_ERRORS, UNAUTHORIZED, problem, report_response
from api.schemas import Report

router = APIRouter(prefix="/v1/claims", tags=["claims"])


@router.get(
    "/{claim_id:path}",
    response_model=Report,
    response_model_by_alias=True,
    summary="The latest report of a claim",
    responses={
        200: {"description": "The report as recorded", "content": REPORT_CONTENT},
        **UNAUTHORIZED,
        404: problem("No such claim for this key's tenant", "no claim 'c-123'"),
        422: problem("A malformed parameter (e.g. format)", "format: Input should be 'json' or 'html'"),
        **SERVER_ERRORS,
    },
)
def get_claim(claim_id: str, tenant: TenantDep, store: StoreDep, lang: LangDep, html: HtmlDep) -> Any:
    """The report is returned as it was recorded, sentences in the language of that request;
    `Accept-Language` sets the language of the HTML page around them."""
    body = store.latest_report(tenant, claim_id)
    if body is None:
        # The same answer whether the claim is another tenant's or nobody's.
        raise HTTPException(404, f"no claim {claim_id!r}")
    return report_response(body, lang, html)
