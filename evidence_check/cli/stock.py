"""`evidence-check stock add|list|remove`: the stock, internet and review photos the reuse look
remembers, as `POST`, `GET` and `DELETE /v1/stock` keep them for a server's clients."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from evidence_check.cli.app import (
    DbOption,
    app,
    check_tenant,
    fail,
    load_settings,
    note,
    opened_store,
    stored_name,
)
from evidence_check.engine import now_utc
from evidence_check.errors import error_text
from evidence_check.imaging.load import Limits, PhotoError, read_file
from evidence_check.intake import valid_image_id
from evidence_check.references import add_references
from evidence_check.service import limits_from
from evidence_check.storable import shown
from evidence_check.store.reference_photos import delete_reference_photo, list_reference_photos

stock_app = typer.Typer(
    help="Reference photos (stock libraries, other buyers' reviews).", no_args_is_help=True
)
app.add_typer(stock_app, name="stock")

# File names worth trying in a folder; anything else in it is not even read.
IMAGE_SUFFIXES = {
    ".jpg",
    ".jpeg",
    ".png",
    ".webp",
    ".heic",
    ".heif",
    ".avif",
    ".tif",
    ".tiff",
    ".gif",
    ".bmp",
}


class ReferenceKind(StrEnum):
    stock = "stock"
    review = "review"


@stock_app.command("add")
def add(
    paths: Annotated[list[Path], typer.Argument(help="image files or folders (searched recursively)", readable=False)],
    kind: Annotated[
        ReferenceKind, typer.Option(help="stock (library/internet) or review (buyers')")
    ] = ReferenceKind.stock,
    tenant: Annotated[str, typer.Option(help="the merchant these references belong to")] = "default",
    db: DbOption = None,
) -> None:
    """Add reference photos; each is later caught if a customer sends it, however edited."""
    check_tenant(tenant)
    settings = load_settings()
    limits = limits_from(settings)
    files = list(_walk(paths))
    if not files:
        fail("no image files found in " + ", ".join(str(p) for p in paths), 2)
    with opened_store(db, settings) as store:
        result = add_references(
            store,
            tenant,
            kind.value,
            _read_all(files, limits),
            limits,
            now_utc(),
            progress=lambda done: _progress(done, len(files)),
            keep_features=settings.reuse_keep_features,
        )
    sys.stderr.write("\n" if sys.stderr.isatty() else "")
    for name, reason in result.skipped:
        note(f"skipped {name}: {reason}")
    for other in result.other_kind:
        note(str(other))
    if result.added == result.known == 0:
        # As `catalog add` and `POST /v1/stock`: a script must not read success into nothing stored.
        fail(f"none of the {len(result.skipped)} file(s) could be used")
    print(
        f"{result.added} added, {result.known} already known, {len(result.skipped)} skipped "
        f"({kind.value} photos of tenant {tenant})"
    )


LIST_PAGE = 1000


@stock_app.command("list")
def list_(
    kind: Annotated[ReferenceKind | None, typer.Option(help="only this kind")] = None,
    tenant: Annotated[str, typer.Option(help="the merchant these references belong to")] = "default",
    db: DbOption = None,
) -> None:
    """List the reference photos, newest first, with the image id `stock remove` takes."""
    check_tenant(tenant)
    settings = load_settings()
    wanted = kind.value if kind else None
    with opened_store(db, settings) as store:
        rows = list_reference_photos(store, tenant, wanted, LIST_PAGE)
        if not rows:
            adding = f" --kind {wanted}" if wanted == "review" else ""
            print(f"no {wanted or 'reference'} photos (add them with: evidence-check stock add IMAGE|DIR ...{adding})")
            return
        print(f"{'kind':<7} {'added (UTC)':<17} {'image id':<64}  name")
        while rows:
            for row in rows:
                added = row.added_at.strftime("%Y-%m-%d %H:%M")
                # A stored file name is printed, not obeyed (control characters as escapes).
                print(f"{row.kind:<7} {added:<17} {row.image_id:<64}  {shown(row.reference_id)}")
            more = len(rows) == LIST_PAGE
            rows = list_reference_photos(store, tenant, wanted, LIST_PAGE, rows[-1].id) if more else []


@stock_app.command("remove")
def remove(
    image_id: Annotated[str, typer.Argument(help="the picture's sha256, as `stock list` and reports give it")],
    tenant: Annotated[str, typer.Option(help="the merchant these references belong to")] = "default",
    db: DbOption = None,
) -> None:
    """Forget a stock or review photo: claims are no longer matched against it."""
    check_tenant(tenant)
    if not valid_image_id(image_id):
        fail(error_text("input.bad_image_id", {"field": "IMAGE_ID", "value": image_id}), 2)
    settings = load_settings()
    with opened_store(db, settings) as store:
        removed = delete_reference_photo(store, tenant, image_id)
    if not removed:
        fail(error_text("reference.not_found", {"image_id": image_id}))
    print(f"removed {image_id}")


def _read_all(
    files: list[tuple[Path, str]], limits: Limits
) -> Iterator[tuple[str, str, bytes | None, PhotoError | None]]:
    for path, ref_id in files:
        try:
            yield stored_name(ref_id), stored_name(path.name), read_file(path, limits), None
        except PhotoError as exc:
            yield stored_name(ref_id), stored_name(path.name), None, exc


def _walk(paths: list[Path]) -> Iterator[tuple[Path, str]]:
    """(file, reference id): a folder's files under their path relative to it, a file under its name."""
    for path in paths:
        if path.is_dir():
            for found in sorted(path.rglob("*")):
                if found.is_file() and found.suffix.lower() in IMAGE_SUFFIXES:
                    yield found, found.relative_to(path).as_posix()
        else:
            yield path, path.name


def _progress(done: int, total: int) -> None:
    if sys.stderr.isatty():
        width = 30
        filled = width * done // total
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
    elif done == total or done % 500 == 0:
        sys.stderr.write(f"{done}/{total} photos\n")
    sys.stderr.flush()
