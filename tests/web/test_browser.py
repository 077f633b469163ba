"""The console in a real browser against a real `evidence-check serve` on 127.0.0.1.

Debian's chromium driven by Playwright (never a downloaded browser); skipped, saying why, when
either is missing. With EVIDENCE_CHECK_SCREENSHOTS=DIR the pages are also saved there as
console-*.png (the README's pictures: `EVIDENCE_CHECK_SCREENSHOTS=docs pytest tests/web/test_browser.py`).
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from evidence_check.engine import now_utc
from evidence_check.store import Store
from evidence_check.store.claim_files import sent_fields
from evidence_check.store.keys import create_key, list_keys
from tests.api.conftest import Server, start_server
from tests.api.test_catalog_read import _rows as _catalog_rows
from tests.seeded_claims import seed

ROOT = Path(__file__).resolve().parents[2]
PHOTOS = (ROOT / "fixtures" / "images" / "genuine_after_delivery.jpg", ROOT / "fixtures" / "images" / "no_exif.jpg")
HEIC = ROOT / "fixtures" / "images" / "genuine_after_delivery.heic"
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
def served(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[tuple[Server, str]]:
    """`request.param` (parametrized indirectly): settings for the server, as environment variables."""
    url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    store = Store(url)
    _key_id, key = create_key(store, "acme", now_utc())
    store.close()
    server = start_server(url, tmp_path / "server.log", env=getattr(request, "param", None))
    try:
        yield server, key
    finally:
        server.stop()


@pytest.fixture(params=[{"width": 1280, "height": 900}], ids=["laptop"])
def viewport(request: pytest.FixtureRequest) -> dict[str, int]:
    return dict(request.param)


@pytest.fixture(params=[True], ids=["scripts"])
def scripting(request: pytest.FixtureRequest) -> bool:
    """Whether the browser runs the console's script (parametrized indirectly: False for a browser without)."""
    return bool(request.param)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One chromium for the module (launching it took ~1 s a test); each test's page is in a
    context of its own (cookies, storage, cache), closed with every other context the test opened."""
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Any, served: tuple[Server, str], viewport: dict[str, int], scripting: bool) -> Iterator[Any]:
    """A page whose every request off the test server is aborted and counted in `page.refused`
    (an air-gapped site: a page asking for anything elsewhere would break there)."""
    server, _key = served
    context = browser.new_context(
        viewport=viewport, timezone_id="Asia/Shanghai", locale="en-GB", java_script_enabled=scripting
    )
    # Playwright's 30 s for a click or a wait is short for a CI machine at load 10: a sign-in that
    # redirects once timed out there. The waits that matter carry their own, longer timeouts.
    context.set_default_timeout(90_000)
    try:
        opened = context.new_page()
        opened.requested = []  # type: ignore[attr-defined]
        opened.refused = []  # type: ignore[attr-defined]

        def only_this_server(route: Any) -> None:
            url = route.request.url
            opened.requested.append(url)  # type: ignore[attr-defined]
            if url.startswith((server.url + "/", "blob:", "data:")):
                route.continue_()
            else:
                opened.refused.append(url)  # type: ignore[attr-defined]
                route.abort()

        context.route("**/*", only_this_server)
        yield opened
    finally:
        for opened_by_the_test in browser.contexts:
            opened_by_the_test.close()


def _shot(page: Any, name: str) -> None:
    folder = os.environ.get("EVIDENCE_CHECK_SCREENSHOTS")
    if folder:
        page.screenshot(path=str(Path(folder) / f"console-{name}.png"), full_page=True)


def _fits(page: Any) -> None:
    """Nothing wider than the screen: every field and button in reach without scrolling sideways."""
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


def _until(page: Any, expression: str, seconds: float = 60) -> None:
    """Poll `expression` from the test (Playwright's own polling evaluates strings inside the page,
    which the console's Content-Security-Policy forbids)."""
    deadline = time.monotonic() + seconds
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"still false after {seconds} s: {expression}"
        time.sleep(0.1)


def _drag(page: Any, target: Any, start: tuple[float, float], end: tuple[float, float]) -> None:
    """A box dragged on `target` between two points given as fractions of its width and height."""
    target.scroll_into_view_if_needed()
    box = target.bounding_box()
    page.mouse.move(box["x"] + box["width"] * start[0], box["y"] + box["height"] * start[1])
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * end[0], box["y"] + box["height"] * end[1], steps=5)
    page.mouse.up()


def _product_picture(folder: Path) -> Path:
    """A catalog picture of its own (not one of the claim's photos: a customer's photo that is the
    shop's listing picture would be another story)."""
    path = folder / "bag-front.jpg"
    Image.radial_gradient("L").convert("RGB").resize((640, 480)).save(path, "JPEG", quality=90)
    return path


