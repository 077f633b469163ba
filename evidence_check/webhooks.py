"""Webhooks: events for intake systems that do not poll — `claim.verified`, `claim.outcome`,
`challenge.passed` — POSTed to the tenant's receiver, signed, and retried until it answers 2xx.

Each request carries
    X-Evidence-Check-Event: claim.verified
    X-Evidence-Check-Delivery: 42          the same id on every retry: a receiver drops repeats by it
    X-Evidence-Check-Timestamp: 1796371200 Unix seconds when this attempt was signed
    X-Evidence-Check-Signature: sha256=HEX HMAC-SHA256 with the tenant's secret over
                                           "{timestamp}.{body}"
A receiver recomputes the signature and refuses a timestamp older than a few minutes (a replayed
request), see `verify_signature`.

Where it may send (`check_url`, `post`): a receiver set by a tenant's key over the API is a stranger's
address, and the server would call it from inside its own network. So its host must resolve to public
addresses only (not loopback, private, link-local — cloud metadata is there —, shared, reserved or
multicast), when it is set and again at each send, to the very address the request then goes to (a name
that resolves elsewhere meanwhile is caught). A receiver the operator sets from the command line, or
any when `WEBHOOK_PRIVATE_ADDRESSES` is on, may be anywhere: the operator owns that network. The
operator's own receivers go through its HTTP proxy when one is set (`WEBHOOK_PROXY`, `proxy_for`);
a tenant's never do: the proxy would resolve the name again, to wherever it points then. The proxy's
own answers (`PROXYS_OWN`, `TUNNELS_REFUSED`) are recorded and logged as the proxy's, never as the
receiver's status (a plain http receiver's own 502 or 504 reads the same, and is worded so). Redirects
are never followed: a 3xx is an answer that is not 2xx, as a 500 is.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import http
import http.client
import ipaddress
import json
import logging
import math
import re
import secrets
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote, urlsplit

from evidence_check.errors import WordedError
from evidence_check.storable import holds_control, storable
from evidence_check.store import Store
from evidence_check.store.outbox import EVENTS as EVENTS  # named beside where they are queued
from evidence_check.store.webhooks import (
    Delivery,
    Webhook,
    claim_due,
    drop_orphaned,
    mark_attempt,
    set_webhook,
)
from evidence_check.widths import URL_WIDTH

log = logging.getLogger("evidence_check.webhooks")

# Waits between attempts: a receiver down for a deploy is caught by the first few, one down for
# most of a day by the last; after them the delivery is marked failed (the log shows it).
BACKOFF = (
    timedelta(seconds=10),
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(hours=1),
    timedelta(hours=4),
    timedelta(hours=12),
)
# One send in all, connecting, sending and reading the answer's head: a receiver that answers a byte
# at a time, each within a socket's timeout, would hold the process's deliveries, every tenant's, as
# long as it liked, and past LEASE another process would send the event again.
SEND_TIMEOUT_S = 10.0
# A name's resolution, when a tenant sets its receiver and at each send: a resolver that does not
# answer held the request's worker (or the delivery pass) as long as the system's resolver kept
# trying, every attempt and every name server. Past it the name is refused, the receiver not stored.
RESOLVE_TIMEOUT_S = 3.0
# Resolutions still waiting on resolvers that do not answer, at most, for tenants' PUTs and for sends
# apart: a resolution cannot be stopped, only left, so past this many a new one is refused rather
# than another thread left waiting. Apart, so that a tenant's PUTs of silent names do not refuse the
# names of every tenant's deliveries.
RESOLVING_AT_ONCE = 8
# Of those, at most this many for one tenant's names: one that set its receiver to a further name, then
# silenced, again and again, filled all 8 and every other tenant's sends waited. Four tenants with keys
# and silent name servers can still fill them.
RESOLVING_PER_TENANT = 2
LEASE = timedelta(seconds=60)  # longer than one send, so a slow receiver is not sent to twice
PASS_LIMIT = 20  # deliveries sent by one pass, so the deliverer's thread gets back to its stop flag
REPLAY_WINDOW = timedelta(minutes=5)


class WebhookInvalid(WordedError, ValueError):
    """A receiver URL this service will not send to: one line, in English and Chinese."""


class WebhookUnresolved(WebhookInvalid):
    """The receiver's name did not resolve in time: nothing is known wrong with the URL, so the asker
    may try again later (the API answers 503 with Retry-After; a 422 told clients not to retry)."""


@dataclass(frozen=True)
class Answer:
    status: int | None  # the receiver's HTTP status; None when it could not be reached
    error: str | None
    by_proxy: bool = False  # the operator's proxy refused the request or could not reach the receiver


# (url, body, headers, public_only, proxy, tenant): public_only sends only to public addresses (see the
# docstring); proxy, the operator's HTTP proxy the request goes through, or None; tenant, whose receiver
# it is (its name lookups are bounded, RESOLVING_PER_TENANT)
Sender = Callable[[str, bytes, dict[str, str], bool, str | None, str], Answer]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# IPv6 addresses that carry an IPv4 one in their last 32 bits: NAT64 (reached through a gateway) and
# the deprecated "IPv4-compatible" ::a.b.c.d, which Python counts as global whatever it carries.
CARRY_IPV4 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("::/96"))
# Not globally reachable by IANA's special-purpose registries, yet `is_global` to Python 3.11.7 (this
# project's image may be older than 3.11.10, whose table learnt some): IETF protocol assignments
# (192.0.0.8), local-use NAT64 (a gateway into the site's own IPv4 network), site-local,
# IPv4-translated, SRv6 SIDs and the 2024 documentation block. Written out, the rule does not change
# with the interpreter.
NOT_GLOBAL = tuple(
    ipaddress.ip_network(block)
    for block in ("192.0.0.0/24", "64:ff9b:1::/48", "fec0::/10", "::ffff:0:0:0/96", "5f00::/16", "3fff::/20")
)


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def check_url(url: str, *, public_only: bool, tenant: str) -> None:
    """WebhookInvalid unless this service will send to `url`; `public_only`: its host must resolve to
    public addresses alone (a name that does not resolve yet is let through: each send checks again),
    by a lookup counted as `tenant`'s."""
    if len(url) > URL_WIDTH:  # before any line that quotes it
        raise WebhookInvalid("webhook.too_long", max_length=URL_WIDTH)
    if not storable(url) or holds_control(url):
        raise WebhookInvalid("webhook.unstorable", url=url)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # a port that is not a number from 0 to 65535, a malformed [IPv6] host
        raise WebhookInvalid("webhook.malformed", url=url) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookInvalid("webhook.not_http", url=url)
    if port == 0 or "%" in parts.hostname:  # % opens an IPv6 zone (fe80::1%25eth0): link-local only
        raise WebhookInvalid("webhook.malformed", url=url)
    if parts.username is not None or parts.password is not None:
        # Not echoed: the line would show the password in logs and answers.
        raise WebhookInvalid("webhook.credentials")
    if public_only:
        try:
            _public_addresses(parts.hostname, port or _DEFAULT_PORTS[parts.scheme], _resolving_for_puts, tenant=tenant)
        except socket.gaierror:
            pass  # no address yet: each send resolves and checks it again
        except UnicodeError:  # a name IDNA cannot encode ("a..b", a label over 63 characters)
            raise WebhookInvalid("webhook.malformed", url=url) from None


