"""When a photo was taken, as the file itself tells it.

Sources, strongest first: EXIF DateTimeOriginal (with SubSecTimeOriginal and OffsetTimeOriginal),
EXIF DateTimeDigitized, XMP (exif:DateTimeOriginal, xmp:CreateDate, photoshop:DateCreated), the GPS
date and time (always UTC), and last, as weak evidence, the patterns cameras and chat apps put in
file names. The GPS time also supplies a missing UTC offset: the difference between the camera's
wall clock and GPS UTC, rounded to a quarter hour, is the zone the photo was taken in.

Values that cannot be a capture time (zero dates, clock-reset defaults, NULs inside, nonsense) are
returned as `RejectedTime`s with the reason, so the timestamp look can say why it does not know.
Whether a time is plausible *for a claim* (e.g. years in the future) is the check's business.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any

from evidence_check.imaging.metadata import Metadata

# Digital cameras wrote EXIF from the mid-1990s; anything earlier is a wrong clock.
EARLIEST_PLAUSIBLE_YEAR = 1990
# A camera whose clock was reset starts at midnight on 1 January of its epoch year.
CLOCK_RESET_WINDOW = timedelta(minutes=10)
GPS_OFFSET_STEP_MINUTES = 15
MAX_OFFSET = timedelta(hours=14)

_EXIF_DATE = re.compile(r"^\s*(\d{4})[:\-/.](\d{2})[:\-/.](\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?")
_OFFSET = re.compile(r"^\s*([+-])(\d{2}):?(\d{2})\s*$")
_ISO = re.compile(
    r"^\s*(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?\s*$"
)

# (pattern, source name, how the groups read). The timestamp-in-milliseconds of WeChat exports is
# when the file was saved from the chat, which is after capture: still a useful upper bound.
_FILENAME_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^IMG-(\d{4})(\d{2})(\d{2})-WA\d+", re.I), "filename:whatsapp"),
    (re.compile(r"^mmexport(\d{13})", re.I), "filename:wechat"),
    (
        re.compile(r"^Screenshot[_-](\d{4})-(\d{2})-(\d{2})[-_ ](\d{2})[-.](\d{2})[-.](\d{2})", re.I),
        "filename:screenshot",
    ),
    (
        re.compile(r"^(?:IMG|VID|PXL|MVIMG)[_-](\d{4})(\d{2})(\d{2})[_-](\d{2})(\d{2})(\d{2})", re.I),
        "filename:camera",
    ),
)


@dataclass(frozen=True)
class CaptureTime:
    """A capture time and where it came from.

    `local` is the wall-clock time as recorded; `offset` its UTC offset when known. `day_only`
    means only the date is known (WhatsApp names); `weak` that the source is easy to fake or
    is not the capture itself (file names).
    """

    local: datetime
    offset: timedelta | None
    source: str
    offset_source: str | None = None
    weak: bool = False
    day_only: bool = False

    def instant(self, assumed_zone: tzinfo) -> datetime:
        zone: tzinfo = timezone(self.offset) if self.offset is not None else assumed_zone
        return self.local.replace(tzinfo=zone)

    def describe(self) -> str:
        if self.day_only:
            return self.local.strftime("%Y-%m-%d")
        text = self.local.strftime("%Y-%m-%d %H:%M:%S")
        if self.local.microsecond:
            text += f".{self.local.microsecond // 1000:03d}"
        if self.offset is not None:
            text += " " + format_offset(self.offset)
        return text


@dataclass(frozen=True)
class RejectedTime:
    source: str
    raw: str
    why: str  # a stable code: zero_date, clock_reset, too_early, nul_bytes, unreadable


@dataclass(frozen=True)
class CaptureReading:
    best: CaptureTime | None
    rejected: tuple[RejectedTime, ...]
    gps_utc: datetime | None


def read_capture_time(metadata: Metadata, filename: str) -> CaptureReading:
    rejected: list[RejectedTime] = []
    gps_utc = _gps_time(metadata.gps, rejected)
    candidates: list[CaptureTime] = []

    exif = metadata.exif
    for tag, subsec_tag, offset_tag in (
        ("DateTimeOriginal", "SubsecTimeOriginal", "OffsetTimeOriginal"),
        ("DateTimeDigitized", "SubsecTimeDigitized", "OffsetTimeDigitized"),
    ):
        if tag in exif:
            parsed = _parse_exif_datetime(exif[tag], f"exif:{tag}", rejected)
            if parsed is not None:
                parsed = _with_subsec(
                    parsed, exif.get(subsec_tag) or exif.get(subsec_tag.replace("Subsec", "SubSec"))
                )
                offset = _parse_offset(exif.get(offset_tag))
                candidates.append(
                    CaptureTime(
                        parsed, offset, f"exif:{tag}", f"exif:{offset_tag}" if offset is not None else None
                    )
                )
    for key in ("exif:DateTimeOriginal", "xmp:CreateDate", "photoshop:DateCreated", "exif:DateTimeDigitized"):
        if key in metadata.xmp:
            found = _parse_iso(metadata.xmp[key], f"xmp:{key}", rejected)
            if found is not None:
                candidates.append(found)
    if gps_utc is not None:
        candidates.append(CaptureTime(gps_utc.replace(tzinfo=None), timedelta(0), "gps", "gps"))
    name_time = _from_filename(filename)
    if name_time is not None:
        candidates.append(name_time)

    best = candidates[0] if candidates else None
    if best is not None and best.offset is None and gps_utc is not None and not best.day_only:
        offset = _offset_from_gps(best.local, gps_utc)
        if offset is not None:
            best = CaptureTime(best.local, offset, best.source, "gps", best.weak, best.day_only)
    return CaptureReading(best=best, rejected=tuple(rejected), gps_utc=gps_utc)


def format_offset(offset: timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def format_minute(moment: datetime) -> str:
    """A moment to the minute with its offset as a capture time writes it ("2026-11-10 10:00 +08:00",
    not strftime's +0800): the report's times read alike. A naive moment is written without one."""
    offset = moment.utcoffset()
    return moment.strftime("%Y-%m-%d %H:%M") + ("" if offset is None else " " + format_offset(offset))


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return str(value)


def _parse_exif_datetime(value: Any, source: str, rejected: list[RejectedTime]) -> datetime | None:
    # NULs at the end are padding: an ASCII tag whose count runs past its terminator (exiftool
    # reads the date the same way). A NUL inside the value is damage.
    raw = _text(value).rstrip("\x00")
    if "\x00" in raw and raw.strip("\x00 :"):
        rejected.append(RejectedTime(source, raw.replace("\x00", "\\x00"), "nul_bytes"))
        return None
    match = _EXIF_DATE.match(raw)
    if not match:
        if raw.strip(" :\x00") == "":
            rejected.append(RejectedTime(source, raw, "zero_date"))
        else:
            rejected.append(RejectedTime(source, raw, "unreadable"))
        return None
    year, month, day, hour, minute = (int(g) for g in match.groups()[:5])
    second = int(match.group(6) or 0)
    return _checked(year, month, day, hour, minute, second, source, raw, rejected)


def _checked(
    year: int,
    month: int,
    day: int,
    hour: int,
    minute: int,
    second: int,
    source: str,
    raw: str,
    rejected: list[RejectedTime],
) -> datetime | None:
    if year == 0 or month == 0 or day == 0:
        rejected.append(RejectedTime(source, raw, "zero_date"))
        return None
    try:
        moment = datetime(year, month, day, hour, minute, min(second, 59))
    except ValueError:
        rejected.append(RejectedTime(source, raw, "unreadable"))
        return None
    if year < EARLIEST_PLAUSIBLE_YEAR:
        rejected.append(RejectedTime(source, raw, "too_early"))
        return None
    if (month, day) == (1, 1) and moment - moment.replace(hour=0, minute=0, second=0) < CLOCK_RESET_WINDOW:
        rejected.append(RejectedTime(source, raw, "clock_reset"))
        return None
    return moment


def _with_subsec(moment: datetime, value: Any) -> datetime:
    digits = "".join(ch for ch in _text(value or "") if ch.isdigit())[:6]
    if not digits:
        return moment
    return moment.replace(microsecond=int(digits.ljust(6, "0")))


def _parse_offset(value: Any) -> timedelta | None:
    if value is None:
        return None
    match = _OFFSET.match(_text(value).strip("\x00"))
    if not match:
        return None
    sign, hours, minutes = match.groups()
    offset = timedelta(hours=int(hours), minutes=int(minutes))
    if offset > MAX_OFFSET:
        return None
    return -offset if sign == "-" else offset


def _parse_iso(value: str, source: str, rejected: list[RejectedTime]) -> CaptureTime | None:
    match = _ISO.match(value)
    if not match:
        exif_style = _parse_exif_datetime(value, source, rejected)
        return CaptureTime(exif_style, None, source) if exif_style else None
    year, month, day = (int(g) for g in match.groups()[:3])
    hour, minute, second = (int(g or 0) for g in match.groups()[3:6])
    moment = _checked(year, month, day, hour, minute, second, source, value, rejected)
    if moment is None:
        return None
    if match.group(7):
        moment = moment.replace(microsecond=int(match.group(7)[:6].ljust(6, "0")))
    zone = match.group(8)
    offset = timedelta(0) if zone == "Z" else _parse_offset(zone) if zone else None
    return CaptureTime(
        moment, offset, source, source if offset is not None else None, day_only=match.group(4) is None
    )


def _gps_time(gps: dict[str, Any] | Any, rejected: list[RejectedTime]) -> datetime | None:
    date_value = gps.get("GPSDateStamp")
    time_value = gps.get("GPSTimeStamp")
    if date_value is None or time_value is None:
        return None
    raw = f"{_text(date_value)} {time_value}"
    try:
        year, month, day = (
            int(part) for part in _text(date_value).strip("\x00 ").replace("-", ":").split(":")
        )
        hours, minutes, seconds = (float(part) for part in time_value)
    except (TypeError, ValueError, ZeroDivisionError):
        rejected.append(RejectedTime("gps", raw, "unreadable"))
        return None
    if year < EARLIEST_PLAUSIBLE_YEAR:
        rejected.append(RejectedTime("gps", raw, "too_early"))
        return None
    try:
        moment = datetime(year, month, day)
    except ValueError:
        rejected.append(RejectedTime("gps", raw, "unreadable"))
        return None
    if not (0 <= hours < 24 and 0 <= minutes < 60 and 0 <= seconds < 61):
        rejected.append(RejectedTime("gps", raw, "unreadable"))
        return None
    return (moment + timedelta(hours=hours, minutes=minutes, seconds=seconds)).replace(tzinfo=UTC)


def _offset_from_gps(local: datetime, gps_utc: datetime) -> timedelta | None:
    difference = local - gps_utc.replace(tzinfo=None)
    step = GPS_OFFSET_STEP_MINUTES * 60
    rounded = timedelta(seconds=round(difference.total_seconds() / step) * step)
    # GPS fixes can be minutes stale; a wall clock more than 2 minutes off the rounded zone
    # is more likely a wrong clock than an odd zone, so no offset is inferred then.
    if abs(rounded) > MAX_OFFSET or abs(difference - rounded) > timedelta(minutes=2):
        return None
    return rounded


def _from_filename(filename: str) -> CaptureTime | None:
    base = filename.rsplit("/", 1)[-1]
    for pattern, source in _FILENAME_PATTERNS:
        match = pattern.match(base)
        if not match:
            continue
        groups = [int(g) for g in match.groups()]
        try:
            if source == "filename:wechat":
                moment = datetime.fromtimestamp(groups[0] / 1000.0, tz=UTC)
                return CaptureTime(moment.replace(tzinfo=None), timedelta(0), source, source, weak=True)
            year, month, day = groups[:3]
            if source == "filename:whatsapp":
                return CaptureTime(datetime(year, month, day), None, source, weak=True, day_only=True)
            hour, minute, second = groups[3:6]
            return CaptureTime(datetime(year, month, day, hour, minute, second), None, source, weak=True)
        except (ValueError, OverflowError, OSError):
            return None
    return None
