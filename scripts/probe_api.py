"""Replay the HTTP hardening probes (issue 21) against a server on loopback; print probe / result.

    .venv/bin/python scripts/probe_api.py [--db URL] [--workers 2] [--header-timeout 10] [--body-timeout 30]

Starts `evidence-check serve` on a fresh store (SQLite in a temporary folder, or --db, e.g. a
throwaway PostgreSQL database) in the keyless loopback trial, sends each probe, and prints what the
server answered, how long it took and how much memory its processes held. Every connection goes to
127.0.0.1. The full-disk probe is left to tests/api/test_health.py (it needs a filesystem to fill).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from PIL import Image

CLAIM = {
    "ordered_at": "2026-11-10T10:00",
    "delivered_at": "2026-11-14T15:00",
    "claimed_at": "2026-11-16T12:00",
}
BOUNDARY = b"----probe-boundary"


def jpeg(seed: int) -> bytes:
    rng = random.Random(seed)
    image = Image.new("RGB", (16, 12))
    image.putdata([(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(16 * 12)])
    out = io.BytesIO()
    image.resize((320, 240), Image.Resampling.BICUBIC).save(out, "JPEG", quality=90)
    return out.getvalue()


class Server:
    def __init__(
        self, db: str, workers: int, header_timeout: float, body_timeout: float, log: Path, *extra: str
    ) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
        command = [
            sys.executable, "-c", "from evidence_check.cli import main; main()", "serve",
            "--port", str(self.port), "--db", db, "--workers", str(workers), "--log-level", "info",
            "--header-timeout", str(header_timeout), "--body-timeout", str(body_timeout), *extra,
        ]  # fmt: skip
        self.log = log
        with log.open("ab") as sink:
            self.process = subprocess.Popen(
                command, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"the server exited: {log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise SystemExit("the server did not become ready")

    def pids(self) -> list[int]:
        """The server's process and its workers."""
        found = [self.process.pid]
        for status in Path("/proc").glob("[0-9]*/status"):
            try:
                fields = dict(
                    line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line
                )
            except OSError:
                continue
            if fields.get("PPid", "").strip() == str(self.process.pid):
                found.append(int(status.parent.name))
        return found

    def rss_mb(self) -> float:
        total = 0
        for pid in self.pids():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            except OSError:
                continue
        return total / 1024

    def stop(self, kill: bool = False) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL if kill else signal.SIGTERM)
            self.process.wait(60)


def connect(server: Server) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=120)


def until_closed(sock: socket.socket) -> tuple[bytes, float]:
    """What the server sends until it closes, and after how many seconds."""
    started = time.monotonic()
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except (ConnectionResetError, TimeoutError):
        pass
    return received, time.monotonic() - started


def status_of(answer: bytes) -> str:
    return answer.split(b"\r\n", 1)[0].decode("latin-1") or "(closed without an answer)"


def upload_head(photo_size: int, fields: dict[str, str] = CLAIM) -> tuple[bytes, bytes]:
    """A POST /v1/verify of `fields` and one photo of `photo_size` bytes: the request's headers, and
    its body up to where the photo's bytes begin (tests/api/test_connections.py sends it too)."""
    b = BOUNDARY
    parts = b"".join(
        b"--"
        + b
        + b'\r\nContent-Disposition: form-data; name="'
        + k.encode()
        + b'"\r\n\r\n'
        + v.encode()
        + b"\r\n"
        for k, v in fields.items()
    )
    start = parts + b"--" + b + b'\r\nContent-Disposition: form-data; name="photos"; filename="a.jpg"\r\n\r\n'
    length = len(start) + photo_size + len(b"\r\n--" + b + b"--\r\n")
    headers = (
        b"POST /v1/verify HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=" + b
        + b"\r\nContent-Length: " + str(length).encode() + b"\r\n\r\n"
    )  # fmt: skip
    return headers, start


def report(probe: str, result: str) -> None:
    print(f"{probe:<58} {result}", flush=True)


def probe_idempotency_race(server: Server) -> None:
    sent = {n: jpeg(900 + n) for n in range(8)}

    def send(n: int) -> httpx.Response:
        return httpx.post(
            f"{server.url}/v1/verify",
            files=[("photos", (f"p{n}.jpg", sent[n], "image/jpeg"))],
            data=CLAIM,
            headers={"Idempotency-Key": f"probe-race-{os.getpid()}"},
            timeout=300,
        )

    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(send, range(8)))
    codes = sorted(r.status_code for r in responses)
    own = all(
        r.json()["images"][0]["image_id"] == hashlib.sha256(sent[n]).hexdigest()
        for n, r in enumerate(responses)
        if r.status_code == 200
    )
    report("8 at once, one Idempotency-Key, other photos", f"{codes}; each 200 its own photos: {own}")


def probe_changed_field(server: Server) -> None:
    headers = {"Idempotency-Key": f"probe-field-{os.getpid()}"}
    files = [("photos", ("a.jpg", jpeg(1), "image/jpeg"))]
    first = httpx.post(f"{server.url}/v1/verify", files=files, data=CLAIM, headers=headers, timeout=300)
    changed = {**CLAIM, "ordered_at": "2026-11-11T10:00"}
    again = httpx.post(f"{server.url}/v1/verify", files=files, data=changed, headers=headers, timeout=300)
    report("the same Idempotency-Key, ordered_at changed", f"{first.status_code} then {again.status_code}")


