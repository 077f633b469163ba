"""Tenants' API keys: create (shown once), list, revoke, and the tenant a presented key belongs to;
the console sessions opened with them that were signed out."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, exists, select

from evidence_check.errors import WordedError
from evidence_check.store.database import Store, insert_dialect, store_errors
from evidence_check.store.keys_tables import ApiKeyRow, EndedSessionRow
from evidence_check.widths import TENANT_WIDTH

_TENANT = re.compile(rf"[A-Za-z0-9][\w.-]{{0,{TENANT_WIDTH - 1}}}")
PREFIX = "ec_"


@dataclass(frozen=True)
class KeyInfo:
    key_id: str
    tenant: str
    created_at: datetime
    revoked_at: datetime | None


class TenantInvalid(WordedError, ValueError):
    """A tenant name no API key can carry."""


def valid_tenant(name: str) -> bool:
    return _TENANT.fullmatch(name) is not None


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@store_errors("could not store the key")
def create_key(store: Store, tenant: str, now: datetime) -> tuple[str, str]:
    """A new key for `tenant`: (key_id, the secret). Only the secret's sha256 is stored."""
    if not valid_tenant(tenant):
        raise TenantInvalid("keys.bad_tenant", tenant=tenant)
    key_id = f"k_{secrets.token_hex(6)}"
    # 32 random bytes: a guess is hopeless, so one sha256 (no slow hash) is enough to store it.
    secret = f"{PREFIX}{secrets.token_urlsafe(32)}"
    with store.sessions.begin() as session:
        session.add(ApiKeyRow(key_id=key_id, tenant=tenant, secret_sha256=digest(secret), created_at=now))
    return key_id, secret


@store_errors("could not list keys")
def list_keys(store: Store) -> list[KeyInfo]:
    with store.sessions() as session:
        rows = session.scalars(select(ApiKeyRow).order_by(ApiKeyRow.tenant, ApiKeyRow.id)).all()
        return [KeyInfo(r.key_id, r.tenant, r.created_at, r.revoked_at) for r in rows]


@store_errors("could not revoke the key")
def revoke_key(store: Store, key_id: str, now: datetime) -> bool:
    """True when the key existed and is now revoked (revoking twice keeps the first time)."""
    with store.sessions.begin() as session:
        row = session.scalar(select(ApiKeyRow).where(ApiKeyRow.key_id == key_id))
        if row is None:
            return False
        if row.revoked_at is None:
            row.revoked_at = now
        return True


@store_errors("could not read keys")
def any_key(store: Store) -> bool:
    """Whether a key was ever created; revoked keys count, so revoking never reopens the trial mode."""
    with store.sessions() as session:
        return session.scalar(select(ApiKeyRow.id).limit(1)) is not None


@store_errors("could not check the key")
def key_for(store: Store, secret: str) -> tuple[str, str] | None:
    """(tenant, public key id) of a valid, unrevoked key, else None."""
    if not secret.startswith(PREFIX) or len(secret) > 200:
        return None
    with store.sessions() as session:
        row = session.execute(
            select(ApiKeyRow.tenant, ApiKeyRow.key_id, ApiKeyRow.revoked_at).where(
                ApiKeyRow.secret_sha256 == digest(secret)
            )
        ).first()
    if row is None or row.revoked_at is not None:
        return None
    return str(row.tenant), str(row.key_id)


@dataclass(frozen=True)
class SessionKey:
    """What a console session's cookie is checked against: the key it names, and its own end."""

    tenant: str
    secret_sha256: str
    session_ended: bool  # signed out, on any process


@store_errors("could not check the session")
def session_key(store: Store, key_id: str, session_id: str) -> SessionKey | None:
    """The unrevoked key `key_id`, and whether session `session_id` was signed out (one query, as
    every console page asks); None when the key is unknown or revoked."""
    ended = exists().where(EndedSessionRow.session_id == session_id)
    with store.sessions() as session:
        row = session.execute(
            select(ApiKeyRow.tenant, ApiKeyRow.secret_sha256, ApiKeyRow.revoked_at, ended.label("ended")).where(
                ApiKeyRow.key_id == key_id
            )
        ).first()
    if row is None or row.revoked_at is not None:
        return None
    return SessionKey(str(row.tenant), str(row.secret_sha256), bool(row.ended))


@store_errors("could not end the session")
def end_session(store: Store, session_id: str, expires_at: datetime, now: datetime) -> None:
    """Refuse session `session_id` from now until `expires_at`; ending it again changes nothing. The
    rows of sessions past their expiry are removed here, so after a sign-out the table holds only
    sessions that could still be used: at most one session's lifetime of sign-outs."""
    with store.sessions.begin() as session:
        session.execute(delete(EndedSessionRow).where(EndedSessionRow.expires_at <= now))
        # Ended already (signed out in two tabs at once): nothing to add. Not a unique violation
        # caught afterwards: on PostgreSQL it aborts the transaction, purge and all, and logs an error.
        ended = insert_dialect(session).insert(EndedSessionRow).values(session_id=session_id, expires_at=expires_at)
        session.execute(ended.on_conflict_do_nothing(index_elements=[EndedSessionRow.session_id]))
