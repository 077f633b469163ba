"""Every script in scripts/ answers --help with its usage and does no work, and refuses a flag it does
not know: a script that parsed sys.argv by hand ran its whole bench on --help (7 minutes for
bench_location.py) or took an unknown flag for a path and wrote a file named after it
(make_bench_photo.py). The modules the scripts import (no `__main__` block) do nothing when run.

Each script runs as `__main__` in a process of its own, in a scratch folder of its own, so a script that
does work on --help writes there, not in the checkout; the timeout only stops one that hangs (the
slowest answers in seconds), and stops the processes it started too, so that a bench run by mistake
does not go on burning the shared cores. The processes are forked, side by side, one per core up to
eight, from one interpreter that imported OpenCV, numpy and the package once: a fresh interpreter each
spent a second of CPU on those imports, 46 of them, for answers that take milliseconds."""

from __future__ import annotations

import atexit
import json
import multiprocessing
import os
import re
import runpy
import signal
import subprocess
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = sorted((ROOT / "scripts").glob("*.py"))
COMMANDS = [path for path in SCRIPTS if 'if __name__ == "__main__":' in path.read_text()]
MODULES = [path for path in SCRIPTS if path not in COMMANDS]
GENEROUS_SECONDS = 180
SIDE_BY_SIDE = min(len(os.sched_getaffinity(0)), 8)
# What the scripts import at their top, imported once in the forking interpreter.
SHARED_IMPORTS = ("numpy", "cv2", "PIL.Image", "httpx", "sqlalchemy", "evidence_check.cli", "api.app")


@dataclass(frozen=True)
class Run:
    done: subprocess.CompletedProcess[str]
    wrote: list[str]


