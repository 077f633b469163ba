"""The sentences agents read: every next step the checks and the scoring can ask for is written in
each language (a missing one would show the agent its bare code)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import evidence_check
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
