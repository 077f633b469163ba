"""One integrity signal that raises is that signal's own "could not be measured"; the others still count."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from evidence_check.checks import integrity
from evidence_check.checks.context import CheckContext
from evidence_check.engine import Upload
from evidence_check.explain import summary
from evidence_check.imaging.load import Photo, load_photo
from evidence_check.intake import build_claim
from evidence_check.models import Claim, ClaimReason, Status, Timeline
from evidence_check.service import verify_claim
from evidence_check.settings import Settings
from tests.conftest import FIXTURES

INTEGRITY = FIXTURES.parent / "integrity"
NOW = datetime(2026, 11, 16, 4, 0, tzinfo=UTC)
CONTEXT = CheckContext(settings=Settings(), now=NOW)
CLAIM = Claim("c-1", Timeline(), reason=ClaimReason.DAMAGED)


def _photo(name: str) -> Photo:
    return load_photo((INTEGRITY / name).read_bytes(), name)


def _breaking(monkeypatch: pytest.MonkeyPatch, *names: str) -> None:
    """Make the named sources raise, as a bug or a hostile file inside one of them would."""

    def broken(*_: object) -> integrity.Reading:
        raise ValueError("broken on purpose\nsecond line")

    sources = tuple(replace(s, read=broken) if s.name in names else s for s in integrity.SOURCES)
    assert [s.name for s in sources if s.read is broken] == list(names)
    monkeypatch.setattr(integrity, "SOURCES", sources)


def test_the_sources_are_the_signal_modules_in_their_order() -> None:
    names = [s.name for s in integrity.SOURCES]
    assert names == [
        "editing",
        "thumbnail_local",
        "cloned_region",
        "jpeg_history",
        "screenshot",
        "screen_photo",
        "generated",
        "provenance",
        "channel",
        "small_photo",
    ]


@pytest.mark.parametrize(
    ("name", "broken", "status", "code", "still_fired"),
    [
        ("ai_parameters.png", "editing", "fail", "integrity.ai_marker", "ai_generated"),
        ("editor_snapseed.jpg", "generated", "warn", "integrity.editor", "editor_software"),
        ("screen_photo_moire.jpg", "jpeg_history", "warn", "integrity.screen_photo", "screen_photo"),
        ("gallery_screenshot_1080x2340.jpg", "editing", "warn", "integrity.screenshot", "screenshot"),
        (
            "saved_day_after_capture.jpg",
            "provenance",
            "warn",
            "integrity.saved_after_capture",
            "saved_after_capture",
        ),
    ],
)
def test_when_one_signal_raises_then_the_others_still_decide(
    monkeypatch: pytest.MonkeyPatch, name: str, broken: str, status: str, code: str, still_fired: str
) -> None:
    intact = integrity.check(_photo(name), CLAIM, CONTEXT)
    _breaking(monkeypatch, broken)
    finding = integrity.check(_photo(name), CLAIM, CONTEXT)
    assert (finding.status.value, finding.code) == (status, code) == (intact.status.value, intact.code)
    assert still_fired in finding.details["flags"]
    assert f"{broken}_unmeasured" in finding.details["notes"]
    assert finding.details["signals"][f"{broken}_unmeasured"] == {
        "signal": broken,
        "error": "ValueError: broken on purpose",
    }


def test_when_the_only_signal_that_would_fire_raises_then_the_finding_says_it_could_not_be_measured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert integrity.check(_photo("editor_snapseed.jpg"), CLAIM, CONTEXT).code == "integrity.editor"
    _breaking(monkeypatch, "editing")
    finding = integrity.check(_photo("editor_snapseed.jpg"), CLAIM, CONTEXT)
    assert finding.status is Status.UNKNOWN and finding.score == 0.0
    assert finding.code == "integrity.unmeasured"
    assert finding.details["flags"] == []
    english, chinese = (summary(finding.code, finding.params, lang) for lang in ("en", "zh"))
    assert "editing" in english and "ValueError: broken on purpose" in english
    assert "editing" in chinese and "未能完成" in chinese


def test_when_nothing_raises_then_no_signal_is_unmeasured() -> None:
    for path in sorted(INTEGRITY.iterdir()):
        finding = integrity.check(load_photo(path.read_bytes(), path.name), CLAIM, CONTEXT)
        assert not [n for n in finding.details["notes"] if n.endswith("_unmeasured")], path.name
        assert finding.code != "integrity.unmeasured"


def test_when_screenshot_detection_raises_then_moire_is_still_looked_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _breaking(monkeypatch, "screenshot")
    finding = integrity.check(_photo("screen_photo_moire.jpg"), CLAIM, CONTEXT)
    assert finding.code == "integrity.screen_photo" and "screenshot_unmeasured" in finding.details["notes"]
    assert finding.details["spectrum"]


def test_a_broken_signal_leaves_the_report_with_an_integrity_finding_not_an_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _breaking(monkeypatch, "provenance", "channel")
    claim = build_claim(now=NOW, time_zone="UTC", claim_id="c-2", ordered_at="2026-11-10T10:00")
    upload = Upload("ai_parameters.png", (INTEGRITY / "ai_parameters.png").read_bytes())
    body = verify_claim(claim, [upload], settings=Settings(), store=None, now=NOW, record=False).body
    found = body["images"][0]["checks"]["integrity"]
    assert found["status"] == "fail" and found["code"] == "integrity.ai_marker"
    assert {"provenance_unmeasured", "channel_unmeasured"} <= set(found["details"]["notes"])
    assert body["verdict"] == "reject"
