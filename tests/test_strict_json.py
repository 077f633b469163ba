"""strict_json's answers for what `json` refuses other than by a syntax error."""

from __future__ import annotations

import json

import pytest

from evidence_check import strict_json
from evidence_check.settings import Settings


@pytest.mark.timeout(60)  # a guard against the hang, not a speed assertion: the answer takes ~1 s, it took minutes
def test_a_body_of_long_numbers_is_placed_in_one_pass() -> None:
    # A body the size the API reads, of numbers one digit under Python's limit and one over it at the
    # end: the number's place was searched for from every digit, each run's length squared (4 MB: 98 s).
    run = "9" * 4300
    body = "[" + (run + ",") * (Settings().max_json_bytes // 4301 - 1) + "1" + "0" * 4300 + "]"
    with pytest.raises(json.JSONDecodeError) as refused:
        strict_json.loads(body)
    assert refused.value.msg == "a number of more than 4300 digits"
    assert refused.value.pos == body.rindex(",") + 1
