"""The report as clients see it: the JSON of docs/contract.md, with sentences in the claim's language."""

from __future__ import annotations

from typing import Any

from evidence_check.explain import next_step_text, summary
from evidence_check.models import CHECK_NAMES, SCHEMA, Finding, ImageReport, Report, Status

_SEVERITY = {Status.FAIL: 0, Status.ERROR: 1, Status.WARN: 2, Status.UNKNOWN: 3, Status.PASS: 4}


def to_dict(report: Report, lang: str | None = None) -> dict[str, Any]:
    lang = lang or report.claim.lang
    claim = report.claim
    return {
        "schema": SCHEMA,
        "claim_id": claim.claim_id,
        "sku": claim.sku,
        "customer_id": claim.customer_id,
        "reason": claim.reason.value,
        "verdict": report.verdict.value,
        "risk": round(report.risk, 4),
        "confidence": round(report.confidence, 4),
        "reasons": reasons(report, lang),
        "next_steps": next_steps(report, lang),
        "created_at": report.created_at.isoformat(),
        "timeline": {
            name: (value.isoformat() if value else None) for name, value in vars(claim.timeline).items()
        },
        "images": [_image(image, lang) for image in report.images],
    }


def reasons(report: Report, lang: str) -> list[str]:
    """Every sentence of every photo, the most serious first; names the photo when there are several."""
    several = len(report.images) > 1
    ranked: list[tuple[int, float, str]] = []
    for image in report.images:
        if image.error is not None:
            text = summary("image.unreadable", {"filename": image.filename, "error": image.error}, lang)
            ranked.append((1, 1.0, text))
            continue
        for finding in image.findings.values():
            text = summary(finding.code, finding.params, lang)
            if several:
                text = f"{image.filename}: {text}"
            ranked.append((_SEVERITY[finding.status], -finding.score, text))
    ranked.sort(key=lambda item: (item[0], item[1]))
    return list(dict.fromkeys(text for _, _, text in ranked))


def next_steps(report: Report, lang: str) -> list[str]:
    codes: list[str] = []
    findings = sorted(
        (f for image in report.images for f in image.findings.values() if f.next_step),
        key=lambda f: (_SEVERITY[f.status], -f.score),
    )
    if any(image.error for image in report.images):
        codes.append("ask_resend")
    for finding in findings:
        assert finding.next_step is not None
        if finding.next_step not in codes:
            codes.append(finding.next_step)
    return [next_step_text(code, lang) for code in codes]


def _image(image: ImageReport, lang: str) -> dict[str, Any]:
    return {
        "image_id": image.image_id,
        "filename": image.filename,
        "error": image.error,
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
    }