def test_an_agent_signs_in_verifies_a_claim_and_decides_it(
    page: Any, served: tuple[Server, str], tmp_path: Path
) -> None:
    server, key = served
    page.goto(server.url + "/")
    assert "/signin" in page.url
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(server.url + "/")
    sync_api.expect(page.get_by_text("acme")).to_be_visible()

    # A product in the catalog, for the SKU lookup.
    page.get_by_role("link", name="Catalog").click()
    page.get_by_label("SKU", exact=True).fill("BAG-001")
    page.get_by_label("Name").fill("Travel bag")
    page.get_by_label("Pictures of the product").set_input_files(str(_product_picture(tmp_path)))
    page.get_by_role("button", name="Add images").click()
    # The picture is a gradient edge to edge: no plain background, which the page says on its card.
    page.wait_for_url(re.compile(r".*/catalog/BAG-001\?added=1&no_outline=bag-front\.jpg$"))
    sync_api.expect(page.locator(".no-outline")).to_contain_text("No plain background")

    # A new claim: the five facts, dates in the agent's zone, two photos, a region dragged on the first.
    page.get_by_role("link", name="New claim").click()
    assert page.locator("#tz").input_value() == "Asia/Shanghai"
    page.get_by_label("Claim id (optional)").fill("c-browser-1")
    page.get_by_label("Customer").fill("u-42")
    page.get_by_label("Order", exact=True).fill("SO-1001")
    page.get_by_label("SKU", exact=True).fill("BAG-001")
    sync_api.expect(page.locator("#sku-found")).to_contain_text("Travel bag")
    page.get_by_label("SKU", exact=True).fill("BAG-404")
    sync_api.expect(page.locator("#sku-found")).to_contain_text("Not in the catalog")
    page.get_by_label("SKU", exact=True).fill("BAG-001")
    page.get_by_label("Reason").select_option("damaged")
    page.get_by_label("Wanted outcome").select_option("replacement")
    page.get_by_label("Ordered").fill("2026-11-10T10:00")
    page.get_by_label("Delivered").fill("2026-11-14T15:00")
    page.locator("#photos").set_input_files([str(p) for p in PHOTOS])
    photo = page.locator("#region-photo")
    photo.wait_for(state="visible")
    _until(page, "document.getElementById('region-photo').naturalWidth > 0")
    _drag(page, photo, (0.2, 0.2), (0.6, 0.5))
    region = page.locator("#region").input_value()
    x, y, w, h = (int(v) for v in region.split(","))
    natural = page.evaluate("[document.getElementById('region-photo').naturalWidth, document.getElementById('region-photo').naturalHeight]")
    assert abs(x - natural[0] * 0.2) <= natural[0] * 0.02 and abs(w - natural[0] * 0.4) <= natural[0] * 0.03
    assert abs(y - natural[1] * 0.2) <= natural[1] * 0.02 and h > 0
    _fits(page)
    _shot(page, "form-en")
    page.get_by_role("button", name="Verify the photos").click()
    page.wait_for_url(re.compile(r".*/claims/c-browser-1$"), timeout=120_000)

    # The verdict and the sentence that decided it come first; the facts; the region on the photo.
    verdict = page.locator("#verdict .badge").inner_text()
    assert verdict in ("Accept", "Review", "Reject")
    assert page.locator(".basis").inner_text().strip()
    assert page.locator("article.card").count() == 2
    assert "SO-1001" in page.locator("dl.facts").inner_text() and "Replacement" in page.locator("dl.facts").inner_text()
    marked = page.locator("article.card").first.locator("rect.region.given")
    sync_api.expect(marked).to_be_visible()
    assert [int(marked.get_attribute(name) or -1) for name in ("x", "y", "width", "height")] == [x, y, w, h]
    # The timeline in the agent's zone: ordered 2026-11-10 10:00 as typed in Shanghai.
    sync_api.expect(page.locator("svg.timeline")).to_contain_text("2026-11-10 10:00")
    # The error-level view is made only when asked for.
    assert page.locator("img.ela-view").count() == 0
    page.get_by_role("link", name="Show the error-level view").first.click()
    _until(page, "document.querySelector('img.ela-view') && document.querySelector('img.ela-view').naturalWidth > 0")
    _fits(page)
    _shot(page, "report-en")

    # 中文, a retake challenge, an outcome.
    page.get_by_role("link", name="中文").click()
    page.wait_for_url(re.compile(r".*/claims/c-browser-1$"))
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    sync_api.expect(page.locator("svg.timeline")).to_contain_text("4 天")
    page.get_by_role("button", name="发出补拍验证码").click()
    code = page.locator(".challenge .code").inner_text()
    assert re.fullmatch(r"[A-Z0-9]{4,8}", code), code
    _shot(page, "report-zh")
    page.get_by_label("备注").fill("客户补拍的照片与订单一致")
    page.get_by_role("button", name="属实").click()
    # The answer is a redirect to the report page: wait for it, then for the note (auto-waiting).
    page.wait_for_url(re.compile(r".*[?&]saved=genuine"))
    sync_api.expect(page.get_by_role("status").filter(has_text="处理结果已记录")).to_be_visible()

    # The claim in the queue, found by its order, decided.
    page.get_by_role("link", name="售后申请").first.click()
    page.get_by_label("搜索").fill("so-1001")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_url(re.compile(r".*[?&]q=so-1001"))
    row = page.locator("tr", has=page.get_by_role("link", name="c-browser-1"))
    sync_api.expect(row).to_have_count(1)
    assert row.count() == 1 and "属实" in row.inner_text() and "换货" in row.inner_text()
    # Times are written in the browser's zone, which the page's script told the server.
    assert "Asia/Shanghai" in page.locator("table.queue thead").first.inner_text()
    _shot(page, "queue-zh")
    page.get_by_role("link", name="English").click()
    _shot(page, "queue-en")

    # The same photo in a later claim: its report links to this one, and the link opens it.
    page.get_by_role("link", name="New claim").click()
    page.get_by_label("Claim id (optional)").fill("c-browser-2")
    page.get_by_label("Customer").fill("u-77")
    page.locator("#photos").set_input_files(str(PHOTOS[0]))
    page.get_by_role("button", name="Verify the photos").click()
    page.wait_for_url(re.compile(r".*/claims/c-browser-2$"), timeout=120_000)
    page.get_by_role("link", name="c-browser-1").first.click()
    page.wait_for_url(re.compile(r".*/claims/c-browser-1$"))
    assert page.locator("h1").inner_text() == "c-browser-1"

    page.get_by_role("link", name="New claim").click()
    page.get_by_role("link", name="中文").click()
    _shot(page, "form-zh")
    assert len(page.requested) > 10  # type: ignore[attr-defined]  (the route saw the page's requests)
    assert page.refused == [], page.refused  # type: ignore[attr-defined]


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
    page.goto(server.url + "/new-claim")
    page.get_by_label("Customer").fill("u-43")
    page.locator("#photos").set_input_files(str(ROOT / "fixtures" / "images" / "not_an_image.jpg"))
    page.get_by_role("button", name="Verify the photos").focus()
    page.keyboard.press("Enter")
    page.get_by_role("alert").wait_for(timeout=60_000)
    assert "no photo could be read" in page.get_by_role("alert").inner_text()
    assert page.get_by_label("Customer").input_value() == "u-43"
    assert not page.locator("#region-photo").is_visible()  # no photo to draw on
    _fits(page)
    _shot(page, "form-error-tablet")
    assert page.refused == []  # type: ignore[attr-defined]


