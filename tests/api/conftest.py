"""The API on a fresh store (SQLite, and PostgreSQL where a server is given), in process or as a
real `evidence-check serve` subprocess for what only a real process shows (concurrency, kill -9)."""

from __future__ import annotations

import io
import os
import random
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from sqlalchemy import text

from api.app import create_app
from evidence_check.engine import now_utc
from evidence_check.settings import Settings
from evidence_check.store import Store
from evidence_check.store.keys import create_key

warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient` is deprecated")
from fastapi.testclient import TestClient  # noqa: E402

LOOPBACK = ("127.0.0.1", 50000)
LOCAL = "http://127.0.0.1:8000"  # the base URL in process: Host 127.0.0.1:8000, a loopback name
CLAIM = {
    "ordered_at": "2026-11-10T10:00",
    "delivered_at": "2026-11-14T15:00",
    "claimed_at": "2026-11-16T12:00",
    "tz": "Asia/Shanghai",
}


def jpeg(seed: int, size: tuple[int, int] = (320, 240)) -> bytes:
    """A small photo of its own: random blocks, so every seed has other bytes and hashes."""
    rng = random.Random(seed)
    image = Image.new("RGB", (16, 12))
    image.putdata([(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(16 * 12)])
    out = io.BytesIO()
    image.resize(size, Image.Resampling.BICUBIC).save(out, "JPEG", quality=90)
    return out.getvalue()


def photos(*items: tuple[str, bytes]) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [("photos", (name, data, "image/jpeg")) for name, data in items]


def settings_for(url: str, **overrides: Any) -> Settings:
    return Settings(db=url, **overrides)


@dataclass
class Api:
    client: TestClient
    store: Store

    def verify(self, files: list[Any], fields: dict[str, str] | None = None, **kwargs: Any) -> httpx.Response:
        return self.client.post("/v1/verify", files=files, data={**CLAIM, **(fields or {})}, **kwargs)

    def count(self, table: str) -> int:
        with self.store.engine.connect() as connection:
            return int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def make_api(store: Store, client: tuple[str, int] = LOOPBACK, **overrides: Any) -> Iterator[Api]:
    app = create_app(settings_for(store.url, **overrides), store)
    with TestClient(app, base_url=LOCAL, client=client) as test_client:
        yield Api(test_client, store)


@pytest.fixture
def api(store: Store) -> Iterator[Api]:
    """The single-user trial: no key exists, the caller is on loopback."""
    yield from make_api(store)


@pytest.fixture
def keyed(store: Store) -> Iterator[tuple[Api, dict[str, str]]]:
    """Two tenants with a key each; the caller is on loopback but keys are required now."""
    keys = {tenant: create_key(store, tenant, now_utc())[1] for tenant in ("acme", "globex")}
    for tenant_api in make_api(store):
        yield tenant_api, keys


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


# ---- a real server process -------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_server(db_url: str, log: Path, *extra: str, env: dict[str, str] | None = None) -> Server:
    """`serve` on a free port; `env`: variables set for it (a host's own folders, say). The port
    is free when chosen, and another test's server may take it before this one listens: `serve`
    then says so (exit 2) and another port is tried."""
    for _ in range(5):
        try:
            return _start_server_on(free_port(), db_url, log, *extra, env=env)
        except PortTaken:
            continue
    raise RuntimeError(f"five free ports were taken before the server listened: {log.read_text()[-2000:]}")


class PortTaken(Exception):
    pass


def _start_server_on(port: int, db_url: str, log: Path, *extra: str, env: dict[str, str] | None) -> Server:
    command = [
        sys.executable, "-c", "from evidence_check.cli import main; main()",
        "serve", "--port", str(port), "--db", db_url, "--log-level", "warning", *extra,
    ]  # fmt: skip
    with log.open("wb") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
    server = Server(process, f"http://127.0.0.1:{port}", log)
    deadline = time.monotonic() + 180  # a loaded machine takes its time to import OpenCV and the rest
    while time.monotonic() < deadline:
        if process.poll() is not None:
            if process.returncode == 2 and "is already in use" in log.read_text():
                raise PortTaken
            raise RuntimeError(f"server exited {process.returncode}: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{server.url}/healthz", timeout=2).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"server did not become ready: {log.read_text()[-2000:]}")


@pytest.fixture
def server(store_url: str, tmp_path: Path) -> Iterator[Server]:
    started = start_server(store_url, tmp_path / "server.log")
    try:
        yield started
    finally:
        started.stop()
