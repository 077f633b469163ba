"""Screens: a screenshot instead of a photo, or a photo taken of a screen.

- **Screenshot.** No camera exposure in the EXIF, plus clues: a screenshot file name, iOS's
  "Screenshot" user comment, PNG, a phone/desktop screen size, a flat status-bar band at the top,
  equal flat bars on opposite edges (a photo letterboxed in a gallery, then screenshotted).
  The name or the comment alone is enough; otherwise the screen size and one more clue. For a not-received claim a
  screenshot of the tracking page is normal evidence (``pass``); for anything else it shows no
  item, so ``warn`` and ask for a photo.
- **Photo of a screen.** Moiré: periodic peaks in the spectrum (`imaging.spectrum`) at least
  `MOIRE_PEAK_DB` above their surroundings -> ``warn`` and ask for a photo of the item itself.
  The threshold lies above every real photo of the corpora and within the range of simulated
  recaptures, of which an axis-aligned shot is missed (docs/measurements/integrity-history.md).
  Unless the peak is a harmonic: a peak standing `PRINT_FUNDAMENTAL_DB` at a whole fraction of its
  frequency, of which the peak is the multiple, is a finely patterned product's repeat, which a
  screen's blurred pixel grid does not leave (docs/measurements/integrity.md, 2026-12-07).
"""

from __future__ import annotations

import re

import numpy as np
from PIL import Image

from evidence_check.checks.context import CheckContext
from evidence_check.checks.integrity.signals import Facts, Reading, Signal, exif_text
from evidence_check.imaging.load import Photo
from evidence_check.imaging.spectrum import PeakReading, periodic_peaks
from evidence_check.models import Claim, ClaimReason, Status

SCORE_SCREENSHOT = 0.3
SCORE_SCREEN_PHOTO = 0.35
MOIRE_PEAK_DB = 25.0
# Simulated photos of screens, a print shown on them too, read at most 11.1 dB at a fraction of which
# the peak is the multiple (unless the print's own harmonic is the peak); drawn prints' fundamentals
# 27.6 or more: any threshold between gives the same counts on both halves of the split
# (docs/measurements/integrity.md, 2026-12-07, review).
PRINT_FUNDAMENTAL_DB = 16.0
STATUS_BAR_SHARE = 0.035  # of the height
FLAT_TOLERANCE = 3  # grey levels
FLAT_SHARE = 0.8  # of the band's pixels within the tolerance of its median colour
LETTERBOX_SHARE = 0.06  # of the height (or width): the thinnest bars that count
LETTERBOX_FLAT = 0.98

CLUE_WORDS = {
    "file_name": "named as a screenshot",
    "user_comment": "tagged 'Screenshot' by the phone",
    "png": "PNG",
    "screen_size": "screen-sized {w}x{h}",
    "status_bar": "status bar",
    "letterbox": "letterbox bars",
}
SCREENSHOT_NAME = re.compile(
    r"screenshot|screen shot|screen_shot|截屏|截图|屏幕截图|屏幕快照|スクリーンショット|bildschirmfoto|"
    r"captura de pantalla|^snipaste|^qq截图|^微信截图",
    re.IGNORECASE,
)
# Portrait sizes of common phone, tablet and desktop screens (either orientation matches).
SCREEN_SIZES = frozenset(
    {
        (720, 1280), (720, 1520), (720, 1600), (750, 1334), (828, 1792), (1080, 1920), (1080, 2160),
        (1080, 2220), (1080, 2280), (1080, 2340), (1080, 2400), (1080, 2412), (1125, 2436),
        (1170, 2532), (1179, 2556), (1206, 2622), (1242, 2208), (1242, 2688), (1284, 2778),
        (1290, 2796), (1320, 2868), (1440, 2560), (1440, 2960), (1440, 3040), (1440, 3088),
        (1440, 3120), (1440, 3200), (1220, 2712), (1260, 2800), (1200, 2640), (1536, 2048),
        (1620, 2160), (1640, 2360), (1668, 2388), (2048, 2732), (1600, 2560), (768, 1366),
        (900, 1440), (864, 1536), (800, 1280), (1050, 1680), (1200, 1920), (1800, 2880), (1964, 3024), (2234, 3456), (2160, 3840),
    }
)  # fmt: skip


