"""Webhooks against a real receiver on loopback: signed, retried with backoff, logged, one tenant's
events never sent to another's receiver."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import DateTime, bindparam, event, func, select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from evidence_check import webhooks
from evidence_check.cli import app
from evidence_check.engine import Upload
from evidence_check.intake import build_claim
from evidence_check.service import decide, verify_claim
from evidence_check.settings import Settings
from evidence_check.store import Store
from evidence_check.store.challenge_tables import OutcomeRow
from evidence_check.store.outbox import Event, queue_events
from evidence_check.store.outcomes import DecidedBy, RecordedOutcome, record_outcome
from evidence_check.store.webhook_tables import DeliveryRow
from evidence_check.store.webhooks import deliveries, remove_webhook, set_webhook, webhook_of
from evidence_check.webhooks import (
    BACKOFF,
    Answer,
    WebhookInvalid,
    check_url,
    deliver_due,
    post,
    signature,
    verify_signature,
)
from tests.webhook_receivers import FIXTURES, NOW, POLL_SECONDS, SECRET, Receiver, queue_event

API_K1 = DecidedBy("api", "k1")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    started = Receiver([])
    yield started
    started.close()


def _verify(store: Store, claim_id: str, tenant: str = "acme") -> dict:
    claim = build_claim(
        now=NOW, time_zone="UTC", ordered_at="2026-11-10", delivered_at="2026-11-14", claim_id=claim_id, tenant=tenant
    )
    photo = FIXTURES / "no_exif.jpg"
    return verify_claim(claim, [Upload(photo.name, photo.read_bytes())], settings=Settings(), store=store, now=NOW).body


def test_a_verified_claim_reaches_the_receiver_signed(store: Store, receiver: Receiver) -> None:
    set_webhook(store, "acme", receiver.url, SECRET, lambda: NOW)
    body = _verify(store, "c-1")
    assert deliver_due(store, NOW) == 1
    [(headers, sent)] = receiver.received
    assert headers["X-Evidence-Check-Event"] == "claim.verified"
    assert verify_signature(SECRET, headers, sent, NOW)
    event = json.loads(sent)
    assert event["data"]["claim_id"] == "c-1" and event["data"]["verdict"] == body["verdict"]
    assert event["tenant"] == "acme" and event["id"] == int(headers["X-Evidence-Check-Delivery"])
    # Tampered, replayed later, or signed with another secret: a receiver refuses it.
    assert not verify_signature(SECRET, headers, sent.replace(b"c-1", b"c-2"), NOW)
    assert not verify_signature(SECRET, headers, sent, NOW + timedelta(minutes=6))
    assert not verify_signature("whsec_other", headers, sent, NOW)
    assert deliver_due(store, NOW + timedelta(hours=1)) == 0  # delivered once, not again


def test_a_receiver_that_fails_is_tried_again_after_the_backoff(store: Store, receiver: Receiver) -> None:
    set_webhook(store, "acme", receiver.url, SECRET, lambda: NOW)
    receiver.answers = [503, 500]
    queue_event(store, "acme", "claim.outcome", {"claim_id": "c-1", "outcome": "fraud"}, NOW)
    assert deliver_due(store, NOW) == 0
    [logged] = deliveries(store, "acme").items
    assert (logged.status, logged.attempts, logged.last_status) == ("pending", 1, 503)
    assert logged.next_attempt_at == NOW + BACKOFF[0]
    assert deliver_due(store, NOW + BACKOFF[0] - timedelta(seconds=1)) == 0  # not due yet
    assert len(receiver.received) == 1
    assert deliver_due(store, NOW + BACKOFF[0]) == 0  # 500
    assert deliver_due(store, NOW + BACKOFF[0] + BACKOFF[1]) == 1
    ids = {headers["X-Evidence-Check-Delivery"] for headers, _ in receiver.received}
    assert len(receiver.received) == 3 and len(ids) == 1  # one delivery id: the receiver drops repeats
    [logged] = deliveries(store, "acme").items
    assert (logged.status, logged.attempts) == ("delivered", 3)


def test_an_unreachable_receiver_is_given_up_after_the_last_try(store: Store, receiver: Receiver) -> None:
    url = receiver.url
    receiver.close()  # nothing listens there any more
    set_webhook(store, "acme", url, SECRET, lambda: NOW)
    queue_event(store, "acme", "claim.verified", {"claim_id": "c-1"}, NOW)
    when = NOW
    for wait in (timedelta(0), *BACKOFF):
        when += wait
        assert deliver_due(store, when) == 0
    [logged] = deliveries(store, "acme").items
    assert (logged.status, logged.attempts) == ("failed", len(BACKOFF) + 1)
    assert logged.last_status is None and logged.last_error


def test_a_delivery_goes_to_one_process_only(store: Store, receiver: Receiver) -> None:
    from evidence_check.store.webhooks import claim_due

    set_webhook(store, "acme", receiver.url, SECRET, lambda: NOW)
    queue_event(store, "acme", "claim.verified", {"claim_id": "c-1"}, NOW)
    first = claim_due(store, NOW, timedelta(seconds=60))
    second = claim_due(store, NOW, timedelta(seconds=60))
    assert len(first) == 1 and second == []
    # Its lease runs out when the process that took it died while sending.
    assert len(claim_due(store, NOW + timedelta(seconds=61), timedelta(seconds=60))) == 1


def test_a_pass_leases_each_delivery_only_as_it_is_sent(store: Store) -> None:
    """Leased all at once, the third of a pass of slow receivers (10 s a send) waited past its 60 s
    lease, and another process's pass took it and sent it too."""
    set_webhook(store, "acme", "http://127.0.0.1:9/hook", SECRET, lambda: NOW)
    for number in range(3):
        queue_event(store, "acme", "claim.verified", {"claim_id": f"c-{number}"}, NOW)
    leased_while_sending: list[int] = []

    def slow_receiver(url: str, body: bytes, headers: dict[str, str], public_only: bool, proxy: str | None, tenant: str) -> Answer:
        leased_while_sending.append(
            sum(d.status == "pending" and d.next_attempt_at > NOW for d in deliveries(store, "acme").items)
        )
        return Answer(200, None)

    assert deliver_due(store, NOW, slow_receiver) == 3
    assert leased_while_sending == [1, 1, 1]  # only the one being sent, never the ones waiting their turn