_DEFAULT_PORTS = {"http": 80, "https": 443}


def _public_addresses(
    host: str, port: int, slots: threading.BoundedSemaphore, within: float = math.inf, *, tenant: str
) -> list[IPAddress]:
    """The addresses `host` resolves to, by the resolver the connection uses (so `2130706433`,
    `0177.0.0.1` and `127.1` are 127.0.0.1 here as there), refused whole when one is not public."""
    found = _resolved(host, port, slots, within, tenant)
    for address in found:
        if not _is_public(address):
            if _is_address(host):
                raise WebhookInvalid("webhook.not_public", host=host, address=str(address))
            # A name's address is not told: the server's resolver knows the inside network's names (a
            # tenant's own name may point there too, by CNAME), and a tenant is not to map them.
            raise WebhookInvalid("webhook.name_not_public", host=host)
    return found


def _is_address(host: str) -> bool:
    """`host` is an address in some spelling (`::1`, `2130706433`, `0x7f.1`), not a name to resolve."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        try:
            socket.inet_aton(host)  # the spellings getaddrinfo reads as an IPv4 address
        except OSError:
            return False
    return True


_resolving_for_puts = threading.BoundedSemaphore(RESOLVING_AT_ONCE)
_resolving_for_sends = threading.BoundedSemaphore(RESOLVING_AT_ONCE)


@dataclass
class _Lookup:
    """One getaddrinfo in a thread of its own: `answer` (its result or exception) is set before `done`."""

    given_up_at: float  # time.monotonic() at which the asker that started it stopped waiting
    done: threading.Event = field(default_factory=threading.Event)
    answer: list[Any] = field(default_factory=list)


# Lookups not answered yet, by (slots, host, port). A name asked again meanwhile waits for the same
# lookup, at most until its first asker gave up on it: a receiver whose resolver went silent costs a
# delivery pass one bound and one of the sends' slots, not one of each per event due (8 such events
# refused every other tenant's sends, and 20 held the pass past LEASE).
_unanswered: dict[tuple[int, str, int], _Lookup] = {}
# Of those, how many each (slots, tenant) started or waits for a slot to start.
_held_by: dict[tuple[int, str], int] = {}
_unanswered_lock = threading.Lock()


def _resolved(host: str, port: int, slots: threading.BoundedSemaphore, within: float, tenant: str) -> list[IPAddress]:
    """`host`'s addresses by getaddrinfo, within the caller's time left and RESOLVE_TIMEOUT_S
    (WebhookUnresolved after): it runs in a thread of its own, holding one of `slots`, left to finish
    alone if it never answers; `tenant`'s lookups hold at most RESOLVING_PER_TENANT of them."""
    timeout = min(within, RESOLVE_TIMEOUT_S)
    deadline = time.monotonic() + timeout
    key = (id(slots), host, port)
    holder = (id(slots), tenant)
    with _unanswered_lock:
        lookup = _unanswered.get(key)
        if lookup is None:
            if _held_by.get(holder, 0) >= RESOLVING_PER_TENANT:
                raise WebhookUnresolved("webhook.resolving_enough", host=host, count=RESOLVING_PER_TENANT)
            # Taken before waiting for a slot: counted only once a slot came, the tenant's askers all
            # waiting for one passed this check together and, as slots came free, took all 8.
            _held_by[holder] = _held_by.get(holder, 0) + 1
    if lookup is None:
        if not slots.acquire(timeout=max(0.0, timeout)):
            with _unanswered_lock:
                _let_go(holder)
            raise WebhookUnresolved("webhook.no_resolution", host=host, seconds=f"{timeout:.1f}")
        started = _Lookup(deadline)
        with _unanswered_lock:
            lookup = _unanswered.setdefault(key, started)
            if lookup is not started:  # another asker started it while this one waited for a slot
                _let_go(holder)
        if lookup is not started:
            slots.release()
        else:

            def resolve() -> None:
                try:
                    started.answer.append(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
                except Exception as exc:  # handed to the askers, which read gaierror and UnicodeError
                    started.answer.append(exc)
                finally:
                    with _unanswered_lock:  # both at once: an asker between them was refused for it
                        del _unanswered[key]
                        _let_go(holder)
                    slots.release()
                    started.done.set()

            threading.Thread(target=resolve, name="webhook-resolve", daemon=True).start()
    if not lookup.done.wait(max(0.0, min(deadline, lookup.given_up_at) - time.monotonic())):
        raise WebhookUnresolved("webhook.no_resolution", host=host, seconds=f"{timeout:.1f}")
    answers = lookup.answer
    if isinstance(answers[0], Exception):
        raise answers[0]
    found: list[IPAddress] = []
    for *_, sockaddr in answers[0]:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])  # fe80::1%eth0: its zone aside
        if address not in found:
            found.append(address)
    return found


