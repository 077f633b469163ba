"""From what a client typed or posted to a `Claim`: the same rules for the command line and HTTP."""

from __future__ import annotations

import re
import uuid
from collections.abc import Collection, Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from evidence_check.errors import ID_RULE as ID_RULES
from evidence_check.errors import WordedError
from evidence_check.explain import LANGUAGES
from evidence_check.models import (
    Claim,
    ClaimReason,
    Region,
    RegionInvalid,
    Timeline,
    WantedOutcome,
    region_taken_back,
)
from evidence_check.storable import TextUnstorable, storable_text
from evidence_check.widths import CATEGORY_WIDTH, ID_WIDTH

# Claim ids, customer ids and SKUs: the API's form schema uses the same pattern. Matched whole
# (`fullmatch`): with `match` and `$`, a value ending in a newline would pass.
ID_PATTERN = rf"[\w.:@/+-]{{1,{ID_WIDTH}}}"
_ID = re.compile(ID_PATTERN)
ID_RULE = ID_RULES[0]

# The moments a claim's timeline may hold: no order system stamps anything before the Unix epoch,
# and a claim is not made more than a year ahead of the service's clock. Outside these, a date is a
# typo or a probe, and arithmetic on it (offsets, claim windows) would run off the calendar.
EARLIEST_MOMENT = datetime(1970, 1, 1, tzinfo=UTC)
LATEST_AHEAD = timedelta(days=366)


class IntakeError(WordedError, ValueError):
    """A claim field that cannot be used; the message names the field and what is wrong."""


class OutOfOrder(IntakeError):
    """Two of the order's moments the wrong way round, kept apart so that a page can say which in
    its own words and zone (the agents' console)."""

    def __init__(
        self, first: str, first_at: datetime, second: str, second_at: datetime, recorded: tuple[str, ...] = ()
    ) -> None:
        # `recorded`: those of the two the request left out and the claim gave; unsaid, the client
        # is told of a field it never sent.
        times = {"second": second, "later": second_at.isoformat(), "first": first, "earlier": first_at.isoformat()}
        if recorded:
            super().__init__("intake.out_of_order_recorded", **times, recorded=" and ".join(recorded))
        else:
            super().__init__("intake.out_of_order", **times)
        self.first, self.first_at, self.second, self.second_at = first, first_at, second, second_at


def parse_moment(text: str | None, field: str, zone: ZoneInfo, end_of_day: bool = False) -> datetime | None:
    """ISO 8601 date or date-time; without an offset it is read in `zone`.

    A bare date means the start of that day, or its end for `end_of_day` (a claim made "on
    2026-11-22" may include photos taken that evening).
    """
    if text is None or not text.strip():
        return None
    value = text.strip()
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            moment = datetime.combine(day, time.max if end_of_day else time.min)
        else:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z") else value)
    except ValueError:
        raise IntakeError("intake.not_a_moment", field=field, value=text) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment


# Ids that are a path's dot segments: a browser or HTTP client resolves `/claims/..` to `/` (and
# `%2E%2E` alike) before sending it, so no link or request could ever reach such a claim or SKU.
DOT_SEGMENTS = (".", "..")


def valid_id(value: str) -> bool:
    """Whether `value` can be a claim id, customer id, order id or SKU."""
    return _ID.fullmatch(value) is not None and value not in DOT_SEGMENTS


# A picture's id, the sha256 of its bytes as a report gives it.
IMAGE_ID_PATTERN = r"[0-9a-f]{64}"
_IMAGE_ID = re.compile(IMAGE_ID_PATTERN)


def valid_image_id(value: str) -> bool:
    return _IMAGE_ID.fullmatch(value) is not None


def valid_id_start(value: str) -> bool:
    """Whether an id can start with `value`: a search by a SKU's first characters."""
    return _ID.fullmatch(value) is not None


def check_id(field: str, value: str | None) -> None:
    if value is not None and not valid_id(value):
        raise IntakeError("intake.bad_id", field=field, value=value)


