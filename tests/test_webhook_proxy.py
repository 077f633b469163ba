"""The operator's proxy (`webhook_proxy`): receivers the operator set are reached through it, https
by CONNECT with the certificate checked against the receiver's name; receivers a tenant set never
are. A small proxy on loopback stands in for the operator's; it alone knows where hooks.example is."""

from __future__ import annotations

import datetime as dt
import select
import socket
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pydantic import ValidationError

from evidence_check.settings import Settings
from evidence_check.store import Store
from evidence_check.store.webhooks import deliveries, set_webhook
from evidence_check.webhooks import Answer, deliver_due, verify_signature
from tests.webhook_receivers import NOW, POLL_SECONDS, SECRET, Receiver, queue_event

NAME = "hooks.example"  # resolves nowhere but inside the proxy


def _certificate(folder: Path, name: str) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    made = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert, key_file = folder / f"{name}.pem", folder / f"{name}.key"
    cert.write_bytes(made.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert, key_file


class TLSReceiver(Receiver):
    """The loopback receiver, over TLS with the certificate given."""

    def __init__(self, cert: Path, key: Path) -> None:
        super().__init__([])
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        # The listening socket keeps its descriptor: the serving loop goes on with it, now TLS.
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]


class Proxy:
    """An HTTP proxy on loopback: CONNECT tunnels and absolute-URL requests, hooks.example being
    127.0.0.1 to it; it notes each request line and its Proxy-Authorization. With `refusing`, it
    answers every request so itself, forwarding none."""

    def __init__(self, refusing: int | None = None) -> None:
        self.seen: list[tuple[str, str | None]] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def handle_one_request(self) -> None:
                if refusing is None:
                    return super().handle_one_request()
                self.raw_requestline = self.rfile.readline(65537)
                if not self.parse_request():
                    return None
                proxy.seen.append((f"{self.command} {self.path}", self.headers.get("Proxy-Authorization")))
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.send_response(refusing)
                if refusing == 407:
                    self.send_header("Proxy-Authenticate", 'Basic realm="proxy"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                self.close_connection = True
                return None

            def do_CONNECT(self) -> None:  # noqa: N802 (http.server's name)
                proxy.seen.append((f"{self.command} {self.path}", self.headers.get("Proxy-Authorization")))
                host, _, port = self.path.rpartition(":")
                upstream = socket.create_connection(("127.0.0.1" if host == NAME else host, int(port)), 5)
                self.send_response(200, "Connection established")
                self.end_headers()
                ends = [self.connection, upstream]
                while True:
                    ready, _, _ = select.select(ends, [], [], 5)
                    if not ready:
                        break
                    chunks = [(end, end.recv(65536)) for end in ready]
                    if any(not chunk for _, chunk in chunks):
                        break
                    for end, chunk in chunks:
                        (upstream if end is self.connection else self.connection).sendall(chunk)
                upstream.close()

            def do_POST(self) -> None:  # noqa: N802
                proxy.seen.append((f"{self.command} {self.path}", self.headers.get("Proxy-Authorization")))
                import http.client
                from urllib.parse import urlsplit

                parts = urlsplit(self.path)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                forwarded = {k: v for k, v in self.headers.items() if k.lower() != "proxy-authorization"}
                host = "127.0.0.1" if parts.hostname == NAME else parts.hostname or ""
                upstream = http.client.HTTPConnection(host, parts.port or 80, timeout=5)
                upstream.request("POST", parts.path, body=body, headers=forwarded)
                status = upstream.getresponse().status
                upstream.close()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://operator:s3cret@127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(POLL_SECONDS,), daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[Proxy]:
    real = socket.getaddrinfo

    def outside_the_proxy(host: object, *args: object, **kwargs: object) -> object:
        if host == NAME:  # this process must never look the receiver up itself
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", outside_the_proxy)
    started = Proxy()
    yield started
    started.close()


@pytest.fixture
def trusted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, tuple[Path, Path]]:
    """Certificates for hooks.example and other.example, both trusted as authorities."""
    made = {name: _certificate(tmp_path, name) for name in (NAME, "other.example")}
    bundle = tmp_path / "trusted.pem"
    bundle.write_bytes(b"".join(cert.read_bytes() for cert, _ in made.values()))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    return made