def _let_go(holder: tuple[int, str]) -> None:
    """One of the tenant's lookups (or its place waiting for a slot) given back; `_unanswered_lock` held."""
    _held_by[holder] -= 1
    if not _held_by[holder]:
        del _held_by[holder]


def _is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour or (
            ipaddress.IPv4Address(int(address) & 0xFFFFFFFF) if any(address in n for n in CARRY_IPV4) else None
        )
        if embedded is not None:
            return _is_public(embedded)
    return address.is_global and not address.is_multicast and not any(address in n for n in NOT_GLOBAL)


def sent_to_public_only(set_by_tenant: bool, private_allowed: bool) -> bool:
    """The rule of where a receiver may be, when it is set and at each send: one set by a tenant's
    key is sent to at public addresses only, unless the operator's setting allows others."""
    return set_by_tenant and not private_allowed


def proxy_for(set_by_tenant: bool, proxy: str | None) -> str | None:
    """The rule of which receivers go through the operator's proxy (`WEBHOOK_PROXY`): those the
    operator set, never one a tenant set, whose connection goes to the very address checked public
    (a proxy would resolve the name again, inside the operator's network)."""
    return None if set_by_tenant else proxy


def set_receiver(store: Store, tenant: str, url: str, *, set_by_tenant: bool, private_allowed: bool) -> Webhook:
    """Check `url` and make it the tenant's receiver with a new secret, set now; the receiver as
    stored, its secret for the caller to show once (it is not shown again). WebhookInvalid for a URL
    refused."""
    check_url(url, public_only=sent_to_public_only(set_by_tenant, private_allowed), tenant=tenant)
    return set_webhook(store, tenant, url, new_secret(), lambda: datetime.now(UTC), set_by_tenant=set_by_tenant)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify_signature(secret: str, headers: dict[str, str], body: bytes, now: datetime) -> bool:
    """What a receiver does: the signature matches and the timestamp is recent (no replay)."""
    lowered = {name.lower(): value for name, value in headers.items()}
    try:
        timestamp = int(lowered["x-evidence-check-timestamp"])
    except (KeyError, ValueError):
        return False
    if abs(now.timestamp() - timestamp) > REPLAY_WINDOW.total_seconds():
        return False
    given = lowered.get("x-evidence-check-signature", "")
    return hmac.compare_digest(given, signature(secret, timestamp, body))


