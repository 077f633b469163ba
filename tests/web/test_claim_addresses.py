"""Every valid claim id opens its own claim, in the API and through every link the console writes:
an id may hold '/' (sent as %2F), end like an action (`x/print`, `x/reports`) or be a word the
console uses for a page of its own (`new`)."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest

from evidence_check.intake import valid_id
from evidence_check.models import Claim, Timeline
from tests.api.conftest import CLAIM, Api, jpeg, photos
from tests.web.conftest import csrf_of

DAY = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
# Each odd id beside the claims a path decoded too early would reach instead ("x", "a").
ODD_IDS = (
    "a/b", "x/print", "x/reports", "x/challenge", "x/outcome", "x/photos/1/annotated.png",
    "new", "preview", "a+b", "a:b@c", "订单/1", "a/b/",
)  # fmt: skip
PLAIN_IDS = ("x", "a")


@pytest.fixture
def seeded(api: Api) -> Api:
    """One claim verified for real; its report recorded again under each id, its first reason naming it."""
    verified = api.verify(photos(("a.jpg", jpeg(1))), {"claim_id": "c-real"})
    assert verified.status_code == 200, verified.text
    for n, claim_id in enumerate(PLAIN_IDS + ODD_IDS):
        assert valid_id(claim_id), claim_id
        body = {**verified.json(), "claim_id": claim_id}
        claim = Claim(claim_id=claim_id, timeline=Timeline(), tenant="default")
        api.store.record(claim, [(f"{n:064x}", "p.jpg")], body, DAY + timedelta(minutes=n))
    return api


def _heading(claim_id: str) -> str:
    """How the console's report page and the printable page name the claim they show."""
    return f"<h1>{html.escape(claim_id)}</h1>"


@pytest.mark.parametrize("claim_id", ODD_IDS)
def test_the_api_reads_and_acts_on_the_claim_whose_id_was_sent_encoded(seeded: Api, claim_id: str) -> None:
    at = f"/v1/claims/{quote(claim_id, safe='')}"
    latest = seeded.client.get(at)
    assert latest.status_code == 200 and latest.json()["claim_id"] == claim_id, latest.text
    history = seeded.client.get(f"{at}/reports")
    assert history.status_code == 200 and [r["claim_id"] for r in history.json()] == [claim_id], history.text
    issued = seeded.client.post(f"{at}/challenge")
    assert issued.status_code == 200 and issued.json()["claim_id"] == claim_id, issued.text
    decided = seeded.client.post(f"{at}/outcome", json={"outcome": "fraud"})
    assert decided.status_code == 200 and decided.json()["claim_id"] == claim_id, decided.text
    assert seeded.client.get(f"{at}/photos/1/annotated.png").headers["content-type"] == "image/png"
    # the claim the id ends like, untouched
    assert seeded.client.get("/v1/claims/x").json()["claim_id"] == "x"


def test_an_id_sent_with_bare_slashes_is_still_read_as_before(seeded: Api) -> None:
    assert seeded.client.get("/v1/claims/a/b").json()["claim_id"] == "a/b"
    assert [r["claim_id"] for r in seeded.client.get("/v1/claims/a/b/reports").json()] == ["a/b"]
    assert seeded.client.get("/v1/claims/a%2Fb%2F").json()["claim_id"] == "a/b/"
    # an encoded '%' is not taken for an encoded '/'
    assert seeded.client.get("/v1/claims/a%252Fb").status_code == 404


@pytest.mark.parametrize(
    "sent", ["/v1/claims/a%%32%46b", "/v1/claims/a%%32%46b/reports", "/claims/a%%32%46b"]
)
def test_a_path_is_decoded_once(seeded: Api, sent: str) -> None:
    """A bare '%' before escapes that decode to "2F" is the id "a%2Fb" (not a valid one), not "a/b":
    the id convertor decoded again what the server had decoded already."""
    answered = seeded.client.get(sent)
    assert answered.status_code == 404, answered.text
    assert "a/b" not in answered.text


