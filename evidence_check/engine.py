"""Runs every check on every readable photo of a claim and assembles the report.

Each check is isolated: one that raises becomes an ``error`` finding with the reason, and the
others still run. Each photo is decoded once; every check reads the same `Photo`.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from evidence_check import scoring
from evidence_check.checks import CHECKS, Check
from evidence_check.checks.context import CheckContext
from evidence_check.errors import WordedError
from evidence_check.imaging.load import Limits, Photo, PhotoError, load_photo
from evidence_check.measure import Measurements
from evidence_check.models import Claim, Finding, ImageReport, Report, Status, Verdict

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Upload:
    """One photo as received: its bytes, or why they could not even be read."""

    filename: str
    data: bytes | None
    error: WordedError | None = None
    image_id: str | None = None  # sha256 of `data`, when the caller had to compute it already


@dataclass(frozen=True)
class Analysis:
    report: Report
    measured: tuple[Measurements, ...]  # of the readable photos, for recording

    @property
    def photos(self) -> tuple[Photo, ...]:
        """The readable photos."""
        return tuple(measured.photo for measured in self.measured)


def verify(
    claim: Claim,
    uploads: Sequence[Upload],
    context: CheckContext,
    limits: Limits,
    checks: Mapping[str, Check] = CHECKS,
) -> Analysis:
    images: list[ImageReport] = []
    measured: list[Measurements] = []
    for number, upload in enumerate(uploads, start=1):
        readable, image = analyse(upload, claim, replace(context, photo_number=number), limits, checks)
        images.append(image)
        if readable is not None:
            measured.append(readable)
    rules = scoring.Rules.from_settings(context.settings)
    images = scoring.settled(images)
    verdict, basis = scoring.claim_decision(images, rules)
    report = Report(
        claim=claim,
        verdict=verdict,
        risk=scoring.claim_risk(images),
        confidence=scoring.confidence(verdict, images, rules),
        images=tuple(images),
        created_at=context.now if context.now.tzinfo else context.now.replace(tzinfo=UTC),
        basis=basis.as_dict(),
    )
    return Analysis(report=report, measured=tuple(measured))


def analyse(
    upload: Upload, claim: Claim, context: CheckContext, limits: Limits, checks: Mapping[str, Check] = CHECKS
) -> tuple[Measurements | None, ImageReport]:
    """The photo's report, and its measurements when it could be read."""
    if upload.data is None:
        return None, _unreadable(upload.filename, None, upload.error or PhotoError("photo.not_read"))
    try:
        photo = load_photo(upload.data, upload.filename, limits, image_id=upload.image_id)
    except PhotoError as exc:
        return None, _unreadable(upload.filename, upload.image_id or hashlib.sha256(upload.data).hexdigest(), exc)
    measured = Measurements(photo)
    findings = run_checks(photo, claim, context, checks, measured)
    return measured, ImageReport(
        image_id=photo.image_id,
        filename=photo.filename,
        error=None,
        verdict=scoring.photo_verdict(findings, scoring.Rules.from_settings(context.settings)),
        risk=scoring.photo_risk(findings),
        findings=findings,
    )


def run_checks(
    photo: Photo,
    claim: Claim,
    context: CheckContext,
    checks: Mapping[str, Check] = CHECKS,
    measured: Measurements | None = None,
) -> dict[str, Finding]:
    """Every check on one photo; they share its `measured` (made here when not given), which also
    times each check."""
    measured = measured if measured is not None else Measurements(photo)
    context = replace(context, measured=measured)
    findings: dict[str, Finding] = {}
    for name, check in checks.items():
        with measured.timed(f"check.{name}"):
            try:
                findings[name] = check(photo, claim, context)
            except Exception as exc:  # isolation: one broken check must not hide the others
                log.exception("check %s failed on %s", name, photo.image_id)
                reason = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else 'no message'}"[:200]
                findings[name] = Finding(Status.ERROR, 0.0, "check.error", {"error": reason}, {"error": reason})
    return findings


def _unreadable(filename: str, image_id: str | None, error: WordedError | str) -> ImageReport:
    return ImageReport(
        image_id=image_id, filename=filename, error=error, verdict=Verdict.REVIEW, risk=0.0, findings={}
    )


def now_utc() -> datetime:
    return datetime.now(UTC)
