"""Every script in scripts/ answers --help with its usage and does no work, and refuses a flag it does
not know: a script that parsed sys.argv by hand ran its whole bench on --help (7 minutes for
bench_location.py) or took an unknown flag for a path and wrote a file named after it
(make_bench_photo.py). The modules the scripts import (no `__main__` block) do nothing when run.

Each script runs in a subprocess from a scratch folder of its own, so a script that does work on --help
writes there, not in the checkout; the timeout only stops one that hangs (the slowest answers in
seconds). The runs go side by side, one per core: each is a second of imports, 46 of them."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT

SCRIPTS = sorted((ROOT / "scripts").glob("*.py"))
COMMANDS = [path for path in SCRIPTS if 'if __name__ == "__main__":' in path.read_text()]
MODULES = [path for path in SCRIPTS if path not in COMMANDS]
GENEROUS_SECONDS = 180


@dataclass(frozen=True)
class Run:
    done: subprocess.CompletedProcess[str]
    wrote: list[str]


def _run(script: Path, flag: str, cwd: Path) -> Run:
    done = subprocess.run(
        [sys.executable, str(script), flag],
        capture_output=True,
        text=True,
        timeout=GENEROUS_SECONDS,
        cwd=cwd,
        check=False,
    )
    return Run(done, sorted(path.name for path in cwd.iterdir()))


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Run]:
    asked = [(path, "--help") for path in SCRIPTS] + [(path, "--no-such-flag") for path in COMMANDS]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        answers = pool.map(lambda job: _run(job[0], job[1], tmp_path_factory.mktemp(job[0].stem)), asked)
        return {(path.name, flag): run for (path, flag), run in zip(asked, answers, strict=True)}


def test_the_scripts_are_found() -> None:
    assert len(COMMANDS) >= 20, [path.name for path in COMMANDS]
    assert {path.name for path in MODULES} <= {"process_stats.py", "scale_catalog.py"}


@pytest.mark.parametrize("script", COMMANDS, ids=lambda path: path.name)
def test_help_prints_the_usage_and_does_no_work(script: Path, runs: dict[tuple[str, str], Run]) -> None:
    run = runs[script.name, "--help"]
    assert run.done.returncode == 0, run.done.stderr[-3000:]
    assert run.done.stdout.startswith("usage: "), run.done.stdout[-3000:]
    assert not run.wrote, "--help wrote files"


@pytest.mark.parametrize("script", COMMANDS, ids=lambda path: path.name)
def test_an_unknown_flag_is_an_error(script: Path, runs: dict[tuple[str, str], Run]) -> None:
    run = runs[script.name, "--no-such-flag"]
    assert run.done.returncode == 2, (run.done.stdout + run.done.stderr)[-3000:]
    # a script with required arguments names those first; either way argparse's one-line error
    assert ": error: " in run.done.stderr, run.done.stderr[-3000:]
    assert not run.wrote, "an unknown flag wrote files"


@pytest.mark.parametrize("script", MODULES, ids=lambda path: path.name)
def test_a_module_run_as_a_script_does_nothing(script: Path, runs: dict[tuple[str, str], Run]) -> None:
    run = runs[script.name, "--help"]
    assert run.done.returncode == 0, run.done.stderr[-3000:]
    assert run.done.stdout == ""
    assert not run.wrote
