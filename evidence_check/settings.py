"""Settings, read once per process from the environment (prefix ``EVIDENCE_CHECK_``) or a .env file."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

from evidence_check.errors import parser_stopped

# Fresh food must be claimed within a day of delivery; the seed names it, the rest are common
# after-sales windows. A merchant overrides them with EVIDENCE_CHECK_CATEGORY_WINDOWS_HOURS.
DEFAULT_CATEGORY_WINDOWS_HOURS = {
    "fresh_food": 24.0,
    "flowers": 48.0,
    "electronics": 24.0 * 15,
    "apparel": 24.0 * 30,
    "default": 24.0 * 30,
}


# The looks a setting may name (REVIEW_WHEN_UNKNOWN); tests/test_settings.py ties them to the
# checks' registry, which imports too much to be imported here.
LOOKS = ("challenge", "timestamp", "reuse", "relevance", "location", "integrity")
# Ten years: a claim window beyond it is a typo, and delivery + window would run off the calendar.
MAX_WINDOW_HOURS = 24 * 3653
# Request bodies one API process reads at once (api/upload.py); beyond, a request waits for a slot,
# then gets 503.
UPLOADS_IN_FLIGHT = 16
ROOT_PATH = re.compile(r"(/[A-Za-z0-9._~-]+)+")


TENANT_TUNABLES = frozenset(
    {
        "reject_score",
        "review_risk",
        "review_when_unknown",
        "provenance_bonus",
        "corroboration_bonus",
        "clock_tolerance_minutes",
        "category_windows_hours",
        "html_show_gps",
        "challenge_length",
    }
)


def default_database_url() -> str:
    folder = Path(platformdirs.user_data_dir("evidence-check", appauthor=False))
    return f"sqlite:///{folder / 'evidence-check.sqlite3'}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EVIDENCE_CHECK_", env_file=".env", extra="ignore")

    db: str = Field(default_factory=default_database_url, description="SQLAlchemy URL of the store")
    time_zone: str = Field("UTC", description="IANA zone for times given without an offset")
    lang: Literal["en", "zh"] = "en"  # those of evidence_check.explain

    max_file_bytes: int = Field(100 * 1024 * 1024, ge=1024)
    # A 200-megapixel phone photo must load; declared sizes beyond this are refused before decode.
    max_pixels: int = Field(260_000_000, ge=1_000_000)
    working_size: int = Field(1024, ge=256, le=4096, description="longest side of the analysis copy")
    max_decoded_bytes: int = Field(
        896 * 1024 * 1024,
        ge=16 * 1024 * 1024,
        description=(
            "bytes one photo may take once decoded, checked from its header before decoding: pixels x "
            "bytes per pixel as the decoder holds them, with its own working copies (a JPEG counts at "
            "the reduced scale it is decoded at). The default fits a 200 MP phone HEIC (857 MiB) and "
            "keeps one photo's load near 1 GB of peak RSS; a photo over it is refused with one line"
        ),
    )

    # HTTP API. A request holds its photos in memory while it is analysed, so these bound memory:
    # at most `api_max_parallel` requests are analysed at once, each at most `max_request_bytes`.
    max_request_bytes: int = Field(200 * 1024 * 1024, ge=1024, description="one HTTP request, all parts")
    # The largest honest JSON body, a SKU's zones, is 4.8 MB with 100 images of 10 zones each at every
    # zone's limits (docs/measurements/api.md); a JSON body is read whole into memory before it parses.
    max_json_bytes: int = Field(16 * 1024 * 1024, ge=1024, description="one JSON request body (zones, an outcome)")
    max_photos: int = Field(20, ge=1, le=200, description="photos in one claim sent over HTTP")
    api_max_parallel: int | None = Field(
        None,
        ge=1,
        le=64,
        description="claims analysed at once by one API process (default: 2 × cores ÷ serve's --workers)",
    )
    # One tenant may hold this many of a process's UPLOADS_IN_FLIGHT, so that one key trickling uploads
    # just above the minimum rate cannot keep every other tenant out. More would read as a share the
    # process cannot give: refused.
    uploads_per_tenant: int = Field(
        8,
        ge=1,
        le=UPLOADS_IN_FLIGHT,
        description="upload slots of a process's 16 one tenant holds at once (its others wait, then 503)",
    )
    # Prometheus sends it as `Authorization: Bearer TOKEN`; once API keys exist, /metrics needs it.
    metrics_token: SecretStr | None = Field(
        None, min_length=16, max_length=256, description="bearer token that reads /metrics"
    )

    clock_tolerance_minutes: float = Field(10.0, ge=0, le=24 * 60)
    # A time without offset may be anywhere from UTC-12 to UTC+14 relative to the assumed zone.
    unknown_offset_tolerance_hours: float = Field(14.0, ge=0, le=26)
    future_limit_days: float = Field(365.0, ge=1)
    # PEM file of C2PA trust anchors used instead of the list shipped in evidence_check/data/c2pa.
    c2pa_trust_anchors: Path | None = Field(None, description="C2PA trust anchors (PEM)")

    category_windows_hours: dict[str, float] = Field(
        default_factory=lambda: dict(DEFAULT_CATEGORY_WINDOWS_HOURS)
    )

    # Scoring (scoring.py). Defaults set with `evidence-check eval` on ../shared/corpora.
    reject_score: float = Field(0.8, ge=0.5, le=1.0, description="a fail scoring this much rejects")
    review_risk: float = Field(0.3, ge=0.05, le=1.0, description="compounded risk that needs a person")
    review_when_unknown: list[str] = Field(default_factory=lambda: ["timestamp"])
    provenance_bonus: float = Field(0.15, ge=0.0, le=0.5)
    corroboration_bonus: float = Field(0.05, ge=0.0, le=0.2)
    # Per merchant: {"tenant": {"reject_score": 0.9, ...}}; only the names in TENANT_TUNABLES.
    tenant_overrides: dict[str, dict[str, Any]] = Field(default_factory=dict)

    # Reports: GPS coordinates stay out of HTML reports unless a merchant needs them there.
    html_show_gps: bool = False

    # Reuse look: ORB keypoints (~20 kB) and a 128-px grey thumbnail of every photo are kept to confirm
    # later copies (crops, heavy edits); off keeps only the hashes, and copies are then confirmed by
    # PDQ distance alone. `evidence-check reuse forget-features --older-than DAYS` drops old ones.
    reuse_keep_features: bool = True
    # Each claim's photo files as received, so that the claim can be verified again (reverify)
    # against a catalog or references that changed; `reuse forget-features` deletes older ones.
    keep_photo_files: bool = True
    # Reuse index: the host's processes map one file of every stored photo's codes (`reuse_file.py`),
    # each indexing in memory the photos recorded since; past this many, one writes the next file.
    reuse_index_dir: Path | None = Field(
        None, description="folder of the host's reuse index file (default: that of the catalogs' feature files)"
    )
    reuse_memory_rows: int = Field(50_000, ge=100, le=10_000_000)

    # Catalog memory: a worker holds each tenant's SKUs and visual-word index; the features of the
    # images a claim is verified against are read from a file the host builds from the store
    # (`catalog/feature_file.py`), and this many images' stay prepared in each worker, their pages
    # of the file mapped in it (~180 KB an image at 100,000 images; those of images let go are
    # unmapped, so the worker's resident memory stays ~1.2 GB, not growing with every image it
    # verifies). Re-reading an image let go costs ~0.1 ms (docs/measurements/scale.md).
    catalog_feature_dir: Path | None = Field(
        None, description="folder of the catalogs' feature files (default: beside a SQLite store, else the user cache)"
    )
    catalog_cached_images: int = Field(1024, ge=16, le=1_000_000)
    # Tenants' catalogs held by a worker at once, about (`TenantCatalog.resident_bytes`): beyond it the
    # least recently used is let go, and loaded again (from the host's feature file) when next needed.
    catalog_memory_mb: int = Field(2048, ge=16)

    # Retake challenge (checks/challenge.py).
    challenge_length: int = Field(5, ge=4, le=8)
    ocr_engine: Literal["rapidocr", "tesseract"] = "rapidocr"

    # Webhooks (evidence_check/webhooks.py): how often a server process sends the events that are
    # due; 0 leaves them to another process or to `evidence-check webhooks deliver`.
    webhook_interval_seconds: float = Field(2.0, ge=0, le=3600)
    # Receivers set over the API with a tenant's key may be at loopback, private or link-local
    # addresses too (a server whose intake systems share its network); off, a tenant's key cannot make
    # the server call into its own network. Receivers the operator sets from the command line may always.
    webhook_private_addresses: bool = False
    # An HTTP proxy (http://[user:password@]host:port) for receivers the operator set, on a server whose
    # outbound traffic must go through one; https receivers by CONNECT. Never for receivers tenants set:
    # those are sent to at the address checked to be public (evidence_check/webhooks.py).
    webhook_proxy: str | None = None
    # The path a reverse proxy serves the app under (`/evidence` for https://shop.example/evidence/):
    # every link, redirect and cookie the app makes carries it (api/served_under.py). "": at `/`.
    root_path: str = ""

    @model_validator(mode="after")
    def _valid_overrides(self) -> Settings:
        for tenant in self.tenant_overrides:
            self.for_tenant(tenant)
        return self

    def for_tenant(self, tenant: str) -> Settings:
        """These settings with the tenant's overrides applied, each checked against its bounds."""
        overrides = self.tenant_overrides.get(tenant)
        if not overrides:
            return self
        unknown = sorted(set(overrides) - TENANT_TUNABLES)
        if unknown:
            raise ValueError(
                f"tenant_overrides[{tenant!r}]: {', '.join(unknown)} cannot be set per tenant "
                f"(allowed: {', '.join(sorted(TENANT_TUNABLES))})"
            )
        merged = self.model_dump() | dict(overrides) | {"tenant_overrides": {}}
        try:
            return Settings.model_validate(merged)
        except ValidationError as exc:
            error = exc.errors()[0]
            where = ".".join(str(part) for part in error["loc"])
            raise ValueError(f"tenant_overrides[{tenant!r}].{where}: {error['msg']}") from None

    @field_validator("webhook_proxy")
    @classmethod
    def _proxy_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018  # a port that is not a number raises here
        except ValueError:
            parts = None
        if parts is None or parts.scheme != "http" or not parts.hostname or parts.path not in ("", "/"):
            raise ValueError(f"must be an HTTP proxy's address, http://host:port, got {_credentials_hidden(value)!r}")
        return value

    @field_validator("root_path")
    @classmethod
    def _path_prefix(cls, value: str) -> str:
        return checked_root_path(value)

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r} (use an IANA name such as Asia/Shanghai)"
            ) from None
        return value

    # A misspelt look or a window below zero would be taken without a word: the look's unknowns
    # accepted unseen, every photo after delivery out of its window.
    @field_validator("review_when_unknown")
    @classmethod
    def _known_looks(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(LOOKS))
        if unknown:
            raise ValueError(f"{unknown[0]!r} is not a look (one of {', '.join(LOOKS)})")
        return value

    @field_validator("category_windows_hours")
    @classmethod
    def _positive_windows(cls, value: dict[str, float]) -> dict[str, float]:
        for category, hours in value.items():
            if not 0 < hours <= MAX_WINDOW_HOURS:
                raise ValueError(
                    f"the window of {category!r} must be over 0 and at most {MAX_WINDOW_HOURS} hours, got {hours}"
                )
        return value

    @field_validator("c2pa_trust_anchors")
    @classmethod
    def _anchors_readable(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"C2PA trust anchors file {str(value)!r} does not exist")
        return value

    @property
    def clock_tolerance(self) -> timedelta:
        return timedelta(minutes=self.clock_tolerance_minutes)

    @property
    def unknown_offset_tolerance(self) -> timedelta:
        return timedelta(hours=self.unknown_offset_tolerance_hours)

    def window_for(self, category: str | None) -> timedelta | None:
        hours = self.category_windows_hours.get(category or "default")
        if hours is None:
            hours = self.category_windows_hours.get("default")
        return None if hours is None else timedelta(hours=hours)


