"""The engine runs every check, isolates one that breaks, and scores what it gets."""

from __future__ import annotations

from datetime import UTC, datetime

from evidence_check.checks import CHECKS
from evidence_check.checks.context import CheckContext
from evidence_check.engine import Upload, verify
from evidence_check.imaging.load import Limits
from evidence_check.intake import build_claim
from evidence_check.models import Status, Verdict
from evidence_check.settings import Settings
from tests.conftest import FIXTURES

NOW = datetime(2026, 11, 16, 4, 0, tzinfo=UTC)


def explode(photo, claim, context):
    raise RuntimeError("disk on fire\nsecond line")


def test_a_check_that_raises_becomes_an_error_finding_and_the_others_still_run() -> None:
    claim = build_claim(
        now=NOW, time_zone="Asia/Shanghai", ordered_at="2026-11-10", delivered_at="2026-11-14T15:00"
    )
    data = (FIXTURES / "genuine_after_delivery.jpg").read_bytes()
    checks = {**CHECKS, "integrity": explode}
    analysis = verify(claim, [Upload("a.jpg", data)], CheckContext(Settings(), NOW), Limits(), checks)
    findings = analysis.report.images[0].findings
    assert findings["integrity"].status is Status.ERROR
    assert findings["integrity"].params["error"] == "RuntimeError: disk on fire"
    assert findings["timestamp"].status is Status.PASS
    assert analysis.report.verdict is Verdict.REVIEW


def test_each_photo_is_scored_and_the_claim_takes_the_worst() -> None:
    claim = build_claim(
        now=NOW, time_zone="Asia/Shanghai", ordered_at="2026-11-10T10:00", delivered_at="2026-11-14T15:00"
    )
    uploads = [
        Upload(n, (FIXTURES / n).read_bytes())
        for n in ("genuine_after_delivery.jpg", "exif_before_order.jpg")
    ]
    report = verify(claim, uploads, CheckContext(Settings(), NOW), Limits()).report
    assert [i.verdict for i in report.images] == [Verdict.ACCEPT, Verdict.REJECT]
    assert report.verdict is Verdict.REJECT
    assert report.risk == max(i.risk for i in report.images)
