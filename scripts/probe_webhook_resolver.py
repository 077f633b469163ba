"""How long setting a tenant's receiver takes when the name's resolver does not answer.

    .venv/bin/python scripts/probe_webhook_resolver.py [--silence 30] [--puts 3]

Stands in for a resolver that does not answer: `socket.getaddrinfo` of `hooks.silent.example`
answers nothing for `--silence` seconds (then "temporary failure"). Each PUT's way into the store
(`webhooks.set_receiver`, as a tenant's key sets it) is timed on a fresh SQLite store in a temporary
folder; printed: each PUT's seconds and what it came to (refused, or stored).
"""

from __future__ import annotations

import argparse
import socket
import tempfile
import time
from pathlib import Path

from evidence_check import webhooks
from evidence_check.store import Store
from evidence_check.store.webhooks import webhook_of

SILENT = "hooks.silent.example"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--silence", type=float, default=30.0, help="seconds the resolver keeps silent")
    parser.add_argument("--puts", type=int, default=3)
    options = parser.parse_args()
    real = socket.getaddrinfo

    def silent(host: object, port: object, *args: object, **kwargs: object) -> object:
        if host == SILENT:
            time.sleep(options.silence)
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        return real(host, port, *args, **kwargs)  # type: ignore[arg-type]

    socket.getaddrinfo = silent  # type: ignore[assignment]
    with tempfile.TemporaryDirectory() as folder:
        store = Store(f"sqlite:///{Path(folder) / 'store.sqlite3'}")
        try:
            print("put  seconds  outcome")
            for number in range(1, options.puts + 1):
                started = time.monotonic()
                try:
                    webhooks.set_receiver(
                        store, "acme", f"https://{SILENT}/hook", set_by_tenant=True, private_allowed=False
                    )
                    outcome = "stored" if webhook_of(store, "acme") else "?"
                except webhooks.WebhookInvalid as exc:
                    outcome = f"refused: {exc}"
                print(f"{number:>3}  {time.monotonic() - started:7.2f}  {outcome}")
        finally:
            store.close()


if __name__ == "__main__":
    main()
