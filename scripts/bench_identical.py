"""The cost of the reuse look's store reads for one photo (`references.candidate_rows`): its file
looked up by its sha256 and the rows of the index's candidates read, over one connection, in a store
of many fingerprint rows.

    nice -n 10 .venv/bin/python scripts/bench_identical.py --rows 1000000 [--tenants 20]
        [--work /tmp/bench-identical] [--pg-url postgresql://postgres@127.0.0.1:55433/postgres]
        [--lookups 2000] [--candidates 12] [--copies 1000]

Builds (once per size, then kept under `--work`) a SQLite store of `--rows` rows spread over
`--tenants` tenants, each with its own random sha256 and one random code pair (the lookup reads
none of the codes); with `--pg-url`, a PostgreSQL database of the same rows (made on that server as
`ec_bench_identical_<rows>`, kept). Then times `--lookups` lookups, half of a stored file in its
tenant, half of files no tenant holds, each with `--candidates` rows of the tenant as the index's
hits (MAX_CANDIDATES at most in the look), one connection checkout each as the reuse look makes
it, and prints the milliseconds per lookup (median, 90th and 99th percentile) and the sha256
query's plan. With `--copies N`, the first tenant also holds one file sent in N claims (N - 1 by one
customer, then one by another: a customer's resends before a second customer's), looked up
`--lookups` times more with the same candidates, each time by a new claim naming no customer; the
lookup must return the second customer's row.
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from evidence_check.index import Hit  # noqa: E402
from evidence_check.references import _IDENTICAL, FILE_ROWS_READ, candidate_rows  # noqa: E402
from evidence_check.store import Store  # noqa: E402
from evidence_check.store.reuse_tables import FingerprintRow  # noqa: E402

BATCH = 20_000
WHEN = datetime(2026, 1, 1, tzinfo=UTC)


def image_id(number: int) -> str:
    return hashlib.sha256(number.to_bytes(8, "big")).hexdigest()


def tenant_of(number: int, tenants: int) -> str:
    return f"tenant-{number % tenants}"


FLOODED = image_id(-1 % 2**64)


def fill(store: Store, rows: int, tenants: int, copies: int) -> None:
    with store.engine.connect() as connection:
        held = connection.execute(text("SELECT count(*) FROM fingerprints")).scalar_one()
    if held == rows + copies:
        return
    if held:
        raise SystemExit(f"{store.url} holds {held} rows, not {rows + copies}: remove it first")
    rng = np.random.default_rng(1)
    started = time.perf_counter()

    def row(tenant: str, ref_id: str, customer_id: str | None, image: str, first_seen: datetime) -> dict[str, object]:
        return {
            "tenant": tenant, "kind": "claim", "ref_id": ref_id, "customer_id": customer_id, "image_id": image,
            "filename": "photo.jpg", "first_seen": first_seen, "pdq": rng.bytes(32), "phash": rng.bytes(8),
            "quality": 100, "features": None,
        }  # fmt: skip

    spread = [
        (tenant_of(n, tenants), f"claim-{n}", None, image_id(n), WHEN) for n in range(rows)
    ]
    # One file in `copies` claims of the first tenant: alice's, then bob's last.
    flood = [
        (tenant_of(0, tenants), f"flood-{n}", "alice" if n < copies - 1 else "bob", FLOODED, WHEN + timedelta(seconds=n))
        for n in range(copies)
    ]
    for planned in (spread, flood):
        for first in range(0, len(planned), BATCH):
            with store.engine.begin() as connection:
                connection.execute(insert(FingerprintRow), [row(*values) for values in planned[first : first + BATCH]])
    print(f"  filled {rows} rows in {time.perf_counter() - started:.0f} s", flush=True)


def pg_database(url: str, size: str) -> str:
    parsed = make_url(url.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"ec_bench_identical_{size}"
    admin = create_engine(parsed, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        if not connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar():
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


def candidates(rng: np.random.Generator, number: int, rows: int, tenants: int, count: int) -> list[Hit]:
    """`count` rows of the tenant of row `number` (other than it), as the index's hits: row n has id n + 1."""
    others = (number % tenants + tenants * rng.integers(0, rows // tenants, count)) % rows
    return [Hit(int(n) + 1, 10, 5, 0) for n in others if n != number]


def measure(store: Store, rows: int, tenants: int, lookups: int, hits: int, copies: int) -> None:
    rng = np.random.default_rng(2)
    stored = rng.integers(0, rows, lookups // 2)
    cases = [(tenant_of(int(n), tenants), image_id(int(n)), True, candidates(rng, int(n), rows, tenants, hits)) for n in stored]
    cases += [(t, image_id(rows + n), False, c) for n, (t, _, _, c) in zip(stored.tolist(), cases, strict=True)]
    for tenant, wanted, _, near in cases[:50]:  # warm the connection pool and the pages read
        candidate_rows(store, tenant, wanted, near)
    times = []
    for tenant, wanted, held, near in cases:
        started = time.perf_counter()
        found, rows_read = candidate_rows(store, tenant, wanted, near)
        times.append((time.perf_counter() - started) * 1000)
        by_file = sum(h.pdq_distance == 256 for h in found)  # the index's distances for a code it did not find
        if (by_file > 0) != held or len(rows_read) != len({h.entry_id for h in found}):
            raise SystemExit(f"{wanted} of {tenant}: found {by_file} by its file, stored: {held}")
    report(f"{store.engine.dialect.name}, {rows} rows, {tenants} tenants, {hits} candidates", times)
    # The look's own select of a file's rows, as the store plans it.
    select_ = _IDENTICAL.params(tenant=cases[0][0], image_id=cases[0][1], claim_id=None, file_rows=FILE_ROWS_READ)
    explain = "EXPLAIN QUERY PLAN " if store.engine.dialect.name == "sqlite" else "EXPLAIN "
    sql = str(select_.compile(dialect=store.engine.dialect, compile_kwargs={"literal_binds": True}))
    with store.engine.connect() as connection:
        plan = connection.exec_driver_sql(explain + sql).all()
    print("  plan: " + " | ".join(str(row[-1]).strip() for row in plan))
    if copies:
        flooded(store, tenants, lookups, hits, copies)


def flooded(store: Store, tenants: int, lookups: int, hits: int, copies: int) -> None:
    """The file of `copies` claims looked up: whether the second customer's row is read, and how fast."""
    tenant = tenant_of(0, tenants)
    with store.engine.connect() as connection:
        bob = connection.execute(
            text("SELECT id FROM fingerprints WHERE tenant = :t AND image_id = :i AND customer_id = 'bob'"),
            {"t": tenant, "i": FLOODED},
        ).scalar_one()
    near = [Hit(n * tenants + 1, 10, 5, 0) for n in range(hits)]  # rows of the tenant, not of the file
    for _ in range(20):
        candidate_rows(store, tenant, FLOODED, near)
    times, seen = [], 0
    for _ in range(lookups):
        started = time.perf_counter()
        found, _rows = candidate_rows(store, tenant, FLOODED, near)
        times.append((time.perf_counter() - started) * 1000)
        seen += any(h.entry_id == bob for h in found)
    report(f"one file in {copies} claims, the second customer's read {seen} of {lookups} times", times)


def report(what: str, times: list[float]) -> None:
    ordered = sorted(times)
    at = lambda share: ordered[min(len(ordered) - 1, int(share * len(ordered)))]  # noqa: E731
    print(
        f"  {what}: {len(times)} lookups, ms per lookup "
        f"median {statistics.median(times):.3f}, p90 {at(0.9):.3f}, p99 {at(0.99):.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--tenants", type=int, default=20)
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument(
        "--candidates", type=int, default=12, help="the index's hits given with each lookup (over 12: their owners are read)"
    )
    parser.add_argument("--copies", type=int, default=0, help="also one file sent in this many claims")
    parser.add_argument("--work", type=Path, default=Path("/tmp/bench-identical"))
    parser.add_argument("--pg-url", default=None, help="also a PostgreSQL database on this server")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    name = f"{args.rows}" + (f"_{args.copies}" if args.copies else "")
    urls = [f"sqlite:///{args.work / f'identical-{name}.sqlite3'}"]
    if args.pg_url:
        urls.append(pg_database(args.pg_url, name))
    for url in urls:
        store = Store(url)
        try:
            fill(store, args.rows, args.tenants, args.copies)
            measure(store, args.rows, args.tenants, args.lookups, args.candidates, args.copies)
        finally:
            store.close()


if __name__ == "__main__":
    main()
