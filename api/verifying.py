"""From an uploaded form to a report, the way the command line does it, plus idempotency.

A request is named by up to two keys, unique per tenant in the store: the client's
`Idempotency-Key`, and, when the client gave a claim id, a digest of that id with the other fields
and the photos' bytes. A request whose key is already recorded gets the stored report and records
nothing. The Idempotency-Key is recorded with the digest of every field and photo of its request:
the key sent again with anything changed is a conflict (409), never the other request's report.
Requests racing in several processes are settled by the database's unique constraint (see
`Store.record`), not by anything held in memory: one records, the same request gets its report,
another request with the same key gets 409. `POST /v1/claims/{id}/reverify` takes the same key,
recorded with a digest naming that claim's reverify (`reverify_keys`).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import Header
from pydantic import ValidationError

from api.deps import one_library_thread_here
from api.schemas import VerifyFields
from api.upload import UploadedFile, UploadedForm
from evidence_check.engine import Upload
from evidence_check.errors import ERRORS, error_text, parser_stopped, template_fields
from evidence_check.intake import IntakeError, build_claim, check_claim_photos, check_region_photo
from evidence_check.models import Claim
from evidence_check.service import (
    IDEMPOTENCY_KEY_PATTERN,
    IDEMPOTENCY_KEY_WIDTH,
    nothing_readable,
    verify_claim,
)
from evidence_check.settings import Settings
from evidence_check.store import Store, claim_request_key, request_key
from evidence_check.store.claim_files import claim_image_ids, sent_fields

PHOTOS_FIELD = "photos"


# Where FastAPI places the header's validation error (`describe` words it as `input.bad_idempotency_key`).
IDEMPOTENCY_KEY_LOCATION = ["header", "idempotency-key"]


def idempotency_key_header(description: str) -> Any:
    """The `Idempotency-Key` header, as every route taking it checks it: visible ASCII, no spaces."""
    return Header(
        min_length=1, max_length=IDEMPOTENCY_KEY_WIDTH, pattern=IDEMPOTENCY_KEY_PATTERN, description=description
    )


@dataclass(frozen=True)
class VerifyRequest:
    claim: Claim
    photos: tuple[tuple[str, UploadedFile], ...]  # (filename, spooled file), in order
    record: bool
    request_keys: tuple[str, ...]  # see evidence_check.store.request_key

    def uploads(self) -> tuple[Upload, ...]:
        """The photos' bytes, read back from their spools, with the hashes taken as they arrived
        (the analysis does not hash again)."""
        return tuple(Upload(name, f.data, image_id=f.sha256) for name, f in self.photos)


def parse_verify(
    form: UploadedForm,
    *,
    tenant: str,
    lang: str,
    settings: Settings,
    now: datetime,
    idempotency_key: str | None,
    store: Store | None = None,
) -> VerifyRequest:
    """The claim and its photos, or `IntakeError` saying which field is wrong (`UploadInvalid` for a
    file sent in another field); the facts a request for a claim in `store` leaves out are the
    claim's (`intake.build_claim`). Text fields are checked by `VerifyFields`, which forbids others."""
    form.refuse_stray_files(PHOTOS_FIELD)
    if PHOTOS_FIELD in form.fields:
        raise IntakeError("intake.photos_as_text")
    if not form.files:
        raise IntakeError("intake.no_photos")
    try:
        # An empty field is an absent one (a web form sends every input, filled or not).
        fields = VerifyFields.model_validate({k: v for k, v in form.fields.items() if v.strip()})
    except ValidationError as exc:
        code, params = describe(exc.errors(), [PHOTOS_FIELD, *VerifyFields.model_fields])
        raise IntakeError(code, **params) from None
    earlier = sent_fields(store, tenant, fields.claim_id) if store is not None and fields.claim_id else None
    claim = build_claim(
        now=now,
        time_zone=fields.tz,
        default_zone=settings.time_zone,
        sku=fields.sku,
        ordered_at=fields.ordered_at,
        shipped_at=fields.shipped_at,
        delivered_at=fields.delivered_at,
        claimed_at=fields.claimed_at,
        claim_id=fields.claim_id,
        customer_id=fields.customer_id,
        order_id=fields.order_id,
        reason=fields.reason.value if fields.reason else None,
        wanted=fields.wanted.value if fields.wanted else None,
        region=fields.region,
        category=fields.category,
        lang=lang,
        tenant=tenant,
        earlier=earlier,
    )
    check_region_photo(claim, len(form.files))
    if fields.record and store is not None and fields.claim_id:
        held = claim_image_ids(store, tenant, fields.claim_id)
        check_claim_photos(claim.claim_id, held, (f.sha256 for f in form.files), settings.max_photos)
    named_photos = tuple((f.filename or f"photo{n}", f) for n, f in enumerate(form.files, start=1))
    # Everything the client sent except `record`, and the photos with their names: a retry sends
    # the same; a corrected field or another photo is a new request.
    named = {
        "fields": fields.model_dump(mode="json", exclude={"record"}),
        "photos": [[name, f.sha256] for name, f in named_photos],
    }
    digest = hashlib.sha256(json.dumps(named, sort_keys=True).encode()).hexdigest()
    keys = []
    if idempotency_key:
        keys.append(request_key(f"idem:{idempotency_key}", digest))
    if fields.claim_id:
        keys.append(claim_request_key(digest))
    return VerifyRequest(claim=claim, photos=named_photos, record=fields.record, request_keys=tuple(keys))


