"""Over the HTTP API: a photo sent again with no customer id on either claim goes to a person
(`reuse.earlier_claim_customer_unknown`), one sent by a customer known to be another is rejected, and so
is one of no customer id that two different customers sent before."""

from __future__ import annotations

import pytest

from tests.api.conftest import Api, jpeg, photos

UNKNOWN = "reuse.earlier_claim_customer_unknown"


def test_the_api_sends_a_resent_photo_of_no_customer_to_review(api: Api) -> None:
    photo = photos(("a.jpg", jpeg(11)))
    assert api.verify(photo, {"claim_id": "c-1"}).json()["images"][0]["checks"]["reuse"]["code"] == "reuse.not_seen"
    again = api.verify(photo, {"claim_id": "c-2"}).json()
    reuse_look = again["images"][0]["checks"]["reuse"]
    assert again["verdict"] == "review" and (reuse_look["status"], reuse_look["code"]) == ("warn", UNKNOWN)
    assert reuse_look["details"]["matches"][0]["customer_known"] is False
    # The same photo from a customer named on both claims is known to be another's: reject.
    api.verify(photos(("b.jpg", jpeg(12))), {"claim_id": "c-3", "customer_id": "x"})
    other = api.verify(photos(("b.jpg", jpeg(12))), {"claim_id": "c-4", "customer_id": "y"}).json()
    assert other["verdict"] == "reject" and other["images"][0]["checks"]["reuse"]["code"] == "reuse.other_customer"


def test_a_customer_id_sent_later_for_a_claim_is_the_one_its_photos_are_compared_with(api: Api) -> None:
    """c-1 is recorded without a customer id, then sent again naming its customer: its photos are
    that customer's, so her own next claim with the same photo is a repeat (not "that claim names no
    customer"), and another customer's is rejected."""
    photo = photos(("a.jpg", jpeg(13)))
    api.verify(photo, {"claim_id": "c-1"})
    api.verify(photo, {"claim_id": "c-1", "customer_id": "alice"})
    same = api.verify(photo, {"claim_id": "c-2", "customer_id": "alice"}).json()["images"][0]["checks"]["reuse"]
    assert (same["status"], same["code"]) == ("warn", "reuse.same_customer")
    assert same["details"]["matches"][0]["customer_known"] is True
    other = api.verify(photo, {"claim_id": "c-3", "customer_id": "bob"}).json()
    assert other["verdict"] == "reject" and other["images"][0]["checks"]["reuse"]["code"] == "reuse.other_customer"


@pytest.mark.parametrize(
    ("customers", "verdict", "status", "code"),
    [
        (("cust-a", "cust-b"), "reject", "fail", "reuse.other_customer"),
        (("cust-a", "cust-a"), "review", "warn", UNKNOWN),
        (("cust-a", None), "review", "warn", UNKNOWN),
    ],
)
def test_a_photo_of_no_customer_two_customers_sent_before_is_rejected_over_the_api(
    api: Api, customers: tuple[str | None, str | None], verdict: str, status: str, code: str
) -> None:
    photo = photos(("a.jpg", jpeg(14)))
    for number, customer in enumerate(customers, 1):
        api.verify(photo, {"claim_id": f"c-{number}", **({"customer_id": customer} if customer else {})})
    body = api.verify(photo, {"claim_id": "c-3"}, headers={"Accept-Language": "zh"}).json()
    reuse_look = body["images"][0]["checks"]["reuse"]
    assert (body["verdict"], reuse_look["status"], reuse_look["code"]) == (verdict, status, code)
    both_named = "售后申请 c-1（" in reuse_look["summary"] and "）和 c-2（" in reuse_look["summary"]
    assert both_named == (code == "reuse.other_customer"), reuse_look["summary"]
    assert "本次申请没有客户编号" in reuse_look["summary"]
