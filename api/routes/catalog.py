"""`POST /v1/catalog/{sku}/images`: the shop's own product images, for the relevance and reuse looks."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Path

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
from api.routes.rendering import SERVER_ERRORS, UNAUTHORIZED, problem
from api.schemas import CatalogAdded, IdText, NoOutline, SkippedFile
from evidence_check import strict_json
from evidence_check.catalog import parse_image_zones, valid_label
from evidence_check.catalog.labels import LabelInvalid
from evidence_check.catalog.zones import ZonesInvalid
from evidence_check.engine import Upload, now_utc
from evidence_check.service import add_to_catalog, no_outline_text
from evidence_check.storable import TextUnstorable, storable_text
from evidence_check.widths import CATEGORY_WIDTH, LABEL_WIDTH, NAME_WIDTH

router = APIRouter(prefix="/catalog", tags=["references"], route_class=KeyFirstRoute)
IMAGES_FIELD = "images"
TEXT_FIELDS = ("name", "category", "brand", "family", "zones")


@router.post(
    "/{sku:id}/images",
    status_code=201,
    response_model=CatalogAdded,
    summary="Add catalog images of a product",
    openapi_extra=images_body(
        {
            "name": {"type": "string", "maxLength": NAME_WIDTH, "description": "the product's name"},
            "category": {"type": "string", "maxLength": CATEGORY_WIDTH, "description": "its category"},
            "brand": {"type": "string", "maxLength": LABEL_WIDTH, "description": "its maker (default: the name's first word)"},
            "family": {
                "type": "string",
                "maxLength": LABEL_WIDTH,
                "description": "a line of the brand whose packs share one design",
            },
            "zones": {
                "type": "string",
                "description": "JSON: part name -> [x, y, w, h] in the first image's pixels, "
                "or image file name -> such a map",
            },
        },
        {"name": "Travel bag", "category": "bags", "brand": "Acme", "zones": '{"logo": [120, 80, 200, 90]}'},
    ),
    responses={
        201: {
            "description": "What was stored for the SKU; unreadable files are listed and skipped",
            "content": {"application/json": {"example": {"sku": "BAG-001", "added": 2, "skipped": []}}},
        },
        **UNAUTHORIZED,
        413: TOO_LARGE,
        422: problem(
            "No `images` part, a malformed field, or no readable image",
            'zones: not JSON (expected {"name": [x, y, w, h], ...})',
        ),
        **SERVER_ERRORS,
    },
)
def add_catalog_images(
    sku: Annotated[IdText, Path(description="the product, as orders name it")],
    form: UploadFormDep,
    tenant: TenantDep,
    settings: SettingsDep,
    store: StoreDep,
    lang: LangDep,
) -> CatalogAdded:
    """Form fields: `images` (one or more files), optional `name`, `category`, `brand`, `family` and
    `zones` (JSON: part name -> [x, y, w, h] in the first image's pixels, or image file name -> such a
    map). The brand and family tell the relevance look which SKUs are variants of one design.
    Features are computed once, here; the images also become the shop's listing photos, so a
    customer sending one back is caught."""
    form.refuse_others(IMAGES_FIELD, TEXT_FIELDS)
    images = [f for f in form.files if f.field == IMAGES_FIELD]
    if not images:
        raise Refused(422, "catalog.no_images", field=IMAGES_FIELD)
    one_library_thread_here()
    zones = _zones(form.fields.get("zones"), [f.filename or "upload" for f in images])
    try:
        brand = valid_label("brand", form.fields.get("brand"))
        family = valid_label("family", form.fields.get("family"))
        name = storable_text("name", form.fields.get("name") or None, NAME_WIDTH)
        category = storable_text("category", form.fields.get("category") or None, CATEGORY_WIDTH)
    except (LabelInvalid, TextUnstorable) as exc:
        raise Refused(422, exc.code, **exc.params) from None
    try:
        result = add_to_catalog(
            store,
            tenant,
            sku,
            [Upload(f.filename or "upload", f.data) for f in images],
            name=name,
            category=category,
            zones=zones,
            settings=settings,
            now=now_utc(),
            brand=brand,
            family=family,
        )
    except ZonesInvalid as exc:  # a zone wholly outside its image, once the image's size is known
        raise Refused(422, "catalog.zones_invalid", problem=exc) from None
    if not result.stored:
        first = result.skipped[0]
        raise Refused(422, "references.nothing_readable", filename=first[0], problem=first[1])
    return CatalogAdded(
        sku=sku,
        added=result.added,
        skipped=[SkippedFile(filename=name, error=reason.text(lang)) for name, reason in result.skipped],
        no_outline=no_outline_items(result.without_outline, lang),
    )


def no_outline_items(images: tuple[tuple[str, float], ...], lang: str) -> list[NoOutline]:
    """Each image stored without a product outline, with its warning in the reader's language."""
    return [NoOutline(filename=name, outline_share=share, warning=no_outline_text(name, share, lang)) for name, share in images]


def _zones(text: str | None, filenames: list[str]) -> dict[str, dict[str, list[int]]] | None:
    if not text:
        return None
    try:
        return parse_image_zones(strict_json.loads(text), filenames)
    except strict_json.NameTwice as exc:
        raise Refused(422, "input.name_twice", where="zones", name=exc.name) from None
    except json.JSONDecodeError:
        raise Refused(422, "catalog.zones_not_json") from None
    except ZonesInvalid as exc:
        raise Refused(422, "catalog.zones_invalid", problem=exc) from None
