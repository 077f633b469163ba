"""What a check may consult besides the photo and the claim: long-lived things passed in, and the
photo's own measurements."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from evidence_check.models import Challenge
from evidence_check.settings import Settings

if TYPE_CHECKING:  # for annotations only: building a context needs no OpenCV, index or database
    from evidence_check.catalog.registry import Catalog
    from evidence_check.imaging.load import Photo
    from evidence_check.measure import Measurements
    from evidence_check.references import Match


class ReuseLookup(Protocol):
    """Earlier claim photos, listing photos and reference photos that this photo is a copy of."""

    def matches(self, tenant: str, measured: Measurements, claim_id: str | None = None) -> Sequence[Match]: ...


@dataclass(frozen=True)
class CheckContext:
    settings: Settings
    now: datetime
    references: ReuseLookup | None = None
    challenge: Challenge | None = None  # the claim's open retake challenge, if any
    catalog: Catalog | None = None
    measured: Measurements | None = None  # of the photo being checked, set by the engine per photo
    photo_number: int = 1  # which of the claim's photos is being checked, from 1 (set by the engine)

    def measurements(self, photo: Photo) -> Measurements:
        """The photo's measurements as the engine passed them; measured afresh for a photo checked
        without them (a test or a bench calling one check)."""
        if self.measured is not None and self.measured.photo is photo:
            return self.measured
        from evidence_check.measure import Measurements  # the catalog's OpenCV, only when measuring

        return Measurements(photo)
