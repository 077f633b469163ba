"""`POST /v1/stock`: stock-library and other buyers' review photos for the reuse look."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response

from api.deps import (
    KeyFirstRoute,
    LangDep,
    SettingsDep,
    StoreDep,
    TenantDep,
    UploadFormDep,
    one_library_thread_here,
)
from api.refusals import Refused
from api.routes.openapi import TOO_LARGE, images_body
from api.routes.rendering import MALFORMED, SERVER_ERRORS, UNAUTHORIZED, answer, problem
from api.schemas import ImageIdText, KnownAsOtherKind, ReferencesAdded, SkippedFile
from evidence_check.engine import now_utc
from evidence_check.references import add_references
from evidence_check.service import limits_from
from evidence_check.store.claims import CursorInvalid, decode_cursor, encode_cursor
from evidence_check.store.reference_photos import delete_reference_photo, list_reference_photos

router = APIRouter(tags=["references"], route_class=KeyFirstRoute)
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
                        "known_as_other_kind": [],
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
    lang: LangDep,
    kind: Annotated[
        Literal["stock", "review"], Query(description="stock library/internet, or buyers' reviews")
    ] = "stock",
) -> ReferencesAdded:
    """Each readable image is remembered for this tenant: a later claim photo that copies it (resized,
    cropped, mirrored, screenshotted) is reported by the reuse look. Unreadable files are listed in
    `skipped`; the others still go in."""
    form.refuse_others(IMAGES_FIELD, ())
    images = [f for f in form.files if f.field == IMAGES_FIELD]
    if not images:
        raise Refused(422, "references.no_photos", field=IMAGES_FIELD)
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
        raise Refused(422, "references.nothing_readable", filename=first[0], problem=first[1])
    return ReferencesAdded(
        added=result.added,
        known=result.known,
        skipped=[SkippedFile(filename=name, error=reason.text(lang)) for name, reason in result.skipped],
        known_as_other_kind=[
            KnownAsOtherKind(filename=o.filename, kind=o.kind, reference_id=o.reference_id, note=o.text(lang))
            for o in result.other_kind
        ],
    )


REFERENCE_EXAMPLE = {
    "kind": "stock",
    "reference_id": "stock-1",
    "image_id": "0f5ac3b1e6d34c4c9a1f0d1f1e1c6a3b9d4e2f7a8b6c5d4e3f2a1b0c9d8e7f6a",
    "filename": "bag-on-white.jpg",
    "added_at": "2026-11-20T08:00:00+00:00",
}


@router.get(
    "/stock",
    summary="The stock and review photos, newest first",
    responses={
        200: answer("One page of reference photos", {"items": [REFERENCE_EXAMPLE], "next_cursor": None}),
        **UNAUTHORIZED,
        **MALFORMED,
        **SERVER_ERRORS,
    },
)
def list_stock(
    tenant: TenantDep,
    store: StoreDep,
    kind: Annotated[Literal["stock", "review"] | None, Query(description="only this kind")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
) -> dict[str, Any]:
    try:
        after = decode_cursor(cursor) if cursor is not None else None
    except CursorInvalid:
        raise Refused(422, "request.bad_cursor") from None
    found = list_reference_photos(store, tenant, kind, limit + 1, after)
    page = found[:limit]
    items = [
        {
            "kind": photo.kind,
            "reference_id": photo.reference_id,
            "image_id": photo.image_id,
            "filename": photo.filename,
            "added_at": photo.added_at.isoformat(),
        }
        for photo in page
    ]
    return {"items": items, "next_cursor": encode_cursor(page[-1].id) if len(found) > limit else None}


@router.delete(
    "/stock/{image_id}",
    status_code=204,
    summary="Forget a stock or review photo",
    responses={
        204: {"description": "Forgotten"},
        **UNAUTHORIZED,
        404: problem("No such reference photo for this key's tenant", "no reference photo '0f5a…'"),
        **MALFORMED,
        **SERVER_ERRORS,
    },
)
def delete_stock(
    image_id: Annotated[ImageIdText, Path(description="the sha256 of the photo's bytes")],
    tenant: TenantDep,
    store: StoreDep,
) -> Response:
    """Claims are no longer matched against it, in every process at once."""
    if not delete_reference_photo(store, tenant, image_id):
        raise Refused(404, "reference.not_found", image_id=image_id)
    return Response(status_code=204)
