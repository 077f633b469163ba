"""Where the test suite's time goes: runs pytest with a plugin (this module, loaded by `-p suite_time`)
that records each test's wall time and CPU time, then prints per-file and per-fixture totals, the
slowest tests and, for an xdist run, what each worker did.

CPU time is the pytest process's (`time.process_time()`, all its threads) plus the processes it
started and waited for (`resource.getrusage(RUSAGE_CHILDREN)`: CLI subprocesses, servers, chromium),
so it stays comparable on a loaded machine where wall time stretches with the wait for a core.
A fixture's figure is its setup alone, without the fixtures it takes as arguments (pytest sets those
up before it; each has its own figure); a module or session fixture is paid by the first test that asks
for it. A file's figure is its tests' setup, call and teardown.

    python scripts/suite_time.py [--out DIR] [--top 30] -- [pytest arguments]
    python scripts/suite_time.py --report DIR      # print again from a run's records

With `--numprocesses 2 --dist loadfile` in the pytest arguments, a file's tests all run on one worker:
the worker with the most to do bounds the run, and the report says how much each worker had."""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Generator, Iterable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
RECORDS_DIR_VARIABLE = "SUITE_TIME_RECORDS"


def _cpu_seconds() -> float:
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


class _Recorder:
    """The pytest plugin: one JSON line per test phase and per fixture setup, in a file of this
    process's own (one per xdist worker) under $SUITE_TIME_RECORDS."""

    def __init__(self, folder: Path) -> None:
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        self._file = (folder / f"{worker}.jsonl").open("a", encoding="utf-8")
        self._worker = worker
        self._write({"kind": "start", "at": time.time(), "cpu": _cpu_seconds()})

    def _write(self, record: dict[str, Any]) -> None:
        record["worker"] = self._worker
        self._file.write(json.dumps(record) + "\n")
        self._file.flush()

    def _phase(self, item: pytest.Item, phase: str) -> Generator[None, None, None]:
        wall, cpu = time.perf_counter(), _cpu_seconds()
        yield
        self._write({"kind": "phase", "test": item.nodeid, "file": item.nodeid.split("::")[0], "phase": phase,
                     "wall": time.perf_counter() - wall, "cpu": _cpu_seconds() - cpu})  # fmt: skip

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> Generator[None, None, None]:
        yield from self._phase(item, "setup")

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, None, None]:
        yield from self._phase(item, "call")

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_teardown(self, item: pytest.Item) -> Generator[None, None, None]:
        yield from self._phase(item, "teardown")

    @pytest.hookimpl(hookwrapper=True)
    def pytest_fixture_setup(self, fixturedef: Any, request: Any) -> Generator[None, None, None]:
        wall, cpu = time.perf_counter(), _cpu_seconds()
        yield
        where = getattr(fixturedef, "baseid", "") or "root"
        self._write({"kind": "fixture", "fixture": f"{fixturedef.argname} ({fixturedef.scope}, {where})",
                     "file": request.node.nodeid.split("::")[0],
                     "wall": time.perf_counter() - wall, "cpu": _cpu_seconds() - cpu})  # fmt: skip

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.failed:
            self._write({"kind": "failed", "test": report.nodeid, "phase": report.when})

    def pytest_unconfigure(self) -> None:
        self._write({"kind": "end", "at": time.time(), "cpu": _cpu_seconds()})
        self._file.close()


def pytest_configure(config: pytest.Config) -> None:
    folder = os.environ.get(RECORDS_DIR_VARIABLE)
    if folder:
        config.pluginmanager.register(_Recorder(Path(folder)), "suite_time_recorder")


