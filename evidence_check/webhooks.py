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
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from evidence_check.errors import WordedError
from evidence_check.storable import holds_control, storable
from evidence_check.store import Store, StoreError
from evidence_check.store.webhooks import Delivery, Webhook, claim_due, enqueue, mark_attempt
from evidence_check.widths import URL_WIDTH

log = logging.getLogger("evidence_check.webhooks")

EVENTS = ("claim.verified", "claim.outcome", "challenge.passed")
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
SEND_TIMEOUT_S = 10.0
LEASE = timedelta(seconds=60)  # longer than one send, so a slow receiver is not sent to twice
REPLAY_WINDOW = timedelta(minutes=5)


class WebhookInvalid(WordedError, ValueError):
    """A receiver URL this service will not send to: one line, in English and Chinese (the command
    line, the only way to set one, says it in English)."""


@dataclass(frozen=True)
class Answer:
    status: int | None  # the receiver's HTTP status; None when it could not be reached
    error: str | None


Sender = Callable[[str, bytes, dict[str, str]], Answer]


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def check_url(url: str) -> str:
    if len(url) > URL_WIDTH:  # before any line that quotes it
        raise WebhookInvalid("webhook.too_long", max_length=URL_WIDTH)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookInvalid("webhook.not_http", url=url)
    if not storable(url) or holds_control(url):
        raise WebhookInvalid("webhook.unstorable", url=url)
    return url


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


def emit(store: Store, tenant: str, event: str, data: dict[str, Any], when: datetime | None = None) -> None:
    """Keep an event for the tenant's receiver, if it has one. A store that cannot keep it is logged,
    not raised: the claim the event is about is recorded already and its answer must not fail."""
    assert event in EVENTS, event
    try:
        enqueue(store, tenant, event, data, when or datetime.now(UTC))
    except StoreError as exc:
        log.error("webhook event %s for %s not kept: %s", event, tenant, exc)


def body_of(delivery: Delivery) -> bytes:
    document = {
        "id": delivery.id,
        "event": delivery.event,
        "tenant": delivery.tenant,
        "created_at": delivery.created_at.isoformat(),
        "data": delivery.payload,
    }
    return json.dumps(document, ensure_ascii=False, sort_keys=True).encode()


def post(url: str, body: bytes, headers: dict[str, str]) -> Answer:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=SEND_TIMEOUT_S) as answer:  # noqa: S310 (scheme checked)
            return Answer(answer.status, None)
    except urllib.error.HTTPError as exc:
        return Answer(exc.code, f"HTTP {exc.code}")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return Answer(None, f"{type(exc).__name__}: {reason}"[:300])


def deliver_due(store: Store, now: datetime | None = None, send: Sender = post) -> int:
    """Send every delivery that is due once; the number sent with a 2xx answer."""
    now = now or datetime.now(UTC)
    delivered = 0
    for delivery, hook in claim_due(store, now, LEASE):
        answer = _send(delivery, hook, send, now)
        ok = answer.status is not None and 200 <= answer.status < 300
        retry_at = None if ok or delivery.attempts >= len(BACKOFF) else now + BACKOFF[delivery.attempts]
        mark_attempt(
            store, delivery.id, now, delivered=ok, status=answer.status, error=answer.error, retry_at=retry_at
        )
        delivered += ok
    return delivered


def _send(delivery: Delivery, hook: Webhook, send: Sender, now: datetime) -> Answer:
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
    return send(hook.url, body, headers)


class Deliverer:
    """A thread of a server process that sends due deliveries every `interval` seconds."""

    def __init__(self, store: Store, interval: float) -> None:
        self._store, self._interval = store, interval
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
                deliver_due(self._store)
            except Exception as exc:  # a store hiccup must not end the thread
                log.error("webhook delivery pass failed: %s: %s", type(exc).__name__, exc)
