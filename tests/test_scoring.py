"""The scoring rules of scoring.py, one row per rule: findings in, verdict / basis / confidence out."""

from __future__ import annotations

import pytest

from evidence_check import scoring
from evidence_check.checks.relevance import rules
from evidence_check.models import Finding, ImageReport, Status, Verdict
from evidence_check.settings import Settings


def f(status: str, score: float = 0.0, code: str = "x", details: dict | None = None) -> Finding:
    return Finding(Status(status), score, code, {}, details or {})


def looks(**overrides: Finding) -> dict[str, Finding]:
    base = {
        "timestamp": f("pass", code="timestamp.inside"),
        "reuse": f("pass", code="reuse.not_seen"),
        "relevance": f("unknown", code="relevance.no_catalog"),
        "location": f("unknown", code="location.no_region"),
        "integrity": f("pass", code="integrity.no_traces"),
    }
    return base | overrides


def image(findings: dict[str, Finding], name: str = "p.jpg") -> ImageReport:
    return ImageReport(
        image_id=name,
        filename=name,
        error=None,
        verdict=scoring.photo_verdict(findings),
        risk=scoring.photo_risk(findings),
        findings=findings,
    )


UNREADABLE = ImageReport(None, "bad.jpg", "damaged", Verdict.REVIEW, 0.0, {})

# findings of one photo, expected verdict, expected basis rule
PHOTO_TABLE = [
    ("all_consistent", looks(), Verdict.ACCEPT, "consistent"),
    ("strong_fail_taken_before_order", looks(timestamp=f("fail", 0.9)), Verdict.REJECT, "strong_fail"),
    ("strong_fail_other_customer", looks(reuse=f("fail", 0.95)), Verdict.REJECT, "strong_fail"),
    ("strong_fail_ai_marker", looks(integrity=f("fail", 0.85)), Verdict.REJECT, "strong_fail"),
    ("weak_fail_is_review", looks(relevance=f("fail", 0.6)), Verdict.REVIEW, "doubt"),
    ("warn_is_review", looks(integrity=f("warn", 0.4)), Verdict.REVIEW, "doubt"),
    ("error_is_review", looks(relevance=f("error")), Verdict.REVIEW, "doubt"),
    ("missing_capture_time_is_review", looks(timestamp=f("unknown", 0.15)), Verdict.REVIEW, "unknown_look"),
    # Even an unknown that scores high is never a reject: missing metadata is no proof.
    (
        "high_scoring_unknown_never_rejects",
        looks(timestamp=f("unknown", 0.99)),
        Verdict.REVIEW,
        "unknown_look",
    ),
    (
        "a_look_that_could_check_and_could_not_confirm",
        looks(relevance=f("unknown", rules.UNKNOWN_SCORE, "relevance.not_found")),
        Verdict.REVIEW,
        "risk",
    ),
    (
        "unknowns_adding_up_to_risk",
        looks(relevance=f("unknown", 0.2), location=f("unknown", 0.2)),
        Verdict.REVIEW,
        "risk",
    ),
    (
        "nothing_to_check_against_is_no_doubt",
        looks(relevance=f("unknown", 0.0, "relevance.no_catalog"), location=f("unknown", 0.0)),
        Verdict.ACCEPT,
        "consistent",
    ),
    ("unknown_relevance_alone_accepts", looks(relevance=f("unknown", 0.0)), Verdict.ACCEPT, "consistent"),
]


@pytest.mark.parametrize(
    ("findings", "verdict", "rule"), [row[1:] for row in PHOTO_TABLE], ids=[r[0] for r in PHOTO_TABLE]
)
def test_photo_rules(findings: dict[str, Finding], verdict: Verdict, rule: str) -> None:
    got, basis = scoring.photo_decision(findings)
    assert (got, basis.rule) == (verdict, rule)


def test_when_one_photo_fails_strongly_then_the_claim_is_rejected_on_that_photo() -> None:
    images = [image(looks(), "a.jpg"), image(looks(reuse=f("fail", 0.95, "reuse.other_customer")), "b.jpg")]
    verdict, basis = scoring.claim_decision(images)
    assert verdict is Verdict.REJECT
    assert (basis.check, basis.code, basis.filename) == ("reuse", "reuse.other_customer", "b.jpg")


def test_when_a_photo_is_unreadable_then_the_claim_needs_review() -> None:
    assert scoring.claim_decision([image(looks()), UNREADABLE])[0] is Verdict.REVIEW
    assert scoring.claim_decision([UNREADABLE])[1].rule == "unreadable"


def test_when_the_retake_challenge_passes_then_missing_metadata_no_longer_holds_the_claim() -> None:
    retake = looks(timestamp=f("unknown", 0.15)) | {"challenge": f("pass", code="challenge.code_found")}
    earlier = looks(timestamp=f("unknown", 0.15)) | {
        "challenge": f("unknown", code="challenge.earlier_photo")
    }
    verdict, basis = scoring.claim_decision([image(earlier, "a.jpg"), image(retake, "b.jpg")])
    assert (verdict, basis.rule) == (Verdict.ACCEPT, "challenge_passed")


def test_when_the_retake_challenge_passes_then_a_warning_still_needs_review() -> None:
    retake = looks(integrity=f("warn", 0.4)) | {"challenge": f("pass", code="challenge.code_found")}
    assert scoring.claim_decision([image(retake)])[0] is Verdict.REVIEW


def test_when_a_trusted_c2pa_capture_is_present_then_confidence_rises() -> None:
    plain = [image(looks())]
    trusted = [image(looks(integrity=f("pass", details={"c2pa": {"state": "trusted"}})))]
    odd_shape = [image(looks(integrity=f("pass", details={"c2pa": "trusted"})))]
    base = scoring.confidence(Verdict.ACCEPT, plain)
    assert scoring.confidence(Verdict.ACCEPT, trusted) == pytest.approx(base + 0.15)
    assert scoring.confidence(Verdict.ACCEPT, odd_shape) == base  # details read defensively
    assert scoring.provenance(trusted) == ["c2pa_trusted"]


def test_when_two_checks_fail_strongly_then_reject_confidence_is_higher_than_one() -> None:
    one = [image(looks(timestamp=f("fail", 0.9)))]
    two = [image(looks(timestamp=f("fail", 0.9), reuse=f("fail", 0.9)))]
    assert scoring.confidence(Verdict.REJECT, two) > scoring.confidence(Verdict.REJECT, one) == 0.9


def test_when_a_tenant_overrides_the_reject_score_then_its_fails_are_judged_by_it() -> None:
    settings = Settings(tenant_overrides={"strict-shop": {"reject_score": 0.95}})
    findings = looks(timestamp=f("fail", 0.9))
    default = scoring.Rules.from_settings(settings.for_tenant("other-shop"))
    strict = scoring.Rules.from_settings(settings.for_tenant("strict-shop"))
    assert scoring.photo_verdict(findings, default) is Verdict.REJECT
    assert scoring.photo_verdict(findings, strict) is Verdict.REVIEW


@pytest.mark.parametrize(
    "overrides",
    [{"shop": {"reject_score": 3}}, {"shop": {"db": "sqlite://"}}, {"shop": {"review_risk": 0}}],
    ids=["out_of_bounds", "not_tunable_per_tenant", "below_lower_bound"],
)
def test_when_a_tenant_override_is_invalid_then_settings_refuse_it(overrides: dict) -> None:
    with pytest.raises(ValueError, match="tenant_overrides"):
        Settings(tenant_overrides=overrides)
