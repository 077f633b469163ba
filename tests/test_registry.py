"""The registry of checks is the one list the engine, the report, the verdict's sentence and the HTML read."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from evidence_check.checks import CHECKS, registry
from evidence_check.engine import Upload
from evidence_check.explain import basis_text
from evidence_check.intake import build_claim
from evidence_check.render.html import render_html
from evidence_check.service import verify_claim
from evidence_check.settings import Settings
from tests.conftest import FIXTURES

NOW = datetime(2026, 11, 16, 4, 0, tzinfo=UTC)


def _body(name: str) -> dict:
    claim = build_claim(
        now=NOW,
        time_zone="Asia/Shanghai",
        ordered_at="2026-11-10T10:00",
        delivered_at="2026-11-14T15:00",
        claim_id="c-1",
    )
    upload = Upload(name, (FIXTURES / name).read_bytes())
    return verify_claim(claim, [upload], settings=Settings(), store=None, now=NOW, record=False).body


def test_the_engine_runs_the_every_photo_checks_of_the_registry_in_its_order() -> None:
    assert list(CHECKS) == list(registry.CHECK_NAMES)
    assert registry.CHECK_NAMES == ("timestamp", "reuse", "relevance", "location", "integrity")
    assert "challenge" in registry.BY_NAME and "challenge" not in CHECKS


def test_a_report_lists_its_checks_in_registry_order() -> None:
    body = _body("genuine_after_delivery.jpg")
    assert list(body["images"][0]["checks"]) == list(registry.CHECK_NAMES)


@pytest.mark.parametrize("name", [info.name for info in registry.REGISTRY])
@pytest.mark.parametrize(("lang", "index"), [("en", 0), ("zh", 1)])
def test_the_verdicts_sentence_names_each_check_by_its_label(name: str, lang: str, index: int) -> None:
    label = registry.BY_NAME[name].label[index]
    assert label and label != name
    sentence = basis_text({"rule": "doubt", "check": name}, lang)
    assert label in sentence


def test_labels_and_titles_are_distinct_per_language() -> None:
    for index in (0, 1):
        labels = [info.label[index] for info in registry.REGISTRY]
        titles = [info.title[index] for info in registry.REGISTRY]
        assert len(set(labels)) == len(labels) and len(set(titles)) == len(titles)


def test_an_unknown_check_is_named_as_it_is() -> None:
    assert registry.label("newcheck", "zh") == "newcheck"
    assert registry.title("newcheck") == "newcheck"


def test_the_html_heads_each_box_with_the_registry_title_and_the_three_looks_first() -> None:
    body = _body("genuine_after_delivery.jpg")
    for lang, index in (("en", 0), ("zh", 1)):
        page = render_html(body, lang)
        positions = [page.index(registry.BY_NAME[name].title[index]) for name in registry.LOOKS]
        others = [
            page.index(registry.BY_NAME[name].title[index])
            for name in registry.CHECK_NAMES
            if name not in registry.LOOKS
        ]
        assert positions == sorted(positions) and max(positions) < min(others)
