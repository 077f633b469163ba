"""Load the HTTP API on loopback with 12-megapixel JPEGs; print photos/s, latency, errors, CPU and RSS.

    .venv/bin/python scripts/load_api.py --clients 1,4,16 --duration 60 --workers 2

Starts `evidence-check serve` on a fresh SQLite store in a temporary folder (or uses --url) and
sends a different picture each time: every request is a new photo of a new claim (recorded), and
the reuse look finds nothing, as for most real claims.

"Ideal" is the machine's cores at the CPU time one claim costs in this process (no HTTP); "capacity"
is what one in-process claim loop per core makes together (cores share cache and memory bandwidth);
"of 1 core/client" compares with min(clients, cores) cores, since a claim runs on one core. The
client runs on the same machine and its CPU is measured too ("of ideal w/o client"). "srv ms/photo"
is the server processes' CPU per answered photo, "loop ms/photo" the part on the event loops; the
overhead line compares one claim in process with the same through the server. RSS is per worker at
the start and end of each level (flat at one level: try --clients 16,16,16).
"""

from __future__ import annotations

import argparse
import io
import itertools
import json
import math
import multiprocessing
import os
import random
import re
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from process_stats import cpu_seconds, loop_seconds, rss_mb, thread_seconds  # noqa: E402

from api.app import limit_malloc_arenas, one_thread_per_request  # noqa: E402
from evidence_check.engine import Upload, now_utc  # noqa: E402
from evidence_check.intake import build_claim  # noqa: E402
from evidence_check.service import verify_claim  # noqa: E402
from evidence_check.settings import Settings  # noqa: E402
from evidence_check.store import Store  # noqa: E402

CLAIM = {"ordered_at": "2026-11-10T10:00", "delivered_at": "2026-11-14T15:00", "tz": "Asia/Shanghai"}
_RESTART = re.compile(rb"\xff[\xd0-\xd7]")  # RSTn; in entropy-coded data a 0xFF byte is followed by 0x00


