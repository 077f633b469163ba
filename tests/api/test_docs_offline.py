"""/docs and /redoc work without the internet: every script, style sheet and icon they load is
served by the app itself (an air-gapped machine loads nothing else)."""

from __future__ import annotations

import re

import pytest

from tests.api.conftest import Api

ASSET = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']|url\s*:\s*["']([^"']+)["']""")


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_documentation_pages_load_only_what_the_app_serves(api: Api, page: str) -> None:
    answer = api.client.get(page)
    assert answer.status_code == 200
    html = answer.text
    loaded = [a or b for a, b in ASSET.findall(html)]
    assert any(item.endswith(".js") for item in loaded), loaded
    for item in loaded:
        assert not re.match(r"(https?:)?//", item), f"{page} loads {item} from outside the app"
        fetched = api.client.get(item)
        assert fetched.status_code == 200, item
        if item.endswith(".js"):
            assert len(fetched.content) > 100_000, item  # the real bundle, not a stub
    assert "fonts.googleapis" not in html


def test_the_openapi_description_the_pages_read_is_served(api: Api) -> None:
    described = api.client.get("/openapi.json").json()
    assert "/v1/verify" in described["paths"]
    assert "/docs-assets/{path}" not in described["paths"]


def test_each_operation_of_the_openapi_description_has_an_id_of_its_own(api: Api) -> None:
    """Client generators name a method after each operationId: one id twice is refused or merged."""
    described = api.client.get("/openapi.json").json()
    ids = [operation["operationId"] for item in described["paths"].values() for operation in item.values()]
    assert len(ids) > 10 and sorted(ids) == sorted(set(ids))
    assert {"get", "head"} <= set(described["paths"]["/healthz"])


def test_redoc_may_draw_images_only_from_the_app(api: Api) -> None:
    """ReDoc's bundle shows a logo from cdn.redoc.ly in its footer, an address no option removes:
    the page's policy keeps a browser from asking that site (or waiting on it, air-gapped)."""
    bundle = api.client.get("/docs-assets/redoc.standalone.js").text
    assert "https://cdn.redoc.ly/" in bundle  # the reason for the policy, still in the bundle served
    policy = api.client.get("/redoc").headers.get("content-security-policy", "")
    image_sources = next((part.split()[1:] for part in policy.split(";") if part.split()[:1] == ["img-src"]), None)
    assert image_sources is not None, policy
    assert all(source in ("'self'", "data:") for source in image_sources), policy
