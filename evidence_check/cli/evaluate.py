"""`evidence-check eval CORPORA_DIR`: every scenario of docs/domain.md, a table of how each went."""

from __future__ import annotations

import tempfile
import warnings
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer

from evidence_check import scoring
from evidence_check.cli.app import app, fail, load_settings
from evidence_check.evaluation import (
    RESPONSIBLE,
    SCENARIOS,
    ScenarioResult,
    evaluate,
    goal_line,
    held_out,
    held_out_products,
    missed,
    sweep,
)

# What the folder looks like, not the README's relative path again: a clone that is not beside the
# shared folder read "../shared/corpora: not a folder (give ..., e.g. ../shared/corpora)".
CORPORA_HINT = "give the shared corpora folder, the one holding exif-camera-jpegs/, product-matching/, near-duplicates/, …"


@app.command(name="eval")
def eval_command(
    corpora: Annotated[Path, typer.Argument(help="the shared corpora folder (../shared/corpora)")],
    scenario: Annotated[list[str] | None, typer.Option(help="run only these scenarios")] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="at most this many claims per scenario")] = None,
    verbose: Annotated[bool, typer.Option(help="list the claims whose verdict missed the goal")] = False,
    shared: Annotated[
        bool,
        typer.Option("--shared-store", help="one store per scenario: claims see each other, as in real use"),
    ] = False,
    thresholds: Annotated[
        bool, typer.Option("--sweep", help="also re-score every claim under a grid of thresholds")
    ] = False,
) -> None:
    """Build claims from the corpora for every scenario and print accept/review/reject per scenario.

    Scenarios of grocery photos get a second row, "held-out": their claims on the products no
    threshold was fitted on (every second one in name order), the figure that says how the looks
    generalise."""
    if not corpora.is_dir():
        fail(f"{corpora} ({corpora.resolve()}): not a folder ({CORPORA_HINT})", 2)
    unknown = sorted(set(scenario or ()) - set(SCENARIOS))
    if unknown:
        fail(f"unknown scenario {', '.join(unknown)} (use: {', '.join(SCENARIOS)})", 2)
    settings = load_settings()
    header = f"{'scenario':<22} {'claims':>6} {'accept':>6} {'review':>6} {'reject':>6} {'crash':>5} {'check':<10} {'fired':>6} {'ms/claim':>8}  goal"
    typer.echo(header)
    typer.echo("-" * len(header))
    notes: list[str] = []
    results = []
    unseen = held_out_products(corpora)
    # Hostile files make Pillow warn on stderr; the table says what happened to them.
    with tempfile.TemporaryDirectory(prefix="evidence-check-eval-") as folder, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for result in evaluate(corpora, Path(folder), settings, set(scenario or ()) or None, limit, shared):
            results.append(result)
            typer.echo(_row(result.name, result))
            part = held_out(result, unseen)
            if part is not None:
                typer.echo(_row("  held-out", part))
            for problem in result.setup_problems:
                notes.append(f"{result.name}: {problem}")
            if result.note:
                notes.append(f"{result.name}: {result.note}")
            codes = Counter(code for r in result.results for code in r.codes)
            if codes and result.name in RESPONSIBLE:
                notes.append(f"{result.name}: responsible findings {dict(codes.most_common(4))}")
            for r in result.results:
                if r.crashed:
                    notes.append(f"{result.name}: CRASH {r.crashed}")
            if verbose:
                notes += [
                    f"{result.name}: {r.name}: {r.verdict} ({r.basis}) {r.codes}" for r in missed(result)[:10]
                ]
    for note in notes:
        typer.echo(f"  {note}")
    if not any(result.results for result in results):
        # A table of zeros would read as a measurement.
        fail(f"{corpora}: no claim could be built from it ({CORPORA_HINT})", 2)
    if thresholds:
        current = scoring.Rules.from_settings(settings)
        typer.echo("")
        typer.echo(
            "reject_score review_risk  genuine-EXIF accept  genuine not rejected  genuine reviewed"
            "  fraud not accepted  fraud rejected"
        )
        for row in sweep(results, current):
            now = (row.reject_score, row.review_risk) == (current.reject_score, current.review_risk)
            typer.echo(
                f"{row.reject_score:>12.2f} {row.review_risk:>11.2f} {row.genuine_exif_accepted:>20.1%}"
                f" {row.genuine_not_rejected:>21.1%} {row.genuine_reviewed:>17.1%}"
                f" {row.fraud_not_accepted:>19.1%} {row.fraud_rejected:>15.1%}{'  <- current' if now else ''}"
            )


def _row(label: str, result: ScenarioResult) -> str:
    counts = result.counts
    n = len(result.results)
    responsible = "/".join(RESPONSIBLE.get(result.name, ("-",)))
    fired = f"{result.share(lambda r: r.fired):.0%}" if result.name in RESPONSIBLE else "-"
    ms = sum(r.ms for r in result.results) / n if n else 0.0
    goal, met = goal_line(result)
    mark = "" if met is None else (" ok" if met else " MISSED")
    return (
        f"{label:<22} {n:>6} {counts['accept']:>6} {counts['review']:>6} {counts['reject']:>6} "
        f"{counts['crash']:>5} {responsible:<10} {fired:>6} {ms:>8.0f}  {goal}{mark}"
    )
