"""`evidence-check outcome` and `stats`: what agents finally decided, and how the checks fared."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from evidence_check import calibration
from evidence_check.cli.app import (
    DbOption,
    app,
    check_storable,
    check_tenant,
    fail,
    load_settings,
    opened_store,
)
from evidence_check.errors import error_text
from evidence_check.intake import valid_id
from evidence_check.service import decide
from evidence_check.store import outcomes as recorded_outcomes
from evidence_check.store.outcomes import DecidedBy, DecidedMeanwhile, decided_claims, has_claim
from evidence_check.widths import NOTE_WIDTH


class Decision(StrEnum):
    genuine = "genuine"
    fraud = "fraud"


@app.command()
def outcome(
    claim_id: Annotated[str, typer.Argument(help="a claim verified before", show_default=False)],
    decision: Annotated[Decision, typer.Argument(help="genuine or fraud", show_default=False)],
    note: Annotated[str | None, typer.Option(help="why, for the record")] = None,
    tenant: Annotated[str, typer.Option(help="merchant the claim belongs to")] = "default",
    seen: Annotated[
        int | None,
        typer.Option(
            min=0,
            help="the decision id you read (printed here, or the API's decision_id), 0 for none: refused, nothing "
            "recorded, when another was recorded since; the API's seen",
            show_default=False,
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """Record what the agent finally decided about a claim (the latest decision counts)."""
    check_tenant(tenant)
    note = check_storable("note", note, NOTE_WIDTH)
    settings = load_settings()
    with opened_store(db, settings) as store:
        # An id the ID rule refuses names no claim (PostgreSQL could not even look it up).
        if not valid_id(claim_id) or not has_claim(store, tenant, claim_id):
            fail(f"no claim {claim_id!r} in the store: verify its photos first")
        try:
            recorded = decide(store, tenant, claim_id, decision.value, note, seen, by=DecidedBy("cli"))
        except DecidedMeanwhile as meanwhile:
            fail(_decided_meanwhile(claim_id, seen, meanwhile.latest))
    typer.echo(f"claim {claim_id}: {decision.value} (decision {recorded.decision_id})")
    if recorded.replaced is not None:
        # The agent may not know the claim was decided before; the API's answer says so as `replaced`.
        typer.echo(f"it replaces the claim's earlier decision, {recorded.replaced} (both are kept)")


def _decided_meanwhile(claim_id: str, seen: int | None, latest: recorded_outcomes.Decision | None) -> str:
    """The API's 409 in one line: the decision recorded since the one `--seen` names, and who decided."""
    if latest is None:
        return error_text("claim.no_decision_seen_cli", {"claim_id": claim_id, "seen": seen})
    by = latest.by
    if by.via is None:
        who = error_text("claim.decided_by_unknown", {})
    elif by.key is None:
        who = error_text("claim.decided_by_keyless", {"via": by.via})
    else:
        who = error_text("claim.decided_by_key", {"via": by.via, "key": by.key})
    said = {
        "claim_id": claim_id,
        "seen": seen,
        "outcome": latest.decision,
        "decided_at": latest.decided_at.isoformat(),
        "who": who,
        "decision_id": latest.id,
    }
    return error_text("claim.decided_meanwhile_cli", said)


@app.command()
def stats(
    tenant: Annotated[str, typer.Option(help="merchant whose outcomes to count")] = "default",
    db: DbOption = None,
) -> None:
    """Per check and status: how often it agreed with the recorded outcomes."""
    check_tenant(tenant)
    settings = load_settings()
    with opened_store(db, settings) as store:
        decided = decided_claims(store, tenant)
    if not decided:
        typer.echo("no outcomes recorded yet: evidence-check outcome CLAIM genuine|fraud")
        return
    fraud = sum(1 for d in decided if d.decision == "fraud")
    typer.echo(f"{len(decided)} claims with an outcome: {fraud} fraud, {len(decided) - fraud} genuine")
    typer.echo(
        f"{'check':<10} {'status':<8} {'claims':>6} {'fraud':>6} {'genuine':>7} {'agreed':>7} "
        f"{'precision':>9} {'FP rate':>8}"
    )
    for row in calibration.table((d.decision, d.report) for d in decided):
        typer.echo(
            f"{row.check:<10} {row.status:<8} {row.claims:>6} {row.fraud:>6} {row.genuine:>7} "
            f"{_pct(row.agreed):>7} {_pct(row.precision):>9} {_pct(row.false_positive_rate):>8}"
        )


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"