def checked_root_path(value: str) -> str:
    """A path prefix as the app's links and cookie paths are built with: "" or `/a/b`, segments of
    letters, digits and `-._~` (what needs no encoding in a path or a cookie's `Path`), none `.` or
    `..`, and no trailing '/': `/evidence/` + `/claims` would be `//claims`, another host's address.
    One the app's own addresses begin (`/claims`) is refused where its routes are known, by `serve` and
    `create_app` (api.served_under.refuse_own_address)."""
    if value == "" or (ROOT_PATH.fullmatch(value) and not {".", ".."} & set(value.split("/"))):
        return value
    if value == "/":
        raise ValueError("'/' is where the app is served anyway: leave it empty")
    if not value.startswith("/"):
        raise ValueError(f"must start with '/', as /evidence, got {value!r}")
    if value.endswith("/"):
        raise ValueError(f"must not end with '/', as /evidence, got {value!r}")
    raise ValueError(f"must be a plain path of letters, digits and -._~ segments, as /evidence, got {value!r}")


# How pydantic opens the message of a ValueError raised in a validator: a word of its, not ours.
PYDANTIC_VALUE_ERROR = "Value error, "


def without_pydantic_prefix(message: str) -> str:
    return message.removeprefix(PYDANTIC_VALUE_ERROR)


