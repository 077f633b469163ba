"""The claim's timeline as the report page draws it: the order's milestones, each photo's capture
time and the retake challenge, in time order, every date written in the agent's time zone and every
gap in the agent's language ("3 天", not "3 d").

Points are spaced evenly in time order, not to scale: a photo taken years before the order would
otherwise squeeze the rest into one spot. The gap between two neighbours is written between them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from api.web import words as w

WIDTH, LEFT, RIGHT = 1000, 80, 80
MILESTONES = ("ordered_at", "shipped_at", "delivered_at", "claimed_at")


@dataclass(frozen=True)
class Point:
    x: int  # in the SVG's 1000-wide view box
    label: str
    sub: str  # the photo's file name, for a capture time
    kind: str  # milestone, or the timestamp look's status (pass, warn, fail, unknown)
    when: str  # in the agent's zone
    iso: str
    gap: str  # since the point before, in the agent's language; empty for the first
    gap_x: int
    low: bool  # neighbours' labels alternate between two rows so that close points do not overlap


def timeline_points(report: dict[str, Any], zone: ZoneInfo, lang: str) -> list[Point]:
    words = w.WORDS[lang]
    found: list[tuple[datetime, str, str, str]] = []
    for name in MILESTONES:
        moment = _moment((report.get("timeline") or {}).get(name))
        if moment is not None:
            found.append((moment, words[name], "", "milestone"))
    for image in report.get("images", []):
        checks = image.get("checks") or {}
        stamp = checks.get("timestamp") or {}
        taken = _moment((stamp.get("details") or {}).get("taken_utc"))
        if taken is not None:
            found.append((taken, words["captured"], str(image.get("filename", "")), str(stamp.get("status", "unknown"))))
        issued = _moment(((checks.get("challenge") or {}).get("details") or {}).get("issued_at"))
        if issued is not None:
            found.append((issued, words["challenge_issued"], "", "milestone"))
    ordered = sorted(dict.fromkeys(found), key=lambda point: point[0])
    step = (WIDTH - LEFT - RIGHT) / max(1, len(ordered) - 1)
    points = []
    for index, (moment, label, sub, kind) in enumerate(ordered):
        x = LEFT + step * index if len(ordered) > 1 else WIDTH / 2
        before = ordered[index - 1][0] if index else None
        points.append(
            Point(
                x=round(x),
                label=label,
                sub=sub if len(sub) <= 22 else sub[:21] + "…",
                kind=kind,
                when=w.local_time(moment, zone),
                iso=moment.isoformat(),
                gap=w.duration(moment - before, lang) if before is not None else "",
                gap_x=round(x - step / 2),
                low=index % 2 == 1,
            )
        )
    return points


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else None
