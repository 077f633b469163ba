"""API keys, the console sessions signed out, and the requests already answered (idempotency).

A key is shown once when created; only its sha256 is kept. A revoked key stays as a row, so that
"no key was ever created" (the single-user trial on loopback) never comes back by revoking keys.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from evidence_check.store.tables import Base
from evidence_check.widths import SESSION_ID_WIDTH, TENANT_WIDTH


class ApiKeyRow(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_id: Mapped[str] = mapped_column(String(32), unique=True)  # public name, for list and revoke
    tenant: Mapped[str] = mapped_column(String(TENANT_WIDTH))
    secret_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class EndedSessionRow(Base):
    """A console session signed out before its time. The session is a signed cookie with no row of
    its own, so a copy of the cookie would open the console until it expires: this row refuses it,
    in every process, until then. Past `expires_at` the cookie is refused anyway and the row may go."""

    __tablename__ = "ended_sessions"

    session_id: Mapped[str] = mapped_column(String(SESSION_ID_WIDTH), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class RequestKeyRow(Base):
    """A request already answered: its key points at the report it produced.

    `request_key` is either a client's Idempotency-Key or the digest of a claim id with its photos
    and fields; the unique constraint is what stops two processes recording the same request twice.
    `request_digest` is the digest of the whole request a client's key was first used for: the key
    sent again with anything else is a conflict (NULL for keys recorded before digests were kept).
    """

    __tablename__ = "request_keys"
    __table_args__ = (UniqueConstraint("tenant", "request_key", name="uq_request_keys_tenant_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(TENANT_WIDTH))
    request_key: Mapped[str] = mapped_column(String(300))
    request_digest: Mapped[str | None] = mapped_column(String(64))
    report_pk: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
