"""An import's worker that dies as the kernel's OOM killer ends one: SIGKILL, no traceback, no
cleanup, on the SKU named by `DIES_ON`, once the file named by the environment's `STORED_FLAG`
exists (the importing process made it when it stored a SKU). Its own small module: a spawned worker
imports the module of the function it is given, and this one imports no test module's fixtures."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

from evidence_check.cli import catalog as catalog_cli

DIES_ON = "C-3"
STORED_FLAG = "EVIDENCE_CHECK_TEST_STORED_FLAG"


def measure_or_die(entry: catalog_cli.Entry, *args: Any) -> Any:
    if entry.sku == DIES_ON:
        flag, waited = Path(os.environ[STORED_FLAG]), time.monotonic()
        while not flag.exists() and time.monotonic() - waited < 60:
            time.sleep(0.05)
        os.kill(os.getpid(), signal.SIGKILL)
    return catalog_cli._measure_in_worker(entry, *args)
