"""The lock is one decision in one home: requirements/*.txt are uv.lock's exports, and uv.lock is
pyproject.toml's resolution. A change to one without the others fails here; `bash scripts/lock.sh`
brings them back together."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
UV = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
pytestmark = pytest.mark.skipif(UV is None, reason="needs uv (in the dev extra: bash scripts/install.sh dev)")


def _uv(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    return subprocess.run([str(UV), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def _exported(*extras: str) -> str:
    flags = [f"--extra={extra}" for extra in extras]
    done = _uv("export", "--frozen", "--no-emit-project", "--no-header", "--format", "requirements-txt", *flags)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize(("name", "extras"), [("run", ("postgres",)), ("dev", ("dev", "postgres"))])
def test_requirements_are_the_locks_export(name: str, extras: tuple[str, ...]) -> None:
    written = (ROOT / "requirements" / f"{name}.txt").read_text()
    assert written == _exported(*extras), f"requirements/{name}.txt is stale: run bash scripts/lock.sh"


def test_the_lock_pins_one_headless_opencv_and_no_gui_build() -> None:
    dev = (ROOT / "requirements" / "dev.txt").read_text()
    installable = [line for line in dev.splitlines() if re.match(r"^opencv-python(-headless)?==", line)]
    headless = [line for line in installable if line.startswith("opencv-python-headless==")]
    gui = [line for line in installable if line.startswith("opencv-python==")]
    assert len(headless) == 1, headless
    # The GUI build (rapidocr asks for it) is present only behind a marker no platform has.
    assert all("sys_platform == 'never'" in line for line in gui), gui


def test_every_line_carries_a_hash() -> None:
    for name in ("run", "dev"):
        text = (ROOT / "requirements" / f"{name}.txt").read_text()
        pins = re.findall(r"^([A-Za-z0-9_.-]+)==\S+(.*?)(?=^\S|\Z)", text, flags=re.M | re.S)
        assert pins, name
        unhashed = [pkg for pkg, rest in pins if "--hash=sha256:" not in rest]
        assert not unhashed, f"{name}: {unhashed}"
