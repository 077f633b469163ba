"""The HTTP shapes: the report of docs/contract.md (as `evidence_check.report.to_dict` builds it),
the claim fields of `POST /v1/verify`, and the error body. Models allow extra keys so that what the
report gains later passes through unchanged; `tests/api` checks these models against `to_dict`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from evidence_check.errors import ERRORS
from evidence_check.intake import ID_PATTERN as INTAKE_ID_PATTERN
from evidence_check.intake import ID_RULE, valid_id, valid_image_id
from evidence_check.intake import IMAGE_ID_PATTERN as INTAKE_IMAGE_ID_PATTERN
from evidence_check.models import SCHEMA, ClaimReason, Via, WantedOutcome
from evidence_check.storable import storable
from evidence_check.widths import CATEGORY_WIDTH

# The ids the intake accepts (evidence_check.intake), anchored for the OpenAPI description.
ID_PATTERN = f"^{INTAKE_ID_PATTERN}$"


def _checked_id(value: str) -> str:
    # `valid_id`, not the pattern alone: the pattern lets "." and ".." through, and a SKU ".." was
    # stored by `POST /v1/catalog/%2E%2E/images` that the command line, the console and a manifest refuse.
    if not valid_id(value):
        raise PydanticCustomError("id_rule", f"must be {ID_RULE}")
    return value


IMAGE_ID_PATTERN = f"^{INTAKE_IMAGE_ID_PATTERN}$"


def _checked_image_id(value: str) -> str:
    # Worded as `input.bad_image_id` (en and zh), not as its regular expression.
    if not valid_image_id(value):
        raise PydanticCustomError("image_id_rule", "must be 64 hexadecimal digits")
    return value


ImageIdText = Annotated[str, AfterValidator(_checked_image_id), Field(json_schema_extra={"pattern": IMAGE_ID_PATTERN})]


# A claim id, customer id, order id or SKU a client sends, refused (422) in the intake's words
# (`intake.bad_id`); the OpenAPI description still gives the pattern.
IdText = Annotated[str, AfterValidator(_checked_id), Field(json_schema_extra={"pattern": ID_PATTERN})]


def storable_str(max_length: int) -> Any:
    """Free text a client sends that is stored: refused whole (422) when longer than `max_length` or
    when `storable` refuses it. Not pydantic's `max_length`, which, beside this validator, was worded
    "at most N items after validation" (a kind errors.py does not word) or took a lone surrogate for
    text it cannot parse."""

    def checked(value: str) -> str:
        if len(value) > max_length:
            # Worded as `input.text_too_long`: as the command line, the console and the catalog's
            # routes word a text longer than its column (`text.too_long`).
            raise PydanticCustomError(
                "text_too_long", ERRORS["input.text_too_long"][0].removeprefix("{field}: "), {"max_length": max_length}
            )
        if not storable(value):
            # Worded as `input.text_unstorable` (evidence_check.errors), in English and Chinese.
            raise PydanticCustomError("text_unstorable", ERRORS["input.text_unstorable"][0].removeprefix("{field}: "))
        return value

    return Annotated[str, AfterValidator(checked), WithJsonSchema({"type": "string", "maxLength": max_length})]

StatusName = Literal["pass", "warn", "fail", "unknown", "error"]
VerdictName = Literal["accept", "review", "reject"]


class CheckResult(BaseModel):
    model_config = ConfigDict(extra="allow")

    status: StatusName
    score: float = Field(ge=0, le=1, description="this check's contribution to risk")
    summary: str = Field(description="one sentence in the report's language")
    code: str = Field(description="stable name of the conclusion, e.g. timestamp.before_order")
    details: dict[str, Any] = Field(description="the measured values behind the status")
    # Absent from reports recorded before they were kept: those are shown in their own language.
    params: dict[str, Any] = Field(
        default_factory=dict, description="what the summary is written from (in any language asked for)"
    )
    next_step: str | None = Field(None, description="code of what to ask the customer for, if anything")


class ImageResult(BaseModel):
    model_config = ConfigDict(extra="allow")

    image_id: str | None = Field(description="sha256 of the file's bytes")
    filename: str
    error: str | None = Field(description="why the photo could not be read; then `checks` is empty")
    # Absent when the photo was read, and from reports recorded before errors had codes.
    error_code: str | None = Field(None, description="stable name of why it could not be read, e.g. photo.empty")
    error_params: dict[str, Any] | None = Field(None, description="what `error` is written from (in any language)")
    verdict: VerdictName
    risk: float = Field(ge=0, le=1)
    checks: dict[str, CheckResult] = Field(
        description="timestamp, reuse, relevance, location, integrity (every readable photo has all five)"
    )


class Timeline(BaseModel):
    model_config = ConfigDict(extra="allow")

    ordered_at: str | None = None
    shipped_at: str | None = None
    delivered_at: str | None = None
    claimed_at: str | None = None


class VerdictBasis(BaseModel):
    """Which rule of `evidence_check.scoring` decided the verdict, and on which finding."""

    model_config = ConfigDict(extra="allow")

    rule: str = Field(
        description="strong_fail, doubt, unknown_look, risk, unreadable, challenge_passed or consistent"
    )
    check: str | None = None
    code: str | None = None
    filename: str | None = None
    summary: str = Field(description="the basis as one sentence in the report's language")


class Report(BaseModel):
    """The confidence report of one claim."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    schema_: str = Field(SCHEMA, alias="schema", serialization_alias="schema")
    claim_id: str
    sku: str | None = None
    customer_id: str | None = None
    order_id: str | None = None
    reason: str | None = None
    wanted: str | None = Field(None, description="refund, partial_refund, return, replacement or repair")
    verdict: VerdictName = Field(
        description="a recommendation: accept, review (a person should look) or reject"
    )
    risk: float = Field(ge=0, le=1, description="how likely the evidence is not genuine")
    confidence: float = Field(ge=0, le=1, description="how sure the service is of its verdict")
    reasons: list[str] = Field(description="plain-language sentences, most important first")
    next_steps: list[str] = Field(description="what the agent should ask the customer for, if anything")
    verdict_basis: VerdictBasis | None = None
    provenance: list[str] = Field(
        default_factory=list, description="what vouches for the capture: c2pa_trusted, challenge_passed"
    )
    created_at: str | None = None
    timeline: Timeline | None = None
    images: list[ImageResult]


