"""The console and the API behind a reverse proxy that serves them under a path prefix (`ROOT_PATH`).

The proxy here is a few lines of ASGI in front of the app, as nginx at `https://shop.example/evidence/`:
it answers only under the prefix and forwards the path without it (`proxy_pass http://app/;`) or as it
came (`proxy_pass http://app;`). The client is the browser: it asks for the addresses the pages give it,
and its cookie jar sends a cookie only where the cookie's Path says. Every link, form, redirect and
cookie must carry the prefix; with none set, the same walk gives the same addresses it always did.
"""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import APIRouter
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from starlette.types import ASGIApp, Receive, Scope, Send
from typer.testing import CliRunner

from api.app import create_app, routed_app
from api.connections import BODY_MIN_RATE_VARIABLE, BODY_TIMEOUT_VARIABLE, HEADER_TIMEOUT_VARIABLE
from api.observe import LOG_LEVEL_VARIABLE
from api.served_under import SUGGESTED, ServedUnder, refuse_own_address
from evidence_check.cli import app as cli_app
from evidence_check.engine import now_utc
from evidence_check.settings import Settings
from evidence_check.store import Store
from evidence_check.store.keys import create_key
from evidence_check.store.webhooks import deliveries, set_webhook
from tests.api.conftest import CLAIM, LOCAL, LOOPBACK, free_port, jpeg, photos, start_server
from tests.conftest import ROOT
from tests.web.conftest import csrf_of

PREFIX = "/evidence"
ADDRESS = re.compile(r'\s(href|src|action|data-lookup)="([^"]*)"')
# What a prefix changes is the app's addresses, not what it stores: the three walks through the console,
# the API and a webhook below run on each store; the rest of the prefix's cases on SQLite alone (the
# PostgreSQL copy of each cost a database made from the template, ~0.6 s each at load 8).
ON_SQLITE = pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)


