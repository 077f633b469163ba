"""The sentences agents read: every next step the checks and the scoring can ask for is written in
each language (a missing one would show the agent its bare code)."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

import evidence_check
from evidence_check.explain import messages
from evidence_check.explain.messages import LANGUAGES, NEXT_STEPS, next_step_text

STEP = re.compile(r"^(ask|add|issue)_[a-z_]+$")
LIBRARY = Path(evidence_check.__file__).parent


def steps_asked_for() -> set[str]:
    found = set()
    for path in LIBRARY.rglob("*.py"):
        if "explain" in path.relative_to(LIBRARY).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and STEP.match(node.value):
                found.add(node.value)
    return found


def test_every_next_step_asked_for_is_written_in_each_language() -> None:
    asked = steps_asked_for()
    assert "ask_item_of_this_order" in asked and "ask_label_photo" in asked  # the scan sees the checks
    assert sorted(asked - NEXT_STEPS.keys()) == []
    for step in asked:
        english, chinese = (next_step_text(step, lang) for lang in LANGUAGES)
        assert english != step and english.isascii()
        assert any("\u4e00" <= ch <= "\u9fff" for ch in chinese)


@pytest.mark.parametrize(
    ("hours", "en", "zh"),
    [
        (20 * 24 + 14, "20 days", "20 天"),  # counted down: rounded it would be 21
        (20 * 24 - 10 / 3600, "20 days", "20 天"),  # ten seconds short, as the checks' hundredths give it
        (47.9, "47 hours 54 minutes", "47 小时 54 分钟"),
        (24.6, "24 hours 36 minutes", "24 小时 36 分钟"),  # past a 24-hour window: not "24 hours"
        (7, "7 hours", "7 小时"),
        (48, "2 days", "2 天"),
        (1.5, "1 hour 30 minutes", "1 小时 30 分钟"),
        (1.01, "1 hour", "1 小时"),  # under a minute left over
        (0.4, "24 minutes", "24 分钟"),
        (0.001, "1 minute", "1 分钟"),
        (2.96 * 365.25 * 24, "2.9 years", "2.9 年"),
    ],
)
def test_a_duration_is_worded_in_whole_units_counted_down(hours: float, en: str, zh: str) -> None:
    assert (messages.duration(hours, "en"), messages.duration(hours, "zh")) == (en, zh)



def test_a_sentence_said_instead_of_a_codes_own_is_written_from_the_same_params_in_each_language() -> None:
    fields = string.Formatter()
    assert messages.VARIANTS  # the reuse look's claim of no customer that two customers' claims share
    for (code, name, _), (english, chinese) in messages.VARIANTS.items():
        assert code in messages.SUMMARIES
        named = [{field for _, field, _, _ in fields.parse(text) if field} for text in (english, chinese)]
        assert named[0] == named[1] and name in named[0], code
        assert english.isascii() and any("\u4e00" <= ch <= "\u9fff" for ch in chinese)