def read_screenshot(photo: Photo, claim: Claim, facts: Facts, context: CheckContext) -> Reading:
    if facts.camera:
        return Reading()
    clues: list[str] = []
    strong = False
    if SCREENSHOT_NAME.search(photo.filename):
        clues.append("file_name")
        strong = True
    comment = exif_text(photo, "UserComment") or ""
    if "screenshot" in comment.lower():
        clues.append("user_comment")
        strong = True
    if photo.format == "PNG":
        clues.append("png")
    if (min(photo.width, photo.height), max(photo.width, photo.height)) in SCREEN_SIZES:
        clues.append("screen_size")
    if _flat_top_band(photo.working):
        clues.append("status_bar")
    if _letterboxed(photo.working):
        clues.append("letterbox")
    # Without a name or comment, the size of a screen must be one of the clues: a PNG with a flat
    # top edge is as often a product render or a scan.
    if not strong and not ("screen_size" in clues and len(clues) >= 2):
        return Reading()
    details = {"clues": clues, "size": [photo.width, photo.height]}
    params = {"clues": ", ".join(CLUE_WORDS[c].format(w=photo.width, h=photo.height) for c in clues)}
    if claim.reason is ClaimReason.NOT_RECEIVED:
        expected = Signal("screenshot", Status.PASS, 0.0, "integrity.screenshot_expected", params, details)
        return Reading((expected,))
    shot = Signal(
        "screenshot",
        Status.WARN,
        SCORE_SCREENSHOT,
        "integrity.screenshot",
        params,
        details,
        "ask_camera_photo",
    )
    return Reading((shot,))


def read_screen_photo(photo: Photo, claim: Claim, facts: Facts, context: CheckContext) -> Reading:
    spectrum = periodic_peaks(photo.working)
    if spectrum is None:
        return Reading()
    details = spectrum.as_details()
    if not looks_like_screen(spectrum):
        return Reading((), details)
    recapture = Signal(
        "screen_photo",
        Status.WARN,
        SCORE_SCREEN_PHOTO,
        "integrity.screen_photo",
        {"peak_db": round(spectrum.peak_db, 1)},
        details,
        "ask_camera_photo",
    )
    return Reading((recapture,), details)


def looks_like_screen(spectrum: PeakReading) -> bool:
    return spectrum.peak_db >= MOIRE_PEAK_DB and spectrum.fundamental_db < PRINT_FUNDAMENTAL_DB


def _flat_top_band(working: Image.Image) -> bool:
    rows = max(2, round(working.height * STATUS_BAR_SHARE))
    return _flat(working.crop((0, 0, working.width, rows)), FLAT_SHARE)


def _letterboxed(working: Image.Image) -> bool:
    """Equal flat bars on opposite edges: a photo shown in a gallery or player, then screenshotted."""
    width, height = working.size
    bar_h, bar_w = round(height * LETTERBOX_SHARE), round(width * LETTERBOX_SHARE)
    top, bottom = working.crop((0, 0, width, bar_h)), working.crop((0, height - bar_h, width, height))
    left, right = working.crop((0, 0, bar_w, height)), working.crop((width - bar_w, 0, width, height))
    return any(
        _flat(a, LETTERBOX_FLAT) and _flat(b, LETTERBOX_FLAT) and _same_colour(a, b)
        for a, b in ((top, bottom), (left, right))
    )


def _flat(region: Image.Image, share: float) -> bool:
    grey = np.asarray(region.convert("L"), dtype=np.int16)
    if grey.size == 0:
        return False
    median = int(np.median(grey))
    return bool(np.mean(np.abs(grey - median) <= FLAT_TOLERANCE) >= share)


def _same_colour(a: Image.Image, b: Image.Image) -> bool:
    return bool(
        abs(float(np.median(np.asarray(a.convert("L")))) - float(np.median(np.asarray(b.convert("L")))))
        <= FLAT_TOLERANCE
    )
