"""`evidence-check verify`: one claim, one report."""

from __future__ import annotations

import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from evidence_check.cli.app import DbOption, app, check_tenant, fail, load_settings, open_store, stored_name
from evidence_check.engine import Upload, now_utc
from evidence_check.imaging.load import PhotoError, read_file
from evidence_check.intake import IntakeError, build_claim, check_claim_photos, check_region_photo
from evidence_check.models import Claim, ClaimReason, WantedOutcome
from evidence_check.render.annotated import annotated_pictures
from evidence_check.render.html import render_html, thumbnail_uri
from evidence_check.render.text import render_text
from evidence_check.service import evidence_thumbnails, limits_from, nothing_readable, upload_id, verify_claim
from evidence_check.storable import shown_all, shown_json
from evidence_check.store import StoreError
from evidence_check.store.claim_files import claim_image_ids, sent_fields


class OutputFormat(StrEnum):
    text = "text"
    json = "json"
    html = "html"


class Language(StrEnum):
    en = "en"
    zh = "zh"


@app.command()
def verify(
    photos: Annotated[list[Path], typer.Argument(help="the claim's photos", show_default=False, readable=False)],
    sku: Annotated[str | None, typer.Option(help="ordered product, as registered in the catalog")] = None,
    ordered_at: Annotated[str | None, typer.Option(help="ISO 8601 date or date-time")] = None,
    shipped_at: Annotated[str | None, typer.Option(help="ISO 8601 date or date-time")] = None,
    delivered_at: Annotated[str | None, typer.Option(help="ISO 8601 date or date-time")] = None,
    claimed_at: Annotated[str | None, typer.Option(help="ISO 8601; default: now")] = None,
    claim_id: Annotated[str | None, typer.Option(help="default: a new id")] = None,
    customer_id: Annotated[str | None, typer.Option()] = None,
    order_id: Annotated[str | None, typer.Option(help="the order the claim is about")] = None,
    reason: Annotated[
        ClaimReason | None, typer.Option(case_sensitive=False, help="default: the claim's as sent before, else damaged")
    ] = None,
    wanted: Annotated[
        WantedOutcome | None, typer.Option(case_sensitive=False, help="what the customer asks for")
    ] = None,
    region: Annotated[
        str | None,
        typer.Option(
            help="X,Y,W,H in pixels of the first photo, or N:X,Y,W,H of photo N (from 1); none or N:none takes "
            "back the region a claim's earlier request drew on that photo, sent again"
        ),
    ] = None,
    category: Annotated[str | None, typer.Option(help="product category for claim windows")] = None,
    tz: Annotated[str | None, typer.Option(help="IANA zone for times without offset")] = None,
    lang: Annotated[Language, typer.Option(help="language of the sentences")] = Language.en,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", help="text, json or html")
    ] = OutputFormat.text,
    as_json: Annotated[bool, typer.Option("--json", help="short for --format json")] = False,
    out: Annotated[Path | None, typer.Option(help="write the report to this file")] = None,
    no_record: Annotated[bool, typer.Option("--no-record", help="analyse only; remember nothing")] = False,
    tenant: Annotated[str, typer.Option(help="merchant the claim belongs to (its catalog, its earlier claims)")] = "default",
    db: DbOption = None,
) -> None:
    """Verify the photos of one claim and print its confidence report."""
    check_tenant(tenant)
    settings = load_settings()
    now = now_utc()
    def claim_of(earlier: dict[str, Any] | None) -> Claim:
        claim = build_claim(
            now=now,
            time_zone=tz,
            default_zone=settings.time_zone,
            sku=sku,
            ordered_at=ordered_at,
            shipped_at=shipped_at,
            delivered_at=delivered_at,
            claimed_at=claimed_at,
            claim_id=claim_id,
            customer_id=customer_id,
            order_id=order_id,
            reason=reason.value if reason else None,
            wanted=wanted.value if wanted else None,
            region=region,
            category=category,
            lang=lang.value,
            tenant=tenant,
            earlier=earlier,
        )
        check_region_photo(claim, len(photos))
        return claim

    try:
        claim = claim_of(None)  # a usage error is told before the store is opened
    except IntakeError as exc:
        fail(str(exc), 2)
    if out is not None:
        refuse_unwritable(out)
    store = open_store(db or settings.db)
    earlier = sent_fields(store, tenant, claim_id) if claim_id else None
    if earlier is not None:
        try:
            claim = claim_of(earlier)
        except IntakeError as exc:
            store.close()
            fail(str(exc), 2)
    limits = limits_from(settings)
    uploads = []
    for path in photos:
        try:
            uploads.append(Upload(stored_name(path.name), read_file(path, limits)))
        except PhotoError as exc:
            uploads.append(Upload(stored_name(path.name), None, exc))
    if not no_record:
        try:
            held = claim_image_ids(store, tenant, claim.claim_id)
            check_claim_photos(claim.claim_id, held, (upload_id(u) for u in uploads if u.data is not None), settings.max_photos)
        except (IntakeError, StoreError) as exc:
            store.close()
            fail(str(exc), 2 if isinstance(exc, IntakeError) else 1)
    fmt = OutputFormat.json if as_json else output_format
    try:
        outcome = verify_claim(claim, uploads, settings=settings, store=store, now=now, record=not no_record)
        # The pictures the photos were matched with, shown beside them on the page.
        evidence = evidence_thumbnails(store, tenant, outcome.body, settings) if fmt is OutputFormat.html else {}
    except StoreError as exc:  # a read-only or full disk: the report would claim a record there is not
        fail(str(exc))
    except IntakeError as exc:  # the claim filled by another request while these photos were analysed
        fail(str(exc), 2)
    finally:
        store.close()
    if outcome.readable == 0:
        fail(str(nothing_readable(outcome.report)))

    # What the customer sent (file names, EXIF text) and the catalog holds is printed: not obeyed.
    if fmt is OutputFormat.json:
        text = shown_json(outcome.body)
    elif fmt is OutputFormat.html:
        thumbnails = {photo.image_id: thumbnail_uri(photo.working) for photo in outcome.photos}
        show_gps = settings.for_tenant(claim.tenant).html_show_gps
        annotated = annotated_pictures(outcome.body, outcome.photos)
        text = render_html(shown_all(outcome.body), lang.value, thumbnails, show_gps, evidence, annotated=annotated)
    else:
        text = render_text(shown_all(outcome.body), lang.value, colour=out is None and sys.stdout.isatty())
    if out is None:
        sys.stdout.write(text)
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {out}: {exc.strerror or exc}")


def refuse_unwritable(out: Path) -> None:
    """A report file that cannot be written is told before the photos are analysed: recorded first,
    the claim would be stored with its report lost, and sent again (a new claim id) find its photos
    "sent in claim c-..." that nobody saw. A write failing later (a full disk) is still told then."""
    if out.is_dir():
        fail(f"cannot write {out}: it is a folder")
    if not out.parent.is_dir():
        fail(f"cannot write {out}: no such folder {out.parent}")
    if not os.access(out if out.exists() else out.parent, os.W_OK):
        fail(f"cannot write {out}: permission denied")
