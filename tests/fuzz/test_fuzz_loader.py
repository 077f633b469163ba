"""A short run of the loader's coverage-guided fuzzer (scripts/fuzz_loader.py): a few thousand inputs
mutated from fixtures/images and ../shared/corpora/malformed-images, bounded by count and seeded, so
that it takes about a minute and runs nearly the same inputs each time. A crash, a hang (libFuzzer's -timeout)
or a memory blow-up (-rss_limit_mb) fails the test with libFuzzer's report; the long run and the
replay of a finding are described in the script. Every finding becomes a test of its own
(test_load_limits.py)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, corpus

RUNS = 3000
# A smaller decoding budget than the default keeps each input fast; the bound itself is tested apart.
BUDGET = 64 * 1024 * 1024
# The fuzzer is started by a small Python process, not by pytest itself: Linux keeps a process's peak
# RSS across fork and exec, and libFuzzer's -rss_limit_mb reads that peak, so a child of a pytest
# worker holding the session's catalogs (1.7 GB) was over the limit before its first input.
STARTER = "import subprocess, sys; sys.exit(subprocess.run(sys.argv[1:]).returncode)"


def test_a_short_fuzz_run_of_the_loader_finds_no_crash_hang_or_blow_up(tmp_path: Path) -> None:
    pytest.importorskip("atheris", reason="atheris has wheels for Linux x86_64 only")
    corpus("malformed-images")
    temporary = tmp_path / "tmp"  # where the script would make folders of its own
    temporary.mkdir()
    env = {**os.environ, "EVIDENCE_CHECK_MAX_DECODED_BYTES": str(BUDGET), "TMPDIR": str(temporary)}
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            STARTER,
            sys.executable,
            str(ROOT / "scripts" / "fuzz_loader.py"),
            f"-runs={RUNS}",
            "-seed=1",
            f"-artifact_prefix={tmp_path}/",
            str(tmp_path / "corpus"),
        ],
        capture_output=True,
        text=True,
        timeout=1200,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    report = "\n".join(line for line in done.stderr.splitlines() if not line.startswith("INFO: Instrumenting"))
    assert done.returncode == 0, report[-6000:]
    # libFuzzer checks the count between its own steps, so a run can end an input or so past it.
    finished = re.search(r"^Done (\d+) runs", done.stderr, re.MULTILINE)
    assert finished and int(finished.group(1)) >= RUNS, report[-2000:]
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(("crash-", "oom-", "timeout-"))]
    # Given a corpus folder, the run leaves nothing behind: libFuzzer ends the process, so a
    # temporary folder the script made would stay in /tmp after every run.
    assert not list(temporary.iterdir())
