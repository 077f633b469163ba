"""A photo sent again when the earlier claim or this one names no customer: nobody can tell whether the
customer is the same, so the reuse look says so (`reuse.earlier_claim_customer_unknown`, warn) and the
claim goes to a person, not to reject; a listing, a known other customer, a stock or a review photo
still decides over it, and it decides over a known customer's own repeat. A claim naming no customer
whose photo two different customers sent before is another customer's whoever sends it: rejected."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evidence_check.checks import reuse
from evidence_check.cli import app
from evidence_check.explain import next_step_text, summary
from evidence_check.references import references_for
from evidence_check.scoring import DEFAULT_RULES
from evidence_check.store import Store
from fixtures.make_fixtures import product_photo
from tests.conftest import FIXTURES
from tests.reuse_codes import FIRST_SEEN_AT
from tests.test_reuse import claim_upload, photo_of, run_claim

UNKNOWN = "reuse.earlier_claim_customer_unknown"
OTHER = "reuse.other_customer"
LATER = FIRST_SEEN_AT + timedelta(days=1)


@pytest.mark.parametrize(
    ("earlier", "this", "status", "code", "same", "known"),
    [
        ("alice", "alice", "warn", "reuse.same_customer", True, True),
        ("alice", "bob", "fail", "reuse.other_customer", False, True),
        (None, "bob", "warn", UNKNOWN, False, False),
        ("alice", None, "warn", UNKNOWN, False, False),
        (None, None, "warn", UNKNOWN, False, False),
    ],
)
def test_the_outcome_follows_what_is_known_of_both_customers(
    store: Store, earlier: str | None, this: str | None, status: str, code: str, same: bool, known: bool
) -> None:
    image = product_photo(21)
    run_claim(store, claim_upload(image), "c-1", earlier, FIRST_SEEN_AT)
    finding = run_claim(store, claim_upload(image), "c-2", this, LATER)
    assert (finding["status"], finding["code"]) == (status, code)
    match = finding["details"]["matches"][0]
    assert (match["claim_id"], match["same_customer"], match["customer_known"]) == ("c-1", same, known)


@pytest.mark.parametrize(
    ("earlier", "this", "without", "english", "chinese"),
    [
        (None, None, "both", "neither claim names its customer", "两次申请都没有客户编号"),
        (None, "bob", "earlier", "that claim names no customer", "该申请没有客户编号"),
        ("alice", None, "this", "this claim names no customer", "本次申请没有客户编号"),
    ],
)
def test_the_sentence_names_the_earlier_claim_and_the_side_without_a_customer(
    store: Store, earlier: str | None, this: str | None, without: str, english: str, chinese: str
) -> None:
    image = product_photo(22)
    run_claim(store, claim_upload(image), "c-1", earlier, FIRST_SEEN_AT)
    finding = run_claim(store, claim_upload(image), "c-2", this, LATER)
    assert finding["params"]["without_customer"] == without  # a key, worded in the reader's language
    day = FIRST_SEEN_AT.strftime("%Y-%m-%d")
    assert finding["summary"] == (
        f"The same photo was sent in claim c-1 ({day}); {english}, so it may be the same customer's or another's."
    )
    assert summary(UNKNOWN, finding["params"], "zh") == (
        f"同一张照片已在售后申请 c-1（{day}）中发送过；{chinese}，可能是同一位客户，也可能是另一位客户。"
    )
    assert "another customer" not in finding["summary"]
    assert finding["next_step"] == "compare_claim_customers"
    assert next_step_text("compare_claim_customers", "en", finding["params"]).startswith(
        "Compare the customer of claim c-1 with this claim's in your own system"
    )


@pytest.mark.parametrize(
    ("kind", "code"),
    [("listing", "reuse.listing_photo"), ("stock", "reuse.stock_photo"), ("review", "reuse.review_photo")],
)
def test_a_listing_stock_or_review_photo_beside_a_claim_of_no_customer_still_fails(
    store: Store, kind: str, code: str
) -> None:
    image = product_photo(23)
    run_claim(store, claim_upload(image), "c-1", None, FIRST_SEEN_AT)
    assert references_for(store).add("default", kind, "REF-1", photo_of(image), FIRST_SEEN_AT + timedelta(hours=1))
    finding = run_claim(store, claim_upload(image), "c-2", None, LATER)
    assert (finding["status"], finding["code"]) == ("fail", code)
    assert {m["kind"] for m in finding["details"]["matches"]} == {"claim", kind}


def test_a_known_other_customer_outranks_an_unknown_one_which_outranks_the_same_customer(store: Store) -> None:
    image = product_photo(24)
    run_claim(store, claim_upload(image), "c-1", "alice", FIRST_SEEN_AT)
    run_claim(store, claim_upload(image), "c-2", None, FIRST_SEEN_AT + timedelta(hours=1))
    # alice's own c-1 is a repeat; c-2 names nobody: that doubt is the one reported.
    finding = run_claim(store, claim_upload(image), "c-3", "alice", LATER)
    assert (finding["code"], finding["params"]["ref_id"]) == (UNKNOWN, "c-2")
    run_claim(store, claim_upload(image), "c-4", "bob", LATER + timedelta(hours=1))
    # bob's c-4 is known to be another customer: that fails whatever c-2 was.
    finding = run_claim(store, claim_upload(image), "c-5", "alice", LATER + timedelta(hours=2))
    assert (finding["status"], finding["code"], finding["params"]["ref_id"]) == ("fail", "reuse.other_customer", "c-4")


def test_the_unknown_customers_score_sends_to_review_and_weighs_more_than_a_repeat() -> None:
    assert reuse.SCORE_SAME_CUSTOMER < reuse.SCORE_CUSTOMER_UNKNOWN < DEFAULT_RULES.reject_score


GOOD = str(FIXTURES / "genuine_after_delivery.jpg")
TIMELINE = ["--ordered-at", "2026-11-10T10:00", "--delivered-at", "2026-11-14T15:00", "--tz", "Asia/Shanghai"]


def test_the_command_line_sends_a_resent_photo_of_no_customer_to_review(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.sqlite3'}"

    def verify(claim_id: str, claimed_at: str) -> dict:
        args = ["verify", GOOD, *TIMELINE, "--claimed-at", claimed_at, "--claim-id", claim_id, "--json", "--db", url]
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.stderr
        return json.loads(result.stdout)

    first = verify("c-1", "2026-11-16")
    assert first["verdict"] == "accept"
    second = verify("c-2", "2026-11-17")
    reuse_look = second["images"][0]["checks"]["reuse"]
    assert (second["verdict"], reuse_look["status"], reuse_look["code"]) == ("review", "warn", UNKNOWN)
    assert second["verdict_basis"]["code"] == UNKNOWN
    assert any("claim c-1" in reason and "neither claim names its customer" in reason for reason in second["reasons"])


def test_a_customer_id_sent_later_names_the_claims_photos_of_that_tenant_only(store: Store) -> None:
    """c-1 recorded without a customer, then again naming alice: her next claim with the photo is a
    repeat. Another tenant's c-1 of the same photo still names nobody."""
    image = product_photo(27)
    for tenant in ("a", "b"):
        run_claim(store, claim_upload(image), "c-1", None, FIRST_SEEN_AT, tenant=tenant)
    run_claim(store, claim_upload(image), "c-1", "alice", FIRST_SEEN_AT + timedelta(hours=1), tenant="a")
    assert run_claim(store, claim_upload(image), "c-2", "alice", LATER, tenant="a")["code"] == "reuse.same_customer"
    finding = run_claim(store, claim_upload(image), "c-2", "alice", LATER, tenant="b")
    assert (finding["code"], finding["params"]["without_customer"]) == (UNKNOWN, "earlier")


