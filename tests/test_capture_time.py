"""Reading the capture time: sources, offsets and the odd values real files carry."""

from __future__ import annotations

import io
import struct
from datetime import UTC, datetime, timedelta, timezone
from fractions import Fraction

import pytest
from PIL import Image

from evidence_check.imaging.capture_time import format_minute, read_capture_time
from evidence_check.imaging.load import load_photo
from evidence_check.imaging.metadata import Metadata, parse_xmp

H = timedelta(hours=1)

# (case, exif, gps, xmp, filename) -> (source, local time, offset) ; local time as text
READABLE = [
    (
        "trailing NUL padding (Pillow corpus)",
        {"DateTimeOriginal": "2016:12:03 11:17:43\x00"},
        {},
        {},
        "a.jpg",
        ("exif:DateTimeOriginal", "2016-12-03 11:17:43", None),
    ),
    (
        "several NULs of padding",
        {"DateTimeOriginal": b"2026:11:21 10:15:00\x00\x00\x00"},
        {},
        {},
        "a.jpg",
        ("exif:DateTimeOriginal", "2026-11-21 10:15:00", None),
    ),
    (
        "dto plain",
        {"DateTimeOriginal": "2026:11:20 10:15:00"},
        {},
        {},
        "a.jpg",
        ("exif:DateTimeOriginal", "2026-11-20 10:15:00", None),
    ),
    (
        "dto with offset original",
        {"DateTimeOriginal": "2026:11:20 10:15:00", "OffsetTimeOriginal": "+08:00"},
        {},
        {},
        "a.jpg",
        ("exif:DateTimeOriginal", "2026-11-20 10:15:00", 8 * H),
    ),
    (
        "negative offset",
        {"DateTimeOriginal": "2026:11:20 10:15:00", "OffsetTimeOriginal": "-05:30"},
        {},
        {},
        "a.jpg",
        ("exif:DateTimeOriginal", "2026-11-20 10:15:00", -5.5 * H),
    ),
    (
        "offset time is not offset time original",
        {"DateTimeOriginal": "2026:11:20 10:15:00", "OffsetTime": "+08:00"},
        {},
        {},
        "a.jpg",
        ("exif:DateTimeOriginal", "2026-11-20 10:15:00", None),
    ),
    (
        "subseconds",
        {"DateTimeOriginal": "2026:11:20 10:15:00", "SubsecTimeOriginal": "042"},
        {},
        {},
        "a.jpg",
        ("exif:DateTimeOriginal", "2026-11-20 10:15:00.042000", None),
    ),
    (
        "subseconds with padding",
        {"DateTimeOriginal": "2026:11:20 10:15:00", "SubsecTimeOriginal": "5 "},
        {},
        {},
        "a.jpg",
        ("exif:DateTimeOriginal", "2026-11-20 10:15:00.500000", None),
    ),
    (
        "bad offset ignored",
        {"DateTimeOriginal": "2026:11:20 10:15:00", "OffsetTimeOriginal": "+99:00"},
        {},
        {},
        "a.jpg",
        ("exif:DateTimeOriginal", "2026-11-20 10:15:00", None),
    ),
    (
        "digitized fallback",
        {"DateTimeDigitized": "2026:11:20 10:15:00", "OffsetTimeDigitized": "+01:00"},
        {},
        {},
        "a.jpg",
        ("exif:DateTimeDigitized", "2026-11-20 10:15:00", H),
    ),
    (
        "original beats digitized",
        {"DateTimeOriginal": "2026:11:20 10:15:00", "DateTimeDigitized": "2026:11:21 10:15:00"},
        {},
        {},
        "a.jpg",
        ("exif:DateTimeOriginal", "2026-11-20 10:15:00", None),
    ),
    (
        "dashes in exif date",
        {"DateTimeOriginal": "2026-11-20 10:15:00"},
        {},
        {},
        "a.jpg",
        ("exif:DateTimeOriginal", "2026-11-20 10:15:00", None),
    ),
    (
        "bytes value",
        {"DateTimeOriginal": b"2026:11:20 10:15:00"},
        {},
        {},
        "a.jpg",
        ("exif:DateTimeOriginal", "2026-11-20 10:15:00", None),
    ),
    (
        "gps infers offset",
        {"DateTimeOriginal": "2026:11:20 10:15:00"},
        {"GPSDateStamp": "2026:11:20", "GPSTimeStamp": (Fraction(2), Fraction(14), Fraction(31))},
        {},
        "a.jpg",
        ("exif:DateTimeOriginal", "2026-11-20 10:15:00", 8 * H),
    ),
    (
        "gps infers half-hour offset",
        {"DateTimeOriginal": "2026:11:20 10:15:00"},
        {"GPSDateStamp": "2026:11:20", "GPSTimeStamp": (4.0, 45.0, 0.0)},
        {},
        "a.jpg",
        ("exif:DateTimeOriginal", "2026-11-20 10:15:00", 5.5 * H),
    ),
    (
        "gps across midnight",
        {"DateTimeOriginal": "2026:11:20 01:00:00"},
        {"GPSDateStamp": "2026:11:19", "GPSTimeStamp": (17.0, 0.0, 0.0)},
        {},
        "a.jpg",
        ("exif:DateTimeOriginal", "2026-11-20 01:00:00", 8 * H),
    ),
    (
        "gps too far off the clock infers nothing",
        {"DateTimeOriginal": "2026:11:20 10:15:00"},
        {"GPSDateStamp": "2026:11:20", "GPSTimeStamp": (2.0, 40.0, 0.0)},
        {},
        "a.jpg",
        ("exif:DateTimeOriginal", "2026-11-20 10:15:00", None),
    ),
    (
        "gps alone is utc",
        {},
        {"GPSDateStamp": "2026:11:20", "GPSTimeStamp": (2.0, 14.0, 30.0)},
        {},
        "a.jpg",
        ("gps", "2026-11-20 02:14:30", timedelta(0)),
    ),
    (
        "xmp exif date with offset",
        {},
        {},
        {"exif:DateTimeOriginal": "2026-11-20T10:15:00+08:00"},
        "a.jpg",
        ("xmp:exif:DateTimeOriginal", "2026-11-20 10:15:00", 8 * H),
    ),
    (
        "xmp create date utc",
        {},
        {},
        {"xmp:CreateDate": "2026-11-20T02:15:00Z"},
        "a.jpg",
        ("xmp:xmp:CreateDate", "2026-11-20 02:15:00", timedelta(0)),
    ),
    (
        "xmp photoshop date only",
        {},
        {},
        {"photoshop:DateCreated": "2026-11-20"},
        "a.jpg",
        ("xmp:photoshop:DateCreated", "2026-11-20 00:00:00", None),
    ),
    (
        "xmp fraction of seconds",
        {},
        {},
        {"xmp:CreateDate": "2026-11-20T10:15:00.5+01:00"},
        "a.jpg",
        ("xmp:xmp:CreateDate", "2026-11-20 10:15:00.500000", H),
    ),
    (
        "exif beats xmp",
        {"DateTimeOriginal": "2026:11:20 10:15:00"},
        {},
        {"xmp:CreateDate": "2020-01-05T10:00:00"},
        "a.jpg",
        ("exif:DateTimeOriginal", "2026-11-20 10:15:00", None),
    ),
    (
        "whatsapp name",
        {},
        {},
        {},
        "IMG-20261120-WA0003.jpg",
        ("filename:whatsapp", "2026-11-20 00:00:00", None),
    ),
    (
        "wechat export name",
        {},
        {},
        {},
        "mmexport1732000000000.jpg",
        ("filename:wechat", "2024-11-19 07:06:40", timedelta(0)),
    ),
    ("camera name", {}, {}, {}, "IMG_20261120_101500.jpg", ("filename:camera", "2026-11-20 10:15:00", None)),
    (
        "pixel name",
        {},
        {},
        {},
        "PXL_20261120_101500123.jpg",
        ("filename:camera", "2026-11-20 10:15:00", None),
    ),
    (
        "screenshot name",
        {},
        {},
        {},
        "Screenshot_2026-11-20-10-15-00.png",
        ("filename:screenshot", "2026-11-20 10:15:00", None),
    ),
    (
        "exif beats file name",
        {"DateTimeOriginal": "2026:11:20 10:15:00"},
        {},
        {},
        "IMG-20200101-WA0001.jpg",
        ("exif:DateTimeOriginal", "2026-11-20 10:15:00", None),
    ),
    (
        "unusable dto falls back to gps",
        {"DateTimeOriginal": "0000:00:00 00:00:00"},
        {"GPSDateStamp": "2026:11:20", "GPSTimeStamp": (2.0, 0.0, 0.0)},
        {},
        "a.jpg",
        ("gps", "2026-11-20 02:00:00", timedelta(0)),
    ),
]

