"""`/v1/webhook` with a tenant's key: set, read, remove its receiver and read its deliveries, on
SQLite and PostgreSQL; every URL the server refuses to call for a tenant (its own network above all),
one tenant never reaching another's, and the secret shown once and signing from then on."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from evidence_check import webhooks
from evidence_check.engine import now_utc
from evidence_check.store import Store
from evidence_check.store.webhooks import set_webhook, webhook_of
from evidence_check.webhooks import EVENTS, verify_signature
from tests.api.conftest import Api, bearer, jpeg, make_api, photos
from tests.webhook_receivers import Receiver, queue_event

PUBLIC = "https://93.184.216.34/hooks/evidence-check"  # an address literal: no resolver asked
ZH = {"Accept-Language": "zh-CN"}
NOT_PUBLIC = "not a public address: this server sends only to public addresses"


@pytest.fixture
def keys(store: Store) -> dict[str, dict[str, str]]:
    from evidence_check.store.keys import create_key

    return {tenant: bearer(create_key(store, tenant, now_utc())[1]) for tenant in ("acme", "globex")}


@pytest.fixture
def quiet_api(store: Store, keys: dict[str, dict[str, str]]) -> Iterator[Api]:
    """No delivery thread: nothing is sent while the log is read."""
    yield from make_api(store, webhook_interval_seconds=0)


def test_a_receiver_is_set_read_and_removed(quiet_api: Api, keys: dict[str, dict[str, str]]) -> None:
    client, acme = quiet_api.client, keys["acme"]
    assert client.get("/v1/webhook", headers=acme).status_code == 404
    made = client.put("/v1/webhook", json={"url": PUBLIC}, headers=acme)
    assert made.status_code == 200, made.text
    assert made.json()["url"] == PUBLIC and made.json()["events"] == list(EVENTS)
    secret = made.json()["secret"]
    assert secret.startswith("whsec_")
    shown = client.get("/v1/webhook", headers=acme)
    assert shown.status_code == 200
    assert shown.json() == {"url": PUBLIC, "events": list(EVENTS), "set_at": made.json()["set_at"]}
    assert secret not in shown.text
    assert client.delete("/v1/webhook", headers=acme).status_code == 204
    gone = client.get("/v1/webhook", headers={**acme, **ZH})
    assert (gone.status_code, gone.json()) == (404, {"detail": "本租户尚未设置 webhook"})
    again = client.delete("/v1/webhook", headers=acme)
    assert (again.status_code, again.json()) == (404, {"detail": "no webhook is set for this tenant"})


def test_without_a_key_nothing_is_read_or_set(quiet_api: Api) -> None:
    assert quiet_api.client.put("/v1/webhook", json={"url": PUBLIC}).status_code == 401
    assert quiet_api.client.get("/v1/webhook/deliveries").status_code == 401
    assert quiet_api.count("webhooks") == 0


@pytest.mark.parametrize(
    ("url", "address"),
    [
        ("http://127.0.0.1:8080/hook", "127.0.0.1"),
        ("http://[::1]/hook", "::1"),
        ("http://[::ffff:127.0.0.1]/hook", "::ffff:7f00:1"),  # IPv4 in IPv6 clothes
        ("http://[64:ff9b::a9fe:a9fe]/hook", "64:ff9b::a9fe:a9fe"),  # the same, through NAT64
        ("http://[::127.0.0.1]/hook", "::7f00:1"),  # "IPv4-compatible", deprecated
        ("http://[2002:7f00:1::]/hook", "2002:7f00:1::"),  # 6to4
        ("http://2130706433/hook", "127.0.0.1"),  # decimal
        ("http://0177.0.0.1/hook", "127.0.0.1"),  # octal
        ("http://0x7f.1/hook", "127.0.0.1"),  # hexadecimal, short
        ("http://0.0.0.0/hook", "0.0.0.0"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254"),  # cloud metadata
        ("http://[fd00:ec2::254]/latest/meta-data/", "fd00:ec2::254"),  # the same over IPv6
        ("http://100.100.100.200/", "100.100.100.200"),  # shared address space (a cloud's metadata)
        ("http://10.0.0.5/", "10.0.0.5"),
        ("http://172.16.1.1/", "172.16.1.1"),
        ("https://192.168.1.1/", "192.168.1.1"),
        ("http://[fe80::1]/", "fe80::1"),
        ("http://224.0.0.1/", "224.0.0.1"),  # multicast
        # Python 3.11.7 counts these global: the rule's own table refuses them.
        ("http://192.0.0.8/", "192.0.0.8"),  # IETF protocol assignments
        ("http://[64:ff9b:1::a00:1]/", "64:ff9b:1::a00:1"),  # local-use NAT64: 10.0.0.1 through the site's gateway
        ("http://[fec0::1]/", "fec0::1"),  # site-local
        ("http://[::ffff:0:7f00:1]/", "::ffff:0:7f00:1"),  # IPv4-translated
    ],
)
def test_a_receiver_in_the_servers_own_network_is_refused(
    quiet_api: Api, keys: dict[str, dict[str, str]], url: str, address: str
) -> None:
    refused = quiet_api.client.put("/v1/webhook", json={"url": url}, headers=keys["acme"])
    assert refused.status_code == 422
    detail = refused.json()["detail"]
    assert f" is {address}, {NOT_PUBLIC}" in detail and "\n" not in detail
    zh = quiet_api.client.put("/v1/webhook", json={"url": url}, headers={**keys["acme"], **ZH})
    assert f"是 {address}，不是公网地址" in zh.json()["detail"]
    assert quiet_api.count("webhooks") == 0


@pytest.mark.parametrize("host", ["localhost", "db.internal"])
def test_a_name_resolving_into_the_servers_network_is_refused_without_its_address(
    quiet_api: Api, keys: dict[str, dict[str, str]], monkeypatch: pytest.MonkeyPatch, host: str
) -> None:
    """The line named the address the server's resolver found: a tenant could map the inside
    network's names (db.internal is 10.1.2.3), asking for them or by a CNAME of its own name."""
    real = socket.getaddrinfo

    def inside(name: object, port: object, *args: object, **kwargs: object) -> object:
        return real("10.1.2.3" if name == "db.internal" else name, port, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", inside)
    for headers, line in (
        (keys["acme"], f"webhook host {host!r} resolves to an address that is not public: this server sends only to public addresses"),
        ({**keys["acme"], **ZH}, f"webhook 主机 {host!r} 解析到的地址不是公网地址"),
    ):
        refused = quiet_api.client.put("/v1/webhook", json={"url": f"http://{host}:8080/hook"}, headers=headers)
        assert refused.status_code == 422
        assert refused.json()["detail"].startswith(line), refused.json()
        assert "10.1.2.3" not in refused.text and "127.0.0.1" not in refused.text
    assert quiet_api.count("webhooks") == 0


def test_a_name_whose_resolver_does_not_answer_is_refused_in_time_and_nothing_is_set(
    quiet_api: Api, keys: dict[str, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A resolver that does not answer held the PUT's worker as long as the system's resolver tried;
    here it answers only when the test ends (after the PUTs), so an unbounded PUT stored the name."""
    released = threading.Event()
    real = socket.getaddrinfo

    def silent(name: object, port: object, *args: object, **kwargs: object) -> object:
        if name == "hooks.silent.example":
            released.wait(20)
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        return real(name, port, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", silent)
    monkeypatch.setattr(webhooks, "RESOLVE_TIMEOUT_S", 0.5, raising=False)
    try:
        for headers, line in (
            (keys["acme"], "webhook host 'hooks.silent.example' did not resolve within 0.5 s: try again later"),
            ({**keys["acme"], **ZH}, "webhook 主机 'hooks.silent.example' 在 0.5 秒内未能解析"),
        ):
            refused = quiet_api.client.put(
                "/v1/webhook", json={"url": "https://hooks.silent.example/hook"}, headers=headers
            )
            # Not 422 ("your request is wrong"): a client told 503 with Retry-After tries again later.
            assert (refused.status_code, refused.headers.get("Retry-After")) == (503, "10")
            assert refused.json()["detail"].startswith(line), refused.json()
            assert "\n" not in refused.json()["detail"]
        assert quiet_api.count("webhooks") == 0
        # A name that does resolve is not held up behind the one still waiting.
        assert quiet_api.client.put("/v1/webhook", json={"url": PUBLIC}, headers=keys["acme"]).status_code == 200
    finally:
        released.set()


def test_past_the_lookups_left_waiting_a_put_is_told_to_come_back_later_not_held(
    quiet_api: Api, keys: dict[str, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lookups left waiting on a silent resolver are bounded (`RESOLVING_AT_ONCE`, here 1): past the
    bound any PUT, a name that would resolve too, is answered within the timeout, 503 with
    Retry-After and one line, nothing stored; once the waiting lookup ends, PUTs are set again."""
    released, first_waiting = threading.Event(), threading.Event()
    real = socket.getaddrinfo

    def silent(name: object, port: object, *args: object, **kwargs: object) -> object:
        if name == "hooks.silent.example":
            first_waiting.set()
            released.wait(20)
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        return real(name, port, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", silent)
    monkeypatch.setattr(webhooks, "RESOLVE_TIMEOUT_S", 0.5, raising=False)
    monkeypatch.setattr(webhooks, "_resolving_for_puts", threading.BoundedSemaphore(1))
    client, acme = quiet_api.client, keys["acme"]
    try:
        silent_put = client.put("/v1/webhook", json={"url": "https://hooks.silent.example/hook"}, headers=acme)
        assert silent_put.status_code == 503 and first_waiting.is_set()
        crowded = client.put("/v1/webhook", json={"url": PUBLIC}, headers={**acme, **ZH})
        assert (crowded.status_code, crowded.headers.get("Retry-After")) == (503, "10")
        assert crowded.json()["detail"].startswith("webhook 主机 ") and "\n" not in crowded.json()["detail"]
        assert quiet_api.count("webhooks") == 0
    finally:
        released.set()
    for _ in range(100):  # the lookup left waiting hands its place back as it ends
        if client.put("/v1/webhook", json={"url": PUBLIC}, headers=acme).status_code == 200:
            break
        time.sleep(0.1)
    assert quiet_api.count("webhooks") == 1


def test_a_tenants_puts_of_silent_names_do_not_stop_every_tenants_deliveries(
    quiet_api: Api, keys: dict[str, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lookups left waiting by PUTs fill their bound (`RESOLVING_AT_ONCE`); the deliveries of
    another tenant, whose receiver resolves, are sent all the same: their lookups are bounded apart."""
    released = threading.Event()
    real = socket.getaddrinfo

    def silent(name: object, port: object, *args: object, **kwargs: object) -> object:
        if str(name).endswith(".silent.example"):
            released.wait(20)
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        return real(name, port, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", silent)
    monkeypatch.setattr(webhooks, "RESOLVE_TIMEOUT_S", 0.5, raising=False)
    receiver = Receiver([])
    try:
        for number in range(webhooks.RESOLVING_AT_ONCE + 1):
            refused = quiet_api.client.put(
                "/v1/webhook", json={"url": f"https://h{number}.silent.example/hook"}, headers=keys["acme"]
            )
            assert refused.status_code == 503
        set_webhook(quiet_api.store, "globex", receiver.url, "whsec_globex", now_utc)
        queue_event(quiet_api.store, "globex", "claim.verified", {"claim_id": "c-1"}, now_utc())
        assert webhooks.deliver_due(quiet_api.store) == 1
        assert len(receiver.received) == 1
    finally:
        released.set()
        receiver.close()


def test_a_tenants_puts_of_silent_names_hold_two_lookups_and_leave_another_tenants_puts_theirs(
    quiet_api: Api, keys: dict[str, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """PUTs are bounded per tenant as sends are: acme's third silent name is not looked up at all
    (503, said so); globex's name still is, and refused only for its own silence."""
    released = threading.Event()
    real = socket.getaddrinfo

    def silent(name: object, port: object, *args: object, **kwargs: object) -> object:
        if str(name).endswith(".silent.example"):
            released.wait(20)
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        return real(name, port, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", silent)
    monkeypatch.setattr(webhooks, "RESOLVE_TIMEOUT_S", 0.3, raising=False)
    try:
        said = [
            quiet_api.client.put("/v1/webhook", json={"url": f"https://{who}{n}.silent.example/hook"}, headers=keys[who])
            for who, n in (("acme", 0), ("acme", 1), ("acme", 2), ("globex", 0))
        ]
        in_chinese = quiet_api.client.put(
            "/v1/webhook", json={"url": "https://acme3.silent.example/hook"}, headers={**keys["acme"], **ZH}
        )
    finally:
        released.set()
    assert [answer.status_code for answer in said] == [503] * 4
    details = [answer.json()["detail"] for answer in said]
    assert [("not looked up" in detail, "did not resolve within 0.3 s" in detail) for detail in details] == [
        (False, True), (False, True), (True, False), (False, True)
    ]
    assert said[2].headers["Retry-After"] == in_chinese.headers["Retry-After"] == "10"  # to try again later
    assert in_chinese.status_code == 503
    assert "webhook 主机 'acme3.silent.example' 未被解析：本租户已有 2 个名称仍在等待" in in_chinese.json()["detail"]


def test_the_operators_setting_lets_a_tenant_name_its_own_network(
    store: Store, keys: dict[str, dict[str, str]]
) -> None:
    for api in make_api(store, webhook_interval_seconds=0, webhook_private_addresses=True):
        made = api.client.put("/v1/webhook", json={"url": "http://127.0.0.1:8080/hook"}, headers=keys["acme"])
        assert made.status_code == 200, made.text


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"url": "ftp://93.184.216.34/x"}, "webhook URL must be http:// or https:// with a host, got 'ftp://93.184.216.34/x'"),
        ({"url": "javascript:alert(1)"}, "webhook URL must be http:// or https:// with a host, got 'javascript:alert(1)'"),
        ({"url": "https:///hook"}, "webhook URL must be http:// or https:// with a host, got 'https:///hook'"),
        (
            {"url": "https://me:hunter2@93.184.216.34/hook"},
            "webhook URL must not carry a user name or password: check the X-Evidence-Check-Signature instead",
        ),
        ({"url": "https://93.184.216.34/" + "a" * 2000}, "webhook URL is longer than 2000 characters"),
        (
            {"url": "https://93.184.216.34:99999/"},
            "webhook URL's host or port cannot be read (a port is a number from 1 to 65535): 'https://93.184.216.34:99999/'",
        ),
        (
            {"url": "https://x/\r\nX-Injected: 1"},
            "webhook URL holds a control character or a lone surrogate, which cannot be stored: 'https://x/\\r\\nX-Injected: 1'",
        ),
        ({"url": "http://a..b/hook"}, "webhook URL's host or port cannot be read"),  # no IDNA name
        ({"url": "http://[::1/hook"}, "webhook URL's host or port cannot be read"),
        ({"url": "http://[fe80::1%25eth0]/hook"}, "webhook URL's host or port cannot be read"),  # a zone
        ({"url": "http://93.184.216.34:0/hook"}, "webhook URL's host or port cannot be read"),
        ({}, "url: Field required"),
        ({"uri": PUBLIC}, "url: Field required"),
        ({"url": 42}, "url: Input should be a valid string"),
    ],
)
def test_a_malformed_body_or_url_is_one_line(
    quiet_api: Api, keys: dict[str, dict[str, str]], body: dict[str, object], detail: str
) -> None:
    refused = quiet_api.client.put("/v1/webhook", json=body, headers=keys["acme"])
    assert refused.status_code == 422
    assert refused.json()["detail"].startswith(detail), refused.json()
    assert "hunter2" not in refused.text and "\n" not in refused.json()["detail"]
    assert quiet_api.count("webhooks") == 0


def test_a_body_that_is_not_json_or_too_large_is_one_line(store: Store, keys: dict[str, dict[str, str]]) -> None:
    for api in make_api(store, webhook_interval_seconds=0, max_json_bytes=1024):
        headers = {**keys["acme"], "Content-Type": "application/json"}
        broken = api.client.put("/v1/webhook", content=b'{"url": ', headers=headers)
        assert broken.status_code == 422 and "\n" not in broken.json()["detail"]
        large = api.client.put("/v1/webhook", json={"url": PUBLIC + "x" * 2000}, headers=keys["acme"])
        assert large.status_code == 413
        assert large.json() == {"detail": "body: the JSON document is over the 1 KB limit"}
        assert api.count("webhooks") == 0


def test_a_tenant_never_reads_nor_changes_anothers_webhook(quiet_api: Api, keys: dict[str, dict[str, str]]) -> None:
    client, acme, globex = quiet_api.client, keys["acme"], keys["globex"]
    assert client.put("/v1/webhook", json={"url": PUBLIC}, headers=acme).status_code == 200
    queue_event(quiet_api.store, "acme", "claim.verified", {"claim_id": "c-1"}, datetime.now(UTC))
    assert client.get("/v1/webhook", headers=globex).status_code == 404
    assert client.delete("/v1/webhook", headers=globex).status_code == 404
    assert client.get("/v1/webhook/deliveries", headers=globex).json() == {"items": [], "next_cursor": None}
    theirs = "https://93.184.216.35/globex"
    assert client.put("/v1/webhook", json={"url": theirs}, headers=globex).status_code == 200
    assert client.get("/v1/webhook", headers=acme).json()["url"] == PUBLIC
    assert client.get("/v1/webhook", headers=globex).json()["url"] == theirs
    [delivery] = client.get("/v1/webhook/deliveries", headers=acme).json()["items"]
    assert delivery["event"] == "claim.verified"


def test_the_deliveries_are_paged_newest_first(quiet_api: Api, keys: dict[str, dict[str, str]]) -> None:
    client, acme = quiet_api.client, keys["acme"]
    assert client.put("/v1/webhook", json={"url": PUBLIC}, headers=acme).status_code == 200
    for number in range(3):
        queue_event(quiet_api.store, "acme", "claim.verified", {"claim_id": f"c-{number}"}, datetime.now(UTC))
    first = client.get("/v1/webhook/deliveries?limit=2", headers=acme).json()
    assert [item["status"] for item in first["items"]] == ["pending", "pending"]
    assert first["items"][0]["id"] > first["items"][1]["id"]
    assert first["items"][0]["attempts"] == 0 and first["items"][0]["next_attempt_at"] is not None
    assert set(first["items"][0]) == {
        "id", "event", "status", "attempts", "last_status", "last_error", "next_attempt_at", "created_at", "delivered_at",
    }  # fmt: skip
    second = client.get(f"/v1/webhook/deliveries?limit=2&cursor={first['next_cursor']}", headers=acme).json()
    assert len(second["items"]) == 1 and second["next_cursor"] is None
    assert second["items"][0]["id"] < first["items"][1]["id"]
    bad = client.get("/v1/webhook/deliveries?cursor=nonsense", headers=acme)
    assert (bad.status_code, bad.json()) == (
        422, {"detail": "cursor: not one this server handed out; start again without it"},
    )  # fmt: skip
    assert client.get("/v1/webhook/deliveries?limit=0", headers=acme).status_code == 422
    assert client.get("/v1/webhook/deliveries?verdict=x", headers=acme).status_code == 422
    # Removed, its pending deliveries are failed, and still in the log.
    assert client.delete("/v1/webhook", headers=acme).status_code == 204
    after = client.get("/v1/webhook/deliveries", headers=acme).json()["items"]
    assert [(item["status"], item["last_error"], item["next_attempt_at"]) for item in after] == [
        ("failed", "webhook removed", None)
    ] * 3


def _signed_with(receiver: Receiver, count: int) -> list[tuple[dict[str, str], bytes]]:
    deadline = time.monotonic() + 15
    while len(receiver.received) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return receiver.received


def _only_delivery(api: Api, headers: dict[str, str]) -> dict[str, object]:
    [logged] = api.client.get("/v1/webhook/deliveries", headers=headers).json()["items"]
    return logged


def test_a_rotated_secret_signs_what_is_sent_from_then_on(store: Store, keys: dict[str, dict[str, str]]) -> None:
    """Set again with the same URL, the receiver gets a new secret; the old one no longer verifies.
    The receiver is on loopback, which the operator's setting allows here."""
    receiver = Receiver([])
    try:
        for api in make_api(store, webhook_interval_seconds=0.05, webhook_private_addresses=True):
            acme = keys["acme"]
            first = api.client.put("/v1/webhook", json={"url": receiver.url}, headers=acme).json()["secret"]
            second = api.client.put("/v1/webhook", json={"url": receiver.url}, headers=acme).json()["secret"]
            assert first != second
            assert api.verify(photos(("a.jpg", jpeg(1))), {"claim_id": "c-hook"}, headers=acme).status_code == 200
            [(headers, body)] = _signed_with(receiver, 1)
            assert verify_signature(second, headers, body, now_utc())
            assert not verify_signature(first, headers, body, now_utc())
            deadline = time.monotonic() + 15  # the attempt is logged just after the receiver answers
            while (logged := _only_delivery(api, acme))["status"] == "pending" and time.monotonic() < deadline:
                time.sleep(0.05)
            assert (logged["status"], logged["attempts"], logged["last_status"]) == ("delivered", 1, 200)
            for shown in ("/v1/webhook", "/v1/webhook/deliveries"):  # the secret is in PUT's answer only
                text = api.client.get(shown, headers=acme).text
                assert first not in text and second not in text
    finally:
        receiver.close()


def test_of_two_puts_at_once_the_newest_answer_holds_the_secret_that_signs(
    quiet_api: Api, keys: dict[str, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first PUT's check of its URL outlasts a second PUT: the one stored last must be the one
    whose answer is newest (its `set_at`, as GET shows it), else a client keeps a replaced secret."""
    client, acme = quiet_api.client, keys["acme"]
    first_url, second_url = f"{PUBLIC}/first", f"{PUBLIC}/second"
    first_checking, second_answered = threading.Event(), threading.Event()
    check_url = webhooks.check_url

    def slow_check(url: str, *, public_only: bool, tenant: str) -> None:
        if url == first_url:
            first_checking.set()
            assert second_answered.wait(60)
        check_url(url, public_only=public_only, tenant=tenant)

    monkeypatch.setattr(webhooks, "check_url", slow_check)
    answers: dict[str, Any] = {}
    first = threading.Thread(
        target=lambda: answers.update(first=client.put("/v1/webhook", json={"url": first_url}, headers=acme))
    )
    first.start()
    assert first_checking.wait(60)
    answers["second"] = client.put("/v1/webhook", json={"url": second_url}, headers=acme)
    second_answered.set()
    first.join(60)
    assert answers["first"].status_code == answers["second"].status_code == 200
    newest = max((a.json() for a in answers.values()), key=lambda shown: datetime.fromisoformat(shown["set_at"]))
    stored = webhook_of(quiet_api.store, "acme")
    assert stored is not None and (newest["url"], newest["secret"]) == (stored.url, stored.secret)
    shown = client.get("/v1/webhook", headers=acme).json()
    assert (shown["url"], shown["set_at"]) == (newest["url"], newest["set_at"])