def answer(
    request: VerifyRequest,
    *,
    store: Store,
    settings: Settings,
    now: datetime,
    gate: threading.Semaphore,
    channel: str = "api",
) -> dict[str, Any]:
    """The report: the one stored for this very request, or a new one (recorded unless asked not to)."""
    if request.record:
        earlier = store.replay(request.claim.tenant, request.request_keys)
        if earlier is not None:
            return earlier
    # The gate bounds how many claims are read into memory and decoded at once, and so the memory
    # a burst can take; the photos waiting for it stay spooled.
    with gate:
        one_library_thread_here()
        outcome = verify_claim(
            request.claim,
            request.uploads(),
            settings=settings,
            store=store,
            now=now,
            record=request.record,
            request_keys=request.request_keys if request.record else (),
            channel=channel,
        )
    if outcome.readable == 0:
        raise nothing_readable(outcome.report)
    return outcome.body


def describe(errors: Sequence[Any], known: Sequence[str] = (), body: Any = None) -> tuple[str, dict[str, Any]]:
    """The first of pydantic's (or FastAPI's) validation errors as an error code and its parameters
    (evidence_check.errors), worded `field: message`; a field the request does not take is
    named with the `known` ones; `body`, the JSON document that did not parse, places the parser's stop.

    The English line is pydantic's own message; a kind of error is worded in Chinese only where its
    line, filled in from pydantic's context, is that message (pydantic words a few otherwise, e.g.
    "1 character"), else it is `input.invalid` with the message as it came."""
    if not errors:
        return "input.invalid", {"field": "body", "message": "invalid request"}
    error = errors[0]
    loc = [str(part) for part in error.get("loc", ())]
    where = ".".join(part for part in loc if part not in ("body", "query", "header", "path")) or ".".join(loc) or "body"
    kind = str(error.get("type", ""))
    message = str(error.get("msg", "invalid"))
    if kind == "json_invalid":
        # FastAPI's location is the character the JSON parser stopped at: no field to name.
        position = int(loc[-1]) if len(loc) > 1 and loc[-1].isdigit() else 0
        said = str((error.get("ctx") or {}).get("error", message))
        stopped = json.JSONDecodeError(said, body if isinstance(body, str) else "", position)
        return "input.json_invalid", {"error": parser_stopped(stopped, named="character")}
    if loc == ["body"] and kind in ("missing", "model_attributes_type", "dict_type"):
        return "input.not_an_object", {}
    if kind == "id_rule":  # api.schemas.IdText: worded as the intake words it
        return "intake.bad_id", {"field": where, "value": error.get("input")}
    if kind in ("datetime_from_date_parsing", "datetime_parsing"):
        # Worded as the intake words a time (`ordered_at`), not pydantic's parser, whose English
        # ("invalid date separator, expected `-`") sat inside the Chinese line.
        return "intake.not_a_moment", {"field": where, "value": error.get("input")}
    if loc == IDEMPOTENCY_KEY_LOCATION:  # too short, too long or not visible ASCII: one line says what fits
        return "input.bad_idempotency_key", {"max_length": IDEMPOTENCY_KEY_WIDTH}
    if kind == "image_id_rule":  # api.schemas.ImageIdText
        return "input.bad_image_id", {"field": where, "value": error.get("input")}
    if kind == "extra_forbidden" and known:
        return "input.extra_forbidden_known", {"field": where, "known": ", ".join(known)}
    if kind == "extra_forbidden":
        return "input.extra_forbidden", {"field": where}
    params: dict[str, Any] = {"field": where, **{name: str(value) for name, value in (error.get("ctx") or {}).items()}}
    if kind in ("enum", "literal_error"):
        # Choices joined in the reader's language; pydantic joins them in English.
        params["choices"] = re.split(r", | or ", params.pop("expected", ""))
    code = f"input.{kind}"
    worded = code in ERRORS and set(params) == template_fields(code)
    if worded and error_text(code, params) == f"{where}: {message}":
        return code, params
    return "input.invalid", {"field": where, "message": message}
