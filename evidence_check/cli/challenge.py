"""`evidence-check challenge`: issue a retake code for a claim; later photos are checked for it."""

from __future__ import annotations

from typing import Annotated

import typer

from evidence_check.checks.challenge import new_code
from evidence_check.cli.app import DbOption, app, check_tenant, fail, load_settings, opened_store
from evidence_check.engine import now_utc
from evidence_check.errors import error_text
from evidence_check.intake import valid_id
from evidence_check.store.outcomes import has_claim, issue_challenge

_SAY = {
    "en": (
        "Challenge for claim {claim}: {code}\n"
        "Ask the customer to write {code} clearly on a sheet of paper, lay it beside the item and take a "
        "new photo now; then verify that photo with --claim-id {claim}.\n"
    ),
    "zh": (
        "售后申请 {claim} 的补拍验证码：{code}\n"
        "请客户把 {code} 清楚地写在纸上，放在商品旁边，现在重新拍照；然后用 --claim-id {claim} 验证这张照片。\n"
    ),
}


@app.command()
def challenge(
    claim_id: Annotated[str, typer.Argument(help="the claim to challenge", show_default=False)],
    tenant: Annotated[str, typer.Option(help="merchant the claim belongs to")] = "default",
    lang: Annotated[str, typer.Option(help="en or zh")] = "en",
    db: DbOption = None,
) -> None:
    """Issue a short random code the customer writes down and photographs beside the item."""
    if not valid_id(claim_id):
        fail(error_text("intake.bad_id", {"field": "claim_id", "value": claim_id}), 2)
    check_tenant(tenant)
    if lang not in _SAY:
        fail(f"lang must be en or zh, got {lang!r}", 2)
    settings = load_settings().for_tenant(tenant)
    with opened_store(db, settings) as store:
        if not has_claim(store, tenant, claim_id):
            fail(f"no claim {claim_id!r} for tenant {tenant} in the store: verify its photos first")
        issued = issue_challenge(store, tenant, claim_id, new_code(settings.challenge_length), now_utc())
    typer.echo(_SAY[lang].format(claim=claim_id, code=issued.code), nl=False)
