"""Can one tenant's silent names hold up another tenant's deliveries?

    .venv/bin/python scripts/probe_webhook_silent_names.py [--names 8] [--silence 120]

In process, on a fresh SQLite store: getaddrinfo of `*.silent.example` waits --silence seconds, then
fails. Tenant acme sets its receiver to h0.silent.example, h1, ... in turn, one event and one delivery
pass each (every lookup is left waiting); then globex's event, to a receiver on loopback, in one more
pass. Printed: acme's passes (seconds, lookups started), globex's pass (seconds, sent), both last lines.
"""

from __future__ import annotations

import argparse
import socket
import tempfile
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from evidence_check import webhooks
from evidence_check.store import Store
from evidence_check.store.outbox import Event, queue_events
from evidence_check.store.webhooks import deliveries, set_webhook


class Accepting(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--names", type=int, default=8)
    parser.add_argument("--silence", type=float, default=120.0)
    options = parser.parse_args()
    real, asked = socket.getaddrinfo, []

    def silent(host: object, port: object, *args: object, **kwargs: object) -> object:
        if str(host).endswith(".silent.example"):
            asked.append(host)
            time.sleep(options.silence)
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        return real(host, port, *args, **kwargs)  # type: ignore[arg-type]

    socket.getaddrinfo = silent  # type: ignore[assignment]
    server = ThreadingHTTPServer(("127.0.0.1", 0), Accepting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as folder:
        store = Store(f"sqlite:///{Path(folder) / 'store.sqlite3'}")

        def queue(tenant: str, claim_id: str) -> None:
            with store.sessions.begin() as session:
                queue_events(session, tenant, [Event("claim.verified", {"claim_id": claim_id})], now)

        try:
            set_webhook(store, "globex", f"http://127.0.0.1:{server.server_address[1]}/hook", "whsec_g", lambda: now)
            started = time.monotonic()
            for number in range(options.names):
                set_webhook(store, "acme", f"http://h{number}.silent.example/hook", "whsec_a", lambda: now)
                queue("acme", f"c-{number}")
                webhooks.deliver_due(store, now)
            acme_seconds = time.monotonic() - started
            queue("globex", "g-1")
            started = time.monotonic()
            sent = webhooks.deliver_due(store, now)
            print(f"acme's {options.names} passes: {acme_seconds:.1f} s, lookups started {len(asked)}")
            print(f"globex's pass: {time.monotonic() - started:.2f} s, sent {sent}")
            print("acme's last:", deliveries(store, "acme").items[0].last_error)
            print("globex's:", deliveries(store, "globex").items[0].status, deliveries(store, "globex").items[0].last_error)
        finally:
            store.close()
            server.shutdown()


if __name__ == "__main__":
    main()