@pytest.mark.parametrize("served", [{"EVIDENCE_CHECK_MAX_FILE_BYTES": "200000"}], indirect=True)
def test_a_form_sent_back_with_its_problem_keeps_the_photos_the_region_and_every_field(
    page: Any, served: tuple[Server, str], tmp_path: Path
) -> None:
    """A photo over the size limit is refused while the form streams in: the server's form came back
    empty (it never read the fields), and no page can put files back into a file field."""
    server, key = served
    _sign_in(page, server, key)
    page.goto(server.url + "/new-claim")
    too_large = tmp_path / "too-large.jpg"
    too_large.write_bytes(os.urandom(300_000))
    page.get_by_label("Customer").fill("u-44")
    page.get_by_label("Order", exact=True).fill("SO-44")
    page.get_by_label("Wanted outcome").select_option("replacement")
    page.get_by_label("Delivered").fill("2026-11-14T15:00")
    page.locator("#photos").set_input_files([str(PHOTOS[0]), str(too_large)])
    _until(page, "document.getElementById('region-photo').naturalWidth > 0")
    _drag(page, page.locator("#region-photo"), (0.2, 0.2), (0.6, 0.5))
    region = page.locator("#region").input_value()
    assert region
    page.get_by_role("button", name="Verify the photos").click()
    sync_api.expect(page.get_by_role("alert")).to_contain_text("too-large.jpg", timeout=60_000)
    assert page.get_by_role("alert").inner_text().count("\n") == 0
    assert "choose the photos again" not in page.get_by_role("alert").inner_text()  # they are still chosen
    assert page.get_by_label("Customer").input_value() == "u-44"
    assert page.get_by_label("Order", exact=True).input_value() == "SO-44"
    assert page.get_by_label("Wanted outcome").input_value() == "replacement"
    assert page.get_by_label("Delivered").input_value() == "2026-11-14T15:00"
    assert page.locator("#region").input_value() == region
    assert page.evaluate("Array.from(document.getElementById('photos').files, f => f.name)") == [
        PHOTOS[0].name, "too-large.jpg"
    ]
    assert page.get_by_role("button", name="Verify the photos").is_enabled()
    # The photo that fits, sent again from the same page: the claim has what was typed before.
    page.locator("#photos").set_input_files(str(PHOTOS[0]))
    page.get_by_role("button", name="Verify the photos").click()
    page.wait_for_url(re.compile(r".*/claims/c-[0-9a-f]+$"), timeout=120_000)
    assert "SO-44" in page.locator("dl.facts").inner_text()
    assert page.refused == []  # type: ignore[attr-defined]


@pytest.mark.parametrize("served", [{"EVIDENCE_CHECK_MAX_FILE_BYTES": "200000"}], indirect=True)
@pytest.mark.parametrize("scripting", [False], ids=["no-scripts"], indirect=True)
def test_without_javascript_a_refused_photo_gives_the_form_back_filled_and_asks_for_the_photos(
    page: Any, served: tuple[Server, str], tmp_path: Path
) -> None:
    """The browser shows the server's form: every field the agent filled in is filled in again by
    the server (the photos come last in the form, so every field was read before the refused one)."""
    server, key = served
    _sign_in(page, server, key)
    page.goto(server.url + "/new-claim")
    too_large = tmp_path / "too-large.jpg"
    too_large.write_bytes(os.urandom(300_000))
    page.get_by_label("Customer").fill("u-45")
    page.get_by_label("Order", exact=True).fill("SO-45")
    page.get_by_label("SKU").fill("ALPRO-BLUE")
    page.locator("#reason").select_option("wrong_item")
    page.get_by_label("Wanted outcome").select_option("replacement")
    page.get_by_label("Delivered").fill("2026-11-14T15:00")
    page.get_by_label("X,Y,W,H").fill("10,20,30,40")
    page.locator("#photos").set_input_files([str(PHOTOS[0]), str(too_large)])
    zone = page.locator("#tz").input_value()
    page.get_by_role("button", name="Verify the photos").click()
    alert = page.get_by_role("alert")
    sync_api.expect(alert).to_contain_text("too-large.jpg", timeout=60_000)
    assert alert.inner_text().count("\n") == 0
    assert "per file — choose the photos again (without JavaScript" in alert.inner_text()
    # Nothing can be dragged without the script: the help says to type the box, no button clears it.
    assert page.locator("#region-help").inner_text().startswith("Optional: the box around the problem, in pixels")
    assert not page.locator("#region-clear").is_visible()
    assert page.get_by_label("Customer").input_value() == "u-45"
    assert page.get_by_label("Order", exact=True).input_value() == "SO-45"
    assert page.get_by_label("SKU").input_value() == "ALPRO-BLUE"
    assert page.locator("#reason").input_value() == "wrong_item"
    assert page.get_by_label("Wanted outcome").input_value() == "replacement"
    assert page.get_by_label("Delivered").input_value() == "2026-11-14T15:00"
    assert page.get_by_label("X,Y,W,H").input_value() == "10,20,30,40"
    assert page.locator("#tz").input_value() == zone
    # Sent again with the photo that fits: the claim has what was typed before.
    page.locator("#photos").set_input_files(str(PHOTOS[0]))
    page.get_by_role("button", name="Verify the photos").click()
    page.wait_for_url(re.compile(r".*/claims/c-[0-9a-f]+$"), timeout=120_000)
    assert "SO-45" in page.locator("dl.facts").inner_text()


def test_signed_out_while_filling_the_form_nothing_is_lost_and_it_is_sent_after_signing_in(
    page: Any, served: tuple[Server, str]
) -> None:
    server, key = served
    _sign_in(page, server, key)
    page.goto(server.url + "/new-claim")
    page.get_by_label("Customer").fill("u-45")
    page.get_by_label("Order", exact=True).fill("SO-45")
    page.locator("#photos").set_input_files(str(PHOTOS[0]))
    page.context.clear_cookies(name="ec_session")  # the session ended (or its key was revoked)
    page.get_by_role("button", name="Verify the photos").click()
    sync_api.expect(page.get_by_role("alert")).to_contain_text("You are signed out", timeout=60_000)
    assert page.url == server.url + "/new-claim"
    assert page.get_by_label("Customer").input_value() == "u-45"
    assert page.evaluate("document.getElementById('photos').files.length") == 1
    # Signed in again in another tab, the same form is sent with the new session's token.
    with page.context.expect_page() as opened:
        page.get_by_role("link", name="Sign in in a new tab").click()
    other = opened.value
    other.get_by_label("API key").fill(key)
    other.get_by_role("button", name="Sign in").click()
    other.wait_for_url(server.url + "/new-claim")
    page.bring_to_front()
    page.get_by_role("button", name="Verify the photos").click()
    page.wait_for_url(re.compile(r".*/claims/c-[0-9a-f]+$"), timeout=120_000)
    assert "SO-45" in page.locator("dl.facts").inner_text()