def test_events_stay_with_their_tenant(store: Store, receiver: Receiver) -> None:
    set_webhook(store, "acme", receiver.url, SECRET, lambda: NOW)
    _verify(store, "c-globex", tenant="globex")  # globex has no receiver: nothing kept, nothing sent
    record_outcome(store, "globex", "c-globex", "genuine", None, lambda: NOW, by=DecidedBy("cli"))
    assert deliveries(store, "globex").items == []
    assert deliver_due(store, NOW) == 0 and receiver.received == []


def test_an_outcome_sent_again_unchanged_is_one_decision_announced_once(store: Store) -> None:
    """An intake system retries an outcome whose answer it lost: the retry is told what the first was
    told; the decision is neither kept twice (`replaced` naming itself) nor announced twice."""
    set_webhook(store, "acme", "http://127.0.0.1:9/hook", SECRET, lambda: NOW)
    _verify(store, "c-1")
    first = decide(store, "acme", "c-1", "genuine", "receipt seen", by=API_K1)
    retried = decide(store, "acme", "c-1", "genuine", "receipt seen", by=API_K1)
    assert retried == RecordedOutcome(first.decided_at, None, API_K1, repeated=True, decision_id=first.decision_id)
    changed = decide(store, "acme", "c-1", "genuine", "receipt and box seen", by=API_K1)
    assert (changed.replaced, changed.repeated) == ("genuine", False)
    assert decide(store, "acme", "c-1", "genuine", "receipt and box seen", by=API_K1).replaced == "genuine"
    announced = [d.payload["note"] for d in deliveries(store, "acme").items if d.event == "claim.outcome"]
    assert sorted(announced) == ["receipt and box seen", "receipt seen"]
    # The event names who decided (its key, where from), as the API's answer does.
    assert {str(d.payload["decided_by"]) for d in deliveries(store, "acme").items if d.event == "claim.outcome"} == {
        str({"key": "k1", "via": "api"})
    }
    # And which decision it is, as the answer and `GET /v1/claims` name it (to send as `seen`).
    announced_ids = [d.payload["decision_id"] for d in deliveries(store, "acme").items if d.event == "claim.outcome"]
    assert sorted(announced_ids) == [first.decision_id, changed.decision_id] and first.decision_id != changed.decision_id
    with store.sessions() as session:
        assert session.scalar(select(func.count()).select_from(OutcomeRow)) == 2


def test_a_page_of_deliveries_is_a_page_as_one_of_claims_is(store: Store) -> None:
    from evidence_check.store.claims import ClaimFilter, Page, list_claims

    set_webhook(store, "acme", "http://127.0.0.1:9/hook", SECRET, lambda: NOW)
    for number in range(3):
        queue_event(store, "acme", "claim.verified", {"claim_id": f"c-{number}"}, NOW)
    first = deliveries(store, "acme", limit=2)
    assert type(first) is type(list_claims(store, "acme", ClaimFilter())) is Page
    assert [d.payload["claim_id"] for d in first.items] == ["c-2", "c-1"] and first.next_cursor is not None
    assert deliveries(store, "acme", limit=2, cursor=first.next_cursor) == Page(deliveries(store, "acme").items[2:], None)


def test_signature_is_hmac_sha256_over_timestamp_and_body() -> None:
    import hashlib
    import hmac

    expected = hmac.new(b"k", b"1700000000.{}", hashlib.sha256).hexdigest()
    assert signature("k", 1700000000, b"{}") == f"sha256={expected}"