def test_an_operators_https_receiver_is_reached_through_the_proxy_by_connect(
    store: Store, proxy: Proxy, trusted: dict[str, tuple[Path, Path]]
) -> None:
    receiver = TLSReceiver(*trusted[NAME])
    try:
        set_webhook(store, "acme", f"https://{NAME}:{receiver.port}/hook", SECRET, lambda: NOW)
        queue_event(store, "acme", "claim.verified", {"claim_id": "c-1"}, NOW)
        assert deliver_due(store, NOW, proxy=proxy.url) == 1
    finally:
        receiver.close()
    assert proxy.seen == [(f"CONNECT {NAME}:{receiver.port}", "Basic b3BlcmF0b3I6czNjcmV0")]
    [(headers, body)] = receiver.received
    assert verify_signature(SECRET, headers, body, NOW) and "Proxy-Authorization" not in headers
    assert headers["Host"] == f"{NAME}:{receiver.port}"


def test_through_the_proxy_the_certificate_is_checked_against_the_receivers_name(
    store: Store, proxy: Proxy, trusted: dict[str, tuple[Path, Path]]
) -> None:
    receiver = TLSReceiver(*trusted["other.example"])  # trusted, but not hooks.example's
    try:
        set_webhook(store, "acme", f"https://{NAME}:{receiver.port}/hook", SECRET, lambda: NOW)
        queue_event(store, "acme", "claim.verified", {"claim_id": "c-1"}, NOW)
        assert deliver_due(store, NOW, proxy=proxy.url) == 0
    finally:
        receiver.close()
    assert receiver.received == [] and len(proxy.seen) == 1
    [logged] = deliveries(store, "acme").items
    assert logged.status == "pending" and "CERTIFICATE_VERIFY_FAILED" in (logged.last_error or "")


def test_an_operators_http_receiver_is_reached_through_the_proxy_by_its_url(store: Store, proxy: Proxy) -> None:
    receiver = Receiver([])
    port = receiver.server.server_address[1]
    try:
        set_webhook(store, "acme", f"http://{NAME}:{port}/hook?v=1", SECRET, lambda: NOW)
        queue_event(store, "acme", "claim.outcome", {"claim_id": "c-1", "outcome": "fraud"}, NOW)
        assert deliver_due(store, NOW, proxy=proxy.url) == 1
    finally:
        receiver.close()
    assert proxy.seen == [(f"POST http://{NAME}:{port}/hook?v=1", "Basic b3BlcmF0b3I6czNjcmV0")]
    [(headers, body)] = receiver.received
    assert verify_signature(SECRET, headers, body, NOW)


