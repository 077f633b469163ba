"""The report as one self-contained HTML file, printable for a dispute file.

Everything is inside the file: photo thumbnails as data URIs of the working copy (never the
original bytes, so no metadata travels with them), the timeline as inline SVG, styles inline.
GPS coordinates are left out of the page unless `show_gps` is set (setting ``html_show_gps``):
any detail whose name speaks of GPS or latitude/longitude is dropped before rendering.

Evidence images: the pictures a check matched (`render.matched`: the catalog image for relevance,
the earlier claim's, listing, stock or review picture for reuse) are shown beside the photo when
the caller passes their thumbnails (`evidence`, by image id).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, select_autoescape
from PIL import Image

from evidence_check.checks import registry
from evidence_check.explain import messages
from evidence_check.imaging.preview import jpeg_uri, preview_jpeg
from evidence_check.render.matched import matched_in
from evidence_check.render.text import VERDICT_WORDS

THUMBNAIL_SIDE = 480
_GPS_WORDS = ("gps", "latitude", "longitude", "coordinates", "geo")

_ENV = Environment(
    loader=PackageLoader("evidence_check.render", "templates"),
    autoescape=select_autoescape(["html", "j2"]),
    trim_blocks=True,
    lstrip_blocks=True,
)

WORDS = {
    "en": {
        "reasons": "Reasons",
        "next_steps": "Next steps",
        "photos": "Photos",
        "timeline": "Timeline",
        "risk": "risk",
        "confidence": "confidence",
        "ordered": "ordered",
        "shipped": "shipped",
        "delivered": "delivered",
        "captured": "captured",
        "claimed": "claimed",
        "challenge": "challenge issued",
        "no_times": "No times to place on a timeline.",
        "looks": "The three looks",
        "checks": "Other checks",
        "details": "measured values",
        "region": "marked region",
        "evidence": "matched image",
        "provenance": "Provenance",
        "gps_hidden": "GPS coordinates are not shown in this report.",
        "generated": "Generated",
        "customer": "customer",
        "reason": "reason",
    },
    "zh": {
        "reasons": "理由",
        "next_steps": "下一步",
        "photos": "照片",
        "timeline": "时间线",
        "risk": "风险",
        "confidence": "置信度",
        "ordered": "下单",
        "shipped": "发货",
        "delivered": "签收",
        "captured": "拍摄",
        "claimed": "申请售后",
        "challenge": "发出补拍验证码",
        "no_times": "没有可放在时间线上的时间。",
        "looks": "三看",
        "checks": "其他检查",
        "details": "测量值",
        "region": "标注区域",
        "evidence": "匹配的图片",
        "provenance": "来源证明",
        "gps_hidden": "本报告不显示 GPS 坐标。",
        "generated": "生成时间",
        "customer": "客户",
        "reason": "原因",
    },
}


def render_html(
    body: dict[str, Any],
    lang: str = "en",
    thumbnails: Mapping[str, str] | None = None,
    show_gps: bool = False,
    evidence: Mapping[str, str] | None = None,
    annotated: Mapping[str, str] | None = None,
    zone: ZoneInfo | None = None,
) -> str:
    """`thumbnails` maps image ids to data URIs (see `thumbnail_uri`); photos without one show none.
    `annotated` maps image ids to the location look's pictures (`render.annotated.annotated_uri`),
    shown in place of the thumbnail: they draw the region themselves. `zone` writes the timeline's
    dates in the reader's zone (the console's agent); without it, in the claim's own offset."""
    words = WORDS.get(lang, WORDS["en"])
    report = body if show_gps else _without_gps(body)
    pictures = {**(thumbnails or {}), **(annotated or {})}
    images = [_card(image, pictures, lang, evidence or {}, set(annotated or {})) for image in report["images"]]
    return _ENV.get_template("report.html.j2").render(
        report=report,
        lang=lang,
        words=words,
        verdict_word=VERDICT_WORDS.get(lang, VERDICT_WORDS["en"]).get(report["verdict"], report["verdict"]),
        timeline=timeline_svg(report, words, lang, zone),
        generated=_generated(report.get("created_at"), zone),
        images=images,
        show_gps=show_gps,
    )


