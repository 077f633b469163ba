"""The report as text for a terminal: the verdict and the reasons first, the per-photo detail after."""

from __future__ import annotations

from typing import Any

_COLOURS = {
    "accept": "32",
    "review": "33",
    "reject": "31",
    "pass": "32",
    "warn": "33",
    "fail": "31",
    "error": "35",
}
VERDICT_WORDS = {
    "en": {"accept": "ACCEPT", "review": "REVIEW", "reject": "REJECT"},
    "zh": {"accept": "通过 (accept)", "review": "人工审核 (review)", "reject": "拒绝 (reject)"},
}
_HEADINGS = {
    "en": ("Claim", "verdict", "risk", "confidence", "Reasons", "Next steps", "Photos", "none"),
    "zh": ("售后申请", "结论", "风险", "置信度", "理由", "下一步", "照片", "无"),
}


def render_text(body: dict[str, Any], lang: str = "en", colour: bool = False) -> str:
    claim, verdict_word, risk_word, confidence_word, reasons_h, steps_h, photos_h, none = _HEADINGS.get(
        lang, _HEADINGS["en"]
    )

    def paint(text: str, key: str) -> str:
        code = _COLOURS.get(key)
        return f"\x1b[{code}m{text}\x1b[0m" if colour and code else text

    colon = "：" if lang == "zh" else ":"
    verdict = body["verdict"]
    verdict_text = VERDICT_WORDS.get(lang, VERDICT_WORDS["en"]).get(verdict, verdict.upper())
    head = f"{claim} {body['claim_id']}"
    if body.get("sku"):
        head += f" · SKU {body['sku']}"
    lines = [
        f"{head}: {verdict_word} {paint(verdict_text, verdict)} · {risk_word} {body['risk']:.2f}"
        f" · {confidence_word} {body['confidence']:.2f}",
    ]
    # Reports stored before the basis existed have none; they still render.
    basis = (body.get("verdict_basis") or {}).get("summary")
    if basis:
        lines.append(basis)
    lines += ["", f"{reasons_h}{colon}"]
    lines += [f"  - {reason}" for reason in body["reasons"]] or [f"  {none}"]
    lines += ["", f"{steps_h}{colon}"]
    lines += [f"  - {step}" for step in body["next_steps"]] or [f"  {none}"]
    lines += ["", f"{photos_h}{colon}"]
    for image in body["images"]:
        label = f"{image['filename']}  {paint(image['verdict'], image['verdict'])}"
        if image["error"]:
            lines.append(f"  {label}  {image['error']}")
            continue
        lines.append(f"  {label}  {risk_word} {image['risk']:.2f}  ({(image['image_id'] or '')[:12]})")
        for name, finding in image["checks"].items():
            status = paint(f"{finding['status']:<7}", finding["status"])
            lines.append(f"    {name:<10} {status} {finding['summary']}")
    return "\n".join(lines) + "\n"
