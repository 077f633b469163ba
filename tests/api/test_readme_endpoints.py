"""The README's endpoint table is the intake developer's manual: every route it lists exists with
that method and the query parameters it lists, every route the app describes is in the README, and
the form fields it lists for an upload are the ones the app describes."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests import manuals
from tests.api.conftest import Api

# `GET /v1/catalog`, `GET`/`DELETE /v1/catalog/{sku}`, `PUT .../zones`, `.../reports`, `GET /v1/claims?limit=&q=`
ROUTE = re.compile(
    r"`(?:(GET|HEAD|POST|PUT|PATCH|DELETE)(?:`/`(GET|HEAD|POST|PUT|PATCH|DELETE))? )?(/|\.\.\./)([^`?\s]*)(\?[^`\s]*)?`"
)
# The viewers FastAPI serves beside the description; the description does not list them.
VIEWERS = {("GET", "/docs"), ("GET", "/redoc"), ("GET", "/openapi.json")}

Routes = dict[tuple[str, str], set[str] | None]


def _table_rows(text: str) -> list[str]:
    section = text.split("## HTTP API", 1)[1].split("\n## ", 1)[0]
    return [line for line in section.splitlines() if line.startswith("| `")]


def _table_routes(text: str) -> Routes:
    """Each (method, path) a row of the table names anywhere in it, with the query parameters it
    lists (None where it lists none). A span without a method (`/redoc`, `.../reports`) takes the
    one before it; a path starting `...` continues the path before it."""
    listed: Routes = {}
    for row in _table_rows(text):
        methods: tuple[str, ...] = ()
        previous = ""
        for first, second, start, rest, query in ROUTE.findall(row):
            methods = tuple(method for method in (first, second) if method) or methods
            path = (previous if start == ".../" else "") + "/" + rest
            previous = path
            for method in methods:
                listed[method, path] = set(re.findall(r"[?&]([a-z_]+)=", query)) or None
    return listed


def _relative_mentions(text: str) -> set[tuple[str, str]]:
    """Routes the prose names by their end (`GET .../photos/{n}/annotated.png`), path parameters unnamed."""
    prose = text.split("## HTTP API", 1)[0] + text.split("## HTTP API", 1)[1].split("\n## ", 1)[1]
    return {
        (first, _unnamed("/" + rest))
        for first, _, start, rest, _ in ROUTE.findall(prose)
        if first and start == ".../"
    }


def _unnamed(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", path)


def _served(described: dict[str, Any]) -> dict[tuple[str, str], set[str]]:
    return {
        (method.upper(), path): {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
        for path, operations in described["paths"].items()
        for method, operation in operations.items()
    }


def _drift(text: str, served: dict[tuple[str, str], set[str]]) -> list[str]:
    listed = _table_routes(text)
    mentioned = _relative_mentions(text)
    wrong = [f"{m} {p}: not served" for m, p in listed if (m, p) not in served and (m, p) not in VIEWERS]
    wrong += [
        f"{m} ...{end}: not served"
        for m, end in mentioned
        if not any(m == method and _unnamed(path).endswith(end) for method, path in served)
    ]
    wrong += [
        f"{m} {p}: not in the README"
        for m, p in served
        if (m, p) not in listed
        and not any(m == method and _unnamed(p).endswith(end) for method, end in mentioned)
    ]
    wrong += [
        f"{m} {p}: README's query {sorted(names)}, app's {sorted(served[m, p])}"
        for (m, p), names in listed.items()
        if names is not None and (m, p) in served and names != served[m, p]
    ]
    return wrong


def _listed_fields(row: str) -> set[str]:
    """The `field` names a row's description lists before its first ";" (a name before a colon,
    "the fields of `verify`:", is what they are, not one of them)."""
    described = row.split("|")[2]
    return set(re.findall(r"`([a-z_]+)`(?!:)", described.split(";")[0]))


def _form_fields(described: dict[str, Any], path: str) -> set[str]:
    body = described["paths"][path]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    return set(body["properties"])


def test_the_readme_names_every_route_and_only_the_apps(api: Api) -> None:
    text = manuals.read()
    assert len(_table_routes(text)) >= 22
    assert not _drift(text, _served(api.client.get("/openapi.json").json()))


def test_the_upload_fields_the_readme_lists_are_the_apps(api: Api) -> None:
    described = api.client.get("/openapi.json").json()
    rows = {row.split("|")[1].strip(): row for row in _table_rows(manuals.read())}
    assert _listed_fields(rows["`POST /v1/verify`"]) == _form_fields(described, "/v1/verify")
    assert _listed_fields(rows["`POST /v1/catalog/{sku}/images`"]) == _form_fields(
        described, "/v1/catalog/{sku}/images"
    )


SERVED = {
    ("GET", "/v1/claims"): {"limit", "q"},
    ("GET", "/v1/claims/{claim_id}"): set(),
    ("GET", "/v1/claims/{claim_id}/reports"): set(),
    ("GET", "/v1/claims/{claim_id}/photos/{number}/annotated.png"): set(),
    ("GET", "/v1/catalog/{sku}"): set(),
    ("PUT", "/v1/catalog/{sku}/zones"): set(),
    ("GET", "/v1/stock"): {"kind"},
}
README_AS_WRITTEN = """Drawn: `GET .../photos/{n}/annotated.png`.

## HTTP API

| endpoint | what |
|---|---|
| `GET /v1/claims?limit=&q=` | paged |
| `GET /v1/claims/{claim_id}`, `.../reports` | latest, all |
| `GET /v1/catalog/{sku}`, `PUT .../zones` | one SKU; `GET /v1/stock?kind=` lists them |
| `GET /docs`, `/redoc`, `/openapi.json` | the viewers |

## Operating it
"""


@pytest.mark.parametrize(
    ("written", "drifted", "caught"),
    [
        ("", "", []),
        ("?limit=&q=", "?limit=", ["GET /v1/claims: README's query ['limit'], app's ['limit', 'q']"]),
        ("/v1/claims?", "/v1/claim?", ["GET /v1/claim: not served", "GET /v1/claims: not in the README"]),
        (
            ".../reports",
            ".../report",
            [
                "GET /v1/claims/{claim_id}/report: not served",
                "GET /v1/claims/{claim_id}/reports: not in the README",
            ],
        ),
        (
            "`PUT .../zones`",
            "`POST .../zones`",
            ["POST /v1/catalog/{sku}/zones: not served", "PUT /v1/catalog/{sku}/zones: not in the README"],
        ),
        ("`GET /v1/stock?kind=`", "`GET /v1/stock`", []),
        ("; `GET /v1/stock?kind=` lists them", "", ["GET /v1/stock: not in the README"]),
        (
            "Drawn: `GET .../photos/{n}/annotated.png`.",
            "",
            ["GET /v1/claims/{claim_id}/photos/{number}/annotated.png: not in the README"],
        ),
        (
            "annotated.png",
            "annotated.jpg",
            [
                "GET .../photos/{}/annotated.jpg: not served",
                "GET /v1/claims/{claim_id}/photos/{number}/annotated.png: not in the README",
            ],
        ),
    ],
)
def test_a_drift_in_the_readme_is_caught(written: str, drifted: str, caught: list[str]) -> None:
    """The reader on the README's forms: two methods, a span without one, `...` continuing a path, a
    route in a description or in the prose, query parameters."""
    assert written in README_AS_WRITTEN
    assert _drift(README_AS_WRITTEN.replace(written, drifted, 1), SERVED) == caught
