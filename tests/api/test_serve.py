"""`serve`'s own housekeeping: the metrics folder of a server killed with -9 is removed at the next
start, and a live server's folder is left alone."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from evidence_check.cli import serve


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
