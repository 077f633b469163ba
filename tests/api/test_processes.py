"""What only real server processes show: concurrent requests, several processes on one store, and a
process killed in the middle of requests (kill -9) leaving no half-written claim."""

from __future__ import annotations

import itertools
import os
import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from evidence_check.store import Store
from tests.api.conftest import CLAIM, Server, jpeg, photos, start_server
from tests.torn_claims import half_written


def send(server: Server, claim_id: str, data: bytes, customer: str = "cust") -> httpx.Response:
    return httpx.post(
        f"{server.url}/v1/verify",
        files=photos((f"{claim_id}.jpg", data)),
        data={**CLAIM, "claim_id": claim_id, "customer_id": customer},
        timeout=120,
    )


def counts(store: Store) -> dict[str, int]:
    with store.engine.connect() as connection:
        return {
            table: int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
            for table in ("claims", "photos", "reports")
        }


def test_twenty_concurrent_claims_are_all_recorded_once(server: Server, store: Store) -> None:
    with ThreadPoolExecutor(20) as pool:
        responses = list(pool.map(lambda n: send(server, f"c-{n}", jpeg(100 + n)), range(20)))
    assert [r.status_code for r in responses] == [200] * 20, [
        r.text for r in responses if r.status_code != 200
    ]
    assert counts(store) == {"claims": 20, "photos": 20, "reports": 20}
    for n in range(20):
        assert httpx.get(f"{server.url}/v1/claims/c-{n}").json()["claim_id"] == f"c-{n}"


def test_a_photo_recorded_through_one_process_is_reuse_in_another(
    server: Server, store_url: str, tmp_path: Path
) -> None:
    other = start_server(store_url, tmp_path / "other.log")
    try:
        photo = jpeg(5)
        assert send(server, "c-first", photo, customer="alice").status_code == 200
        reuse = send(other, "c-second", photo, customer="bob").json()["images"][0]["checks"]["reuse"]
    finally:
        other.stop()
    assert reuse["status"] == "fail"
    assert reuse["details"]["matches"][0]["claim_id"] == "c-first"


def test_a_server_killed_mid_request_leaves_no_half_written_claim(
    server: Server, store: Store, store_url: str, tmp_path: Path
) -> None:
    first_answer = threading.Event()
    answered: list[str] = []

    def client(n: int) -> None:
        for attempt in range(50):
            claim_id = f"c-{n}-{attempt}"
            try:
                response = send(server, claim_id, jpeg(1000 * n + attempt, size=(1600, 1200)))
            except httpx.TransportError:
                return  # the server is gone
            if response.status_code == 200:
                answered.append(claim_id)
                first_answer.set()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    assert first_answer.wait(120), server.log.read_text()[-2000:]
    # Others are in flight now: mid-decode, mid-check, or mid-transaction.
    os.kill(server.process.pid, signal.SIGKILL)
    server.process.wait()
    for thread in threads:
        thread.join(60)

    assert half_written(store) == 0
    recorded = counts(store)
    assert recorded["claims"] == recorded["reports"] == recorded["photos"] >= len(answered) >= 1
    # Every answered claim is there, and a new process works on the same store afterwards.
    restarted = start_server(store_url, tmp_path / "restarted.log")
    try:
        for claim_id in answered:
            assert httpx.get(f"{restarted.url}/v1/claims/{claim_id}").status_code == 200
        assert send(restarted, "c-after", jpeg(9)).status_code == 200
    finally:
        restarted.stop()
    assert half_written(store) == 0


def test_sigterm_lets_the_request_in_flight_finish(server: Server, store: Store) -> None:
    answers: list[httpx.Response] = []
    sender = threading.Thread(
        target=lambda: answers.append(send(server, "c-slow", jpeg(3, size=(4000, 3000))))
    )
    sender.start()
    # In flight: the gauge counts the photo's request and this /metrics request itself.
    for _ in range(600):
        metrics = httpx.get(f"{server.url}/metrics").text
        if "evidence_check_http_requests_in_flight 2.0" in metrics:
            break
    else:
        raise AssertionError("the request never arrived")
    server.process.send_signal(signal.SIGTERM)
    sender.join(120)
    # uvicorn re-raises the signal once it has drained, so the exit is by SIGTERM, not an error.
    assert server.process.wait(60) in (0, -signal.SIGTERM)
    assert [a.status_code for a in answers] == [200]
    assert counts(store) == {"claims": 1, "photos": 1, "reports": 1}