def _generated(created_at: Any, zone: ZoneInfo | None) -> str:
    """When the report was made: in the reader's zone, named as the console names it beside its
    times, where a page printed from the console said UTC under a timeline in the agent's zone."""
    moment = _moment(created_at)
    if moment is None:
        return str(created_at or "")[:16].replace("T", " ") + " UTC"
    if zone is None:
        return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M") + " UTC"
    return f"{moment.astimezone(zone).strftime('%Y-%m-%d %H:%M')} ({zone.key})"


def thumbnail_uri(image: Image.Image, side: int = THUMBNAIL_SIDE) -> str:
    return jpeg_uri(preview_jpeg(image, side))


MILESTONES = ("ordered", "shipped", "delivered", "claimed")


def timeline_moments(report: Mapping[str, Any]) -> list[tuple[datetime, str, str, str]]:
    """What a claim's timeline shows, in time order, each once: (moment, what, the photo's file name,
    kind). `what` is a milestone (`MILESTONES`), `captured` (a photo's capture time) or `challenge`
    (a retake code issued); `kind` is `milestone`, or the timestamp look's status for a capture time.
    The printable report draws it, and the console's report page."""
    found: list[tuple[datetime, str, str, str]] = []
    for name in MILESTONES:
        moment = _moment((report.get("timeline") or {}).get(f"{name}_at"))
        if moment is not None:
            found.append((moment, name, "", "milestone"))
    for image in report.get("images", []):
        checks = image.get("checks") or {}
        stamp = checks.get("timestamp") or {}
        taken = _moment((stamp.get("details") or {}).get("taken_utc"))
        if taken is not None:
            found.append((taken, "captured", str(image.get("filename", "")), str(stamp.get("status", "unknown"))))
        issued = _moment(((checks.get("challenge") or {}).get("details") or {}).get("issued_at"))
        if issued is not None:
            found.append((issued, "challenge", "", "milestone"))
    return sorted(dict.fromkeys(found), key=lambda point: point[0])


def timeline_svg(
    report: Mapping[str, Any], words: Mapping[str, str], lang: str = "en", reader_zone: ZoneInfo | None = None
) -> str:
    """The order's milestones and each photo's capture time, in time order, as inline SVG.

    Points are spaced evenly in time order rather than to scale: an old photo taken years before
    the order would otherwise squeeze the rest into one spot. The gaps are written on the line.
    """
    # moment, label, sub-label, status class
    points = [(moment, words[what], sub, kind) for moment, what, sub, kind in timeline_moments(report)]
    # Without the reader's zone, every date is written in the zone the order's times were given in.
    zone = reader_zone or (
        next((p[0].tzinfo for p in points if p[3] == "milestone"), None) or points[0][0].tzinfo
        if points
        else None
    )
    if not points:
        return f'<p class="muted">{_escape(words["no_times"])}</p>'
    width, left, right, y = 1000, 80, 80, 40
    step = (width - left - right) / max(1, len(points) - 1)
    colours = {
        "pass": "#17803d",
        "warn": "#a15c00",
        "fail": "#b3261e",
        "unknown": "#666",
        "milestone": "#1d4f91",
    }
    parts = [
        f'<svg class="timeline" viewBox="0 0 {width} 190" role="img" xmlns="http://www.w3.org/2000/svg">',
        f'<line x1="{left}" y1="{y}" x2="{width - right}" y2="{y}" stroke="#999" stroke-width="2"/>',
    ]
    for i, (moment, label, sub, status) in enumerate(points):
        x = left + step * i if len(points) > 1 else width / 2
        if i > 0:
            gap = messages.duration((moment - points[i - 1][0]).total_seconds() / 3600, lang)
            parts.append(
                f'<text x="{x - step / 2:.0f}" y="{y - 10}" text-anchor="middle" class="gap">{_escape(gap)}</text>'
            )
        colour = colours.get(status, "#666")
        shape = (
            f'<rect x="{x - 7:.0f}" y="{y - 7}" width="14" height="14" fill="{colour}"/>'
            if status == "milestone"
            else f'<circle cx="{x:.0f}" cy="{y}" r="8" fill="{colour}"/>'
        )
        # Neighbours' labels alternate between two rows so that close points do not overlap.
        top = y + 28 + (62 if i % 2 else 0)
        parts.append(f'<line x1="{x:.0f}" y1="{y + 8}" x2="{x:.0f}" y2="{top - 14}" stroke="#ccc"/>')
        parts.append(shape)
        parts.append(
            f'<text x="{x:.0f}" y="{top}" text-anchor="middle" class="label">{_escape(label)}</text>'
        )
        parts.append(
            f'<text x="{x:.0f}" y="{top + 17}" text-anchor="middle" class="date">'
            f"{_escape(moment.astimezone(zone).strftime('%Y-%m-%d %H:%M'))}</text>"
        )
        if sub:
            parts.append(
                f'<text x="{x:.0f}" y="{top + 33}" text-anchor="middle" class="sub">{_escape(_short(sub))}</text>'
            )
    offset = points[0][0].astimezone(zone).strftime("%z")
    # A named zone changes its offset with summer time: its name says which clock the dates are on.
    named = f"{reader_zone.key} " if reader_zone is not None else ""
    parts.append(
        f'<text x="{width - right}" y="185" text-anchor="end" class="sub">'
        f"{_escape(named)}UTC{offset[:3]}:{offset[3:]}</text>"
    )
    parts.append("</svg>")
    return "".join(parts)


