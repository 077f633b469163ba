"""The report's sentences: most serious first, with numbers, in English and Chinese; contract kept."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evidence_check.cli import app
from evidence_check.engine import Upload
from evidence_check.intake import build_claim
from evidence_check.service import verify_claim
from evidence_check.settings import Settings
from evidence_check.store import Store
from tests.conftest import FIXTURES

NOW = datetime(2026, 11, 16, 4, 0, tzinfo=UTC)
CONTRACT_KEYS = {
    "schema",
    "claim_id",
    "sku",
    "verdict",
    "risk",
    "confidence",
    "reasons",
    "next_steps",
    "images",
}
IMAGE_KEYS = {"image_id", "filename", "error", "verdict", "risk", "checks"}
CHECK_KEYS = {"status", "score", "summary", "details"}


def body(*names: str, lang: str = "en", store: Store | None = None) -> dict:
    """The report of claim c-1 with these fixture photos; recorded when a store is given."""
    claim = build_claim(
        now=NOW,
        time_zone="Asia/Shanghai",
        ordered_at="2026-11-10T10:00",
        delivered_at="2026-11-14T15:00",
        claimed_at="2026-11-16T12:00",
        claim_id="c-1",
        lang=lang,
    )
    uploads = [Upload(name, (FIXTURES / name).read_bytes()) for name in names]
    return verify_claim(claim, uploads, settings=Settings(), store=store, now=NOW, record=store is not None).body


def test_when_a_photo_was_taken_before_the_order_then_that_reason_comes_first_with_its_numbers() -> None:
    report = body("genuine_after_delivery.jpg", "no_exif.jpg", "exif_before_order.jpg")
    assert report["verdict"] == "reject"
    assert report["reasons"][0].startswith("exif_before_order.jpg: Taken 2026-11-01")
    # 2026-11-01 18:20 to 2026-11-10 10:00: 8 full days and 15 hours, counted down.
    assert "8 days before the order" in report["reasons"][0]
    assert report["verdict_basis"]["rule"] == "strong_fail"
    assert report["verdict_basis"]["filename"] == "exif_before_order.jpg"


def test_when_several_photos_share_a_sentence_then_it_is_said_once_naming_them() -> None:
    report = body("genuine_after_delivery.jpg", "no_exif.jpg")
    shared = [r for r in report["reasons"] if r.endswith("No problem region was marked.")]
    assert shared == ["genuine_after_delivery.jpg, no_exif.jpg: No problem region was marked."]


def test_when_in_doubt_then_next_steps_ask_concretely_and_offer_a_retake_challenge(sqlite_url: str) -> None:
    store = Store(sqlite_url)
    try:
        report = body("no_exif.jpg", store=store)
    finally:
        store.close()
    assert report["verdict"] == "review"
    assert report["next_steps"][0].startswith("Ask for the original photo file")
    assert "evidence-check challenge c-1" in report["next_steps"][-1]


def test_an_analysis_recorded_nowhere_offers_no_challenge() -> None:
    """`verify --no-record`: `challenge` refuses a claim the store does not have, so none is offered."""
    report = body("no_exif.jpg")
    assert report["verdict"] == "review"
    assert not any("challenge" in step for step in report["next_steps"])


def test_when_accepted_then_no_challenge_is_offered() -> None:
    report = body("genuine_after_delivery.jpg")
    assert report["verdict"] == "accept"
    assert not any("challenge" in step for step in report["next_steps"])


def test_when_asked_in_chinese_then_reasons_steps_and_basis_are_chinese() -> None:
    report = body("exif_before_order.jpg", lang="zh")
    assert "比下单时间" in report["reasons"][0] and "8 天" in report["reasons"][0]
    assert report["verdict_basis"]["summary"].startswith("建议拒绝")
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in step) for step in report["next_steps"])


def test_the_report_keeps_every_key_of_the_contract() -> None:
    report = body("genuine_after_delivery.jpg", "truncated.jpg")
    assert report["schema"] == "evidence-check.report/1"
    assert set(report) >= CONTRACT_KEYS
    for image in report["images"]:
        assert set(image) >= IMAGE_KEYS
        for check in image["checks"].values():
            assert set(check) >= CHECK_KEYS
    json.dumps(report)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_when_printed_as_text_then_the_verdict_and_its_basis_come_first(lang: str, sqlite_url: str) -> None:
    result = CliRunner().invoke(
        app,
        [
            "verify",
            str(FIXTURES / "exif_before_order.jpg"),
            "--ordered-at",
            "2026-11-10",
            "--claimed-at",
            "2026-11-16",
            "--no-record",
            "--lang",
            lang,
            "--db",
            sqlite_url,
        ],
    )
    assert result.exit_code == 0, result.output
    first, second = result.output.splitlines()[:2]
    assert ("REJECT" in first) if lang == "en" else ("拒绝" in first)
    assert second.startswith("Recommend REJECT" if lang == "en" else "建议拒绝")
    assert "\x1b[" not in result.output  # no colour when not on a terminal


def test_a_stored_report_reads_the_same_in_its_language_and_fully_in_another(tmp_path: Path) -> None:
    """What `GET /v1/claims/{id}` does with Accept-Language: the sentences are written again from
    the findings' codes and params, every one of them; the measurements stay as recorded."""
    from evidence_check.report import in_language

    names = sorted(p.name for p in FIXTURES.glob("*.jpg"))
    stores = [Store(f"sqlite:///{tmp_path / name}.sqlite3") for name in ("en", "zh")]
    try:
        english = body(*names, store=stores[0])
        chinese = body(*names, lang="zh", store=stores[1])
    finally:
        for store in stores:
            store.close()
    assert in_language(english, "en") == english
    assert in_language(english, "zh") == chinese
    assert in_language(chinese, "en") == english
    assert in_language(english, "zh")["reasons"] != english["reasons"]


