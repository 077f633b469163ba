"""An import's worker that dies as the kernel's OOM killer ends one: SIGKILL, no traceback, no
cleanup, on the SKU named by `DIES_ON`. Its own small module: a spawned worker imports the module
of the function it is given, and this one imports no test module's fixtures."""

from __future__ import annotations

import os
import signal
from typing import Any

from evidence_check.cli import catalog as catalog_cli

DIES_ON = "B-2"


def measure_or_die(entry: catalog_cli.Entry, *args: Any) -> Any:
    if entry.sku == DIES_ON:
        os.kill(os.getpid(), signal.SIGKILL)
    return catalog_cli._measure_in_worker(entry, *args)