def test_a_photo_two_customers_sent_before_is_another_customers_when_this_claim_names_none(store: Store) -> None:
    image = product_photo(28)
    run_claim(store, claim_upload(image), "c-1", "alice", FIRST_SEEN_AT)
    run_claim(store, claim_upload(image), "c-2", "bob", FIRST_SEEN_AT + timedelta(hours=1))
    finding = run_claim(store, claim_upload(image), "c-3", None, LATER)
    assert (finding["status"], finding["code"], finding["next_step"]) == ("fail", OTHER, "ask_new_photo")
    assert finding["score"] == reuse.SCORE_OTHER_CUSTOMER
    day = FIRST_SEEN_AT.strftime("%Y-%m-%d")
    assert finding["params"] == {
        "ref_id": "c-1",
        "first_seen": day,
        "count": 2,
        "second_ref_id": "c-2",
        "second_first_seen": day,
        "without_customer": "this",
    }
    # Said of the earlier claims, never of this claim's customer, whom nobody named.
    assert finding["summary"] == (
        f"The same photo was sent before by two different customers, in claims c-1 ({day}) and c-2 ({day}); "
        "this claim names no customer, but whoever sends it now, at least one of those claims is another customer's."
    )
    assert summary(OTHER, finding["params"], "zh") == (
        f"两位不同的客户此前已分别在售后申请 c-1（{day}）和 c-2（{day}）中发送过同一张照片；本次申请没有客户编号，"
        "但无论本次由谁发送，其中至少一次申请属于另一位客户。"
    )
    # The matches say what they said: neither earlier claim is known to be this customer's or another's.
    assert [(m["claim_id"], m["same_customer"], m["customer_known"]) for m in finding["details"]["matches"]] == [
        ("c-1", False, False),
        ("c-2", False, False),
    ]


def test_the_sentence_names_each_customers_first_claim_on_its_own_day(store: Store) -> None:
    """alice sent the photo again after bob: her first claim and bob's are named, each with the day it was sent."""
    image = product_photo(37)
    for number, (customer, days) in enumerate((("alice", 0), ("bob", 1), ("alice", 2)), 1):
        run_claim(store, claim_upload(image), f"c-{number}", customer, FIRST_SEEN_AT + timedelta(days=days))
    finding = run_claim(store, claim_upload(image), "c-4", None, FIRST_SEEN_AT + timedelta(days=3))
    said = {name: finding["params"][name] for name in ("ref_id", "first_seen", "second_ref_id", "second_first_seen")}
    assert (finding["code"], said) == (
        OTHER,
        {"ref_id": "c-1", "first_seen": "2026-11-16", "second_ref_id": "c-2", "second_first_seen": "2026-11-17"},
    )
    assert "in claims c-1 (2026-11-16) and c-2 (2026-11-17);" in finding["summary"]


