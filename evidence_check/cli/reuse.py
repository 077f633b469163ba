"""`evidence-check reuse forget-features`: retention of what the reuse look keeps of each photo;
`reuse add-middle-codes`: the codes of photos recorded before today's are completed."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from evidence_check.cli.app import DbOption, app, check_tenant, fail, load_settings, opened_store
from evidence_check.engine import now_utc
from evidence_check.references import forget_features, reuse_folder
from evidence_check.reuse_file import HostFile
from evidence_check.reuse_rows import backfill_middle
from evidence_check.service import limits_from
from evidence_check.store.claim_files import forget_photo_files
from evidence_check.store.sqlite_file import sqlite_file

reuse_app = typer.Typer(help="What the reuse look keeps of photos.", no_args_is_help=True)
app.add_typer(reuse_app, name="reuse")


def refuse_missing_sqlite_file(url: str) -> None:
    """These commands change photos a store has: a SQLite path that names no file is a mistyped
    one, which opening would make a new empty store of (and report nothing to do)."""
    try:
        file = sqlite_file(make_url(url))
    except ArgumentError:
        return  # opening the store says why
    if file is not None and not file.exists():
        fail(f"no store at {file}: no such SQLite file")


@reuse_app.command("forget-features")
def forget(
    older_than: Annotated[
        float, typer.Option("--older-than", min=0, max=36500, help="days since the photo was first seen")
    ],
    tenant: Annotated[str | None, typer.Option(help="only this merchant's photos (default: all)")] = None,
    db: DbOption = None,
) -> None:
    """Delete the keypoints and grey thumbnails kept of photos older than N days, and the photos'
    files; keep their hashes.

    Those photos are still found when sent again, but confirmed by PDQ distance alone: a crop or a
    heavily edited copy of them is no longer caught, and their claims can no longer be verified again.
    """
    if tenant is not None:
        check_tenant(tenant)
    settings = load_settings()
    refuse_missing_sqlite_file(db or settings.db)
    with opened_store(db, settings) as store:
        before = now_utc() - timedelta(days=older_than)
        count = forget_features(store, before, tenant)
        files = forget_photo_files(store, before, tenant)
    print(f"forgot the features of {count} photo(s) and {files} photo file(s) first seen over {older_than:g} days ago")


@reuse_app.command("add-middle-codes")
def add_middle_codes(
    tenant: Annotated[str | None, typer.Option(help="only this merchant's photos (default: all)")] = None,
    drop_reuse_file: Annotated[
        bool,
        typer.Option(
            "--drop-reuse-file", help="delete this host's reuse file even if no row changed (on a store's other hosts)"
        ),
    ] = False,
    db: DbOption = None,
) -> None:
    """Give photos recorded before the middle crop code (a tenth cut off every side) that code, so
    such a crop of them is found; hashed from the photo's kept file, else from its kept thumbnail
    (nearly the same code), else left as it is (also a picture whose thumbnail is under 32 px on a
    side, and a row of fewer codes than the picture's and its nine crops').

    Safe while servers run; rows already complete are left alone, so it can be run again (or after
    being stopped). The host's reuse file holds the codes as they were: it is deleted when rows
    changed, and each server process of the host maps the one the first of them builds at its next
    lookup. On a store's other hosts, or when a run was stopped after its last rows were written,
    run it with --drop-reuse-file. Processes without a reuse file (an in-memory store) see the codes
    after a restart.
    """
    if tenant is not None:
        check_tenant(tenant)
    settings = load_settings()
    refuse_missing_sqlite_file(db or settings.db)
    with opened_store(db, settings) as store:
        done = backfill_middle(store, tenant, limits_from(settings))
        folder = reuse_folder(store, settings)
        print(
            f"middle crop code added to {done.exact} photo(s) from their files and {done.approximate} from their "
            f"thumbnails; {done.skipped} skipped (no file or thumbnail kept); {done.complete} had it already"
            + (f"; {done.unknown_layout} of an unknown layout left alone" if done.unknown_layout else "")
        )
        if folder is not None and (drop_reuse_file or done.exact + done.approximate):
            try:
                HostFile(folder, store.url).remove()
            except OSError as exc:
                fail(
                    f"could not delete the host's reuse file in {folder} ({exc.strerror}): its servers keep the old "
                    "codes until it is deleted (run again with --drop-reuse-file)"
                )
