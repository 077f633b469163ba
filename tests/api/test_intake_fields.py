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
