"""A photo too small to verify: it shows no damage a person can judge and no edit a look can find.

A 100x75 photo (an old camera sample resized, a thumbnail saved from a chat) holds about as many
pixels as the EXIF preview it is compared with, so the quiet-edit comparison has nothing to see
beyond the JPEG's noise, and a 1 % scratch is 75 pixels. Saying "no traces of editing" there
would claim more than was looked at. Below `MIN_PIXELS` the check says so instead:
``unknown`` ``integrity.too_small`` naming the size, next step the photo as the phone's camera
saved it.

Why ``unknown`` and not ``warn``: the size is no evidence against the customer, and honest camera
files this small exist in the corpora (`evidence-check eval`'s genuine claims keep them accepted).
An ``unknown`` scored 0 changes no verdict by itself; a ``warn`` or ``fail`` of another signal still
decides the finding, and this note stays in its details. A merchant who wants such photos looked at
by a person lists ``integrity`` in `review_when_unknown`.
"""

from __future__ import annotations

from evidence_check.checks.context import CheckContext
from evidence_check.checks.integrity.signals import Facts, Reading, Signal
from evidence_check.imaging.load import Photo
from evidence_check.models import Claim, Status

# A sixth of the smallest photo a camera writes (VGA, 640x480 = 307,200 pixels; phones write 2-50 MP
# and chat apps resize to a long side of 1280 or more), 2.4x under the corpora's smallest honest claim
# photos (the 348x348 grocery shelf crops) and 1.9x over the largest tiny sample (200x134).
MIN_PIXELS = 50_000


def read(photo: Photo, claim: Claim, facts: Facts, context: CheckContext) -> Reading:
    if photo.width * photo.height >= MIN_PIXELS:
        return Reading()
    params = {"width": photo.width, "height": photo.height}
    note = Signal("too_small", Status.UNKNOWN, 0.0, "integrity.too_small", params, params, "ask_full_size_photo")
    return Reading((note,))
