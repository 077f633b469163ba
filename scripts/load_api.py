"""Load the HTTP API on loopback with 12-megapixel JPEGs; print photos/s, latency, errors and RSS.

    .venv/bin/python scripts/load_api.py --clients 1,4,16 --duration 60

Starts `evidence-check serve` on a fresh SQLite store in a temporary folder (or uses --url), makes
one 12 MP JPEG with EXIF and sends it with a different comment segment each time, so that every
request is a new photo of a new claim (recorded, as in production). Before the load it measures
the CPU time of the analysis of one photo in this process; "ideal" is what all cores could do at
that cost, and "of ideal" how close the server comes (HTTP, hashing and the store are the rest).
"""

from __future__ import annotations

import argparse
import io
import itertools
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from PIL import Image

from evidence_check.engine import Upload, now_utc
from evidence_check.intake import build_claim
from evidence_check.service import verify_claim
from evidence_check.settings import Settings
from evidence_check.store import Store

CLAIM = {"ordered_at": "2026-11-10T10:00", "delivered_at": "2026-11-14T15:00", "tz": "Asia/Shanghai"}


def make_photo(width: int, height: int) -> bytes:
    """A camera-like JPEG: smooth shapes plus sensor noise, EXIF with the capture time."""
    small = Image.effect_noise((width // 100, height // 100), 80).convert("RGB")
    base = small.resize((width, height), Image.Resampling.BICUBIC)
    grain = Image.effect_noise((width, height), 12).convert("RGB")
    image = Image.blend(base, grain, 0.15)
    exif = Image.Exif()
    exif[0x0110] = "Load Test Camera"
    exif.get_ifd(0x8769)[0x9003] = "2026:11:15 10:20:00"  # DateTimeOriginal
    out = io.BytesIO()
    image.save(out, "JPEG", quality=92, exif=exif.tobytes())
    return out.getvalue()


def unique(photo: bytes, n: int) -> bytes:
    """The same picture with a comment segment of its own: other bytes, other sha256."""
    position = 2
    while photo[position] == 0xFF and 0xE0 <= photo[position + 1] <= 0xEF:  # skip APPn (EXIF stays first)
        position += 2 + int.from_bytes(photo[position + 2 : position + 4], "big")
    comment = f"load-{n}-{time.time_ns()}".encode()
    segment = b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment
    return photo[:position] + segment + photo[position:]


def ms_per_photo(photo: bytes, repeat: int) -> tuple[float, float]:
    """Median CPU and wall milliseconds of one photo's claim in this process, without HTTP: the
    same work the server does per photo (analysis, reuse lookup, fingerprints, recording).

    Wall well above CPU means other programs are using the cores: the load figures are then low too.
    """
    folder = tempfile.mkdtemp(prefix="evidence-check-ideal-")
    settings = Settings(db=f"sqlite:///{folder}/ideal.sqlite3")
    store = Store(settings.db)
    samples, walls = [], []
    for n in range(repeat):
        now = now_utc()
        claim = build_claim(
            now=now, time_zone="Asia/Shanghai", **{k: v for k, v in CLAIM.items() if k != "tz"}
        )
        started, wall = time.process_time(), time.perf_counter()
        verify_claim(claim, [Upload("a.jpg", unique(photo, n))], settings=settings, store=store, now=now)
        samples.append((time.process_time() - started) * 1000)
        walls.append((time.perf_counter() - wall) * 1000)
    store.close()
    return statistics.median(samples), statistics.median(walls)


def server_ms(log: Path, skip: int) -> tuple[list[float], int]:
    """Milliseconds the server itself logged for /v1/verify, from line `skip` on."""
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError:
        return [], skip
    found = []
    for line in lines[skip:]:
        if line.startswith("{") and '"route": "/v1/verify"' in line:
            found.append(float(json.loads(line)["ms"]))
    return found, len(lines)


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


def cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU time so far of the server and its workers."""
    if pid is None:
        return None
    total = 0.0
    for member in tree(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def rss_mb(pid: int | None) -> float | None:
    """Resident memory of the server and its workers, in MB."""
    if pid is None:
        return None
    total = 0.0
    for member in tree(pid):
        try:
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
        except OSError:
            continue
    return total


@dataclass
class Level:
    clients: int
    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    elapsed: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)


def run_level(url: str, photo: bytes, clients: int, duration: float, counter: itertools.count[int]) -> Level:
    level = Level(clients)
    deadline = time.monotonic() + duration

    def client() -> None:
        with httpx.Client(base_url=url, timeout=300) as http:
            while time.monotonic() < deadline:
                n = next(counter)
                data = unique(photo, n)
                started = time.perf_counter()
                try:
                    response = http.post(
                        "/v1/verify",
                        files=[("photos", (f"p{n}.jpg", data, "image/jpeg"))],
                        data={**CLAIM, "claim_id": f"load-{n}", "customer_id": f"u{n % 97}"},
                    )
                    outcome = "ok" if response.status_code == 200 else f"http {response.status_code}"
                except httpx.HTTPError as exc:
                    outcome = type(exc).__name__
                took = time.perf_counter() - started
                with level.lock:
                    if outcome == "ok":
                        level.latencies.append(took)
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
    folder: Path, parallel: int, workers: int, db: str | None
) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [
        sys.executable, "-c", "from evidence_check.cli import main; main()", "serve",
        "--port", str(port), "--db", db or f"sqlite:///{folder / 'load.sqlite3'}", "--log-level", "info", "--workers", str(workers),
    ]  # fmt: skip
    env = {**os.environ, "EVIDENCE_CHECK_API_MAX_PARALLEL": str(parallel)}
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
    parser.add_argument("--url", help="an already running server (no RSS figures then)")
    parser.add_argument("--parallel", type=int, default=2, help="claims analysed at once per server process")
    parser.add_argument("--db", help="store of the server started here (default: a new SQLite file)")
    parser.add_argument("--workers", type=int, default=1, help="server processes (serve --workers)")
    parser.add_argument("--baseline-repeat", type=int, default=5)
    args = parser.parse_args()
    duration = min(args.duration, 60.0)
    width = int((args.megapixels * 1e6 * 4 / 3) ** 0.5)
    photo = make_photo(width, width * 3 // 4)
    cores = os.cpu_count() or 1
    cpu_ms, wall_ms = ms_per_photo(photo, args.baseline_repeat)
    ideal = cores * 1000 / cpu_ms
    print(f"photo: {width}x{width * 3 // 4} JPEG, {len(photo) / 1e6:.1f} MB; analysis in process: {cpu_ms:.0f} ms CPU, "
          f"{wall_ms:.0f} ms wall -> ideal {ideal:.2f} photos/s on {cores} cores; load average {os.getloadavg()[0]:.1f}")  # fmt: skip

    with tempfile.TemporaryDirectory(prefix="evidence-check-load-") as tmp:
        process, url = (
            (None, args.url) if args.url else start_server(Path(tmp), args.parallel, args.workers, args.db)
        )
        pid = process.pid if process else None
        counter = itertools.count()
        log, seen = Path(tmp) / "server.log", 0
        print(f"{'clients':>7} {'photos/s':>9} {'of ideal':>8} {'p50 ms':>8} {'p99 ms':>8} {'server p50':>10} {'srv CPU':>7} {'ok':>6} "
              f"{'errors':>6} {'RSS start':>9} {'RSS end':>8}")  # fmt: skip
        try:
            for clients in (int(c) for c in args.clients.split(",")):
                rss_start, cpu_start = rss_mb(pid), cpu_seconds(pid)
                level = run_level(url, photo, clients, duration, counter)
                rss_end, cpu_end = rss_mb(pid), cpu_seconds(pid)
                busy = (
                    f"{(cpu_end - cpu_start) / level.elapsed:.0%}"
                    if cpu_start is not None and cpu_end is not None and level.elapsed
                    else "-"
                )
                ok = len(level.latencies)
                rate = ok / level.elapsed if level.elapsed else 0.0
                cuts = statistics.quantiles(level.latencies, n=100) if ok >= 2 else [float("nan")] * 99
                p50 = statistics.median(level.latencies) * 1000 if ok else float("nan")
                errors = sum(level.errors.values())
                inside, seen = server_ms(log, seen)
                served = f"{statistics.median(inside):.0f}" if inside else "-"
                fmt = lambda v: f"{v:.0f} MB" if v is not None else "-"  # noqa: E731
                print(f"{clients:>7} {rate:>9.2f} {rate / ideal:>8.0%} {p50:>8.0f} {cuts[98] * 1000:>8.0f} {served:>10} {busy:>7} "
                      f"{ok:>6} {errors:>6} {fmt(rss_start):>9} {fmt(rss_end):>8}"
                      + (f"  {level.errors}" if errors else ""))  # fmt: skip
        finally:
            if process is not None:
                process.terminate()
                process.wait(60)


if __name__ == "__main__":
    main()