def test_a_form_whose_token_an_earlier_sign_in_made_is_kept_and_sent_again(
    page: Any, served: tuple[Server, str]
) -> None:
    """Signed out and in again in another tab: the page's token is the old session's."""
    server, key = served
    _sign_in(page, server, key)
    page.goto(server.url + "/new-claim")
    page.get_by_label("Order", exact=True).fill("SO-46")
    page.locator("#photos").set_input_files(str(PHOTOS[0]))
    other = page.context.new_page()
    other.goto(server.url + "/")
    other.get_by_role("button", name="Sign out").click()
    other.wait_for_url(server.url + "/signin")
    _sign_in(other, server, key)
    page.bring_to_front()
    page.get_by_role("button", name="Verify the photos").click()
    sync_api.expect(page.get_by_role("alert")).to_contain_text("The form was not sent", timeout=60_000)
    assert page.get_by_label("Order", exact=True).input_value() == "SO-46"
    page.get_by_role("button", name="Verify the photos").click()
    page.wait_for_url(re.compile(r".*/claims/c-[0-9a-f]+$"), timeout=120_000)
    assert "SO-46" in page.locator("dl.facts").inner_text()


def test_a_connection_that_fails_leaves_the_form_ready_to_send_again(page: Any, served: tuple[Server, str]) -> None:
    """No answer, when sending the form and when fetching a fresh token for it: the same line, the
    button usable again, nothing lost."""
    server, key = served
    _sign_in(page, server, key)
    page.goto(server.url + "/new-claim")
    page.get_by_label("Order", exact=True).fill("SO-47")
    page.locator("#photos").set_input_files(str(PHOTOS[0]))
    cut: list[str] = []  # the methods of /new-claim whose connection is cut

    def cut_off(route: Any) -> None:
        if route.request.method in cut:
            route.abort()
        else:
            route.fallback()

    page.route("**/new-claim", cut_off)
    failed = "The connection failed before the server answered; send the form again."
    button = page.get_by_role("button", name="Verify the photos")
    status = page.locator("#progress-text")
    for method in ("POST", "GET"):
        cut[:] = [method]
        button.click()
        sync_api.expect(status).to_have_text(failed, timeout=60_000)
        assert button.is_enabled() and not page.locator("#progress").is_visible()
        assert page.get_by_label("Order", exact=True).input_value() == "SO-47"
        if method == "POST":  # signed in again elsewhere: the next send fetches a fresh token first
            other = page.context.new_page()
            other.goto(server.url + "/")
            other.get_by_role("button", name="Sign out").click()
            other.wait_for_url(server.url + "/signin")
            _sign_in(other, server, key)
            page.bring_to_front()
            cut[:] = []
            button.click()
            sync_api.expect(page.get_by_role("alert")).to_contain_text("The form was not sent", timeout=60_000)
    cut[:] = []
    button.click()
    page.wait_for_url(re.compile(r".*/claims/c-[0-9a-f]+$"), timeout=120_000)
    assert "SO-47" in page.locator("dl.facts").inner_text()


def test_the_region_box_is_shown_for_a_first_photo_the_browser_shows_and_hidden_for_one_it_cannot(
    page: Any, served: tuple[Server, str]
) -> None:
    """A first photo named .jpg that is no image: the browser fails to load it, and the box to drag
    a region on goes away (nothing to draw on) with any region drawn before."""
    server, key = served
    _sign_in(page, server, key)
    page.goto(server.url + "/new-claim")
    stage = page.locator("#region-stage")
    assert "drag a box around the problem" in page.locator("#region-help").inner_text()
    assert page.get_by_role("button", name="Clear the box").is_visible()
    page.locator("#photos").set_input_files(str(PHOTOS[0]))
    _until(page, "document.getElementById('region-photo').naturalWidth > 0")
    assert stage.is_visible()
    _drag(page, page.locator("#region-photo"), (0.2, 0.2), (0.6, 0.5))
    assert page.locator("#region").input_value()
    page.locator("#photos").set_input_files(str(ROOT / "fixtures" / "images" / "not_an_image.jpg"))
    _until(page, "document.getElementById('region-stage').hidden")
    assert not stage.is_visible() and page.locator("#region").input_value() == ""


