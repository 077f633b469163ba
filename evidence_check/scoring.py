"""From findings to verdicts: the rules, written down in one place.

Per photo:
- ``risk`` = 1 - Π(1 - score) over its findings: independent pieces of evidence compound.
- ``reject`` when any finding is a ``fail`` whose score is at least `REJECT_SCORE` (a strong fail:
  taken before the order, the same photo as another customer's claim);
- ``review`` when any finding is ``fail`` (weaker), ``warn`` or ``error``; when a look that the
  agent needs is ``unknown`` (`UNKNOWN_NEEDS_REVIEW`: no usable capture time); or when the risk
  reaches `REVIEW_RISK`;
- ``accept`` otherwise. Missing metadata is ``unknown`` with a low score, so on its own it leads
  to ``review`` and a question to the customer, never to ``reject``.

Per claim: the worst photo verdict; a photo that could not be read makes the claim ``review``.
Risk is the highest photo risk. Confidence says how sure the verdict is: for ``reject`` the
strongest fail's score; for ``accept`` the share of looks that positively passed, scaled by
(1 - risk); for ``review`` 0.5 — a person decides.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from evidence_check.models import Finding, ImageReport, Status, Verdict

REJECT_SCORE = 0.8
REVIEW_RISK = 0.3
UNKNOWN_NEEDS_REVIEW = frozenset({"timestamp"})
_ORDER = {Verdict.ACCEPT: 0, Verdict.REVIEW: 1, Verdict.REJECT: 2}


def photo_risk(findings: Mapping[str, Finding]) -> float:
    remaining = 1.0
    for finding in findings.values():
        remaining *= 1.0 - finding.score
    return round(1.0 - remaining, 4)


def photo_verdict(findings: Mapping[str, Finding]) -> Verdict:
    statuses = [f.status for f in findings.values()]
    if any(f.status is Status.FAIL and f.score >= REJECT_SCORE for f in findings.values()):
        return Verdict.REJECT
    if any(s in (Status.FAIL, Status.WARN, Status.ERROR) for s in statuses):
        return Verdict.REVIEW
    if any(findings[name].status is Status.UNKNOWN for name in UNKNOWN_NEEDS_REVIEW if name in findings):
        return Verdict.REVIEW
    if photo_risk(findings) >= REVIEW_RISK:
        return Verdict.REVIEW
    return Verdict.ACCEPT


def claim_verdict(images: Iterable[ImageReport]) -> Verdict:
    verdicts = [image.verdict for image in images]
    return max(verdicts, key=_ORDER.__getitem__) if verdicts else Verdict.REVIEW


def claim_risk(images: Iterable[ImageReport]) -> float:
    return max((image.risk for image in images if image.error is None), default=0.0)


def confidence(verdict: Verdict, images: Iterable[ImageReport]) -> float:
    readable = [image for image in images if image.error is None]
    findings = [f for image in readable for f in image.findings.values()]
    if verdict is Verdict.REJECT:
        return round(max((f.score for f in findings if f.status is Status.FAIL), default=0.5), 4)
    if verdict is Verdict.REVIEW or not findings:
        return 0.5
    passed = sum(1 for f in findings if f.status is Status.PASS) / len(findings)
    return round((1.0 - claim_risk(readable)) * (0.6 + 0.4 * passed), 4)
