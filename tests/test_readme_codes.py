"""The README's looks name their finding codes (`reuse.other_customer`, then `listing_photo` for
`reuse.listing_photo`): every code it names is one the checks' sentences are written for, so a code
renamed or dropped in the code cannot stay in the manual."""

from __future__ import annotations

import re

import pytest

from evidence_check.catalog.zones import CAUSES
from evidence_check.explain.messages import SUMMARIES
from evidence_check.models import ClaimReason, Status, Verdict
from tests import manuals

# The README's words in code type that are not codes: statuses, verdicts, claim reasons, zone causes,
# a form field, a details key, the two locks.
WORDS = {*Status, *Verdict, *ClaimReason, *CAUSES, "region", "proposed_region", "dev", "run"}


def _named(text: str) -> dict[str, set[str]]:
    """Per look section ("### Reuse — ...", "### The retake challenge — ..."), the code-like words it
    has in code type."""
    looks = text.split("## The looks and checks", 1)[1].split("\n## ", 1)[0]
    named = {}
    for section in looks.split("\n### ")[1:]:
        look = section.split(" —", 1)[0].split()[-1].lower()
        named[look] = set(re.findall(r"`([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)?\*?)`", section))
    return named


def _not_codes(text: str) -> list[str]:
    wrong = []
    for look, words in _named(text).items():
        for word in sorted(words):
            code = word if "." in word else f"{look}.{word}"
            if word.endswith("*"):
                known = any(name.startswith(code[:-1]) for name in SUMMARIES)
            else:
                known = code in SUMMARIES or ("." not in word and word in {*WORDS, look})
            if not known:
                wrong.append(f"{look}: `{word}`")
    return wrong


def test_the_readme_names_the_codes_of_every_look() -> None:
    named = _named(manuals.read())
    assert set(named) == {"timestamp", "reuse", "relevance", "location", "integrity", "challenge"}
    codes = {word if "." in word else f"{look}.{word}" for look, words in named.items() for word in words}
    assert len(codes & SUMMARIES.keys()) >= 40  # the short forms are read as their look's codes


def test_every_code_the_readme_names_is_one_the_checks_word() -> None:
    assert not _not_codes(manuals.read())


@pytest.mark.parametrize(
    ("written", "drifted", "caught"),
    [
        ("`listing_photo`", "`listing`", "reuse: `listing`"),
        ("`reuse.other_customer`", "`reuse.other_person`", "reuse: `reuse.other_person`"),
        ("`unusable_*`", "`unreadable_*`", "timestamp: `unreadable_*`"),
        ("`screen_photo`", "`screen_picture`", "integrity: `screen_picture`"),
        ("`not_read`", "`unread`", "challenge: `unread`"),
    ],
)
def test_a_code_renamed_in_the_readme_is_caught(written: str, drifted: str, caught: str) -> None:
    assert caught in _not_codes(manuals.drifted(written, drifted))