@pytest.mark.parametrize("viewport", [{"width": 400, "height": 860}], ids=["phone"], indirect=True)
def test_on_a_phone_every_page_is_the_screens_width(page: Any, served: tuple[Server, str], tmp_path: Path) -> None:
    """The queue's table was 771 px wide on a 400 px phone (and 3 px too wide on a tablet), the form's
    photos box 448, a catalog image's card 432: the whole page scrolled sideways, the header with it."""
    server, key = served
    store = Store(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    seed(store, "acme", "c-2026-11-30-000123", "reject", now_utc(), customer_id="customer-000042", sku="BAG-001")
    store.close()
    _sign_in(page, server, key)
    _fits(page)
    page.goto(server.url + "/catalog")
    page.get_by_label("SKU", exact=True).fill("BAG-001")
    page.get_by_label("Pictures of the product").set_input_files(str(_product_picture(tmp_path)))
    page.get_by_role("button", name="Add images").click()
    page.wait_for_url(re.compile(r".*/catalog/BAG-001\?"))
    _fits(page)
    # A zone's fields keep room enough to read on a phone.
    assert page.get_by_label("Zone (new)").bounding_box()["width"] >= 120
    for path in ("/catalog", "/new-claim", "/claims/c-2026-11-30-000123"):
        page.goto(server.url + path)
        _fits(page)


# The lines each header's first words and each claim id take (a text's line boxes, told by their tops).
LINES = """Array.from(document.querySelectorAll(SELECTOR), element => {
  const range = document.createRange();
  range.selectNodeContents(element.firstChild);
  return [element.firstChild.textContent.trim(), new Set(Array.from(range.getClientRects(), box => Math.round(box.top))).size];
})"""


@pytest.mark.parametrize("viewport", [{"width": 400, "height": 860}], ids=["phone"], indirect=True)
def test_on_a_phone_the_queues_headers_and_claim_ids_are_not_broken_between_characters(
    page: Any, served: tuple[Server, str], tmp_path: Path
) -> None:
    """In Chinese at 400 px "照片" and "申请" broke between their two characters, and the id "c-1" after its hyphen."""
    server, key = served
    store = Store(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    seed(store, "acme", "c-1", "accept", now_utc(), customer_id="customer-000042", sku="BAG-001")
    store.close()
    _sign_in(page, server, key)
    page.get_by_role("link", name="中文").click()
    page.wait_for_url(server.url + "/")
    headers = page.evaluate(LINES.replace("SELECTOR", "'table.queue thead th'"))
    ids = page.evaluate(LINES.replace("SELECTOR", "'table.queue tbody td:nth-child(2) > a'"))
    assert [name for name, _lines in headers][:4] == ["结论", "申请", "主要理由", "照片"]
    assert [lines for _name, lines in headers + ids] == [1] * (len(headers) + len(ids)), headers + ids
    _fits(page)


def test_on_a_phone_the_timeline_is_the_list_with_its_gaps_and_on_a_laptop_the_drawing_too(
    page: Any, served: tuple[Server, str], tmp_path: Path
) -> None:
    """At 400 px the drawing's labels were about 5 px high: there it is not drawn, and the list under
    it, in the page's own type, says each moment and its gap from the one before."""
    server, key = served
    store = Store(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    moments = {"ordered_at": "2026-11-10T02:00:00+00:00", "delivered_at": "2026-11-14T07:00:00+00:00"}
    seed(store, "acme", "c-1", "accept", datetime(2026, 11, 16, 2, tzinfo=UTC), timeline=moments)
    store.close()
    _sign_in(page, server, key)
    page.get_by_role("link", name="中文").click()
    page.goto(server.url + "/claims/c-1")
    listed = page.locator("dl.timeline > div")
    assert listed.all_inner_texts() == ["下单\n2026-11-10 10:00", "签收\n2026-11-14 15:00 · 4 天后"]
    smallest = "Math.min(...Array.from(document.querySelectorAll('dl.timeline dt, dl.timeline dd'), e => parseFloat(getComputedStyle(e).fontSize)))"
    page.set_viewport_size({"width": 400, "height": 860})
    assert not page.locator("svg.timeline").is_visible()
    assert page.evaluate(smallest) >= 14
    _fits(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    assert page.locator("svg.timeline").is_visible()
    sync_api.expect(page.locator("svg.timeline")).to_contain_text("4 天")


def test_a_table_box_is_a_keyboard_stop_only_where_it_scrolls_and_no_page_asks_for_a_missing_file(
    page: Any, served: tuple[Server, str], tmp_path: Path
) -> None:
    """The queue's and catalog's boxes were a keyboard stop at every width, leading nowhere where the
    table fits; and every first page's request for /favicon.ico was a 404."""
    server, key = served
    store = Store(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    seed(store, "acme", "c-2026-11-30-000123", "reject", now_utc(), customer_id="customer-000042", sku="BAG-001")
    store.close()
    missing: list[str] = []
    page.on("response", lambda response: missing.append(response.url) if response.status >= 400 else None)
    _sign_in(page, server, key)
    page.goto(server.url + "/catalog")
    page.get_by_label("SKU", exact=True).fill("BAG-001")
    page.get_by_label("Pictures of the product").set_input_files(str(_product_picture(tmp_path)))
    page.get_by_role("button", name="Add images").click()
    page.wait_for_url(re.compile(r".*/catalog/BAG-001\?"))
    stops = "Array.from(document.querySelectorAll('.table-scroll'), box => box.getAttribute('tabindex'))"
    for path in ("/", "/catalog"):
        page.goto(server.url + path)
        assert page.evaluate(stops) == [None], path  # the table fits on a laptop
    page.set_viewport_size({"width": 400, "height": 860})
    page.goto(server.url + "/")
    assert page.evaluate(stops) == ["0"]  # the queue's table scrolls in its box on a phone
    page.set_viewport_size({"width": 1280, "height": 900})  # turned, or the window widened
    _until(page, "!document.querySelector('.table-scroll').hasAttribute('tabindex')")
    icon = httpx.get(server.url + "/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/svg+xml"
    assert missing == []


def test_a_form_kept_across_a_sign_in_as_another_merchant_is_not_sent_as_theirs(
    page: Any, served: tuple[Server, str], tmp_path: Path
) -> None:
    """Signed out mid-form, then signed in again in another tab with another merchant's key: the
    form filled in for acme must not become globex's claim."""
    server, key = served
    store = Store(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    _key_id, other_key = create_key(store, "globex", now_utc())
    store.close()
    _sign_in(page, server, key)
    page.goto(server.url + "/new-claim")
    page.get_by_label("Order", exact=True).fill("SO-47")
    page.locator("#photos").set_input_files(str(PHOTOS[0]))
    page.context.clear_cookies(name="ec_session")
    page.get_by_role("button", name="Verify the photos").click()
    sync_api.expect(page.get_by_role("alert")).to_contain_text("You are signed out", timeout=60_000)
    other = page.context.new_page()
    _sign_in(other, server, other_key)
    page.bring_to_front()
    page.get_by_role("button", name="Verify the photos").click()
    sync_api.expect(page.get_by_role("alert")).to_contain_text("signed in for merchant globex", timeout=60_000)
    assert page.url == server.url + "/new-claim" and page.get_by_label("Order", exact=True).input_value() == "SO-47"
    other.goto(server.url + "/")
    assert other.locator("table.queue").count() == 0  # globex has no claim


@pytest.mark.parametrize("served", [{"EVIDENCE_CHECK_MAX_FILE_BYTES": "200000"}], indirect=True)
def test_a_photo_refused_under_another_merchants_session_does_not_hand_the_form_their_token(
    page: Any, served: tuple[Server, str], tmp_path: Path
) -> None:
    """A photo too large is refused before the token is checked, with the form of whoever is signed
    in: its token, taken into this page, sent acme's claim next time as globex's."""
    server, key = served
    store = Store(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    _key_id, other_key = create_key(store, "globex", now_utc())
    store.close()
    _sign_in(page, server, key)
    page.goto(server.url + "/new-claim")
    page.get_by_label("Order", exact=True).fill("SO-48")
    too_large = tmp_path / "too-large.jpg"
    too_large.write_bytes(os.urandom(300_000))
    page.locator("#photos").set_input_files([str(PHOTOS[0]), str(too_large)])
    other = page.context.new_page()
    other.goto(server.url + "/")
    other.get_by_role("button", name="Sign out").click()
    other.wait_for_url(server.url + "/signin")
    _sign_in(other, server, other_key)
    page.bring_to_front()
    page.get_by_role("button", name="Verify the photos").click()
    sync_api.expect(page.get_by_role("alert")).to_be_visible(timeout=60_000)
    # (without the mend: the photo's problem alone, and the next send recorded globex's claim)
    assert "signed in for merchant globex" in page.get_by_role("alert").inner_text()
    page.locator("#photos").set_input_files(str(PHOTOS[0]))
    page.get_by_role("button", name="Verify the photos").click()
    _until(page, "!document.getElementById('submit').disabled || location.pathname !== '/new-claim'", 120)
    other.goto(server.url + "/")
    assert other.locator("table.queue").count() == 0  # globex has no claim
    assert page.url == server.url + "/new-claim" and page.get_by_label("Order", exact=True).input_value() == "SO-48"
    sync_api.expect(page.get_by_role("alert")).to_contain_text("signed in for merchant globex")


def test_a_heic_photo_is_previewed_on_the_form_and_the_report(page: Any, served: tuple[Server, str]) -> None:
    """Chromium shows no HEIC: the form's preview and the report's photo are the server's JPEGs,
    and a box dragged on the preview is given in the photo's own pixels."""
    server, key = served
    _sign_in(page, server, key)
    page.goto(server.url + "/new-claim")
    page.get_by_label("Claim id (optional)").fill("c-heic")
    page.locator("#photos").set_input_files(str(HEIC))
    photo = page.locator("#region-photo")
    photo.wait_for(state="visible", timeout=60_000)
    _until(page, "document.getElementById('region-photo').naturalWidth > 0")
    full_width = int(page.evaluate("document.getElementById('region-photo').dataset.width"))
    assert full_width >= page.evaluate("document.getElementById('region-photo').naturalWidth") > 0
    _drag(page, photo, (0.5, 0.5), (0.75, 0.75))
    x, _y, w, _h = (int(v) for v in page.locator("#region").input_value().split(","))
    assert abs(x - full_width * 0.5) <= full_width * 0.02 and abs(w - full_width * 0.25) <= full_width * 0.03
    page.get_by_role("button", name="Verify the photos").click()
    page.wait_for_url(re.compile(r".*/claims/c-heic$"), timeout=120_000)
    shown = page.locator("article.card svg.photo image")
    assert (shown.get_attribute("href") or "").startswith("data:image/jpeg;base64,")
    sync_api.expect(page.locator("article.card rect.region.given")).to_be_visible()
    assert page.refused == []  # type: ignore[attr-defined]


def test_a_product_name_pasted_longer_than_its_column_is_refused_whole_not_cut(
    page: Any, served: tuple[Server, str], tmp_path: Path
) -> None:
    """A title pasted from a shop's page: the field's maxlength cut it silently to 255 (an emoji counted
    twice, so 200 of them became 127) and the cut name was stored. Now the server refuses it whole
    and gives the form back holding it."""
    server, key = served
    _sign_in(page, server, key)
    page.goto(server.url + "/catalog")
    title = "旅行包 " + "😀" * 200 + " x" * 30  # 264 characters
    page.get_by_label("SKU", exact=True).fill("BAG-8")
    page.get_by_label("Name").focus()
    page.keyboard.insert_text(title)
    page.get_by_label("Pictures of the product").set_input_files(str(_product_picture(tmp_path)))
    page.get_by_role("button", name="Add images").click()
    page.get_by_role("alert").wait_for(timeout=60_000)
    assert "name: at most 255 characters" in page.get_by_role("alert").inner_text()
    assert page.get_by_label("Name").input_value() == title
    page.goto(server.url + "/catalog")
    assert "BAG-8" not in page.content()
    assert page.refused == []  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "viewport", [{"width": 1280, "height": 800}, {"width": 768, "height": 1024}], ids=["laptop", "tablet"], indirect=True
)
def test_zones_are_drawn_on_a_catalog_image_by_dragging_and_naming(
    page: Any, served: tuple[Server, str], tmp_path: Path
) -> None:
    server, key = served
    _sign_in(page, server, key)
    picture = _product_picture(tmp_path)
    page.goto(server.url + "/catalog")
    page.get_by_label("SKU", exact=True).fill("BAG-7")
    page.get_by_label("Pictures of the product").set_input_files(str(picture))
    page.get_by_role("button", name="Add images").click()
    page.wait_for_url(re.compile(r".*/catalog/BAG-7\?added=1&no_outline=bag-front\.jpg$"))
    page.get_by_label("Open this image from your computer (optional)").set_input_files(str(picture))
    _until(page, "document.querySelector('.zone-photo').naturalWidth > 0")
    _drag(page, page.locator("svg.zone-map"), (0.25, 0.25), (0.75, 0.5))
    # The new box's name field has the focus: the agent types its name.
    page.keyboard.type("zipper")
    box = page.locator("input[name=zone_box]").first.input_value()
    zx, zy, zw, zh = (int(v) for v in box.split(","))
    assert abs(zx - 160) <= 13 and abs(zy - 120) <= 10 and abs(zw - 320) <= 20 and abs(zh - 120) <= 15
    _fits(page)
    page.get_by_role("button", name="Save the zones").click()
    page.wait_for_url(re.compile(r".*[?&]saved=bag-front.jpg"))
    assert page.locator("input[name=zone_name]").first.input_value() == "zipper"
    sync_api.expect(page.locator("svg.zone-map rect.zone")).to_have_count(1)
    sync_api.expect(page.locator(".no-outline")).to_have_count(0)  # zones are its outline now
    _shot(page, f"catalog-zones-{page.viewport_size['width']}")
    assert page.refused == []  # type: ignore[attr-defined]


def test_a_claim_whose_address_holds_the_forms_own_opens_after_the_form(page: Any, served: tuple[Server, str]) -> None:
    """The script told the report from the form by "/new-claim" anywhere in the address it landed on."""
    server, key = served
    _sign_in(page, server, key)
    page.goto(server.url + "/new-claim")
    page.get_by_label("Claim id (optional)").fill("new-claim")
    page.locator("#photos").set_input_files(str(ROOT / "fixtures" / "images" / "genuine_after_delivery.jpg"))
    page.get_by_role("button", name="Verify the photos").click()
    page.wait_for_url(server.url + "/claims/new-claim", timeout=120_000)
    assert page.locator("h1").inner_text() == "new-claim"
    assert page.refused == []  # type: ignore[attr-defined]


@pytest.mark.parametrize(("claim_id", "claimed_at"), [("c-retake", None), ("c-typed", "2026-11-12T10:00")])
def test_a_retake_sent_from_another_zone_keeps_the_claims_zone(
    page: Any, served: tuple[Server, str], tmp_path: Path, claim_id: str, claimed_at: str | None
) -> None:
    """A retake is the claim id again with the new photo, its dates left to the claim: they were read
    in the browser's zone (the form's `tz`), so the claim recorded from New York was stored again in
    Shanghai's, its customer's camera times read in the agent's zone. A date typed on the form is the
    agent's, read in the zone the form shows (Shanghai's); the claim stays in New York's."""
    server, key = served
    first = httpx.post(
        server.url + "/v1/verify",
        headers={"Authorization": f"Bearer {key}"},
        data={"claim_id": claim_id, "tz": "America/New_York", "ordered_at": "2026-11-10T09:00"},
        files=[("photos", ("a.jpg", PHOTOS[1].read_bytes(), "image/jpeg"))],
        timeout=120,
    )
    assert first.status_code == 200, first.text
    _sign_in(page, server, key)
    page.goto(server.url + "/new-claim")
    page.get_by_label("Claim id (optional)").fill(claim_id)
    if claimed_at is not None:
        page.locator("#claimed_at").fill(claimed_at)
    page.locator("#photos").set_input_files(str(PHOTOS[0]))
    page.get_by_role("button", name="Verify the photos").click()
    page.wait_for_url(server.url + f"/claims/{claim_id}", timeout=120_000)
    store = Store(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    try:
        kept = sent_fields(store, "acme", claim_id)
    finally:
        store.close()
    assert kept is not None and kept["time_zone"] == "America/New_York"
    assert kept["timeline"]["ordered_at"] == "2026-11-10T09:00:00-05:00"
    if claimed_at is not None:
        assert kept["timeline"]["claimed_at"] == claimed_at + ":00+08:00"
    assert page.refused == []  # type: ignore[attr-defined]


def test_a_decision_made_meanwhile_is_told_as_this_sessions_other_tab_or_another_sessions(
    page: Any, served: tuple[Server, str], tmp_path: Path
) -> None:
    """One agent with the claim in two tabs, another agent signed in with the same key in a browser of
    their own: the first tab decides; the second tab is told it was this session, the other browser
    that it was the key's other session. The row says who decided; the browsers keep nothing."""
    server, key = served
    store = Store(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    seed(store, "acme", "c-1", "review", now_utc())
    [key_id] = [info.key_id for info in list_keys(store)]
    store.close()
    _sign_in(page, server, key)
    second_tab = page.context.new_page()
    other_browser = page.context.browser.new_context(timezone_id="Asia/Shanghai", locale="en-GB").new_page()
    _sign_in(other_browser, server, key)
    for tab in (page, second_tab, other_browser):
        tab.goto(server.url + "/claims/c-1")
    page.get_by_role("button", name="Fraud", exact=True).click()
    page.wait_for_url(re.compile(r".*/claims/c-1\?saved=fraud"))
    assert f"by key {key_id}" in page.content()

    second_tab.get_by_label("Note").fill("customer sounded honest")
    second_tab.get_by_role("button", name="Genuine", exact=True).click()
    told = second_tab.locator("#decided-meanwhile").inner_text()
    assert told.startswith("Not recorded: you recorded Fraud at") and "in another tab of this session" in told
    assert second_tab.get_by_label("Note").input_value() == "customer sounded honest"

    other_browser.get_by_role("button", name="Genuine", exact=True).click()
    told = other_browser.locator("#decided-meanwhile").inner_text()
    assert told.startswith("Not recorded: Fraud was recorded at") and f"with key {key_id} in another session" in told
    assert page.refused == [], page.refused  # type: ignore[attr-defined]


def test_a_sku_typed_past_the_forms_first_100_is_looked_up_and_the_last_answer_is_shown(
    page: Any, served: tuple[Server, str], tmp_path: Path
) -> None:
    server, key = served
    store = Store(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    _catalog_rows(store, "acme", [f"f-{n:03d}" for n in range(100)] + ["zz/中文-1", "zz/中文-10"])
    store.close()
    _sign_in(page, server, key)
    page.goto(server.url + "/new-claim")
    assert page.locator("#skus option").count() == 100  # the two after are in no list
    field, said = page.get_by_label("SKU", exact=True), page.locator("#sku-found")
    field.fill("zz/中文-1")
    sync_api.expect(said).to_have_text("the zz/中文-1 · Images: 2")
    # Typed on quickly: what the field holds last is the SKU said (an answer coming after a later one:
    # test_a_sku_look_up_answered_after_a_later_one_is_not_shown; one look-up per pause: ..._once_typing_pauses_...).
    for typed in ("zz/中文-10", "zz/中文-1", "zz/中文-10"):
        field.fill(typed)
    sync_api.expect(said).to_have_text("the zz/中文-10 · Images: 2")
    field.fill("zz/中文-2")
    sync_api.expect(said).to_have_text("Not in the catalog: the product cannot be compared with its pictures.")
    # Sent encoded: what follows a '#' or a '?' is part of the SKU typed, not of the address.
    for typed in ("zz/中文-1#x", "zz/中文-1?sku=f-001", "zz%2F中文-1"):
        field.fill("f-001")
        sync_api.expect(said).to_have_text("the f-001 · Images: 2")
        field.fill(typed)
        sync_api.expect(said).to_have_text("Not in the catalog: the product cannot be compared with its pictures.")


def test_a_sku_typed_in_another_case_is_another_sku(page: Any, served: tuple[Server, str], tmp_path: Path) -> None:
    server, key = served
    store = Store(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    _catalog_rows(store, "acme", ["AB-1"])
    store.close()
    _sign_in(page, server, key)
    page.goto(server.url + "/new-claim")
    field, said = page.get_by_label("SKU", exact=True), page.locator("#sku-found")
    field.fill("AB-1")
    sync_api.expect(said).to_have_text("the AB-1 · Images: 2")
    field.fill("ab-1")
    sync_api.expect(said).to_have_text("Not in the catalog: the product cannot be compared with its pictures.")


# Counts the answers the page's script has read, once it has acted on each: what it does with an
# answer's body runs before a task queued after the body is read.
COUNT_READ_ANSWERS = """
window.answersRead = 0;
const fetchOfThePage = window.fetch;
window.fetch = function () {
  return fetchOfThePage.apply(this, arguments).then(function (answer) {
    const read = answer.json.bind(answer);
    answer.json = function () {
      return read().then(function (body) { setTimeout(function () { window.answersRead += 1; }, 0); return body; });
    };
    return answer;
  });
};
"""


def test_a_sku_look_up_answered_after_a_later_one_is_not_shown(page: Any, served: tuple[Server, str], tmp_path: Path) -> None:
    server, key = served
    store = Store(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    _catalog_rows(store, "acme", [f"f-{n:03d}" for n in range(100)] + ["zz-1", "zz-2"])
    store.close()
    held: list[Any] = []

    def hold_the_first(route: Any) -> None:
        if held:
            route.continue_()
        else:
            held.append(route)

    page.route("**/new-claim/sku?*", hold_the_first)
    page.add_init_script(COUNT_READ_ANSWERS)
    _sign_in(page, server, key)
    page.goto(server.url + "/new-claim")
    field, said = page.get_by_label("SKU", exact=True), page.locator("#sku-found")
    field.fill("zz-1")
    deadline = time.monotonic() + 60
    while not held:  # its look-up asked, and held unanswered
        assert time.monotonic() < deadline, "the look-up of zz-1 was never asked"
        page.wait_for_timeout(50)
    field.fill("zz-2")
    sync_api.expect(said).to_have_text("the zz-2 · Images: 2")
    held[0].continue_()
    _until(page, "window.answersRead === 2")
    assert said.inner_text() == "the zz-2 · Images: 2"  # zz-1's answer came last, for what the field no longer holds
    assert page.refused == [], page.refused  # type: ignore[attr-defined]


def test_a_typed_sku_no_address_can_carry_is_said_to_be_unknown(page: Any, served: tuple[Server, str], tmp_path: Path) -> None:
    """A lone surrogate (pasted half of a character) cannot be percent-encoded: no SKU holds one."""
    server, key = served
    store = Store(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    _catalog_rows(store, "acme", [f"f-{n:03d}" for n in range(101)])
    store.close()
    failed: list[str] = []
    page.on("pageerror", lambda error: failed.append(str(error)))
    _sign_in(page, server, key)
    page.goto(server.url + "/new-claim")
    page.evaluate("""() => {
      const field = document.getElementById("sku");
      field.value = "f-\\ud800";
      field.dispatchEvent(new Event("input"));
    }""")
    sync_api.expect(page.locator("#sku-found")).to_have_text("Not in the catalog: the product cannot be compared with its pictures.")
    assert failed == []


def test_a_sku_is_looked_up_once_typing_pauses_not_at_each_key(page: Any, served: tuple[Server, str], tmp_path: Path) -> None:
    server, key = served
    store = Store(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    _catalog_rows(store, "acme", [f"f-{n:03d}" for n in range(100)] + ["zz-123"])
    store.close()
    _sign_in(page, server, key)
    page.clock.install()
    page.goto(server.url + "/new-claim")
    page.clock.pause_at(page.evaluate("Date.now()") + 1000)  # the page's timers run only when told
    field, said = page.get_by_label("SKU", exact=True), page.locator("#sku-found")
    field.press_sequentially("zz-123")
    page.clock.run_for(300)  # the pause after the last key
    sync_api.expect(said).to_have_text("the zz-123 · Images: 2")
    asked = [url for url in page.requested if "/new-claim/sku?" in url]  # type: ignore[attr-defined]
    assert asked == [f"{server.url}/new-claim/sku?sku=zz-123"]


@pytest.mark.parametrize("viewport", [{"width": 400, "height": 860}], ids=["phone"], indirect=True)
def test_an_agent_takes_back_a_region_typing_none_before_choosing_the_photo(
    page: Any, served: tuple[Server, str], tmp_path: Path
) -> None:
    """The region's field sits above the photos: an agent taking back a box types `none` there, then
    chooses the photo again. Choosing it cleared the field (a box is pixels of the photo it was drawn on),
    so the form went without `none` and the photo kept the box the agent withdrew. The field is not a
    number's either: a phone's number pad has no letters to type `none` with."""
    server, key = served
    first = httpx.post(
        server.url + "/v1/verify",
        headers={"Authorization": f"Bearer {key}"},
        data={"claim_id": "c-taken", "region": "10,10,50,40"},
        files=[("photos", ("a.jpg", PHOTOS[0].read_bytes(), "image/jpeg"))],
        timeout=120,
    )
    assert first.status_code == 200, first.text
    _sign_in(page, server, key)
    page.goto(server.url + "/new-claim")
    assert page.locator("#region").get_attribute("inputmode") in (None, "text")
    page.get_by_label("Claim id (optional)").fill("c-taken")
    page.locator("#region").fill("none")
    page.locator("#photos").set_input_files(str(PHOTOS[0]))
    _until(page, "document.getElementById('region-photo').naturalWidth > 0")
    assert page.locator("#region").input_value() == "none"
    page.get_by_role("button", name="Verify the photos").click()
    page.wait_for_url(server.url + "/claims/c-taken", timeout=120_000)
    store = Store(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    try:
        kept = sent_fields(store, "acme", "c-taken")
    finally:
        store.close()
    assert kept is not None and kept["photo_regions"] == {}
    # A box drawn before a photo is chosen is still cleared by choosing another: it is pixels of no photo.
    page.goto(server.url + "/new-claim")
    page.locator("#region").fill("10,10,50,40")
    page.locator("#photos").set_input_files(str(PHOTOS[1]))
    _until(page, "document.getElementById('region-photo').naturalWidth > 0")
    assert page.locator("#region").input_value() == ""
    assert page.refused == []  # type: ignore[attr-defined]
