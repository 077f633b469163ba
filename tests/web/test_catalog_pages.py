"""The catalog's pages: SKUs linked to their page, a new product with images, more images, zones
drawn on one image (the plain form PUT /v1/catalog/{sku}/zones takes) without touching the others'."""

from __future__ import annotations

import base64
import html
import io
import json
import re
from datetime import UTC, datetime

import pytest
from PIL import Image

from evidence_check.errors import ID_RULE
from evidence_check.store.catalog_store import set_zones
from tests.api.conftest import Api, bearer, jpeg
from tests.conftest import corpus
from tests.web.conftest import csrf_of, sign_in


def _add(api: Api, token: str, sku: str, *names: str, **fields: str):  # type: ignore[no-untyped-def]
    """Each file name its own picture."""
    files = [("images", (name, jpeg(sum(map(ord, name)), (640, 480)), "image/jpeg")) for name in names]
    return api.client.post(
        "/catalog/images", files=files, data={"csrf": token, "sku": sku, **fields}, follow_redirects=False
    )


def test_a_product_is_added_with_images_and_shown_with_them(api: Api) -> None:
    token = csrf_of(api.client.get("/catalog").text)
    added = _add(api, token, "BAG-9", "front.jpg", "back.jpg", name="Travel bag", category="bags")
    # Random blocks edge to edge have no plain background: both are named as having no outline.
    assert added.status_code == 303
    assert added.headers["location"] == "/catalog/BAG-9?added=2&no_outline=front.jpg&no_outline=back.jpg"
    listed = api.client.get("/catalog").text
    assert '<a href="/catalog/BAG-9">BAG-9</a>' in listed and "Travel bag" in listed
    page = api.client.get("/catalog/BAG-9?added=2").text
    assert "Images added: 2" in page and "front.jpg" in page and "back.jpg" in page and "640 × 480" in page
    # each image is drawn from the small copy the store kept, to draw zones on
    drawn = re.findall(r'<image class="zone-thumbnail" href="data:image/jpeg;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(drawn) == 2
    # so the page does not send the agent to open the file first, as it did when no picture was kept
    assert "not its pixels" not in page and "Drag a box on the image" in page
    with Image.open(io.BytesIO(base64.b64decode(drawn[0]))) as thumbnail:
        assert max(thumbnail.size) <= 256 and thumbnail.size[0] > thumbnail.size[1]  # 640x480, made small
    sku = api.client.get("/v1/catalog/BAG-9").json()
    assert (sku["name"], sku["images"]) == ("Travel bag", 2)
    more = _add(api, token, "BAG-9", "side.jpg")
    assert more.status_code == 303
    sku = api.client.get("/v1/catalog/BAG-9").json()
    assert (sku["name"], sku["images"]) == ("Travel bag", 3)  # more images keep the product's name


def test_a_wrong_sku_or_unreadable_images_store_nothing_and_say_why(api: Api) -> None:
    token = csrf_of(api.client.get("/catalog").text)
    bad_sku = _add(api, token, "BAG 9", "front.jpg")
    assert bad_sku.status_code == 422 and "sku:" in bad_sku.text
    unreadable = api.client.post(
        "/catalog/images",
        files=[("images", ("x.jpg", b"not a picture", "image/jpeg"))],
        data={"csrf": token, "sku": "BAG-1"},
    )
    assert unreadable.status_code == 422 and "no image could be read (x.jpg" in unreadable.text
    assert api.client.get("/v1/catalog").json()["items"] == []
    assert _add(api, "", "BAG-1", "a.jpg").status_code == 403


def test_zones_drawn_on_one_image_leave_the_others_zones_alone(api: Api) -> None:
    token = csrf_of(api.client.get("/catalog").text)
    _add(api, token, "BAG-9", "front.jpg", "back.jpg")
    api.client.put("/v1/catalog/BAG-9/zones", json={"back.jpg": {"seam": [5, 5, 50, 50]}})
    plain = {"zipper": [120, 40, 200, 60], "strap": [0, 0, 80, 400]}
    saved = api.client.post(
        "/catalog/BAG-9/zones",
        data={"csrf": token, "image": "front.jpg", "zones": json.dumps(plain)},
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    images = {i["filename"]: i["zones"] for i in api.client.get("/v1/catalog/BAG-9").json()["image_list"]}
    assert images == {"front.jpg": plain, "back.jpg": {"seam": [5, 5, 50, 50]}}
    page = api.client.get("/catalog/BAG-9").text
    assert re.search(r'<rect class="zone" x="120" y="40" width="200" height="60"', page)
    assert 'name="zone_name" value="zipper"' in page
    # Without the page's script the rows are sent; an empty row is no zone.
    rows = api.client.post(
        "/catalog/BAG-9/zones",
        data={"csrf": token, "image": "front.jpg", "zone_name": ["lid", ""], "zone_box": ["1,2,30,40", ""]},
        follow_redirects=False,
    )
    assert rows.status_code == 303
    images = {i["filename"]: i["zones"] for i in api.client.get("/v1/catalog/BAG-9").json()["image_list"]}
    assert images["front.jpg"] == {"lid": [1, 2, 30, 40]} and images["back.jpg"] == {"seam": [5, 5, 50, 50]}


def test_zones_with_causes_are_shown_and_kept_whole_when_saved_from_the_page(api: Api) -> None:
    token = csrf_of(api.client.get("/catalog").text)
    _add(api, token, "BAG-7", "front.jpg")
    rich = {
        "strap": {"polygon": [[10, 10], [90, 10], [60, 200]], "cause": "wear", "note": "check the buckle", "label_zh": "肩带"},
        "zipper": {"box": [120, 40, 200, 60], "cause": "manufacturing"},
        "lid": [1, 2, 30, 40],
    }
    assert api.client.put("/v1/catalog/BAG-7/zones", json={"front.jpg": rich}).status_code == 200
    page = api.client.get("/catalog/BAG-7").text
    assert re.search(r'<rect class="zone" x="10" y="10" width="80" height="190"', page)  # the polygon's box
    causes = re.findall(r'<option value="(\w+)" selected>', page)
    assert causes == ["wear", "manufacturing", "unknown", "unknown"]  # three zones and the empty row
    names = re.findall(r'name="zone_name" value="([^"]*)"', page)
    boxes = re.findall(r'name="zone_box" value="([^"]*)"', page)
    extras = [html.unescape(e) for e in re.findall(r'name="zone_extra" value="([^"]*)"', page)]
    # Saved as the page sends it without its script: nothing changed but the lid's cause.
    saved = api.client.post(
        "/catalog/BAG-7/zones",
        data={"csrf": token, "image": "front.jpg", "zone_name": names, "zone_box": boxes,
              "zone_cause": ["wear", "manufacturing", "shipping", "unknown"], "zone_extra": extras},
        follow_redirects=False,
    )  # fmt: skip
    assert saved.status_code == 303, saved.text
    (stored,) = (i["zones"] for i in api.client.get("/v1/catalog/BAG-7").json()["image_list"])
    assert stored == {**rich, "lid": {"box": [1, 2, 30, 40], "cause": "shipping"}}
    # A polygon's box moved on the page becomes that box; its note and label stay.
    boxes[0] = "5,5,50,50"
    api.client.post(
        "/catalog/BAG-7/zones",
        data={"csrf": token, "image": "front.jpg", "zone_name": names, "zone_box": boxes,
              "zone_cause": ["wear", "unknown", "unknown", "unknown"], "zone_extra": extras},
    )  # fmt: skip
    (stored,) = (i["zones"] for i in api.client.get("/v1/catalog/BAG-7").json()["image_list"])
    assert stored["strap"] == {"box": [5, 5, 50, 50], "cause": "wear", "note": "check the buckle", "label_zh": "肩带"}
    assert stored["zipper"] == [120, 40, 200, 60] and stored["lid"] == [1, 2, 30, 40]


@pytest.mark.parametrize(
    "extra", ["[" * 100_000 + "]" * 100_000, '{"note": 1' + "0" * 5000 + "}", '{"note": "a", "note": "b"}', "[1]"]
)
def test_a_rows_kept_part_that_is_no_json_object_keeps_nothing(api: Api, extra: str) -> None:
    # `zone_extra` is the page's hidden field: sent nested past Python's recursion limit it was a 500.
    token = csrf_of(api.client.get("/catalog").text)
    _add(api, token, "BAG-7", "front.jpg")
    saved = api.client.post(
        "/catalog/BAG-7/zones",
        data={"csrf": token, "image": "front.jpg", "zone_name": "lid", "zone_box": "1,2,30,40", "zone_extra": extra},
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    (stored,) = (i["zones"] for i in api.client.get("/v1/catalog/BAG-7").json()["image_list"])
    assert stored == {"lid": [1, 2, 30, 40]}


def test_the_consoles_own_problems_are_said_in_chinese_on_chinese_pages(api: Api) -> None:
    token = csrf_of(api.client.get("/catalog").text)
    _add(api, token, "BAG-9", "front.jpg")
    api.client.get("/lang", params={"to": "zh", "next": "/"})
    said = {
        "sku：'BAG 9' 必须" + ID_RULE[1]: _add(api, token, "BAG 9", "front.jpg"),
        "请选择一张或多张商品图片": api.client.post(
            "/catalog/images", files=[("notes", ("a.txt", b"x", "text/plain"))], data={"csrf": token, "sku": "BAG-9"}
        ),
        "没有一张图片能读取（x.jpg：不是可读取格式的图片": api.client.post(
            "/catalog/images", files=[("images", ("x.jpg", b"no", "image/jpeg"))], data={"csrf": token, "sku": "BAG-9"}
        ),
        "'other.jpg' 不是 BAG-9 的图片": api.client.post(
            "/catalog/BAG-9/zones", data={"csrf": token, "image": "other.jpg", "zones": "{}"}
        ),
        "'yesterday'：不是日期": api.client.get("/", params={"since": "yesterday"}),
        "区域 'lid' 完全在 front.jpg（640x480 像素）之外": api.client.post(
            "/catalog/BAG-9/zones", data={"csrf": token, "image": "front.jpg", "zone_name": "lid", "zone_box": "5000,0,9,9"}
        ),
    }
    for words, answer in said.items():
        problem = re.search(r'<p class="problem" role="alert"[^>]*>(.*?)</p>', answer.text, re.S)
        assert problem is not None and words in html.unescape(problem.group(1)), (words, answer.text[-600:])
        assert not re.search(r"must be|choose one|could be read|not one of|not a date|outside|not an image", problem.group(1))


def test_a_link_cannot_put_words_of_its_own_in_the_skus_notices(api: Api) -> None:
    token = csrf_of(api.client.get("/catalog").text)
    _add(api, token, "BAG-9", "front.jpg")
    spoof = "your session expired, call +1-555-0100 with your API key"
    page = api.client.get("/catalog/BAG-9", params={"added": spoof, "saved": spoof}).text
    assert "555" not in page and 'class="notice"' not in page
    said = api.client.get("/catalog/BAG-9", params={"added": "2", "saved": "front.jpg"}).text
    assert "Images added: 2" in said and "Zones saved on: front.jpg" in said


def test_no_chinese_word_ends_in_a_colon_that_its_page_writes_again() -> None:
    """The pages write ': ' after a label ('已保存区域: front.jpg'); a word ending in '：' read '：:'."""
    from api.web.words import WORDS

    assert [key for key, word in WORDS["zh"].items() if word.endswith(("：", ":"))] == []
    assert [key for key, word in WORDS["en"].items() if word.endswith(":")] == []


def test_bad_zones_are_one_line_and_change_nothing(api: Api) -> None:
    token = csrf_of(api.client.get("/catalog").text)
    _add(api, token, "BAG-9", "front.jpg")
    for data, words in (
        ({"zones": '{"zipper": [1, 2]}'}, "must be [x, y, w, h]"),
        ({"zones": "{not json"}, "not JSON"),
        ({"zone_name": "", "zone_box": "1,2,3,4"}, "has no name"),
        ({"zone_name": "lid", "zone_box": "one,two"}, "must be X,Y,W,H"),
        ({"image": "other.jpg", "zones": "{}"}, "is not one of the images of BAG-9"),
        ({"zone_name": "lid", "zone_box": "5000,0,10,10"}, "lies wholly outside front.jpg"),
        # one name twice: the second replaced the first, unsaid
        ({"zone_name": ["lid", "lid"], "zone_box": ["1,2,3,4", "5,6,7,8"]}, "zones: the name &#39;lid&#39; is given twice; which value is meant is not known"),
        ({"zones": '{"lid": [1, 2, 3, 4], "lid": [5, 6, 7, 8]}'}, "zones: the name &#39;lid&#39; is given twice; which value is meant is not known"),
        ({"zones": "[" * 3000 + "]" * 3000}, "not JSON"),  # nested past Python's limit: was a 500
    ):
        answer = api.client.post("/catalog/BAG-9/zones", data={"csrf": token, "image": "front.jpg", **data})
        assert answer.status_code == 422 and words in answer.text, (data, answer.text[:300])
    assert api.client.get("/v1/catalog/BAG-9").json()["zones"] == 0


def test_a_bad_zone_row_is_told_in_the_pages_language(api: Api) -> None:
    token = csrf_of(api.client.get("/catalog").text)
    _add(api, token, "BAG-9", "front.jpg")
    for data, words in (
        ({"zone_name": "", "zone_box": "1,2,3,4"}, "的区域没有名称"),  # were English on a Chinese page
        ({"zone_name": "lid", "zone_box": "one,two"}, "必须是 X,Y,W,H"),
        ({"zones": '{"zipper": [1, 2]}'}, "必须是以像素为单位的 [x, y, w, h]"),
    ):
        answer = api.client.post(
            "/catalog/BAG-9/zones",
            data={"csrf": token, "image": "front.jpg", **data},
            headers={"Accept-Language": "zh"},
        )
        assert answer.status_code == 422 and words in answer.text, (data, answer.text[:300])


def test_a_zone_stored_off_another_image_does_not_stop_saving_this_ones(api: Api) -> None:
    """Zones stored before they were bounded are kept as stored: only the zones being saved are
    judged, or a merchant could not draw on front.jpg for a zone lying off back.jpg."""
    token = csrf_of(api.client.get("/catalog").text)
    _add(api, token, "BAG-9", "front.jpg", "back.jpg")
    off = {"seam": [5000, 5000, 10, 10]}  # back.jpg is 640x480
    assert set_zones(api.store, "default", "BAG-9", {"back.jpg": off}, datetime.now(UTC))  # bypassing the check
    saved = api.client.post(
        "/catalog/BAG-9/zones",
        data={"csrf": token, "image": "front.jpg", "zones": '{"lid": [1, 2, 30, 40]}'},
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text[:300]
    images = {i["filename"]: i["zones"] for i in api.client.get("/v1/catalog/BAG-9").json()["image_list"]}
    assert images == {"front.jpg": {"lid": [1, 2, 30, 40]}, "back.jpg": off}
    # what is being saved is still judged
    outside = api.client.post(
        "/catalog/BAG-9/zones", data={"csrf": token, "image": "front.jpg", "zone_name": "lid", "zone_box": "0,480,5,5"}
    )
    assert outside.status_code == 422 and "lies wholly outside front.jpg" in outside.text
    # PUT replaces every image's zones: what it sends is judged, back.jpg's not sent keeps none
    put = api.client.put("/v1/catalog/BAG-9/zones", json={"front.jpg": {"cap": [0, 0, 5, 5]}})
    assert put.status_code == 200, put.text
    zoned = {i["filename"]: i["zones"] for i in put.json()["image_list"]}
    assert zoned == {"front.jpg": {"cap": [0, 0, 5, 5]}, "back.jpg": {}}
    set_zones(api.store, "default", "BAG-9", {"back.jpg": off}, datetime.now(UTC))
    sent_back = api.client.put("/v1/catalog/BAG-9/zones", json={"back.jpg": off})
    assert sent_back.status_code == 422 and "lies wholly outside back.jpg" in sent_back.json()["detail"]


def test_a_form_given_back_with_its_problem_switches_language_to_a_page_not_to_the_forms_address(api: Api) -> None:
    """A page answering a POST is at the form's address (/catalog/images, .../zones, /new-claim):
    the language switch must lead to the page again, not to a SKU named 'images'."""
    token = csrf_of(api.client.get("/catalog").text)
    _add(api, token, "BAG-9", "front.jpg")
    given_back = {
        "/catalog": _add(api, token, "BAG 9", "front.jpg"),
        "/catalog/BAG-9": api.client.post("/catalog/BAG-9/zones", data={"csrf": token, "image": "x.jpg", "zones": "{}"}),
        "/new-claim": api.client.post(
            "/new-claim", files=[("photos", ("x.jpg", b"not a picture", "image/jpeg"))], data={"csrf": token}
        ),
    }
    for page, answer in given_back.items():
        assert answer.status_code == 422, (page, answer.text[:300])
        switch = re.search(r'<a class="lang" href="([^"]+)"', answer.text)
        assert switch is not None
        switched = api.client.get(html.unescape(switch.group(1)), follow_redirects=False)
        assert switched.status_code == 303 and switched.headers["location"] == page, page
        assert api.client.get(page).status_code == 200, page


def test_another_tenants_catalog_is_not_found(keyed: tuple[Api, dict[str, str]]) -> None:
    api, keys = keyed
    added = api.client.post(
        "/v1/catalog/BAG-1/images",
        files=[("images", ("a.jpg", jpeg(3, (640, 480)), "image/jpeg"))],
        headers=bearer(keys["acme"]),
    )
    assert added.status_code == 201
    sign_in(api, keys["globex"])
    token = csrf_of(api.client.get("/catalog").text)
    assert "BAG-1" not in api.client.get("/catalog").text
    missing = api.client.get("/catalog/BAG-1")
    assert missing.status_code == 404
    # said of a product, with the way back to the catalog, not as a missing claim
    assert "No such product in this merchant&#39;s catalog." in missing.text and "claim" not in missing.text.split('<main id="main">')[1].lower()
    assert '<a href="/catalog">Back to the catalog</a>' in missing.text
    zones = api.client.post("/catalog/BAG-1/zones", data={"csrf": token, "image": "a.jpg", "zones": "{}"})
    assert zones.status_code == 404


def test_an_image_without_a_product_outline_gets_a_line_on_its_card_until_zones_are_drawn(api: Api) -> None:
    grocery = corpus("product-matching") / "grocery" / "Alpro-Fresh-Soy-Milk"
    files = [
        ("images", ("shop.jpg", (grocery / "Alpro-Fresh-Soy-Milk_Iconic.jpg").read_bytes(), "image/jpeg")),
        ("images", ("fridge.jpg", (grocery / "Alpro-Fresh-Soy-Milk_001.jpg").read_bytes(), "image/jpeg")),
    ]
    token = csrf_of(api.client.get("/catalog").text)
    added = api.client.post("/catalog/images", files=files, data={"csrf": token, "sku": "MILK-1"}, follow_redirects=False)
    assert added.status_code == 303 and added.headers["location"] == "/catalog/MILK-1?added=2&no_outline=fridge.jpg"
    page = api.client.get(added.headers["location"]).text
    cards = {name: card for card in page.split("<article")[1:] for name in ("shop.jpg", "fridge.jpg") if f">{name} <" in card}
    assert "No plain background" in cards["fridge.jpg"] and "draw zones on this one" in cards["fridge.jpg"]
    assert "No plain background" not in cards["shop.jpg"]
    api.client.get("/lang", params={"to": "zh", "next": "/"})
    assert "没有纯色背景" in api.client.get(added.headers["location"]).text
    api.client.put("/v1/catalog/MILK-1/zones", json={"fridge.jpg": {"carton": [100, 100, 200, 400]}})
    assert "没有纯色背景" not in api.client.get(added.headers["location"]).text


def test_a_sku_is_deleted_from_its_page_once_confirmed_and_its_images_can_be_added_again(api: Api) -> None:
    """A hand-held photo added by mistake: the console could add images, never take them away."""
    token = csrf_of(api.client.get("/catalog").text)
    assert _add(api, token, "BAG-9", "front.jpg", "fridge.jpg").status_code == 303
    page = api.client.get("/catalog/BAG-9").text
    assert 'action="/catalog/BAG-9/delete"' in page and "Yes, delete BAG-9 and its 2 image(s)" in page
    # one form, in the page's body: the browser's tab showed it as text inside <title>
    assert re.search(r"<title>([^<]*)</title>", page) and page.count('id="delete-confirm"') == 1
    unconfirmed = api.client.post("/catalog/BAG-9/delete", data={"csrf": token})
    assert unconfirmed.status_code == 422 and "Nothing was deleted: tick the box" in unconfirmed.text
    assert api.client.get("/v1/catalog/BAG-9").status_code == 200
    stale = api.client.post("/catalog/BAG-9/delete", data={"csrf": "old", "confirm": "yes"})
    assert stale.status_code == 403 and api.client.get("/v1/catalog/BAG-9").status_code == 200
    deleted = api.client.post("/catalog/BAG-9/delete", data={"csrf": token, "confirm": "yes"}, follow_redirects=False)
    assert deleted.status_code == 303 and deleted.headers["location"].startswith("/catalog?deleted=BAG-9&")
    assert api.client.get("/v1/catalog/BAG-9").status_code == 404
    listed = api.client.get(deleted.headers["location"]).text
    assert "SKU deleted: BAG-9" in listed and 'href="/catalog/BAG-9"' not in listed
    assert api.client.post("/catalog/BAG-9/delete", data={"csrf": token, "confirm": "yes"}).status_code == 404
    # Added again, the right image alone; a link cannot say a SKU the catalog has was deleted.
    assert _add(api, token, "BAG-9", "front.jpg").status_code == 303
    assert "SKU deleted" not in api.client.get(deleted.headers["location"]).text
    api.client.get("/lang", params={"to": "zh", "next": "/"})
    assert "确认删除 BAG-9 及其 1 张图片" in api.client.get("/catalog/BAG-9").text


def test_a_link_cannot_make_the_catalog_page_announce_a_deletion(api: Api) -> None:
    """A SKU may be any words: the notice said whatever a link put in `deleted`, a SKU never had."""
    for said in ("Your-key-was-revoked:call-+1-555-0100", "您的密钥已泄露:请致电+86-400-000-0000"):
        for query in ({"deleted": said}, {"deleted": said, "mark": "0" * 32}):
            page = api.client.get("/catalog", params=query)
            assert page.status_code == 200 and said not in page.text and "SKU deleted" not in page.text


def test_another_tenants_sku_cannot_be_deleted(keyed: tuple[Api, dict[str, str]]) -> None:
    api, keys = keyed
    api.client.post(
        "/v1/catalog/BAG-1/images",
        files=[("images", ("a.jpg", jpeg(3, (640, 480)), "image/jpeg"))],
        headers=bearer(keys["acme"]),
    )
    sign_in(api, keys["globex"])
    token = csrf_of(api.client.get("/catalog").text)
    assert api.client.post("/catalog/BAG-1/delete", data={"csrf": token, "confirm": "yes"}).status_code == 404
    assert api.client.get("/v1/catalog/BAG-1", headers=bearer(keys["acme"])).status_code == 200
