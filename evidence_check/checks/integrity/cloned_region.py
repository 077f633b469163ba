"""A cloned region: a patch of the camera photo that repeats another place of it exactly.

A clone stamp hides damage by copying an undamaged part of the photo over it; an editor that keeps
the camera's EXIF leaves no other trace, and where the photo is much larger than its EXIF thumbnail
the comparison with the thumbnail (`quiet_edit`) cannot see a patch of 1-3 % of the frame. Here the
photo is searched for two places identical but for the JPEG's rounding
(`imaging.copy_move.find_clone`): honest look-alikes — the same product twice on a shelf, tiles,
a weave — differ by sensor noise, light and perspective, and do not match on one shift by the
hundred. A print (a monogram canvas, a check) does, pixel for pixel, but its likeness goes on a
shift further both ways, where a clone stamp's stops (on one side at least, stamped twice in a
row): such a shift is the print's period, not a clone.

- Camera JPEG (the EXIF records an exposure) whose commonest shift holds `MIN_CLONE_PAIRS` matches
  or more -> ``warn`` ``integrity.cloned_region`` naming where the copy lies, next step: the
  unedited original from the phone's gallery.
- Otherwise nothing is found; the measurement is in the finding's details (``copy_move``).
- Not looked for in screenshots, graphics and files without a camera's exposure tags: drawn pictures
  repeat their pixels exactly (icons, glyphs, flat illustrations), and the quiet edit this answers is
  of camera files.

Why ``warn``: a clone is strong evidence of an edit, scored as the local thumbnail disagreement is,
but the claim goes to a person, who sees the two places named in seconds; it is never rejected on
this alone.

`MIN_CLONE_PAIRS` sits about three times above the largest value of any honest camera photo
measured — the corpora's camera and phone originals, the same re-processed as phones do and
re-saved whole — and as far below the weakest clone it catches (docs/measurements/integrity.md).
"""

from __future__ import annotations

from evidence_check.checks.context import CheckContext
from evidence_check.checks.integrity.quiet_edit import local_edit_signal
from evidence_check.checks.integrity.signals import Facts, Reading
from evidence_check.imaging.copy_move import find_clone
from evidence_check.imaging.load import Photo
from evidence_check.models import Claim

# Matches on one shift. Honest camera photos reach 30 (a re-save; originals 27), a photo's own crop
# shown twice, shifted half a pixel and 4 % darker, 35; the clones caught reach 289 and more.
MIN_CLONE_PAIRS = 100


def read(photo: Photo, claim: Claim, facts: Facts, context: CheckContext) -> Reading:
    if facts.jpeg is None or not facts.camera:
        return Reading()
    found = find_clone(photo.working)
    if found is None:
        return Reading(details={"pairs": 0})
    details = found.as_details()
    if found.pairs < MIN_CLONE_PAIRS:
        return Reading(details=details)
    return Reading((local_edit_signal("cloned_region", found.box, details),), details)