def behind_proxy(app: ASGIApp, prefix: str, strips: bool) -> ASGIApp:
    """A reverse proxy serving `app` at `prefix` only, forwarding the path without it or as it came."""

    async def proxy(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = scope["path"]
            if not (path == prefix or path.startswith(prefix + "/")):
                await send({"type": "http.response.start", "status": 404, "headers": [(b"content-type", b"text/plain")]})
                await send({"type": "http.response.body", "body": b"not the app's address"})
                return
            if strips:
                scope = {**scope, "path": path[len(prefix) :] or "/", "raw_path": scope["raw_path"][len(prefix) :] or b"/"}
        await app(scope, receive, send)

    return proxy


@pytest.fixture(
    params=[("", False), (PREFIX, True), (PREFIX, False)],
    ids=["no prefix", "proxy strips the prefix", "proxy keeps the prefix"],
)
def browser(store: Store, request: pytest.FixtureRequest) -> Iterator[tuple[TestClient, str, str]]:
    """(the browser, the prefix, the tenant's key): a key exists, so the agent signs in."""
    prefix, strips = request.param
    key = create_key(store, "acme", now_utc())[1]
    app = create_app(Settings(db=store.url, root_path=prefix), store)
    served = behind_proxy(app, prefix, strips) if prefix else app
    with TestClient(served, base_url=LOCAL, client=LOOPBACK) as client:
        yield client, prefix, key


def addresses(page: str) -> list[tuple[str, str]]:
    """(attribute, address) of every link, picture, form and script look-up of the page."""
    return [(attribute, html.unescape(value)) for attribute, value in ADDRESS.findall(page)]


def assert_under(page: str, prefix: str, scripted: bool = True) -> list[str]:
    """Every address of the page is the app's under `prefix` (or on the page, or a data URI); the
    ones a browser fetches or follows with GET are returned."""
    fetched = []
    for attribute, address in addresses(page):
        if address.startswith(("#", "data:")):
            continue
        assert address.startswith(prefix + "/") and not address.startswith(prefix + "//"), (attribute, address)
        if attribute in ("href", "src"):
            fetched.append(address)
    assert not scripted or f'data-root="{prefix}"' in page  # the script's addresses are built from it
    return fetched


def assert_reachable(client: TestClient, links: list[str], prefix: str) -> None:
    """Each address the page gives answers (none is a 404 of the proxy's or of the app's); the
    language switch's redirect leads back under the prefix."""
    for link in links:
        answer = client.get(link, follow_redirects=False)
        assert answer.status_code in (200, 303), (link, answer.status_code)
        if answer.status_code == 303:
            back = answer.headers["location"]
            assert back.startswith(prefix + "/") and client.get(back).status_code == 200, (link, back)


def page(client: TestClient, address: str, prefix: str, scripted: bool = True) -> str:
    answer = client.get(address, follow_redirects=False)
    assert answer.status_code == 200, (address, answer.status_code, answer.text[:300])
    assert_reachable(client, assert_under(answer.text, prefix, scripted), prefix)
    return answer.text


def form_action(page: str, form_id_or_class: str) -> str:
    found = re.search(rf'<form[^>]*(?:id|class)="{form_id_or_class}"[^>]*action="([^"]+)"|<form[^>]*action="([^"]+)"[^>]*(?:id|class)="{form_id_or_class}"', page)
    assert found is not None, form_id_or_class
    return html.unescape(found.group(1) or found.group(2))


def cookie_paths(answer: httpx.Response) -> set[tuple[str, str]]:
    """(name, Path) of each cookie the answer sets (or deletes)."""
    found = set()
    for header in answer.headers.get_list("set-cookie"):
        name = header.split("=", 1)[0]
        path = re.search(r"(?i);\s*path=([^;]*)", header)
        found.add((name, path.group(1) if path else ""))
    return found


def test_every_console_address_redirect_and_cookie_carries_the_prefix(browser: tuple[TestClient, str, str]) -> None:
    client, prefix, key = browser
    # Not signed in: sent to the sign-in page, under the prefix, and back to the page afterwards.
    first = client.get(f"{prefix}/", follow_redirects=False)
    assert (first.status_code, first.headers["location"]) == (303, f"{prefix}/signin?next=%2F")
    signin = page(client, f"{prefix}/signin?next=%2Fcatalog", prefix)
    assert f'action="{prefix}/signin"' in signin
    signed = client.post(f"{prefix}/signin", data={"api_key": key, "next": "/catalog"}, follow_redirects=False)
    assert (signed.status_code, signed.headers["location"]) == (303, f"{prefix}/catalog")
    assert cookie_paths(signed) == {("ec_session", prefix or "/")}

    queue = page(client, f"{prefix}/", prefix)
    assert f'<a href="{prefix}/new-claim"' in queue and f'action="{prefix}/signout"' in queue

    # A claim through the form: its address under the prefix, its page's pictures and links too.
    form = page(client, f"{prefix}/new-claim", prefix)
    assert form_action(form, "claim-form") == f"{prefix}/new-claim"
    sent = client.post(
        f"{prefix}/new-claim",
        files=photos(("a.jpg", jpeg(1)), ("b.jpg", jpeg(2))),
        data={**CLAIM, "claim_id": "c/1", "csrf": csrf_of(form)},
        follow_redirects=False,
    )
    assert (sent.status_code, sent.headers["location"]) == (303, f"{prefix}/claims/c%2F1"), sent.text[:300]
    claim = page(client, sent.headers["location"], prefix)
    assert f'href="{prefix}/claims/c%2F1/print"' in claim and f"{prefix}/claims/c%2F1/photos/" in claim
    page(client, f"{prefix}/claims/c%2F1/print", prefix, scripted=False)  # the printable page has no script
    outcome = client.post(
        form_action(claim, "outcome-form"), data={"csrf": csrf_of(claim), "decision": "genuine"}, follow_redirects=False
    )
    assert outcome.status_code == 303 and outcome.headers["location"].startswith(f"{prefix}/claims/c%2F1"), outcome.text
    assert f'<a href="{prefix}/claims/c%2F1">' in page(client, f"{prefix}/?q=c", prefix)  # the queue, with the claim

    # The catalog: the added product's page, its forms, the way back.
    catalog = page(client, f"{prefix}/catalog", prefix)
    added = client.post(
        form_action(catalog, "add-images"),
        files=[("images", ("front.jpg", jpeg(5, (640, 480)), "image/jpeg"))],
        data={"csrf": csrf_of(catalog), "sku": "BAG-9"},
        follow_redirects=False,
    )
    assert added.status_code == 303 and added.headers["location"].startswith(f"{prefix}/catalog/BAG-9?added=1")
    sku = page(client, added.headers["location"], prefix)
    assert form_action(sku, "delete-sku") == f"{prefix}/catalog/BAG-9/delete"
    assert f'<a href="{prefix}/catalog/BAG-9">' in page(client, f"{prefix}/catalog", prefix)
    missing = client.get(f"{prefix}/claims/nobody")
    assert missing.status_code == 404 and f"{prefix}/new-claim" in assert_under(missing.text, prefix)
    # The language switch: back to the page, its cookie under the prefix.
    switched = client.get(f"{prefix}/lang?to=zh&next=%2Fcatalog", follow_redirects=False)
    assert (switched.headers["location"], cookie_paths(switched)) == (f"{prefix}/catalog", {("ec_lang", prefix or "/")})

    # A form sent from a page older than the session: the way back is the page it came from.
    stale = client.post(
        f"{prefix}/claims/c%2F1/outcome",
        data={"csrf": "stale", "decision": "genuine"},
        headers={"referer": f"{LOCAL}{prefix}/claims/c%2F1?x=1"},
    )
    assert stale.status_code == 403 and f'href="{prefix}/claims/c%2F1?x=1"' in stale.text
    if prefix:  # a page of another app on the same host: the way back is the console's first page
        elsewhere = client.post(
            f"{prefix}/claims/c%2F1/outcome", data={"csrf": "stale"}, headers={"referer": f"{LOCAL}/shop/cart?x=1"}
        )
        assert elsewhere.status_code == 403 and f'<a href="{prefix}/">' in elsewhere.text

    # Signing out: to the sign-in page, the cookies deleted where they were set (and, under a prefix,
    # where a browser may still hold them from before it).
    out = client.post(f"{prefix}/signout", data={"csrf": csrf_of(queue)}, follow_redirects=False)
    assert (out.status_code, out.headers["location"]) == (303, f"{prefix}/signin")
    assert cookie_paths(out) == {(name, path) for name in ("ec_session", "ec_trial") for path in {prefix or "/", "/"}}
    again = client.post(f"{prefix}/claims/c%2F1/outcome", data={"decision": "genuine"}, follow_redirects=False)
    assert again.headers["location"] == f"{prefix}/signin?next=%2Fclaims%2Fc%252F1"


def test_the_api_and_its_docs_answer_under_the_prefix(browser: tuple[TestClient, str, str]) -> None:
    client, prefix, key = browser
    bearer = {"Authorization": f"Bearer {key}"}
    made = client.post(f"{prefix}/v1/verify", files=photos(("a.jpg", jpeg(1))), data=CLAIM, headers=bearer)
    assert made.status_code == 200, made.text
    assert client.get(f"{prefix}/v1/claims/{made.json()['claim_id']}", headers=bearer).status_code == 200
    docs = client.get(f"{prefix}/docs").text
    assert f"'{prefix}/openapi.json'" in docs and f"{prefix}/docs-assets/swagger-ui-bundle.js" in docs
    assert client.get(f"{prefix}/docs-assets/swagger-ui-bundle.js").status_code == 200
    # /redoc is our own route (for its image policy): its addresses must carry the prefix as /docs's do.
    redoc = client.get(f"{prefix}/redoc").text
    assert f'spec-url="{prefix}/openapi.json"' in redoc and f'src="{prefix}/docs-assets/redoc.standalone.js"' in redoc
    assert f'href="{prefix}/docs-assets/favicon.png"' in redoc
    assert client.get(f"{prefix}/docs-assets/favicon.png").status_code == 200
    described = client.get(f"{prefix}/openapi.json").json()
    assert described.get("servers") == ([{"url": prefix}] if prefix else None)
    assert client.get(f"{prefix}/healthz").status_code == 200


def test_a_webhooks_report_address_is_the_claims_under_the_prefix(store: Store, browser: tuple[TestClient, str, str]) -> None:
    """`claim.verified`'s `data.report` is the address a receiver asks the API for: under the prefix,
    and with the id's '/' encoded (bare, `a/reports` would be claim `a`'s reports)."""
    client, prefix, key = browser
    bearer = {"Authorization": f"Bearer {key}"}
    set_webhook(store, "acme", "https://hooks.example/evidence", "whsec_test", now_utc)
    for claim_id in ("a", "a/reports"):
        made = client.post(
            f"{prefix}/v1/verify", files=photos(("a.jpg", jpeg(1))), data={**CLAIM, "claim_id": claim_id}, headers=bearer
        )
        assert made.status_code == 200, made.text
    sent = {d.payload["claim_id"]: d.payload["report"] for d in deliveries(store, "acme").items if d.event == "claim.verified"}
    assert sent == {"a": f"{prefix}/v1/claims/a", "a/reports": f"{prefix}/v1/claims/a%2Freports"}
    asked = client.get(sent["a/reports"], headers=bearer)
    assert asked.status_code == 200 and asked.json()["claim_id"] == "a/reports", asked.text


@ON_SQLITE
@pytest.mark.parametrize("target", ["/../shop/cart", "/%2e%2e/shop/cart", "/.%2E/shop", "/claims/../../shop", "/./x", "//evil.example/", "/\\evil.example/"])
def test_a_next_address_never_leads_out_of_the_console(browser: tuple[TestClient, str, str], target: str) -> None:
    """`next` of the sign-in and the language switch, as a hostile link gives it: the browser reads
    `/evidence/../shop/cart` (or `%2e%2e`) as `/shop/cart`, another site of the host; sent to the
    console's first page instead."""
    client, prefix, key = browser
    switched = client.get(f"{prefix}/lang", params={"to": "zh", "next": target}, follow_redirects=False)
    assert switched.headers["location"] == f"{prefix}/"
    signed = client.post(f"{prefix}/signin", data={"api_key": key, "next": target}, follow_redirects=False)
    assert (signed.status_code, signed.headers["location"]) == (303, f"{prefix}/")
    kept = client.get(f"{prefix}/lang", params={"to": "en", "next": "/catalog?q=a/../b"}, follow_redirects=False)
    assert kept.headers["location"] == f"{prefix}/catalog?q=a/../b"  # a query's dots are no path's


@ON_SQLITE
@pytest.mark.parametrize("strips", [True, False], ids=["proxy strips the prefix", "proxy keeps the prefix"])
def test_cookies_a_browser_kept_from_the_app_at_the_hosts_root_shadow_none_of_the_prefixs(store: Store, strips: bool) -> None:
    """The app served at `/` on this host first (its port on the same host shares the browser's jar),
    then under `/evidence`: the browser keeps the old session and language at Path=/ and sends
    both of a name, the prefix's first. The new ones count; signing out deletes the old session too."""
    key = create_key(store, "acme", now_utc())[1]
    with TestClient(create_app(Settings(db=store.url), store), base_url=LOCAL, client=LOOPBACK) as before:
        before.post("/signin", data={"api_key": key, "next": "/"})
        before.get("/lang", params={"to": "zh", "next": "/"})
        kept = before.cookies
    assert {(cookie.name, cookie.path) for cookie in kept.jar} == {("ec_session", "/"), ("ec_lang", "/")}
    app = create_app(Settings(db=store.url, root_path=PREFIX), store)
    with TestClient(behind_proxy(app, PREFIX, strips), base_url=LOCAL, client=LOOPBACK, cookies=kept) as client:
        switched = client.get(f"{PREFIX}/lang", params={"to": "en", "next": "/catalog"})
        assert '<html lang="en"' in switched.text  # the old zh at / counted before the switch's en
        out = client.post(f"{PREFIX}/signout", data={"csrf": csrf_of(switched.text)}, follow_redirects=False)
        assert out.status_code == 303 and "ec_session" not in {cookie.name for cookie in client.cookies.jar}
        assert "session ended" not in client.get(f"{PREFIX}/signin").text  # no old cookie left to say so
        client.post(f"{PREFIX}/signin", data={"api_key": key, "next": "/"}, follow_redirects=False)
        client.cookies.set("ec_session", "stale.cookie", domain="127.0.0.1", path="/")  # another copy of before's
        assert client.get(f"{PREFIX}/catalog", follow_redirects=False).status_code == 200


@ON_SQLITE
@pytest.mark.parametrize("strips", [True, False], ids=["proxy strips the prefix", "proxy keeps the prefix"])
def test_the_api_answers_behind_the_prefix_are_kept_by_no_cache_and_counted_under_its_routes(store: Store, strips: bool) -> None:
    """What tells the API's answers from the console's reads the path within the app: under the
    prefix a tenant's report still says `no-store`, and `/metrics` still counts `/v1/verify`."""
    key = create_key(store, "acme", now_utc())[1]
    token = "m" * 24
    app = create_app(Settings(db=store.url, root_path=PREFIX, metrics_token=token), store)
    with TestClient(behind_proxy(app, PREFIX, strips), base_url=LOCAL, client=LOOPBACK) as client:
        bearer = {"Authorization": f"Bearer {key}"}
        made = client.post(f"{PREFIX}/v1/verify", files=photos(("a.jpg", jpeg(1))), data=CLAIM, headers=bearer)
        assert (made.status_code, made.headers.get("cache-control")) == (200, "no-store"), made.text
        report = client.get(f"{PREFIX}/v1/claims/{made.json()['claim_id']}", headers=bearer)
        assert (report.status_code, report.headers.get("cache-control")) == (200, "no-store")
        assert client.get(f"{PREFIX}/v1/nothing", headers=bearer).headers.get("cache-control") == "no-store"
        assert client.get(f"{PREFIX}/healthz").headers.get("cache-control") != "no-store"  # not the API's
        counted = client.get(f"{PREFIX}/metrics", headers={"Authorization": f"Bearer {token}"}).text
    routes = set(re.findall(r'http_requests_total\{method="\w+",route="([^"]+)"', counted))
    assert {"/v1/verify", "/v1/claims/{claim_id}", "/healthz"} <= routes and "/verify" not in routes, routes


@ON_SQLITE
def test_the_same_app_answers_a_request_that_came_without_the_proxy(store: Store) -> None:
    """An operator's `curl http://127.0.0.1:8000/healthz` on the host: the app's own paths still answer."""
    create_key(store, "acme", now_utc())
    app = create_app(Settings(db=store.url, root_path=PREFIX), store)
    with TestClient(app, base_url=LOCAL, client=LOOPBACK) as client:
        assert client.get("/healthz").status_code == 200
        assert client.get(f"{PREFIX}/healthz").status_code == 200
        assert client.get("/", follow_redirects=False).headers["location"].startswith(f"{PREFIX}/")
        # The prefix without its slash, as a proxy that keeps it forwards a typed address: its page, the query kept.
        bare = client.get(PREFIX, params={"q": "c-1"}, follow_redirects=False)
        assert (bare.status_code, bare.headers["location"]) == (307, f"{LOCAL}{PREFIX}/?q=c-1")


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("evidence", "must start with '/'"),
        ("/evidence/", "must not end with '/'"),
        ("/", "leave it empty"),
        ("/evidence?x=1", "plain path"),
        ("/evidence#top", "plain path"),
        ("/a//b", "plain path"),
        ("/a/../b", "plain path"),
        ("/shop evidence", "plain path"),
        ("/a;b", "plain path"),
        # Paths are routed decoded: `/cl%61ims` is `/claims` to the router, and would never equal the
        # path it stands for, nor be seen as taken below. A letter outside ASCII (a Cyrillic а, an
        # accent) would need encoding in every link and in a cookie's Path.
        ("/cl%61ims", "plain path"),
        ("/cl\u0430ims", "plain path"),
        ("/\u00e9vidence", "plain path"),
        ("/claims", "/claims is taken by the app's own addresses (as /claims/"),
        ("/healthz", "/healthz is taken by the app's own addresses (as /healthz)"),
        ("/claims/c-1", "/claims/c-1 is taken by the app's own addresses (as /claims/{claim_id}"),
        ("/static/app", "/static/app is taken by the app's own addresses (as /static/{path})"),
    ],
)
@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_bad_prefix_is_refused_at_start_in_one_line(
    value: str, said: str, workers: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before the store is opened and before anything listens, in one process or several: a worker that
    found the prefix taken would die with a traceback, and uvicorn start another."""
    import uvicorn

    def listens(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("serve started uvicorn")

    monkeypatch.setattr(uvicorn, "run", listens)
    db = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    port = str(free_port())
    result = CliRunner().invoke(cli_app, ["serve", "--db", db, "--port", port, "--workers", workers, "--root-path", value])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.output.count("\n") == 1 and "--root-path: " in result.output and said in result.output, result.output
    assert not (tmp_path / "store.sqlite3").exists()
    monkeypatch.setenv("EVIDENCE_CHECK_ROOT_PATH", value)
    from_environment = CliRunner().invoke(cli_app, ["serve", "--db", db, "--port", port, "--workers", workers])
    assert from_environment.exit_code == 2 and from_environment.output.count("\n") == 1
    assert "bad setting EVIDENCE_CHECK_ROOT_PATH: " in from_environment.output and said in from_environment.output
    assert not (tmp_path / "store.sqlite3").exists()
    if "taken" in said:
        assert result.output.endswith("choose another prefix, as /evidence\n"), result.output


# What `serve` writes into its own environment for the connections' protocol and its workers.
SERVE_WRITES = (
    HEADER_TIMEOUT_VARIABLE,
    BODY_TIMEOUT_VARIABLE,
    BODY_MIN_RATE_VARIABLE,
    LOG_LEVEL_VARIABLE,
    "EVIDENCE_CHECK_DB",
    "EVIDENCE_CHECK_API_MAX_PARALLEL",
    "EVIDENCE_CHECK_ROOT_PATH",
    "PROMETHEUS_MULTIPROC_DIR",
)


@pytest.mark.parametrize(("workers", "built"), [(1, 1), (2, 1)])
def test_serve_under_a_prefix_builds_the_apps_routes_once(
    workers: int, built: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One process builds its app once, the prefix checked on it, and serves that very app, whose
    API and console answer under the prefix; several processes check the prefix once in the parent
    (each worker builds its own app, once)."""
    import uvicorn

    import api.app
    import api.observe

    calls: list[int] = []
    served: list[Any] = []
    routed = api.app.routed_app

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return routed(*args, **kwargs)

    monkeypatch.setattr(api.app, "routed_app", counted)
    monkeypatch.setattr(uvicorn, "run", lambda app, **_options: served.append(app))
    for process_wide in ("limit_malloc_arenas", "one_thread_per_request"):
        monkeypatch.setattr(api.app, process_wide, lambda: None)
    monkeypatch.setattr(api.observe, "log_requests", lambda _level: None)
    for written in SERVE_WRITES:  # `serve` hands its workers these: each is put back as it was after the test
        monkeypatch.setenv(written, "")
        monkeypatch.delenv(written)
    db = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    command = ["serve", "--db", db, "--port", str(free_port()), "--workers", str(workers), "--root-path", PREFIX]
    result = CliRunner().invoke(cli_app, command)
    assert result.exit_code == 0, result.output
    assert len(calls) == built
    if workers > 1:
        assert served == ["api.app:app_from_environment"]
        return
    with TestClient(served[0], base_url=LOCAL, client=LOOPBACK) as client:
        assert client.get(f"{PREFIX}/healthz").status_code == 200
        verified = client.post(f"{PREFIX}/v1/verify", files=photos(("a.jpg", jpeg(1))), data={"claim_id": "c-1"})
        assert verified.status_code == 200, verified.text
        page = client.get(f"{PREFIX}/claims/c-1")
        assert page.status_code == 200 and f'href="{PREFIX}/' in page.text
    assert len(calls) == built


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("/claims", "bad setting EVIDENCE_CHECK_ROOT_PATH: /claims is taken by the app's own addresses (as /claims/"),
        ("evidence", "bad setting EVIDENCE_CHECK_ROOT_PATH: must start with '/'"),
    ],
)
@pytest.mark.parametrize("server", ["uvicorn", "serve"])
def test_a_bad_prefix_run_by_uvicorns_factory_or_serve_is_one_line(value: str, said: str, server: str, tmp_path: Path) -> None:
    """The factory the workers of `serve --workers N` run is uvicorn's too, as an operator may run it
    (`uvicorn --factory api.app:app_from_environment`): its refusal is one line and a non-zero exit,
    as `serve`'s is, in a real process."""
    port = str(free_port())
    command = {
        "uvicorn": [sys.executable, "-m", "uvicorn", "--factory", "api.app:app_from_environment", "--port", port],
        "serve": [sys.executable, "-m", "evidence_check", "serve", "--port", port],
    }[server]
    environment = {**os.environ, "EVIDENCE_CHECK_ROOT_PATH": value, "EVIDENCE_CHECK_DB": f"sqlite:///{tmp_path / 's.sqlite3'}"}
    done = subprocess.run(command, capture_output=True, text=True, env=environment, cwd=ROOT, timeout=120)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(f"evidence-check: {said}") and done.stderr.count("\n") == 1, done.stderr
    assert not (tmp_path / "s.sqlite3").exists()