def probe_long_boundary(server: Server) -> None:
    boundary = "b" * 300
    body = f'--{boundary}\r\nContent-Disposition: form-data; name="tz"\r\n\r\nUTC\r\n--{boundary}--\r\n'
    response = httpx.post(
        f"{server.url}/v1/verify",
        content=body.encode(),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        timeout=60,
    )
    report("multipart boundary of 300 characters", f"{response.status_code} {response.text[:80]}")


def probe_big_header(server: Server, megabytes: int) -> None:
    before = server.rss_mb()
    with connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Filler: ")
        try:
            for _ in range(megabytes * 16):
                sock.sendall(b"a" * 65536)
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer, _ = until_closed(sock)
    grown = server.rss_mb() - before
    report(f"a {megabytes} MB header line", f"{status_of(answer)}; server RSS {grown:+.0f} MB")


def probe_half_header(server: Server, connections: int) -> None:
    socks = [connect(server) for _ in range(connections)]
    for sock in socks:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Half")
    results = [until_closed(sock) for sock in socks]
    for sock in socks:
        sock.close()
    slowest = max(seconds for _, seconds in results)
    statuses = sorted({status_of(answer) for answer, _ in results})
    report(
        f"half a header then silence, {connections} connections",
        f"{statuses}; all closed within {slowest:.1f} s",
    )


def probe_stalled_uploads(server: Server, uploads: int, megabytes: int) -> None:
    before = server.rss_mb()
    socks = []
    for _ in range(uploads):
        sock = connect(server)
        sock.sendall(b"".join(upload_head((megabytes + 1) * 1024 * 1024)))
        for _ in range(megabytes):
            sock.sendall(b"\xff" * (1024 * 1024))
        socks.append(sock)
    time.sleep(1)
    grown = server.rss_mb() - before
    results = [until_closed(sock) for sock in socks]
    for sock in socks:
        sock.close()
    statuses = sorted({status_of(answer) for answer, _ in results})
    slowest = max(seconds for _, seconds in results)
    report(
        f"{uploads} uploads stalled after {megabytes} MB each",
        f"server RSS {grown:+.0f} MB while stalled; {statuses} within {slowest:.1f} s",
    )


def probe_client_abort(server: Server) -> None:
    with connect(server) as sock:
        sock.sendall(b"".join(upload_head(5 * 1024 * 1024)) + b"\xff" * (1024 * 1024))
        time.sleep(0.5)
    time.sleep(1.5)
    metrics = httpx.get(f"{server.url}/metrics", timeout=30).text
    aborted = sum(
        float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith(
            'evidence_check_http_requests_total{method="POST",route="/v1/verify",status="499"}'
        )
    )
    errors = sum(
        float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith("evidence_check_http_requests_total") and 'status="5' in line
    )
    tracebacks = server.log.read_text(errors="replace").count("Traceback")
    report(
        "client disconnects mid-upload",
        f"499 counted {aborted:g}; 5xx counted {errors:g}; tracebacks {tracebacks}",
    )


def probe_trial_origin(server: Server) -> None:
    files = [("photos", ("a.jpg", jpeg(5), "image/jpeg"))]
    rebound = httpx.post(f"{server.url}/v1/verify", files=files, data=CLAIM, headers={"Host": "evil.example"})
    forged = httpx.post(
        f"{server.url}/v1/verify", files=files, data=CLAIM, headers={"Origin": "https://evil.example"}
    )
    report(
        "keyless trial: Host evil.example / cross-site Origin",
        f"{rebound.status_code} / {forged.status_code}",
    )


def probe_killed_metrics_folder(db: str, args: argparse.Namespace, log: Path) -> None:
    prefix = "evidence-check-metrics-pid"
    server = Server(db, 2, args.header_timeout, args.body_timeout, log)
    mine = [p for p in Path(tempfile.gettempdir()).glob(f"{prefix}{server.process.pid}-*")]
    server.stop(kill=True)
    left = [p for p in mine if p.exists()]
    again = Server(db, 2, args.header_timeout, args.body_timeout, log)
    try:
        still = [p for p in mine if p.exists()]
    finally:
        again.stop()
    report(
        "a server (2 workers) killed with -9",
        f"its metrics folder left: {len(left)}; after a restart: {len(still)}",
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", help="store URL (default: SQLite in a temporary folder)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--header-timeout", type=float, default=10)
    parser.add_argument("--body-timeout", type=float, default=30)
    parser.add_argument("--stalled-mb", type=int, default=99, help="MB each stalled upload sends")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="evidence-check-probe-"))
    db = args.db or f"sqlite:///{folder / 'store.sqlite3'}"
    log = folder / "server.log"
    server = Server(db, args.workers, args.header_timeout, args.body_timeout, log)
    print(f"server: {server.url}, {args.workers} workers, {db.split('://')[0]}, log {log}", flush=True)
    try:
        probe_idempotency_race(server)
        probe_changed_field(server)
        probe_long_boundary(server)
        probe_big_header(server, 4)
        probe_half_header(server, 16)
        probe_stalled_uploads(server, 8, args.stalled_mb)
        probe_client_abort(server)
        probe_trial_origin(server)
    finally:
        server.stop()
    probe_killed_metrics_folder(db, args, log)


if __name__ == "__main__":
    main()
