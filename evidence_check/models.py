"""The plain data of one claim and its report: the shapes of docs/contract.md.

Everything here is immutable. Checks produce `Finding`s; scoring turns them into verdicts; the
report module renders them. Nothing here knows about images, HTTP or storage.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from evidence_check.errors import WordedError

SCHEMA = "evidence-check.report/1"


class Status(StrEnum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    UNKNOWN = "unknown"
    ERROR = "error"


class Verdict(StrEnum):
    ACCEPT = "accept"
    REVIEW = "review"
    REJECT = "reject"


class ClaimReason(StrEnum):
    DAMAGED = "damaged"
    NOT_RECEIVED = "not_received"
    WRONG_ITEM = "wrong_item"
    NOT_AS_DESCRIBED = "not_as_described"
    OTHER = "other"


class WantedOutcome(StrEnum):
    """What the customer asks for. A closed set so that queues can be sorted and counted by it:
    money back keeping the item (`refund`), part of it (`partial_refund`), money back for the item
    sent back (`return`), another item (`replacement`) or the item mended (`repair`)."""

    REFUND = "refund"
    PARTIAL_REFUND = "partial_refund"
    RETURN = "return"
    REPLACEMENT = "replacement"
    REPAIR = "repair"


class RegionInvalid(ValueError):
    """A region that cannot be read; `problem` names what is wrong (worded by evidence_check.intake)."""

    def __init__(self, problem: str, text: str) -> None:
        super().__init__(f"region {text!r}: {problem}")
        self.problem = problem


# A region's numbers are echoed in the report's JSON: a number past 32 bits (a client sent 10**20)
# would reach clients that read it as a 64-bit or a JavaScript number wrongly, or not at all. No
# photo that loads has a side this long (imaging.load.Limits caps its pixels at 260 million).
REGION_LARGEST = 2**31 - 1


@dataclass(frozen=True)
class Region:
    """A rectangle in pixels of the oriented full-resolution photo it was drawn on.

    `photo` numbers that photo among the claim's, from 1; None: the first. Written ``X,Y,W,H`` or,
    naming the photo, ``N:X,Y,W,H``.
    """

    x: int
    y: int
    w: int
    h: int
    photo: int | None = None

    @property
    def photo_number(self) -> int:
        return self.photo or 1

    @classmethod
    def parse(cls, text: str) -> Region:
        photo, box = _photo_and_box(text)
        parts = box.split(",")
        if len(parts) != 4:
            raise RegionInvalid("shape", text)
        try:
            x, y, w, h = (int(p.strip()) for p in parts)
        except ValueError:
            raise RegionInvalid("not_whole", text) from None
        if x < 0 or y < 0 or w <= 0 or h <= 0:
            raise RegionInvalid("outside", text)
        if max(x, y, w, h) > REGION_LARGEST:
            raise RegionInvalid("too_large", text)
        return cls(x, y, w, h, photo)

    def text(self) -> str:
        box = f"{self.x},{self.y},{self.w},{self.h}"
        return box if self.photo is None else f"{self.photo}:{box}"


# A region written as this word (``none``, ``N:none``) takes back the one drawn on that photo before.
NO_REGION = "none"


def region_taken_back(text: str) -> int | None:
    """The photo number (from 1) a region written ``none`` or ``N:none`` takes the region back from;
    None for any other text. `RegionInvalid` for a photo number that cannot be read."""
    if text.split(":", 1)[-1].strip().lower() != NO_REGION:
        return None
    return _photo_and_box(text)[0] or 1


def _photo_and_box(text: str) -> tuple[int | None, str]:
    """The photo number a region names (None: none named) and the rest of its text."""
    if ":" not in text:
        return None, text
    number, box = text.split(":", 1)
    try:
        photo = int(number.strip())
    except ValueError:
        raise RegionInvalid("photo_not_whole", text) from None
    if photo < 1:
        raise RegionInvalid("photo_from_one", text)
    if photo > REGION_LARGEST:
        raise RegionInvalid("too_large", text)
    return photo, box


@dataclass(frozen=True)
class Timeline:
    """The order's milestones as timezone-aware instants; any of them may be unknown."""

    ordered_at: datetime | None = None
    shipped_at: datetime | None = None
    delivered_at: datetime | None = None
    claimed_at: datetime | None = None


