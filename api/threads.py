"""Threads: the pool kept apart for operations, and the library threads of an analysing thread."""

from __future__ import annotations

import anyio

# Threads of their own for /healthz and /metrics: when every thread of the shared pool waits to
# analyse a claim, a busy server must still answer them rather than look dead and be restarted.
OPERATIONS_THREADS = anyio.CapacityLimiter(2)


def one_library_thread_here() -> None:
    """Make FAISS single-threaded in the calling thread; call it in the thread that analyses.

    OpenMP keeps its thread count per thread: `faiss.omp_set_num_threads(1)` at start-up holds only
    for the main thread, and a request's pool thread got OpenMP's default of one thread per core.
    Its helper spun after every search: 12 MP photos cost 164 instead of 118 ms of CPU when
    analysed on a thread other than the main one (the same claim code, one process, 20 photos).
    """
    import faiss

    faiss.omp_set_num_threads(1)