def _card(
    image: Mapping[str, Any], thumbnails: Mapping[str, str], lang: str, evidence: Mapping[str, str], drawn: set[str]
) -> dict[str, Any]:
    checks = image.get("checks") or {}
    location = (checks.get("location") or {}).get("details") or {}
    region = location.get("region_fraction")
    overlay = None
    if isinstance(region, list | tuple) and len(region) == 4 and str(image.get("image_id")) not in drawn:
        overlay = {
            "x": region[0] * 100,
            "y": region[1] * 100,
            "w": region[2] * 100,
            "h": region[3] * 100,
            "zone": location.get("zone") if isinstance(location.get("zone"), str) else None,
        }
    rows = []
    for name in (*registry.LOOKS, *(n for n in checks if n not in registry.LOOKS)):
        if name in checks:
            finding = checks[name]
            rows.append(
                {
                    "name": name,
                    "title": registry.title(name, lang),
                    "look": name in registry.LOOKS,
                    "status": finding.get("status"),
                    "score": finding.get("score", 0.0),
                    "summary": finding.get("summary", ""),
                    "details": _flat(finding.get("details") or {}),
                    "evidence": _evidence_images(name, finding.get("details") or {}, evidence, lang),
                }
            )
    return {
        "filename": image.get("filename"),
        "image_id": image.get("image_id"),
        "error": image.get("error"),
        "verdict": image.get("verdict"),
        "risk": image.get("risk", 0.0),
        "thumbnail": thumbnails.get(str(image.get("image_id"))),
        "overlay": overlay,
        "rows": rows,
    }


def _evidence_images(
    check: str, details: Mapping[str, Any], evidence: Mapping[str, str], lang: str
) -> list[dict[str, str]]:
    """The pictures the check matched that the caller has a thumbnail of, with their captions."""
    return [
        {"uri": evidence[match.image_id], "label": match.label, "caption": match.caption(lang) or registry.title(check, lang)}
        for match in matched_in(check, details)
        if match.image_id in evidence
    ]


def _flat(details: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """Details as short name/value lines for the page; long lists are cut."""
    lines: list[tuple[str, str]] = []
    for key, value in details.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            lines += _flat(value, f"{name}.")
        elif isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
            for i, entry in enumerate(value[:3]):
                lines += _flat(entry, f"{name}[{i}].")
        elif value not in (None, [], {}, ""):
            text = ", ".join(map(str, value[:8])) if isinstance(value, list) else str(value)
            lines.append((name, text[:160]))
    return lines[:24]


def _without_gps(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _without_gps(v) for k, v in value.items() if not _speaks_of_gps(str(k))}
    if isinstance(value, list):
        return [_without_gps(v) for v in value]
    return value


def _speaks_of_gps(key: str) -> bool:
    lowered = key.lower()
    return any(word in lowered for word in _GPS_WORDS) or lowered in ("lat", "lon", "lng")


def _moment(text: Any) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def _short(text: str, limit: int = 22) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
