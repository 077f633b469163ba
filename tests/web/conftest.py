"""The console on a fresh store: the API's fixtures and a signed-in browser-like client (seeded claims:
`tests.seeded_claims`)."""

from __future__ import annotations

import re

from tests.api.conftest import Api, api, keyed  # noqa: F401  (fixtures used by the tests here)

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(page: str) -> str:
    found = CSRF.search(page)
    assert found is not None, "the page has no form with a CSRF token"
    return found.group(1)


def sign_in(agent: Api, key: str) -> None:
    answer = agent.client.post("/signin", data={"api_key": key, "next": "/"}, follow_redirects=False)
    assert answer.status_code == 303, answer.text
