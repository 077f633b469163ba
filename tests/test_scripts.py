"""Every script in scripts/ answers --help with its usage and does no work, and refuses a flag it does
not know: a script that parsed sys.argv by hand ran its whole bench on --help (7 minutes for
bench_location.py) or took an unknown flag for a path and wrote a file named after it
(make_bench_photo.py). The modules the scripts import (no `__main__` block) do nothing when run.

Each script runs in a subprocess from a scratch folder, so a script that does work on --help writes
there, not in the checkout; the timeout only stops one that hangs (the slowest answers in seconds)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

SCRIPTS = sorted((ROOT / "scripts").glob("*.py"))
COMMANDS = [path for path in SCRIPTS if 'if __name__ == "__main__":' in path.read_text()]
MODULES = [path for path in SCRIPTS if path not in COMMANDS]
GENEROUS_SECONDS = 180


def _run(script: Path, flag: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(script), flag],
        capture_output=True,
        text=True,
        timeout=GENEROUS_SECONDS,
        cwd=cwd,
        check=False,
    )


def test_the_scripts_are_found() -> None:
    assert len(COMMANDS) >= 20, [path.name for path in COMMANDS]
    assert {path.name for path in MODULES} <= {"process_stats.py", "scale_catalog.py"}


@pytest.mark.parametrize("script", COMMANDS, ids=lambda path: path.name)
def test_help_prints_the_usage_and_does_no_work(script: Path, tmp_path: Path) -> None:
    done = _run(script, "--help", tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.startswith("usage: "), done.stdout[-3000:]
    assert not list(tmp_path.iterdir()), "--help wrote files"


@pytest.mark.parametrize("script", COMMANDS, ids=lambda path: path.name)
def test_an_unknown_flag_is_an_error(script: Path, tmp_path: Path) -> None:
    done = _run(script, "--no-such-flag", tmp_path)
    assert done.returncode == 2, (done.stdout + done.stderr)[-3000:]
    # a script with required arguments names those first; either way argparse's one-line error
    assert ": error: " in done.stderr, done.stderr[-3000:]
    assert not list(tmp_path.iterdir()), "an unknown flag wrote files"


@pytest.mark.parametrize("script", MODULES, ids=lambda path: path.name)
def test_a_module_run_as_a_script_does_nothing(script: Path, tmp_path: Path) -> None:
    done = _run(script, "--help", tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout == ""
    assert not list(tmp_path.iterdir())