# (case, exif, filename) -> rejection code; nothing else readable in the file
UNUSABLE = [
    ("zero date (UKBench)", {"DateTimeOriginal": "0000:00:00 00:00:00"}, "zero_date"),
    ("blank date", {"DateTimeOriginal": "    :  :     :  :  "}, "zero_date"),
    ("clock reset 2000", {"DateTimeOriginal": "2000:01:01 00:00:00"}, "clock_reset"),
    ("clock reset Sony 2007", {"DateTimeOriginal": "2007:01:01 00:00:00"}, "clock_reset"),
    ("clock reset Sanyo 1998", {"DateTimeOriginal": "1998:01:01 00:00:00"}, "clock_reset"),
    ("minutes after a reset", {"DateTimeOriginal": "2010:01:01 00:03:12"}, "clock_reset"),
    ("unix epoch", {"DateTimeOriginal": "1970:01:01 00:00:00"}, "too_early"),
    ("before digital cameras", {"DateTimeOriginal": "1985:06:01 12:00:00"}, "too_early"),
    ("NUL inside", {"DateTimeOriginal": "2026:11:20\x0010:15:00"}, "nul_bytes"),
    ("NUL between date and time", {"DateTimeOriginal": "2026:11:20 \x0010:15:00"}, "nul_bytes"),
    ("all NULs", {"DateTimeOriginal": "\x00" * 20}, "zero_date"),
    ("month 13", {"DateTimeOriginal": "2026:13:20 10:15:00"}, "unreadable"),
    ("garbage", {"DateTimeOriginal": "yesterday"}, "unreadable"),
]