def test_a_store_that_cannot_be_opened_by_uvicorns_factory_is_one_line(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "uvicorn", "--factory", "api.app:app_from_environment", "--port", str(free_port())]
    unreachable = "postgresql://bob:s3cret@127.0.0.1:1/none?connect_timeout=2"
    environment = {**os.environ, "EVIDENCE_CHECK_ROOT_PATH": PREFIX, "EVIDENCE_CHECK_DB": unreachable}
    done = subprocess.run(command, capture_output=True, text=True, env=environment, cwd=ROOT, timeout=120)
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith("evidence-check: cannot open the store at postgresql://bob:***@127.0.0.1:1/none")
    assert done.stderr.count("\n") == 1, done.stderr


@ON_SQLITE
@pytest.mark.parametrize(
    ("taken", "path", "found"),
    [
        ("/claims", "/claims/c-1", 303),  # a claim's page (to sign in first)
        ("/v1", "/v1/claims", 401),  # the API (a key first)
        ("/healthz", "/healthz", 200),
        ("/static", "/static/console.css", 200),
        ("/claims/x", "/claims/x/print", 303),  # claim x's printable page
    ],
)
@pytest.mark.parametrize("strips", [True, False], ids=["proxy strips the prefix", "proxy keeps the prefix"])
def test_a_prefix_the_app_serves_itself_is_ambiguous_behind_a_stripping_proxy(
    store: Store, taken: str, path: str, found: int, strips: bool
) -> None:
    """Why such a prefix is refused: under `/claims`, the browser's `/claims/claims/c-1` comes from a stripping
    proxy as `/claims/c-1`, which `ServedUnder` takes for a kept prefix (the app's `/c-1`, a 404); the same
    page under `/evidence` is found either way. Built past `create_app`, which refuses such a prefix."""
    create_key(store, "acme", now_utc())
    at_taken = create_app(Settings(db=store.url), store)
    at_taken.add_middleware(ServedUnder, root_path=taken)
    at_evidence = create_app(Settings(db=store.url, root_path=PREFIX), store)
    for prefix, app, reached in ((taken, at_taken, not strips), (PREFIX, at_evidence, True)):
        with TestClient(behind_proxy(app, prefix, strips), base_url=LOCAL, client=LOOPBACK) as client:
            answer = client.get(f"{prefix}{path}", follow_redirects=False)
        assert (answer.status_code == found) == reached, (prefix, path, answer.status_code, answer.headers.get("location"))
        if not reached:  # the app's page for what follows the prefix, or the prefix's own page
            assert answer.status_code in (404, 307), answer.status_code


