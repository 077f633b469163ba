"""`POST /v1/stock`: pictures added through the API are what later claims are compared with."""

from __future__ import annotations

import io

from PIL import Image, ImageOps

from tests.api.conftest import Api, bearer, photos
from tests.conftest import FIXTURES

STOCK = (FIXTURES / "genuine_after_delivery.jpg").read_bytes()


def mirrored(data: bytes) -> bytes:
    out = io.BytesIO()
    ImageOps.mirror(Image.open(io.BytesIO(data))).save(out, "JPEG", quality=80)
    return out.getvalue()


def stock(api: Api, *files: tuple[str, bytes], headers: dict[str, str] | None = None, kind: str = "stock"):
    parts = [("images", (name, data, "image/jpeg")) for name, data in files]
    return api.client.post(f"/v1/stock?kind={kind}", files=parts, headers=headers or {})


def test_a_stock_photo_sent_as_evidence_is_reuse(api: Api) -> None:
    answer = stock(api, ("bag.jpg", STOCK), ("broken.jpg", b"not an image"))
    assert answer.status_code == 201
    body = answer.json()
    assert (body["added"], body["known"]) == (1, 0)
    assert body["skipped"][0]["filename"] == "broken.jpg" and "not an image" in body["skipped"][0]["error"]
    report = api.verify(photos(("claim.jpg", mirrored(STOCK)))).json()
    reuse = report["images"][0]["checks"]["reuse"]
    assert reuse["status"] == "fail" and reuse["code"] == "reuse.stock_photo"


def test_adding_the_same_picture_again_is_known_not_added(api: Api) -> None:
    stock(api, ("bag.jpg", STOCK))
    assert stock(api, ("bag.jpg", STOCK)).json() == {"added": 0, "known": 1, "skipped": [], "known_as_other_kind": []}


def test_an_unrelated_photo_is_not_reuse_of_stock(api: Api) -> None:
    stock(api, ("bag.jpg", STOCK))
    other = (FIXTURES / "exif_before_order.jpg").read_bytes()
    assert api.verify(photos(("claim.jpg", other))).json()["images"][0]["checks"]["reuse"]["status"] == "pass"


def test_nothing_readable_is_422_and_no_images_part_is_422(api: Api) -> None:
    assert stock(api, ("a.jpg", b"junk")).status_code == 422
    answer = api.client.post("/v1/stock", files=[("photos", ("a.jpg", STOCK, "image/jpeg"))])
    assert answer.status_code == 422 and "images" in answer.json()["detail"]


def test_stock_of_one_tenant_is_never_matched_in_another(keyed: tuple[Api, dict[str, str]]) -> None:
    api, keys = keyed
    assert stock(api, ("bag.jpg", STOCK), headers=bearer(keys["acme"])).status_code == 201
    report = api.verify(photos(("claim.jpg", mirrored(STOCK))), headers=bearer(keys["globex"])).json()
    assert report["images"][0]["checks"]["reuse"]["status"] == "pass"
    assert stock(api, ("bag.jpg", STOCK)).status_code == 401
