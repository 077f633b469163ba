"""Every integrity fixture against the check: which signal must fire, and which must not."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from evidence_check.checks import integrity
from evidence_check.checks.context import CheckContext
from evidence_check.imaging.load import load_photo
from evidence_check.models import Claim, ClaimReason, Finding, Timeline
from evidence_check.settings import Settings
from tests.conftest import FIXTURES

INTEGRITY = FIXTURES.parent / "integrity"
CONTEXT = CheckContext(settings=Settings(), now=datetime(2026, 11, 16, 4, 0, tzinfo=UTC))

# file, claim reason, status, code, signals that must fire (flags, notes or positive)
TABLE = [
    ("plain_camera_photo.jpg", "damaged", "pass", "integrity.no_traces", []),
    ("phone_firmware_software.jpg", "damaged", "pass", "integrity.no_traces", []),
    ("phone_saved_same_minute.jpg", "damaged", "pass", "integrity.no_traces", []),
    ("plain_png_with_title.png", "damaged", "pass", "integrity.no_traces", []),
    ("editor_snapseed.jpg", "damaged", "warn", "integrity.editor", ["editor_software"]),
    ("editor_xmp_creatortool.jpg", "damaged", "warn", "integrity.editor", ["editor_software"]),
    (
        "saved_day_after_capture.jpg",
        "damaged",
        "warn",
        "integrity.saved_after_capture",
        ["saved_after_capture"],
    ),
    ("thumbnail_matches.jpg", "damaged", "pass", "integrity.no_traces", ["thumbnail_matches"]),
    ("thumbnail_matches_orientation_6.jpg", "damaged", "pass", "integrity.no_traces", ["thumbnail_matches"]),
    (
        "thumbnail_stale_cropped.jpg",
        "damaged",
        "warn",
        "integrity.thumbnail_mismatch",
        ["thumbnail_mismatch"],
    ),
    ("tracking_page_1080x2340.png", "damaged", "warn", "integrity.screenshot", ["screenshot"]),
    ("tracking_page_1080x2340.png", "not_received", "pass", "integrity.screenshot_expected", ["screenshot"]),
    ("gallery_screenshot_1080x2340.jpg", "damaged", "warn", "integrity.screenshot", ["screenshot"]),
    ("screen_photo_moire.jpg", "damaged", "warn", "integrity.screen_photo", ["screen_photo"]),
    ("ai_parameters.png", "damaged", "fail", "integrity.ai_marker", ["ai_generated"]),
    ("ai_comfyui.png", "damaged", "fail", "integrity.ai_marker", ["ai_generated"]),
    ("ai_digital_source_type.jpg", "damaged", "fail", "integrity.ai_marker", ["ai_generated"]),
    ("ai_firefly.webp", "not_received", "fail", "integrity.ai_marker", ["ai_generated"]),
    ("ai_prompt_zlib_bomb.png", "damaged", "fail", "integrity.ai_marker", ["ai_generated"]),
    ("mmexport1763170215000.jpg", "damaged", "pass", "integrity.channel_hint", []),
    ("chat_sized_1600.jpg", "damaged", "pass", "integrity.channel_hint", []),
]
# Signals that may never fire on a file made to look like a genuine camera/phone photo.
AGAINST = {
    "editor_software",
    "saved_after_capture",
    "thumbnail_mismatch",
    "screenshot",
    "screen_photo",
    "ai_generated",
    "c2pa_invalid",
    "c2pa_generated",
}


def run(name: str, reason: str = "damaged") -> Finding:
    photo = load_photo((INTEGRITY / name).read_bytes(), name)
    claim = Claim(claim_id="t", timeline=Timeline(), reason=ClaimReason(reason))
    return integrity.check(photo, claim, CONTEXT)


@pytest.mark.parametrize(
    ("name", "reason", "status", "code", "fires"), TABLE, ids=[f"{r[0]}-{r[1]}" for r in TABLE]
)
def test_fixture_gets_expected_integrity_finding(
    name: str, reason: str, status: str, code: str, fires: list[str]
) -> None:
    finding = run(name, reason)
    assert (finding.status.value, finding.code) == (status, code), finding.details
    fired = set(finding.details["signals"])
    assert set(fires) <= fired
    if status == "pass":
        assert finding.score == 0.0
        assert not set(finding.details["flags"]) & AGAINST


def test_a_warning_alone_never_reaches_the_reject_score() -> None:
    assert run("thumbnail_stale_cropped.jpg").score < 0.8


def test_a_generator_marker_is_strong_enough_to_reject() -> None:
    finding = run("ai_parameters.png")
    assert finding.score >= 0.8
    assert "Stable Diffusion" in finding.params["marker"]


def test_channel_hint_names_the_app_and_asks_for_the_original() -> None:
    finding = run("mmexport1763170215000.jpg")
    assert finding.params == {"app": "WeChat", "app_zh": "微信"}
    assert finding.next_step == "ask_original"


def test_letterbox_is_a_screenshot_clue() -> None:
    clues = run("gallery_screenshot_1080x2340.jpg").details["signals"]["screenshot"]["clues"]
    assert {"screen_size", "letterbox"} <= set(clues)


def test_every_integrity_fixture_is_in_the_table() -> None:
    on_disk = {p.name for p in Path(INTEGRITY).iterdir() if p.is_file()}
    assert on_disk == {row[0] for row in TABLE}


@pytest.mark.parametrize(
    ("name", "status", "code"),
    [
        ("genuine_after_delivery.jpg", "pass", "integrity.no_traces"),
        ("genuine_after_delivery.heic", "pass", "integrity.no_traces"),
        ("genuine_after_delivery.webp", "pass", "integrity.no_traces"),
        ("no_exif.jpg", "pass", "integrity.no_traces"),
        ("edited_photoshop.jpg", "warn", "integrity.editor"),
        ("Screenshot_2026-11-15-10-15-00.png", "warn", "integrity.screenshot"),
        ("IMG-20261115-WA0003.jpg", "pass", "integrity.channel_hint"),
    ],
)
def test_core_fixture_integrity(name: str, status: str, code: str) -> None:
    photo = load_photo((FIXTURES / name).read_bytes(), name)
    finding = integrity.check(photo, Claim(claim_id="t", timeline=Timeline()), CONTEXT)
    assert (finding.status.value, finding.code) == (status, code)
