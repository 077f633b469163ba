"""`scripts/suite_time.py`, the suite's time per file, fixture and test: run on a file whose tests and
fixtures burn known CPU, in a pytest process of its own."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

BURNING = r'''
import subprocess
import sys
import time

import pytest


def burn(seconds):
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


@pytest.fixture
def inner():
    burn(0.4)


@pytest.fixture
def outer(inner):
    burn(0.1)


def test_slow(outer):
    burn(0.2)


def test_child():
    burning = "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end:\n    pass"
    subprocess.run([sys.executable, "-c", burning], check=True)


def test_sleeping():
    time.sleep(1)
'''
ROW = re.compile(r"^\s*(\d+\.\d)\s+(\d+\.\d)\s+(\d+)  (.+)$")


def tables(printed: str) -> dict[str, dict[str, tuple[float, float]]]:
    """{table's title: {row's name: (CPU s, wall s)}} of a report."""
    found: dict[str, dict[str, tuple[float, float]]] = {}
    title = ""
    for line in printed.splitlines():
        row = ROW.match(line)
        if row:
            found.setdefault(title, {})[row.group(4)] = (float(row.group(1)), float(row.group(2)))
        elif line and not line.startswith(" "):
            title = line
    return found


def test_a_run_is_reported_per_file_fixture_and_test_and_again_from_its_records(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")  # none of the project's options
    (tmp_path / "test_burning.py").write_text(BURNING)
    records = tmp_path / "records"
    script = str(ROOT / "scripts" / "suite_time.py")
    own = {name: value for name, value in os.environ.items() if not name.startswith("PYTEST_")}  # not this xdist worker's
    command = [sys.executable, script, "--out", str(records), "--", "-q", "-p", "no:cacheprovider", "--rootdir", str(tmp_path), str(tmp_path)]
    done = subprocess.run(command, capture_output=True, text=True, env=own, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    report = done.stdout[done.stdout.index(f"records in {records}\n") :].split("\n", 1)[1]
    assert report.startswith("3 tests in 1 files (0 failed)"), report
    found = tables(report)
    files, fixtures, tests = (next(rows for title, rows in found.items() if title.startswith(name)) for name in ("Files", "Fixture", "Slowest"))
    cpu, wall = files["test_burning.py"]
    assert 1.0 <= cpu <= wall - 0.9, report  # the sleep is wall time, not CPU
    fixture = {name.split(" ")[0]: cpu for name, (cpu, _) in fixtures.items()}
    # A fixture's row is its own setup: `outer`'s is not `inner`'s too, which has a row of its own.
    assert fixture["inner"] >= 0.4 and 0.1 <= fixture["outer"] < 0.3, report
    assert "the fixtures it takes as arguments are not in it" in report, report
    assert list(tests)[0] == "test_burning.py::test_slow" and tests["test_burning.py::test_slow"][0] >= 0.7, report
    assert tests["test_burning.py::test_child"][0] >= 0.3, report  # a process it started and waited for
    assert tests["test_burning.py::test_sleeping"][1] >= 1.0, report
    assert "Workers" not in report  # one process
    again = subprocess.run([sys.executable, script, "--report", str(records)], capture_output=True, text=True, env=own, timeout=60)
    assert again.returncode == 0 and again.stdout == report, again.stdout + again.stderr