@pytest.mark.parametrize(
    ("url", "english", "chinese"),
    [
        ("ftp://x", "webhook URL must be http:// or https:// with a host, got 'ftp://x'", "必须是带主机名的"),
        ("https://x/" + "a" * 2000, "webhook URL is longer than 2000 characters", "超过 2000 个字符"),
        ("https://x/\x1b[2J", "webhook URL holds a control character or a lone surrogate", "含有控制字符"),
        # None belongs in a URL; a text's tab and line breaks are not a URL's (urlsplit drops some unsaid)
        ("https://x/a\tb", "webhook URL holds a control character or a lone surrogate", "含有控制字符"),
        ("https://x/\r\nX-Injected: 1", "webhook URL holds a control character or a lone surrogate", "含有控制字符"),
        ("https://x/a\x0bb\x85", "webhook URL holds a control character or a lone surrogate", "含有控制字符"),
    ],
)
def test_a_refused_url_is_worded_in_english_and_chinese(url: str, english: str, chinese: str) -> None:
    with pytest.raises(WebhookInvalid) as refused:
        check_url(url, public_only=False, tenant="acme")
    assert str(refused.value).startswith(english)  # the command line's line, as before
    assert chinese in refused.value.text("zh")


def test_the_webhooks_commands(sqlite_url: str, receiver: Receiver) -> None:
    runner = CliRunner()
    bad = runner.invoke(app, ["webhooks", "set", "acme", "ftp://x", "--db", sqlite_url])
    assert bad.exit_code == 2 and "http://" in bad.output and "Traceback" not in bad.output
    made = runner.invoke(app, ["webhooks", "set", "acme", receiver.url, "--db", sqlite_url])
    assert made.exit_code == 0, made.output
    secret = made.stdout.splitlines()[0]
    assert secret.startswith("whsec_")
    assert runner.invoke(app, ["webhooks", "show", "acme", "--db", sqlite_url]).stdout.strip() == receiver.url
    store = Store(sqlite_url)
    try:
        queue_event(store, "acme", "claim.outcome", {"claim_id": "c-9", "outcome": "genuine"}, datetime.now(UTC))
    finally:
        store.close()
    assert runner.invoke(app, ["webhooks", "deliver", "--db", sqlite_url]).exit_code == 0
    [(headers, sent)] = receiver.received
    assert verify_signature(secret, headers, sent, datetime.now(UTC))
    logged = runner.invoke(app, ["webhooks", "log", "acme", "--db", sqlite_url]).stdout
    assert "claim.outcome" in logged and "delivered" in logged
    assert runner.invoke(app, ["webhooks", "remove", "acme", "--db", sqlite_url]).exit_code == 0
    assert runner.invoke(app, ["webhooks", "show", "acme", "--db", sqlite_url]).exit_code == 1


