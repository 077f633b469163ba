"""An import's worker that dies as the kernel's OOM killer ends one: SIGKILL, no traceback, no
cleanup. Its own small module: a spawned worker imports the module of the function it is given, and
this one imports no test module's fixtures. Each hook is told its files by the environment."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

from evidence_check import importing
from evidence_check.cli import catalog as catalog_cli

DIES_ON = "C-3"
CRASHES_DECODER = "crashes_decoder.jpg"  # a file that kills the process measuring it, every time
STORED_FLAG = "EVIDENCE_CHECK_TEST_STORED_FLAG"  # made by the importing process when it stored a SKU
DIED_FLAG = "EVIDENCE_CHECK_TEST_DIED_FLAG"  # written by a worker just before it dies, a character each time
STARTED_FLAG = "EVIDENCE_CHECK_TEST_STARTED_FLAG"  # made by a worker when it starts an innocent SKU


def _waited_for(variable: str) -> None:
    flag, waited = Path(os.environ[variable]), time.monotonic()
    while not flag.exists() and time.monotonic() - waited < 60:
        time.sleep(0.05)


def _die() -> None:
    with Path(os.environ[DIED_FLAG]).open("a") as flag:  # one character a death
        flag.write("x")
    os.kill(os.getpid(), signal.SIGKILL)


def measure_or_die_once(entry: catalog_cli.Entry, *args: Any) -> Any:
    """Dies on `DIES_ON` once a SKU is stored, the first time only: memory that ran out once."""
    if entry.sku == DIES_ON and not Path(os.environ[DIED_FLAG]).exists():
        _waited_for(STORED_FLAG)
        _die()
    return catalog_cli._measure_in_worker(entry, *args)


def dies_beside_another(entry: catalog_cli.Entry, *args: Any) -> Any:
    """Dies on `DIES_ON` every time (a file that crashes the decoder), once another worker started
    an innocent SKU; that one waits for the death, so it is in flight when the pool breaks."""
    if entry.sku == DIES_ON:
        _waited_for(STARTED_FLAG)
        _die()
    Path(os.environ[STARTED_FLAG]).touch()
    _waited_for(DIED_FLAG)
    return catalog_cli._measure_in_worker(entry, *args)


def always_dies(entry: catalog_cli.Entry, *args: Any) -> Any:
    """Dies on every SKU: a machine where no measuring process lives."""
    _die()


def dies_on_a_file(entry: catalog_cli.Entry, *args: Any) -> Any:
    """Dies whenever the SKU's images include `CRASHES_DECODER` (a decoder's segfault on that file)."""
    if any(path.name == CRASHES_DECODER for path in entry.images):
        _die()
    return catalog_cli._measure_in_worker(entry, *args)


def measures_here_or_dies(uploads: list[Any], *args: Any) -> Any:
    """`POST /v1/catalog/import`'s measuring process, dying whenever it is given `CRASHES_DECODER`."""
    if any(upload.filename == CRASHES_DECODER for upload in uploads):
        _die()
    return importing._measure_here(uploads, *args)
