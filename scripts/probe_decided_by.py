"""Decisions at once on the same claims from two keys, two console sessions each and the API: what is
recorded, how many are told "decided meanwhile", and whether each is told who won.

    .venv/bin/python scripts/probe_decided_by.py [--db URL] [--claims 40] [--deciders 6]

Every decider is shown each claim undecided (`seen` 0, as the console's form sends it) and decides at
once, one thread each, through `service.decide` (the console's and the API's path to the store). Each
claim must end with one decision recorded; every other decider gets `DecidedMeanwhile` naming the
row that won (its key, where from, its session) as the store holds it. Prints one table row.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from evidence_check.engine import now_utc
from evidence_check.service import decide
from evidence_check.store import Store
from evidence_check.store.outcomes import DecidedBy, DecidedMeanwhile, latest_decision
from evidence_check.store.tables import ClaimRow

DECIDERS = [
    DecidedBy("console", "k_aaaaaaaaaaaa", "a1" * 12),
    DecidedBy("console", "k_aaaaaaaaaaaa", "a2" * 12),  # the same key, another sign-in
    DecidedBy("console", "k_bbbbbbbbbbbb", "b1" * 12),
    DecidedBy("console", "k_bbbbbbbbbbbb", "b2" * 12),
    DecidedBy("api", "k_aaaaaaaaaaaa"),
    DecidedBy("api", "k_bbbbbbbbbbbb"),
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default=None)
    parser.add_argument("--claims", type=int, default=40)
    parser.add_argument("--deciders", type=int, default=len(DECIDERS), choices=range(2, len(DECIDERS) + 1))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        store = Store(args.db or f"sqlite:///{Path(folder) / 'store.sqlite3'}")
        try:
            run(store, args.claims, DECIDERS[: args.deciders])
        finally:
            store.close()


def run(store: Store, claims: int, deciders: list[DecidedBy]) -> None:
    tenant = f"probe-{int(time.time())}"
    now = now_utc()
    with store.sessions.begin() as session:
        for n in range(claims):
            session.add(ClaimRow(tenant=tenant, claim_id=f"c-{n}", reason="damaged", created_at=now, updated_at=now))
    outcomes: Counter[str] = Counter()
    wrong: list[str] = []
    lock = threading.Lock()
    started = time.perf_counter()
    for n in range(claims):
        claim_id = f"c-{n}"
        gate = threading.Barrier(len(deciders))
        told: list[tuple[DecidedBy, DecidedBy | None]] = []

        def one(by: DecidedBy, claim_id: str = claim_id, gate: threading.Barrier = gate, told: list = told) -> None:
            gate.wait()
            try:
                decide(store, tenant, claim_id, "fraud" if by.key and by.key.endswith("a") else "genuine", None, 0, by=by)
                with lock:
                    outcomes["recorded"] += 1
            except DecidedMeanwhile as meanwhile:
                with lock:
                    outcomes["409"] += 1
                    told.append((by, meanwhile.latest.by if meanwhile.latest else None))

        threads = [threading.Thread(target=one, args=(by,)) for by in deciders]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        won = latest_decision(store, tenant, claim_id)
        if won is None:
            wrong.append(f"{claim_id}: nothing recorded")
            continue
        for loser, winner in told:
            if winner != won.by:
                wrong.append(f"{claim_id}: {loser} told {winner}, stored {won.by}")
            elif loser.session is not None and loser.session == won.by.session:
                wrong.append(f"{claim_id}: the winner itself was told 409")
            elif loser.key == won.by.key:
                outcomes["409 same key, other session/API"] += 1
    seconds = time.perf_counter() - started
    print(
        f"| {store.engine.dialect.name} | {claims} | {len(deciders)} | {outcomes['recorded']} | {outcomes['409']} "
        f"| {outcomes['409 same key, other session/API']} | {len(wrong)} | {seconds:.1f} s |"
    )
    for line in wrong[:10]:
        print("  ", line)


if __name__ == "__main__":
    main()
