"""Pictures the console shows besides the report: a preview of a photo being added to a new claim
(browsers show no HEIC, so the server turns any readable photo into a JPEG), the location look's
picture of a kept photo (the product's outline and the merchant's zones projected onto it), and the
error-level view of a kept photo, made only when the agent asks for it.

Both are re-encoded (no metadata of the original travels) and decoded under the analysis gate that
bounds how many photos a process holds in memory at once. The error-level view is the tenant's own:
another tenant's claim or photo is "not found", as everywhere.
"""

from __future__ import annotations

from collections.abc import Callable

import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response

from api.private_answers import NOT_STORED
from api.upload import UploadLimits, UploadRefused, read_request, refusal_status
from api.web.pages import Console, ConsoleDep, to_sign_in
from api.web.session import CSRF_FIELD, check_csrf
from evidence_check.imaging.load import PhotoError
from evidence_check.previews import error_level_png, upload_preview
from evidence_check.service import annotated_photo, limits_from

router = APIRouter(include_in_schema=False)

PRIVATE = {**NOT_STORED, "X-Content-Type-Options": "nosniff"}


@router.post("/claims/preview")
async def preview(request: Request, console: ConsoleDep) -> Response:
    """One photo (field `photo`) as a JPEG preview; its upright size in `X-Photo-Width` and
    `X-Photo-Height`, which the form draws the region in. Nothing is recorded."""
    agent = console.agent
    if agent is None:
        return PlainTextResponse(console.words["sign_in_first"], status_code=401, headers=PRIVATE)
    settings = console.settings
    try:
        limits = UploadLimits(settings.max_file_bytes, settings.max_file_bytes + 64 * 1024, 1)
        form = await read_request(request, limits, agent.tenant)
    except UploadRefused as exc:
        return PlainTextResponse(exc.text(console.lang), status_code=refusal_status(exc))
    try:
        check_csrf(agent, form.fields.get(CSRF_FIELD))
        if len(form.files) != 1:
            return PlainTextResponse("send one photo in the field 'photo'", status_code=422)
        sent = form.files[0]

        def made() -> tuple[bytes, int, int]:
            with request.app.state.gate:
                return upload_preview(sent.data, sent.filename or "photo", limits_from(settings))

        try:
            jpeg, width, height = await anyio.to_thread.run_sync(made)
        except PhotoError as exc:
            return PlainTextResponse(f"{sent.filename}: {exc}", status_code=422)
    finally:
        form.close()
    headers = {**PRIVATE, "X-Photo-Width": str(width), "X-Photo-Height": str(height)}
    return Response(jpeg, media_type="image/jpeg", headers=headers)


@router.get("/claims/{claim_id:id}/photos/{image_id}/ela.png")
def error_levels(request: Request, console: ConsoleDep, claim_id: str, image_id: str) -> Response:
    limits = limits_from(console.settings)
    return _kept_picture(request, console, lambda tenant: error_level_png(console.store, tenant, claim_id, image_id, limits))


@router.get("/claims/{claim_id:id}/photos/{number}/annotated.png")
def annotated(request: Request, console: ConsoleDep, claim_id: str, number: int) -> Response:
    def made(tenant: str) -> bytes | None:
        body = console.store.latest_report(tenant, claim_id)
        return None if body is None or number < 1 else annotated_photo(console.store, tenant, body, number, console.settings)

    return _kept_picture(request, console, made)


def _kept_picture(request: Request, console: Console, make: Callable[[str], bytes | None]) -> Response:
    """A PNG made from a kept photo of the signed-in agent's tenant, under the analysis gate."""
    agent = console.agent
    if agent is None:
        return to_sign_in(request)
    with request.app.state.gate:
        png = make(agent.tenant)
    if png is None:
        return PlainTextResponse("no such kept photo in this merchant's claim", status_code=404)
    return Response(png, media_type="image/png", headers=PRIVATE)
