"""glibc's heap in a server process: few arenas, large buffers on pages of their own, and the free
pages handed back now and then, so that RSS stays flat under load (elsewhere nothing happens)."""

from __future__ import annotations

import ctypes
import itertools

MALLOC_ARENAS = 2
# Buffers this large or larger get pages of their own, returned to the system when freed.
MMAP_THRESHOLD = 1024 * 1024
_M_ARENA_MAX = -8  # glibc's mallopt parameter numbers
_M_MMAP_THRESHOLD = -3
# One claim in this many, the analysing thread hands the heap's free pages back (malloc_trim).
TRIM_EVERY = 16
_claims_analysed = itertools.count(1)


def release_freed_memory() -> None:
    """Call after a claim's analysis: every TRIM_EVERY-th call returns glibc's free heap pages.

    Below the mmap threshold the heap keeps what a claim freed between the small objects that
    stay (reuse index entries, caches), so RSS crept up ~37 KB per 12 MP photo in an analysing
    thread, two at a time as in a worker (1 KB with a trim after every claim, 10 KB after every
    16th or 32nd; a trim costs 1-3 ms of CPU, so about 0.15 ms per photo this way).
    """
    if next(_claims_analysed) % TRIM_EVERY == 0 and _LIBC is not None:
        _LIBC.malloc_trim(0)


def _glibc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None


_LIBC = _glibc()


def limit_malloc_arenas() -> None:
    """Keep the server's memory flat under load (glibc only; elsewhere nothing happens).

    glibc gives each thread of the pool its own malloc arena, and each keeps the freed buffers of
    the photos it handled: with 16 clients RSS rose from 100 MB to about 450 MB and stayed there.
    Two arenas held it near 160 MB at the same throughput (scripts/load_api.py).

    A fixed mmap threshold: glibc otherwise raises it to the size of each large buffer freed (up to
    32 MB), after which the decoded images (36 MB for 12 MP RGB) and their copies come from the
    arenas, fragment them and stay resident. With it, each worker of `load_api.py --clients
    16,16,16 --workers 2` levelled off at about 170 MB instead of 235 MB, for about 2 ms more CPU
    per 12 MP photo (page faults; interleaved A/B of the threshold in one process: 102.5 vs 100.7 ms).
    """
    if _LIBC is not None:
        _LIBC.mallopt(_M_ARENA_MAX, MALLOC_ARENAS)
        _LIBC.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