def test_worker_processes_share_the_store_and_the_metrics(
    store_url: str, store: Store, tmp_path: Path
) -> None:
    workers = start_server(store_url, tmp_path / "workers.log", "--workers", "2")
    try:
        with ThreadPoolExecutor(4) as pool:
            responses = list(pool.map(lambda n: send(workers, f"w-{n}", jpeg(300 + n)), range(8)))
        metrics = httpx.get(f"{workers.url}/metrics").text
    finally:
        workers.stop()
    assert [r.status_code for r in responses] == [200] * 8
    assert counts(store) == {"claims": 8, "photos": 8, "reports": 8}
    # Whichever worker answers /metrics, it reports the requests of both.
    assert 'evidence_check_http_requests_total{method="POST",route="/v1/verify",status="200"} 8.0' in metrics


def test_a_server_killed_inside_an_open_transaction_leaves_nothing_of_it(
    server: Server, store: Store, store_url: str
) -> None:
    """PostgreSQL shows each connection's state and last statement: kill the server exactly while one
    of its recording transactions is open (an INSERT running, or done and the transaction not yet
    committed), then find every claim whole: none without its report and photos."""
    if store.engine.dialect.name != "postgresql":
        pytest.skip("the server's open transaction is visible in pg_stat_activity only")
    stop = threading.Event()

    def client(n: int) -> None:
        for attempt in itertools.count():
            if stop.is_set():
                return
            try:
                send(server, f"t-{n}-{attempt}", jpeg(5000 * n + attempt))
            except httpx.TransportError:
                return

    threads = [threading.Thread(target=client, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    caught = None
    database = store.engine.url.database
    try:
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as watcher:
            for _ in range(200_000):
                caught = watcher.execute(
                    text(
                        "SELECT state, query FROM pg_stat_activity WHERE datname = :db AND pid <> pg_backend_pid()"
                        " AND state IN ('active', 'idle in transaction') AND query ILIKE 'INSERT%'"
                    ),
                    {"db": database},
                ).first()
                if caught is not None:
                    os.kill(server.process.pid, signal.SIGKILL)
                    break
    finally:
        stop.set()
        if caught is None:
            os.kill(server.process.pid, signal.SIGKILL)
        server.process.wait()
        for thread in threads:
            thread.join(60)
    assert caught is not None, "never saw a recording transaction open"
    assert half_written(store) == 0
    recorded = counts(store)
    assert recorded["claims"] == recorded["reports"] == recorded["photos"]


def test_a_stock_photo_added_and_removed_on_the_command_line_is_so_for_a_server_already_running(
    server: Server, store_url: str, tmp_path: Path
) -> None:
    # `stock remove` says claims are no longer matched against the picture: a server serving the
    # same store was started before, and its index still holds the picture's codes.
    from typer.testing import CliRunner

    from evidence_check.cli import app

    picture = tmp_path / "library.jpg"
    picture.write_bytes(jpeg(31))

    def stock(*args: str) -> str:
        done = CliRunner().invoke(app, ["stock", *args, "--db", store_url])
        assert done.exit_code == 0, done.stderr
        return str(done.stdout)

    def reuse(claim_id: str) -> str:
        return str(send(server, claim_id, picture.read_bytes()).json()["images"][0]["checks"]["reuse"]["code"])

    assert "1 added" in stock("add", str(picture))
    assert reuse("c-before") == "reuse.stock_photo"
    image_id = stock("list").splitlines()[1].split()[3]
    assert stock("remove", image_id) == f"removed {image_id}\n"
    assert reuse("c-after") != "reuse.stock_photo"
