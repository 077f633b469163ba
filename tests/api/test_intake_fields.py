"""Claim fields over HTTP go through the same intake as the command line: a date off the calendar of
claims is a 422 with one line, never a 500 from an overflow deeper in."""

from __future__ import annotations

import pytest

from tests.api.conftest import Api, jpeg, photos


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"ordered_at": "0001-01-01T00:00+14:00"}, "ordered_at"),
        ({"claimed_at": "0001-01-01"}, "claimed_at"),
        ({"claimed_at": "9999-12-31"}, "claimed_at"),
    ],
)
def test_a_moment_off_the_calendar_is_422_with_one_line(api: Api, fields: dict[str, str], field: str) -> None:
    answer = api.verify(photos(("a.jpg", jpeg(1))), {"ordered_at": "", "delivered_at": "", **fields})
    assert answer.status_code == 422, answer.text
    detail = answer.json()["detail"]
    assert detail.startswith(f"{field}: ") and "\n" not in detail
    assert api.count("claims") == 0


def test_a_photo_sent_later_with_the_claim_id_alone_is_judged_with_the_claims_facts(api: Api) -> None:
    """The challenge's instructions: send the retake to /v1/verify with the claim id. The claim's
    facts hold for it, and are what `reverify` starts from afterwards."""
    facts = {"claim_id": "c-1", "sku": "BAG-1", "customer_id": "u-1", "order_id": "SO-1", "reason": "wrong_item"}
    assert api.verify(photos(("a.jpg", jpeg(1))), facts).status_code == 200
    later = api.client.post("/v1/verify", files=photos(("retake.jpg", jpeg(2))), data={"claim_id": "c-1"})
    assert later.status_code == 200, later.text
    body = later.json()
    assert (body["sku"], body["customer_id"], body["order_id"], body["reason"]) == ("BAG-1", "u-1", "SO-1", "wrong_item")
    assert body["timeline"]["delivered_at"] == "2026-11-14T15:00:00+08:00"
    again = api.client.post("/v1/claims/c-1/reverify").json()
    assert (again["sku"], again["timeline"]["ordered_at"]) == ("BAG-1", "2026-11-10T10:00:00+08:00")