class SkippedFile(BaseModel):
    filename: str
    error: str = Field(description="why it could not be read, one line")


class KnownAsOtherKind(BaseModel):
    filename: str
    kind: Literal["stock", "review"] = Field(description="the kind the tenant already has the picture as")
    reference_id: str = Field(description="the name it has there")
    note: str = Field(description="one line saying so, and how to change its kind")


class ReferencesAdded(BaseModel):
    added: int = Field(description="new pictures stored and indexed")
    known: int = Field(
        description="pictures this tenant already had under the same name, or as the other kind (a picture is "
        "a stock or a review photo, not both: those are listed in `known_as_other_kind`)"
    )
    skipped: list[SkippedFile] = Field(default_factory=list)
    known_as_other_kind: list[KnownAsOtherKind] = Field(default_factory=list)


class NoOutline(BaseModel):
    filename: str
    outline_share: float = Field(description="share of the image its product outline covers (zones aside)")
    warning: str = Field(description="one line: why the location look cannot use it, and what to do")


NO_OUTLINE_FIELD: list[NoOutline] = Field(
    default_factory=list,
    description="images stored (they serve the relevance and reuse looks) that have no plain background, "
    "so the location look cannot tell a region off the product on them: add an image of the product on a "
    "plain background, or draw zones on them",
)


class CatalogAdded(BaseModel):
    sku: str
    added: int = Field(description="new images stored for the SKU (one it already has is not stored twice)")
    skipped: list[SkippedFile] = Field(default_factory=list)
    no_outline: list[NoOutline] = NO_OUTLINE_FIELD