@dataclass(frozen=True)
class Claim:
    claim_id: str
    timeline: Timeline
    customer_id: str | None = None
    sku: str | None = None
    category: str | None = None
    reason: ClaimReason = ClaimReason.DAMAGED
    order_id: str | None = None
    wanted: WantedOutcome | None = None  # what the customer asks for, when the intake says
    region: Region | None = None
    tenant: str = "default"
    time_zone: str = "UTC"
    lang: str = "en"
    # The regions drawn on photos the claim was sent with earlier, each naming its photo among those
    # verified now: a reverify's, which analyses all the claim's photos at once (`region` is then None).
    photo_regions: tuple[Region, ...] = ()
    # The photo (numbered among those sent now, from 1) whose region an earlier request drew and this
    # one takes back (`region` written ``none`` or ``N:none``): it is judged, and kept, without one.
    region_taken_back: int | None = None

    @property
    def regions(self) -> tuple[Region, ...]:
        return (() if self.region is None else (self.region,)) + self.photo_regions

    def region_on(self, photo_number: int) -> Region | None:
        """The region drawn on the photo numbered `photo_number` (from 1) among those verified; a
        photo is judged by its own region only."""
        return next((region for region in self.regions if region.photo_number == photo_number), None)


@dataclass(frozen=True)
class Sighting:
    """A photo's bytes recorded with a claim, as the store remembers them."""

    claim_id: str
    first_seen: datetime


# Where an agent's decision came from (the store keeps it with the decision; the API's schema shows it).
Via = Literal["api", "console", "cli"]


@dataclass(frozen=True)
class Challenge:
    """A retake challenge issued for a claim, and a way to ask where a photo was seen before.

    `sightings` maps an image id to its earlier recordings; the store supplies it, so that the
    challenge check asks without knowing the store.
    """

    claim_id: str
    code: str
    issued_at: datetime
    sightings: Callable[[str], Sequence[Sighting]] | None = None

    def recorded_before(self, first_seen: datetime) -> bool:
        """Whether a photo the store first recorded at `first_seen` is earlier evidence, not an answer
        to this challenge: the one boundary of the challenge look (`checks/challenge.py`) and of
        "the challenge is still unanswered" (`store/outcomes.py`). Recorded at the very instant of
        the challenge, it came for it."""
        return first_seen < self.issued_at


@dataclass(frozen=True)
class Finding:
    """What one check concluded about one photo.

    `code` names the conclusion stably (e.g. ``timestamp.before_order``); `params` fill the
    plain-language sentence for that code in the explain module; `details` are the measured values
    behind it, for agents and auditors. `next_step`, when set, is the code of what to ask for.
    """

    status: Status
    score: float
    code: str
    params: Mapping[str, Any] = field(default_factory=dict)
    details: Mapping[str, Any] = field(default_factory=dict)
    next_step: str | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= self.score <= 1.0:
            raise ValueError(f"finding score must be in [0, 1], got {self.score}")


@dataclass(frozen=True)
class ImageReport:
    image_id: str | None
    filename: str
    # Why the photo could not be read: worded in the report's language, or a line recorded before
    # errors had codes (said as it was).
    error: WordedError | str | None
    verdict: Verdict
    risk: float
    findings: Mapping[str, Finding]


@dataclass(frozen=True)
class Report:
    claim: Claim
    verdict: Verdict
    risk: float
    confidence: float
    images: tuple[ImageReport, ...]
    created_at: datetime
    # Which scoring rule decided the verdict and on which finding (scoring.Basis.as_dict()).
    basis: Mapping[str, Any] = field(default_factory=dict)
