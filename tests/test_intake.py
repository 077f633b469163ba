"""The intake both the command line and the HTTP API use: what a claim's fields may hold."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from evidence_check.intake import (
    CLAIM_PHOTOS_LARGEST,
    IntakeError,
    OutOfOrder,
    build_claim,
    check_claim_photos,
    valid_id,
)
from evidence_check.store.claim_files import claim_fields

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def claim(**fields: Any):
    return build_claim(now=NOW, time_zone="UTC", **fields)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"ordered_at": "0001-01-01T00:00+14:00"}, "ordered_at"),
        ({"ordered_at": "0001-01-01"}, "ordered_at"),
        ({"delivered_at": "1969-12-31T23:59Z"}, "delivered_at"),
        ({"claimed_at": "0001-01-01"}, "claimed_at"),
        ({"claimed_at": "9999-12-31"}, "claimed_at"),
        ({"claimed_at": "9999-12-31T23:59:59-12:00"}, "claimed_at"),
        ({"shipped_at": "2100-01-01"}, "shipped_at"),
        ({"claimed_at": "2028-01-01"}, "claimed_at"),
    ],
)
def test_a_moment_off_the_calendar_of_claims_is_one_line_naming_the_field(
    fields: dict[str, str], field: str
) -> None:
    with pytest.raises(IntakeError) as raised:
        claim(**fields)
    message = str(raised.value)
    assert message.startswith(f"{field}: ") and "outside the dates a claim can hold" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    "fields",
    [
        {"ordered_at": "1970-01-01T00:00Z"},
        {"ordered_at": "2001-01-01"},
        {"claimed_at": "2027-12-01"},  # ahead of the clock, within a year
        {"ordered_at": "2026-11-10T10:00+08:00", "claimed_at": "2026-11-16"},
    ],
)
def test_moments_within_the_calendar_of_claims_are_kept(fields: dict[str, str]) -> None:
    timeline = claim(**fields).timeline
    for name, text in fields.items():
        assert getattr(timeline, name).date().isoformat() == text[:10]


@pytest.mark.parametrize("value", ["abc\n", "abc\r\n", "", "has space", "x" * 129, "a\x00b"])
def test_an_id_with_a_trailing_newline_or_other_stray_characters_is_refused(value: str) -> None:
    assert not valid_id(value)
    for field in ("claim_id", "customer_id", "sku"):
        with pytest.raises(IntakeError, match=f"^{field}: "):
            claim(**{field: value})


@pytest.mark.parametrize("value", ["c-123", "order:77/2@shop+eu", "x" * 128, "客户-1"])
def test_ids_of_the_allowed_characters_are_kept(value: str) -> None:
    assert valid_id(value)
    assert claim(claim_id=value, customer_id=value, sku=value).claim_id == value


def test_a_later_request_for_a_claim_takes_the_facts_it_leaves_out_from_the_claim() -> None:
    first = claim(
        claim_id="c-1", sku="BAG-1", customer_id="u-1", order_id="SO-1", reason="wrong_item", wanted="refund",
        ordered_at="2026-11-10T10:00+08:00", delivered_at="2026-11-14", region="1,2,3,4", claimed_at="2026-11-16",
    )  # fmt: skip
    retake = claim(claim_id="c-1", sku=None, customer_id="", earlier=claim_fields(first))
    assert (retake.sku, retake.customer_id, retake.order_id) == ("BAG-1", "u-1", "SO-1")
    assert (retake.reason.value, retake.wanted and retake.wanted.value) == ("wrong_item", "refund")
    assert (retake.timeline.ordered_at, retake.timeline.delivered_at) == (first.timeline.ordered_at, first.timeline.delivered_at)
    # The region is in pixels of the first request's photos; the retake arrives now.
    assert retake.region is None and retake.timeline.claimed_at == NOW
    corrected = claim(claim_id="c-1", sku="BAG-2", reason="damaged", earlier=claim_fields(first))
    assert (corrected.sku, corrected.reason.value, corrected.customer_id) == ("BAG-2", "damaged", "u-1")


def test_a_later_request_without_tz_is_read_in_the_claims_zone_and_one_with_tz_in_its_own() -> None:
    """The zone reads the camera's clock when it has no offset: the claim's, not the service's."""
    first = build_claim(now=NOW, time_zone="Asia/Shanghai", claim_id="c-1", delivered_at="2026-11-14T15:00")
    later = build_claim(now=NOW, time_zone=None, default_zone="UTC", claim_id="c-1", earlier=claim_fields(first))
    assert later.time_zone == "Asia/Shanghai" and later.timeline.delivered_at == first.timeline.delivered_at
    moved = build_claim(now=NOW, time_zone="Europe/Paris", claim_id="c-1", earlier=claim_fields(first))
    assert moved.time_zone == "Europe/Paris"
    assert build_claim(now=NOW, time_zone=None, default_zone="America/Denver").time_zone == "America/Denver"



