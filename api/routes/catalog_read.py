"""The catalog over HTTP besides adding images: list, one SKU, delete, the zones drawn on its images."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Response

from api.deps import StoreDep, TenantDep
from api.json_body import UniqueNamesRoute
from api.refusals import Refused
from api.routes.openapi import JSON_TOO_LARGE
from api.routes.rendering import MALFORMED, SERVER_ERRORS, UNAUTHORIZED, answer, problem
from api.schemas import IdText
from evidence_check.catalog import parse_image_zones
from evidence_check.catalog.zones import ZonesInvalid
from evidence_check.engine import now_utc
from evidence_check.service import remove_from_catalog, set_catalog_zones
from evidence_check.store import Store
from evidence_check.store.catalog_store import SkuSummary, list_skus, sku_images
from evidence_check.widths import ID_WIDTH

router = APIRouter(prefix="/catalog", tags=["references"], route_class=UniqueNamesRoute)
SkuPath = Annotated[IdText, Path(description="the SKU as registered")]
NO_SKU = problem("No such SKU in this key's tenant's catalog", "no SKU 'BAG-001' in the catalog")
SKU_EXAMPLE = {
    "sku": "BAG-001", "name": "Leather bag", "category": "apparel", "brand": "Acme", "family": "leather bags",
    "images": 2, "zones": 3,
}  # fmt: skip


def _summary(found: SkuSummary) -> dict[str, Any]:
    return {
        "sku": found.sku, "name": found.name, "category": found.category, "brand": found.brand,
        "family": found.family, "images": found.images, "zones": found.zones,
    }  # fmt: skip


def sku_cursor(sku: str) -> str:
    """Where a page after `sku` starts, for this route and the console's catalog page (`sku_after`)."""
    return base64.urlsafe_b64encode(sku.encode()).decode().rstrip("=")


# The cursor of the longest SKU: ID_WIDTH code points of four UTF-8 bytes each (a 256 refused the
# cursor this route gave after a SKU of 65 Chinese characters).
CURSOR_WIDTH = len(sku_cursor("\U00020000" * ID_WIDTH))


def sku_after(cursor: str) -> str:
    if len(cursor) > CURSOR_WIDTH:  # the console's address bar has no Query(max_length=) before it
        raise Refused(422, "request.bad_cursor")
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        after = base64.b64decode(padded, altchars=b"-_", validate=True).decode()
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise Refused(422, "request.bad_cursor") from None
    if "\x00" in after:  # no SKU holds one, and PostgreSQL cannot compare with it (a 500)
        raise Refused(422, "request.bad_cursor")
    return after


@router.get(
    "",
    summary="The tenant's SKUs, by SKU",
    responses={
        200: answer("One page of SKUs", {"items": [SKU_EXAMPLE], "next_cursor": None}),
        **UNAUTHORIZED,
        **MALFORMED,
        **SERVER_ERRORS,
    },
)
def get_catalog(
    tenant: TenantDep,
    store: StoreDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[str | None, Query(max_length=CURSOR_WIDTH)] = None,
) -> Any:
    """SKUs with their names, categories, image and zone counts, in SKU order; `next_cursor` pages on."""
    page, next_cursor = skus_page(store, tenant, after=sku_after(cursor) if cursor is not None else None, limit=limit)
    return {"items": [_summary(s) for s in page], "next_cursor": next_cursor}


def skus_page(
    store: Store, tenant: str, *, after: str | None, limit: int, starting: str | None = None
) -> tuple[list[SkuSummary], str | None]:
    """`limit` SKUs after `after` (those starting with `starting`, if given) and the cursor of the
    page after them, None at the end: this route's and the console's catalog page's."""
    skus = list_skus(store, tenant, after=after, limit=limit + 1, starting=starting)  # one more: is there a next page?
    page = skus[:limit]
    return page, sku_cursor(page[-1].sku) if len(skus) > limit else None


@router.get(
    "/{sku:id}",
    summary="One SKU with its images and their zones",
    responses={
        200: answer(
            "The SKU",
            {
                **SKU_EXAMPLE,
                "image_list": [
                    {
                        "image_id": "9f2c…",
                        "filename": "front.jpg",
                        "width": 800,
                        "height": 800,
                        "zones": {"zipper": [120, 40, 200, 60]},
                    }
                ],
            },
        ),
        **UNAUTHORIZED,
        404: NO_SKU,
        **MALFORMED,
        **SERVER_ERRORS,
    },
)
def get_sku(sku: SkuPath, tenant: TenantDep, store: StoreDep) -> Any:
    found = sku_images(store, tenant, sku)
    if found is None:
        raise Refused(404, "catalog.no_sku", sku=sku)
    summary, images = found
    return {**_summary(summary), "image_list": [vars(image) for image in images]}


@router.delete(
    "/{sku:id}",
    status_code=204,
    summary="Delete a SKU and its images from the catalog",
    responses={204: {"description": "Deleted"}, **UNAUTHORIZED, 404: NO_SKU, **MALFORMED, **SERVER_ERRORS},
)
def delete_sku(sku: SkuPath, tenant: TenantDep, store: StoreDep) -> Response:
    """Claims are no longer matched against it; its images stay known as listing photos (a customer
    sending one is still caught by the reuse look)."""
    if not remove_from_catalog(store, tenant, sku):
        raise Refused(404, "catalog.no_sku", sku=sku)
    return Response(status_code=204)


@router.put(
    "/{sku:id}/zones",
    summary="Replace the zones drawn on a SKU's images",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {"example": {"front.jpg": {"zipper": [120, 40, 200, 60], "strap": [0, 0, 80, 400]}}}
            }
        }
    },
    responses={
        200: answer("The SKU with its zones as stored", {**SKU_EXAMPLE, "image_list": []}),
        **UNAUTHORIZED,
        404: NO_SKU,
        413: JSON_TOO_LARGE,
        422: problem("Zones that are not boxes on the SKU's images", "zones name 'side.jpg', which is not one of the images (front.jpg)"),
        **SERVER_ERRORS,
    },
)
def put_zones(sku: SkuPath, zones: Annotated[dict[str, Any], Body()], tenant: TenantDep, store: StoreDep) -> Any:
    """`{"front.jpg": {"zipper": [x, y, w, h]}}` per image, or `{"zipper": [x, y, w, h]}` on the first
    image, in pixels of the catalog image; `{}` removes them all. Images not named keep no zones."""
    found = sku_images(store, tenant, sku)
    if found is None:
        raise Refused(404, "catalog.no_sku", sku=sku)
    filenames = [image.filename for image in found[1]]
    try:
        parsed = parse_image_zones(zones, filenames) if zones else {}
        if not set_catalog_zones(store, tenant, sku, parsed, now_utc()):
            raise Refused(404, "catalog.no_sku", sku=sku)
    except ZonesInvalid as exc:
        raise Refused(422, "catalog.zones_invalid", problem=exc) from None
    return get_sku(sku, tenant, store)
