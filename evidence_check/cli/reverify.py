"""`evidence-check reverify CLAIM`: a recorded claim's kept photos analysed again, as of today."""

from __future__ import annotations

import re
import sys
from typing import Annotated, Any

import typer

from evidence_check.cli.app import DbOption, app, check_tenant, fail, load_settings, opened_store
from evidence_check.engine import now_utc
from evidence_check.errors import error_text
from evidence_check.intake import valid_id
from evidence_check.render.text import render_text
from evidence_check.service import (
    IDEMPOTENCY_KEY_PATTERN,
    IDEMPOTENCY_KEY_WIDTH,
    claim_language,
    reverify_claim,
    reverify_keys,
)
from evidence_check.storable import shown_all, shown_json
from evidence_check.store import RequestConflict
from evidence_check.store.claim_files import NotKept


@app.command()
def reverify(
    claim_id: Annotated[str, typer.Argument(help="a claim verified before", show_default=False)],
    tenant: Annotated[str, typer.Option(help="merchant the claim belongs to")] = "default",
    as_json: Annotated[bool, typer.Option("--json", help="the report as JSON")] = False,
    idempotency_key: Annotated[
        str | None,
        typer.Option(
            help="run again with the same key (a script that lost the first answer), it prints the report the "
            "first recorded and records nothing; the API's Idempotency-Key: one key, one request from either"
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """Analyse the claim's photos again against today's catalog and references; the new report is
    recorded beside the earlier ones (a retry of `verify` returns the stored one instead)."""
    check_tenant(tenant)
    if idempotency_key is not None and not (
        len(idempotency_key) <= IDEMPOTENCY_KEY_WIDTH and re.fullmatch(IDEMPOTENCY_KEY_PATTERN, idempotency_key)
    ):
        fail(_for_option(error_text("input.bad_idempotency_key", {"max_length": IDEMPOTENCY_KEY_WIDTH})), 2)
    if not valid_id(claim_id):  # names no claim; PostgreSQL could not even look it up
        fail(f"no claim {claim_id!r} for tenant {tenant} in the store")
    settings = load_settings()
    keys = reverify_keys(claim_id, idempotency_key)
    with opened_store(db, settings) as store:
        try:
            reverified = reverify_claim(store, tenant, claim_id, settings=settings, now=now_utc(), request_keys=keys)
            # A replayed retry carries no language: the claim's is read here, while the store is open.
            lang = (reverified.lang or claim_language(store, tenant, claim_id)) if reverified is not None else "en"
        except NotKept as exc:
            fail(str(exc))
        except RequestConflict:
            fail(_for_option(error_text("request.idempotency_conflict_reverify", {})), 2)
    if reverified is None:
        fail(f"no claim {claim_id!r} for tenant {tenant} in the store")
    _print(reverified.body, lang, as_json)


def _print(body: dict[str, Any], lang: str, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(shown_json(body))
    else:
        sys.stdout.write(render_text(shown_all(body), lang, colour=sys.stdout.isatty()))


def _for_option(api_line: str) -> str:
    """The API's line about its header, naming the option that carries the key here."""
    return api_line.replace("Idempotency-Key", "--idempotency-key", 1)