def body_of(delivery: Delivery) -> bytes:
    document = {
        "id": delivery.id,
        "event": delivery.event,
        "tenant": delivery.tenant,
        "created_at": delivery.created_at.isoformat(),
        "data": delivery.payload,
    }
    return json.dumps(document, ensure_ascii=False, sort_keys=True).encode()


def post(url: str, body: bytes, headers: dict[str, str], public_only: bool, proxy: str | None, tenant: str) -> Answer:
    """One POST, its redirects not followed, within SEND_TIMEOUT_S in all; with `public_only`, to the
    public address the host resolves to now, checked (the connection goes to that address, not to the
    name again). With `proxy` (never with `public_only`), through that HTTP proxy: CONNECT for https,
    the certificate checked against the receiver's name all the same."""
    assert not (proxy and public_only), "a tenant's receiver is never sent to through the proxy"
    deadline = time.monotonic() + SEND_TIMEOUT_S
    cut_off = threading.Event()
    try:
        # Inside: a URL stored before its port was checked (`http://x:99999/`) raised out of the pass,
        # unlogged, and was claimed first again at each one, ahead of every other tenant's events.
        parts = urlsplit(url)
        host, port = parts.hostname or "", parts.port or _DEFAULT_PORTS.get(parts.scheme, 80)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        if proxy is None:
            left = deadline - time.monotonic()
            if public_only:
                addresses = _public_addresses(host, port, _resolving_for_sends, left, tenant=tenant)
            else:
                addresses = _resolved(host, port, _resolving_for_sends, left, tenant)
            connection = _connection(parts.scheme, host, port, addresses, deadline)
        else:
            connection, target, proxy_headers = _through_proxy(proxy, parts.scheme, host, port, target, deadline, tenant)
            headers = {**headers, **proxy_headers}
        timer = threading.Timer(max(0.0, deadline - time.monotonic()), _cut, (connection, cut_off))
        timer.start()
        try:
            connection.request("POST", target, body=body, headers=headers)
            status = connection.getresponse().status
        finally:
            timer.cancel()
            connection.close()
    except WebhookInvalid as exc:
        return Answer(None, f"not sent: {exc}"[:300])
    except (OSError, http.client.HTTPException, ValueError) as exc:
        if cut_off.is_set():
            return Answer(None, f"no answer within {SEND_TIMEOUT_S:g} s")
        tunnel = _TUNNEL_REFUSED.match(str(exc)) if proxy is not None and isinstance(exc, OSError) else None
        if tunnel:  # the CONNECT's own answer: the receiver was never reached
            return _proxy_failed(int(tunnel[1]), TUNNELS_REFUSED)
        return Answer(None, f"{type(exc).__name__}: {exc}"[:300])
    if cut_off.is_set():  # a head cut short reads as complete: its status is not the receiver's answer
        return Answer(None, f"no answer within {SEND_TIMEOUT_S:g} s")
    if proxy is not None and parts.scheme == "http" and status in PROXYS_OWN:
        return _proxy_failed(status, PROXYS_OWN)
    if 200 <= status < 300:
        return Answer(status, None)
    if 300 <= status < 400:
        return Answer(status, f"HTTP {status}: redirects are not followed")
    return Answer(status, f"HTTP {status}")


