"""What the webhook tests share: a receiver on loopback, the photos, the moment and the secret they
use, and an event queued as a record's transaction queues it (`queue_events`, the outbox)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from evidence_check.store import Store
from evidence_check.store.outbox import Event, queue_events

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "images"
NOW = datetime(2026, 11, 16, 4, 0, tzinfo=UTC)
# How often a test's HTTP server looks whether it was told to stop: `shutdown()` waits for that look,
# and at http.server's 0.5 s default each test ended with ~0.5 s of waiting.
POLL_SECONDS = 0.01
SECRET = "whsec_test"


class Receiver:
    """An HTTP server on 127.0.0.1 that answers each POST with the next status of `answers`."""

    def __init__(self, answers: list[int]) -> None:
        self.answers = answers
        self.received: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers), body))
                status = receiver.answers.pop(0) if receiver.answers else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(POLL_SECONDS,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def queue_event(store: Store, tenant: str, name: str, data: dict[str, Any], when: datetime) -> int:
    """One event queued by the outbox in a transaction of its own, as a record's would queue it; its
    delivery's id. The tenant must have a receiver (without one nothing is queued: a test's mistake)."""
    with store.sessions.begin() as session:
        [queued] = queue_events(session, tenant, [Event(name, data)], when)
    return queued
