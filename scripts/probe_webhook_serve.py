"""Are webhook events delivered once each, none lost, by `serve --workers 2` under load?

    .venv/bin/python scripts/probe_webhook_serve.py [--seconds 30] [--db URL]

On a fresh SQLite store (or --db, e.g. a throwaway PostgreSQL database) with one key and a receiver
set by the operator, `evidence-check serve --workers 2` runs while two clients verify claims for
`--seconds` (three in ten sent again with their Idempotency-Key) and record an outcome for each
(three in ten sent again unchanged). The receiver on loopback answers one POST in ten 500 (so
deliveries are retried), checks each signature and counts 2xx answers per delivery id. Printed:
what the clients recorded, what the receiver accepted by event, duplicates, bad signatures, and
deliveries left pending after the drain (up to 3 min: a retry comes 10 s, then 30 s later).
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import io
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
from PIL import Image
from sqlalchemy import create_engine, text

CLAIM = {"ordered_at": "2026-11-10T10:00", "delivered_at": "2026-11-14T15:00", "tz": "Asia/Shanghai"}
CLI = str(Path(sys.executable).parent / "evidence-check")


def photo(seed: int) -> bytes:
    rng = random.Random(seed)
    image = Image.new("RGB", (16, 12))
    image.putdata([(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(192)])
    out = io.BytesIO()
    image.resize((320, 240)).save(out, "JPEG", quality=90)
    return out.getvalue()


class Receiver:
    def __init__(self) -> None:
        self.secret, self.lock, self.rng = "", threading.Lock(), random.Random(7)
        self.accepted: dict[str, str] = {}
        self.posts = self.failed_on_purpose = self.bad_signatures = self.duplicates = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                signed = f"{self.headers['X-Evidence-Check-Timestamp']}.".encode() + body
                wanted = "sha256=" + hmac.new(receiver.secret.encode(), signed, hashlib.sha256).hexdigest()
                delivery = self.headers["X-Evidence-Check-Delivery"]
                with receiver.lock:
                    receiver.posts += 1
                    receiver.bad_signatures += not hmac.compare_digest(wanted, self.headers["X-Evidence-Check-Signature"])
                    fail = receiver.rng.random() < 0.1
                    receiver.failed_on_purpose += fail
                    if not fail:
                        receiver.duplicates += delivery in receiver.accepted
                        receiver.accepted[delivery] = json.loads(body)["event"]
                self.send_response(500 if fail else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def load(base: str, key: str, seconds: float, client: int, done: dict[str, int], lock: threading.Lock) -> None:
    headers = {"Authorization": f"Bearer {key}"}
    rng = random.Random(client)
    with httpx.Client(base_url=base, timeout=60) as http:
        end, number = time.monotonic() + seconds, 0
        while time.monotonic() < end:
            number += 1
            claim_id, data = f"w{client}-{number}", photo(client * 1_000_000 + number)
            for _ in range(2 if rng.random() < 0.3 else 1):
                answer = http.post(
                    "/v1/verify",
                    files=[("photos", ("p.jpg", data, "image/jpeg"))],
                    data={**CLAIM, "claim_id": claim_id},
                    headers={**headers, "Idempotency-Key": f"k-{claim_id}"},
                )
                with lock:
                    done["errors" if answer.status_code != 200 else "verify requests"] += 1
            decision = rng.choice(["genuine", "fraud"])
            for again in range(2 if rng.random() < 0.3 else 1):
                answer = http.post(f"/v1/claims/{claim_id}/outcome", json={"outcome": decision}, headers=headers)
                with lock:
                    done["errors" if answer.status_code != 200 else "outcomes sent again" if again else "outcomes"] += 1
            with lock:
                done["claims"] += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--db", help="a store URL (default: a fresh SQLite file)")
    parser.add_argument("--port", type=int, default=18765)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = options.db or f"sqlite:///{Path(folder) / 'store.sqlite3'}"
        receiver = Receiver()
        receiver.secret = subprocess.run(
            [CLI, "webhooks", "set", "acme", receiver.url, "--db", db], check=True, capture_output=True, text=True
        ).stdout.strip()
        key = subprocess.run(
            [CLI, "keys", "create", "acme", "--db", db], check=True, capture_output=True, text=True
        ).stdout.strip()
        environment = {**os.environ, "EVIDENCE_CHECK_DB": db, "EVIDENCE_CHECK_WEBHOOK_INTERVAL_SECONDS": "1"}
        server = subprocess.Popen(
            [CLI, "serve", "--host", "127.0.0.1", "--port", str(options.port), "--workers", "2"],
            env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        base = f"http://127.0.0.1:{options.port}"
        try:
            for _ in range(120):
                try:
                    if httpx.get(f"{base}/healthz").status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.5)
            done: Counter[str] = Counter()
            lock = threading.Lock()
            clients = [
                threading.Thread(target=load, args=(base, key, options.seconds, n, done, lock)) for n in range(2)
            ]
            for client in clients:
                client.start()
            for client in clients:
                client.join()
            engine = create_engine(db)
            pending_query = text("SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'")
            for _ in range(90):
                with engine.connect() as connection:
                    pending = connection.execute(pending_query).scalar()
                if pending == 0:
                    break
                time.sleep(2)
            engine.dispose()
        finally:
            server.terminate()
            server.wait(30)
        with receiver.lock:
            print("clients:", dict(done))
            print("accepted by event:", dict(Counter(receiver.accepted.values())))
            print(
                f"posts {receiver.posts}, answered 500 on purpose {receiver.failed_on_purpose}, "
                f"2xx twice for one delivery {receiver.duplicates}, bad signatures {receiver.bad_signatures}, "
                f"pending after the drain {pending}"
            )


if __name__ == "__main__":
    main()
