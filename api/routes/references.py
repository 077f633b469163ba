"""`POST /v1/stock`: stock-library and other buyers' review photos for the reuse look."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query

from api.deps import SettingsDep, StoreDep, TenantDep, UploadFormDep, one_library_thread_here
from api.routes.openapi import TOO_LARGE, images_body
from api.routes.rendering import SERVER_ERRORS, UNAUTHORIZED, problem
from api.schemas import ReferencesAdded, SkippedFile
from evidence_check.engine import now_utc
from evidence_check.references import add_references
from evidence_check.service import limits_from

router = APIRouter(prefix="/v1", tags=["references"])
IMAGES_FIELD = "images"


@router.post(
    "/stock",
    status_code=201,
    response_model=ReferencesAdded,
    summary="Add stock or review photos",
    openapi_extra=images_body({}, {}),
    responses={
        201: {
            "description": "What was stored; unreadable files are listed and skipped",
            "content": {
                "application/json": {
                    "example": {
                        "added": 2,
                        "known": 0,
                        "skipped": [{"filename": "notes.txt", "error": "not a supported image format"}],
                    }
                }
            },
        },
        **UNAUTHORIZED,
        413: TOO_LARGE,
        422: problem(
            "No `images` part, or none of them is a readable image",
            "send the photos as multipart parts named 'images'",
        ),
        **SERVER_ERRORS,
    },
)
def add_stock(
    form: UploadFormDep,
    tenant: TenantDep,
    settings: SettingsDep,
    store: StoreDep,
    kind: Annotated[
        Literal["stock", "review"], Query(description="stock library/internet, or buyers' reviews")
    ] = "stock",
) -> ReferencesAdded:
    """Each readable image is remembered for this tenant: a later claim photo that copies it (resized,
    cropped, mirrored, screenshotted) is reported by the reuse look. Unreadable files are listed in
    `skipped`; the others still go in."""
    images = [f for f in form.files if f.field == IMAGES_FIELD]
    if not images:
        raise HTTPException(422, f"send the photos as multipart parts named {IMAGES_FIELD!r}")
    one_library_thread_here()
    limits = limits_from(settings)
    result = add_references(
        store,
        tenant,
        kind,
        ((f.filename or "upload", f.filename or "upload", f.data, None) for f in images),
        limits,
        now_utc(),
        keep_features=settings.reuse_keep_features,
    )
    if result.added + result.known == 0:
        first = result.skipped[0]
        raise HTTPException(422, f"no image could be read ({first[0]}: {first[1]})")
    return ReferencesAdded(
        added=result.added,
        known=result.known,
        skipped=[SkippedFile(filename=name, error=reason) for name, reason in result.skipped],
    )
