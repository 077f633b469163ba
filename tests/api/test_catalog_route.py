"""`POST /v1/catalog/{sku}/images`: catalog images through the API drive relevance and reuse."""

from __future__ import annotations

import pytest

from api.deps import TRIAL_TENANT
from evidence_check.store.catalog_store import load_tenant
from tests.api.conftest import Api, bearer, photos
from tests.conftest import corpus


def catalog(api: Api, sku: str, *files: tuple[str, bytes], headers=None, **fields: str):
    parts = [("images", (name, data, "image/png")) for name, data in files]
    return api.client.post(f"/v1/catalog/{sku}/images", files=parts, data=fields, headers=headers or {})


@pytest.fixture
def box() -> tuple[bytes, bytes]:
    folder = corpus("product-matching") / "opencv-box"
    return (folder / "box.png").read_bytes(), (folder / "box_in_scene.png").read_bytes()


def test_a_photo_of_the_catalog_product_in_a_scene_is_relevant(api: Api, box) -> None:
    shop, scene = box
    added = catalog(api, "BOX-1", ("box.png", shop), ("junk.png", b"junk"), name="Cookie box")
    assert added.status_code == 201
    assert added.json()["added"] == 1 and added.json()["skipped"][0]["filename"] == "junk.png"
    report = api.verify(photos(("scene.png", scene)), {"sku": "BOX-1"}).json()
    assert report["images"][0]["checks"]["relevance"]["status"] == "pass"


def test_the_shops_own_catalog_image_sent_back_is_a_listing_photo(api: Api, box) -> None:
    shop, _ = box
    catalog(api, "BOX-1", ("box.png", shop))
    reuse = api.verify(photos(("claim.png", shop)), {"sku": "BOX-1"}).json()["images"][0]["checks"]["reuse"]
    assert reuse["status"] == "fail" and reuse["code"] == "reuse.listing_photo"


@pytest.mark.parametrize(
    ("sku", "fields", "files", "words"),
    [
        ("BOX-1", {}, [], "images"),
        ("BOX-1", {"zones": "{not json"}, [("a.png", b"x")], "zones"),
        ("BOX-1", {"zones": '{"lid": [1, 2]}'}, [("a.png", b"x")], "zones"),
        ("BOX-1", {"zones": '{"b.png": {"lid": [1, 2, 3, 4]}}'}, [("a.png", b"x")], "not one of the images"),
        ("BOX-1", {}, [("a.png", b"not an image")], "no image could be read"),
        ("BOX-1", {"brand": "x" * 129}, [("a.png", b"x")], "brand: at most 128 characters"),
        ("BOX-1", {"family": "a\tb"}, [("a.png", b"x")], "family: control characters"),
        # Misspelt, it would be dropped without a word and the SKU stored without its zones.
        ("BOX-1", {"zone": '{"lid": [1, 2, 3, 4]}'}, [("a.png", b"x")], "zone: not a field of this request"),
    ],
)
def test_bad_catalog_requests_are_422_with_one_line(api: Api, sku, fields, files, words) -> None:
    answer = (
        catalog(api, sku, *files, **fields)
        if files
        else api.client.post(f"/v1/catalog/{sku}/images", data=fields, files=[("other", ("a", b"x"))])
    )
    assert answer.status_code == 422 and words in answer.json()["detail"]


def test_one_tenants_catalog_is_not_anothers(keyed, box) -> None:
    api, keys = keyed
    shop, scene = box
    assert catalog(api, "BOX-1", ("box.png", shop), headers=bearer(keys["acme"])).status_code == 201
    other = api.verify(photos(("scene.png", scene)), {"sku": "BOX-1"}, headers=bearer(keys["globex"])).json()
    relevance = other["images"][0]["checks"]["relevance"]
    assert relevance["status"] == "unknown"
    assert other["images"][0]["checks"]["reuse"]["status"] == "pass"


def test_zones_sent_for_the_second_image_are_stored_on_it(api: Api, box) -> None:
    shop, scene = box
    zones = '{"side.png": {"lid": [0, 0, 200, 60]}}'
    added = catalog(api, "BOX-1", ("front.png", scene), ("side.png", shop), zones=zones)
    assert added.status_code == 201 and added.json()["added"] == 2
    (sku,) = load_tenant(api.store, TRIAL_TENANT).skus
    assert [image.zones for image in sku.images] == [None, {"lid": [0, 0, 200, 60]}]


def test_a_stray_part_is_refused_and_nothing_stored(api: Api, box) -> None:
    shop, _ = box
    parts = [("images", ("box.png", shop, "image/png")), ("image", ("lid.png", shop, "image/png"))]
    answer = api.client.post("/v1/catalog/BOX-1/images", files=parts)
    assert answer.status_code == 422 and answer.json()["detail"] == "files must be sent in the 'images' field, not image"
    assert api.client.get("/v1/catalog/BOX-1").status_code == 404



def test_an_image_without_a_product_outline_is_stored_and_named_in_the_language_asked(api: Api) -> None:
    grocery = corpus("product-matching") / "grocery" / "Alpro-Fresh-Soy-Milk"
    shelf = (grocery / "Alpro-Fresh-Soy-Milk_001.jpg").read_bytes()
    web_shop = (grocery / "Alpro-Fresh-Soy-Milk_Iconic.jpg").read_bytes()
    added = catalog(api, "MILK-1", ("shop.jpg", web_shop), ("fridge.jpg", shelf), headers={"Accept-Language": "zh"})
    assert added.status_code == 201 and added.json()["added"] == 2
    [warned] = added.json()["no_outline"]
    assert warned["filename"] == "fridge.jpg" and warned["outline_share"] >= 0.75
    assert warned["warning"].startswith("fridge.jpg：没有纯色背景") and "画出区域" in warned["warning"]
    zoned = catalog(api, "MILK-2", ("fridge.jpg", shelf), zones='{"carton": [100, 100, 200, 400]}')
    assert zoned.status_code == 201 and zoned.json()["no_outline"] == []


def test_an_unreadable_catalog_image_is_said_in_the_language_asked(api: Api) -> None:
    zh = {"Accept-Language": "zh"}
    shop = (corpus("product-matching") / "opencv-box" / "box.png").read_bytes()
    added = catalog(api, "BOX-1", ("box.png", shop), ("junk.png", b"junk"), headers=zh)
    assert added.json()["skipped"] == [
        {"filename": "junk.png", "error": "不是可读取格式的图片（JPEG、PNG、WebP、HEIC、AVIF、TIFF、GIF）"}
    ]
    refused = catalog(api, "BOX-2", ("empty.png", b""), headers=zh)
    assert refused.status_code == 422 and refused.json()["detail"] == "没有一张图片能够读取（empty.png：文件是空的）"
    english = catalog(api, "BOX-2", ("empty.png", b""))
    assert english.json()["detail"] == "no image could be read (empty.png: the file is empty)"
