"""`evidence-check reverify CLAIM`: a recorded claim's kept photos analysed again, as of today."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from evidence_check.cli.app import DbOption, app, check_tenant, fail, load_settings, opened_store
from evidence_check.engine import now_utc
from evidence_check.intake import valid_id
from evidence_check.render.text import render_text
from evidence_check.service import reverify_claim
from evidence_check.storable import shown_all, shown_json
from evidence_check.store.claim_files import NotKept


@app.command()
def reverify(
    claim_id: Annotated[str, typer.Argument(help="a claim verified before", show_default=False)],
    tenant: Annotated[str, typer.Option(help="merchant the claim belongs to")] = "default",
    as_json: Annotated[bool, typer.Option("--json", help="the report as JSON")] = False,
    db: DbOption = None,
) -> None:
    """Analyse the claim's photos again against today's catalog and references; the new report is
    recorded beside the earlier ones (a retry of `verify` returns the stored one instead)."""
    check_tenant(tenant)
    if not valid_id(claim_id):  # names no claim; PostgreSQL could not even look it up
        fail(f"no claim {claim_id!r} for tenant {tenant} in the store")
    settings = load_settings()
    with opened_store(db, settings) as store:
        try:
            outcome = reverify_claim(store, tenant, claim_id, settings=settings, now=now_utc())
        except NotKept as exc:
            fail(str(exc))
    if outcome is None:
        fail(f"no claim {claim_id!r} for tenant {tenant} in the store")
    if as_json:
        sys.stdout.write(shown_json(outcome.body))
    else:
        sys.stdout.write(render_text(shown_all(outcome.body), outcome.report.claim.lang, colour=sys.stdout.isatty()))
