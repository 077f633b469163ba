"""The HTML report: one self-contained page with thumbnails, a timeline and no GPS unless allowed."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from PIL import Image

from evidence_check.engine import Upload
from evidence_check.intake import build_claim
from evidence_check.render.html import render_html, thumbnail_uri
from evidence_check.render.text import render_text
from evidence_check.service import verify_claim
from evidence_check.settings import Settings
from tests.conftest import FIXTURES

NOW = datetime(2026, 11, 16, 4, 0, tzinfo=UTC)


def outcome(*names: str, region: str | None = None):  # type: ignore[no-untyped-def]
    claim = build_claim(
        now=NOW,
        time_zone="Asia/Shanghai",
        ordered_at="2026-11-10T10:00",
        shipped_at="2026-11-12T09:00",
        delivered_at="2026-11-14T15:00",
        claimed_at="2026-11-16T12:00",
        claim_id="c-html",
        region=region,
    )
    uploads = [Upload(name, (FIXTURES / name).read_bytes()) for name in names]
    return verify_claim(claim, uploads, settings=Settings(), store=None, now=NOW, record=False)


def test_when_rendered_then_the_page_embeds_everything_it_shows() -> None:
    result = outcome("genuine_after_delivery.jpg", "exif_before_order.jpg", region="100,80,200,150")
    thumbnails = {p.image_id: thumbnail_uri(p.working) for p in result.photos}
    page = render_html(result.body, "en", thumbnails)
    assert page.count('src="data:image/jpeg;base64,') == 2
    assert not re.search(r'(src|href)="(https?:)?//', page)  # nothing fetched from elsewhere
    assert "<svg" in page and ">ordered<" in page and ">delivered<" in page and ">captured<" in page
    assert 'class="overlay"' in page  # the marked region drawn over the photo
    assert "Recommend REJECT" in page


def test_when_gps_is_not_allowed_then_no_coordinates_reach_the_page() -> None:
    result = outcome("genuine_after_delivery.jpg")
    body = dict(result.body)
    body["images"] = [
        image
        | {
            "checks": image["checks"]
            | {
                "timestamp": image["checks"]["timestamp"]
                | {
                    "details": {
                        **image["checks"]["timestamp"]["details"],
                        "gps": {"latitude": 31.2304, "longitude": 121.4737},
                    }
                }
            }
        }
        for image in body["images"]
    ]
    hidden = render_html(body, "en", show_gps=False)
    shown = render_html(body, "en", show_gps=True)
    assert "31.2304" not in hidden and "121.4737" not in hidden
    assert "31.2304" in shown


def test_when_rendered_in_chinese_then_the_page_is_labelled_chinese() -> None:
    page = render_html(outcome("no_exif.jpg").body, "zh")
    assert 'lang="zh-Hans"' in page and "看时间戳" in page and "人工审核" in page


def test_thumbnails_are_small_jpeg_data_uris() -> None:
    uri = thumbnail_uri(Image.new("RGB", (4000, 3000), "white"))
    assert uri.startswith("data:image/jpeg;base64,") and len(uri) < 60_000


def test_when_colour_is_asked_then_the_verdict_is_painted() -> None:
    body = outcome("exif_before_order.jpg").body
    assert "\x1b[31m" in render_text(body, "en", colour=True)
    assert "\x1b[" not in render_text(body, "en", colour=False)


def test_when_a_check_names_its_matched_image_then_it_is_shown_beside_the_photo() -> None:
    body = dict(outcome("genuine_after_delivery.jpg").body)
    match = {"kind": "listing", "sku": "BAG-001", "image_id": "kept", "earlier": True}
    missing = {"kind": "listing", "sku": "GONE", "image_id": "not-kept", "earlier": True}
    image = body["images"][0]
    reuse = image["checks"]["reuse"] | {"status": "fail", "details": {"matches": [match, missing]}}
    body["images"] = [image | {"checks": image["checks"] | {"reuse": reuse}}]
    with Image.open(FIXTURES / "no_exif.jpg") as picture:
        page = render_html(body, "en", evidence={"kept": thumbnail_uri(picture)})
    assert page.count('<figure><img src="data:image/jpeg;base64,') == 1
    assert "Used before: BAG-001" in page and "GONE" not in page.split("<h2>Photos")[1].split("measured")[0]