def _run_all(jobs: list[tuple[Path, str, Path]], seconds: float = GENEROUS_SECONDS) -> list[Run]:
    """Each (script, flag, folder)'s answer; one that outlives `seconds` is killed with the processes
    it started (its own session) and answers -SIGKILL with what it printed, so that only its own
    tests fail. The forking interpreter is this module run as a script, so its CPU counts as the
    suite's (a child of pytest, waited for)."""
    asked = []
    for number, (script, flag, cwd) in enumerate(jobs):
        answers = cwd.parent / f"{cwd.name}.answers"
        answers.mkdir()
        asked.append({"script": str(script), "flag": flag, "cwd": str(cwd), "seconds": seconds,
                      "stdout": str(answers / "stdout"), "stderr": str(answers / "stderr"), "number": number})  # fmt: skip
    done = subprocess.run(
        [sys.executable, __file__],
        input=json.dumps(asked),
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    codes = json.loads(done.stdout)
    runs = []
    for job, code in zip(asked, codes, strict=True):
        stdout, stderr = Path(job["stdout"]).read_text(), Path(job["stderr"]).read_text()
        if code["killed"]:
            stderr += f"\n(killed after {seconds} s)"
        command = [sys.executable, job["script"], job["flag"]]
        runs.append(Run(subprocess.CompletedProcess(command, code["returncode"], stdout, stderr),
                        sorted(path.name for path in Path(job["cwd"]).iterdir())))  # fmt: skip
    return runs


def _fork_each(asked: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for module in SHARED_IMPORTS:
        __import__(module)
    waiting = list(asked)
    running: dict[int, dict[str, Any]] = {}
    answers: list[dict[str, Any]] = [{} for _ in asked]
    while waiting or running:
        while waiting and len(running) < SIDE_BY_SIDE:
            job = waiting.pop(0)
            pid = os.fork()
            if pid == 0:
                _be_the_script(job)
            running[pid] = {**job, "deadline": time.monotonic() + job["seconds"], "killed": False}
        pid, status = os.waitpid(-1, os.WNOHANG)
        if pid:
            job = running.pop(pid)
            answers[job["number"]] = {
                "returncode": os.waitstatus_to_exitcode(status),
                "killed": job["killed"],
            }
            continue
        for pid, job in running.items():
            if not job["killed"] and time.monotonic() > job["deadline"]:
                os.killpg(pid, signal.SIGKILL)
                job["killed"] = True
        time.sleep(0.01)
    return answers


def _be_the_script(job: dict[str, Any]) -> None:
    """In the forked child: run the script as `python SCRIPT FLAG` would, in a session of its own."""
    code = 1
    try:
        atexit._clear()  # the forking interpreter's: a fresh one runs only those its imports register
        os.setsid()
        os.chdir(job["cwd"])
        for fd, name in ((1, "stdout"), (2, "stderr")):
            os.dup2(os.open(job[name], os.O_WRONLY | os.O_CREAT | os.O_TRUNC), fd)
        sys.argv = [job["script"], job["flag"]]
        sys.path[0] = str(Path(job["script"]).parent)  # as `python SCRIPT` sees it, not this file's folder
        try:
            runpy.run_path(job["script"], run_name="__main__")
            code = 0
        except SystemExit as stop:
            if stop.code is None or isinstance(stop.code, int):
                code = stop.code or 0
            else:
                print(stop.code, file=sys.stderr)
        except BaseException:
            traceback.print_exc()
        _exit_as_python_does()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _exit_as_python_does() -> None:
    """What an interpreter does at its end and `os._exit` skips: wait for the threads that are not
    daemons (a script that began its work in one on --help answered 0 at once), then run the script's
    atexit functions."""
    try:
        threading._shutdown()  # type: ignore[attr-defined]  # the interpreter's own call: tells executors to end first
        atexit._run_exitfuncs()
    except BaseException:
        traceback.print_exc()


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Run]:
    asked = [(path, "--help") for path in SCRIPTS] + [(path, "--no-such-flag") for path in COMMANDS]
    answers = _run_all([(path, flag, tmp_path_factory.mktemp(path.stem)) for path, flag in asked])
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


def test_a_script_that_hangs_is_stopped_with_what_it_started(tmp_path: Path) -> None:
    script = tmp_path / "hangs.py"
    script.write_text(
        "import subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
        "open('child.pid', 'w').write(str(child.pid))\n"
        "print('working', flush=True)\n"
        "time.sleep(600)\n"
    )
    folder = tmp_path / "runs-here"
    folder.mkdir()
    [run] = _run_all([(script, "--help", folder)], seconds=3)
    assert run.done.returncode == -signal.SIGKILL
    assert run.done.stdout == "working\n"
    child = int((folder / "child.pid").read_text())
    assert _gone(child)


def test_a_script_answers_with_its_exit_code_and_what_it_printed(tmp_path: Path) -> None:
    script = tmp_path / "answers.py"
    script.write_text("import sys\nprint('out')\nprint('err', file=sys.stderr)\nsys.exit(3)\n")
    folder = tmp_path / "runs-here"
    folder.mkdir()
    [run] = _run_all([(script, "--help", folder)])
    assert (run.done.returncode, run.done.stdout, run.done.stderr) == (3, "out\n", "err\n")


def test_a_script_whose_work_goes_on_in_a_thread_is_waited_for(tmp_path: Path) -> None:
    """Forked, the script's end was the process's: its threads and atexit functions never ran."""
    script = tmp_path / "threaded.py"
    script.write_text(
        "import atexit, threading, time\n"
        "atexit.register(print, 'at exit', flush=True)\n"
        "def work():\n"
        "    time.sleep(0.5)\n"
        "    print('worked', flush=True)\n"
        "threading.Thread(target=work).start()\n"
    )
    folder = tmp_path / "runs-here"
    folder.mkdir()
    [run] = _run_all([(script, "--help", folder)])
    assert (run.done.returncode, run.done.stdout) == (0, "worked\nat exit\n")


def _gone(pid: int) -> bool:
    """Ended: no such process, or a zombie its new parent has not reaped yet."""
    for _ in range(50):
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return True
        if state == "Z":
            return True
        time.sleep(0.1)
    return False


def test_train_vocabulary_writes_over_a_vocabulary_only_when_forced(tmp_path: Path) -> None:
    """It used to replace the package's committed vocabulary without a word: every catalog not
    reindexed then measures its images' words again. Refused before any training is done."""
    (tmp_path / "corpora" / "near-duplicates").mkdir(parents=True)
    existing = tmp_path / "vocabulary.npz"
    existing.write_bytes(b"kept")
    script = ROOT / "scripts" / "train_vocabulary.py"

    def train(*flags: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, str(script), str(tmp_path / "corpora"), *flags]
        return subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, timeout=GENEROUS_SECONDS)

    for flags in ((), ("--out", str(existing))):
        refused = train(*flags)
        assert refused.returncode != 0 and "exists: --force" in refused.stderr, refused.stderr
    assert existing.read_bytes() == b"kept"
    forced = train("--out", str(existing), "--force")  # past the check: an empty corpus has nothing to train
    assert "exists" not in forced.stderr and "need at least one array" in forced.stderr, forced.stderr


