"""`serve`'s own housekeeping: the metrics folder of a server killed with -9 is removed at the next
start, and a live server's folder is left alone."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evidence_check.cli import app, serve


def test_a_killed_servers_metrics_folder_is_removed_at_the_next_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # a process id that no longer runs: a server killed with -9
    stale = tmp_path / f"{serve.METRICS_FOLDER_PREFIX}{gone.pid}-abc"
    stale.mkdir()
    (stale / "counter_1234.db").write_bytes(b"x" * 1000)
    live = tmp_path / f"{serve.METRICS_FOLDER_PREFIX}1-def"  # pid 1 always runs
    live.mkdir()
    unnamed = tmp_path / f"{serve.METRICS_FOLDER_PREFIX}xyz"  # not named by a pid: not ours to judge
    unnamed.mkdir()

    new = Path(serve.new_metrics_folder())

    assert not stale.exists()
    assert live.is_dir() and unnamed.is_dir()
    assert new.is_dir() and new.parent == tmp_path
    assert new.name.startswith(f"{serve.METRICS_FOLDER_PREFIX}{os.getpid()}-")


@pytest.mark.parametrize("value", ["-1", "abc", "nan", "2e6"])
def test_a_body_min_rate_that_is_no_rate_is_a_one_line_usage_error(value: str, tmp_path: Path) -> None:
    """NaN too: compared with anything it is never below a minimum, and a bound it slipped through would
    have turned the rate off unsaid. (`--workers 0` after it: a rate let through fails on that at once,
    instead of serving.)"""
    db = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    result = CliRunner().invoke(app, ["serve", "--db", db, "--body-min-rate", value, "--workers", "0"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    [error] = [line for line in result.output.splitlines() if "Error" in line]
    assert error.startswith("Error: Invalid value for '--body-min-rate': "), error
    assert not (tmp_path / "store.sqlite3").exists()