@pytest.mark.parametrize(
    ("customers", "without"),
    [
        (("alice", "alice"), "this"),  # one customer twice: it may be her own repeat
        (("alice", None), "this"),  # the second may be alice's or another's
        ((None, None), "both"),
    ],
)
def test_earlier_claims_not_known_to_be_of_two_customers_leave_a_claim_of_no_customer_to_a_person(
    store: Store, customers: tuple[str | None, str | None], without: str
) -> None:
    image = product_photo(29)
    for number, customer in enumerate(customers, 1):
        run_claim(store, claim_upload(image), f"c-{number}", customer, FIRST_SEEN_AT + timedelta(hours=number))
    finding = run_claim(store, claim_upload(image), "c-3", None, LATER)
    assert (finding["status"], finding["code"]) == ("warn", UNKNOWN)
    assert (finding["params"]["without_customer"], "second_ref_id" in finding["params"]) == (without, False)


def test_only_claims_before_this_one_make_two_customers(store: Store) -> None:
    """bob sent the photo after c-2 was first recorded: verified again, c-2 still has alice's claim alone before it."""
    image = product_photo(30)
    run_claim(store, claim_upload(image), "c-1", "alice", FIRST_SEEN_AT)
    run_claim(store, claim_upload(image), "c-2", None, FIRST_SEEN_AT + timedelta(hours=1))
    run_claim(store, claim_upload(image), "c-3", "bob", FIRST_SEEN_AT + timedelta(hours=2))
    finding = run_claim(store, claim_upload(image), "c-2", None, LATER)
    assert (finding["status"], finding["code"], finding["params"]["ref_id"]) == ("warn", UNKNOWN, "c-1")


def test_two_earlier_customers_rank_as_a_known_other_customer(store: Store) -> None:
    """Above a stock photo, below the shop's own listing photo; a claim naming its customer is said as before."""
    image = product_photo(36)
    run_claim(store, claim_upload(image), "c-1", "alice", FIRST_SEEN_AT)
    run_claim(store, claim_upload(image), "c-2", "bob", FIRST_SEEN_AT + timedelta(hours=1))
    references = references_for(store)
    assert references.add("default", "stock", "STOCK-1", photo_of(image), FIRST_SEEN_AT + timedelta(hours=2))
    finding = run_claim(store, claim_upload(image), "c-3", None, LATER)
    assert (finding["code"], finding["params"]["second_ref_id"]) == (OTHER, "c-2")
    named = run_claim(store, claim_upload(image), "c-4", "carol", LATER + timedelta(hours=1))
    assert (named["code"], named["params"]) == (OTHER, {"ref_id": "c-1", "first_seen": "2026-11-16", "count": 4})
    assert named["summary"] == "The same photo was sent by another customer in claim c-1 (2026-11-16)."
    assert references.add("default", "listing", "BAG-001", photo_of(image), FIRST_SEEN_AT + timedelta(hours=3))
    finding = run_claim(store, claim_upload(image), "c-5", None, LATER + timedelta(hours=2))
    assert (finding["code"], finding["params"]["ref_id"]) == ("reuse.listing_photo", "BAG-001")


def _verify_on_the_command_line(url: str, claim_id: str, customer: str | None, claimed_at: str) -> dict:
    args = ["verify", GOOD, *TIMELINE, "--claimed-at", claimed_at, "--claim-id", claim_id, "--json", "--db", url]
    result = CliRunner().invoke(app, [*args, *(["--customer-id", customer] if customer else [])])
    assert result.exit_code == 0, result.stderr
    return dict(json.loads(result.stdout))


@pytest.mark.parametrize(
    ("customers", "verdict", "code"),
    [(("cust-a", "cust-b"), "reject", OTHER), (("cust-a", "cust-a"), "review", UNKNOWN), (("cust-a", None), "review", UNKNOWN)],
)
def test_the_command_line_rejects_a_photo_of_no_customer_two_customers_sent_before(
    tmp_path: Path, customers: tuple[str | None, str | None], verdict: str, code: str
) -> None:
    url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    for number, customer in enumerate(customers, 1):
        _verify_on_the_command_line(url, f"c-{number}", customer, f"2026-11-1{5 + number}")
    third = _verify_on_the_command_line(url, "c-3", None, "2026-11-18")
    reuse_look = third["images"][0]["checks"]["reuse"]
    assert (third["verdict"], reuse_look["code"], third["verdict_basis"]["code"]) == (verdict, code, code)
    # Recorded now (the command's clock), whatever the claim's dates say.
    named_both = [r for r in third["reasons"] if r.startswith("The same photo was sent before by two different customers, in claims c-1 (") and ") and c-2 (" in r]
    assert len(named_both) == (1 if code == OTHER else 0), third["reasons"]
