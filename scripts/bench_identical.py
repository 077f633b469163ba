"""The cost of looking a photo's file up by its sha256 (`references.identical_rows`), which the reuse
look does for every photo, in a store of many fingerprint rows.

    nice -n 10 .venv/bin/python scripts/bench_identical.py --rows 1000000 [--tenants 20]
        [--work /tmp/bench-identical] [--pg-url postgresql://postgres@127.0.0.1:55433/postgres]
        [--lookups 2000]

Builds (once per size, then kept under `--work`) a SQLite store of `--rows` rows spread over
`--tenants` tenants, each with its own random sha256 and one random code pair (the lookup reads
none of the codes); with `--pg-url`, a PostgreSQL database of the same rows (made on that server as
`ec_bench_identical_<rows>`, kept). Then times `--lookups` lookups, half of a stored file in its
tenant, half of files no tenant holds, one connection checkout each as the reuse look makes it, and
prints the milliseconds per lookup (median, 90th and 99th percentile) and the query's plan.
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from evidence_check.references import identical_rows  # noqa: E402
from evidence_check.store import Store  # noqa: E402
from evidence_check.store.reuse_tables import FingerprintRow  # noqa: E402

BATCH = 20_000
WHEN = datetime(2026, 1, 1, tzinfo=UTC)


def image_id(number: int) -> str:
    return hashlib.sha256(number.to_bytes(8, "big")).hexdigest()


def tenant_of(number: int, tenants: int) -> str:
    return f"tenant-{number % tenants}"


def fill(store: Store, rows: int, tenants: int) -> None:
    with store.engine.connect() as connection:
        held = connection.execute(text("SELECT count(*) FROM fingerprints")).scalar_one()
    if held == rows:
        return
    if held:
        raise SystemExit(f"{store.url} holds {held} rows, not {rows}: remove it first")
    rng = np.random.default_rng(1)
    started = time.perf_counter()
    for first in range(0, rows, BATCH):
        batch = [
            {
                "tenant": tenant_of(n, tenants),
                "kind": "claim",
                "ref_id": f"claim-{n}",
                "customer_id": None,
                "image_id": image_id(n),
                "filename": "photo.jpg",
                "first_seen": WHEN,
                "pdq": rng.bytes(32),
                "phash": rng.bytes(8),
                "quality": 100,
                "features": None,
            }
            for n in range(first, min(rows, first + BATCH))
        ]
        with store.engine.begin() as connection:
            connection.execute(insert(FingerprintRow), batch)
    print(f"  filled {rows} rows in {time.perf_counter() - started:.0f} s", flush=True)


def pg_database(url: str, rows: int) -> str:
    parsed = make_url(url.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"ec_bench_identical_{rows}"
    admin = create_engine(parsed, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        if not connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar():
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


def measure(store: Store, rows: int, tenants: int, lookups: int) -> None:
    rng = np.random.default_rng(2)
    stored = rng.integers(0, rows, lookups // 2)
    cases = [(tenant_of(int(n), tenants), image_id(int(n)), True) for n in stored]
    cases += [(tenant_of(int(n), tenants), image_id(rows + int(n)), False) for n in stored]
    for tenant, wanted, _ in cases[:50]:  # warm the connection pool and the pages read
        identical_rows(store, tenant, wanted)
    times = []
    for tenant, wanted, held in cases:
        started = time.perf_counter()
        found = identical_rows(store, tenant, wanted)
        times.append((time.perf_counter() - started) * 1000)
        if bool(found) != held:
            raise SystemExit(f"{wanted} of {tenant}: found {found}, stored: {held}")
    ordered = sorted(times)
    at = lambda share: ordered[min(len(ordered) - 1, int(share * len(ordered)))]  # noqa: E731
    print(
        f"  {store.engine.dialect.name}, {rows} rows, {tenants} tenants: {len(times)} lookups, ms per lookup "
        f"median {statistics.median(times):.3f}, p90 {at(0.9):.3f}, p99 {at(0.99):.3f}"
    )
    explain = "EXPLAIN QUERY PLAN" if store.engine.dialect.name == "sqlite" else "EXPLAIN"
    with store.engine.connect() as connection:
        plan = connection.execute(
            text(f"{explain} SELECT id FROM fingerprints WHERE tenant = :t AND image_id = :i ORDER BY first_seen, id LIMIT 12"),
            {"t": cases[0][0], "i": cases[0][1]},
        ).all()
    print("  plan: " + " | ".join(str(row[-1]) for row in plan))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--tenants", type=int, default=20)
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/bench-identical"))
    parser.add_argument("--pg-url", default=None, help="also a PostgreSQL database on this server")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    urls = [f"sqlite:///{args.work / f'identical-{args.rows}.sqlite3'}"]
    if args.pg_url:
        urls.append(pg_database(args.pg_url, args.rows))
    for url in urls:
        store = Store(url)
        try:
            fill(store, args.rows, args.tenants)
            measure(store, args.rows, args.tenants, args.lookups)
        finally:
            store.close()


if __name__ == "__main__":
    main()
