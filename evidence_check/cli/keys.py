"""`evidence-check keys create TENANT | list | revoke KEY_ID`: the API keys of tenants."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from evidence_check.cli.app import DbOption, app, check_tenant, fail, opened_store
from evidence_check.engine import now_utc
from evidence_check.store.keys import create_key, list_keys, revoke_key

keys_app = typer.Typer(help="API keys: each belongs to one tenant (a merchant).", no_args_is_help=True)
app.add_typer(keys_app, name="keys")



@keys_app.command("create")
def create(
    tenant: Annotated[str, typer.Argument(help="the merchant this key acts for")], db: DbOption = None
) -> None:
    """Create a key for TENANT and print it. It is shown this once; only its hash is kept."""
    check_tenant(tenant)
    with opened_store(db) as store:
        key_id, secret = create_key(store, tenant, now_utc())
    print(secret)
    print(
        f"key {key_id} for tenant {tenant}: shown once, keep it now (Authorization: Bearer KEY)",
        file=sys.stderr,
    )


@keys_app.command("list")
def list_(db: DbOption = None) -> None:
    """List keys: id, tenant, created, revoked. Secrets are never shown again."""
    with opened_store(db) as store:
        keys = list_keys(store)
    if not keys:
        print("no keys yet (the server answers only on loopback, without keys)", file=sys.stderr)
        return
    print(f"{'KEY_ID':<16} {'TENANT':<24} {'CREATED':<20} REVOKED")
    for key in keys:
        revoked = key.revoked_at.strftime("%Y-%m-%d %H:%M") if key.revoked_at else "-"
        print(f"{key.key_id:<16} {key.tenant:<24} {key.created_at.strftime('%Y-%m-%d %H:%M'):<20} {revoked}")


@keys_app.command("revoke")
def revoke(
    key_id: Annotated[str, typer.Argument(help="as shown by `keys list`")], db: DbOption = None
) -> None:
    """Revoke a key: requests with it get 401 from now on."""
    with opened_store(db) as store:
        found = revoke_key(store, key_id, now_utc())
    if not found:
        fail(f"no key {key_id!r} (see `evidence-check keys list`)")
    print(f"revoked {key_id}", file=sys.stderr)