def make_picture(width: int, height: int, seed: int) -> Image.Image:
    """Camera-like content: smooth shapes plus sensor noise, a different picture for each seed
    (Pillow's effect_noise draws from C's rand(): every new process would make the same ones)."""
    rng = np.random.default_rng(seed)

    def noise(w: int, h: int, sigma: float) -> Image.Image:
        return Image.fromarray(np.clip(rng.normal(128, sigma, (h, w)), 0, 255).astype(np.uint8)).convert(
            "RGB"
        )

    base = noise(width // 100, height // 100, 80).resize((width, height), Image.Resampling.BICUBIC)
    return Image.blend(base, noise(width, height, 12), 0.15)


def _encoded_picture(width: int, height: int, seed: int) -> bytes:
    exif = Image.Exif()
    exif[0x0110] = "Load Test Camera"
    exif.get_ifd(0x8769)[0x9003] = "2026:11:15 10:20:00"  # DateTimeOriginal
    out = io.BytesIO()
    make_picture(width, height, seed).save(
        out, "JPEG", quality=92, exif=exif.tobytes(), restart_marker_rows=1
    )
    return out.getvalue()


class Photos:
    """As many different 12 MP JPEGs as the load needs, each made in microseconds, not by encoding.

    Random pictures are encoded once with a restart marker after every row of blocks, so each row
    is coded on its own; a photo is the rows of `bands` horizontal bands, each band taken from one
    of the pictures at random. Two photos then share on average one band in `variants`, far from a
    copy for the reuse look. A comment segment of its own makes each file's bytes unique as well.

    With 8 pictures, photos shared enough bands for the reuse look to verify earlier ones as
    candidates: a claim in process cost 73.6 ms against an empty store and 81.3 ms against 600 such
    photos (median of 20), an overhead no real new claim pays and the in-process ideal (measured on
    an empty store) did not include. With 64 it stays at 70-73 ms up to 600 photos.
    """

    def __init__(self, width: int, height: int, variants: int = 64, bands: int = 8) -> None:
        heads, self.rows = set(), []
        # About 0.8 s per picture: made on every core.
        with multiprocessing.get_context("spawn").Pool(os.cpu_count() or 1) as pool:
            seeds = random.SystemRandom().sample(range(1 << 62), variants)  # new pictures each run
            for encoded in pool.starmap(_encoded_picture, [(width, height, seed) for seed in seeds]):
                head, rows = _split(encoded)
                heads.add(head)
                self.rows.append(rows)
        # Same size, quality and standard Huffman tables: every picture has the same headers.
        if len(heads) != 1 or len({len(r) for r in self.rows}) != 1:
            raise SystemExit("the pictures' JPEG headers differ; cannot splice their rows")
        self.head = heads.pop()
        self.bands = bands
        self.size = (width, height)

    def photo(self, n: int) -> bytes:
        rng = random.Random(n)
        choice = [rng.randrange(len(self.rows)) for _ in range(self.bands)]
        count = len(self.rows[0])
        out = bytearray(_with_comment(self.head, n))
        for row in range(count):
            out += self.rows[choice[row * self.bands // count]][row]
            if row < count - 1:
                out += bytes((0xFF, 0xD0 + row % 8))
        out += b"\xff\xd9"
        return bytes(out)


def _split(jpeg: bytes) -> tuple[bytes, list[bytes]]:
    """Headers up to the end of the scan header, and the entropy-coded rows between restart markers."""
    sos = jpeg.index(b"\xff\xda")
    start = sos + 2 + int.from_bytes(jpeg[sos + 2 : sos + 4], "big")
    if not jpeg.endswith(b"\xff\xd9"):
        raise SystemExit("unexpected JPEG ending")
    return jpeg[:start], _RESTART.split(jpeg[start:-2])


def _with_comment(head: bytes, n: int) -> bytes:
    position = 2
    while head[position] == 0xFF and 0xE0 <= head[position + 1] <= 0xEF:  # after APPn: EXIF stays first
        position += 2 + int.from_bytes(head[position + 2 : position + 4], "big")
    comment = f"load-{n}-{time.time_ns()}".encode()
    segment = b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment
    return head[:position] + segment + head[position:]


def ms_per_photo(photos: Photos, repeat: int, warmup: int = 2) -> tuple[float, float, float]:
    """Median CPU and wall milliseconds of one photo's claim in this process, without HTTP: the
    same work the server does per photo (analysis, reuse lookup, fingerprints, recording), on the
    same kind of pictures; and the spread (interquartile range of the CPU times).

    Wall well above CPU means other programs are using the cores: the load figures are then low too.
    """
    samples, walls, _ = timed_claims(photos, -1, repeat, warmup)
    quartiles = statistics.quantiles(samples, n=4) if len(samples) >= 2 else [0.0, 0.0, 0.0]
    return statistics.median(samples), statistics.median(walls), quartiles[2] - quartiles[0]


def timed_claims(
    photos: Photos, first: int, repeat: int, warmup: int = 2
) -> tuple[list[float], list[float], float]:
    """CPU and wall milliseconds of each of `repeat` claims in this process (after `warmup`), on
    photos `first`, `first - 1`, ... (negative: not among those the load sends); and the seconds
    the measured claims took together."""
    # As the server's workers run: one library thread per request, few malloc arenas.
    limit_malloc_arenas()
    one_thread_per_request()
    with tempfile.TemporaryDirectory(prefix="evidence-check-ideal-") as folder:
        settings = Settings(db=f"sqlite:///{folder}/ideal.sqlite3")
        store = Store(settings.db)
        samples, walls = [], []
        span = 0.0
        for n in range(warmup + repeat):
            now = now_utc()
            claim = build_claim(
                now=now, time_zone="Asia/Shanghai", **{k: v for k, v in CLAIM.items() if k != "tz"}
            )
            data = photos.photo(first - n)
            if n == warmup and _start_together is not None:
                _start_together.wait()
            started, wall = time.process_time(), time.perf_counter()
            verify_claim(claim, [Upload("a.jpg", data)], settings=settings, store=store, now=now)
            if n >= warmup:
                samples.append((time.process_time() - started) * 1000)
                walls.append((time.perf_counter() - wall) * 1000)
                span += walls[-1] / 1000
        store.close()
        return samples, walls, span


_start_together: Any = None  # in every_core_busy's processes: all start measuring at once


def _wait_for_each_other(barrier: Any) -> None:
    global _start_together
    _start_together = barrier


def every_core_busy(photos: Photos, repeat: int, cores: int) -> tuple[float, float]:
    """One process per core, each running claims back to back as `ms_per_photo` does: the median
    CPU milliseconds of a claim while every core is busy (cores share caches and memory bandwidth,
    so a claim costs more CPU than when it runs alone) and the photos per second they made together,
    the machine's capacity without HTTP."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(cores)
    with context.Pool(cores, initializer=_wait_for_each_other, initargs=(barrier,)) as pool:
        results = pool.starmap(timed_claims, [(photos, -1000 * (k + 1), repeat) for k in range(cores)])
    samples = [ms for found, _, _ in results for ms in found]
    return statistics.median(samples), cores * repeat / max(span for _, _, span in results)


def overhead(photos: Photos, url: str, pid: int, count: int) -> tuple[float, float, float]:
    """Median CPU milliseconds of one photo's claim in this process and in the server over HTTP,
    measured in turn, one after the other: whatever else loads the machine weighs on both alike,
    so their ratio is what HTTP, the framework and the worker threads add; and the part of the
    server's that its event loops took."""
    with tempfile.TemporaryDirectory(prefix="evidence-check-overhead-") as folder:
        store = Store(f"sqlite:///{folder}/inline.sqlite3")
        settings = Settings(db=store.url)
        inline, served, looped = [], [], []
        with httpx.Client(base_url=url, timeout=300) as http:
            for n in range(count + 2):
                now = now_utc()
                claim = build_claim(
                    now=now, time_zone="Asia/Shanghai", **{k: v for k, v in CLAIM.items() if k != "tz"}
                )
                started = time.process_time()
                verify_claim(
                    claim, [Upload("a.jpg", photos.photo(-100 - n))], settings=settings, store=store, now=now
                )
                mine = (time.process_time() - started) * 1000
                before, loop_before = thread_seconds(pid), loop_seconds(pid) or 0.0
                answer = http.post(
                    "/v1/verify",
                    files=[("photos", (f"o{n}.jpg", photos.photo(-10_000 - n), "image/jpeg"))],
                    data={**CLAIM, "claim_id": f"overhead-{n}"},
                )
                time.sleep(0.05)  # the event loop finishes writing the answer and its log line
                theirs = (thread_seconds(pid) - before) * 1000
                loop = ((loop_seconds(pid) or 0.0) - loop_before) * 1000
                if answer.status_code == 200 and n >= 2:  # the first ones warm both up
                    inline.append(mine)
                    served.append(theirs)
                    looped.append(loop)
        store.close()
        return statistics.median(inline), statistics.median(served), statistics.median(looped)


def server_log(log: Path, skip: int) -> tuple[list[float], dict[int, int], int]:
    """Milliseconds the server itself logged for /v1/verify from line `skip` on, and how many of
    those requests each worker process answered."""
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError:
        return [], {}, skip
    found: list[float] = []
    by_worker: dict[int, int] = {}
    for line in lines[skip:]:
        if line.startswith("{") and '"route": "/v1/verify"' in line:
            fields = json.loads(line)
            found.append(float(fields["ms"]))
            by_worker[fields.get("pid", 0)] = by_worker.get(fields.get("pid", 0), 0) + 1
    return found, by_worker, len(lines)


def client_cpu() -> float:
    """CPU seconds this load script has used so far (all its threads)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass
class Level:
    clients: int
    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    reused: int = 0  # answers whose reuse look did not pass: the pictures were not new after all
    elapsed: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)


def run_level(
    url: str, photos: Photos, clients: int, duration: float, counter: itertools.count[int]
) -> Level:
    level = Level(clients)
    deadline = time.monotonic() + duration

    def client() -> None:
        with httpx.Client(base_url=url, timeout=300) as http:
            while time.monotonic() < deadline:
                n = next(counter)
                data = photos.photo(n)
                started = time.perf_counter()
                reused = False
                try:
                    response = http.post(
                        "/v1/verify",
                        files=[("photos", (f"p{n}.jpg", data, "image/jpeg"))],
                        data={**CLAIM, "claim_id": f"load-{n}", "customer_id": f"u{n % 97}"},
                    )
                    outcome = "ok" if response.status_code == 200 else f"http {response.status_code}"
                    if outcome == "ok":
                        reused = response.json()["images"][0]["checks"]["reuse"]["status"] != "pass"
                except httpx.HTTPError as exc:
                    outcome = type(exc).__name__
                took = time.perf_counter() - started
                with level.lock:
                    if outcome == "ok":
                        level.latencies.append(took)
                        level.reused += reused
                    else:
                        level.errors[outcome] = level.errors.get(outcome, 0) + 1

    started = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    level.elapsed = time.monotonic() - started
    return level


def start_server(
    folder: Path, parallel: int | None, workers: int, db: str | None
) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [
        sys.executable, "-c", "from evidence_check.cli import main; main()", "serve",
        "--port", str(port), "--db", db or f"sqlite:///{folder / 'load.sqlite3'}", "--log-level", "info", "--workers", str(workers),
    ]  # fmt: skip
    env = {**os.environ}
    if parallel is not None:
        env["EVIDENCE_CHECK_API_MAX_PARALLEL"] = str(parallel)
    with (folder / "server.log").open("wb") as log:
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=log)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"server did not start: {(folder / 'server.log').read_text()[-500:]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", default="1,4,16", help="concurrent clients per level, comma-separated")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds per level (at most 60)")
    parser.add_argument("--megapixels", type=float, default=12.0)
    parser.add_argument("--url", help="an already running server (no server CPU or RSS figures then)")
    parser.add_argument(
        "--parallel",
        type=int,
        help="claims analysed at once per server process (default: the server's setting, api_max_parallel)",
    )
    parser.add_argument("--db", help="store of the server started here (default: a new SQLite file)")
    parser.add_argument("--workers", type=int, default=1, help="server processes (serve --workers)")
    parser.add_argument("--baseline-repeat", type=int, default=7)
    parser.add_argument(
        "--busy-repeat",
        type=int,
        default=12,
        help="claims per core for the every-core-busy capacity (0: skip)",
    )
    parser.add_argument(
        "--overhead", type=int, default=20, help="claims sent in turn in process and to the server (0: skip)"
    )
    args = parser.parse_args()
    duration = min(args.duration, 60.0)
    width = int((args.megapixels * 1e6 * 4 / 3) ** 0.5) // 16 * 16
    photos = Photos(width, width * 3 // 4 // 16 * 16)
    sample = photos.photo(0)
    cores = os.cpu_count() or 1
    print(f"server: --workers {args.workers}, claims at once per worker: {args.parallel or 'the server setting'}; "
          f"load average {os.getloadavg()[0]:.1f} at the start")  # fmt: skip
    cpu_ms, wall_ms, spread = ms_per_photo(photos, args.baseline_repeat)
    ideal = cores * 1000 / cpu_ms
    print(f"photo: {photos.size[0]}x{photos.size[1]} JPEG, {len(sample) / 1e6:.1f} MB; one claim in process: "
          f"{cpu_ms:.0f} ms CPU (IQR {spread:.0f}), {wall_ms:.0f} ms wall -> ideal {ideal:.2f} photos/s on {cores} cores")  # fmt: skip
    capacity = float("nan")
    if args.busy_repeat:
        busy_ms, capacity = every_core_busy(photos, args.busy_repeat, cores)
        print(f"in process, one claim after another on each of the {cores} cores at once: {busy_ms:.0f} ms CPU per claim "
              f"(median), {capacity:.2f} photos/s together = the machine's capacity without HTTP (\"of capacity\")")  # fmt: skip

    with tempfile.TemporaryDirectory(prefix="evidence-check-load-") as tmp:
        process, url = (
            (None, args.url) if args.url else start_server(Path(tmp), args.parallel, args.workers, args.db)
        )
        pid = process.pid if process else None
        counter = itertools.count()
        if pid is not None and args.overhead:
            inline, by_server, by_loop = overhead(photos, url, pid, args.overhead)
            print(f"one claim, in turn: {inline:.0f} ms CPU in process, {by_server:.0f} ms CPU in the server "
                  f"over HTTP ({by_server / inline - 1:+.0%}; of which its event loop {by_loop:.1f} ms; median of {args.overhead}); "
                  f"ideal from the in-process figure, measured with the server: {cores * 1000 / inline:.2f} photos/s")  # fmt: skip
            # More samples, and taken beside the server's own: a steadier ideal than the first few.
            cpu_ms = inline
            ideal = cores * 1000 / cpu_ms
        log, seen = Path(tmp) / "server.log", 0
        print(f"{'clients':>7} {'photos/s':>8} {'of ideal':>8} {'of capacity':>11} {'w/o client':>10} {'of 1 core/client':>16} {'p50 ms':>7} {'p99 ms':>7} "
              f"{'srv p50':>7} {'srv ms/photo':>12} {'loop ms/photo':>13} {'srv cores':>9} {'client cores':>12} {'ok':>5} {'errors':>6} "
              f"{'reused':>6} {'load avg':>8} {'per worker':>10}  RSS MB start -> end (per process)")  # fmt: skip
        try:
            for clients in (int(c) for c in args.clients.split(",")):
                rss_start, cpu_start, mine_start = rss_mb(pid), cpu_seconds(pid), client_cpu()
                loop_start = loop_seconds(pid)
                level = run_level(url, photos, clients, duration, counter)
                rss_end, cpu_end, mine = rss_mb(pid), cpu_seconds(pid), client_cpu() - mine_start
                loop_end = loop_seconds(pid)
                ok = len(level.latencies)
                elapsed = level.elapsed or float("nan")
                rate = ok / elapsed
                client_cores = mine / elapsed
                # The ideal over the cores the client leaves to the server (labelled: it shares them).
                spare = max(cores - client_cores, 1e-9) * 1000 / cpu_ms
                server_cpu = None if cpu_start is None or cpu_end is None else cpu_end - cpu_start
                per_photo = f"{server_cpu * 1000 / ok:.0f}" if server_cpu is not None and ok else "-"
                loop_cpu = None if loop_start is None or loop_end is None else loop_end - loop_start
                per_loop = f"{loop_cpu * 1000 / ok:.1f}" if loop_cpu is not None and ok else "-"
                busy = f"{server_cpu / elapsed:.2f}" if server_cpu is not None else "-"
                cuts = statistics.quantiles(level.latencies, n=100) if ok >= 2 else [float("nan")] * 99
                p50 = statistics.median(level.latencies) * 1000 if ok else float("nan")
                errors = sum(level.errors.values())
                inside, by_worker, seen = server_log(log, seen)
                served = f"{statistics.median(inside):.0f}" if inside else "-"
                memory = ", ".join(
                    f"{rss_start.get(p, 0):.0f} -> {rss_end[p]:.0f}" for p in sorted(rss_end) if p != pid
                ) or ", ".join(f"{rss_start.get(p, 0):.0f} -> {v:.0f}" for p, v in rss_end.items())
                of_capacity = "-" if math.isnan(capacity) else f"{rate / capacity:.0%}"
                print(f"{clients:>7} {rate:>8.2f} {rate / ideal:>8.0%} {of_capacity:>11} {rate / spare:>10.0%} {rate * cpu_ms / 1000 / min(clients, cores):>16.0%} {p50:>7.0f} {cuts[98] * 1000:>7.0f} "
                      f"{served:>7} {per_photo:>12} {per_loop:>13} {busy:>9} {client_cores:>12.2f} {ok:>5} {errors:>6} "
                      f"{level.reused:>6} {os.getloadavg()[0]:>8.1f} {':'.join(str(n) for n in sorted(by_worker.values(), reverse=True)) or '-':>10}  {memory or '-'}"
                      + (f"  {level.errors}" if errors else ""))  # fmt: skip
        finally:
            if process is not None:
                process.terminate()
                process.wait(60)


if __name__ == "__main__":
    main()
