"""`evidence-check reuse forget-features`: retention of what the reuse look keeps of each photo."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer

from evidence_check.cli.app import DbOption, app, check_tenant, load_settings, opened_store
from evidence_check.engine import now_utc
from evidence_check.references import forget_features
from evidence_check.store.claim_files import forget_photo_files

reuse_app = typer.Typer(help="What the reuse look keeps of photos.", no_args_is_help=True)
app.add_typer(reuse_app, name="reuse")


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
    with opened_store(db, settings) as store:
        before = now_utc() - timedelta(days=older_than)
        count = forget_features(store, before, tenant)
        files = forget_photo_files(store, before, tenant)
    print(f"forgot the features of {count} photo(s) and {files} photo file(s) first seen over {older_than:g} days ago")
