"""A quiet edit: the photo shows, in one place, what its own EXIF thumbnail does not.

An editor that keeps every EXIF byte — the camera's tags, its firmware ``Software`` string, the save
time and the old thumbnail — leaves none of the `editing` traces. When damage is painted over a few
percent of the frame (a dark scratch, a stain, a cloned patch), the thumbnail still shows the
picture before the edit, and the two disagree in one compact region
(`imaging.thumbnail_local.local_disagreement`).

- Camera JPEG (the EXIF records an exposure) with a readable thumbnail whose framing matches, and a
  region whose disagreement reaches `MIN_REGION_MASS`, or whose chromaticity alone disagrees by
  `MIN_COLOUR_MASS` -> ``warn`` ``integrity.thumbnail_local_edit`` naming where in the photo
  (``fired_on``: ``tone`` or ``colour``), next step: the unedited original from the phone's gallery.
  A thin scratch painted darker across what the preview shows (``fired_on``: ``line``, at
  `MIN_LINE_MASS`) is taken in by the tone's 3x3 envelope, which must take in the 1-2-pixel lines
  honest processing draws along the preview's own edges; the line measure follows it straight
  across the picture instead, and leaves out what runs along an edge.
  The colour comparison sees paint of another hue where the photo is much larger than its preview
  (a 1 % stain of a 12 MP photo is about 190 pixels of a 160x120 preview) and the paint's brightness
  is close to the surface's. Where the tone's and the colour's strongest regions overlap, each short
  of its own threshold, their shares of the thresholds are added (``fired_on``: ``tone and colour``):
  a stain that changes both a little in one place, where honest re-processings move one or the other
  (HDR tone mapping the tone, sharpening and tone curves the colour), not both in one place.
- The pixels turned after capture and the thumbnail left as it was (a lossless rotation): no
  framing shows the thumbnail's scene, so it is compared turned as `editing.thumbnail_turn` finds
  it (``turn`` in the details); an edit cannot hide behind a turn.
- Otherwise nothing is found; the measurement is recorded in the finding's details
  (``thumbnail_local``). Not measured at all when the whole thumbnail already disagrees
  (`editing`'s ``thumbnail_mismatch``) or the file has no thumbnail.

Why ``warn`` and not ``fail``: it is strong evidence that pixels changed after capture, scored
above an editor's name (`SCORE_LOCAL_EDIT`), but like the other edit evidence it is not conclusive
on its own — a phone may write its thumbnail from another processing stage, and a person who sees
the region named can tell a painted scratch from a moving hand in seconds. The claim goes to
review; it is never rejected on this alone.

`MIN_REGION_MASS` and `MIN_COLOUR_MASS` sit above every honest photo measured — the corpora's camera and phone
originals and the same photos re-processed as phones do (another tone curve, HDR local tone
mapping, portrait blur, sharpening, noise) — with a margin (docs/measurements/integrity.md).
"""

from __future__ import annotations

from typing import Any

from evidence_check.checks.context import CheckContext
from evidence_check.checks.integrity.editing import thumbnail_turn
from evidence_check.checks.integrity.signals import Facts, Reading, Signal
from evidence_check.imaging.load import Photo
from evidence_check.imaging.thumbnail import extract_thumbnail
from evidence_check.imaging.thumbnail_local import local_disagreement
from evidence_check.models import Claim, Status

SCORE_LOCAL_EDIT = 0.5
# Floors per 1000 frame pixels: 1.25x the largest value of any honest photo measured (8.0, an HDR-like
# re-processing; untouched originals reach 2.9, 5.0 where a 100x78 photo is judged per pixel).
MIN_REGION_MASS = 10.0
# The same of the chromaticity alone: 1.28x the largest honest value (11.7, a sharpened re-processing;
# untouched camera originals reach 6.9), and below the weakest stain it catches (20).
MIN_COLOUR_MASS = 15.0
# Where both regions overlap: region_mass / MIN_REGION_MASS + colour_mass / MIN_COLOUR_MASS reaches 1.
# Honest photos reach 0.79 (an HDR re-processing, tone alone), 1.27x under it.
# A thin darker line across what the preview shows (`line_mass`): 1.25x the largest honest value (2.16,
# a 100x72 photo turned and re-encoded; untouched originals and their re-saves reach 1.65 where a thin
# pole the preview softens stands out, HDR 1.36, sharpened 1.02, portrait blur 0.85). The edits
# it adds on the bench measure 3.1-18.8 (docs/measurements/integrity.md).
MIN_LINE_MASS = 2.7


