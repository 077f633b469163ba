"""Ctrl-C a `catalog import` at random moments and report how each run ended.

Each run imports MANIFEST into a fresh SQLite store of its own (in --scratch) with two worker
processes, sends SIGINT to the whole process group (as a terminal's Ctrl-C does) after a random
delay, and waits up to --grace seconds: a run still alive then is counted as hung, its threads'
stacks written next to its store (faulthandler, by SIGABRT) and the group killed. A run ends
right when it exits 130 with one line and no traceback.

    .venv/bin/python scripts/probe_import_interrupt.py MANIFEST --runs 30 --earliest 0.2 --latest 12

The grocery corpus makes a manifest of 40 SKUs (see docs/measurements/api.md).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

EVIDENCE_CHECK = Path(sys.executable).with_name("evidence-check")


def one_run(manifest: Path, store: Path, delay: float, grace: float) -> tuple[str, str]:
    """How the run ended ('ok', 'traceback', 'exit N', 'hung') and its stderr."""
    for leftover in store.parent.glob(store.name + "*"):
        if leftover.is_file():
            leftover.unlink()
    env = dict(os.environ, PYTHONFAULTHANDLER="1", EVIDENCE_CHECK_DB=f"sqlite:///{store}")
    run = subprocess.Popen(
        [str(EVIDENCE_CHECK), "catalog", "import", str(manifest), "--jobs", "2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
        start_new_session=True,
        # A job started in the background of a shell inherits SIGINT ignored; a terminal's is not.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    time.sleep(delay)
    with contextlib.suppress(ProcessLookupError):  # ended before it
        os.killpg(run.pid, signal.SIGINT)
    try:
        _, err = run.communicate(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(run.pid, signal.SIGABRT)  # faulthandler writes every thread's stack
        _, err = run.communicate()
        store.with_suffix(".hung.txt").write_bytes(err)
        return "hung", err.decode(errors="replace")
    text = err.decode(errors="replace")
    if "Traceback" in text:
        return "traceback", text
    return ("ok" if run.returncode == 130 else f"exit {run.returncode}"), text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("manifest", type=Path)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--earliest", type=float, default=0.2, help="seconds before the first possible Ctrl-C")
    parser.add_argument("--latest", type=float, default=12.0, help="seconds before the last possible Ctrl-C")
    parser.add_argument("--grace", type=float, default=40.0, help="seconds an interrupted run may take to end")
    parser.add_argument("--scratch", type=Path, default=Path("/tmp/probe_import_interrupt"))
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    args.scratch.mkdir(parents=True, exist_ok=True)
    rng = random.Random(args.seed)
    counts: dict[str, int] = {}
    for number in range(args.runs):
        delay = rng.uniform(args.earliest, args.latest)
        ended, err = one_run(args.manifest.resolve(), args.scratch / f"run{number}.db", delay, args.grace)
        counts[ended] = counts.get(ended, 0) + 1
        last = err.strip().splitlines()[-1] if err.strip() else ""
        print(f"run {number}: Ctrl-C at {delay:.1f} s: {ended}: {last[:120]}", flush=True)
    print(", ".join(f"{ended} {count}" for ended, count in sorted(counts.items())))


if __name__ == "__main__":
    main()
