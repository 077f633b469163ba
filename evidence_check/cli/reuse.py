"""`evidence-check reuse forget-features`: retention of what the reuse look keeps of each photo;
`reuse add-middle-codes`: the codes of photos recorded before today's are completed; `reuse
refresh`: stored rows fingerprinted again by today's code."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from evidence_check.cli.app import DbOption, app, check_tenant, fail, load_settings, note, opened_store
from evidence_check.engine import now_utc
from evidence_check.references import forget_features, reuse_folder
from evidence_check.reuse_file import HostFile
from evidence_check.reuse_refresh import Refreshed, count_rows, refresh_rows
from evidence_check.reuse_rows import backfill_middle
from evidence_check.service import limits_from
from evidence_check.store.claim_files import forget_photo_files
from evidence_check.store.sqlite_file import sqlite_file

reuse_app = typer.Typer(help="What the reuse look keeps of photos.", no_args_is_help=True)
app.add_typer(reuse_app, name="reuse")

DropOption = Annotated[
    bool,
    typer.Option(
        "--drop-reuse-file", help="delete this host's reuse file even if no row changed (on a store's other hosts)"
    ),
]


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
    drop_reuse_file: DropOption = False,
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
        if drop_reuse_file or done.exact + done.approximate:
            drop_host_file(folder, store.url)


def drop_host_file(folder: Path | None, url: str) -> None:
    """The host's reuse file holds the codes as they were read: deleted, the servers map a new one."""
    if folder is None:
        return
    try:
        HostFile(folder, url).remove()
    except OSError as exc:
        fail(
            f"could not delete the host's reuse file in {folder} ({exc.strerror}): its servers keep the old "
            "codes until it is deleted (run again with --drop-reuse-file)"
        )


@reuse_app.command("refresh")
def refresh(
    tenant: Annotated[str | None, typer.Option(help="only this merchant's photos (default: all)")] = None,
    drop_reuse_file: DropOption = False,
    db: DbOption = None,
) -> None:
    """Fingerprint every stored photo again from its kept file, as recording it today would: run
    after upgrading, so photos recorded by an earlier version are looked up as new ones are (their
    colours compared, a screenshot cut down to a review photo hashed on its picture).

    A photo with no kept file (KEEP_PHOTO_FILES off, its file deleted by forget-features, a catalog,
    stock or review picture no claim sent) is counted and left as it is; so is one whose file no
    longer loads or fails to hash (logged). Keypoints and thumbnails are rewritten only where the
    row has them and REUSE_KEEP_FEATURES is on: features never kept or forgotten stay so.

    Safe while servers run, and can be stopped and run again: rows already current are counted,
    not rewritten, and a row written by another process while this one hashed it is left for the
    next run. A progress line goes to stderr every 2000 photos. When codes changed, the host's
    reuse file is deleted and each server process of the host maps the one the first of them
    builds at its next lookup; on a store's other hosts, or when a run was stopped after its last
    rows were written, run it with --drop-reuse-file.
    """
    if tenant is not None:
        check_tenant(tenant)
    settings = load_settings()
    refuse_missing_sqlite_file(db or settings.db)
    with opened_store(db, settings) as store:
        total = count_rows(store, tenant)

        def told(done: Refreshed) -> None:
            note(f"refresh: {done.looked_at} of {total} photo(s) looked at, {done.refreshed} refreshed")

        done = refresh_rows(store, tenant, limits_from(settings), settings.reuse_keep_features, progress=told)
        print(
            f"refreshed {done.refreshed} photo(s) ({done.new_codes} with new codes); {done.current} already current; "
            f"{done.no_file} with no file kept; {done.unreadable} whose file cannot be hashed"
            + (f"; {done.changed} changed by another process meanwhile (run again)" if done.changed else "")
        )
        if drop_reuse_file or done.new_codes:
            drop_host_file(reuse_folder(store, settings), store.url)
