"""Whether measuring what is recorded while the checks run (`verify_claim(measure_aside=True)`) pays.

    .venv/bin/python scripts/bench_overlap.py --photos 40

Verifies and records new 12 MP photos (the pictures of scripts/load_api.py) in this process,
alternating with and without the overlap, and prints per mode the median CPU time of the process,
the CPU time of the claim's own thread (its critical path when a second core is free) and the wall
time. The process's CPU must not grow; the wall time falls only where a core is free, so run it on
a quiet machine (`uptime` is printed).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

from load_api import CLAIM, Photos  # beside this script

from api.app import limit_malloc_arenas, one_thread_per_request
from evidence_check import service
from evidence_check.engine import Upload, now_utc
from evidence_check.intake import build_claim
from evidence_check.settings import Settings
from evidence_check.store import Store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=40, help="claims of one photo each, half per mode")
    parser.add_argument("--megapixels", type=float, default=12.0)
    args = parser.parse_args()
    limit_malloc_arenas()
    one_thread_per_request()  # as in the server
    width = int((args.megapixels * 1e6 * 4 / 3) ** 0.5) // 16 * 16
    photos = Photos(width, width * 3 // 4 // 16 * 16)
    store = Store(f"sqlite:///{tempfile.mkdtemp(prefix='evidence-check-overlap-')}/bench.sqlite3")
    settings = Settings(db=store.url)
    figures: dict[bool, tuple[list[float], list[float], list[float]]] = {
        True: ([], [], []),
        False: ([], [], []),
    }
    warmup = 4
    for n in range(warmup + args.photos):
        overlap = n % 2 == 0
        now = now_utc()
        claim = build_claim(
            now=now, time_zone="Asia/Shanghai", **{k: v for k, v in CLAIM.items() if k != "tz"}
        )
        data = photos.photo(n)
        cpu, thread, wall = time.process_time(), time.thread_time(), time.perf_counter()
        service.verify_claim(
            claim, [Upload("a.jpg", data)], settings=settings, store=store, now=now, measure_aside=overlap
        )
        if n >= warmup:
            process_ms, thread_ms, wall_ms = figures[overlap]
            process_ms.append((time.process_time() - cpu) * 1000)
            thread_ms.append((time.thread_time() - thread) * 1000)
            wall_ms.append((time.perf_counter() - wall) * 1000)
    store.close()
    print(f"load average {os.getloadavg()[0]:.1f} (2 cores are free only near 0)")
    print(f"{'mode':<22} {'process CPU ms':>14} {'claim thread CPU ms':>19} {'wall ms':>8} {'wall p25':>8}")
    for overlap, (process_ms, thread_ms, wall_ms) in figures.items():
        print(f"{'measure while checking' if overlap else 'one after the other':<22} "
              f"{statistics.median(process_ms):>14.0f} {statistics.median(thread_ms):>19.0f} "
              f"{statistics.median(wall_ms):>8.0f} {statistics.quantiles(wall_ms, n=4)[0]:>8.0f}")  # fmt: skip


if __name__ == "__main__":
    main()
