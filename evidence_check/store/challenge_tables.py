"""Tables of the report room: retake challenges issued for claims, and the agents' final outcomes.

Both are keyed by tenant and claim id, like every other table, so that a merchant only ever sees
its own. A claim may be challenged more than once; the latest challenge is the open one. An
outcome may be corrected; the latest one counts.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from evidence_check.store.tables import Base
from evidence_check.widths import ID_WIDTH, SESSION_ID_WIDTH, TENANT_WIDTH


class ChallengeRow(Base):
    __tablename__ = "challenges"
    __table_args__ = (Index("ix_challenges_tenant_claim", "tenant", "claim_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(TENANT_WIDTH))
    claim_id: Mapped[str] = mapped_column(String(ID_WIDTH))
    code: Mapped[str] = mapped_column(String(16))
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class OutcomeRow(Base):
    __tablename__ = "outcomes"
    __table_args__ = (
        Index("ix_outcomes_tenant_claim", "tenant", "claim_id", "id"),
        Index("uq_outcomes_tenant_request_key", "tenant", "request_key", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(TENANT_WIDTH))
    claim_id: Mapped[str] = mapped_column(String(ID_WIDTH))
    decision: Mapped[str] = mapped_column(String(16))  # genuine | fraud
    note: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Who decided (`outcomes.DecidedBy`); all null on rows recorded before 0018.
    decided_key: Mapped[str | None] = mapped_column(String(32))  # api_keys.key_id; None: trial, CLI
    decided_via: Mapped[str | None] = mapped_column(String(8))  # api | console | cli
    decided_session: Mapped[str | None] = mapped_column(String(SESSION_ID_WIDTH))  # the console sign-in's opaque id
    # An API client's Idempotency-Key (`outcomes.OutcomeKey`), as sha256 digests; null without one and
    # on rows recorded before 0019.
    request_key: Mapped[str | None] = mapped_column(String(64))
    request_digest: Mapped[str | None] = mapped_column(String(64))