def test_a_later_request_naming_another_order_or_sku_does_not_take_that_ones_times_or_category() -> None:
    """A customer who reordered: SO-1's dates are not SO-2's. An item sent in error: BAG-1's
    category (its claim window) is not BAG-2's, which the catalog gives when it has one."""
    first = claim(
        claim_id="c-1", sku="BAG-1", category="fresh_food", order_id="SO-1",
        ordered_at="2026-11-10T10:00+08:00", delivered_at="2026-11-14T15:00+08:00",
    )  # fmt: skip
    reordered = claim(claim_id="c-1", order_id="SO-2", earlier=claim_fields(first))
    assert reordered.timeline.ordered_at is None and reordered.timeline.delivered_at is None
    assert (reordered.sku, reordered.category) == ("BAG-1", "fresh_food")
    swapped = claim(claim_id="c-1", sku="BAG-2", earlier=claim_fields(first))
    assert swapped.category is None and swapped.timeline.ordered_at == first.timeline.ordered_at
    same = claim(claim_id="c-1", sku="BAG-1", order_id="SO-1", earlier=claim_fields(first))
    assert (same.category, same.timeline.delivered_at) == ("fresh_food", first.timeline.delivered_at)


def test_dates_out_of_order_because_of_one_the_claim_gave_say_so() -> None:
    """A later request sends a delivery before the order it left out: the line names the recorded
    one as such, or the client is told of a field it never sent."""
    first = claim(claim_id="c-1", ordered_at="2026-11-10T10:00Z")
    with pytest.raises(OutOfOrder, match=r"ordered_at as recorded for the claim") as refused:
        claim(claim_id="c-1", delivered_at="2026-11-05T10:00Z", earlier=claim_fields(first))
    assert refused.value.first == "ordered_at" and refused.value.second == "delivered_at"
    with pytest.raises(IntakeError) as both_sent:
        claim(claim_id="c-1", ordered_at="2026-11-10T10:00Z", delivered_at="2026-11-05T10:00Z", earlier=claim_fields(first))
    assert "recorded" not in str(both_sent.value)


@pytest.mark.parametrize(
    ("region", "taken_back"),
    [("none", 1), ("NONE", 1), (" 2 : none ", 2), ("3:None", 3), ("1,2,3,4", None), ("2:1,2,3,4", None)],
)
def test_a_region_written_none_takes_back_that_photos_region(region: str, taken_back: int | None) -> None:
    sent = claim(region=region)
    assert sent.region_taken_back == taken_back
    assert (sent.region is None) == (taken_back is not None)


@pytest.mark.parametrize(
    ("region", "code"),
    [
        ("none,1,2,3", "intake.region_not_whole"),
        ("0:none", "intake.region_photo_from_one"),
        ("two:none", "intake.region_photo_not_whole"),
        (f"{2**31}:none", "intake.region_too_large"),
        (f"{2**31}:1,2,3,4", "intake.region_too_large"),
        ("nothing", "intake.region_shape"),
        ("1:2:none", "intake.region_shape"),
    ],
)
def test_a_region_that_is_neither_a_box_nor_none_is_refused(region: str, code: str) -> None:
    with pytest.raises(IntakeError) as raised:
        claim(region=region)
    assert raised.value.code == code and "\n" not in str(raised.value)


def test_a_claim_holds_its_photos_up_to_the_bound_and_never_below_one_requests_worth() -> None:
    ids = [f"image-{n}" for n in range(CLAIM_PHOTOS_LARGEST + 50)]
    held, beyond = set(ids[:CLAIM_PHOTOS_LARGEST]), ids[CLAIM_PHOTOS_LARGEST:]
    check_claim_photos("c-1", held, ids[:10], max_photos=20)  # sent again: adds none
    # A claim recorded past the bound before it was held to one may still have its photos sent again.
    check_claim_photos("c-1", set(ids), ids[:1], max_photos=20)
    check_claim_photos("c-1", set(), ids[:CLAIM_PHOTOS_LARGEST], max_photos=20)
    with pytest.raises(IntakeError) as raised:
        check_claim_photos("c-1", held, beyond[:1], max_photos=20)
    assert raised.value.code == "intake.claim_photos_full" and raised.value.params["largest"] == CLAIM_PHOTOS_LARGEST
    # An operator who lets one request send more photos than the bound has them held by one claim.
    check_claim_photos("c-1", set(), ids, max_photos=len(ids))
    with pytest.raises(IntakeError):
        check_claim_photos("c-1", set(ids), ["one-more"], max_photos=len(ids))