# The app's first path segments, written out: the walk of its routes below must find at least these (a
# walk that lost the included routers, or the mounts, would find a few and pass).
KNOWN_FIRST_SEGMENTS = {
    "v1", "claims", "catalog", "new-claim", "signin", "signout", "lang", "static", "favicon.ico",
    "healthz", "metrics", "docs", "docs-assets", "redoc", "openapi.json",
}  # fmt: skip


@ON_SQLITE
def test_every_first_segment_of_the_apps_routes_is_refused_as_the_prefix(store: Store) -> None:
    """Whatever page or endpoint is added, the prefix named by its first segment is refused: the
    segments here are read from the routes the app answers, not kept by hand."""
    app = create_app(Settings(db=store.url), store)
    first = {context.path.split("/")[1] for context in iter_route_contexts(app.routes) if context.path}
    assert first >= KNOWN_FIRST_SEGMENTS, KNOWN_FIRST_SEGMENTS - first
    for segment in sorted(first - {""}):
        with pytest.raises(ValueError, match=rf"^/{re.escape(segment)} is taken by the app's own addresses \(as /{re.escape(segment)}\b"):
            create_app(Settings(db=store.url, root_path=f"/{segment}"), store)
    assert SUGGESTED not in {f"/{segment}" for segment in first}
    create_app(Settings(db=store.url, root_path=SUGGESTED), store)  # the one the refusal suggests serves


