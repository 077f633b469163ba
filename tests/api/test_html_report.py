"""The API's HTML report carries thumbnails of the claim's photos, re-encoded: no metadata travels."""

from __future__ import annotations

import base64
import io
import re

from PIL import Image

from tests.api.conftest import Api, jpeg, photos
from tests.conftest import FIXTURES


def _thumbnails(html: str) -> list[Image.Image]:
    found = re.findall(r"data:image/jpeg;base64,([A-Za-z0-9+/=]+)", html)
    return [Image.open(io.BytesIO(base64.b64decode(data))) for data in found]


def test_the_html_report_shows_the_photos_without_their_metadata(api: Api) -> None:
    camera = (FIXTURES / "genuine_after_delivery.jpg").read_bytes()
    assert Image.open(io.BytesIO(camera)).getexif()  # the original carries EXIF
    sent = api.verify(photos(("camera.jpg", camera), ("plain.jpg", jpeg(1))), {"claim_id": "c-html"}, params={"format": "html"})
    assert sent.status_code == 200 and sent.headers["content-type"].startswith("text/html")
    for html in (sent.text, api.client.get("/v1/claims/c-html", params={"format": "html"}).text):
        pictures = _thumbnails(html)
        assert len(pictures) == 2
        assert all(max(p.size) <= 512 and not p.getexif() for p in pictures)


def test_a_photo_whose_file_is_gone_is_shown_without_a_picture(api: Api) -> None:
    from typer.testing import CliRunner

    from evidence_check.cli import app

    assert api.verify(photos(("a.jpg", jpeg(2))), {"claim_id": "c-gone"}).status_code == 200
    CliRunner().invoke(app, ["reuse", "forget-features", "--older-than", "0", "--db", api.store.url])
    html = api.client.get("/v1/claims/c-gone", params={"format": "html"})
    assert html.status_code == 200 and "a.jpg" in html.text and _thumbnails(html.text) == []


def test_a_reused_photo_is_shown_beside_the_earlier_claims_photo(api: Api) -> None:
    """Another customer sends the photo of claim c-first: the report shows that earlier photo beside it."""
    photo = jpeg(11, (640, 480))
    assert api.verify(photos(("mine.jpg", photo)), {"claim_id": "c-first", "customer_id": "u-1"}).status_code == 200
    again = api.verify(photos(("theirs.jpg", photo)), {"claim_id": "c-second", "customer_id": "u-2"}).json()
    reuse = again["images"][0]["checks"]["reuse"]
    assert reuse["code"] == "reuse.other_customer"
    assert reuse["details"]["matches"][0]["image_id"] == again["images"][0]["image_id"]
    html = api.client.get("/v1/claims/c-second", params={"format": "html"}).text
    figures = re.findall(r'<figure><img src="data:image/jpeg;base64,[^"]+" alt="([^"]+)"', html)
    assert figures == ["c-first"]
    alone = api.client.get("/v1/claims/c-first", params={"format": "html"}).text
    assert "<figure>" not in alone  # nothing earlier to show


def test_the_console_card_shows_the_earlier_claims_photo(api: Api) -> None:
    photo = jpeg(12, (640, 480))
    api.verify(photos(("mine.jpg", photo)), {"claim_id": "c-one", "customer_id": "u-1"})
    api.verify(photos(("theirs.jpg", photo)), {"claim_id": "c-two", "customer_id": "u-2"})
    page = api.client.get("/claims/c-two").text
    assert re.search(r'<figure class="earlier"><img class="photo" src="data:image/jpeg;base64,[^"]+" alt="c-one">', page)
    assert 'href="/claims/c-one"' in page


def test_the_html_report_is_kept_by_no_cache_and_may_run_nothing(api: Api) -> None:
    # The console's printable page had these headers; the API's same page had none.
    sent = api.verify(photos(("a.jpg", jpeg(1))), {"claim_id": "c-h"}, params={"format": "html"})
    for page in (sent, api.client.get("/v1/claims/c-h", params={"format": "html"})):
        assert page.headers["cache-control"] == "no-store"
        assert page.headers["content-security-policy"].startswith("default-src 'none';")
        assert (page.headers["x-frame-options"], page.headers["x-content-type-options"]) == ("DENY", "nosniff")
