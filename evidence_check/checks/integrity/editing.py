"""Editing traces: an editor named in the file, a later save time, a stale EXIF thumbnail.

- ``Software`` / ``ProcessingSoftware`` / XMP ``CreatorTool`` or an XMP history ``softwareAgent``
  naming an editor -> ``warn``. A phone's firmware string ("HDR+ 1.0", "iOS 17.1", "MIUI") names
  no editor and does not fire.
- ``DateTime`` (when the file was last saved) later than ``DateTimeOriginal`` by more than
  `SAVED_LATER_SECONDS` -> ``warn``: the file was written again after capture. Unless the EXIF
  thumbnail still shows the photo (`PIXELS_KEPT_SIMILARITY`): then a transfer or organiser program
  (Nikon Transfer, CAMEDIA Master, a photo gallery) rewrote the file's metadata and not its pixels,
  and the later save is only noted (``integrity.resaved_pixels_kept``).
- The EXIF thumbnail no longer looks like the photo (`THUMBNAIL_MIN_SIMILARITY`), or is framed
  very differently (`THUMBNAIL_MAX_ASPECT_CHANGE`: cropped pixels) -> ``warn``: the pixels changed
  after the camera wrote both. Compared after the EXIF orientation is applied. Unless the thumbnail
  turned a quarter or half turn shows the photo as closely as `PIXELS_KEPT_SIMILARITY` asks: the
  pixels were turned (a lossless rotation that leaves the EXIF as the camera wrote it), which
  changes nothing the photo shows -> only noted (``integrity.thumbnail_turned``), and it vouches for
  the pixels as a matching preview does; the quiet-edit comparison (`quiet_edit.py`) then compares
  the photo with the thumbnail so turned.
"""

from __future__ import annotations

import re
from datetime import datetime

from evidence_check.checks.context import CheckContext
from evidence_check.checks.integrity.signals import Facts, Reading, Signal, exif_text
from evidence_check.imaging.load import Photo
from evidence_check.imaging.thumbnail import (
    QUARTER_TURNS,
    ThumbnailComparison,
    compare_thumbnail,
    extract_thumbnail,
)
from evidence_check.models import Claim, Status

SCORE_EDITOR = 0.4
SCORE_SAVED_LATER = 0.25
SCORE_THUMBNAIL = 0.4
SAVED_LATER_SECONDS = 120
# Below this correlation the preview shows another picture: the value lies between the camera
# originals of the corpora (a 4:3 preview of a 3:2 photo included) and a cropped photo
# (docs/measurements/integrity-history.md).
THUMBNAIL_MIN_SIMILARITY = 0.55
# A preview framed this many times wider or taller than the photo (pixels rotated, or heavily
# cropped, after capture). Cameras squeeze a 3:2 photo into a 4:3 preview (1.12x); where black
# bars were cut the preview's framing is not measured well enough and only similarity counts.
THUMBNAIL_MAX_ASPECT_CHANGE = 1.5
# A preview this alike vouches for the pixels as the camera wrote them (honest camera files saved
# again by transfer software: 0.99 and more; docs/measurements/evaluation.md).
PIXELS_KEPT_SIMILARITY = 0.95

EDITORS = re.compile(
    r"photoshop|lightroom|gimp|snapseed|picsart|meitu|美图|醒图|hypic|canva|pixelmator|affinity|"
    r"paint\.net|facetune|vsco|picmonkey|fotor|befunky|luminar|capture one|darktable|rawtherapee|"
    r"inpixio|photopea|pixlr|polarr|photoscape|photodirector|picasa|acdsee|airbrush|beautyplus|"
    r"youcam|inshot|remini|photoroom|photo ?lab|krita|corel|paintshop|lensa",
    re.IGNORECASE,
)
_HISTORY_AGENT = re.compile(rb"softwareAgent(?:=\"|>)([^\"<]{1,200})")
_EXIF_TIME = re.compile(r"^(\d{4}):(\d{2}):(\d{2}) (\d{2}):(\d{2}):(\d{2})")


def read(photo: Photo, claim: Claim, facts: Facts, context: CheckContext) -> Reading:
    thumbnail = _thumbnail(photo, facts)
    found = (_editor(photo, facts), _saved_later(photo, thumbnail), thumbnail)
    return Reading(tuple(s for s in found if s is not None))


def _editor(photo: Photo, facts: Facts) -> Signal | None:
    named = [
        ("exif:Software", exif_text(photo, "Software")),
        ("exif:ProcessingSoftware", exif_text(photo, "ProcessingSoftware")),
    ]
    named += [(key, value) for key, value in photo.metadata.xmp.items() if _names_software(key)]
    # Every step of an XMP history names its program; the parsed XMP keeps only the first.
    named += [("xmp:History", m.decode("utf-8", "replace")) for m in _HISTORY_AGENT.findall(facts.text.xmp)]
    for source, value in named:
        if value and EDITORS.search(value):
            software = value[:80]
            return Signal(
                "editor_software",
                Status.WARN,
                SCORE_EDITOR,
                "integrity.editor",
                {"software": software},
                {"software": software, "source": source},
                "ask_unedited_original",
            )
    return None


