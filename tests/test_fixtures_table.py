"""Every generated fixture against one claim: what the timestamp look and the report must say."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evidence_check.cli import app
from tests.conftest import FIXTURES

CLAIM = [
    "--ordered-at",
    "2026-11-10T10:00",
    "--delivered-at",
    "2026-11-14T15:00",
    "--claimed-at",
    "2026-11-16T12:00",
    "--tz",
    "Asia/Shanghai",
    "--no-record",
    "--json",
]

# file, extra arguments, timestamp status, timestamp code, claim verdict
TABLE = [
    ("genuine_after_delivery.jpg", [], "pass", "timestamp.inside", "accept"),
    ("genuine_after_delivery.heic", [], "pass", "timestamp.inside", "accept"),
    ("genuine_after_delivery.webp", [], "pass", "timestamp.inside", "accept"),
    ("exif_before_order.jpg", [], "fail", "timestamp.before_order", "reject"),
    ("exif_before_delivery.jpg", [], "fail", "timestamp.before_delivered", "reject"),
    ("exif_after_claim.jpg", [], "warn", "timestamp.after_claim", "review"),
    ("exif_no_offset_near_delivery.jpg", [], "pass", "timestamp.near_delivery", "accept"),
    ("exif_offset_just_before_delivery.jpg", [], "fail", "timestamp.before_delivered", "reject"),
    ("exif_gps_infers_offset.jpg", [], "fail", "timestamp.before_delivered", "reject"),
    ("exif_offsettime_differs.jpg", [], "pass", "timestamp.inside", "accept"),
    ("exif_digitized_only.jpg", [], "pass", "timestamp.inside", "accept"),
    ("exif_zero_date.jpg", [], "unknown", "timestamp.unusable_zero_date", "review"),
    ("exif_clock_reset.jpg", [], "unknown", "timestamp.unusable_clock_reset", "review"),
    ("exif_future.jpg", [], "unknown", "timestamp.future", "review"),
    ("exif_nul_in_date.jpg", [], "unknown", "timestamp.unusable_nul_bytes", "review"),
    ("exif_fresh_food_late.jpg", [], "pass", "timestamp.inside", "accept"),
    ("exif_fresh_food_late.jpg", ["--category", "fresh_food"], "warn", "timestamp.after_window", "review"),
    ("exif_orientation_6.jpg", [], "pass", "timestamp.inside", "accept"),
    ("xmp_date_only.jpg", [], "pass", "timestamp.inside", "accept"),
    ("no_exif.jpg", [], "unknown", "timestamp.missing", "review"),
    ("IMG-20261115-WA0003.jpg", [], "unknown", "timestamp.weak_inside", "review"),
    ("IMG-20261101-WA0001.jpg", [], "warn", "timestamp.before_order_weak", "review"),
    ("Screenshot_2026-11-15-10-15-00.png", [], "unknown", "timestamp.weak_inside", "review"),
    ("edited_photoshop.jpg", [], "pass", "timestamp.inside", "review"),
]

UNREADABLE = [
    ("truncated.jpg", "truncated"),
    ("not_an_image.jpg", "not an image"),
    ("empty.jpg", "empty"),
]


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["verify", *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    ("name", "extra", "status", "code", "verdict"), TABLE, ids=[f"{r[0]}{''.join(r[1])}" for r in TABLE]
)
def test_fixture_gets_expected_timestamp_finding(
    name: str, extra: list[str], status: str, code: str, verdict: str | None
) -> None:
    exit_code, out, err = run(str(FIXTURES / name), *CLAIM, *extra)
    assert exit_code == 0, err
    report = json.loads(out)
    finding = report["images"][0]["checks"]["timestamp"]
    assert (finding["status"], finding["code"]) == (status, code), finding["summary"]
    assert set(report["images"][0]["checks"]) == {"timestamp", "reuse", "relevance", "location", "integrity"}
    if verdict is not None:
        assert report["verdict"] == verdict
    if status == "unknown":
        # Missing or unusable metadata is a reason to ask, never to reject.
        assert report["verdict"] != "reject"
        assert any("original" in step for step in report["next_steps"])


@pytest.mark.parametrize(("name", "why"), UNREADABLE)
def test_unreadable_fixture_alone_exits_1_with_one_line(name: str, why: str) -> None:
    exit_code, out, err = run(str(FIXTURES / name), *CLAIM)
    assert exit_code == 1
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and why in err


@pytest.mark.parametrize(("name", "why"), UNREADABLE)
def test_unreadable_fixture_beside_a_good_one_is_reported_not_fatal(name: str, why: str) -> None:
    exit_code, out, err = run(str(FIXTURES / "genuine_after_delivery.jpg"), str(FIXTURES / name), *CLAIM)
    assert exit_code == 0, err
    report = json.loads(out)
    bad = report["images"][1]
    assert bad["verdict"] == "review" and bad["checks"] == {} and why in bad["error"]
    assert "\n" not in bad["error"]
    assert report["verdict"] == "review"


def test_every_fixture_in_the_folder_is_in_a_table() -> None:
    named = {row[0] for row in TABLE} | {row[0] for row in UNREADABLE}
    on_disk = {p.name for p in Path(FIXTURES).iterdir() if p.is_file()}
    assert on_disk == named


@pytest.mark.parametrize(("lang", "said", "not_said"), [("en", "7 hours before the recorded delivery", "after delivery"), ("zh", "早 7 小时", "签收后")])
def test_a_photo_just_before_delivery_within_the_tolerance_is_not_said_to_be_taken_after_it(
    lang: str, said: str, not_said: str
) -> None:
    # 08:00 without a zone, read in Shanghai: 7 h before the 15:00 delivery, inside the ±14 h an
    # unknown zone allows. It passes, and the sentence says on which side of delivery it falls.
    exit_code, out, err = run(str(FIXTURES / "exif_no_offset_near_delivery.jpg"), *CLAIM, "--lang", lang)
    assert exit_code == 0, err
    summary = json.loads(out)["images"][0]["checks"]["timestamp"]["summary"]
    assert said in summary and not_said not in summary, summary
