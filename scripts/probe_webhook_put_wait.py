"""How long does a PUT of a tenant's receiver take while the tenant's events are being queued?

    .venv/bin/python scripts/probe_webhook_put_wait.py --db postgresql+psycopg://.../THROWAWAY [--puts 200]

Four threads queue `claim.verified` events through the outbox (`queue_events`), each in a transaction
that lasts 2 ms more, as a record's would; meanwhile `set_webhook` replaces the receiver `--puts` times,
5 ms apart. Printed: the PUTs' median, 90th percentile and longest time. PostgreSQL (a throwaway
database): on SQLite every write waits for the one writer whatever the locks.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from datetime import UTC, datetime

from evidence_check.store import Store
from evidence_check.store.outbox import Event, queue_events
from evidence_check.store.webhooks import set_webhook

NOW = datetime(2026, 12, 6, tzinfo=UTC)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="a throwaway PostgreSQL store's URL")
    parser.add_argument("--puts", type=int, default=200)
    options = parser.parse_args()
    store = Store(options.db)
    stop = threading.Event()

    def queue() -> None:
        while not stop.is_set():
            with store.sessions.begin() as session:
                queue_events(session, "probe", [Event("claim.verified", {"claim_id": "c-1"})], NOW)
                time.sleep(0.002)

    try:
        set_webhook(store, "probe", "http://127.0.0.1:9/hook", "whsec_probe", lambda: NOW)
        queuers = [threading.Thread(target=queue) for _ in range(4)]
        for thread in queuers:
            thread.start()
        took = []
        try:
            for number in range(options.puts):
                started = time.perf_counter()
                set_webhook(store, "probe", f"http://127.0.0.1:9/{number}", "whsec_probe", lambda: datetime.now(UTC))
                took.append((time.perf_counter() - started) * 1000)
                time.sleep(0.005)
        finally:
            stop.set()
            for thread in queuers:
                thread.join()
        took.sort()
        print(
            f"{options.puts} PUTs: median {statistics.median(took):.1f} ms, "
            f"p90 {took[int(len(took) * 0.9)]:.1f} ms, longest {took[-1]:.1f} ms"
        )
    finally:
        store.close()


if __name__ == "__main__":
    main()