def _link_to(page: str, claim_id: str) -> str:
    found = re.search(r'<a href="([^"]+)">' + re.escape(html.escape(claim_id)) + "</a>", page)
    assert found is not None, f"no link to {claim_id}"
    return html.unescape(found.group(1))


def _form_action(page: str, ends: str) -> str:
    found = re.search(r'<form method="post" action="([^"]+/' + ends + ')"', page)
    assert found is not None, f"no {ends} form"
    return html.unescape(found.group(1))


@pytest.mark.parametrize("claim_id", ODD_IDS)
def test_every_link_the_console_writes_for_a_claim_opens_that_claim(seeded: Api, claim_id: str) -> None:
    queue = seeded.client.get("/").text
    at = _link_to(queue, claim_id)
    page = seeded.client.get(at)
    assert page.status_code == 200 and _heading(claim_id) in page.text, page.text
    print_at = html.unescape(re.findall(r'<a href="([^"]+/print)"', page.text)[0])
    printable = seeded.client.get(print_at)
    assert printable.status_code == 200 and _heading(claim_id) in printable.text, print_at
    switched = re.search(r'href="(/lang\?[^"]+)"', page.text)
    assert switched is not None
    again = seeded.client.get(html.unescape(switched.group(1)))
    assert again.status_code == 200 and _heading(claim_id) in again.text

    token = csrf_of(page.text)
    issued = seeded.client.post(_form_action(page.text, "challenge"), data={"csrf": token})
    assert issued.status_code == 200 and _heading(claim_id) in issued.text
    decided = seeded.client.post(_form_action(page.text, "outcome"), data={"csrf": token, "decision": "fraud"})
    assert decided.status_code == 200 and _heading(claim_id) in decided.text
    assert seeded.client.get("/v1/stats").json()["decided"] == 1


def test_the_new_claim_form_is_not_at_an_address_a_claim_can_have(seeded: Api) -> None:
    assert 'action="/new-claim"' in seeded.client.get("/new-claim").text
    assert _heading("new") in seeded.client.get("/claims/new").text


def test_the_forms_old_address_leads_to_the_form_while_no_claim_new_exists(api: Api) -> None:
    """An agent's bookmark of /claims/new, and a form left open from before the form moved, reach the
    form (a 404 "no claim 'new'" said nothing useful); once a claim 'new' exists it is that claim's."""
    bookmark = api.client.get("/claims/new", follow_redirects=False)
    assert bookmark.status_code == 303 and bookmark.headers["location"] == "/new-claim"
    assert 'action="/new-claim"' in api.client.get("/claims/new").text
    token = csrf_of(api.client.get("/new-claim").text)
    sent = {"csrf": token, "claim_id": "new", **CLAIM}
    stale = api.client.post("/claims/new", files=photos(("a.jpg", jpeg(1))), data=sent, follow_redirects=False)
    assert stale.status_code == 307 and stale.headers["location"] == "/new-claim"
    made = api.client.post("/claims/new", files=photos(("a.jpg", jpeg(1))), data=sent)
    assert made.status_code == 200 and _heading("new") in made.text, made.text
    assert _heading("new") in api.client.get("/claims/new").text


@pytest.mark.parametrize("claim_id", [".", ".."])
def test_an_id_no_address_can_reach_is_refused_when_the_claim_is_made(api: Api, claim_id: str) -> None:
    """A client resolves `/claims/..` to `/` before sending it: that claim could never be opened."""
    refused = api.verify(photos(("a.jpg", jpeg(1))), {"claim_id": claim_id})
    assert refused.status_code == 422
    assert refused.json()["detail"] == f"claim_id: {claim_id!r} must be 1-128 letters, digits or . _ - : @ / + (not . or .. alone)"
    token = csrf_of(api.client.get("/new-claim").text)
    form = api.client.post("/new-claim", files=photos(("a.jpg", jpeg(1))), data={"csrf": token, "claim_id": claim_id})
    assert form.status_code == 422 and "not . or .. alone" in form.text
    assert api.count("claims") == 0
    assert valid_id("...") and valid_id("a/..") and valid_id("./a")  # no dot segment once encoded
