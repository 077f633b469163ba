"""Retries return the stored report and record nothing twice, whoever retries and however fast."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.api.conftest import CLAIM, Api, Server, jpeg, photos


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