def test_create_app_refuses_a_taken_prefix_before_it_opens_a_store(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="^/claims is taken"):
        create_app(Settings(db=f"sqlite:///{tmp_path / 'store.sqlite3'}", root_path="/claims"))
    assert not (tmp_path / "store.sqlite3").exists()  # nor a connection pool left open to it


def test_a_route_or_router_added_to_the_app_takes_its_prefix_too() -> None:
    app = routed_app()
    refuse_own_address(app.routes, "/reports")
    refuse_own_address(app.routes, "/exports")
    app.add_api_route("/reports/{day}", lambda day: day)
    added = APIRouter(prefix="/exports")
    added.add_api_route("/latest", lambda: None)
    app.include_router(added)
    for taken in ("/reports", "/reports/monday", "/exports", "/exports/latest"):
        with pytest.raises(ValueError, match=f"^{taken} is taken"):
            refuse_own_address(app.routes, taken)
    refuse_own_address(app.routes, "/exports/older")  # no address of the app's begins with it


# A prefix of several segments is refused when an address of the app's has them all (a claim's or a SKU's
# id is any segments, a mount any path below it), not for its first segment alone.
SEVERAL_SEGMENTS = [
    ("/claims/x", "/claims/{claim_id}"),  # claim x's page
    ("/claims/a/b", "/claims/{claim_id}"),  # claim a/b's: an id sent with bare slashes
    ("/catalog/x", "/catalog/{sku}"),
    ("/v1/claims", "/v1/claims"),
    ("/v1/claims/x", "/v1/claims/{claim_id}"),
    ("/static/x", "/static/{path}"),
    ("/static/a/b", "/static/{path}"),  # a mount answers a path of any depth below it
    ("/docs-assets/x", "/docs-assets/{path}"),
    ("/new-claim/sku", "/new-claim/sku"),
    ("/claims/new", "/claims/new"),  # the address that is the prefix, not a photo's page of claim `new`
    ("/v1/claims/x/reports", "/v1/claims/{claim_id}/reports"),
    ("/v1/x", None),
    ("/docs/x", None),
    ("/healthz/x", None),
    ("/new-claim/x", None),
    ("/shop/evidence", None),
    ("/claimsx", None),
]


