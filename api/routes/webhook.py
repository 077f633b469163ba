"""The key's tenant's webhook over HTTP: its intake system's developer sets the receiver, rotates its
secret by setting it again, removes it, and reads why deliveries failed, as the operator does with
`evidence-check webhooks` (the same store functions and URL check, evidence_check.webhooks).

A receiver set here is a stranger's address: it must resolve to public addresses only, unless the
operator allows others (`WEBHOOK_PRIVATE_ADDRESSES`), so that a key cannot make the server call into
its own network.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from api.deps import SettingsDep, StoreDep, TenantDep
from api.json_body import UniqueNamesRoute
from api.refusals import Refused
from api.routes.openapi import JSON_TOO_LARGE
from api.routes.rendering import SERVER_ERRORS, UNAUTHORIZED, answer, problem
from evidence_check.store.claims import MAX_PAGE, CursorInvalid
from evidence_check.store.webhooks import Delivery, deliveries, remove_webhook, webhook_of
from evidence_check.webhooks import EVENTS, RESOLVE_TIMEOUT_S, WebhookInvalid, WebhookUnresolved, set_receiver

router = APIRouter(prefix="/webhook", tags=["webhooks"], route_class=UniqueNamesRoute)

NO_WEBHOOK = problem("The key's tenant has no webhook", "no webhook is set for this tenant")
URL_EXAMPLE = "https://intake.example.com/hooks/evidence-check"
SET_AT_EXAMPLE = "2026-12-06T14:00:00+00:00"


class WebhookSent(BaseModel):
    # A misspelt key ("uri") is refused, not taken for a body without a URL.
    model_config = ConfigDict(extra="forbid")

    url: str = Field(description="where to POST the events: http:// or https://, a public address, no user or password")


class WebhookShown(BaseModel):
    url: str
    events: list[str] = Field(description="the events POSTed to it")
    set_at: datetime = Field(description="when the URL and secret were last set")


class WebhookSet(WebhookShown):
    secret: str = Field(
        description="signs every body (X-Evidence-Check-Signature); shown in this answer only: keep it now"
    )


class DeliveryShown(BaseModel):
    id: int = Field(description="the X-Evidence-Check-Delivery header, the same on every retry")
    event: str
    status: Literal["pending", "delivered", "failed"] = Field(
        description="pending: to be tried (again); failed: after the last retry, or the webhook was removed"
    )
    attempts: int
    last_status: int | None = Field(description="the receiver's HTTP status at the last attempt; null: not reached")
    last_error: str | None = Field(description="why the last attempt failed, one line")
    next_attempt_at: datetime | None = Field(description="when it is tried next; null unless pending")
    created_at: datetime
    delivered_at: datetime | None


class DeliveryPage(BaseModel):
    items: list[DeliveryShown]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null on the last")


# A PUT whose receiver's name did not resolve in time is told to come back after this many seconds:
# its lookup, left waiting, holds one of the few a process keeps until the system resolver gives up
# (some 10-30 s), so a retry at once would most likely be refused again.
UNRESOLVED_RETRY_AFTER_S = 10


def _shown(url: str, set_at: datetime) -> dict[str, Any]:
    return {"url": url, "events": list(EVENTS), "set_at": set_at}


def _delivery(row: Delivery) -> dict[str, Any]:
    return {
        "id": row.id, "event": row.event, "status": row.status, "attempts": row.attempts,
        "last_status": row.last_status, "last_error": row.last_error,
        "next_attempt_at": row.next_attempt_at if row.status == "pending" else None,
        "created_at": row.created_at, "delivered_at": row.delivered_at,
    }  # fmt: skip


@router.put(
    "",
    response_model=WebhookSet,
    summary="Set (or replace) the tenant's webhook receiver; the answer holds its new secret, once",
    openapi_extra={"requestBody": {"content": {"application/json": {"example": {"url": URL_EXAMPLE}}}}},
    responses={
        200: answer(
            "The receiver as set, with the secret that signs every body from now on",
            {"url": URL_EXAMPLE, "events": list(EVENTS), "set_at": SET_AT_EXAMPLE, "secret": "whsec_Jm3xQ8…"},
        ),
        **UNAUTHORIZED,
        413: JSON_TOO_LARGE,
        422: problem(
            "A URL this server will not send to, or a malformed body",
            "webhook host 'metadata.internal' resolves to an address that is not public: this server sends only "
            "to public addresses (its operator may allow others with WEBHOOK_PRIVATE_ADDRESSES)",
        ),
        **SERVER_ERRORS,
        503: problem(
            f"The store does not answer, or the receiver's name did not resolve within {RESOLVE_TIMEOUT_S:g} s"
            " (nothing is set); retrying later is safe, after Retry-After's seconds when it is sent",
            f"webhook host 'hooks.example.com' did not resolve within {RESOLVE_TIMEOUT_S:.1f} s: try again later,"
            " or check its DNS",
        ),
    },
)
def put_webhook(
    sent: Annotated[WebhookSent, Body()], tenant: TenantDep, store: StoreDep, settings: SettingsDep
) -> Any:
    """Setting it again replaces the URL and the secret at once (rotating the secret): events sent
    from then on, retries of older ones too, are signed with the new secret."""
    try:
        hook = set_receiver(
            store, tenant, sent.url, set_by_tenant=True, private_allowed=settings.webhook_private_addresses
        )
    except WebhookUnresolved as exc:  # transient: the name may resolve on the next try
        raise Refused(503, exc.code, headers={"Retry-After": str(UNRESOLVED_RETRY_AFTER_S)}, **exc.params) from None
    except WebhookInvalid as exc:
        raise Refused(422, exc.code, **exc.params) from None
    return {**_shown(hook.url, hook.set_at), "secret": hook.secret}


@router.get(
    "",
    response_model=WebhookShown,
    summary="The tenant's webhook receiver (never its secret)",
    responses={
        200: answer("The receiver", {"url": URL_EXAMPLE, "events": list(EVENTS), "set_at": SET_AT_EXAMPLE}),
        **UNAUTHORIZED,
        404: NO_WEBHOOK,
        **SERVER_ERRORS,
    },
)
def get_webhook(tenant: TenantDep, store: StoreDep) -> Any:
    hook = webhook_of(store, tenant)
    if hook is None:
        raise Refused(404, "webhook.none")
    return _shown(hook.url, hook.set_at)


@router.delete(
    "",
    status_code=204,
    summary="Remove the tenant's webhook receiver",
    responses={204: {"description": "Removed"}, **UNAUTHORIZED, 404: NO_WEBHOOK, **SERVER_ERRORS},
)
def delete_webhook(tenant: TenantDep, store: StoreDep) -> Response:
    """No more events are kept for it; those not yet delivered are marked failed ("webhook removed")."""
    if not remove_webhook(store, tenant):
        raise Refused(404, "webhook.none")
    return Response(status_code=204)


@router.get(
    "/deliveries",
    response_model=DeliveryPage,
    summary="The tenant's webhook deliveries, newest first: what was sent, and why it failed",
    responses={
        200: answer(
            "One page of deliveries",
            {
                "items": [
                    {
                        "id": 42, "event": "claim.verified", "status": "pending", "attempts": 2,
                        "last_status": 500, "last_error": "HTTP 500", "next_attempt_at": "2026-12-06T14:02:40+00:00",
                        "created_at": "2026-12-06T14:00:00+00:00", "delivered_at": None,
                    }  # fmt: skip
                ],
                "next_cursor": "YzQx",
            },
        ),
        **UNAUTHORIZED,
        422: problem("A malformed parameter or cursor", "cursor: not one this server handed out; start again without it"),
        **SERVER_ERRORS,
    },
)
def get_deliveries(
    tenant: TenantDep,
    store: StoreDep,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    cursor: Annotated[str | None, Query(max_length=64, description="next_cursor of the page before")] = None,
) -> Any:
    """Kept after the webhook is removed or replaced; pages are cut by `cursor`, as claims' are."""
    try:
        page = deliveries(store, tenant, limit, cursor)
    except CursorInvalid:
        raise Refused(422, "request.bad_cursor") from None
    return {"items": [_delivery(row) for row in page.items], "next_cursor": page.next_cursor}