# Answers a proxy gives of its own to a plain http request, worded (to https, the CONNECT's answer is the
# proxy's whatever it is, and every answer inside the tunnel the receiver's). A 502 or 504 from a gateway
# in front of an http receiver, or from the receiver itself, reads the same through the proxy: the words
# say the proxy or a gateway, not that the proxy alone failed.
PROXYS_OWN = {
    407: "the proxy refused it: {} (its credentials, in WEBHOOK_PROXY)",
    502: "the proxy or a gateway in front of the receiver answered: {}",
    504: "the proxy or a gateway in front of the receiver answered: {}",
}
# A refused CONNECT is the proxy's alone: the receiver was not reached.
TUNNELS_REFUSED = {
    **PROXYS_OWN,
    502: "the proxy could not reach the receiver: {}",
    504: "the proxy could not reach the receiver: {}",
}
_TUNNEL_REFUSED = re.compile(r"Tunnel connection failed: (\d{3})\b")  # http.client's words


def _proxy_failed(status: int, words: dict[int, str]) -> Answer:
    """The proxy's own answer, worded from its status alone by `words` (never the proxy's address: its
    credentials are in it), and not the receiver's status."""
    try:
        said = f"HTTP {status} {http.HTTPStatus(status).phrase}"
    except ValueError:  # a status no standard names
        said = f"HTTP {status}"
    return Answer(None, words.get(status, "the proxy refused it: {}").format(said), by_proxy=True)


def _cut(connection: http.client.HTTPConnection, cut_off: threading.Event) -> None:
    """Past the deadline: the socket shut, so the read waiting on it returns now."""
    cut_off.set()
    if connection.sock is not None:
        with contextlib.suppress(OSError):  # closed meanwhile
            connection.sock.shutdown(socket.SHUT_RDWR)


def _connection(
    scheme: str, host: str, port: int, addresses: list[IPAddress], deadline: float
) -> http.client.HTTPConnection:
    """A connection to `host` (its Host header, TLS name and certificate check) made to `addresses`,
    each tried in the time left before `deadline`."""

    def connect(_to: object, _timeout: float, source: tuple[str, int] | None = None) -> socket.socket:
        failure: OSError = OSError(f"no address for {host}")
        for address in addresses:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no answer within {SEND_TIMEOUT_S:g} s")
            try:
                return socket.create_connection((str(address), port), left, source)
            except OSError as exc:
                failure = exc
        raise failure

    made: http.client.HTTPConnection
    if scheme == "https":
        made = http.client.HTTPSConnection(host, port, timeout=SEND_TIMEOUT_S)
    else:
        made = http.client.HTTPConnection(host, port, timeout=SEND_TIMEOUT_S)
    made._create_connection = connect  # type: ignore[attr-defined]  # http.client's own hook
    return made