@pytest.mark.parametrize(("prefix", "taken_by"), SEVERAL_SEGMENTS)
def test_a_prefix_of_several_segments_is_refused_only_when_an_address_of_the_apps_has_them_all(
    prefix: str, taken_by: str | None
) -> None:
    routes = routed_app().routes
    if taken_by is None:
        refuse_own_address(routes, prefix)
        return
    with pytest.raises(ValueError) as refused:
        refuse_own_address(routes, prefix)
    said = str(refused.value)
    assert said.startswith(f"{prefix} is taken by the app's own addresses (as {taken_by}):") and "\n" not in said, said


# A prefix that only looks like one of the app's first segments begins none of its addresses: paths are
# compared as Starlette routes them, case and all, a segment whole (`/claim`: the app's `/claims/c-1`,
# stripped of it by the proxy, is no path under it).
LOOKALIKES = ["/Claims", "/V1", "/claims-x", "/v1x", "/static.x", "/claim"]


@pytest.mark.parametrize("prefix", LOOKALIKES)
def test_a_prefix_that_only_looks_like_a_first_segment_of_the_apps_is_accepted(prefix: str) -> None:
    refuse_own_address(routed_app().routes, prefix)


@ON_SQLITE
@pytest.mark.parametrize("prefix", [prefix for prefix, taken_by in SEVERAL_SEGMENTS if taken_by is None] + LOOKALIKES)
@pytest.mark.parametrize("strips", [True, False], ids=["proxy strips the prefix", "proxy keeps the prefix"])
def test_a_prefix_that_begins_no_address_of_the_apps_serves_behind_either_proxy(store: Store, prefix: str, strips: bool) -> None:
    """Why `/v1/x` or `/docs/x` need not be refused: no path the app answers starts with them, so a
    stripped path never looks kept; the pages, the API and the docs under them answer either way."""
    key = create_key(store, "acme", now_utc())[1]
    app = create_app(Settings(db=store.url, root_path=prefix), store)
    with TestClient(behind_proxy(app, prefix, strips), base_url=LOCAL, client=LOOPBACK) as client:
        page = client.get(f"{prefix}/claims/c-1", follow_redirects=False)
        assert (page.status_code, page.headers.get("location")) == (303, f"{prefix}/signin?next=%2Fclaims%2Fc-1")
        listed = client.get(f"{prefix}/v1/claims", headers={"Authorization": f"Bearer {key}"})
        assert listed.status_code == 200 and listed.json()["items"] == [], listed.text
        assert client.get(f"{prefix}/docs").status_code == 200
        assert client.get(f"{prefix}/healthz").status_code == 200