def _names_software(key: str) -> bool:
    name = key.rsplit(":", 1)[-1].lower()
    return name in ("creatortool", "softwareagent", "software")


def _saved_later(photo: Photo, thumbnail: Signal | None) -> Signal | None:
    saved = _exif_time(exif_text(photo, "DateTime"), exif_text(photo, "OffsetTime"))
    taken = _exif_time(exif_text(photo, "DateTimeOriginal"), exif_text(photo, "OffsetTimeOriginal"))
    if saved is None or taken is None:
        return None
    if (saved.tzinfo is None) != (taken.tzinfo is None):  # one offset only: compare the clock readings
        saved, taken = saved.replace(tzinfo=None), taken.replace(tzinfo=None)
    gap = (saved - taken).total_seconds()
    if gap <= SAVED_LATER_SECONDS:
        return None
    params = {
        "saved": saved.strftime("%Y-%m-%d %H:%M"),
        "taken": taken.strftime("%Y-%m-%d %H:%M"),
        "gap_hours": round(gap / 3600, 2),
    }
    if _pixels_kept(thumbnail):
        return Signal(
            "saved_after_capture", Status.UNKNOWN, 0.0, "integrity.resaved_pixels_kept", params, {**params, "gap_seconds": gap}
        )
    return Signal(
        "saved_after_capture",
        Status.WARN,
        SCORE_SAVED_LATER,
        "integrity.saved_after_capture",
        params,
        {**params, "gap_seconds": gap},
        "ask_unedited_original",
    )


def _pixels_kept(thumbnail: Signal | None) -> bool:
    """The EXIF thumbnail shows the photo as it is, or turned: its pixels are those the camera wrote."""
    if thumbnail is None or thumbnail.code not in ("integrity.thumbnail_matches", "integrity.thumbnail_turned"):
        return False
    similarity = thumbnail.details.get("similarity")
    return isinstance(similarity, float) and similarity >= PIXELS_KEPT_SIMILARITY


def _exif_time(text: str | None, offset: str | None) -> datetime | None:
    match = _EXIF_TIME.match(text or "")
    if not match:
        return None
    try:
        year, month, day, hour, minute, second = (int(part) for part in match.groups())
        moment = datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None
    if offset and re.fullmatch(r"[+-]\d{2}:\d{2}", offset.strip()):
        try:
            return datetime.fromisoformat(moment.isoformat() + offset.strip())
        except ValueError:
            return moment
    return moment


def thumbnail_turn(thumbnail: bytes, photo: Photo) -> tuple[int, ThumbnailComparison] | None:
    """The clockwise turn (90, 180, 270) after which the thumbnail shows the photo as the camera's
    own preview does (`PIXELS_KEPT_SIMILARITY`, framed alike), and that comparison; None when
    there is none."""
    for turn in QUARTER_TURNS:
        turned = compare_thumbnail(thumbnail, photo.orientation, photo.working, turn)
        if turned is not None and turned.similarity >= PIXELS_KEPT_SIMILARITY and not _reframed(turned):
            return turn, turned
    return None


def _reframed(comparison: ThumbnailComparison) -> bool:
    return not comparison.bars_cut and comparison.aspect_change > THUMBNAIL_MAX_ASPECT_CHANGE


def _thumbnail(photo: Photo, facts: Facts) -> Signal | None:
    if facts.jpeg is None or not facts.jpeg.exif_tiff:
        return None
    thumbnail = extract_thumbnail(facts.jpeg.exif_tiff)
    if thumbnail is None:
        return None
    comparison = compare_thumbnail(thumbnail, photo.orientation, photo.working)
    if comparison is None:
        return Signal("thumbnail_unreadable", Status.UNKNOWN, 0.0, "integrity.thumbnail_unreadable", {}, {})
    if comparison.similarity >= THUMBNAIL_MIN_SIMILARITY and not _reframed(comparison):
        return Signal(
            "thumbnail_matches",
            Status.UNKNOWN,
            0.0,
            "integrity.thumbnail_matches",
            {},
            comparison.as_details(),
        )
    turned = thumbnail_turn(thumbnail, photo)
    if turned is not None:
        turn, shown = turned
        details = {**shown.as_details(), "turn": turn, "unturned_similarity": round(comparison.similarity, 3)}
        return Signal("thumbnail_turned", Status.UNKNOWN, 0.0, "integrity.thumbnail_turned", {"turn": turn}, details)
    params = {"similarity": round(comparison.similarity, 2)}
    return Signal(
        "thumbnail_mismatch",
        Status.WARN,
        SCORE_THUMBNAIL,
        "integrity.thumbnail_mismatch",
        params,
        comparison.as_details(),
        "ask_unedited_original",
    )
