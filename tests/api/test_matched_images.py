"""The picture a photo was matched with is shown beside it — the catalog image for relevance, the
stock photo for reuse — from the small thumbnail stored when it was added, and served as an image
resource to its tenant only. A catalog stored before thumbnails shows none until added or imported again."""

from __future__ import annotations

import io
import re
from pathlib import Path

from PIL import Image
from sqlalchemy import text
from typer.testing import CliRunner

from evidence_check.cli import app
from tests.api.conftest import Api, bearer, jpeg, photos
from tests.conftest import FIXTURES

CAMERA = (FIXTURES / "genuine_after_delivery.jpg").read_bytes()

FIGURE = re.compile(r'<figure><img src="data:image/jpeg;base64,[^"]+" alt="([^"]+)"><figcaption>([^<]+)</figcaption>')
CONSOLE_FIGURE = re.compile(r'<figure class="earlier"><img class="photo" src="data:image/jpeg;base64,[^"]+" alt="([^"]+)">')


def _crop(data: bytes) -> bytes:
    """The same product photographed a little closer: not the catalog file, so the look must match it."""
    image = Image.open(io.BytesIO(data))
    out = io.BytesIO()
    image.crop((50, 40, image.width - 60, image.height - 30)).save(out, "JPEG", quality=85)
    return out.getvalue()


def _catalog(api: Api, headers: dict[str, str] | None = None) -> dict[str, object]:
    files = [("images", ("a.jpg", CAMERA, "image/jpeg"))]
    answer = api.client.post("/v1/catalog/CAM-1/images", files=files, headers=headers or {})
    assert answer.status_code == 201, answer.text
    body: dict[str, object] = answer.json()
    return body


def _claim(api: Api, claim_id: str, data: bytes, headers: dict[str, str] | None = None) -> dict[str, object]:
    answer = api.verify(photos(("photo.jpg", data)), {"claim_id": claim_id, "sku": "CAM-1"}, headers=headers or {})
    assert answer.status_code == 200, answer.text
    body: dict[str, object] = answer.json()
    return body


def test_the_catalog_image_relevance_matched_is_shown_beside_the_photo(api: Api) -> None:
    _catalog(api)
    body = _claim(api, "c-cat", _crop(CAMERA))
    relevance = body["images"][0]["checks"]["relevance"]  # type: ignore[index]
    assert relevance["code"] == "relevance.match"
    html = api.client.get("/v1/claims/c-cat", params={"format": "html"}).text
    assert ("CAM-1", "Compared with the ordered product: CAM-1") in FIGURE.findall(html)
    page = api.client.get("/claims/c-cat").text
    assert "CAM-1" in CONSOLE_FIGURE.findall(page)
    served = api.client.get(f"/v1/images/{relevance['details']['ordered']['catalog_image']}/thumbnail")
    assert served.status_code == 200 and Image.open(io.BytesIO(served.content)).format == "JPEG"


def test_a_photo_of_something_else_is_shown_beside_the_ordered_skus_image(api: Api) -> None:
    """What the photo was compared with, so the agent sees the difference; no other SKU's image
    is shown when the photo looks like none of them."""
    _catalog(api)
    body = _claim(api, "c-other", jpeg(5, (640, 480)))
    relevance = body["images"][0]["checks"]["relevance"]  # type: ignore[index]
    assert relevance["status"] != "pass" and relevance["details"]["ordered"]["inliers"] < 8
    html = api.client.get("/v1/claims/c-other", params={"format": "html"}).text
    assert FIGURE.findall(html) == [("CAM-1", "Compared with the ordered product: CAM-1")]


def test_a_stock_photo_sent_as_evidence_is_shown_beside_it(api: Api) -> None:
    stock = (FIXTURES / "no_exif.jpg").read_bytes()
    added = api.client.post("/v1/stock", files=[("images", ("bag-on-white.jpg", stock, "image/jpeg"))])
    assert added.status_code == 201, added.text
    body = _claim(api, "c-stock", stock)
    assert body["images"][0]["checks"]["reuse"]["code"] == "reuse.stock_photo"  # type: ignore[index]
    html = api.client.get("/v1/claims/c-stock", params={"format": "html"}).text
    assert ("bag-on-white.jpg", "Used before: bag-on-white.jpg") in FIGURE.findall(html)


def test_pictures_are_served_to_their_tenant_only(keyed: tuple[Api, dict[str, str]]) -> None:
    api, keys = keyed
    acme, globex = bearer(keys["acme"]), bearer(keys["globex"])
    _catalog(api, acme)
    body = _claim(api, "c-t", _crop(CAMERA), acme)
    photo_id = body["images"][0]["image_id"]  # type: ignore[index]
    catalog_id = body["images"][0]["checks"]["relevance"]["details"]["ordered"]["catalog_image"]  # type: ignore[index]
    for image_id in (photo_id, catalog_id):
        assert api.client.get(f"/v1/images/{image_id}/thumbnail", headers=acme).status_code == 200
        refused = api.client.get(f"/v1/images/{image_id}/thumbnail", headers=globex)
        assert refused.status_code == 404 and refused.json()["detail"].startswith("no picture")
        assert api.client.get(f"/v1/images/{image_id}/thumbnail").status_code == 401
    assert api.client.get("/v1/images/not-a-sha/thumbnail", headers=acme).status_code == 422


def test_a_catalog_stored_before_thumbnails_shows_none_until_its_images_are_added_again(api: Api) -> None:
    _catalog(api)
    with api.store.engine.begin() as connection:  # as a catalog imported before 0009 is
        connection.execute(text("DELETE FROM thumbnails"))
    _claim(api, "c-old", _crop(CAMERA))
    html = api.client.get("/v1/claims/c-old", params={"format": "html"}).text
    assert [alt for alt, _ in FIGURE.findall(html)] == []
    again = _catalog(api)
    assert (again["added"], api.count("thumbnails")) == (0, 1)
    html = api.client.get("/v1/claims/c-old", params={"format": "html"}).text
    assert ("CAM-1", "Compared with the ordered product: CAM-1") in FIGURE.findall(html)


def test_the_command_lines_html_report_shows_the_catalog_image_too(api: Api, tmp_path: Path) -> None:
    _catalog(api)
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(_crop(CAMERA))
    page = tmp_path / "report.html"
    done = CliRunner().invoke(
        app,
        ["verify", str(photo), "--sku", "CAM-1", "--ordered-at", "2026-11-10", "--format", "html",
         "--out", str(page), "--db", api.store.url],
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    assert ("CAM-1", "Compared with the ordered product: CAM-1") in FIGURE.findall(page.read_text())
