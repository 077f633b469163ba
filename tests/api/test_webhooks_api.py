"""A server process sends its tenants' events by itself: verify and outcome over HTTP reach a
receiver on loopback without anyone calling `webhooks deliver`."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest

from evidence_check.engine import now_utc
from evidence_check.store import Store
from evidence_check.store.webhooks import set_webhook
from evidence_check.webhooks import verify_signature
from tests.api.conftest import Api, jpeg, make_api, photos
from tests.webhook_receivers import Receiver


@pytest.fixture
def fast_api(store: Store) -> Iterator[Api]:
    yield from make_api(store, webhook_interval_seconds=0.05)


def _events(receiver: Receiver, count: int) -> list[str]:
    deadline = time.monotonic() + 15
    while len(receiver.received) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return [headers["X-Evidence-Check-Event"] for headers, _ in receiver.received]


def test_the_server_delivers_claim_events(fast_api: Api) -> None:
    receiver = Receiver([])
    try:
        set_webhook(fast_api.store, "default", receiver.url, "whsec_api", now_utc)
        assert fast_api.verify(photos(("a.jpg", jpeg(1))), {"claim_id": "c-hook"}).status_code == 200
        assert _events(receiver, 1) == ["claim.verified"]
        answer = fast_api.client.post("/v1/claims/c-hook/outcome", json={"outcome": "genuine"})
        assert answer.status_code == 200
        assert _events(receiver, 2) == ["claim.verified", "claim.outcome"]
        headers, body = receiver.received[1]
        assert verify_signature("whsec_api", headers, body, now_utc())
        data = {
            "claim_id": "c-hook",
            "outcome": "genuine",
            "note": None,
            "decided_by": {"key": None, "via": "api"},
            "decision_id": answer.json()["decision_id"],
        }
        assert json.loads(body)["data"] == data
    finally:
        receiver.close()
