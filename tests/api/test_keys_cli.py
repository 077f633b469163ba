"""`evidence-check keys create | list | revoke` and `serve`'s refusal to leave loopback without keys."""

from __future__ import annotations

import hashlib
import socket

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from evidence_check.cli import app
from evidence_check.store import Store


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_create_prints_the_key_once_and_stores_only_its_hash(store: Store) -> None:
    code, out, err = run("keys", "create", "acme", "--db", store.url)
    assert code == 0, err
    secret = out.strip()
    assert secret.startswith("ec_") and len(secret) > 40 and "shown once" in err
    with store.engine.connect() as connection:
        stored = connection.execute(text("SELECT tenant, secret_sha256 FROM api_keys")).one()
    assert stored == ("acme", hashlib.sha256(secret.encode()).hexdigest())

    code, out, _ = run("keys", "list", "--db", store.url)
    assert code == 0 and "acme" in out and secret not in out


def test_revoke_marks_the_key_and_unknown_ids_fail_with_one_line(store: Store) -> None:
    run("keys", "create", "acme", "--db", store.url)
    key_id = run("keys", "list", "--db", store.url)[1].splitlines()[1].split()[0]
    assert run("keys", "revoke", key_id, "--db", store.url)[0] == 0
    assert run("keys", "list", "--db", store.url)[1].splitlines()[1].split()[-1] != "-"
    code, _, err = run("keys", "revoke", "k_nope", "--db", store.url)
    assert code == 1 and len(err.strip().splitlines()) == 1 and "no key" in err


@pytest.mark.parametrize("tenant", ["", "has space", "x" * 65, "-lead"])
def test_a_bad_tenant_name_is_a_usage_error(store: Store, tenant: str) -> None:
    code, out, err = run("keys", "create", tenant, "--db", store.url)
    assert code == 2 and out == "" and "tenant" in err


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.10", "::"])
def test_serve_without_any_key_refuses_a_host_off_loopback(sqlite_url: str, host: str) -> None:
    code, _, err = run("serve", "--host", host, "--db", sqlite_url)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "loopback only" in err


def test_serve_on_a_port_already_taken_says_so_in_one_line(sqlite_url: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, _, err = run("serve", "--port", str(port), "--db", sqlite_url)
    assert code == 2
    assert err.strip().splitlines() == [
        f"evidence-check: --port: 127.0.0.1:{port} is already in use: stop what listens there or choose another port"
    ]


def test_serve_on_an_address_not_of_this_machine_says_so_in_one_line(store: Store) -> None:
    run("keys", "create", "acme", "--db", store.url)  # with a key, any host may be asked for
    code, _, err = run("serve", "--host", "192.0.2.10", "--port", "8000", "--db", store.url)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "--host: cannot listen on 192.0.2.10:8000" in err
