"""CPU time and memory of a server and its worker processes, read from /proc (Linux): for the
load and probe scripts, which measure a server running beside them."""

from __future__ import annotations

import os
from pathlib import Path


def tree(pid: int) -> list[int]:
    """The server and its worker processes (children, for `--workers N`)."""
    found = [pid]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            if parent == pid:
                found.append(int(entry.name))
    return found


def thread_seconds(pid: int) -> float:
    """CPU time so far of the live threads of the server and its workers, to the nanosecond (the
    10-ms ticks of `cpu_seconds` are too coarse for one request; threads that ended are missing)."""
    total = 0
    for member in tree(pid):
        try:
            threads = list(Path(f"/proc/{member}/task").iterdir())
        except OSError:
            continue
        for thread in threads:
            try:
                total += int((thread / "schedstat").read_text().split()[0])
            except (OSError, ValueError, IndexError):
                continue
    return total / 1e9


def cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU time so far of the server and its workers, and of the processes they started
    and have reaped since (a catalog import's measuring process): its time moves into its parent's
    cutime/cstime when it ends, so a figure taken across its life still counts it."""
    if pid is None:
        return None
    total = 0.0
    for member in tree(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(field) for field in fields[11:15]) / os.sysconf("SC_CLK_TCK")
    return total


def loop_seconds(pid: int | None) -> float | None:
    """CPU time so far of the main thread of the server and of each worker: the event loop, which
    reads every upload and writes every answer (nanosecond counts from /proc's schedstat)."""
    if pid is None:
        return None
    total = 0
    for member in tree(pid):
        try:
            total += int(Path(f"/proc/{member}/task/{member}/schedstat").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            continue
    return total / 1e9


def rss_mb(pid: int | None) -> dict[int, float]:
    """Resident memory of the server and of each worker process, in MB, by process id."""
    if pid is None:
        return {}
    found = {}
    for member in tree(pid):
        try:
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    found[member] = int(line.split()[1]) / 1024
        except OSError:
            continue
    return found
