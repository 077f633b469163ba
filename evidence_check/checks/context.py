"""What a check may consult besides the photo and the claim: long-lived things, passed in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from evidence_check.settings import Settings

if TYPE_CHECKING:  # the catalog imports the store, which imports this module
    from evidence_check.catalog import Catalog


@dataclass(frozen=True)
class PriorSighting:
    """A photo with the same bytes recorded earlier, as the store remembers it."""

    claim_id: str
    customer_id: str | None
    first_seen: datetime


class PhotoHistory(Protocol):
    def sightings(self, tenant: str, image_id: str) -> Sequence[PriorSighting]: ...


@dataclass(frozen=True)
class CheckContext:
    settings: Settings
    now: datetime
    history: PhotoHistory | None = None
    catalog: Catalog | None = None
