"""`evidence-check webhooks set | show | remove | log | deliver`: events for a tenant's intake system."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from evidence_check.cli.app import DbOption, app, check_tenant, fail, load_settings, opened_store
from evidence_check.storable import shown
from evidence_check.store.webhooks import deliveries, remove_webhook, webhook_of
from evidence_check.webhooks import EVENTS, WebhookInvalid, deliver_due, set_receiver

webhooks_app = typer.Typer(
    help=f"Webhooks: {', '.join(EVENTS)} POSTed to a tenant's receiver, signed and retried.",
    no_args_is_help=True,
)
app.add_typer(webhooks_app, name="webhooks")

TenantArgument = Annotated[str, typer.Argument(help="the merchant whose events these are")]
ANSWER_WIDTH = 100  # `log`'s last column: the receiver's answer, or why it was never reached (the proxy, a lookup)


@webhooks_app.command("set")
def set_(
    tenant: TenantArgument,
    url: Annotated[str, typer.Argument(help="where to POST the events (http:// or https://)")],
    db: DbOption = None,
) -> None:
    """Send TENANT's events to URL; prints the new signing secret, shown this once. The operator may
    name any address, loopback and private ones too (a tenant's key over the API may not)."""
    check_tenant(tenant)
    with opened_store(db) as store:
        try:
            secret = set_receiver(store, tenant, url, set_by_tenant=False, private_allowed=True).secret
        except WebhookInvalid as exc:
            fail(str(exc), 2)
    print(secret)
    print(f"webhook of {tenant}: {url}; the secret above signs every body (shown once)", file=sys.stderr)


@webhooks_app.command("show")
def show(tenant: TenantArgument, db: DbOption = None) -> None:
    """Where TENANT's events go (the secret is not shown again)."""
    check_tenant(tenant)
    with opened_store(db) as store:
        hook = webhook_of(store, tenant)
    if hook is None:
        fail(f"no webhook for {tenant}")
    print(shown(hook.url))  # one stored before control characters were refused is printed, not obeyed


@webhooks_app.command("remove")
def remove(tenant: TenantArgument, db: DbOption = None) -> None:
    """Stop sending TENANT's events; those not yet delivered are marked failed."""
    check_tenant(tenant)
    with opened_store(db) as store:
        removed = remove_webhook(store, tenant)
    if not removed:
        fail(f"no webhook for {tenant}")
    print(f"webhook of {tenant} removed", file=sys.stderr)


@webhooks_app.command("log")
def log(
    tenant: TenantArgument,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="how many, newest first")] = 20,
    db: DbOption = None,
) -> None:
    """The latest deliveries: event, status, attempts, the receiver's answer."""
    check_tenant(tenant)
    with opened_store(db) as store:
        rows = deliveries(store, tenant, limit).items
    print(f"{'ID':>6} {'EVENT':<17} {'STATUS':<10} {'TRIES':>5} {'CREATED':<19} ANSWER")
    for row in rows:
        # The receiver's answer is a stranger's text: printed, not obeyed.
        answer = _first_shown(row.last_error or (str(row.last_status) if row.last_status else "-"), ANSWER_WIDTH)
        created = row.created_at.strftime("%Y-%m-%d %H:%M:%S")
        print(f"{row.id:>6} {row.event:<17} {row.status:<10} {row.attempts:>5} {created:<19} {answer}")


def _first_shown(text: str, width: int) -> str:
    """As much of `text`, `shown`, as fits in `width` columns, cut between characters: cut after
    escaping, "\\x1b" could lose its end and read as another text."""
    kept = ""
    for character in text:
        piece = shown(character)
        if len(kept) + len(piece) > width:
            break
        kept += piece
    return kept


@webhooks_app.command("deliver")
def deliver(db: DbOption = None) -> None:
    """Send every event that is due now, once (servers do it by themselves; this is for a cron)."""
    settings = load_settings()
    with opened_store(db, settings) as store:
        sent = deliver_due(
            store, private_allowed=settings.webhook_private_addresses, proxy=settings.webhook_proxy
        )
    print(f"{sent} delivered", file=sys.stderr)
