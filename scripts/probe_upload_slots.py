"""Upload slots per tenant against a real `serve` (one worker, SQLite, default settings): tenant
`acme` opens uploads that send their head and stall, then `acme` and `globex` each send a whole one,
then `acme`'s stalled sockets are closed and `acme` sends again. Prints one line per upload: status,
seconds, Retry-After.
    .venv/bin/python scripts/probe_upload_slots.py [--stalled 16] [--port 18486]
Makes its store and keys in a temporary folder (deleted at the end) and starts the server on it.
"""

from __future__ import annotations

import argparse
import http.client
import io
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from PIL import Image

from evidence_check.engine import now_utc
from evidence_check.store import Store
from evidence_check.store.keys import create_key

BOUNDARY = "probe-boundary"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stalled", type=int, default=16, help="acme's uploads that stall after their head")
    parser.add_argument("--port", type=int, default=18486)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="probe-slots-") as folder:
        url = f"sqlite:///{Path(folder) / 'store.db'}"
        store = Store(url)
        acme, globex = (create_key(store, tenant, now_utc())[1] for tenant in ("acme", "globex"))
        store.close()
        command = [str(Path(sys.executable).parent / "evidence-check"), "serve", "--port", str(args.port)]
        server = subprocess.Popen([*command, "--db", url, "--log-level", "error"], cwd=folder)
        try:
            _wait_for(args.port)
            run(args.port, acme, globex, args.stalled)
        finally:
            server.terminate()
            server.wait(timeout=30)


def _wait_for(port: int) -> None:
    for _ in range(120):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("the server did not answer /healthz within a minute")


def _body(seed: int) -> tuple[bytes, bytes]:
    """A claim's multipart body cut where its photo's bytes begin: (that head, the rest)."""
    picture = Image.new("RGB", (64, 48), (seed * 37 % 256, seed * 91 % 256, seed * 13 % 256))
    jpeg = io.BytesIO()
    picture.save(jpeg, "JPEG")
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="customer_id"\r\n\r\ncu-{seed}\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="photos"; filename="a.jpg"\r\n\r\n'
    ).encode()
    return head, jpeg.getvalue() + f"\r\n--{BOUNDARY}--\r\n".encode()


def _stalled(port: int, key: str, seed: int) -> socket.socket:
    head, rest = _body(seed)
    connection = socket.create_connection(("127.0.0.1", port))
    connection.sendall(
        (
            f"POST /v1/verify HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {key}\r\n"
            f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {len(head) + len(rest)}\r\n\r\n"
        ).encode()
        + head
    )
    return connection


def _whole(port: int, key: str, seed: int) -> str:
    head, rest = _body(seed)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    started = time.perf_counter()
    connection.request(
        "POST",
        "/v1/verify",
        head + rest,
        {"Authorization": f"Bearer {key}", "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
    )
    answer = connection.getresponse()
    answer.read()
    seconds = time.perf_counter() - started
    return f"{answer.status} after {seconds:.2f} s, Retry-After {answer.getheader('Retry-After')}"


def run(port: int, acme: str, globex: str, stalled: int) -> None:
    sockets = [_stalled(port, acme, n) for n in range(stalled)]
    time.sleep(1.0)  # the server has taken them all in
    print(f"acme's upload beside its {stalled} stalled: {_whole(port, acme, 1000)}")
    print(f"globex's upload: {_whole(port, globex, 2000)}")
    for connection in sockets:
        connection.close()
    time.sleep(1.0)
    print(f"acme's upload after its {stalled} closed: {_whole(port, acme, 3000)}")


if __name__ == "__main__":
    main()