def _read(folder: Path) -> list[dict[str, Any]]:
    records = []
    for path in sorted(folder.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                records.append(json.loads(line))
    return records


def _table(title: str, rows: Iterable[tuple[str, float, float, int]], top: int) -> None:
    rows = sorted(rows, key=lambda row: -row[2])
    print(f"\n{title}\n{'cpu s':>9} {'wall s':>9} {'n':>5}  name")
    for name, wall, cpu, count in rows[:top]:
        print(f"{cpu:9.1f} {wall:9.1f} {count:5d}  {name}")
    if len(rows) > top:
        rest = rows[top:]
        print(f"{sum(r[2] for r in rest):9.1f} {sum(r[1] for r in rest):9.1f} {sum(r[3] for r in rest):5d}"
              f"  ({len(rest)} more)")  # fmt: skip


def report(folder: Path, top: int) -> None:
    records = _read(folder)
    phases = [r for r in records if r["kind"] == "phase"]
    if not phases:
        print(f"suite_time: no test was recorded in {folder}", file=sys.stderr)
        return
    by_file: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    files_of_test: dict[str, str] = {}
    by_test: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    by_phase: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    worker_of_file: dict[str, str] = {}
    for record in phases:
        totals = by_file[record["file"]]
        totals[0] += record["wall"]
        totals[1] += record["cpu"]
        by_test[record["test"]][0] += record["wall"]
        by_test[record["test"]][1] += record["cpu"]
        by_phase[record["phase"]][0] += record["wall"]
        by_phase[record["phase"]][1] += record["cpu"]
        files_of_test[record["test"]] = record["file"]
        worker_of_file[record["file"]] = record["worker"]
    tests_in_file: dict[str, int] = defaultdict(int)
    for file in files_of_test.values():
        tests_in_file[file] += 1

    failed = sorted({r["test"] for r in records if r["kind"] == "failed"})
    for test in failed:
        print(f"FAILED {test}")
    wall = sum(t[0] for t in by_file.values())
    cpu = sum(t[1] for t in by_file.values())
    print(f"{len(by_test)} tests in {len(by_file)} files ({len(failed)} failed): {wall:.1f} s of test wall time, "
          f"{cpu:.1f} s of CPU")  # fmt: skip
    for phase in ("setup", "call", "teardown"):
        if phase in by_phase:
            print(f"  {phase:9} {by_phase[phase][0]:9.1f} s wall {by_phase[phase][1]:9.1f} s CPU")

    _table("Files by CPU", ((f, t[0], t[1], tests_in_file[f]) for f, t in by_file.items()), top)

    fixtures: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for record in records:
        if record["kind"] == "fixture":
            totals = fixtures[record["fixture"]]
            totals[0] += record["wall"]
            totals[1] += record["cpu"]
            totals[2] += 1
    _table("Fixture setups by CPU (n: times built; a fixture's own: the fixtures it takes as arguments are not in it,"
           " each has its row; those its body asks for with getfixturevalue are)",
           ((name, t[0], t[1], int(t[2])) for name, t in fixtures.items()), top)  # fmt: skip
    _table("Slowest tests by CPU (setup + call + teardown)",
           ((name, t[0], t[1], 1) for name, t in by_test.items()), top)  # fmt: skip

    workers = sorted({r["worker"] for r in records})
    if len(workers) > 1 or workers != ["main"]:
        print("\nWorkers (--dist loadfile: a file's tests stay on one worker)")
        print(f"{'worker':>8} {'files':>5} {'tests':>6} {'test wall s':>11} {'test cpu s':>10} {'ran for s':>9}  largest file")
        for worker in workers:
            own = [f for f, w in worker_of_file.items() if w == worker]
            starts = [r["at"] for r in records if r["kind"] == "start" and r["worker"] == worker]
            ends = [r["at"] for r in records if r["kind"] == "end" and r["worker"] == worker]
            ran = f"{max(ends) - min(starts):9.1f}" if starts and ends else f"{'?':>9}"
            largest = max(own, key=lambda f: by_file[f][0], default="")
            print(f"{worker:>8} {len(own):5d} {sum(tests_in_file[f] for f in own):6d} "
                  f"{sum(by_file[f][0] for f in own):11.1f} {sum(by_file[f][1] for f in own):10.1f} {ran}  "
                  f"{largest} ({by_file[largest][0]:.1f} s wall)")  # fmt: skip
        largest_file = max(by_file, key=lambda f: by_file[f][0])
        print(f"Largest file: {largest_file}, {by_file[largest_file][0]:.1f} s wall of {wall:.1f} s "
              f"({100 * by_file[largest_file][0] / wall:.0f} %; with two workers a run is at least this long)")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, help="folder for the records (default: a new one in the temporary folder)")
    parser.add_argument("--report", type=Path, metavar="DIR", help="print the figures of a run recorded in DIR; run nothing")
    parser.add_argument("--top", type=int, default=30, help="rows in each table (default 30)")
    parser.add_argument("pytest_args", nargs="*", help="after --: arguments for pytest (default: the whole suite)")
    args = parser.parse_args()
    if args.top < 1:
        parser.error("--top must be at least 1")
    if args.report is not None:
        if not args.report.is_dir():
            parser.error(f"--report: no such folder: {args.report}")
        report(args.report, args.top)
        return 0
    folder = args.out or Path(tempfile.mkdtemp(prefix="suite-time-"))
    folder.mkdir(parents=True, exist_ok=True)
    if any(folder.glob("*.jsonl")):
        parser.error(f"--out: {folder} already holds records; give an empty folder")
    environment = dict(os.environ, **{RECORDS_DIR_VARIABLE: str(folder)})
    here = str(Path(__file__).resolve().parent)
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [here, environment.get("PYTHONPATH")]))
    wall, cpu = time.perf_counter(), _cpu_seconds()
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "suite_time", *args.pytest_args],
                          cwd=ROOT, env=environment)  # fmt: skip
    print(f"\npytest exited {done.returncode} after {time.perf_counter() - wall:.1f} s wall, "
          f"{_cpu_seconds() - cpu:.1f} s CPU (pytest and everything it started); records in {folder}")
    report(folder, args.top)
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