def test_a_report_stored_without_params_is_returned_as_it_was() -> None:
    from evidence_check.report import in_language

    english = body("no_exif.jpg")
    for image in english["images"]:
        for finding in image["checks"].values():
            del finding["params"]
    assert in_language(english, "zh") == english


def _unreadable_report(lang: str, *extra: str, store: Store | None = None) -> dict:
    """Claim c-2's report: an unreadable photo and these fixture photos; recorded when a store is given."""
    claim = build_claim(now=NOW, time_zone="UTC", ordered_at="2026-11-10", claim_id="c-2", lang=lang)
    uploads = [Upload("broken.jpg", b"not a photo")] + [Upload(n, (FIXTURES / n).read_bytes()) for n in extra]
    return verify_claim(claim, uploads, settings=Settings(), store=store, now=NOW, record=store is not None).body


def test_a_photo_that_cannot_be_read_is_said_in_the_reports_language() -> None:
    english, chinese = (_unreadable_report(lang, "no_exif.jpg") for lang in ("en", "zh"))
    said = "not an image in a format we read (JPEG, PNG, WebP, HEIC, AVIF, TIFF, GIF)"
    assert english["images"][0]["error"] == said  # word for word as clients have matched it
    assert chinese["images"][0]["error"] == "不是可读取格式的图片（JPEG、PNG、WebP、HEIC、AVIF、TIFF、GIF）"
    assert chinese["images"][0]["error_code"] == "photo.not_an_image"
    assert any(r.startswith("无法读取 broken.jpg：不是可读取格式的图片") for r in chinese["reasons"])
    assert not any("not an image" in reason for reason in chinese["reasons"])


def test_a_stored_reports_unreadable_photo_is_read_in_another_language(tmp_path: Path) -> None:
    from evidence_check.report import in_language

    stores = [Store(f"sqlite:///{tmp_path / lang}.sqlite3") for lang in ("en", "zh")]
    try:
        english, chinese = (
            _unreadable_report(lang, "no_exif.jpg", store=s) for lang, s in zip(("en", "zh"), stores, strict=True)
        )
    finally:
        for store in stores:
            store.close()
    assert english["images"][0]["error_code"] == "photo.not_an_image"
    assert in_language(english, "zh") == chinese
    assert in_language(chinese, "en") == english


def test_a_photos_error_recorded_before_errors_had_codes_is_said_as_it_was() -> None:
    from evidence_check.report import in_language

    english = _unreadable_report("en", "no_exif.jpg")
    for image in english["images"]:
        image.pop("error_code", None), image.pop("error_params", None)
    chinese = in_language(english, "zh")
    assert chinese["images"][0]["error"] == english["images"][0]["error"]
    assert chinese["reasons"] != english["reasons"]  # the readable photo's sentences are worded again