def test_several_workers_are_never_started_on_a_taken_prefix(tmp_path: Path) -> None:
    """The real command, `--workers 2` and the setting: one line on stderr, exit 2, nothing listening
    and no store made."""
    port = free_port()
    done = subprocess.run(
        [sys.executable, "-c", "from evidence_check.cli import main; main()", "serve", "--port", str(port), "--workers", "2"],
        env={**os.environ, "EVIDENCE_CHECK_ROOT_PATH": "/catalog", "EVIDENCE_CHECK_DB": f"sqlite:///{tmp_path / 'store.sqlite3'}"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and done.stdout == "", (done.returncode, done.stdout, done.stderr)
    assert done.stderr.startswith("evidence-check: bad setting EVIDENCE_CHECK_ROOT_PATH: /catalog is taken") and done.stderr.count("\n") == 1, done.stderr
    assert "choose another prefix, as /evidence" in done.stderr and not (tmp_path / "store.sqlite3").exists()


def test_several_workers_serve_under_a_prefix_of_several_segments(tmp_path: Path) -> None:
    """`/v1/x` begins none of the app's addresses: `serve --workers 2` starts, and each worker serves under it."""
    server = start_server(f"sqlite:///{tmp_path / 'store.sqlite3'}", tmp_path / "server.log", "--root-path", "/v1/x", "--workers", "2")
    try:
        for _ in range(4):  # the connections land on either worker
            assert httpx.get(f"{server.url}/v1/x/healthz", timeout=10).status_code == 200
        queue = httpx.get(f"{server.url}/v1/x/", timeout=10)  # the keyless trial's first page
        assert queue.status_code == 200 and 'href="/v1/x/new-claim"' in queue.text, queue.text[:300]
    finally:
        server.stop()
