"""The claim's timeline as the report page draws it: the order's milestones, each photo's capture
time and the retake challenge, in time order, every date written in the agent's time zone and every
gap in the agent's language ("3 天", not "3 d").

Points are spaced evenly in time order, not to scale: a photo taken years before the order would
otherwise squeeze the rest into one spot. The gap between two neighbours is written between them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from api.web import words as w
from evidence_check.render.html import MILESTONES, timeline_moments

WIDTH, LEFT, RIGHT = 1000, 80, 80


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
    labels = {name: words[f"{name}_at"] for name in MILESTONES} | {
        "captured": words["captured"],
        "challenge": words["challenge_issued"],
    }
    ordered = [(moment, labels[what], sub, kind) for moment, what, sub, kind in timeline_moments(report)]
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

