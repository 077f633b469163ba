"""`GET /v1/images/{image_id}/thumbnail`: the small picture of an image a report names — a claim's
photo, or the catalog image, listing, stock or review photo it was matched with — re-encoded, so
no original file and none of its metadata leaves the store. One tenant's pictures only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from api.deps import KeyFirstRoute, SettingsDep, StoreDep, TenantDep
from api.refusals import Refused
from api.routes.rendering import MALFORMED, SERVER_ERRORS, UNAUTHORIZED, problem
from api.schemas import ImageIdText
from evidence_check.service import picture_thumbnail

router = APIRouter(prefix="/images", tags=["claims"], route_class=KeyFirstRoute)


@router.get(
    "/{image_id}/thumbnail",
    summary="A small picture of a photo, catalog image or reference a report names",
    response_class=Response,
    responses={
        200: {
            "description": "A JPEG at most 480 pixels on its longer side (240 for catalog and reference images)",
            "content": {"image/jpeg": {"schema": {"type": "string", "format": "binary"}, "example": "(JPEG bytes)"}},
        },
        **UNAUTHORIZED,
        404: problem(
            "This tenant has no picture with that id (or no longer keeps the claim photo's file)",
            "no picture 9f2c… in this tenant's store",
        ),
        **MALFORMED,
        **SERVER_ERRORS,
    },
)
def get_thumbnail(
    image_id: Annotated[ImageIdText, Path(description="the sha256 a report gives the picture")],
    tenant: TenantDep,
    settings: SettingsDep,
    store: StoreDep,
) -> Response:
    """`image_id` as a report names it: a photo's own `image_id`, relevance's `ordered.catalog_image`
    and `other.catalog_image`, reuse's `matches[].image_id`. A catalog imported before thumbnails
    were stored has none until its images are added or imported again."""
    data = picture_thumbnail(store, tenant, image_id, settings)
    if data is None:
        raise Refused(404, "picture.not_found", image_id=image_id[:12])
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=3600"})
