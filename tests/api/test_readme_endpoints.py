"""The README's endpoint table is the intake developer's manual: every route it lists exists with
that method, and the form fields it lists for an upload are the ones the app describes."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.api.conftest import Api

README = Path(__file__).resolve().parents[2] / "README.md"
ROUTE = re.compile(r"`(GET|POST|PUT|DELETE)(?:`/`(GET|POST|PUT|DELETE))? (/[^`?\s]*)")


def _table_rows() -> list[str]:
    section = README.read_text(encoding="utf-8").split("## HTTP API", 1)[1].split("\n## ", 1)[0]
    return [line for line in section.splitlines() if line.startswith("| `")]


def _listed_fields(row: str) -> set[str]:
    """The `field` names a row's description lists before its first ";" (a name before a colon,
    "the fields of `verify`:", is what they are, not one of them)."""
    described = row.split("|")[2]
    return set(re.findall(r"`([a-z_]+)`(?!:)", described.split(";")[0]))


def _form_fields(described: dict[str, Any], path: str) -> set[str]:
    body = described["paths"][path]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    return set(body["properties"])


def test_every_route_the_readme_lists_exists(api: Api) -> None:
    paths = api.client.get("/openapi.json").json()["paths"]
    served = {(method.upper(), path) for path, methods in paths.items() for method in methods}
    served |= {("GET", "/docs"), ("GET", "/redoc"), ("GET", "/openapi.json"), ("GET", "/metrics")}
    listed = set()
    for row in _table_rows():
        for first, second, path in ROUTE.findall(row.split("|")[1]):
            listed |= {(method, path) for method in (first, second) if method}
    assert len(listed) >= 15
    assert not {route for route in listed if route not in served}


def test_the_upload_fields_the_readme_lists_are_the_apps(api: Api) -> None:
    described = api.client.get("/openapi.json").json()
    rows = {row.split("|")[1].strip(): row for row in _table_rows()}
    assert _listed_fields(rows["`POST /v1/verify`"]) == _form_fields(described, "/v1/verify")
    assert _listed_fields(rows["`POST /v1/catalog/{sku}/images`"]) == _form_fields(described, "/v1/catalog/{sku}/images")