@pytest.mark.parametrize(
    ("scheme", "refusing", "said"),
    [
        ("http", 407, "the proxy refused it: HTTP 407 Proxy Authentication Required (its credentials, in WEBHOOK_PROXY)"),
        ("https", 407, "the proxy refused it: HTTP 407 Proxy Authentication Required (its credentials, in WEBHOOK_PROXY)"),
        # the receiver's own 502, or its gateway's, reads the same through the proxy: not "could not reach"
        ("http", 502, "the proxy or a gateway in front of the receiver answered: HTTP 502 Bad Gateway"),
        ("https", 502, "the proxy could not reach the receiver: HTTP 502 Bad Gateway"),
    ],
    ids=["407-http", "407-https", "502-http", "502-https"],
)
def test_the_proxys_own_refusal_is_recorded_as_the_proxys_not_as_the_receivers_answer(
    store: Store, proxy: Proxy, scheme: str, refusing: int, said: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Through the proxy, an http receiver's request is answered by the proxy itself when it refuses
    or cannot reach the receiver: that status was recorded as the receiver's (`HTTP 407`)."""
    refuser = Proxy(refusing)
    receiver = Receiver([])
    try:
        set_webhook(store, "acme", f"{scheme}://{NAME}:{receiver.server.server_address[1]}/hook", SECRET, lambda: NOW)
        queue_event(store, "acme", "claim.verified", {"claim_id": "c-1"}, NOW)
        with caplog.at_level("WARNING", logger="evidence_check.webhooks"):
            assert deliver_due(store, NOW, proxy=refuser.url) == 0
    finally:
        refuser.close()
        receiver.close()
    assert len(refuser.seen) == 1 and receiver.received == []
    [logged] = deliveries(store, "acme").items
    assert (logged.status, logged.last_status, logged.last_error) == ("pending", None, said)
    assert [record.getMessage() for record in caplog.records] == [f"webhook delivery {logged.id} to acme: {said}"]
    assert "s3cret" not in caplog.text and "operator" not in caplog.text


def test_a_receivers_own_answer_through_the_proxy_is_the_receivers(store: Store, proxy: Proxy) -> None:
    receiver = Receiver([500])
    try:
        set_webhook(store, "acme", f"http://{NAME}:{receiver.server.server_address[1]}/hook", SECRET, lambda: NOW)
        queue_event(store, "acme", "claim.verified", {"claim_id": "c-1"}, NOW)
        assert deliver_due(store, NOW, proxy=proxy.url) == 0
    finally:
        receiver.close()
    [logged] = deliveries(store, "acme").items
    assert (logged.last_status, logged.last_error) == (500, "HTTP 500")


def test_an_https_receivers_502_inside_the_tunnel_is_the_receivers(
    store: Store, proxy: Proxy, trusted: dict[str, tuple[Path, Path]]
) -> None:
    receiver = TLSReceiver(*trusted[NAME])
    receiver.answers = [502]
    try:
        set_webhook(store, "acme", f"https://{NAME}:{receiver.port}/hook", SECRET, lambda: NOW)
        queue_event(store, "acme", "claim.verified", {"claim_id": "c-1"}, NOW)
        assert deliver_due(store, NOW, proxy=proxy.url) == 0
    finally:
        receiver.close()
    [logged] = deliveries(store, "acme").items
    assert (logged.last_status, logged.last_error) == (502, "HTTP 502")


def test_a_receiver_a_tenant_set_never_goes_through_the_proxy(store: Store, proxy: Proxy) -> None:
    """A proxy would resolve the tenant's name again, inside the operator's network: the connection
    goes to the address checked, as without a proxy."""
    receiver = Receiver([])
    try:
        set_webhook(store, "acme", receiver.url, SECRET, lambda: NOW, set_by_tenant=True)
        queue_event(store, "acme", "claim.verified", {"claim_id": "c-1"}, NOW)
        assert deliver_due(store, NOW, private_allowed=True, proxy=proxy.url) == 1
    finally:
        receiver.close()
    assert proxy.seen == [] and len(receiver.received) == 1


@pytest.mark.parametrize("private_allowed", [False, True])
def test_whatever_the_private_setting_a_tenants_receiver_is_sent_without_the_proxy(
    store: Store, private_allowed: bool
) -> None:
    """Both ways a tenant's receiver is sent (checked public, or anywhere with the operator's
    setting): never handed the proxy. The operator's receiver, set next, is."""
    handed: list[tuple[bool, str | None]] = []

    def send(url: str, body: bytes, headers: dict[str, str], public_only: bool, proxy: str | None, tenant: str) -> Answer:
        handed.append((public_only, proxy))
        return Answer(200, None)

    set_webhook(store, "acme", "https://hooks.example/hook", SECRET, lambda: NOW, set_by_tenant=True)
    queue_event(store, "acme", "claim.verified", {"claim_id": "c-1"}, NOW)
    assert deliver_due(store, NOW, send, private_allowed=private_allowed, proxy="http://proxy.internal:3128") == 1
    set_webhook(store, "acme", "https://hooks.example/hook", SECRET, lambda: NOW)
    queue_event(store, "acme", "claim.verified", {"claim_id": "c-2"}, NOW)
    assert deliver_due(store, NOW, send, private_allowed=private_allowed, proxy="http://proxy.internal:3128") == 1
    assert handed == [(not private_allowed, None), (False, "http://proxy.internal:3128")]


@pytest.mark.parametrize("url", ["https://proxy.internal:3128", "proxy.internal:3128", "http://proxy:x", "http:///"])
def test_the_proxy_setting_is_an_http_proxys_address(url: str) -> None:
    with pytest.raises(ValidationError, match="must be an HTTP proxy's address, http://host:port"):
        Settings(webhook_proxy=url)
    assert Settings(webhook_proxy="http://proxy.internal:3128").webhook_proxy == "http://proxy.internal:3128"
    assert Settings(webhook_proxy="").webhook_proxy is None


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://operator:s3cret@proxy.internal:3128", "'https://***@proxy.internal:3128'"),
        ("http://operator:s3cret@proxy.internal:31x28", "'http://***@proxy.internal:31x28'"),
        ("operator:s3cret@proxy.internal:3128", "'***@proxy.internal:3128'"),
    ],
)
def test_a_refused_proxy_setting_never_shows_its_password(url: str, shown: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(webhook_proxy=url)
    [error] = refused.value.errors()
    assert error["msg"].endswith(f"got {shown}") and "s3cret" not in error["msg"]
