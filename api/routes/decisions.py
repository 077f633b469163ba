"""What agents do with a claim after its report: a retake challenge, the final outcome, and how the
checks fared against the outcomes recorded (`GET /v1/stats`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import anyio.to_thread
from fastapi import APIRouter, Body, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from api.auth import key_id_of
from api.deps import LangDep, SettingsDep, StoreDep, TenantDep, one_library_thread_here
from api.json_body import UniqueNamesRoute
from api.refusals import Refused
from api.routes.openapi import JSON_TOO_LARGE
from api.routes.rendering import MALFORMED, REPORT_CONTENT, SERVER_ERRORS, UNAUTHORIZED, answer, problem
from api.schemas import DecidedByShown, Report, storable_str
from api.verifying import idempotency_key_header
from evidence_check import calibration
from evidence_check.checks.challenge import new_code
from evidence_check.engine import now_utc
from evidence_check.errors import error_text
from evidence_check.report import in_language
from evidence_check.service import Reverified, decide, reverify_claim, reverify_keys
from evidence_check.store import RequestConflict
from evidence_check.store.claim_files import NotKept
from evidence_check.store.outcomes import (
    DecidedBy,
    DecidedMeanwhile,
    Decision,
    decided_claims,
    has_claim,
    issue_challenge,
    public_decided_by,
)
from evidence_check.widths import NOTE_WIDTH

router = APIRouter(tags=["claims"], route_class=UniqueNamesRoute)

NO_CLAIM = problem("No such claim for this key's tenant", "no claim 'c-123'")

INSTRUCTIONS = {
    "en": (
        "Ask the customer to write {code} clearly on a sheet of paper, lay it beside the item and take a new "
        "photo now; then send that photo to POST /v1/verify with claim_id {claim}."
    ),
    "zh": "请客户把 {code} 清楚地写在纸上，放在商品旁边，现在重新拍照；然后用 POST /v1/verify 提交这张照片，claim_id 为 {claim}。",
}


class ChallengeIssued(BaseModel):
    claim_id: str
    code: str = Field(description="what the customer writes down and photographs beside the item")
    issued_at: datetime
    instructions: str


class OutcomeSent(BaseModel):
    # A misspelt key ("notes") is refused, not dropped with the agent's words in it.
    model_config = ConfigDict(extra="forbid")

    outcome: Literal["genuine", "fraud"]
    note: storable_str(NOTE_WIDTH) | None = None  # type: ignore[valid-type]
    # Strict: `true` or "3" read as decision 1 or 3 would judge against a decision nobody named.
    seen: int | None = Field(
        None,
        ge=0,
        strict=True,
        description=(
            "the `decision_id` of the latest decision you read (`GET /v1/claims`, an earlier answer), 0 for none "
            "(added 2026-12-06): 409 naming who decided, nothing recorded, when another was recorded since. "
            "Without it, the decision replaces whatever is latest"
        ),
    )


class OutcomeRecorded(BaseModel):
    claim_id: str
    outcome: Literal["genuine", "fraud"]
    note: str | None
    decided_at: datetime
    replaced: Literal["genuine", "fraud"] | None = Field(
        description="the decision this one replaces, when the claim was decided before (both are kept)"
    )
    decided_by: DecidedByShown | None = Field(
        None, description="who recorded it (added 2026-12-06); null for a decision recorded before it was kept"
    )
    decision_id: int = Field(description="this decision's id, to send as `seen` (added 2026-12-06)")


class DecidedMeanwhileShown(BaseModel):
    detail: str
    outcome: Literal["genuine", "fraud"] | None = Field(description="the latest decision; null: the claim has none")
    decided_at: datetime | None
    decided_by: DecidedByShown | None = Field(description="who recorded it; null: recorded before it was kept")
    decision_id: int | None = Field(description="its id, to send as `seen` to replace it knowingly")


class StatsRow(BaseModel):
    check: str
    status: str
    claims: int
    fraud: int
    genuine: int
    agreed: float | None
    precision: float | None
    false_positive_rate: float | None


class Stats(BaseModel):
    decided: int
    fraud: int
    genuine: int
    rows: list[StatsRow]


def _known(store: Any, tenant: str, claim_id: str) -> None:
    if not has_claim(store, tenant, claim_id):
        # The same answer whether the claim is another tenant's or nobody's.
        raise Refused(404, "claim.not_found", claim_id=claim_id)


@router.post(
    "/claims/{claim_id:id}/challenge",
    response_model=ChallengeIssued,
    summary="Issue a retake challenge for a claim",
    responses={
        200: answer(
            "The code, to read to the customer",
            {
                "claim_id": "c-123",
                "code": "3TM7X",
                "issued_at": "2026-11-16T04:00:00+00:00",
                "instructions": INSTRUCTIONS["en"].format(code="3TM7X", claim="c-123"),
            },
        ),
        **UNAUTHORIZED,
        404: NO_CLAIM,
        **MALFORMED,
        **SERVER_ERRORS,
    },
)
async def post_challenge(
    claim_id: str, tenant: TenantDep, store: StoreDep, settings: SettingsDep, lang: LangDep
) -> Any:
    """A short random code the customer writes down and photographs beside the item; the retake
    arrives through `POST /v1/verify` with the same `claim_id`, which then looks for the code. Asked
    again before a photo came after it (a retry; a `reverify` brings none), the same challenge is answered."""

    def issue() -> Any:
        _known(store, tenant, claim_id)
        code = new_code(settings.for_tenant(tenant).challenge_length)
        return issue_challenge(store, tenant, claim_id, code, now_utc())

    issued = await anyio.to_thread.run_sync(issue)
    return {
        "claim_id": claim_id,
        "code": issued.code,
        "issued_at": issued.issued_at,
        "instructions": INSTRUCTIONS.get(lang, INSTRUCTIONS["en"]).format(code=issued.code, claim=claim_id),
    }


@router.post(
    "/claims/{claim_id:id}/outcome",
    response_model=OutcomeRecorded,
    summary="Record the agent's final decision on a claim",
    openapi_extra={
        "requestBody": {
            "content": {"application/json": {"example": {"outcome": "fraud", "note": "same photo as claim c-77"}}}
        }
    },
    responses={
        200: answer(
            "The decision as recorded",
            {
                "claim_id": "c-123",
                "outcome": "fraud",
                "note": "same photo as claim c-77",
                "decided_at": "2026-11-17T09:30:00+00:00",
                "replaced": "genuine",
                "decided_by": {"key": "k_3f9a1c07d2e4", "via": "api"},
                "decision_id": 812,
            },
        ),
        **UNAUTHORIZED,
        404: NO_CLAIM,
        409: {
            "model": DecidedMeanwhileShown,
            **answer(
                "`seen` names a decision that is no longer the latest: the latest, nothing recorded (an "
                "`Idempotency-Key` already sent with another decision: `detail` alone)",
                {
                    "detail": "claim 'c-123': fraud was recorded at 2026-11-17T09:30:00+00:00 (decision 812) after "
                    "the one you saw (seen 790); nothing recorded; to replace it, send seen 812",
                    "outcome": "fraud",
                    "decided_at": "2026-11-17T09:30:00+00:00",
                    "decided_by": {"key": "k_3f9a1c07d2e4", "via": "api"},
                    "decision_id": 812,
                },
            ),
        },
        413: JSON_TOO_LARGE,
        422: problem("A malformed body", "outcome: Input should be 'genuine' or 'fraud'"),
        **SERVER_ERRORS,
    },
)
def post_outcome(
    claim_id: str,
    sent: Annotated[OutcomeSent, Body()],
    tenant: TenantDep,
    store: StoreDep,
    request: Request,
    lang: LangDep,
    idempotency_key: Annotated[
        str | None,
        idempotency_key_header(
            "A retry with the same key is answered as the first, even after others decided, and records and "
            "announces nothing (added 2026-12-06); the key sent with another decision is 409"
        ),
    ] = None,
) -> Any:
    """Deciding a claim again replaces the decision (`replaced` names the one before); every decision
    is kept with its time and note, and `GET /v1/stats` counts the latest. The latest decision sent
    again unchanged with the same key is a retry, answered as it was, recorded and announced once;
    sent with another key it is that key's decision, recorded. A request sent again with its
    `Idempotency-Key` is answered as the first even after others decided. With `seen`, a decision
    recorded since the one the client read is a 409 naming it and who decided."""
    _known(store, tenant, claim_id)
    by = DecidedBy("api", key_id_of(request))
    try:
        recorded = decide(
            store, tenant, claim_id, sent.outcome, sent.note, sent.seen, by=by, idempotency_key=idempotency_key
        )
    except DecidedMeanwhile as meanwhile:
        return _decided_meanwhile(claim_id, sent.seen, meanwhile.latest, lang)
    except RequestConflict:
        raise Refused(409, "request.idempotency_conflict_outcome") from None
    return {
        "claim_id": claim_id,
        "outcome": sent.outcome,
        "note": sent.note,
        "decided_at": recorded.decided_at,
        "replaced": recorded.replaced,
        "decided_by": public_decided_by(recorded.by),
        "decision_id": recorded.decision_id,
    }


def _decided_meanwhile(claim_id: str, seen: int | None, latest: Decision | None, lang: str) -> JSONResponse:
    """The 409 of a decision made since the one `seen` names: written as the 200's fields are (its
    `decided_at` as pydantic writes times), so a client reads both with one parser."""
    if latest is None:
        detail = error_text("claim.no_decision_seen", {"claim_id": claim_id, "seen": seen}, lang)
        shown = DecidedMeanwhileShown(detail=detail, outcome=None, decided_at=None, decided_by=None, decision_id=None)
        return JSONResponse(shown.model_dump(mode="json"), status_code=409)
    fields = {
        "outcome": latest.decision,
        "decided_at": latest.decided_at,
        "decided_by": public_decided_by(latest.by),
        "decision_id": latest.id,
    }
    written = DecidedMeanwhileShown.model_validate({"detail": "", **fields}).model_dump(mode="json")
    written["detail"] = error_text("claim.decided_meanwhile", {"claim_id": claim_id, "seen": seen, **written}, lang)
    return JSONResponse(written, status_code=409)


@router.get(
    "/stats",
    response_model=Stats,
    summary="How each check's statuses agreed with the outcomes agents recorded",
    responses={
        200: answer(
            "Per check and status, against the latest outcome of each decided claim",
            {
                "decided": 12,
                "fraud": 3,
                "genuine": 9,
                "rows": [
                    {
                        "check": "reuse",
                        "status": "fail",
                        "claims": 2,
                        "fraud": 2,
                        "genuine": 0,
                        "agreed": 1.0,
                        "precision": 1.0,
                        "false_positive_rate": 0.0,
                    }
                ],
            },
        ),
        **UNAUTHORIZED,
        **SERVER_ERRORS,
    },
)
def get_stats(tenant: TenantDep, store: StoreDep) -> Any:
    """What `evidence-check stats` prints, per check and status: claims, of them fraud and genuine,
    how often the status agreed with the outcome, its precision and false-positive rate."""
    decided = decided_claims(store, tenant)
    fraud = sum(1 for d in decided if d.decision == "fraud")
    rows = calibration.table((d.decision, d.report) for d in decided)
    return {
        "decided": len(decided),
        "fraud": fraud,
        "genuine": len(decided) - fraud,
        "rows": [
            {
                "check": row.check,
                "status": row.status,
                "claims": row.claims,
                "fraud": row.fraud,
                "genuine": row.genuine,
                "agreed": row.agreed,
                "precision": row.precision,
                "false_positive_rate": row.false_positive_rate,
            }
            for row in rows
        ],
    }


@router.post(
    "/claims/{claim_id:id}/reverify",
    response_model=Report,
    response_model_by_alias=True,
    summary="Analyse a claim's kept photos again, against today's catalog and references",
    responses={
        200: {"description": "The new report, recorded beside the earlier ones", "content": REPORT_CONTENT},
        **UNAUTHORIZED,
        404: NO_CLAIM,
        409: problem(
            "The claim's photo files are no longer kept (retention) or were never stored; or the"
            " `Idempotency-Key` was sent before with another request",
            "the files of claim 'c-123' are no longer kept (2 of 2 deleted by retention or never stored): "
            "ask the customer to send them again",
        ),
        **MALFORMED,
        **SERVER_ERRORS,
    },
)
async def post_reverify(
    claim_id: str,
    request: Request,
    tenant: TenantDep,
    store: StoreDep,
    settings: SettingsDep,
    lang: LangDep,
    idempotency_key: Annotated[
        str | None,
        idempotency_key_header(
            "A retry with the same key returns the first report and records and announces nothing again;"
            " the key sent with another request (another claim's reverify, a verify) is 409"
        ),
    ] = None,
) -> Any:
    """For a claim whose evidence should be read again after the catalog or the references changed
    (a retry of `POST /v1/verify` returns the stored report instead). Each call without an
    `Idempotency-Key` records a new report; with one, a retry returns the report it recorded.
    `GET .../reports` lists them all. The answer's sentences are in the language `Accept-Language`
    asks for, as every report's."""
    gate = request.app.state.gate
    keys = reverify_keys(claim_id, idempotency_key)

    def analyse() -> Reverified | None:
        one_library_thread_here()
        return reverify_claim(
            store, tenant, claim_id, settings=settings, now=now_utc(), channel="api", request_keys=keys, gate=gate
        )

    try:
        reverified = await anyio.to_thread.run_sync(analyse)
    except NotKept as exc:
        raise Refused(409, exc.code, **exc.params) from None
    except RequestConflict:
        raise Refused(409, "request.idempotency_conflict_reverify") from None
    if reverified is None:
        raise Refused(404, "claim.not_found", claim_id=claim_id)
    return in_language(reverified.body, lang, "api")
