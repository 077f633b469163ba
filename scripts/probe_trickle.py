"""Bodies trickled to the server: do they hold its connection slots, and does an honest verify still get in?

    .venv/bin/python scripts/probe_trickle.py [--clients 70] [--rate 1] [--seconds 80] [--serve-option ...]

Starts `evidence-check serve` (one worker: MAX_CONNECTIONS slots) on a fresh SQLite store in the
keyless loopback trial, opens `--clients` uploads to POST /v1/verify that each send `--rate` bytes a
second of a 1 MB photo, never pausing long enough for `--body-timeout`, and every 10 s times an honest
verify (one small photo, sent at once). Prints each honest verify's status and seconds, then how the
trickled uploads ended (the server's first status line, or still open) and after how long.
`--serve-option` passes an option to `serve` as is (`--serve-option=--body-min-rate=0`: no minimum).
"""

from __future__ import annotations

import argparse
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from probe_api import CLAIM, Server, jpeg, status_of, upload_head  # noqa: E402

PHOTO_BYTES = 1024 * 1024


class Trickler:
    """One upload sending its body a few bytes at a time, and what the server answered."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        headers, start = upload_head(PHOTO_BYTES)
        self.sock.sendall(headers + start)
        self.opened = time.monotonic()
        self.answer = b""
        self.closed_after: float | None = None

    def send(self, size: int) -> None:
        if self.closed_after is not None:
            return
        try:
            self.sock.sendall(b"\xff" * size)
            self.sock.setblocking(False)
            try:
                self.answer += self.sock.recv(4096)
            except BlockingIOError:
                return
            finally:
                self.sock.setblocking(True)
            self._ended()  # an answer, or b"" from a closed connection
        except OSError:
            self._ended()

    def _ended(self) -> None:
        self.closed_after = time.monotonic() - self.opened
        self.sock.close()


def honest_verify(server: Server, seed: int) -> str:
    started = time.monotonic()
    try:
        answer = httpx.post(
            f"{server.url}/v1/verify",
            files=[("photos", ("a.jpg", jpeg(seed), "image/jpeg"))],
            data=CLAIM,
            timeout=120,
        )
        status = str(answer.status_code)
    except httpx.TransportError as error:
        status = type(error).__name__
    return f"{status} in {time.monotonic() - started:.2f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=70)
    parser.add_argument("--rate", type=int, default=1, help="bytes a second each trickled upload sends")
    parser.add_argument("--seconds", type=int, default=80)
    parser.add_argument("--body-timeout", type=float, default=30)
    parser.add_argument("--serve-option", action="append", default=[])
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="evidence-check-trickle-"))
    log = folder / "server.log"
    server = Server(f"sqlite:///{folder / 'store.sqlite3'}", 1, 10, args.body_timeout, log, *args.serve_option)
    print(f"server: {server.url}, 1 worker, options {args.serve_option or 'none'}, log {log}", flush=True)
    print(f"honest verify before any trickle: {honest_verify(server, 0)}", flush=True)
    tricklers: list[Trickler] = []
    for _ in range(args.clients):
        try:
            tricklers.append(Trickler(server.port))
        except OSError as error:
            print(f"a trickled upload could not connect: {error}", flush=True)
    print(f"{len(tricklers)} uploads trickling at {args.rate} B/s", flush=True)
    stop = threading.Event()

    def trickle() -> None:
        while not stop.wait(1):
            for trickler in tricklers:
                trickler.send(args.rate)

    feeder = threading.Thread(target=trickle, daemon=True)
    feeder.start()
    started = time.monotonic()
    try:
        for at in range(5, args.seconds + 1, 10):
            time.sleep(max(0.0, started + at - time.monotonic()))
            still = sum(t.closed_after is None for t in tricklers)
            print(f"t={at:>3} s: {still:>3} trickled uploads open; honest verify {honest_verify(server, at)}", flush=True)
    finally:
        stop.set()
        feeder.join()
        server.stop()
    ended: dict[str, list[float]] = {}
    for trickler in tricklers:
        if trickler.closed_after is not None:
            ended.setdefault(status_of(trickler.answer), []).append(trickler.closed_after)
    for status, after in sorted(ended.items()):
        print(f"trickled uploads answered {status!r}: {len(after)}, after {min(after):.0f}-{max(after):.0f} s")
    print(f"trickled uploads still open at the end: {sum(t.closed_after is None for t in tricklers)}")


if __name__ == "__main__":
    main()
