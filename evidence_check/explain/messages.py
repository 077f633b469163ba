"""Sentences an agent can read out, keyed by the stable finding codes of the checks.

Parameters whose name ends in ``_hours`` are durations and are written out in the reader's
language (`duration`: "3 days", "3 天") under the name without the suffix. A parameter whose name ends in
``_zh`` is the one without the suffix in Chinese; the location look's keys (a place on the product,
a zone's cause) are worded by `location.WORDS`, the reuse look's (which claim names no customer) by
`reuse.WORDS`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from evidence_check.checks import registry
from evidence_check.explain import (
    challenge,
    common,
    integrity,
    location,
    relevance,
    reuse,
    timestamp,
    verdict,
)

LANGUAGES = ("en", "zh")

# Each check's sentences live beside each other in a module of their own.
SUMMARIES: dict[str, tuple[str, str]] = {
    **common.SUMMARIES,
    **timestamp.SUMMARIES,
    **reuse.SUMMARIES,
    **relevance.SUMMARIES,
    **location.SUMMARIES,
    **integrity.SUMMARIES,
    **challenge.SUMMARIES,
}

# Sentences of a code said instead of its own when one of the finding's params has a value:
# (code, param, value) -> sentence.
VARIANTS: dict[tuple[str, str, str], tuple[str, str]] = {**reuse.VARIANTS}

# A finding code ending in "_weak" is the same conclusion drawn from the file name alone.
WEAK_PREFIX = (
    "Going only by the file name (the file has no capture time): ",
    "仅根据文件名判断（文件中没有拍摄时间）：",
)

NEXT_STEPS: dict[str, tuple[str, str]] = {
    **location.NEXT_STEPS,
    "ask_original": (
        "Ask for the original photo file from the phone's gallery, sent as a file rather than through "
        "a chat app, so that its capture time is kept.",
        "请客户从手机相册发送原图文件（以文件形式发送，不要经聊天软件压缩），以保留拍摄时间。",
    ),
    "ask_new_photo": (
        "Ask for a new photo of the item, taken now, from another angle.",
        "请客户现在从另一个角度重新拍摄商品照片。",
    ),
    "compare_claim_customers": (
        "Compare the customer of claim {ref_id} with this claim's in your own system, and ask the "
        "intake system to send a customer id with every claim.",
        "请在贵方系统中核对售后申请 {ref_id} 与本次申请的客户是否相同，并请接入系统在每次申请中提供客户编号。",
    ),
    "ask_unedited_original": (
        "Ask for the photo exactly as the camera saved it, from the phone's gallery, sent as a file and "
        "not edited, cropped or filtered.",
        "请客户从手机相册发送相机拍摄的原始照片文件，不要编辑、裁剪或加滤镜。",
    ),
    "ask_full_size_photo": (
        "Ask for the photo at the size the phone's camera took it, from the phone's gallery, sent as a "
        "file: a photo of {width} x {height} pixels cannot be judged.",
        "请客户从手机相册以文件形式发送相机拍摄时的原尺寸照片：{width} x {height} 像素的照片无法判断。",
    ),
    "ask_camera_photo": (
        "Ask for a photo of the item itself, taken with the phone's camera now: not a screenshot, not "
        "a picture of a screen, not a generated image.",
        "请客户现在用手机相机直接拍摄商品本身：不要截图、不要翻拍屏幕、不要使用生成的图片。",
    ),
    "ask_label_photo": (
        "Ask for a sharp, well-lit photo of the whole item that shows its front label or logo.",
        "请客户拍一张清晰、光线充足、能看到商品正面标签或商标的完整照片。",
    ),
    # The seed's own case: a photo of another brand's bag, because the customer mixed up two orders.
    "ask_item_of_this_order": (
        "Ask the customer whether the item photographed came in this order (orders get mixed up) and "
        "for a photo of the one that did, showing its label; if another product arrived, handle the "
        "claim as a wrong item.",
        "请向客户确认照片中的商品是否来自本订单（多个订单容易混淆），并请客户拍摄本订单收到的商品、露出标签；"
        "如果收到的是其他商品，请按发错货处理。",
    ),
    "ask_which_variant": (
        "Ask for a close photo of the label that names the variant (flavour, size or colour).",
        "请客户近距离拍摄标明款式（口味、规格或颜色）的标签。",
    ),
    "add_catalog_images": (
        "Add catalog images of this product ({catalog_action}) so photos can be compared with it.",
        "请为该商品添加商品图（{catalog_action}），以便比对照片。",
    ),
    "ask_resend": (
        "Ask the customer to send the unreadable photo again.",
        "请客户重新发送无法读取的照片。",
    ),
    "ask_challenge_retake": (
        "Ask for a new photo, taken now, with the code {code} written clearly on paper and lying beside the item in good light.",
        "请客户现在重新拍一张照片：把验证码 {code} 清楚地写在纸上，放在商品旁边，在光线充足处拍摄。",
    ),
    "issue_challenge": (
        "If doubt remains, issue a retake challenge ({challenge_action}): the customer writes the code it gives on paper and photographs it beside the item.",
        "如仍有疑问，可发起补拍验证（{challenge_action}）：请客户把生成的验证码写在纸上，放在商品旁边拍照。",
    ),
}

# What a next step asks the agent to do, named as the agent's tool does it: the command on the
# command line, the endpoint for a client of the HTTP API.
ACTIONS: dict[str, dict[str, str]] = {
    "cli": {
        "challenge_action": "evidence-check challenge {claim_id}",
        "catalog_action": "evidence-check catalog add {sku} IMAGE...",
    },
    "api": {
        "challenge_action": "POST /v1/claims/{claim_id}/challenge",
        "catalog_action": "POST /v1/catalog/{sku}/images",
    },
    "console": {
        "challenge_action": "the “Issue a retake challenge” button",
        "catalog_action": "the Catalog page",
    },
}
# The console's buttons in Chinese: actions named in the agent's language.
ACTIONS_ZH = {"console": {"challenge_action": "“发出补拍验证码”按钮", "catalog_action": "商品目录页面"}}

# (English singular, English plural, Chinese) for minutes, hours, days and years.
_UNITS = (("minute", "minutes", "分钟"), ("hour", "hours", "小时"), ("day", "days", "天"), ("year", "years", "年"))


def summary(code: str, params: Mapping[str, Any], lang: str = "en") -> str:
    index = _index(lang)
    prefix = ""
    key = code
    if code not in SUMMARIES and code.endswith("_weak"):
        key = code[: -len("_weak")]
        prefix = WEAK_PREFIX[index]
    template = _template(key, params)
    if template is None:
        return code
    values = _words(params, lang)
    try:
        text = template[index].format(**values)
    except (KeyError, IndexError, ValueError):
        text = template[index]
    return prefix + (text[0].lower() + text[1:] if prefix and index == 0 else text)


def _template(code: str, params: Mapping[str, Any]) -> tuple[str, str] | None:
    for (code_of, name, value), sentence in VARIANTS.items():
        if code_of == code and str(params.get(name)) == value:
            return sentence
    return SUMMARIES.get(code)


def next_step_text(
    code: str, lang: str = "en", params: Mapping[str, Any] | None = None, channel: str = "cli"
) -> str:
    texts = NEXT_STEPS.get(code)
    if not texts:
        return code
    values = dict(params or {})
    values.setdefault("claim_id", "CLAIM")
    values.setdefault("sku", "SKU")
    actions = ACTIONS.get(channel, ACTIONS["cli"])
    if lang == "zh":
        actions = {**actions, **ACTIONS_ZH.get(channel, {})}
    for name, action in actions.items():
        values[name] = action.format(claim_id=values["claim_id"], sku=values["sku"] or "SKU")
    try:
        return texts[_index(lang)].format(**values)
    except (KeyError, IndexError, ValueError):
        return texts[_index(lang)]


def basis_text(basis: Mapping[str, Any], lang: str = "en") -> str:
    """The one sentence that says which rule decided the verdict, with its numbers."""
    template = verdict.BASIS.get(str(basis.get("rule")))
    if template is None:
        return ""
    index = _index(lang)
    check = basis.get("check")
    filename = basis.get("filename")
    where = ("" if not filename else f" in {filename}", "" if not filename else f"（{filename}）")[index]
    values = {
        "check": registry.label(str(check), lang),
        "where": where,
        "score": f"{float(basis.get('score', 0)):.2f}",
        "risk": f"{float(basis.get('risk', 0)):.2f}",
        "review_risk": f"{float(basis.get('review_risk', 0)):.2f}",
    }
    return template[index].format(**values)


def duration(hours: float, lang: str = "en") -> str:
    """The one wording of a duration, for the report's sentences, the printable page and the console:
    '20 days' / '20 天'. Counted down, never rounded up: 20 days and 14 hours is '20 days' (full
    days elapsed), so a figure handed over in a dispute is never longer than the check measured.
    Not calendar days: those depend on the zone the dates are read in, and the console, the
    printable page and the report read them in different zones. Hours (with their minutes) up to two days and days up to two years, where
    '1 day' would hide most of 47 hours and '1 year' most of 700 days."""
    # The checks give durations to the hundredth of an hour; the exact gap is taken to the same
    # hundredth first, so that a timeline's gap and the sentence's never fall on different sides
    # of a whole day.
    hours = max(0.0, round(hours, 2))
    if hours < 1:
        count, unit = max(1, math.floor(hours * 60)), _UNITS[0]
    elif hours < 48:
        # With its minutes: "24 hours" past a 24-hour claim window would read as inside it.
        whole = math.floor(hours)
        minutes = math.floor(round((hours - whole) * 60, 6))
        if minutes:
            return _counted(whole, _UNITS[1], lang) + " " + _counted(minutes, _UNITS[0], lang)
        count, unit = whole, _UNITS[1]
    elif hours < 24 * 730:
        count, unit = math.floor(hours / 24), _UNITS[2]
    else:
        # Years to the tenth, counted down too: '2 years' would hide most of 2.9.
        years = math.floor(hours / 24 / 365.25 * 10) / 10
        return f"{years:.1f} {_UNITS[3][2] if lang == 'zh' else _UNITS[3][1]}"
    return _counted(count, unit, lang)


def _counted(count: int, unit: tuple[str, str, str], lang: str) -> str:
    one, many, chinese = unit
    return f"{count} {chinese}" if lang == "zh" else f"{count} {one if count == 1 else many}"


def _words(params: Mapping[str, Any], lang: str) -> dict[str, Any]:
    values = dict(params)
    for name, value in params.items():
        if name.endswith("_hours") and isinstance(value, int | float):
            values[name[: -len("_hours")]] = duration(float(value), lang)
        elif name.endswith("_zh") and lang == "zh" and value:
            values[name[: -len("_zh")]] = value
    for name, words in (location.WORDS | reuse.WORDS).items():
        word = words.get(str(params.get(name)))
        if word is not None:
            values[name] = word[_index(lang)]
    return values


def _index(lang: str) -> int:
    return 1 if lang == "zh" else 0