def zone_named(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise IntakeError("intake.unknown_zone", zone=name) from None


def build_claim(
    *,
    now: datetime,
    time_zone: str | None,
    sku: str | None = None,
    ordered_at: str | None = None,
    shipped_at: str | None = None,
    delivered_at: str | None = None,
    claimed_at: str | None = None,
    claim_id: str | None = None,
    customer_id: str | None = None,
    reason: str | None = None,
    order_id: str | None = None,
    wanted: str | None = None,
    region: str | None = None,
    category: str | None = None,
    lang: str = "en",
    tenant: str = "default",
    earlier: Mapping[str, Any] | None = None,
    default_zone: str = "UTC",
) -> Claim:
    """The claim a request describes; `earlier`, the claim's fields as recorded
    (`store.claim_files.sent_fields`), gives the facts the request leaves out (`_with_earlier_facts`).
    `time_zone` is the request's `tz`: without it, the claim's, else `default_zone`."""
    sent = {
        "sku": sku, "customer_id": customer_id, "order_id": order_id, "reason": reason, "wanted": wanted,
        "category": category, "ordered_at": ordered_at, "shipped_at": shipped_at, "delivered_at": delivered_at,
    }  # fmt: skip
    try:
        # Kept in the claim's JSON fields, which both backends take: refused here, not read back
        # later; as long as a SKU's category can be, for it stands in for the SKU's.
        storable_text("category", category, CATEGORY_WIDTH)
    except TextUnstorable as exc:
        raise IntakeError(exc.code, **exc.params) from None
    facts = _with_earlier_facts(sent, earlier)
    sku, customer_id, order_id, reason, wanted, category = (facts[name] for name in CLAIM_FACTS)
    ordered_at, shipped_at, delivered_at = (facts[name] for name in CLAIM_TIMES)
    time_zone = time_zone or (earlier or {}).get("time_zone") or default_zone
    zone = zone_named(time_zone)
    timeline = Timeline(
        ordered_at=parse_moment(ordered_at, "ordered_at", zone),
        shipped_at=parse_moment(shipped_at, "shipped_at", zone),
        delivered_at=parse_moment(delivered_at, "delivered_at", zone),
        claimed_at=parse_moment(claimed_at, "claimed_at", zone, end_of_day=True) or now,
    )
    _check_range(timeline, now)
    _check_order(timeline, recorded={name for name in CLAIM_TIMES if facts[name] != sent[name]})
    try:
        claim_reason = ClaimReason(reason) if reason else ClaimReason.DAMAGED
    except ValueError:
        choices = ", ".join(r.value for r in ClaimReason)
        raise IntakeError("intake.not_a_choice", field="reason", value=reason, choices=choices) from None
    try:
        wanted_outcome = WantedOutcome(wanted) if wanted else None
    except ValueError:
        choices = ", ".join(o.value for o in WantedOutcome)
        raise IntakeError("intake.not_a_choice", field="wanted", value=wanted, choices=choices) from None
    try:
        taken_back = region_taken_back(region) if region else None
        parsed_region = Region.parse(region) if region and taken_back is None else None
    except RegionInvalid as exc:
        raise IntakeError(f"intake.region_{exc.problem}", value=region) from None
    if lang not in LANGUAGES:
        raise IntakeError("intake.not_a_choice", field="lang", value=lang, choices=", ".join(LANGUAGES))
    for name, value in (("claim_id", claim_id), ("customer_id", customer_id), ("sku", sku), ("order_id", order_id)):
        check_id(name, value)
    return Claim(
        claim_id=claim_id or f"c-{uuid.uuid4().hex[:12]}",
        timeline=timeline,
        customer_id=customer_id,
        sku=sku,
        category=category,
        reason=claim_reason,
        order_id=order_id,
        wanted=wanted_outcome,
        region=parsed_region,
        region_taken_back=taken_back,
        tenant=tenant,
        time_zone=time_zone,
        lang=lang,
    )


def _steps(timeline: Timeline) -> list[tuple[str, datetime]]:
    steps = [
        ("ordered_at", timeline.ordered_at),
        ("shipped_at", timeline.shipped_at),
        ("delivered_at", timeline.delivered_at),
        ("claimed_at", timeline.claimed_at),
    ]
    return [(name, moment) for name, moment in steps if moment is not None]


def _check_range(timeline: Timeline, now: datetime) -> None:
    latest = now + LATEST_AHEAD
    for name, moment in _steps(timeline):
        # The year first: comparing or shifting a moment in year 1 or 9999 can overflow.
        inside = EARLIEST_MOMENT.year <= moment.year <= latest.year and EARLIEST_MOMENT <= moment <= latest
        if not inside:
            raise IntakeError(
                "intake.out_of_range",
                field=name,
                moment=moment.isoformat(),
                earliest=EARLIEST_MOMENT.date().isoformat(),
                latest=latest.date().isoformat(),
            )


def _check_order(timeline: Timeline, recorded: set[str]) -> None:
    known = _steps(timeline)
    # One minute of slack: systems stamp the same event a few seconds apart.
    for (first, a), (second, b) in zip(known, known[1:], strict=False):
        if b < a - timedelta(minutes=1):
            raise OutOfOrder(first, a, second, b, tuple(name for name in (first, second) if name in recorded))


# What a later request for a recorded claim may leave out: facts of the claim, not of the photos
# sent. Left out, they are the claim's as sent before: a retake is sent with its claim id alone, as the
# challenge's instructions say, and is judged against the claim's timeline, SKU and reason.
# Not the region (pixels of that request's photos) nor `claimed_at` (the new photos arrive now).
CLAIM_FACTS = ("sku", "customer_id", "order_id", "reason", "wanted", "category")
CLAIM_TIMES = ("ordered_at", "shipped_at", "delivered_at")
# Facts of another fact: the times are those of the order, the category that of the SKU (the
# catalog's, filled in when the claim was recorded). A request naming another order or SKU, as when
# the customer reordered or the item was sent in error, does not take them from the claim.
BELONGS_TO = {"category": "sku", **{name: "order_id" for name in CLAIM_TIMES}}


def _with_earlier_facts(given: Mapping[str, str | None], earlier: Mapping[str, Any] | None) -> dict[str, str | None]:
    merged = dict(given)
    if not earlier:
        return merged
    before = {**{name: earlier.get(name) for name in CLAIM_FACTS}, **(earlier.get("timeline") or {})}
    for name in (*CLAIM_FACTS, *CLAIM_TIMES):
        owner = (given.get(BELONGS_TO[name]) or "").strip() if name in BELONGS_TO else ""
        if owner and owner != before.get(BELONGS_TO[name]):
            continue
        if not (given.get(name) or "").strip() and before.get(name):
            merged[name] = str(before[name])
    return merged


def check_region_photo(claim: Claim, photos: int) -> None:
    """`IntakeError` when the claim's region (or the region it takes back) names a photo the request
    does not have."""
    number = claim.region.photo_number if claim.region is not None else claim.region_taken_back
    if number is not None and number > photos:
        raise IntakeError("intake.region_photo_missing", number=number, photos=photos)


# The photos a claim holds over all its requests. A reverify analyses them all at once, and the claim's
# record keeps a region for each: a client sending one claim new photos request after request would
# grow both without end. Never below what one request may send (`Settings.max_photos`).
CLAIM_PHOTOS_LARGEST = 100


def check_claim_photos(claim_id: str, held: Collection[str], sent: Iterable[str], max_photos: int) -> None:
    """`IntakeError` when the photos `sent` (image ids) would take the claim, holding `held`, past
    its photos; a photo it holds already adds none."""
    adding = len(set(sent) - set(held))
    largest = max(CLAIM_PHOTOS_LARGEST, max_photos)
    if adding and len(held) + adding > largest:
        raise IntakeError("intake.claim_photos_full", claim_id=claim_id, held=len(held), adding=adding, largest=largest)