def read(photo: Photo, claim: Claim, facts: Facts, context: CheckContext) -> Reading:
    if facts.jpeg is None or not facts.jpeg.exif_tiff or not facts.camera:
        return Reading()
    thumbnail = extract_thumbnail(facts.jpeg.exif_tiff)
    if thumbnail is None:
        return Reading()
    measured = local_disagreement(
        thumbnail, photo.orientation, photo.working, facts.jpeg.qtables, photo.width
    )
    turn = 0
    if measured is None:  # the pixels may have been turned and the preview left as it was
        turned = thumbnail_turn(thumbnail, photo)
        if turned is not None:
            turn = turned[0]
            measured = local_disagreement(
                thumbnail, photo.orientation, photo.working, facts.jpeg.qtables, photo.width, turn
            )
    if measured is None:
        return Reading(details={"measured": False})
    details: dict[str, Any] = {"measured": True, **measured.as_details(), **({"turn": turn} if turn else {})}
    tone, colour = measured.tone, measured.colour
    if tone.mass >= MIN_REGION_MASS:
        box, share, details["fired_on"] = tone.box, tone.share, "tone"
    elif colour.mass >= MIN_COLOUR_MASS:
        box, share, details["fired_on"] = colour.box, colour.share, "colour"
    elif measured.line.mass >= MIN_LINE_MASS:
        box, share, details["fired_on"] = measured.line.box, measured.line.share, "line"
    elif joint_share(tone.mass, colour.mass) >= 1.0 and overlap(tone.box, colour.box):
        box, details["fired_on"] = _union(tone.box, colour.box), "tone and colour"
        share = max(tone.share, colour.share)
    else:
        return Reading(details=details)
    signal = local_edit_signal("thumbnail_local_edit", box, details, share=round(share * 100, 1))
    return Reading((signal,), details)


def joint_share(region_mass: float, colour_mass: float) -> float:
    """How far the tone and the colour disagree together, each in shares of its own threshold."""
    return region_mass / MIN_REGION_MASS + colour_mass / MIN_COLOUR_MASS


def overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def _union(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def local_edit_signal(name: str, box: tuple[float, float, float, float], details: dict[str, Any], **said: Any) -> Signal:
    """The `warn` of a local edit found at `box` (shares of the frame): its place in words in both
    languages and `said` in the sentence's parameters, next step the unedited original."""
    place = where(box)
    params = {"where": place, "where_zh": PLACES_ZH[place], **said}
    return Signal(
        name, Status.WARN, SCORE_LOCAL_EDIT, f"integrity.{name}", params, {**details, **params}, "ask_unedited_original"
    )


PLACES_ZH = {
    "upper left": "左上部",
    "upper middle": "上部中间",
    "upper right": "右上部",
    "middle left": "左侧中部",
    "centre": "中央",
    "middle right": "右侧中部",
    "lower left": "左下部",
    "lower middle": "下部中间",
    "lower right": "右下部",
}


def where(box: tuple[float, float, float, float]) -> str:
    """A region's place in the photo as words ("centre", "upper left", "lower middle", ...), from its
    box in shares of the frame (left, top, right, bottom)."""
    left, top, right, bottom = box
    x, y = (left + right) / 2, (top + bottom) / 2
    row = "upper" if y < 1 / 3 else "lower" if y > 2 / 3 else "middle"
    column = "left" if x < 1 / 3 else "right" if x > 2 / 3 else "middle"
    if row == column == "middle":
        return "centre"
    if column == "middle":
        return f"{row} middle"
    return f"{row} {column}" if row != "middle" else f"middle {column}"
