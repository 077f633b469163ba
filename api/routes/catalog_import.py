"""`POST /v1/catalog/import`: many SKUs at once, from a zip archive of a manifest and its images,
with the command line's semantics (`evidence_check.importing`) and the archive's bounds
(`evidence_check.catalog.archive`)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request

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
from api.routes.catalog import no_outline_items
from api.routes.openapi import TOO_LARGE, multipart_body
from api.routes.rendering import SERVER_ERRORS, UNAUTHORIZED, answer, problem
from api.schemas import CatalogImported, ImportedRow, SkippedFile
from evidence_check.catalog.archive import ArchiveLimits, open_catalog_archive
from evidence_check.engine import now_utc
from evidence_check.errors import WordedError
from evidence_check.importing import import_catalog

router = APIRouter(prefix="/catalog", tags=["references"], route_class=KeyFirstRoute)
ARCHIVE_FIELD = "archive"
_TRUE, _FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off")

IMPORT_EXAMPLE = {
    "skus": 2,
    "images": 3,
    "reindexed": 3,
    "rows": [
        {"row": "line 1", "sku": "BAG-001", "stored": True, "added": 2, "known": 0, "skipped": []},
        {
            "row": "line 2",
            "sku": "MUG-7",
            "stored": True,
            "added": 1,
            "known": 0,
            "skipped": [{"filename": "mug/side.jpg", "error": "not in the archive"}],
        },
    ],
}

IMPORT_BODY = multipart_body(
    {
        "type": "object",
        "properties": {
            ARCHIVE_FIELD: {
                "type": "string",
                "format": "binary",
                "description": "a zip of manifest.jsonl or manifest.csv (at its root or in its one "
                "top folder) and the images it names, relative to it",
            },
            "reindex": {
                "type": "string",
                "enum": ["true", "false"],
                "description": "fit the catalog's vocabulary again when images were added (default true)",
            },
        },
        "required": [ARCHIVE_FIELD],
    },
    ARCHIVE_FIELD,
    "application/zip, application/octet-stream",
    {ARCHIVE_FIELD: "catalog.zip", "reindex": "true"},
)


@router.post(
    "/import",
    response_model=CatalogImported,
    summary="Import many SKUs from a zip of a manifest and its images",
    openapi_extra=IMPORT_BODY,
    responses={
        200: answer("What each manifest row added, held already or skipped", IMPORT_EXAMPLE),
        **UNAUTHORIZED,
        413: TOO_LARGE,
        422: problem(
            "An archive over its bounds or unreadable, a malformed manifest row, zones that are not boxes "
            "on the row's images, or no image that could be used; nothing was stored. Or the processes "
            "measuring images died on 3 files in a row (files that crash the decoder): the rows before kept",
            "manifest.jsonl: line 4: sku: '' must be 1-128 letters, digits or . _ - : @ / + (not . or .. alone)",
        ),
        **SERVER_ERRORS,
    },
)
def import_catalog_archive(
    request: Request, form: UploadFormDep, tenant: TenantDep, settings: SettingsDep, store: StoreDep, lang: LangDep
) -> CatalogImported:
    """The manifest is the command line's (`evidence-check catalog import`): one SKU per JSONL line
    (`sku`, `name`, `category`, `images`, optional `zones`) or CSV row (`sku,name,category,images`,
    images separated by `;`). A malformed row refuses the whole archive before anything is stored;
    each row is then stored on its own: a SKU that exists gets the images it lacks, an image that
    cannot be used is skipped with its reason. Sending the same archive again finishes an import
    that stopped: images held whole already are not measured again. A file that kills the process
    measuring it is skipped with its reason; three in a row, none measured between, stop the import
    (422, the rows before kept).

    Bounds (422 beyond, nothing stored): 10,000 entries, 1,000 images named, each image at most the
    per-file limit and 100 times its compressed size, 1 GB decompressed in all; no name leaving the
    archive, no archive inside it, no encrypted entry."""
    archives = [f for f in form.files if f.field == ARCHIVE_FIELD]
    if len(archives) != 1 or set(form.fields) - {"reindex"}:
        raise Refused(422, "catalog_import.one_archive", field=ARCHIVE_FIELD)
    reindex = _flag(form.fields.get("reindex", "true"))
    limits = ArchiveLimits(max_file_bytes=settings.max_file_bytes)
    # Measuring takes the analysis gate as a claim does: imports and claims share its bound on memory.
    with request.app.state.gate:
        one_library_thread_here()
        try:
            archive = open_catalog_archive(archives[0].spool, limits)
            result = import_catalog(
                store, tenant, archive.entries, archive.read_image, settings=settings, now=now_utc(), reindex=reindex
            )
        except WordedError as exc:  # the archive's bounds, a malformed row, a row's zones, NothingUsable
            raise Refused(422, exc.code, **exc.params) from None
        except ValueError as exc:  # none other is known to reach here; unworded, in English
            raise HTTPException(422, str(exc)) from None
    rows = [
        ImportedRow(
            row=str(row.where),
            sku=row.sku,
            stored=row.stored,
            added=row.added,
            known=row.known,
            skipped=[SkippedFile(filename=name, error=why.text(lang)) for name, why in row.skipped],
            no_outline=no_outline_items(row.without_outline, lang),
        )
        for row in result.rows
    ]
    return CatalogImported(
        skus=sum(row.stored for row in rows),
        images=sum(row.added for row in rows),
        reindexed=result.reindexed,
        rows=rows,
    )


def _flag(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise Refused(422, "catalog_import.reindex_not_flag", value=text[:40])