@pytest.mark.parametrize(
    ("case", "exif", "gps", "xmp", "filename", "expected"), READABLE, ids=[r[0] for r in READABLE]
)
def test_when_a_source_is_readable_then_it_is_used(case, exif, gps, xmp, filename, expected) -> None:
    reading = read_capture_time(Metadata(exif=exif, gps=gps, xmp=xmp), filename)
    assert reading.best is not None
    source, local, offset = expected
    assert reading.best.source == source
    assert str(reading.best.local) == local
    assert reading.best.offset == offset


@pytest.mark.parametrize(("case", "exif", "why"), UNUSABLE, ids=[r[0] for r in UNUSABLE])
def test_when_the_value_is_impossible_then_it_is_rejected_with_why(case, exif, why) -> None:
    reading = read_capture_time(Metadata(exif=exif), "photo.jpg")
    assert reading.best is None
    assert [r.why for r in reading.rejected] == [why]


def test_file_name_times_are_weak_and_exif_times_are_not() -> None:
    assert read_capture_time(Metadata(), "IMG_20261120_101500.jpg").best.weak
    assert not read_capture_time(
        Metadata(exif={"DateTimeOriginal": "2026:11:20 10:15:00"}), "a.jpg"
    ).best.weak


def test_whatsapp_name_knows_only_the_day() -> None:
    best = read_capture_time(Metadata(), "IMG-20261120-WA0003.jpg").best
    assert best.day_only and best.describe() == "2026-11-20"


def test_gps_time_is_utc() -> None:
    reading = read_capture_time(
        Metadata(gps={"GPSDateStamp": "2026:11:20", "GPSTimeStamp": (2.0, 14.0, 30.0)}), "a"
    )
    assert reading.gps_utc == datetime(2026, 11, 20, 2, 14, 30, tzinfo=UTC)


def test_xmp_is_read_from_attributes_elements_and_lists() -> None:
    packet = (
        b'<rdf:Description exif:DateTimeOriginal="2026-11-20T10:15:00+08:00">'
        b"<xmp:CreatorTool>Snapseed 2.0</xmp:CreatorTool>"
        b"<dc:title><rdf:Alt><rdf:li xml:lang='x-default'>Bag</rdf:li></rdf:Alt></dc:title>"
        b"</rdf:Description>"
    )
    found = parse_xmp(packet)
    assert found["exif:DateTimeOriginal"] == "2026-11-20T10:15:00+08:00"
    assert found["xmp:CreatorTool"] == "Snapseed 2.0"
    assert found["dc:title"] == "Bag"


def test_xmp_entity_tricks_are_not_expanded() -> None:
    packet = b'<!DOCTYPE x [<!ENTITY a "aaaa">]><rdf:Description xmp:CreateDate="&a;&a;"/>'
    assert parse_xmp(packet) == {"xmp:CreateDate": "&a;&a;"}


def test_a_date_tag_whose_count_runs_past_its_terminator_is_read() -> None:
    """DateTimeOriginal written with a count of 21 for 19 characters: NUL padding, read as exiftool does."""
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = "2026:11:21 10:15:00\x00"
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (100, 120, 140)).save(out, "JPEG", exif=exif.tobytes())
    data = out.getvalue()
    order = ">" if b"Exif\x00\x00MM" in data else "<"
    entry = struct.pack(f"{order}HH", 0x9003, 2)  # tag DateTimeOriginal, type ASCII, then the count
    at = data.index(entry) + len(entry)
    data = data[:at] + struct.pack(f"{order}I", 21) + data[at + 4 :]
    photo = load_photo(data, "padded.jpg")
    assert str(photo.metadata.exif["DateTimeOriginal"]).startswith("2026:11:21 10:15:00\x00")
    reading = read_capture_time(photo.metadata, "padded.jpg")
    assert reading.best is not None and reading.rejected == ()
    assert (reading.best.source, str(reading.best.local)) == ("exif:DateTimeOriginal", "2026-11-21 10:15:00")


@pytest.mark.parametrize(
    ("moment", "written"),
    [
        (datetime(2026, 11, 10, 10, 0, 59, tzinfo=timezone(timedelta(hours=8))), "2026-11-10 10:00 +08:00"),
        (datetime(2026, 11, 10, 10, 0, tzinfo=timezone(timedelta(hours=-3, minutes=-30))), "2026-11-10 10:00 -03:30"),
        (datetime(2026, 11, 10, 10, 0, tzinfo=UTC), "2026-11-10 10:00 +00:00"),
        (datetime(2026, 11, 10, 10, 0), "2026-11-10 10:00"),
    ],
)
def test_a_minute_is_written_with_its_offset_as_capture_times_write_theirs(moment: datetime, written: str) -> None:
    # The timeline's milestones and a challenge's issue time sit beside capture times in one report.
    assert format_minute(moment) == written
