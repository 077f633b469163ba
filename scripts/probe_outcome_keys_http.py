"""Keys of one tenant deciding the same claims at once over HTTP, against `serve --workers 2` on
PostgreSQL: every decision is recorded with the key that sent it, each answer names that key, and a
retry by the key that decided last records nothing.

    .venv/bin/python scripts/probe_outcome_keys_http.py --server postgresql://postgres@127.0.0.1:5432 \
        [--claims 200] [--keys 3] [--port 18485]

Makes a database of its own on that server (dropped at the end), its claims and keys, starts the
server on it, and prints one table row. No `seen` (the API takes none): each key's decision differs
from the latest by its key, so none is a retry and each claim ends with one row per key.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from evidence_check.engine import now_utc
from evidence_check.store import Store
from evidence_check.store.keys import create_key
from evidence_check.store.tables import ClaimRow


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", required=True, help="a PostgreSQL server's URL, without a database")
    parser.add_argument("--claims", type=int, default=200)
    parser.add_argument("--keys", type=int, default=3)
    parser.add_argument("--port", type=int, default=18485)
    args = parser.parse_args()
    name = f"ec_probe_{int(time.time())}"
    admin = create_engine(args.server.replace("postgresql://", "postgresql+psycopg://") + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = f"{args.server}/{name}"
    server = None
    try:
        store = Store(url)
        keys = [create_key(store, "acme", now_utc()) for _ in range(args.keys)]
        with store.sessions.begin() as session:
            now = now_utc()
            for n in range(args.claims):
                session.add(ClaimRow(tenant="acme", claim_id=f"c-{n}", reason="damaged", created_at=now, updated_at=now))
        store.close()
        command = [str(Path(sys.executable).parent / "evidence-check"), "serve", "--port", str(args.port), "--workers", "2"]
        server = subprocess.Popen([*command, "--db", url, "--log-level", "warning"])
        base = f"http://127.0.0.1:{args.port}"
        _wait_for(base)
        run(base, url, args.claims, keys)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _wait_for(base: str) -> None:
    for _ in range(120):
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("the server did not answer /healthz within a minute")


def _post(base: str, secret: str, claim_id: str, outcome: str) -> tuple[int, dict[str, Any]]:
    sent = urllib.request.Request(
        f"{base}/v1/claims/{claim_id}/outcome",
        data=json.dumps({"outcome": outcome}).encode(),
        headers={"Authorization": f"Bearer {secret}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(sent, timeout=60) as answer:
        return answer.status, json.load(answer)


def run(base: str, url: str, claims: int, keys: list[tuple[str, str]]) -> None:
    statuses: Counter[int] = Counter()
    wrong: list[str] = []
    started = time.perf_counter()
    for n in range(claims):
        gate = threading.Barrier(len(keys))

        def one(i: int, key_id: str, secret: str, claim_id: str = f"c-{n}", gate: threading.Barrier = gate) -> None:
            gate.wait()
            status, body = _post(base, secret, claim_id, ("fraud", "genuine")[i % 2])
            statuses[status] += 1
            if body["decided_by"] != {"key": key_id, "via": "api"}:
                wrong.append(f"{claim_id}: sent with {key_id}, answered {body['decided_by']}")

        threads = [threading.Thread(target=one, args=(i, *key)) for i, key in enumerate(keys)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    seconds = time.perf_counter() - started
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as connection:
        per_claim = connection.execute(
            text("SELECT count(*), count(DISTINCT decided_key), count(decided_session) FROM outcomes GROUP BY claim_id")
        ).all()
        latest = connection.execute(
            text("SELECT DISTINCT ON (claim_id) claim_id, decided_key, decision FROM outcomes ORDER BY claim_id, id DESC")
        ).all()
    rows = sum(r[0] for r in per_claim)
    one_per_key = sum(1 for r in per_claim if r[0] == r[1] == len(keys))
    secret_of = dict(keys)
    for claim_id, key_id, decision in latest:  # each claim's last decider sends it again: a retry
        _post(base, secret_of[key_id], claim_id, decision)
    with engine.connect() as connection:
        added = connection.execute(text("SELECT count(*) FROM outcomes")).scalar_one() - rows
    engine.dispose()
    print(
        f"| {claims} | {len(keys)} | {dict(statuses)} | {rows} | {one_per_key} | {sum(r[2] for r in per_claim)} "
        f"| {len(wrong)} | {added} | {seconds:.1f} s |"
    )
    for line in wrong[:10]:
        print("  ", line)


if __name__ == "__main__":
    main()
