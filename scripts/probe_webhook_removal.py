"""Does an event queued while its receiver is removed stay pending with no receiver?

    .venv/bin/python scripts/probe_webhook_removal.py [--rounds 40] [--db URL]

Each round sets a tenant's receiver; four threads queue `claim.verified` events through the outbox
(`queue_events`), each in a transaction that lasts 2 ms more, as a record's would; 10 to 50 ms in, the
receiver is removed. Printed: the events queued and those left pending with no receiver (before any
delivery pass, which would end them). On a fresh SQLite store, or --db (a throwaway PostgreSQL database).
"""

from __future__ import annotations

import argparse
import random
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from evidence_check.store import Store
from evidence_check.store.outbox import Event, queue_events
from evidence_check.store.webhooks import deliveries, remove_webhook, set_webhook

NOW = datetime(2026, 12, 6, tzinfo=UTC)


def round_of(store: Store, tenant: str) -> tuple[int, int]:
    set_webhook(store, tenant, "http://127.0.0.1:9/hook", "whsec_probe", lambda: NOW)
    stop = threading.Event()
    counts: list[int] = []

    def queue() -> None:
        queued = 0
        while not stop.is_set():
            with store.sessions.begin() as session:
                queued += len(queue_events(session, tenant, [Event("claim.verified", {"claim_id": "c"})], NOW))
                time.sleep(0.002)  # the rest of the record's transaction
        counts.append(queued)

    threads = [threading.Thread(target=queue) for _ in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(random.uniform(0.01, 0.05))
    remove_webhook(store, tenant)
    time.sleep(0.03)
    stop.set()
    for thread in threads:
        thread.join()
    pending = sum(d.status == "pending" for d in deliveries(store, tenant, limit=100_000).items)
    return sum(counts), pending


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--db", help="a store URL (default: a fresh SQLite file)")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        store = Store(options.db or f"sqlite:///{Path(folder) / 'store.sqlite3'}")
        try:
            queued = orphans = 0
            for number in range(options.rounds):
                kept, pending = round_of(store, f"t{number}")
                queued, orphans = queued + kept, orphans + pending
            print(f"rounds {options.rounds}, events queued {queued}, pending with no receiver {orphans}")
        finally:
            store.close()


if __name__ == "__main__":
    main()
