"""The timestamp look (看时间戳): was the photo taken when this order's item could be in the picture?

The capture time (see `imaging.capture_time`) is placed on the order timeline:

- before the order was placed -> ``fail``: the photo cannot show the item of this order;
- before delivery (or shipment, when delivery is unknown) -> ``fail``;
- after the claim was made -> ``warn``: unusual, though an agent may have asked for new photos;
- later than the category's claim window after delivery (fresh food: 24 h) -> ``warn``;
- inside the timeline -> ``pass``.

A time without a UTC offset is read in the configured zone with the tolerance widened to the
spread of real zones (±14 h); with an offset, a small clock tolerance applies. A time that comes
only from a file name is weak: it can raise a ``warn`` but never a ``fail`` or a ``pass``.
Missing or impossible times are ``unknown`` with the next step "ask for the original file" and are
never evidence of fraud: chat apps strip EXIF from genuine photos every day.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from evidence_check.checks.context import CheckContext
from evidence_check.imaging.capture_time import format_minute, format_offset, read_capture_time
from evidence_check.imaging.load import Photo
from evidence_check.models import Claim, ClaimReason, Finding, Status

SCORE_FAIL = 0.9
SCORE_WARN = 0.35
SCORE_WEAK_WARN = 0.25
SCORE_UNKNOWN = 0.15

ASK_ORIGINAL = "ask_original"


def check(photo: Photo, claim: Claim, context: CheckContext) -> Finding:
    reading = read_capture_time(photo.metadata, photo.filename)
    details: dict[str, Any] = {
        "rejected": [{"source": r.source, "value": r.raw, "why": r.why} for r in reading.rejected],
    }
    taken = reading.best
    if taken is None:
        if reading.rejected:
            first = reading.rejected[0]
            return Finding(
                Status.UNKNOWN,
                SCORE_UNKNOWN,
                f"timestamp.unusable_{first.why}",
                {"value": first.raw, "source": first.source},
                details,
                ASK_ORIGINAL,
            )
        return Finding(Status.UNKNOWN, SCORE_UNKNOWN, "timestamp.missing", {}, details, ASK_ORIGINAL)

    settings = context.settings
    zone = ZoneInfo(claim.time_zone)
    moment = taken.instant(zone)
    if taken.day_only:
        tolerance = timedelta(days=1) + settings.unknown_offset_tolerance
    elif taken.offset is None:
        tolerance = settings.unknown_offset_tolerance
    else:
        tolerance = settings.clock_tolerance
    details.update(
        taken=taken.describe(),
        taken_utc=moment.astimezone(ZoneInfo("UTC")).isoformat(),
        source=taken.source,
        offset=format_offset(taken.offset) if taken.offset is not None else None,
        offset_source=taken.offset_source or f"assumed {claim.time_zone}",
        tolerance_hours=round(tolerance.total_seconds() / 3600, 3),
        weak=taken.weak,
    )
    params: dict[str, Any] = {"taken": taken.describe(), "source": taken.source}

    latest_plausible = max(context.now, claim.timeline.claimed_at or context.now) + timedelta(
        days=settings.future_limit_days
    )
    if moment > latest_plausible:
        return Finding(Status.UNKNOWN, SCORE_UNKNOWN, "timestamp.future", params, details, ASK_ORIGINAL)

    verdict = _place_on_timeline(moment, tolerance, claim, context, params, details)
    if verdict is None:
        code = "timestamp.weak_inside" if taken.weak else "timestamp.no_timeline"
        status = Status.UNKNOWN
        return Finding(
            status,
            SCORE_UNKNOWN if taken.weak else 0.0,
            code,
            params,
            details,
            ASK_ORIGINAL if taken.weak else None,
        )
    status, code = verdict
    if taken.weak:
        # A file name can be renamed or may name the save time, not the capture: never decisive.
        if status is Status.PASS:
            return Finding(
                Status.UNKNOWN, SCORE_UNKNOWN, "timestamp.weak_inside", params, details, ASK_ORIGINAL
            )
        return Finding(Status.WARN, SCORE_WEAK_WARN, code + "_weak", params, details, ASK_ORIGINAL)
    score = {Status.FAIL: SCORE_FAIL, Status.WARN: SCORE_WARN}.get(status, 0.0)
    next_step = "ask_new_photo" if status in (Status.FAIL, Status.WARN) else None
    return Finding(status, score, code, params, details, next_step)


def _place_on_timeline(
    moment: datetime,
    tolerance: timedelta,
    claim: Claim,
    context: CheckContext,
    params: dict[str, Any],
    details: dict[str, Any],
) -> tuple[Status, str] | None:
    timeline = claim.timeline
    if timeline.ordered_at is None and timeline.delivered_at is None and timeline.shipped_at is None:
        return None
    if timeline.ordered_at is not None and moment < timeline.ordered_at - tolerance:
        params.update(gap_hours=_hours(timeline.ordered_at - moment), milestone=format_minute(timeline.ordered_at))
        details["before"] = "ordered"
        return Status.FAIL, "timestamp.before_order"
    # Not-received claims have no delivery to come after; their photos are of tracking pages.
    if claim.reason is not ClaimReason.NOT_RECEIVED:
        received = timeline.delivered_at or timeline.shipped_at
        if received is not None and moment < received - tolerance:
            milestone = "delivered" if timeline.delivered_at is not None else "shipped"
            params.update(gap_hours=_hours(received - moment), milestone=format_minute(received))
            details["before"] = milestone
            return Status.FAIL, f"timestamp.before_{milestone}"
    claimed = timeline.claimed_at or context.now
    if moment > claimed + tolerance:
        params.update(gap_hours=_hours(moment - claimed), milestone=format_minute(claimed))
        details["after"] = "claimed"
        return Status.WARN, "timestamp.after_claim"
    window = context.settings.window_for(claim.category)
    if (
        timeline.delivered_at is not None
        and window is not None
        and moment > timeline.delivered_at + window + tolerance
    ):
        params.update(
            gap_hours=_hours(moment - timeline.delivered_at),
            window_hours=_hours(window),
            category=claim.category or "default",
        )
        details["window_hours"] = window.total_seconds() / 3600
        return Status.WARN, "timestamp.after_window"
    if timeline.delivered_at is not None and moment < timeline.delivered_at:
        # Before the recorded delivery by less than the clock's tolerance (a camera time without its
        # zone, read in the claim's): taken at delivery as far as the file can tell, not "after" it.
        params.update(gap_hours=_hours(timeline.delivered_at - moment), milestone=format_minute(timeline.delivered_at))
        return Status.PASS, "timestamp.near_delivery"
    anchor = timeline.delivered_at or timeline.shipped_at or timeline.ordered_at
    assert anchor is not None
    params.update(gap_hours=_hours(abs(moment - anchor)), milestone=format_minute(anchor))
    return Status.PASS, "timestamp.inside" if timeline.delivered_at else "timestamp.after_order"


def _hours(gap: timedelta) -> float:
    return round(gap.total_seconds() / 3600, 2)