def _through_proxy(
    proxy: str, scheme: str, host: str, port: int, target: str, deadline: float, tenant: str
) -> tuple[http.client.HTTPConnection, str, dict[str, str]]:
    """A connection to the proxy carrying a request to `host`: (connection, request target, headers
    the request adds). https: a CONNECT tunnel, TLS inside it to `host`'s name (http.client's
    `set_tunnel`); http: the absolute URL sent to the proxy, as proxies take it."""
    via = urlsplit(proxy)
    proxy_host, proxy_port = via.hostname or "", via.port or 80
    addresses = _resolved(proxy_host, proxy_port, _resolving_for_sends, deadline - time.monotonic(), tenant)
    credentials: dict[str, str] = {}
    if via.username is not None:
        pair = f"{unquote(via.username)}:{unquote(via.password or '')}".encode()
        credentials["Proxy-Authorization"] = "Basic " + base64.b64encode(pair).decode()
    authority = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    if scheme == "https":
        made = _connection("https", proxy_host, proxy_port, addresses, deadline)
        made.set_tunnel(host, port, headers=credentials)  # the credentials go to the proxy alone
        return made, target, {}
    return _connection("http", proxy_host, proxy_port, addresses, deadline), f"http://{authority}{target}", credentials


def deliver_due(
    store: Store,
    now: datetime | None = None,
    send: Sender = post,
    *,
    private_allowed: bool = False,
    proxy: str | None = None,
) -> int:
    """Send every delivery that is due once; the number sent with a 2xx answer. `private_allowed`:
    the setting that lets receivers set by tenants be anywhere too; `proxy`: the operator's proxy
    for the receivers it set (`proxy_for`).

    Each delivery is leased just before it is sent, one at a time: leased together, the last of a pass
    of slow receivers (up to `SEND_TIMEOUT_S` each) waited past its `LEASE`, and another process
    took it and sent it too. `now`: the time of every step (tests); by default the clock's, read anew
    for each delivery, so its lease, its signature's timestamp and its next try start when it is sent."""
    drop_orphaned(store)
    delivered = 0
    for _ in range(PASS_LIMIT):
        at = now or datetime.now(UTC)
        due = claim_due(store, at, LEASE, limit=1)
        if not due:
            break
        [(delivery, hook)] = due
        public_only = sent_to_public_only(hook.set_by_tenant, private_allowed)
        answer = _send(delivery, hook, send, at, public_only, proxy_for(hook.set_by_tenant, proxy))
        ok = answer.status is not None and 200 <= answer.status < 300
        retry_at = None if ok or delivery.attempts >= len(BACKOFF) else at + BACKOFF[delivery.attempts]
        if answer.by_proxy:  # the operator's to mend, not the tenant's receiver
            log.warning("webhook delivery %s to %s: %s", delivery.id, delivery.tenant, answer.error)
        mark_attempt(store, delivery.id, at, delivered=ok, status=answer.status, error=answer.error, retry_at=retry_at)
        delivered += ok
    return delivered


def _send(
    delivery: Delivery, hook: Webhook, send: Sender, now: datetime, public_only: bool, proxy: str | None
) -> Answer:
    body = body_of(delivery)
    timestamp = int(now.timestamp())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "evidence-check-webhooks",
        "X-Evidence-Check-Event": delivery.event,
        "X-Evidence-Check-Delivery": str(delivery.id),
        "X-Evidence-Check-Timestamp": str(timestamp),
        "X-Evidence-Check-Signature": signature(hook.secret, timestamp, body),
    }
    return send(hook.url, body, headers, public_only, proxy, hook.tenant)


class Deliverer:
    """A thread of a server process that sends due deliveries every `interval` seconds."""

    def __init__(self, store: Store, interval: float, *, private_allowed: bool, proxy: str | None = None) -> None:
        self._store, self._interval, self._private_allowed, self._proxy = store, interval, private_allowed, proxy
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="webhooks", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=SEND_TIMEOUT_S + 5)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                deliver_due(self._store, private_allowed=self._private_allowed, proxy=self._proxy)
            except Exception as exc:  # a store hiccup must not end the thread
                log.error("webhook delivery pass failed: %s: %s", type(exc).__name__, exc)
