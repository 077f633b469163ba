"""A, then B, then A's retry: key A decides each claim, key B decides otherwise, then A's client sends
its request again (its answer lost). Counts what was recorded and how the retry was answered.

    .venv/bin/python scripts/probe_outcome_retry.py [--db URL] [--claims 200]

Through `service.decide`, the API's path to the store (no `seen`), once with A sending an
Idempotency-Key and once without. With the key a retry must record nothing, be answered as A's
decision was (its time), and leave B's the latest; without one, A's request sent again after B's is
A deciding again (it cannot be told from a late retry) and is recorded. One table row for each.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

from evidence_check.engine import now_utc
from evidence_check.service import decide
from evidence_check.store import Store
from evidence_check.store.challenge_tables import OutcomeRow
from evidence_check.store.outcomes import DecidedBy, latest_decision
from evidence_check.store.tables import ClaimRow

A, B = DecidedBy("api", "k_aaaaaaaaaaaa"), DecidedBy("api", "k_bbbbbbbbbbbb")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default=None)
    parser.add_argument("--claims", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        store = Store(args.db or f"sqlite:///{Path(folder) / 'store.sqlite3'}")
        try:
            run(store, args.claims)
        finally:
            store.close()


def run(store: Store, claims: int) -> None:
    print("| backend | A's key | claims | rows (a retry: 2 a claim) | answered as the first | B's the latest | time |")
    for idempotency_key in ("a-decides", None):
        run_once(store, claims, idempotency_key)


def run_once(store: Store, claims: int, idempotency_key: str | None) -> None:
    tenant = f"probe-{time.time_ns()}"
    now = now_utc()
    with store.sessions.begin() as session:
        for n in range(claims):
            session.add(ClaimRow(tenant=tenant, claim_id=f"c-{n}", reason="damaged", created_at=now, updated_at=now))
    answered_as_first = latest_is_b = 0
    started = time.perf_counter()
    for n in range(claims):
        claim = f"c-{n}"
        key = f"{idempotency_key}-{n}" if idempotency_key else None
        first = decide(store, tenant, claim, "genuine", "refund", by=A, idempotency_key=key)
        decide(store, tenant, claim, "fraud", None, by=B)
        retry = decide(store, tenant, claim, "genuine", "refund", by=A, idempotency_key=key)
        answered_as_first += (retry.decided_at, retry.replaced, retry.by) == (first.decided_at, first.replaced, A)
        latest = latest_decision(store, tenant, claim)
        latest_is_b += latest is not None and latest.by == B
    took = time.perf_counter() - started
    with store.sessions() as session:
        rows = session.scalar(select(func.count()).select_from(OutcomeRow).where(OutcomeRow.tenant == tenant))
    backend = "PostgreSQL" if store.url.startswith("postgresql") else "SQLite"
    sent = "yes" if idempotency_key else "none"
    print(f"| {backend} | {sent} | {claims} | {rows} | {answered_as_first} | {latest_is_b} | {took:.1f} s |")


if __name__ == "__main__":
    main()
