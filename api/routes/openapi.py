"""The parts of the OpenAPI description FastAPI cannot derive: `POST /v1/verify` reads its multipart
body itself (to enforce byte limits while it streams), so its form and answers are written here."""

from __future__ import annotations

from typing import Any

from api.routes.rendering import REPORT_CONTENT, SERVER_ERRORS, UNAUTHORIZED, problem
from api.schemas import Problem, VerifyFields


def _inline(schema: Any, defs: dict[str, Any]) -> Any:
    """The JSON schema with its local `$ref`s replaced by what they name (OpenAPI extras stay inline),
    and without `null`: a form field is absent or text, never null."""
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            named = _inline(defs[ref.removeprefix("#/$defs/")], defs)
            return {**named, **{k: _inline(v, defs) for k, v in schema.items() if k != "$ref"}}
        options = schema.get("anyOf")
        if isinstance(options, list) and {"type": "null"} in options:
            rest = [option for option in options if option != {"type": "null"}]
            merged = {k: v for k, v in schema.items() if k not in ("anyOf", "default")}
            if len(rest) == 1:
                merged.update(rest[0])
            else:
                merged["anyOf"] = rest
            return _inline(merged, defs)
        return {k: _inline(v, defs) for k, v in schema.items() if k != "$defs"}
    if isinstance(schema, list):
        return [_inline(item, defs) for item in schema]
    return schema


def _form_schema() -> dict[str, Any]:
    fields = VerifyFields.model_json_schema()
    schema = _inline(fields, fields.get("$defs", {}))
    schema["title"] = "VerifyForm"
    schema["properties"] = {
        "photos": {
            "type": "array",
            "items": {"type": "string", "format": "binary"},
            "minItems": 1,
            "description": "the claim's photos (JPEG, HEIC, PNG, WebP, AVIF, TIFF, GIF)",
        },
        **schema["properties"],
    }
    schema["required"] = ["photos"]
    schema["additionalProperties"] = False
    return schema


def multipart_body(schema: dict[str, Any], files: str, content_type: str, example: dict[str, Any]) -> dict[str, Any]:
    """A route's required multipart/form-data body: `schema`, its `files` parts sent as `content_type`."""
    return {
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": schema,
                    "encoding": {files: {"contentType": content_type}},
                    "example": example,
                }
            },
        }
    }


PICTURES = "image/*, application/octet-stream"

VERIFY_BODY = multipart_body(
    _form_schema(),
    "photos",
    PICTURES,
    {
        "claim_id": "c-123",
        "sku": "BAG-001",
        "order_id": "SO-20261110-0042",
        "wanted": "refund",
        "ordered_at": "2026-11-10T10:00+08:00",
        "delivered_at": "2026-11-14T15:00+08:00",
        "reason": "damaged",
    },
)


VERIFY_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The confidence report", "content": REPORT_CONTENT},
    **UNAUTHORIZED,
    409: problem(
        "Idempotency-Key already used for another request",
        "Idempotency-Key was already used for another request (other photos or claim id)",
    ),
    413: {
        "model": Problem,
        "description": "A photo, a field or the whole request is over the configured size",
        "content": {
            "application/json": {"example": {"detail": "photo 'a.jpg' is over the 100.0 MB limit per file"}}
        },
    },
    422: {
        "model": Problem,
        "description": "A malformed field, no photos, or no photo readable",
        "content": {
            "application/json": {
                "example": {
                    "detail": "ordered_at: '10/11' is not an ISO 8601 date or date-time (e.g. 2026-11-20T14:30+08:00)"
                }
            }
        },
    },
    **SERVER_ERRORS,
}


def images_body(fields: dict[str, Any], example: dict[str, Any]) -> dict[str, Any]:
    """The multipart body of a route that adds pictures: `images` files and these text fields."""
    images = {
        "type": "array",
        "items": {"type": "string", "format": "binary"},
        "minItems": 1,
        "description": "the pictures (JPEG, HEIC, PNG, WebP, AVIF, TIFF, GIF)",
    }
    schema = {"type": "object", "properties": {"images": images, **fields}, "required": ["images"]}
    return multipart_body(schema, "images", PICTURES, example)


TOO_LARGE = problem(
    "A file or the request is over its size limit", "photo 'a.jpg' is over the 100.0 MB limit per file"
)
JSON_TOO_LARGE = problem("A JSON body over MAX_JSON_BYTES", "body: the JSON document is over the 16.0 MB limit")