class ImportedRow(BaseModel):
    row: str = Field(description="where the manifest names the SKU: 'line 3' (JSONL) or 'row 2' (CSV)")
    sku: str
    stored: bool = Field(description="false: none of the row's images could be used, nothing was stored for it")
    added: int = Field(description="new images stored for the SKU")
    known: int = Field(description="images the SKU held already (not measured again)")
    skipped: list[SkippedFile] = Field(default_factory=list, description="images named in the row that were not used")
    no_outline: list[NoOutline] = NO_OUTLINE_FIELD


class CatalogImported(BaseModel):
    skus: int = Field(description="rows with at least one image stored or held already")
    images: int = Field(description="new images stored, over all rows")
    reindexed: int | None = Field(description="images reindexed with a vocabulary fitted to the catalog; null: not refitted")
    rows: list[ImportedRow]


class VerifyFields(BaseModel):
    """The claim fields of `POST /v1/verify`, as form fields beside the `photos` files.

    Times are ISO 8601 dates or date-times; without an offset they are read in `tz`. For a claim id
    already recorded, the facts left out are the claim's, `tz` too; not `region` nor `claimed_at`, its
    times only while `order_id` is the same or left out, its `category` only while `sku` is.
    """

    model_config = ConfigDict(extra="forbid")

    sku: IdText | None = Field(None, description="ordered product, as in the catalog")
    ordered_at: str | None = Field(None, max_length=64, examples=["2026-11-10T10:00+08:00"])
    shipped_at: str | None = Field(None, max_length=64)
    delivered_at: str | None = Field(None, max_length=64, examples=["2026-11-14T15:00+08:00"])
    claimed_at: str | None = Field(None, max_length=64, description="default: now")
    claim_id: IdText | None = Field(
        None, description="default: a new id; the same id with the same photos is a retry"
    )
    customer_id: IdText | None = Field(None, examples=["cust-9"])
    order_id: IdText | None = Field(
        None, description="the order the claim is about", examples=["SO-20261110-0042"]
    )
    reason: ClaimReason | None = Field(None, description="default: damaged")
    wanted: WantedOutcome | None = Field(None, description="what the customer asks for", examples=["refund"])
    region: str | None = Field(
        None, max_length=64, description="X,Y,W,H in pixels of the first photo, or N:X,Y,W,H of photo N (from 1); `none` or "
        "`N:none` takes back the region an earlier request of the claim drew on that photo, sent again (a photo sent "
        "again without a region keeps its own)"
    )
    category: storable_str(CATEGORY_WIDTH) | None = Field(  # type: ignore[valid-type]
        None, description="product category for claim windows"
    )
    tz: str | None = Field(None, max_length=64, description="IANA zone for times without offset")
    record: bool = Field(True, description="false: analyse only, remember nothing")


class Problem(BaseModel):
    detail: str = Field(description="one line saying what is wrong")


class Health(BaseModel):
    status: Literal["ok"]
    schema_: str = Field(SCHEMA, alias="schema", serialization_alias="schema")
    database: str = Field(description="sqlite or postgresql")