def test_webhooks_deliver_sends_to_a_tenants_loopback_receiver_only_when_the_setting_allows(
    sqlite_url: str, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cron's `webhooks deliver` follows WEBHOOK_PRIVATE_ADDRESSES as a server does (nothing
    tested that it reads it)."""
    store = Store(sqlite_url)
    try:
        set_webhook(store, "acme", receiver.url, SECRET, lambda: NOW, set_by_tenant=True)
        queue_event(store, "acme", "claim.verified", {"claim_id": "c-1"}, datetime.now(UTC))
    finally:
        store.close()
    runner = CliRunner()
    assert runner.invoke(app, ["webhooks", "deliver", "--db", sqlite_url]).exit_code == 0
    assert receiver.received == []
    store = Store(sqlite_url)
    try:  # due again now, not after the backoff
        with store.engine.begin() as connection:
            connection.execute(
                text("UPDATE webhook_deliveries SET next_attempt_at = :now").bindparams(
                    bindparam("now", type_=DateTime(timezone=True))
                ),
                {"now": NOW},
            )
    finally:
        store.close()
    monkeypatch.setenv("EVIDENCE_CHECK_WEBHOOK_PRIVATE_ADDRESSES", "true")
    assert runner.invoke(app, ["webhooks", "deliver", "--db", sqlite_url]).exit_code == 0
    assert len(receiver.received) == 1


def test_a_receivers_answer_and_a_url_stored_before_the_rule_are_printed_not_obeyed(sqlite_url: str) -> None:
    """A receiver that sends a broken status line has it in the logged error (http.client's
    BadStatusLine quotes it): the receiver's own text, printed to the agent's terminal by `log`."""
    runner = _delivered_with(sqlite_url, "\x1b[2J\x9b2J", url="https://x.example/\x1b]0;owned\x07")
    logged = runner.invoke(app, ["webhooks", "log", "acme", "--db", sqlite_url]).stdout
    shown = runner.invoke(app, ["webhooks", "show", "acme", "--db", sqlite_url]).stdout
    assert "\\x1b[2J\\x9b2J" in logged and "https://x.example/\\x1b]0;owned\\x07" in shown
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f]", logged + shown)


def test_a_receivers_long_answer_is_cut_between_characters_not_inside_an_escape(sqlite_url: str) -> None:
    """The answer's column is 100 wide: an escape reaching past it was cut to "\\x1", which reads as
    the text it is not."""
    runner = _delivered_with(sqlite_url, "x" * 97 + "\x1b[2J and more")
    [row] = runner.invoke(app, ["webhooks", "log", "acme", "--db", sqlite_url]).stdout.splitlines()[1:]
    assert row.endswith(" " + "x" * 97)  # the escape left out whole


def test_log_shows_why_a_receiver_was_never_reached_whole(sqlite_url: str) -> None:
    """The proxy's refusal is the answer an operator must read to the status: in a 24-wide column
    it was "the proxy refused it: HT", the 407 cut off."""
    refusal = "the proxy refused it: HTTP 407 Proxy Authentication Required"
    runner = _delivered_with(sqlite_url, refusal)
    [row] = runner.invoke(app, ["webhooks", "log", "acme", "--db", sqlite_url]).stdout.splitlines()[1:]
    assert row.endswith(" " + refusal)


def _delivered_with(sqlite_url: str, answer: str, url: str | None = None) -> CliRunner:
    """acme's webhook with one delivery whose receiver answered `answer`, and its URL set to `url`
    behind the rules' back (as stored before them); the runner to read them with."""
    runner = CliRunner()
    assert runner.invoke(app, ["webhooks", "set", "acme", "https://x.example/hook", "--db", sqlite_url]).exit_code == 0
    store = Store(sqlite_url)
    try:
        queue_event(store, "acme", "claim.outcome", {"claim_id": "c-9", "outcome": "genuine"}, datetime.now(UTC))
        with store.engine.begin() as connection:
            connection.execute(text("UPDATE webhook_deliveries SET last_error = :e"), {"e": answer})
            if url is not None:
                connection.execute(text("UPDATE webhooks SET url = :u"), {"u": url})
    finally:
        store.close()
    return runner


