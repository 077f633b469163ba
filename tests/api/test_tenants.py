"""A tenant never sees, nor is matched against, another tenant's claims or photos."""

from __future__ import annotations

import pytest

from tests.api.conftest import Api, bearer, jpeg, photos


@pytest.mark.parametrize(("first", "second"), [("acme", "globex"), ("globex", "acme")])
def test_a_photo_of_one_tenant_is_not_reuse_in_another(
    keyed: tuple[Api, dict[str, str]], first: str, second: str
) -> None:
    api, keys = keyed
    photo = photos(("a.jpg", jpeg(7)))
    sent = api.verify(photo, {"claim_id": "c-1", "customer_id": "x"}, headers=bearer(keys[first]))
    assert sent.json()["images"][0]["checks"]["reuse"]["status"] == "pass"

    elsewhere = api.verify(photo, {"claim_id": "c-2", "customer_id": "y"}, headers=bearer(keys[second]))
    assert elsewhere.json()["images"][0]["checks"]["reuse"]["code"] == "reuse.not_seen"
    # The control: within the first tenant the same photo in another customer's claim is reuse.
    again = api.verify(photo, {"claim_id": "c-3", "customer_id": "y"}, headers=bearer(keys[first]))
    reuse = again.json()["images"][0]["checks"]["reuse"]
    assert reuse["status"] == "fail" and reuse["details"]["matches"][0]["claim_id"] == "c-1"


@pytest.mark.parametrize(("owner", "other"), [("acme", "globex"), ("globex", "acme")])
def test_a_claim_is_readable_only_with_its_tenants_key(
    keyed: tuple[Api, dict[str, str]], owner: str, other: str
) -> None:
    api, keys = keyed
    assert api.verify(photos(("a.jpg", jpeg(1))), {"claim_id": "c-9"}, headers=bearer(keys[owner])).is_success
    assert api.client.get("/v1/claims/c-9", headers=bearer(keys[owner])).status_code == 200
    hidden = api.client.get("/v1/claims/c-9", headers=bearer(keys[other]))
    assert hidden.status_code == 404 and hidden.json() == {"detail": "no claim 'c-9'"}


def test_the_same_claim_id_in_two_tenants_is_two_claims(keyed: tuple[Api, dict[str, str]]) -> None:
    api, keys = keyed
    photo = photos(("a.jpg", jpeg(3)))
    fields = {"claim_id": "c-same", "sku": "A"}
    first = api.verify(photo, fields, headers=bearer(keys["acme"]))
    # Same claim id, same photos, same fields: a retry within a tenant, a new claim across tenants.
    second = api.verify(photo, {**fields, "sku": "B"}, headers=bearer(keys["globex"]))
    replay = api.verify(photo, fields, headers=bearer(keys["globex"]))
    assert first.json()["sku"] == "A" and second.json()["sku"] == "B"
    assert replay.json()["created_at"] != first.json()["created_at"]
    assert api.count("claims") == 2
    assert api.client.get("/v1/claims/c-same", headers=bearer(keys["acme"])).json()["sku"] == "A"


def test_an_idempotency_key_of_one_tenant_does_not_answer_another(keyed: tuple[Api, dict[str, str]]) -> None:
    api, keys = keyed
    photo = photos(("a.jpg", jpeg(4)))
    first = api.verify(photo, {"claim_id": "c-1"}, headers={**bearer(keys["acme"]), "Idempotency-Key": "k1"})
    other = api.verify(
        photo, {"claim_id": "c-1"}, headers={**bearer(keys["globex"]), "Idempotency-Key": "k1"}
    )
    assert first.status_code == other.status_code == 200
    assert api.count("reports") == 2