REPORT_EXAMPLE: dict[str, Any] = {
    "schema": SCHEMA,
    "claim_id": "c-123",
    "sku": "BAG-001",
    "customer_id": "cust-9",
    "order_id": "SO-20261110-0042",
    "reason": "damaged",
    "wanted": "refund",
    "verdict": "reject",
    "risk": 0.9,
    "confidence": 0.9,
    "reasons": [
        "Taken 2026-11-01 18:20:00 +08:00, 8 days before the order was placed (2026-11-10 10:00 +08:00).",
        "No catalog images for BAG-001, so the product in the photo was not compared.",
        "No problem region was marked.",
        "Not seen before: no earlier claim, listing or stock photo matches.",
        "No traces of editing, screens or image generators.",
    ],
    "next_steps": ["Ask for a new photo of the item, taken now, from another angle."],
    "verdict_basis": {
        "rule": "strong_fail",
        "check": "timestamp",
        "code": "timestamp.before_order",
        "filename": "photo1.jpg",
        "score": 0.9,
        "summary": "Recommend REJECT: the timestamp look found strong evidence against the claim in photo1.jpg (score 0.90).",
    },
    "provenance": [],
    "created_at": "2026-11-16T04:00:00+00:00",
    "timeline": {
        "ordered_at": "2026-11-10T10:00:00+08:00",
        "shipped_at": None,
        "delivered_at": "2026-11-14T15:00:00+08:00",
        "claimed_at": "2026-11-16T12:00:00+08:00",
    },
    "images": [
        {
            "image_id": "47bb7bd27eb95acc8814816bde173d61ea9be2b88d795e19ff56c75df61d7121",
            "filename": "photo1.jpg",
            "error": None,
            "error_code": None,
            "error_params": None,
            "verdict": "reject",
            "risk": 0.9,
            "checks": {
                "timestamp": {
                    "status": "fail",
                    "score": 0.9,
                    "summary": "Taken 2026-11-01 18:20:00 +08:00, 8 days before the order was placed "
                    "(2026-11-10 10:00 +08:00).",
                    "code": "timestamp.before_order",
                    "details": {"taken": "2026-11-01 18:20:00 +08:00", "source": "exif:DateTimeOriginal"},
                    "params": {
                        "taken": "2026-11-01 18:20:00 +08:00",
                        "source": "exif:DateTimeOriginal",
                        "gap_hours": 207.67,
                        "milestone": "2026-11-10 10:00 +08:00",
                    },
                    "next_step": "ask_new_photo",
                },
                "reuse": {
                    "status": "pass",
                    "score": 0.0,
                    "summary": "Not seen before: no earlier claim, listing or stock photo matches.",
                    "code": "reuse.not_seen",
                    "details": {},
                    "params": {},
                    "next_step": None,
                },
                "relevance": {
                    "status": "unknown",
                    "score": 0.0,
                    "summary": "No catalog images for BAG-001, so the product in the photo was not compared.",
                    "code": "relevance.no_catalog",
                    "details": {"sku": "BAG-001"},
                    "params": {"sku": "BAG-001"},
                    "next_step": None,
                },
                "location": {
                    "status": "unknown",
                    "score": 0.0,
                    "summary": "No problem region was marked.",
                    "code": "location.no_region",
                    "details": {},
                    "params": {},
                    "next_step": None,
                },
                "integrity": {
                    "status": "pass",
                    "score": 0.0,
                    "summary": "No traces of editing, screens or image generators.",
                    "code": "integrity.no_traces",
                    "details": {"flags": []},
                    "params": {},
                    "next_step": None,
                },
            },
        },
        {
            "image_id": "0f5ac3b1e6d34c4c9a1f0d1f1e1c6a3b9d4e2f7a8b6c5d4e3f2a1b0c9d8e7f6a",
            "filename": "photo2.jpg",
            "error": "the JPEG file is damaged or truncated (image file is truncated)",
            "error_code": "photo.damaged",
            "error_params": {"format": "JPEG", "problem": "image file is truncated"},
            "verdict": "review",
            "risk": 0.0,
            "checks": {},
        },
    ],
}


class DecidedByShown(BaseModel):
    key: str | None = Field(description="the public id of the API key it came with; null: the loopback trial, the CLI")
    via: Via


class ClaimSummary(BaseModel):
    """One row of the claims list: enough to sort a queue without opening each report."""

    claim_id: str
    customer_id: str | None
    sku: str | None
    order_id: str | None = None
    reason: str
    wanted: str | None = None
    created_at: datetime
    updated_at: datetime
    verdict: Literal["accept", "review", "reject"] = Field(description="of the claim's latest report")
    risk: float
    strongest_reason: str | None = Field(
        description="the latest report's first reason, in the language that report was written in"
    )
    photos: int
    reports: int = Field(description="reports recorded for the claim (more than one when verified again)")
    outcome: Literal["genuine", "fraud"] | None = Field(description="the agent's decision, once recorded")
    decided_by: DecidedByShown | None = Field(
        None, description="who recorded that decision (added 2026-12-06); null before it was kept"
    )
    decision_id: int | None = Field(
        None, description="that decision's id, to send as `seen` with the next one (added 2026-12-06)"
    )


class ClaimPage(BaseModel):
    items: list[ClaimSummary]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null on the last")
