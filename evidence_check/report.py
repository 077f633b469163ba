"""The report as clients see it: the JSON of docs/contract.md, with sentences in the claim's language."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from evidence_check import scoring
from evidence_check.checks.registry import CHECK_NAMES, ORDER
from evidence_check.errors import ERRORS, WordedError, worded
from evidence_check.explain import basis_text, next_step_text, summary
from evidence_check.models import (
    SCHEMA,
    Claim,
    ClaimReason,
    Finding,
    ImageReport,
    Report,
    Status,
    Timeline,
    Verdict,
    WantedOutcome,
)

_SEVERITY = {Status.FAIL: 0, Status.ERROR: 1, Status.WARN: 2, Status.UNKNOWN: 3, Status.PASS: 4}


def to_dict(report: Report, lang: str | None = None, channel: str = "cli", recorded: bool = True) -> dict[str, Any]:
    """`channel` names the agent's tool (`cli` or `api`), which next steps name their actions in."""
    lang = lang or report.claim.lang
    claim = report.claim
    return {
        "schema": SCHEMA,
        "claim_id": claim.claim_id,
        "sku": claim.sku,
        "customer_id": claim.customer_id,
        "order_id": claim.order_id,
        "reason": claim.reason.value,
        "wanted": claim.wanted.value if claim.wanted else None,
        "verdict": report.verdict.value,
        "risk": round(report.risk, 4),
        "confidence": round(report.confidence, 4),
        "verdict_basis": {**dict(report.basis), "summary": basis_text(report.basis, lang)},
        "provenance": scoring.provenance(report.images),
        "reasons": reasons(report, lang),
        "next_steps": next_steps(report, lang, channel, recorded),
        "created_at": report.created_at.isoformat(),
        "timeline": {
            name: (value.isoformat() if value else None) for name, value in vars(claim.timeline).items()
        },
        "images": [_image(image, lang) for image in report.images],
    }


def reasons(report: Report, lang: str) -> list[str]:
    """Every sentence of every photo, the most serious first (status, then score, then look).

    With several photos each sentence names its photos; one said of several photos is said once.
    """
    several = len(report.images) > 1
    ranked: dict[str, tuple[tuple[int, float, int], list[str]]] = {}
    for image in report.images:
        if image.error is not None:
            said = {"filename": image.filename, "error": worded(image.error, lang)}
            text = summary("image.unreadable", said, lang)
            ranked.setdefault(text, ((1, -1.0, 0), []))
            continue
        for name, finding in image.findings.items():
            text = summary(finding.code, finding.params, lang)
            rank = (_SEVERITY[finding.status], -finding.score, ORDER.get(name, len(ORDER)))
            known_rank, names = ranked.setdefault(text, (rank, []))
            ranked[text] = (min(known_rank, rank), names + [image.filename])
    ordered = sorted(ranked.items(), key=lambda item: item[1][0])
    separator = "、" if lang == "zh" else ", "
    return [
        f"{separator.join(dict.fromkeys(names))}: {text}" if several and names else text
        for text, (_, names) in ordered
    ]


def next_steps(report: Report, lang: str, channel: str = "cli", recorded: bool = True) -> list[str]:
    """Concrete asks, the most serious first; a retake challenge is offered while doubt remains."""
    steps: dict[str, dict[str, Any]] = {}
    findings = sorted(
        (f for image in report.images for f in image.findings.values() if f.next_step),
        key=lambda f: (_SEVERITY[f.status], -f.score),
    )
    if any(image.error for image in report.images):
        steps["ask_resend"] = {}
    for finding in findings:
        assert finding.next_step is not None
        steps.setdefault(finding.next_step, dict(finding.params))
    challenged = any("challenge" in image.findings for image in report.images)
    # A challenge is issued for a recorded claim: an analysis kept nowhere cannot be challenged.
    if report.verdict is not Verdict.ACCEPT and not challenged and recorded:
        steps["issue_challenge"] = {"claim_id": report.claim.claim_id}
    claim = {"claim_id": report.claim.claim_id, "sku": report.claim.sku}
    return [next_step_text(code, lang, claim | params, channel) for code, params in steps.items()]


def _image(image: ImageReport, lang: str) -> dict[str, Any]:
    error = image.error
    return {
        "image_id": image.image_id,
        "filename": image.filename,
        "error": worded(image.error, lang),
        # What the error's line is made from, so a stored report can be read in another language.
        **({"error_code": error.code, "error_params": dict(error.params)} if isinstance(error, WordedError) else {}),
        "verdict": image.verdict.value,
        "risk": round(image.risk, 4),
        "checks": {
            name: _finding(image.findings[name], lang) for name in CHECK_NAMES if name in image.findings
        }
        | {name: _finding(f, lang) for name, f in image.findings.items() if name not in CHECK_NAMES},
    }


def _finding(finding: Finding, lang: str) -> dict[str, Any]:
    return {
        "status": finding.status.value,
        "score": round(finding.score, 4),
        "summary": summary(finding.code, finding.params, lang),
        "code": finding.code,
        "details": dict(finding.details),
        # What the sentences are made from, so a stored report can be read in another language.
        "params": dict(finding.params),
        "next_step": finding.next_step,
    }


def in_language(body: dict[str, Any], lang: str, channel: str = "cli") -> dict[str, Any]:
    """A stored report's sentences written again in `lang`; the measurements stay as recorded.

    Reports stored without their findings' `params` are returned as they are.
    """
    findings = [f for image in body.get("images", []) for f in image.get("checks", {}).values()]
    if not findings or any("params" not in f for f in findings):
        return body
    try:
        report = _from_dict(body)
    except (KeyError, ValueError, TypeError):
        return body
    fresh = to_dict(report, lang, channel)
    # Keys a newer service added and this one does not write stay as recorded.
    return {**body, **fresh}


def _error(image: dict[str, Any]) -> WordedError | str | None:
    """A stored photo's error as it was raised, when its code is one this service words."""
    if image.get("error_code") in ERRORS:
        return WordedError(image["error_code"], **image.get("error_params", {}))
    return image["error"]


def _from_dict(body: dict[str, Any]) -> Report:
    timeline = Timeline(
        **{name: datetime.fromisoformat(value) for name, value in body["timeline"].items() if value}
    )
    claim = Claim(
        claim_id=body["claim_id"],
        timeline=timeline,
        customer_id=body.get("customer_id"),
        sku=body.get("sku"),
        reason=ClaimReason(body["reason"]),
        order_id=body.get("order_id"),
        wanted=WantedOutcome(body["wanted"]) if body.get("wanted") else None,
    )
    images = tuple(
        ImageReport(
            image_id=image["image_id"],
            filename=image["filename"],
            error=_error(image),
            verdict=Verdict(image["verdict"]),
            risk=float(image["risk"]),
            findings={
                name: Finding(
                    status=Status(f["status"]),
                    score=float(f["score"]),
                    code=f["code"],
                    params=f["params"],
                    details=f["details"],
                    next_step=f.get("next_step"),
                )
                for name, f in image["checks"].items()
            },
        )
        for image in body["images"]
    )
    basis = {k: v for k, v in body.get("verdict_basis", {}).items() if k != "summary"}
    return Report(
        claim=claim,
        verdict=Verdict(body["verdict"]),
        risk=float(body["risk"]),
        confidence=float(body["confidence"]),
        images=images,
        created_at=datetime.fromisoformat(body["created_at"]),
        basis=basis,
    )
