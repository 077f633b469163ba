"""The console in a real browser against a real `evidence-check serve` on 127.0.0.1.

Debian's chromium driven by Playwright (never a downloaded browser); skipped, saying why, when
either is missing. With EVIDENCE_CHECK_SCREENSHOTS=DIR the pages are also saved there as
console-*.png (the README's pictures: `EVIDENCE_CHECK_SCREENSHOTS=docs pytest tests/web/test_browser.py`).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from evidence_check.engine import now_utc
from evidence_check.store import Store
from evidence_check.store.keys import create_key
from tests.api.conftest import Server, start_server

ROOT = Path(__file__).resolve().parents[2]
PHOTOS = (ROOT / "fixtures" / "images" / "genuine_after_delivery.jpg", ROOT / "fixtures" / "images" / "no_exif.jpg")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

sync_api = pytest.importorskip("playwright.sync_api", reason="needs playwright (the dev extra)")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (apt-get install chromium)")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Server, str]]:
    url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    store = Store(url)
    _key_id, key = create_key(store, "acme", now_utc())
    store.close()
    server = start_server(url, tmp_path / "server.log")
    try:
        yield server, key
    finally:
        server.stop()


@pytest.fixture(params=[{"width": 1280, "height": 900}], ids=["laptop"])
def viewport(request: pytest.FixtureRequest) -> dict[str, int]:
    return dict(request.param)


@pytest.fixture
def page(served: tuple[Server, str], viewport: dict[str, int]) -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport=viewport, timezone_id="Asia/Shanghai", locale="en-GB")
        opened = context.new_page()
        opened.requested = []  # type: ignore[attr-defined]
        opened.on("request", lambda request: opened.requested.append(request.url))  # type: ignore[attr-defined]
        try:
            yield opened
        finally:
            browser.close()


def _shot(page: Any, name: str) -> None:
    folder = os.environ.get("EVIDENCE_CHECK_SCREENSHOTS")
    if folder:
        page.screenshot(path=str(Path(folder) / f"console-{name}.png"), full_page=True)


def test_an_agent_signs_in_verifies_a_claim_and_decides_it(page: Any, served: tuple[Server, str]) -> None:
    server, key = served
    page.goto(server.url + "/")
    assert "/signin" in page.url
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(server.url + "/")
    sync_api.expect(page.get_by_text("acme")).to_be_visible()

    # A new claim: facts, dates in the agent's zone, two photos, a region dragged on the first.
    page.get_by_role("link", name="New claim").click()
    assert page.locator("#tz").input_value() == "Asia/Shanghai"
    page.get_by_label("Claim id (optional)").fill("c-browser-1")
    page.get_by_label("Customer").fill("u-42")
    page.get_by_label("Reason").select_option("damaged")
    page.get_by_label("Ordered").fill("2026-11-10T10:00")
    page.get_by_label("Delivered").fill("2026-11-14T15:00")
    page.locator("#photos").set_input_files([str(p) for p in PHOTOS])
    photo = page.locator("#region-photo")
    photo.wait_for(state="visible")
    page.wait_for_function("document.getElementById('region-photo').naturalWidth > 0")
    box = photo.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.2, box["y"] + box["height"] * 0.2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.5, steps=5)
    page.mouse.up()
    region = page.locator("#region").input_value()
    x, y, w, h = (int(v) for v in region.split(","))
    natural = page.evaluate("[document.getElementById('region-photo').naturalWidth, document.getElementById('region-photo').naturalHeight]")
    assert abs(x - natural[0] * 0.2) <= natural[0] * 0.02 and abs(w - natural[0] * 0.4) <= natural[0] * 0.03
    assert abs(y - natural[1] * 0.2) <= natural[1] * 0.02 and h > 0
    _shot(page, "form-en")
    page.get_by_role("button", name="Verify the photos").click()
    page.wait_for_url(re.compile(r".*/claims/c-browser-1$"), timeout=120_000)

    # The verdict and the sentence that decided it come first.
    verdict = page.locator("#verdict .badge").inner_text()
    assert verdict in ("Accept", "Review", "Reject")
    assert page.locator(".basis").inner_text().strip()
    assert page.locator("article.card").count() == 2
    _shot(page, "report-en")

    # 中文, a retake challenge, an outcome.
    page.get_by_role("link", name="中文").click()
    page.wait_for_url(re.compile(r".*/claims/c-browser-1$"))
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    page.get_by_role("button", name="发出补拍验证码").click()
    code = page.locator(".challenge .code").inner_text()
    assert re.fullmatch(r"[A-Z0-9]{4,8}", code), code
    _shot(page, "report-zh")
    page.get_by_label("备注").fill("客户补拍的照片与订单一致")
    page.get_by_role("button", name="属实").click()
    # The answer is a redirect to the report page: wait for it, then for the note (auto-waiting).
    page.wait_for_url(re.compile(r".*[?&]saved=genuine"))
    sync_api.expect(page.get_by_role("status").filter(has_text="处理结果已记录")).to_be_visible()

    # The claim in the queue, found by search, decided.
    page.get_by_role("link", name="售后申请").first.click()
    page.get_by_label("搜索").fill("browser")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_url(re.compile(r".*[?&]q=browser"))
    row = page.locator("tr", has=page.get_by_role("link", name="c-browser-1"))
    sync_api.expect(row).to_have_count(1)
    assert row.count() == 1 and "属实" in row.inner_text()
    # Times are written in the browser's zone, which the page's script told the server.
    assert "Asia/Shanghai" in page.locator("table.queue thead").first.inner_text()
    _shot(page, "queue-zh")
    page.get_by_role("link", name="English").click()
    _shot(page, "queue-en")
    page.get_by_role("link", name="New claim").click()
    page.get_by_role("link", name="中文").click()
    _shot(page, "form-zh")

    leaving = [url for url in page.requested if not url.startswith(server.url + "/") and not url.startswith(("blob:", "data:"))]  # type: ignore[attr-defined]
    assert leaving == [], leaving


def _sign_in(page: Any, server: Server, key: str) -> None:
    page.goto(server.url + "/signin")
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(server.url + "/")


@pytest.mark.parametrize("viewport", [{"width": 768, "height": 1024}], ids=["tablet"], indirect=True)
def test_on_a_tablet_a_photo_that_cannot_be_read_gives_the_form_back_by_keyboard(
    page: Any, served: tuple[Server, str]
) -> None:
    server, key = served
    _sign_in(page, server, key)
    page.goto(server.url + "/claims/new")
    page.get_by_label("Customer").fill("u-43")
    page.locator("#photos").set_input_files(str(ROOT / "fixtures" / "images" / "not_an_image.jpg"))
    page.get_by_role("button", name="Verify the photos").focus()
    page.keyboard.press("Enter")
    page.get_by_role("alert").wait_for(timeout=60_000)
    assert "no photo could be read" in page.get_by_role("alert").inner_text()
    assert page.get_by_label("Customer").input_value() == "u-43"
    assert not page.locator("#region-photo").is_visible()  # no photo to draw on
    # Nothing wider than the screen: every field and the button are within reach without scrolling sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= 768
    _shot(page, "form-error-tablet")
