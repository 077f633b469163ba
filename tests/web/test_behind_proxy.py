"""The console in a real browser, through a real reverse proxy, at a path prefix: `evidence-check serve
--root-path /evidence` behind a few lines of asyncio that forward only `/evidence/...`, without the
prefix (as nginx's `location /evidence/ { proxy_pass http://app/; }`). Debian's chromium driven by
Playwright; skipped, saying why, when either is missing.

The agent signs in, adds a product, sends a claim through the form's script (the HEIC's preview,
the upload), opens the error-level view and signs out, only by following what the pages
give; every request the browser made stayed under the prefix, and the cookies are kept for it alone.
"""

from __future__ import annotations

import asyncio
import re
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from evidence_check.engine import now_utc
from evidence_check.store import Store
from evidence_check.store.keys import create_key
from tests.api.conftest import Server, start_server
from tests.web.test_browser import ARGS, CHROMIUM, HEIC, PHOTOS, _product_picture, _until

PREFIX = "/evidence"

sync_api = pytest.importorskip("playwright.sync_api", reason="needs playwright (the dev extra)")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (apt-get install chromium)")


class StrippingProxy:
    """HTTP/1.1 reverse proxy on 127.0.0.1: `/evidence/x` is forwarded as `/x` (the Host kept, as
    nginx's `proxy_set_header Host $host`), anything else is a 404 of its own. One request a
    connection (`Connection: close` both ways), which keeps it a few lines."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.forwarded: list[str] = []
        self.loop = asyncio.new_event_loop()
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}"
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def start(self) -> None:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self._listen(), self.loop).result(timeout=10)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)

    async def _listen(self) -> None:
        self.server = await asyncio.start_server(self._one, sock=self.socket)

    async def _one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            writer.close()
            return
        line, _, rest = head[:-4].partition(b"\r\n")
        method, target, version = line.split(b" ")
        if not (target == PREFIX.encode() or target.startswith(((PREFIX + "/").encode(), (PREFIX + "?").encode()))):
            writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot here\n")
            await writer.drain()
            writer.close()
            return
        forwarded = target[len(PREFIX) :] or b"/"
        self.forwarded.append(forwarded.decode())
        headers = [h for h in rest.split(b"\r\n") if not h.lower().startswith((b"connection:", b"keep-alive:"))]
        upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        upstream_writer.write(b"\r\n".join([b" ".join([method, forwarded.replace(b" ", b"%20"), version]), *headers, b"Connection: close"]) + b"\r\n\r\n")
        sending = asyncio.ensure_future(_pipe(reader, upstream_writer))
        await _pipe(upstream_reader, writer)
        sending.cancel()
        writer.close()
        upstream_writer.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while chunk := await reader.read(65536):
            writer.write(chunk)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass


@pytest.fixture
def proxied(tmp_path: Path) -> Iterator[tuple[StrippingProxy, Server, str]]:
    url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    store = Store(url)
    key = create_key(store, "acme", now_utc())[1]
    store.close()
    server = start_server(url, tmp_path / "server.log", "--root-path", PREFIX)
    proxy = StrippingProxy(int(server.url.rpartition(":")[2]))
    proxy.start()
    try:
        yield proxy, server, key
    finally:
        proxy.stop()
        server.stop()


@pytest.fixture
def context() -> Iterator[Any]:
    """A browser context whose pages record every request they make (`context.requested`) and every
    404 they got (`context.failed`)."""
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            opened = browser.new_context(timezone_id="Asia/Shanghai", locale="en-GB")
            opened.requested, opened.failed = [], []
            opened.on("request", lambda request: opened.requested.append(request.url))
            opened.on("response", lambda answer: opened.failed.append(answer.url) if answer.status == 404 else None)
            yield opened
        finally:
            browser.close()


def test_an_agent_works_through_a_proxy_that_serves_the_console_under_a_prefix(
    proxied: tuple[StrippingProxy, Server, str], context: Any, tmp_path: Path
) -> None:
    proxy, server, key = proxied
    base = proxy.url + PREFIX
    # Left by the app served at this host's root before: chromium sends them after the prefix's own
    # of the same name, and the console reads those (api.web.session.console_cookie).
    context.add_cookies([{"name": name, "value": value, "url": proxy.url + "/"} for name, value in (("ec_lang", "en"), ("ec_session", "old.session"))])
    _walk(context.new_page(), base, key, tmp_path)
    cookies = {(cookie["name"], cookie["path"]) for cookie in context.cookies()}
    outside = [url for url in context.requested if not url.startswith((base + "/", "blob:", "data:"))]
    assert outside == [] and context.failed == []
    # The session and the language were set by the server, the zone by the page's script: all for the prefix alone;
    # the session's were deleted at sign-out, the old one at / too.
    assert cookies == {("ec_lang", PREFIX), ("ec_tz", PREFIX), ("ec_lang", "/")}, cookies
    # The script's own requests went through the proxy too: the HEIC's preview, the form's upload.
    assert {"/claims/preview", "/new-claim"} <= set(proxy.forwarded), proxy.forwarded


def _walk(page: Any, base: str, key: str, tmp_path: Path) -> None:
    page.goto(base + "/")
    assert page.url == base + "/signin?next=%2F"
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base + "/")
    sync_api.expect(page.get_by_text("acme")).to_be_visible()

    page.get_by_role("link", name="Catalog").click()
    page.wait_for_url(base + "/catalog")
    page.get_by_label("SKU", exact=True).fill("BAG-001")
    page.get_by_label("Name").fill("Travel bag")
    page.get_by_label("Pictures of the product").set_input_files(str(_product_picture(tmp_path)))
    page.get_by_role("button", name="Add images").click()
    page.wait_for_url(re.compile(re.escape(base) + r"/catalog/BAG-001\?added=1"))

    page.get_by_role("link", name="New claim").click()
    page.wait_for_url(base + "/new-claim")
    page.get_by_label("Claim id (optional)").fill("c-proxy-1")
    page.get_by_label("Customer").fill("u-42")
    page.get_by_label("Order", exact=True).fill("SO-1001")
    page.get_by_label("SKU", exact=True).fill("BAG-001")
    sync_api.expect(page.locator("#sku-found")).to_contain_text("Travel bag")
    page.get_by_label("Ordered").fill("2026-11-10T10:00")
    page.get_by_label("Delivered").fill("2026-11-14T15:00")
    page.locator("#photos").set_input_files([str(HEIC), str(PHOTOS[1])])
    _until(page, "document.getElementById('region-photo').naturalWidth > 0")  # the server's preview of a HEIC
    page.get_by_role("button", name="Verify the photos").click()
    page.wait_for_url(base + "/claims/c-proxy-1", timeout=120_000)
    assert page.locator("article.card").count() == 2
    page.get_by_role("link", name="Show the error-level view").first.click()
    _until(page, "document.querySelector('img.ela-view') && document.querySelector('img.ela-view').naturalWidth > 0")

    page.get_by_role("link", name="中文").click()
    page.wait_for_url(base + "/claims/c-proxy-1")
    page.get_by_role("button", name="属实").click()
    page.wait_for_url(re.compile(re.escape(base) + r"/claims/c-proxy-1\?.*saved=genuine"))
    page.get_by_role("link", name="售后申请").first.click()
    page.wait_for_url(base + "/")
    sync_api.expect(page.get_by_role("link", name="c-proxy-1")).to_be_visible()
    page.get_by_role("button", name="退出").click()
    page.wait_for_url(base + "/signin")


def test_a_form_sent_after_the_session_ended_is_sent_once_signed_in_again_behind_the_proxy(
    proxied: tuple[StrippingProxy, Server, str], context: Any
) -> None:
    """The script's paths for a session that ended mid-form: it tells the answer of the sign-in page
    by its address, links to signing in, and fetches the form's new token; all under the prefix."""
    proxy, server, key = proxied
    base = proxy.url + PREFIX
    page = context.new_page()
    page.goto(base + "/signin")
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base + "/")
    page.goto(base + "/new-claim")
    page.get_by_label("Order", exact=True).fill("SO-45")
    page.locator("#photos").set_input_files(str(PHOTOS[0]))
    context.clear_cookies(name="ec_session")  # the session ended
    page.get_by_role("button", name="Verify the photos").click()
    sync_api.expect(page.get_by_role("alert")).to_contain_text("You are signed out", timeout=60_000)
    with context.expect_page() as opened:
        page.get_by_role("link", name="Sign in in a new tab").click()
    other = opened.value
    other.wait_for_url(base + "/signin?next=%2Fnew-claim")
    other.get_by_label("API key").fill(key)
    other.get_by_role("button", name="Sign in").click()
    other.wait_for_url(base + "/new-claim")
    page.bring_to_front()
    page.get_by_role("button", name="Verify the photos").click()
    page.wait_for_url(re.compile(re.escape(base) + r"/claims/c-[0-9a-f]+$"), timeout=120_000)
    assert "SO-45" in page.locator("dl.facts").inner_text()
    outside = [url for url in context.requested if not url.startswith((base + "/", "blob:", "data:"))]
    assert outside == [] and context.failed == []
