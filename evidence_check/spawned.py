"""Worker processes of their own for measuring catalog images, so that a file that crashes a decoder
(or the OOM killer) ends a worker, not the import or the server that asked: `catalog import` and
`POST /v1/catalog/import` measure there."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any


@contextmanager
def spawned_pool(jobs: int, initializer: Callable[..., object], initargs: tuple[Any, ...]) -> Iterator[ProcessPoolExecutor]:
    """`jobs` spawned worker processes, stopped at once when left early (Ctrl-C, a store error)."""
    # Spawned, not forked: a worker must not inherit the store's connections or other threads' locks.
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(jobs, mp_context=context, initializer=initializer, initargs=initargs)
    finished = False
    try:
        yield pool
        finished = True
    finally:
        # Left early, what the workers measure now would not be stored, and waiting for them took
        # seconds. Broken, the pool stops its other workers itself, yet Python 3.11's pool was seen
        # to wait forever for one of them to end (1 run in 4 of a --jobs 2 import). `terminate_workers`
        # is Python 3.14's.
        if not finished or getattr(pool, "_broken", False):
            stop = getattr(pool, "terminate_workers", None)
            if stop is not None:
                stop()
            else:
                for process in list((getattr(pool, "_processes", None) or {}).values()):
                    process.terminate()
        pool.shutdown(wait=True, cancel_futures=True)