def setting_variable(field: str) -> str:
    """The environment variable a setting is read from (or its `.env` line)."""
    return f"{Settings.model_config.get('env_prefix', '')}{field}".upper()


class SettingsInvalid(ValueError):
    """A setting the environment gives is refused; the message is one line naming its variable."""


def environment_settings() -> Settings:
    """The settings, or `SettingsInvalid` naming the variable the operator set
    (`EVIDENCE_CHECK_TIME_ZONE`, not pydantic's `time_zone`) and what is wrong with its value: the
    command line's and the API worker's one line."""
    try:
        return Settings()
    except ValidationError as exc:  # its last line is a documentation link: say what is wrong instead
        first = exc.errors()[0]
        field, *inside = [str(part) for part in first.get("loc", ())] or [""]
        where = f" {'.'.join([setting_variable(field), *inside])}" if field else ""  # a check of several settings has none
        raise SettingsInvalid(f"bad setting{where}: {without_pydantic_prefix(str(first.get('msg', 'invalid')))}") from None
    except SettingsError as exc:
        # A JSON setting that does not parse: pydantic-settings says only "error parsing value for
        # field ... from source EnvSettingsSource", the parser's reason in its cause.
        named = re.search(r'field "(\w+)"', str(exc))
        why = exc.__cause__
        said = f"not JSON ({parser_stopped(why)})" if isinstance(why, json.JSONDecodeError) else str(exc)
        raise SettingsInvalid(f"bad setting{' ' + setting_variable(named.group(1)) if named else ''}: {said}") from None
    except ValueError as exc:
        raise SettingsInvalid(f"bad setting: {str(exc).splitlines()[-1].strip() if str(exc) else exc}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def _credentials_hidden(proxy: str) -> str:
    """The proxy setting as a refusal may show it: what precedes the host's `@` (a user and its
    password) replaced, as the line goes to the terminal, the service's log, a CI's output."""
    if "@" not in proxy:
        return proxy
    scheme, found, _ = proxy.partition("://")
    return (scheme + found if found else "") + "***@" + proxy.rpartition("@")[2]
