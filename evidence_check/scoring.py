"""From findings to verdicts: the rules and weights, written down in one place.

Every check returns a status (pass / warn / fail / unknown / error) and a score in [0, 1], its
contribution to risk. The thresholds below come from settings (`Rules.from_settings`) and a
merchant may override them (`tenant_overrides`); the README's "How the verdict is reached" says the
same in prose.

Per photo
- ``risk`` = 1 - Π(1 - score) over its findings: independent pieces of evidence compound.
- ``reject`` when any finding is a *strong fail*: status ``fail`` with score >= `reject_score`
  (0.8). The checks score their conclusive fails above it — reused from another customer's claim,
  taken before the order or the delivery, the shop's own listing photo, an AI-generator marker,
  another product — so one of them is enough.
- ``review`` when any finding is a weaker ``fail``, a ``warn`` or an ``error``; when a look the
  agent needs is ``unknown`` (`review_when_unknown`, default the timestamp: no usable capture time);
  or when the compounded risk reaches `review_risk` (0.3). A look that had the means to check and
  could not confirm (the ordered SKU has catalog images but is not found in the photo) scores its
  ``unknown`` at that threshold, so it alone asks for a person; an ``unknown`` scored 0 says only
  that there was nothing to check against (no SKU, no catalog images, no region marked).
- ``accept`` otherwise.
- ``unknown`` never leads to ``reject``, whatever its score: missing metadata (a chat app stripped
  the EXIF) is a reason to ask, never proof of fraud.

Per claim
- ``reject`` when any photo is ``reject``; else ``review`` when any photo is ``review`` or could
  not be read (or none could); else ``accept``.
- A passed retake challenge (`checks/challenge.py`: the code read in a fresh photo) settles what
  was only unknown: photos whose sole doubts are ``unknown`` findings count as ``accept``. It does
  not outweigh a ``warn``, ``fail`` or ``error``.
- ``risk`` is the highest photo risk.

Confidence — how sure the service is of its verdict
- ``reject``: the strongest fail's score, plus `corroboration_bonus` (0.05) for each further check
  that failed strongly, at most 0.99.
- ``accept``: (1 - risk) × (0.6 + 0.4 × share of the findings that passed).
- ``review``: 0.5 — a person decides.
- Provenance raises it: a photo with a valid, trusted C2PA capture manifest (integrity details
  ``{"c2pa": {"state": "trusted"}}``) or a passed retake challenge adds `provenance_bonus` (0.15)
  to ``accept`` and ``review`` confidence, at most 0.99. It never changes the verdict by itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from evidence_check.models import Finding, ImageReport, Status, Verdict
from evidence_check.settings import Settings

_DOUBTS = (Status.FAIL, Status.WARN, Status.ERROR)
REVIEW_CONFIDENCE = 0.5
MAX_CONFIDENCE = 0.99


@dataclass(frozen=True)
class Rules:
    reject_score: float = 0.8
    review_risk: float = 0.3
    review_when_unknown: frozenset[str] = frozenset({"timestamp"})
    provenance_bonus: float = 0.15
    corroboration_bonus: float = 0.05

    @classmethod
    def from_settings(cls, settings: Settings) -> Rules:
        return cls(
            reject_score=settings.reject_score,
            review_risk=settings.review_risk,
            review_when_unknown=frozenset(settings.review_when_unknown),
            provenance_bonus=settings.provenance_bonus,
            corroboration_bonus=settings.corroboration_bonus,
        )


DEFAULT_RULES = Rules()


@dataclass(frozen=True)
class Basis:
    """Which rule decided a verdict, and on which finding: the first thing an agent reads."""

    rule: str  # strong_fail | doubt | unknown_look | risk | unreadable | challenge_passed | consistent
    check: str | None = None
    code: str | None = None
    filename: str | None = None
    values: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "check": self.check,
            "code": self.code,
            "filename": self.filename,
            **dict(self.values),
        }


def photo_risk(findings: Mapping[str, Finding]) -> float:
    remaining = 1.0
    for finding in findings.values():
        remaining *= 1.0 - finding.score
    return round(1.0 - remaining, 4)


def photo_verdict(findings: Mapping[str, Finding], rules: Rules = DEFAULT_RULES) -> Verdict:
    return photo_decision(findings, rules)[0]


def photo_decision(findings: Mapping[str, Finding], rules: Rules = DEFAULT_RULES) -> tuple[Verdict, Basis]:
    strong = _worst(
        (name, f) for name, f in findings.items() if f.status is Status.FAIL and f.score >= rules.reject_score
    )
    if strong is not None:
        return Verdict.REJECT, Basis(
            "strong_fail", strong[0], strong[1].code, values={"score": strong[1].score}
        )
    doubt = _worst((name, f) for name, f in findings.items() if f.status in _DOUBTS)
    if doubt is not None:
        return Verdict.REVIEW, Basis(
            "doubt", doubt[0], doubt[1].code, values={"status": doubt[1].status.value}
        )
    for name in sorted(rules.review_when_unknown):
        finding = findings.get(name)
        if finding is not None and finding.status is Status.UNKNOWN:
            return Verdict.REVIEW, Basis("unknown_look", name, finding.code)
    risk = photo_risk(findings)
    if risk >= rules.review_risk:
        return Verdict.REVIEW, Basis("risk", values={"risk": risk, "review_risk": rules.review_risk})
    return Verdict.ACCEPT, Basis("consistent")


def claim_decision(images: Iterable[ImageReport], rules: Rules = DEFAULT_RULES) -> tuple[Verdict, Basis]:
    images = list(images)
    readable = [image for image in images if image.error is None]
    decisions = [(image, *photo_decision(image.findings, rules)) for image in readable]
    for image, verdict, basis in decisions:
        if verdict is Verdict.REJECT:
            return verdict, _named(basis, image)
    if not readable:
        return Verdict.REVIEW, Basis("unreadable", filename=images[0].filename if images else None)
    challenged = _challenge_passed(readable)
    for image, verdict, basis in decisions:
        if verdict is Verdict.REVIEW and not (challenged and _only_unknowns(image.findings)):
            return verdict, _named(basis, image)
    unreadable = next((image for image in images if image.error is not None), None)
    if unreadable is not None:
        return Verdict.REVIEW, Basis("unreadable", filename=unreadable.filename)
    if challenged and any(v is Verdict.REVIEW for _, v, _ in decisions):
        return Verdict.ACCEPT, Basis("challenge_passed", "challenge")
    return Verdict.ACCEPT, Basis("consistent")


def settled(images: Iterable[ImageReport]) -> list[ImageReport]:
    """The photos again, those whose only doubts were unknowns marked ``accept`` when a retake
    challenge of the claim passed — so that each photo's verdict agrees with the claim's."""
    images = list(images)
    if not _challenge_passed(image for image in images if image.error is None):
        return images
    return [
        replace(image, verdict=Verdict.ACCEPT)
        if image.error is None and image.verdict is Verdict.REVIEW and _only_unknowns(image.findings)
        else image
        for image in images
    ]


def claim_risk(images: Iterable[ImageReport]) -> float:
    return max((image.risk for image in images if image.error is None), default=0.0)


def confidence(verdict: Verdict, images: Iterable[ImageReport], rules: Rules = DEFAULT_RULES) -> float:
    readable = [image for image in images if image.error is None]
    findings = [(name, f) for image in readable for name, f in image.findings.items()]
    if verdict is Verdict.REJECT:
        strong = sorted(
            (f.score for _, f in findings if f.status is Status.FAIL and f.score >= rules.reject_score),
            reverse=True,
        )
        checks = {name for name, f in findings if f.status is Status.FAIL and f.score >= rules.reject_score}
        if not strong:
            return REVIEW_CONFIDENCE
        return round(min(MAX_CONFIDENCE, strong[0] + rules.corroboration_bonus * (len(checks) - 1)), 4)
    bonus = rules.provenance_bonus if provenance(readable) else 0.0
    if verdict is Verdict.REVIEW or not findings:
        return round(min(MAX_CONFIDENCE, REVIEW_CONFIDENCE + bonus), 4)
    passed = sum(1 for _, f in findings if f.status is Status.PASS) / len(findings)
    return round(min(MAX_CONFIDENCE, (1.0 - claim_risk(readable)) * (0.6 + 0.4 * passed) + bonus), 4)


def provenance(images: Iterable[ImageReport]) -> list[str]:
    """What vouches for how the photos were taken: a trusted C2PA capture, a passed retake challenge."""
    found = []
    for image in images:
        integrity = image.findings.get("integrity")
        if integrity is not None and _c2pa_trusted(integrity.details):
            found.append("c2pa_trusted")
        challenge = image.findings.get("challenge")
        if challenge is not None and challenge.status is Status.PASS:
            found.append("challenge_passed")
    return sorted(set(found))


def _c2pa_trusted(details: Mapping[str, Any]) -> bool:
    # The integrity check's details are read defensively: the keys may be absent or shaped otherwise.
    if details.get("provenance_trusted") is True:
        return True
    c2pa = details.get("c2pa")
    return isinstance(c2pa, Mapping) and str(c2pa.get("state", "")).lower() == "trusted"


def _challenge_passed(images: Iterable[ImageReport]) -> bool:
    return "challenge_passed" in provenance(images)


def _only_unknowns(findings: Mapping[str, Finding]) -> bool:
    return not any(f.status in _DOUBTS for f in findings.values())


def _worst(items: Iterable[tuple[str, Finding]]) -> tuple[str, Finding] | None:
    order = {Status.FAIL: 0, Status.ERROR: 1, Status.WARN: 2}
    ranked = sorted(items, key=lambda item: (order.get(item[1].status, 3), -item[1].score))
    return ranked[0] if ranked else None


def _named(basis: Basis, image: ImageReport) -> Basis:
    return Basis(basis.rule, basis.check, basis.code, image.filename, basis.values)