def test_every_script_finds_the_shared_corpora_beside_the_repository() -> None:
    """Some took ../shared from the working folder, others from their own place by different
    counts of parents: run from anywhere but the checkout, the first found nothing."""
    from_the_working_folder = re.compile(r'"\.\./shared|parents\[2\]|parent\.parent\.parent')
    found = [path.name for path in SCRIPTS if from_the_working_folder.search(path.read_text())]
    assert found == []
    assert all('ROOT.parent / "shared"' in path.read_text() for path in SCRIPTS if '"shared"' in path.read_text())


@pytest.mark.skipif(not (ROOT.parent / "shared" / "corpora").is_dir(), reason="needs ../shared/corpora beside the repository")
def test_a_script_run_from_another_folder_finds_the_corpora(tmp_path: Path) -> None:
    """train_vocabulary.py given no corpora, run from a scratch folder: it finds ../shared/corpora
    beside the repository and goes on to its next check (the package's vocabulary is there)."""
    script = ROOT / "scripts" / "train_vocabulary.py"
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path, timeout=GENEROUS_SECONDS)
    assert done.returncode != 0 and "exists: --force" in done.stderr, done.stderr



@pytest.mark.parametrize(
    ("name", "before_the_corpus"),
    [("probe_location_print_versions.py", []), ("probe_location_aligned_part.py", []), ("bench_location.py", []),
     ("probe_location_new_colour.py", []), ("probe_location_lines.py", []),
     ("probe_location_by_eye.py", ["sheets", "sheets-folder"])],
)  # fmt: skip
def test_the_location_scripts_say_in_one_line_when_their_corpus_is_absent(name: str, before_the_corpus: list[str], tmp_path: Path) -> None:
    """On a clone without ../shared they read the missing folder and ended in a traceback."""
    script = ROOT / "scripts" / name
    argv = [sys.executable, str(script), *before_the_corpus, str(tmp_path / "nowhere")]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=GENEROUS_SECONDS, cwd=tmp_path)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.strip() == f"no grocery corpus under {tmp_path / 'nowhere'} (a checkout wants ../shared/corpora/product-matching beside it)"

if __name__ == "__main__":
    json.dump(_fork_each(json.load(sys.stdin)), sys.stdout)


def test_bench_import_writes_paths_its_manifest_can_find_from_a_corpus_named_relative(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`bench_import.py ../shared/corpora/product-matching`, as its measurements doc runs it: the
    manifest is written in a folder of its own and read relative to itself, so paths relative to
    the working folder named no file and every import failed (no image could be used)."""
    (tmp_path / "corpus" / "grocery" / "Soap").mkdir(parents=True)
    (tmp_path / "corpus" / "grocery" / "Soap" / "a.jpg").write_bytes(b"jpeg")
    (tmp_path / "out").mkdir()
    monkeypatch.chdir(tmp_path)
    manifest = runpy.run_path(str(ROOT / "scripts" / "bench_import.py"))["manifest"]
    path, skus, images = manifest(Path("corpus"), tmp_path / "out", None)
    named = path.read_text().splitlines()[1].split(",")[-1]
    assert (skus, images) == (1, 1) and (path.parent / named).is_file()


def _burn_cpu(seconds: float) -> None:
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


def test_the_benches_cpu_figure_counts_a_process_that_ended_meanwhile() -> None:
    """A catalog import's measuring process ends before the bench reads the server's CPU again: its
    time, moved into its parent's counts, must still be in the figure (it was lost: 0.04 s of 1)."""
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        from process_stats import cpu_seconds
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    before = cpu_seconds(os.getpid())
    child = multiprocessing.get_context("spawn").Process(target=_burn_cpu, args=(0.5,))
    child.start()
    child.join()
    after = cpu_seconds(os.getpid())
    assert before is not None and after is not None and after - before >= 0.45
