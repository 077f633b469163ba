"""What a check may consult besides the photo and the claim: long-lived things, passed in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from evidence_check.models import Challenge
from evidence_check.settings import Settings

if TYPE_CHECKING:  # for annotations only: building a context needs no OpenCV, index or database
    from evidence_check.catalog import Catalog
    from evidence_check.imaging.load import Photo
    from evidence_check.references import Match


class ReuseLookup(Protocol):
    """Earlier claim photos, listing photos and reference photos that this photo is a copy of."""

    def matches(self, tenant: str, photo: Photo) -> Sequence[Match]: ...


@dataclass(frozen=True)
class CheckContext:
    settings: Settings
    now: datetime
    references: ReuseLookup | None = None
    challenge: Challenge | None = None  # the claim's open retake challenge, if any
    catalog: Catalog | None = None