class Redirector:
    """An HTTP server on 127.0.0.1 that answers every request 302 to `target`, and one that records
    every request it gets there, whatever its method."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str]] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                recorder.requests.append((self.command, self.path))
                if self.path == "/hook":
                    self.send_response(302)
                    self.send_header("Location", f"http://127.0.0.1:{self.server.server_address[1]}/inside")
                else:
                    self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST = _answer  # noqa: N815 (http.server's names)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, args=(POLL_SECONDS,), daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_a_redirect_is_an_answer_not_followed(store: Store) -> None:
    """urllib followed a 302 as a GET to wherever it pointed: a receiver on the internet could send
    the server to an address inside its network that it would never be allowed to set."""
    redirector = Redirector()
    try:
        set_webhook(store, "acme", redirector.url, SECRET, lambda: NOW)
        queue_event(store, "acme", "claim.verified", {"claim_id": "c-1"}, NOW)
        assert deliver_due(store, NOW) == 0
        assert redirector.requests == [("POST", "/hook")]
    finally:
        redirector.close()
    [logged] = deliveries(store, "acme").items
    assert (logged.status, logged.last_status) == ("pending", 302)
    assert logged.last_error == "HTTP 302: redirects are not followed"


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_a_receiver_a_tenant_set_is_not_sent_to_at_a_private_address(
    store: Store, receiver: Receiver, host: str
) -> None:
    """Checked again at each send: a name that resolved to a public address when the tenant set it
    may resolve to loopback now. A receiver the operator set may be there (the tests' own are)."""
    url = receiver.url.replace("127.0.0.1", host)
    set_webhook(store, "acme", url, SECRET, lambda: NOW, set_by_tenant=True)
    queue_event(store, "acme", "claim.verified", {"claim_id": "c-1"}, NOW)
    assert deliver_due(store, NOW) == 0
    assert receiver.received == []
    [logged] = deliveries(store, "acme").items
    assert logged.last_status is None and logged.status == "pending"
    told = "is 127.0.0.1, not a public address" if host == "127.0.0.1" else "resolves to an address that is not public"
    assert logged.last_error == (
        f"not sent: webhook host {host!r} {told}: this server sends only to "
        "public addresses (its operator may allow others with WEBHOOK_PRIVATE_ADDRESSES)"
    )
    # The operator's setting lets it through; so does the operator setting the same URL.
    assert deliver_due(store, NOW + BACKOFF[0], private_allowed=True) == 1
    set_webhook(store, "acme", url, SECRET, lambda: NOW)
    queue_event(store, "acme", "claim.verified", {"claim_id": "c-2"}, NOW)
    assert deliver_due(store, NOW + BACKOFF[0]) == 1
    assert len(receiver.received) == 2


def test_a_send_connects_to_the_address_it_resolved_and_checked(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The name is resolved once per send, and that address is the one connected to: a resolver that
    answers otherwise a moment later (DNS rebinding: a public address for the check, loopback for
    the connection) is not asked again. Here the later answer is 127.0.0.2, where nothing listens."""
    real = socket.getaddrinfo
    answers = iter(["127.0.0.1"])

    def rebinding(host: object, port: object, *args: object, **kwargs: object) -> object:
        if host == "hooks.example":
            return real(next(answers, "127.0.0.2"), port, *args, **kwargs)  # type: ignore[arg-type]
        return real(host, port, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    port = receiver.server.server_address[1]
    answer = post(f"http://hooks.example:{port}/hook?v=1", b"{}", {"Content-Type": "application/json"}, False, None, "acme")
    assert answer == Answer(200, None)
    [(headers, _)] = receiver.received
    assert headers["Host"] == f"hooks.example:{port}"


def test_a_send_to_a_name_whose_resolver_does_not_answer_is_cut_off_and_tried_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A resolver that does not answer held the delivery pass, every tenant's, past the send's bound."""
    released = threading.Event()

    def silent(host: object, port: object, *args: object, **kwargs: object) -> object:
        released.wait(20)
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(socket, "getaddrinfo", silent)
    monkeypatch.setattr(webhooks, "RESOLVE_TIMEOUT_S", 0.5, raising=False)
    try:
        answer = post("https://hooks.silent.example/hook", b"{}", {}, True, None, "acme")
    finally:
        released.set()
    assert answer.status is None
    assert answer.error == "not sent: webhook host 'hooks.silent.example' did not resolve within 0.5 s: try again later, or check its DNS"


def test_a_receiver_set_before_tenants_could_set_one_stays_the_operators(store_url: str, receiver: Receiver) -> None:
    """Before 0017 only the operator's command line set receivers: migrated, they may still be sent
    to at any address (the operator's own receivers on loopback are not cut off by the upgrade), the
    events kept before it too; downgraded again, the receivers stay."""
    from tests.conftest import at_revision

    Store(store_url).close()
    with at_revision(store_url, "0016_catalog_words", downgrade=True) as connection:
        connection.execute(
            text("INSERT INTO webhooks (tenant, url, secret, created_at) VALUES ('acme', :url, :secret, :now)"),
            {"url": receiver.url, "secret": SECRET, "now": NOW},
        )
        connection.execute(
            text(
                "INSERT INTO webhook_deliveries (tenant, event, payload, status, attempts, next_attempt_at, created_at) "
                "VALUES ('acme', 'claim.verified', :payload, 'pending', 0, :now, :now)"
            ).bindparams(bindparam("now", type_=DateTime(timezone=True))),  # as the ORM wrote it (SQLite's text)
            {"payload": json.dumps({"claim_id": "c-0016"}), "now": NOW},
        )
    store = Store(store_url)  # migrates it
    try:
        hook = webhook_of(store, "acme")
        assert hook is not None and (hook.url, hook.set_by_tenant) == (receiver.url, False)
        assert deliver_due(store, NOW) == 1
        [(_, body)] = receiver.received
        assert json.loads(body)["data"] == {"claim_id": "c-0016"}
    finally:
        store.close()
    with at_revision(store_url, "0016_catalog_words", downgrade=True) as connection:
        assert connection.execute(text("SELECT tenant, url FROM webhooks")).all() == [("acme", receiver.url)]


def test_a_receiver_answering_a_byte_at_a_time_is_cut_off_at_the_send_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each byte within the socket's timeout kept the send going as long as the receiver liked (70 s
    measured, past the 60 s lease: another process sent the event again), holding back every other
    tenant's events in that process. Here a 200 dripped over ~4 s against a 1 s send timeout."""
    monkeypatch.setattr(webhooks, "SEND_TIMEOUT_S", 1.0)
    listener = socket.create_server(("127.0.0.1", 0))

    def drip() -> None:
        connection, _ = listener.accept()
        with connection:
            connection.recv(65536)
            try:
                connection.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
                for _ in range(16):
                    time.sleep(0.25)
                    connection.sendall(b"a")
                connection.sendall(b"\r\nContent-Length: 0\r\n\r\n")
            except OSError:  # the sender hung up: what the fix does
                pass

    dripping = threading.Thread(target=drip, daemon=True)
    dripping.start()
    try:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/hook"
        assert post(url, b"{}", {"Content-Type": "application/json"}, False, None, "acme") == Answer(None, "no answer within 1 s")
    finally:
        dripping.join(timeout=10)
        listener.close()


def test_a_receiver_url_stored_before_ports_were_checked_fails_alone(store: Store, receiver: Receiver) -> None:
    """`webhooks set` stored `http://x:99999/` before 0017 (the port was not read then): its send is a
    failed attempt, logged, and the other tenants' events are sent in the same pass."""
    set_webhook(store, "acme", "http://hooks.example:99999/hook", SECRET, lambda: NOW)
    set_webhook(store, "globex", receiver.url, SECRET, lambda: NOW)
    queue_event(store, "acme", "claim.verified", {"claim_id": "c-1"}, NOW)
    queue_event(store, "globex", "claim.verified", {"claim_id": "c-2"}, NOW)
    assert deliver_due(store, NOW) == 1
    assert len(receiver.received) == 1
    [logged] = deliveries(store, "acme").items
    assert (logged.status, logged.attempts, logged.last_status) == ("pending", 1, None)
    assert logged.last_error == "ValueError: Port out of range 0-65535"


def test_two_first_receivers_set_at_once_are_one_after_the_other(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """Concurrent first PUTs of a tenant's receiver answered one of them 503 (5 rounds of 8 at once on
    a live server: 3 had one): both read "none yet", both inserted. Here the second's read misses the
    row the first has just committed; it is set over it, not refused."""
    set_webhook(store, "acme", "https://93.184.216.34/first", SECRET, lambda: NOW, set_by_tenant=True)
    real = Session.scalar
    blind = [True]

    def reads_before_the_other_committed(self: Session, *args: object, **kwargs: object) -> object:
        if blind.pop() if blind else False:
            return None
        return real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Session, "scalar", reads_before_the_other_committed)
    set_webhook(store, "acme", "https://93.184.216.34/second", "whsec_second", lambda: NOW, set_by_tenant=True)
    hook = webhook_of(store, "acme")
    assert hook is not None and (hook.url, hook.secret) == ("https://93.184.216.34/second", "whsec_second")


def test_settings_of_one_receiver_at_once_are_stored_in_the_order_their_times_say(store: Store) -> None:
    """Two settings of acme's receiver at once: the first has read its time (its `set_at`) and not yet
    committed when the second starts. Held while it is set, the receiver makes the second wait, read
    its time after the first committed and be stored last; not held, the second was stored first and
    the first, older, overwrote it: the answer with the newest `set_at` held a secret replaced."""
    set_webhook(store, "acme", "http://127.0.0.1:9/hook", SECRET, lambda: NOW)
    second_done, first_timed = threading.Event(), threading.Event()
    answers: dict[str, Any] = {}

    def first_clock() -> datetime:
        timed = datetime.now(UTC)
        first_timed.set()
        second_done.wait(3)  # held, the second cannot end before this one commits: it waits in vain
        return timed

    def set_first() -> None:
        answers["first"] = set_webhook(store, "acme", "http://127.0.0.1:9/first", "whsec_first", first_clock)

    first = threading.Thread(target=set_first)
    first.start()
    assert first_timed.wait(30)
    answers["second"] = set_webhook(store, "acme", "http://127.0.0.1:9/second", "whsec_second", lambda: datetime.now(UTC))
    second_done.set()
    first.join(30)
    newest = max(answers.values(), key=lambda hook: hook.set_at)
    stored = webhook_of(store, "acme")
    assert stored is not None and (stored.url, stored.secret, stored.set_at) == (newest.url, newest.secret, newest.set_at)


def test_events_due_to_a_silent_name_wait_on_one_lookup_and_the_pass_goes_on(
    store: Store, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Four events due to a receiver whose resolver went silent: one lookup is left waiting, not one
    per event (each a thread and a slot of the sends' bound, each a further bound of the pass);
    the others are refused as that lookup was, and another tenant's event is sent in the same pass."""
    released, asked = threading.Event(), []
    real = socket.getaddrinfo

    def silent(host: object, port: object, *args: object, **kwargs: object) -> object:
        if host == "hooks.silent.example":
            asked.append(host)
            released.wait(20)
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        return real(host, port, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", silent)
    monkeypatch.setattr(webhooks, "RESOLVE_TIMEOUT_S", 0.3, raising=False)
    set_webhook(store, "acme", "http://hooks.silent.example:9/hook", SECRET, lambda: NOW)
    set_webhook(store, "globex", receiver.url, SECRET, lambda: NOW)
    for number in range(4):
        queue_event(store, "acme", "claim.verified", {"claim_id": f"c-{number}"}, NOW)
    queue_event(store, "globex", "claim.verified", {"claim_id": "g-1"}, NOW + timedelta(seconds=1))
    try:
        assert deliver_due(store, NOW + timedelta(seconds=1)) == 1
    finally:
        released.set()
    assert asked == ["hooks.silent.example"] and len(receiver.received) == 1
    for logged in deliveries(store, "acme").items:
        assert (logged.status, logged.last_error) == (
            "pending",
            "not sent: webhook host 'hooks.silent.example' did not resolve within 0.3 s: try again later, or check its DNS",
        )


def _pending_without_receiver(store: Store, tenant: str) -> list[int]:
    if webhook_of(store, tenant) is not None:
        return []
    return [d.id for d in deliveries(store, tenant).items if d.status == "pending"]


def test_a_receiver_removed_between_an_events_check_and_its_row_leaves_nothing_pending(store: Store) -> None:
    """The receiver removed after the event's transaction saw it and before it wrote the row: the
    removal marked what was pending then, and the row written after waited for no receiver, for ever."""
    set_webhook(store, "acme", "http://127.0.0.1:9/hook", SECRET, lambda: NOW)
    with store.sessions.begin() as session:

        @event.listens_for(session, "before_flush", once=True)
        def remove_meanwhile(*_: object) -> None:
            assert remove_webhook(store, "acme")

        queue_events(session, "acme", [Event("claim.verified", {"claim_id": "c-1"})], NOW)
    assert _pending_without_receiver(store, "acme") == []


def test_an_event_kept_while_its_receiver_is_removed_and_set_again_goes_to_the_new_one(
    store: Store, receiver: Receiver
) -> None:
    """Removed and set again (a new secret) between the event's check and its row: the receiver held
    then is the new one, which gets it signed with its own secret, never with the removed one's."""
    set_webhook(store, "acme", "http://127.0.0.1:9/removed", "whsec_removed", lambda: NOW)
    with store.sessions.begin() as session:

        @event.listens_for(session, "before_flush", once=True)
        def remove_and_set_again(*_: object) -> None:
            assert remove_webhook(store, "acme")
            set_webhook(store, "acme", receiver.url, "whsec_new", lambda: NOW)

        [queued] = queue_events(session, "acme", [Event("claim.verified", {"claim_id": "c-1"})], NOW)
    assert deliver_due(store, NOW) == 1
    [(headers, body)] = receiver.received
    assert headers["X-Evidence-Check-Delivery"] == str(queued)
    assert verify_signature("whsec_new", headers, body, NOW)
    assert not verify_signature("whsec_removed", headers, body, NOW)


def test_a_receiver_removed_while_an_events_transaction_is_open_leaves_nothing_pending(store: Store) -> None:
    """The receiver removed after the event's row was written, before its transaction ended: the
    removal's update did not see the row not yet committed, and left it pending."""
    set_webhook(store, "acme", "http://127.0.0.1:9/hook", SECRET, lambda: NOW)
    removal = threading.Thread(target=remove_webhook, args=(store, "acme"))
    with store.sessions.begin() as session:
        [queued] = queue_events(session, "acme", [Event("claim.verified", {"claim_id": "c-1"})], NOW)
        removal.start()
        removal.join(1.0)  # it waits for this transaction, or (before) ran to its end meanwhile
    removal.join(30)
    assert webhook_of(store, "acme") is None
    [dropped] = deliveries(store, "acme").items
    assert (dropped.id, dropped.status, dropped.last_error) == (queued, "failed", "webhook removed")


def test_a_put_replacing_the_receiver_does_not_wait_for_an_events_transaction(store: Store) -> None:
    """PostgreSQL: the receiver held FOR SHARE by the events' transaction, a PUT (FOR UPDATE) waited for
    every verify of the tenant then committing; only a removal must. SQLite's one writer makes any
    write wait, PUT or not."""
    if store.engine.dialect.name == "sqlite":
        pytest.skip("SQLite has one writer: any write waits for the events' transaction")
    set_webhook(store, "acme", "http://127.0.0.1:9/old", SECRET, lambda: NOW)
    put = threading.Thread(
        target=set_webhook, args=(store, "acme", "http://127.0.0.1:9/new", "whsec_new", lambda: NOW)
    )
    with store.sessions.begin() as session:
        [queued] = queue_events(session, "acme", [Event("claim.verified", {"claim_id": "c-1"})], NOW)
        put.start()
        put.join(20)  # a bound: it waited for this transaction, which is still open
        put_waited = put.is_alive()
    put.join(30)
    assert not put_waited
    hook = webhook_of(store, "acme")
    assert hook is not None and (hook.url, hook.secret) == ("http://127.0.0.1:9/new", "whsec_new")
    [kept] = deliveries(store, "acme").items
    assert (kept.id, kept.status) == (queued, "pending")  # sent to the receiver set, with its secret


def test_a_delivery_kept_pending_without_a_receiver_before_an_upgrade_is_dropped_with_its_reason(
    store: Store, receiver: Receiver
) -> None:
    """Rows left pending by the race above in a store from before: the next pass ends them, saying why,
    and sends the others."""
    set_webhook(store, "globex", receiver.url, SECRET, lambda: NOW)
    with store.sessions.begin() as session:
        session.add_all(
            DeliveryRow(
                tenant=tenant, event="claim.verified", payload={"claim_id": "c-1"}, status="pending",
                attempts=attempts, next_attempt_at=NOW + later, created_at=NOW,
            )
            for tenant, attempts, later in (("acme", 0, timedelta(0)), ("acme", 2, timedelta(hours=4)), ("globex", 0, timedelta(0)))
        )
    assert deliver_due(store, NOW) == 1
    assert _pending_without_receiver(store, "acme") == []
    assert {(d.status, d.last_error) for d in deliveries(store, "acme").items} == {("failed", "webhook removed")}
    assert [d.status for d in deliveries(store, "globex").items] == ["delivered"]


def test_one_tenants_silent_names_leave_the_other_tenants_sends_their_lookups(
    store: Store, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tenant switching its receiver to a further name that then goes silent, once per pass: each
    lookup is left waiting, and 8 of them refused every other tenant's sends in the process."""
    released, asked = threading.Event(), []
    real = socket.getaddrinfo

    def silent(host: object, port: object, *args: object, **kwargs: object) -> object:
        if str(host).endswith(".silent.example"):
            asked.append(host)
            released.wait(20)
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        return real(host, port, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", silent)
    monkeypatch.setattr(webhooks, "RESOLVE_TIMEOUT_S", 0.3, raising=False)
    set_webhook(store, "globex", receiver.url, SECRET, lambda: NOW)
    try:
        for number in range(webhooks.RESOLVING_AT_ONCE):
            set_webhook(store, "acme", f"http://hooks-{number}.silent.example:9/hook", SECRET, lambda: NOW)
            queue_event(store, "acme", "claim.verified", {"claim_id": f"c-{number}"}, NOW)
            assert deliver_due(store, NOW) == 0
        queue_event(store, "globex", "claim.verified", {"claim_id": "g-1"}, NOW)
        assert deliver_due(store, NOW) == 1
    finally:
        released.set()
    assert len(receiver.received) == 1
    assert len(asked) == webhooks.RESOLVING_PER_TENANT
    assert deliveries(store, "acme").items[0].last_error == (
        "not sent: webhook host 'hooks-7.silent.example' not looked up: 2 of this tenant's names are still waiting on "
        "their resolvers; try again later, or check their DNS"
    )


def test_a_tenants_names_waiting_for_a_slot_at_once_start_no_more_than_its_share(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every slot held by other tenants' silent names, one tenant's PUTs of 8 names at once: each passed
    the tenant's count while none of them held a slot yet, and as slots came free they took all 8."""
    others_answer, acme_answers, asked = threading.Event(), threading.Event(), []

    def silent(host: object, port: object, *args: object, **kwargs: object) -> object:
        asked.append(str(host))
        (acme_answers if str(host).startswith("acme-") else others_answer).wait(20)
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(socket, "getaddrinfo", silent)
    monkeypatch.setattr(webhooks, "RESOLVE_TIMEOUT_S", 15.0)
    refused: list[str] = []

    def put(tenant: str, number: int) -> None:
        try:
            check_url(f"http://{tenant}-{number}.silent.example/hook", public_only=True, tenant=tenant)
        except WebhookInvalid as exc:
            refused.append(exc.code)

    others = [
        threading.Thread(target=put, args=(f"other-{tenant}", number))
        for tenant in range(webhooks.RESOLVING_AT_ONCE // webhooks.RESOLVING_PER_TENANT)
        for number in range(webhooks.RESOLVING_PER_TENANT)
    ]
    acme = [threading.Thread(target=put, args=("acme", number)) for number in range(webhooks.RESOLVING_AT_ONCE)]
    try:
        for thread in others:
            thread.start()
        _wait_for(lambda: len(asked) == webhooks.RESOLVING_AT_ONCE)  # every slot held
        for thread in acme:
            thread.start()
        _wait_for(lambda: len(refused) == webhooks.RESOLVING_AT_ONCE - webhooks.RESOLVING_PER_TENANT, give_up=2.0)
        others_answer.set()  # the slots come free while acme's askers wait for one
        _wait_for(lambda: sum(host.startswith("acme-") for host in asked) + len(refused) >= webhooks.RESOLVING_AT_ONCE)
        assert sum(host.startswith("acme-") for host in asked) == webhooks.RESOLVING_PER_TENANT
        assert set(refused) == {"webhook.resolving_enough"}
    finally:
        others_answer.set()
        acme_answers.set()
        for thread in others + acme:
            thread.join(30)
    still_held = {tenant for _, tenant in webhooks._held_by if tenant == "acme" or tenant.startswith("other-")}
    assert still_held == set()  # every lookup, and every place waiting for a slot, given back


def _wait_for(condition: Callable[[], bool], give_up: float = 10.0) -> None:
    """Until `condition` holds, or `give_up` seconds (then the assertion after it says what did not come)."""
    limit = time.monotonic() + give_up
    while not condition() and time.monotonic() < limit:
        time.sleep(0.01)
