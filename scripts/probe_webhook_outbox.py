"""Are a claim's report and its webhook event kept together when the store fails between them?

    .venv/bin/python scripts/probe_webhook_outbox.py [--claims 20] [--db URL]

On a fresh SQLite store (or --db, e.g. a throwaway PostgreSQL database) with a receiver set, each
claim is verified with an Idempotency-Key while a transaction writing a delivery row fails (as a
store briefly unavailable does: at the row's write, or at its commit), then sent again, as a
client retries a request whose answer it did not get. Printed per failure point: claims, reports
kept, claim.verified events kept, reports kept without their event.
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from evidence_check.engine import Upload
from evidence_check.intake import build_claim
from evidence_check.service import verify_claim
from evidence_check.settings import Settings
from evidence_check.store import Store, StoreError
from evidence_check.store.database import request_key
from evidence_check.store.tables import ClaimRow, ReportRow
from evidence_check.store.webhook_tables import DeliveryRow
from evidence_check.store.webhooks import set_webhook

PHOTO = Path(__file__).resolve().parent.parent / "fixtures" / "images" / "no_exif.jpg"
NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


@contextmanager
def failing(when: str) -> Iterator[None]:
    """Transactions writing a delivery row fail at its write (`write`) or at their commit (`commit`)."""

    def on_flush(session: Session, _context: object, _instances: object) -> None:
        if any(isinstance(row, DeliveryRow) for row in session.new):
            if when == "write":
                raise OperationalError("INSERT", None, ConnectionError("the store went away"))
            session.info["delivery_written"] = True

    def on_commit(session: Session) -> None:
        if session.info.pop("delivery_written", False):
            raise OperationalError("COMMIT", None, ConnectionError("the store went away"))

    event.listen(Session, "before_flush", on_flush)
    event.listen(Session, "before_commit", on_commit)
    try:
        yield
    finally:
        event.remove(Session, "before_flush", on_flush)
        event.remove(Session, "before_commit", on_commit)


def run(store: Store, tenant: str, claims: int, when: str) -> tuple[int, int, int, int]:
    set_webhook(store, tenant, "http://127.0.0.1:9/hook", "whsec_probe", lambda: NOW)
    photo = [Upload(PHOTO.name, PHOTO.read_bytes())]
    for number in range(claims):
        claim = build_claim(
            now=NOW, time_zone="UTC", ordered_at="2026-12-01", claim_id=f"c-{number}", tenant=tenant
        )
        keys = (request_key(f"{tenant}-{number}"),)
        # The client is answered 503 and sends the request again.
        with failing(when), contextlib.suppress(StoreError):
            verify_claim(claim, photo, settings=Settings(), store=store, now=NOW, request_keys=keys)
        verify_claim(claim, photo, settings=Settings(), store=store, now=NOW, request_keys=keys)
    with store.sessions() as session:
        reports = session.scalar(
            select(func.count()).select_from(ReportRow).join(ClaimRow).where(ClaimRow.tenant == tenant)
        )
        events = session.scalar(
            select(func.count()).select_from(DeliveryRow).where(DeliveryRow.tenant == tenant)
        )
        payloads = session.scalars(select(DeliveryRow.payload).where(DeliveryRow.tenant == tenant)).all()
    unannounced = claims - len({payload["claim_id"] for payload in payloads})
    return claims, reports or 0, events or 0, unannounced


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=20)
    parser.add_argument("--db", help="a throwaway store; default: SQLite in a temporary folder")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        store = Store(options.db or f"sqlite:///{Path(folder) / 'store.sqlite3'}")
        try:
            print("fails at  claims  reports  events  reports without their event")
            for when in ("write", "commit"):
                claims, reports, events, unannounced = run(store, f"probe-{when}", options.claims, when)
                print(f"{when:<8}  {claims:>6}  {reports:>7}  {events:>6}  {unannounced:>6}")
        finally:
            store.close()


if __name__ == "__main__":
    main()
