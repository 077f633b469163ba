"""Retries return the stored report and record nothing twice, whoever retries and however fast."""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import CLAIM, Api, Server, jpeg, photos, start_server


def test_a_retry_with_the_same_idempotency_key_returns_the_stored_report(api: Api) -> None:
    headers = {"Idempotency-Key": "order-77-try"}
    first = api.verify(photos(("a.jpg", jpeg(1))), headers=headers)
    again = api.verify(photos(("a.jpg", jpeg(1))), headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()  # same claim id (generated once), same created_at
    assert (api.count("claims"), api.count("photos"), api.count("reports")) == (1, 1, 1)


def test_the_same_claim_id_with_the_same_photos_is_a_retry(api: Api) -> None:
    sent = photos(("a.jpg", jpeg(1)), ("b.jpg", jpeg(2)))
    first = api.verify(sent, {"claim_id": "c-5"})
    again = api.verify(sent, {"claim_id": "c-5"})
    assert again.json() == first.json()
    assert (api.count("claims"), api.count("photos"), api.count("reports")) == (1, 2, 1)
    # And not reuse of itself.
    assert {i["checks"]["reuse"]["status"] for i in again.json()["images"]} == {"pass"}


@pytest.mark.parametrize(
    ("changed_fields", "changed_photos"),
    [({"sku": "OTHER"}, False), ({}, True)],
    ids=["a corrected field", "another photo"],
)
def test_the_same_claim_id_with_something_new_is_a_new_report(
    api: Api, changed_fields: dict[str, str], changed_photos: bool
) -> None:
    api.verify(photos(("a.jpg", jpeg(1))), {"claim_id": "c-6"})
    sent = photos(("a.jpg", jpeg(1)), ("b.jpg", jpeg(2))) if changed_photos else photos(("a.jpg", jpeg(1)))
    second = api.verify(sent, {"claim_id": "c-6", **changed_fields})
    assert second.status_code == 200
    assert (api.count("claims"), api.count("reports")) == (1, 2)
    assert api.count("photos") == (2 if changed_photos else 1)  # a photo is recorded once per claim
    assert api.client.get("/v1/claims/c-6").json() == second.json()


def _region(body: dict) -> list[int] | None:
    return body["images"][0]["checks"]["location"]["details"].get("region")


@pytest.mark.parametrize("between", ["a moved region", "a reverify"])
def test_a_request_sent_again_after_another_of_its_claim_is_a_new_request(api: Api, between: str) -> None:
    """A region moved from A to B and back to A: the third request is the first's to the byte, but the
    claim's record holds B by then. Replayed, it answered A's old report while the record kept B."""
    front = ("front.jpg", jpeg(81))
    first = api.verify(photos(front), {"claim_id": "c-again", "region": "10,20,30,40"})
    assert first.status_code == 200 and _region(first.json()) == [10, 20, 30, 40]
    if between == "a moved region":
        moved = api.verify(photos(front), {"claim_id": "c-again", "region": "50,60,30,40"})
        assert _region(moved.json()) == [50, 60, 30, 40]
    else:
        assert api.client.post("/v1/claims/c-again/reverify").status_code == 200
    again = api.verify(photos(front), {"claim_id": "c-again", "region": "10,20,30,40"})
    assert again.status_code == 200, again.text
    assert again.json()["created_at"] != first.json()["created_at"]
    assert api.count("reports") == 3
    assert api.client.get("/v1/claims/c-again").json() == again.json()
    # Sent once more right after it: a retry of the latest, answered from the store.
    retry = api.verify(photos(front), {"claim_id": "c-again", "region": "10,20,30,40"})
    assert retry.json() == again.json() and api.count("reports") == 3
    assert _region(api.client.post("/v1/claims/c-again/reverify").json()) == [10, 20, 30, 40]


def test_record_false_remembers_nothing(api: Api) -> None:
    response = api.verify(photos(("a.jpg", jpeg(1))), {"claim_id": "c-7", "record": "false"})
    assert response.status_code == 200
    assert (api.count("claims"), api.count("photos"), api.count("reports")) == (0, 0, 0)
    assert api.client.get("/v1/claims/c-7").status_code == 404


def test_concurrent_retries_of_one_request_record_it_once(server: Server, api: Api) -> None:
    """Twenty copies of one request at once (a client retrying after timeouts) against a real server:
    the database's unique request key lets exactly one of them record."""
    data = jpeg(11)

    def send(_: int) -> httpx.Response:
        return httpx.post(
            f"{server.url}/v1/verify",
            files=photos(("a.jpg", data)),
            data={**CLAIM, "claim_id": "c-race"},
            headers={"Idempotency-Key": "race-1"},
            timeout=120,
        )

    with ThreadPoolExecutor(20) as pool:
        responses = list(pool.map(send, range(20)))
    assert [r.status_code for r in responses] == [200] * 20
    assert len({r.json()["created_at"] for r in responses}) == 1
    assert (api.count("claims"), api.count("photos"), api.count("reports")) == (1, 1, 1)


def test_copies_of_a_request_sent_again_after_another_record_it_once(server: Server, api: Api) -> None:
    """The claim's earlier answer to the request is stale (another request came after it): twelve copies
    at once each find no answer to replay, and the claim's lock lets one of them move the key to its report;
    the rest are answered with that one."""
    front = ("front.jpg", jpeg(82))
    for region in ("10,20,30,40", "50,60,30,40"):
        assert api.verify(photos(front), {"claim_id": "c-again-race", "region": region}).status_code == 200

    def send(_: int) -> httpx.Response:
        return httpx.post(
            f"{server.url}/v1/verify",
            files=photos(front),
            data={**CLAIM, "claim_id": "c-again-race", "region": "10,20,30,40"},
            timeout=120,
        )

    with ThreadPoolExecutor(12) as pool:
        responses = list(pool.map(send, range(12)))
    assert [r.status_code for r in responses] == [200] * 12
    assert len({r.json()["created_at"] for r in responses}) == 1
    assert api.count("reports") == 3
    assert api.client.get("/v1/claims/c-again-race").json() == responses[0].json()


@pytest.mark.parametrize(
    "changed",
    [{"ordered_at": "2026-11-11T10:00"}, {"sku": "OTHER"}, {"customer_id": "someone-else"}],
    ids=["ordered_at", "sku", "customer_id"],
)
def test_an_idempotency_key_sent_again_with_a_changed_field_is_409(api: Api, changed: dict[str, str]) -> None:
    """The key names the whole request, every field as well as the photos: a changed field under the
    old key is a client's mistake to be told of, not a retry to be answered with the old report."""
    headers = {"Idempotency-Key": "order-78-try"}
    first = api.verify(photos(("a.jpg", jpeg(1))), {"claim_id": "c-78"}, headers=headers)
    assert first.status_code == 200
    again = api.verify(photos(("a.jpg", jpeg(1))), {"claim_id": "c-78", **changed}, headers=headers)
    assert again.status_code == 409
    assert "Idempotency-Key" in again.json()["detail"]
    assert (api.count("claims"), api.count("photos"), api.count("reports")) == (1, 1, 1)
    # The request as first sent is still a retry.
    retry = api.verify(photos(("a.jpg", jpeg(1))), {"claim_id": "c-78"}, headers=headers)
    assert retry.status_code == 200 and retry.json() == first.json()


def test_one_idempotency_key_on_concurrent_requests_with_other_photos_answers_one_and_refuses_the_rest(
    store_url: str, api: Api, tmp_path: Path
) -> None:
    """Eight different requests at once under one key, in two worker processes: the store's unique key
    lets one record; each other one is told 409, never handed the winner's report as its own."""
    workers = start_server(store_url, tmp_path / "workers.log", "--workers", "2")
    sent = {n: jpeg(700 + n) for n in range(8)}

    def send(n: int) -> httpx.Response:
        return httpx.post(
            f"{workers.url}/v1/verify",
            files=photos((f"p{n}.jpg", sent[n])),
            data=CLAIM,
            headers={"Idempotency-Key": "shared-key"},
            timeout=120,
        )

    try:
        with ThreadPoolExecutor(8) as pool:
            responses = list(pool.map(send, range(8)))
    finally:
        workers.stop()
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [409] * 7, workers.log.read_text()[-3000:]
    (n,) = [n for n, r in enumerate(responses) if r.status_code == 200]
    assert responses[n].json()["images"][0]["image_id"] == hashlib.sha256(sent[n]).hexdigest()
    assert (api.count("claims"), api.count("photos"), api.count("reports")) == (1, 1, 1)


BAD_KEY = {
    "en": "Idempotency-Key: must be 1-255 visible ASCII characters (letters, digits, punctuation; no spaces), e.g. a UUID",
    "zh": "Idempotency-Key：必须由 1 到 255 个可见 ASCII 字符组成（字母、数字、标点，不含空格），例如一个 UUID",
}


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize(
    "key",
    [b"order 77", b"", b"k" * 256, "cl\u00e9-1".encode()],
    ids=["a space", "empty", "256 characters", "not ASCII"],
)
def test_an_idempotency_key_of_the_wrong_form_is_one_worded_line_and_records_nothing(
    api: Api, key: bytes, lang: str
) -> None:
    """It was pydantic's line: "String should match pattern '^[\\x21-\\x7e]+$'", in Chinese too."""
    headers = {"Idempotency-Key": key, "Accept-Language": lang}
    verified = api.client.post("/v1/verify", files=photos(("a.jpg", jpeg(1))), data=CLAIM, headers=headers)
    reverified = api.client.post("/v1/claims/c-1/reverify", headers=headers)
    for answer in (verified, reverified):
        assert answer.status_code == 422, answer.text
        assert answer.json() == {"detail": BAD_KEY[lang]}
    assert api.count("claims") == 0
