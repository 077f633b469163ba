"""`evidence-check stock add`: remember stock, internet and review photos for the reuse look."""

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
from evidence_check.imaging.load import Limits, PhotoError, read_file
from evidence_check.references import add_references
from evidence_check.service import limits_from

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
