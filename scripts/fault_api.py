"""Kill the server with -9 under load, again and again, and check that no answered claim was lost.

    .venv/bin/python scripts/fault_api.py [--db URL] [--workers 2] [--clients 6] [--rounds 3] [--seconds 10]

Each round starts `evidence-check serve` (its own process group) on one store, sends claims from
`--clients` threads on loopback (a new photo and claim id each time, recorded), and at a random
moment of up to `--seconds` after the first answer kills the server and its workers with SIGKILL. Afterwards: every claim
answered 200 must be in the store with its photo and report, no claim may be half-written (without
a report or a photo), and the database must pass its integrity check (SQLite: PRAGMA integrity_check
and foreign_key_check; PostgreSQL: amcheck on the indexes of the claim tables, where the extension
may be created). A last server must then answer a new claim and the answered ones. Network traffic
goes to 127.0.0.1 only. SQLite in a temporary folder unless --db (e.g. a throwaway PostgreSQL).
"""

from __future__ import annotations

import argparse
import io
import itertools
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
from PIL import Image
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

sys.path.insert(0, str(Path(__file__).resolve().parent))
from probe_api import CLAIM, Server  # noqa: E402

from evidence_check.store import Store  # noqa: E402

TABLES = ("claims", "photos", "reports", "request_keys")


def photo(seed: int) -> bytes:
    rng = random.Random(seed)
    image = Image.new("RGB", (32, 24))
    image.putdata([(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(32 * 24)])
    out = io.BytesIO()
    image.resize((1200, 900), Image.Resampling.BICUBIC).save(out, "JPEG", quality=90)
    return out.getvalue()


def load(server: Server, round_no: int, clients: int, stop: threading.Event, answered: list[str]) -> None:
    def client(n: int) -> None:
        seed = round_no * 10_000_000 + n * 100_000
        for attempt in itertools.count():
            if stop.is_set():
                return
            claim_id = f"f{round_no}-{n}-{attempt}"
            try:
                response = httpx.post(
                    f"{server.url}/v1/verify",
                    files=[("photos", (f"{claim_id}.jpg", photo(seed + attempt), "image/jpeg"))],
                    data={**CLAIM, "claim_id": claim_id, "customer_id": f"cust-{n}"},
                    headers={"Idempotency-Key": claim_id},
                    timeout=120,
                )
            except httpx.TransportError:
                return  # the server is gone
            if response.status_code == 200:
                answered.append(claim_id)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(180)


def check(store: Store, answered: list[str]) -> dict[str, object]:
    with store.engine.connect() as connection:
        counts = {t: int(connection.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()) for t in TABLES}
        half = int(
            connection.execute(
                text(
                    "SELECT count(*) FROM claims c WHERE NOT EXISTS (SELECT 1 FROM reports r WHERE r.claim_pk = c.id)"
                    " OR NOT EXISTS (SELECT 1 FROM photos p WHERE p.claim_pk = c.id)"
                )
            ).scalar_one()
        )
        recorded = {row[0] for row in connection.execute(text("SELECT claim_id FROM claims"))}
        integrity = integrity_of(connection)
    lost = [c for c in answered if c not in recorded]
    return {"counts": counts, "half_written": half, "lost": lost, "integrity": integrity}


def integrity_of(connection: Connection) -> str:
    """'ok' when the database's own check passes, else what it found (or why it could not run)."""
    if connection.dialect.name == "sqlite":
        result = [row[0] for row in connection.exec_driver_sql("PRAGMA integrity_check")]
        foreign = list(connection.exec_driver_sql("PRAGMA foreign_key_check"))
        return (
            "ok" if result == ["ok"] and not foreign else f"{result[:3]}; {len(foreign)} foreign key problems"
        )
    try:
        connection.execute(text("CREATE EXTENSION IF NOT EXISTS amcheck"))
        indexes = [
            row[0]
            for row in connection.execute(
                text(
                    "SELECT i.indexrelid::regclass::text FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid "
                    "JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_am a ON a.oid = ic.relam "
                    "WHERE a.amname = 'btree' AND c.relname = ANY(:tables)"
                ),
                {"tables": list(TABLES)},
            )
        ]
        for index in indexes:
            connection.execute(
                text("SELECT bt_index_check(CAST(:index AS regclass), true)"), {"index": index}
            )
        connection.commit()
        return "ok" if indexes else "no index found to check"
    except SQLAlchemyError as exc:
        connection.rollback()
        return f"amcheck not run ({str(getattr(exc, 'orig', exc)).splitlines()[0][:80]})"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", help="store URL (default: SQLite in a temporary folder)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--seconds", type=float, default=10, help="the kill comes at a random moment up to this"
    )
    parser.add_argument("--seed", type=int, default=21)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="evidence-check-fault-"))
    db = args.db or f"sqlite:///{folder / 'store.sqlite3'}"
    log = folder / "server.log"
    rng = random.Random(args.seed)
    answered: list[str] = []
    print(
        f"store {db.split('://')[0]}, {args.workers} workers, {args.clients} clients, log {log}", flush=True
    )
    for round_no in range(args.rounds):
        server = Server(db, args.workers, 10, 30, log)
        stop = threading.Event()
        before = len(answered)
        loader = threading.Thread(target=load, args=(server, round_no, args.clients, stop, answered))
        loader.start()
        # Killed once claims are flowing (the first answered), at a random moment after.
        deadline = time.monotonic() + 180
        while len(answered) == before and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(rng.uniform(0, args.seconds))
        server.stop(kill=True)
        stop.set()
        loader.join(240)
        store = Store(db)
        try:
            found = check(store, answered)
        finally:
            store.close()
        print(
            f"round {round_no + 1}: killed with -9 after {len(answered) - before} answers; {found}",
            flush=True,
        )
    server = Server(db, args.workers, 10, 30, log)
    try:
        after = httpx.post(
            f"{server.url}/v1/verify",
            files=[("photos", ("after.jpg", photo(-1), "image/jpeg"))],
            data={**CLAIM, "claim_id": "after-the-faults"},
            timeout=120,
        ).status_code
        readable = sum(
            httpx.get(f"{server.url}/v1/claims/{c}", timeout=60).status_code == 200 for c in answered
        )
    finally:
        server.stop()
    store = Store(db)
    try:
        final = check(store, answered)
    finally:
        store.close()
    print(f"restarted: a new claim {after}; answered claims readable {readable} of {len(answered)}")
    print(f"final: {final}")
    ok = (
        after == 200
        and readable == len(answered)
        and not final["lost"]
        and final["half_written"] == 0
        and final["integrity"] == "ok"
    )
    print("PASS" if ok else "FAIL")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
