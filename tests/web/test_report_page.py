"""The report page's pictures and facts: the order and wanted outcome, the region drawn on the photo,
the timeline in the agent's zone and language, the error-level view on request (the tenant's own
photos only), and previews of photos a browser cannot show (HEIC)."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from hashlib import sha256
from pathlib import Path
from zoneinfo import ZoneInfo

from PIL import Image

from api.web import words as w
from evidence_check.explain.messages import ACTIONS, ACTIONS_ZH
from evidence_check.models import Claim, Timeline
from tests.api.conftest import CLAIM, Api, bearer, jpeg, photos
from tests.web.conftest import csrf_of, sign_in

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "images"
HEIC = FIXTURES / "genuine_after_delivery.heic"


def _form(api: Api, claim_id: str, files: list, **fields: str) -> None:
    token = csrf_of(api.client.get("/new-claim").text)
    answer = api.client.post(
        "/new-claim", files=files, data={**CLAIM, "csrf": token, "claim_id": claim_id, **fields}, follow_redirects=False
    )
    assert answer.status_code == 303, answer.text


def test_the_facts_of_the_claim_are_on_the_form_the_report_and_the_queue(api: Api) -> None:
    form = api.client.get("/new-claim").text
    assert re.search(r'<label for="order_id">Order</label>', form) and '<option value="replacement"' in form
    _form(api, "c-facts", photos(("a.jpg", jpeg(1))), order_id="SO-77", wanted="replacement", customer_id="u-1")
    page = api.client.get("/claims/c-facts").text
    assert re.search(r"<dt>Order</dt><dd>SO-77</dd>", page) and "<dd>Replacement</dd>" in page
    queue = api.client.get("/", params={"q": "so-77"}).text
    assert "c-facts" in queue and "Order SO-77" in queue and "Replacement" in queue
    assert "c-facts" not in api.client.get("/", params={"q": "so-78"}).text
    api.client.get("/lang", params={"to": "zh", "next": "/"})
    assert "<dd>换货</dd>" in api.client.get("/claims/c-facts").text
    bad = api.client.post(
        "/new-claim",
        files=photos(("a.jpg", jpeg(2))),
        data={"csrf": csrf_of(form), "order_id": "SO 1", "customer_id": "u-2"},
    )
    assert bad.status_code == 422 and "order_id" in bad.text and 'value="SO 1"' in bad.text


def test_the_marked_region_is_drawn_on_the_photo_in_its_own_pixels(api: Api) -> None:
    _form(api, "c-region", photos(("a.jpg", jpeg(3, (640, 480)))), region="100,50,200,120")
    page = api.client.get("/claims/c-region").text
    assert 'viewBox="0 0 640 480"' in page
    assert re.search(r'<rect class="region given" x="100" y="50" width="200" height="120"', page)
    _form(api, "c-plain", photos(("b.jpg", jpeg(4, (640, 480)))))
    assert 'class="region given"' not in api.client.get("/claims/c-plain").text


def test_the_timeline_is_drawn_in_the_agents_zone_with_gaps_in_its_language(api: Api) -> None:
    _form(api, "c-time", photos(("a.jpg", jpeg(5))))  # ordered 2026-11-10 10:00 in Shanghai
    api.client.cookies.set("ec_tz", "Europe%2FLondon")
    london = api.client.get("/claims/c-time").text
    svg = london.split('<svg class="timeline"', 1)[1].split("</svg>", 1)[0]
    assert "2026-11-10 02:00" in svg and "Ordered" in svg and "4 days" in svg  # ordered → delivered
    api.client.cookies.set("ec_tz", "Asia%2FShanghai")
    api.client.get("/lang", params={"to": "zh", "next": "/"})
    shanghai = api.client.get("/claims/c-time").text.split('<svg class="timeline"', 1)[1]
    assert "2026-11-10 10:00" in shanghai and "4 天" in shanghai and "下单" in shanghai


def _taken(seed: int, when: str, offset: str) -> bytes:
    """A photo whose EXIF says when (and in which offset) the camera took it."""
    image = Image.open(io.BytesIO(jpeg(seed)))
    exif = Image.Exif()
    exif[0x8769] = {0x9003: when, 0x9011: offset}  # DateTimeOriginal, OffsetTimeOriginal
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, exif=exif)
    return out.getvalue()


def _timeline(page: str) -> str:
    return page.split('<svg class="timeline"', 1)[1].split("</svg>", 1)[0]


def test_the_console_the_printable_page_and_the_sentence_give_a_gap_the_same_days(api: Api) -> None:
    # Taken 20 days and 14 hours before the order (2026-11-10 10:00 in Shanghai): rounded it is 21.
    _form(api, "c-gap", photos(("old.jpg", _taken(7, "2026:10:20 20:00:00", "+08:00"))))
    for lang, days, sentence in (("en", "20 days", "20 days before the order"), ("zh", "20 天", "早 20 天")):
        api.client.get("/lang", params={"to": lang, "next": "/"})
        console = api.client.get("/claims/c-gap").text
        printable = api.client.get("/claims/c-gap/print").text
        assert days in _timeline(console) and days in _timeline(printable), lang
        assert sentence in console and sentence in printable, lang
        for page in (console, printable):
            assert not re.search(r"\b21(?: days| d| 天|天)", page), lang


def test_the_printable_page_from_the_console_is_in_the_agents_zone_and_the_apis_in_the_claims(api: Api) -> None:
    _form(api, "c-zoned", photos(("a.jpg", jpeg(8))))  # ordered 2026-11-10 10:00 in Shanghai
    api.client.cookies.set("ec_tz", "Europe%2FLondon")
    printed = _timeline(api.client.get("/claims/c-zoned/print").text)
    assert "2026-11-10 02:00" in printed and "Europe/London UTC+00:00" in printed
    api_page = _timeline(api.client.get("/v1/claims/c-zoned", params={"format": "html"}).text)
    assert "2026-11-10 10:00" in api_page and "UTC+08:00" in api_page and "London" not in api_page


def test_the_printable_pages_generated_line_is_in_the_zone_of_its_timeline_named(api: Api) -> None:
    """It said UTC under a timeline in the agent's zone."""
    _form(api, "c-made", photos(("a.jpg", jpeg(9))))
    made = datetime.fromisoformat(api.client.get("/v1/claims/c-made").json()["created_at"])
    api.client.cookies.set("ec_tz", "Asia%2FShanghai")
    printed = re.search(r"Generated ([^<]+)</div>", api.client.get("/claims/c-made/print").text)
    shanghai = made.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")
    assert printed is not None and printed.group(1) == f"{shanghai} (Asia/Shanghai)"
    by_api = re.search(r"Generated ([^<]+)</div>", api.client.get("/v1/claims/c-made", params={"format": "html"}).text)
    assert by_api is not None and by_api.group(1) == made.astimezone(UTC).strftime("%Y-%m-%d %H:%M") + " UTC"


def test_the_error_level_view_is_made_on_request_for_the_tenants_own_photo(keyed: tuple[Api, dict[str, str]]) -> None:
    api, keys = keyed
    made = api.client.post(
        "/v1/verify", files=photos(("a.jpg", jpeg(6, (640, 480)))), data={"claim_id": "acme-ela"}, headers=bearer(keys["acme"])
    )
    image_id = made.json()["images"][0]["image_id"]
    sign_in(api, keys["acme"])
    page = api.client.get("/claims/acme-ela").text
    link = f"/claims/acme-ela/photos/{image_id}/ela.png"
    assert f'href="{link}"' in page and f'src="{link}"' not in page  # a link, not drawn until asked
    answer = api.client.get(link)
    assert answer.status_code == 200 and answer.headers["content-type"] == "image/png"
    with Image.open(io.BytesIO(answer.content)) as view:
        assert view.size == (640, 480)
    assert api.client.get(f"/claims/acme-ela/photos/{'0' * 64}/ela.png").status_code == 404
    sign_in(api, keys["globex"])
    assert api.client.get(link).status_code == 404


def test_a_heic_photo_is_previewed_as_jpeg_on_the_form_and_the_report(api: Api) -> None:
    data = HEIC.read_bytes()
    token = csrf_of(api.client.get("/new-claim").text)
    preview = api.client.post(
        "/claims/preview", files=[("photo", ("p.heic", data, "image/heic"))], data={"csrf": token}
    )
    assert preview.status_code == 200 and preview.headers["content-type"] == "image/jpeg"
    with Image.open(io.BytesIO(preview.content)) as shown:
        assert shown.format == "JPEG"
        size = (int(preview.headers["x-photo-width"]), int(preview.headers["x-photo-height"]))
        assert abs(shown.width / shown.height - size[0] / size[1]) < 0.02
    broken = api.client.post(
        "/claims/preview", files=[("photo", ("x.heic", b"not a photo", "image/heic"))], data={"csrf": token}
    )
    assert broken.status_code == 422 and "x.heic" in broken.text and "\n" not in broken.text.strip()
    assert api.client.post("/claims/preview", files=[("photo", ("p.heic", data, "image/heic"))]).status_code == 403
    _form(api, "c-heic", [("photos", ("p.heic", data, "image/heic"))])
    page = api.client.get("/claims/c-heic").text
    assert re.search(r'<image href="data:image/jpeg;base64,', page)
    assert api.count("claims") == 1


def test_every_wanted_outcome_has_its_words_in_both_languages() -> None:
    from api.web.words import WANTED
    from evidence_check.models import WantedOutcome

    for lang in ("en", "zh"):
        assert list(WANTED[lang]) == [outcome.value for outcome in WantedOutcome]


def test_a_next_step_names_the_challenge_button_as_the_page_labels_it() -> None:
    """Read on the report page, 'issue a retake challenge (the … button)' must name the button the
    agent sees there, in either language, wherever the page's layout puts it."""
    for lang, actions in (("en", ACTIONS["console"]), ("zh", {**ACTIONS["console"], **ACTIONS_ZH["console"]})):
        assert f"“{w.WORDS[lang]['challenge']}”" in actions["challenge_action"], lang
        assert "below" not in actions["challenge_action"] and "下方" not in actions["challenge_action"]


def test_the_products_outline_and_zones_are_drawn_on_the_photo_that_aligned(api: Api) -> None:
    from tests.conftest import corpus
    from tests.placed_products import ZONES, placed

    grocery = corpus("product-matching")
    iconic = grocery / "grocery" / "Alpro-Fresh-Soy-Milk" / "Alpro-Fresh-Soy-Milk_Iconic.jpg"
    added = api.client.post(
        "/v1/catalog/ALPRO-SOY/images",
        files=[("images", (iconic.name, iconic.read_bytes(), "image/jpeg"))],
        data={"zones": (ZONES / "Alpro-Fresh-Soy-Milk.json").read_text()},
    )
    assert added.status_code == 201, added.text
    photo, _ = placed(grocery, "ALPRO-SOY")
    buffer = io.BytesIO()
    photo.working.save(buffer, "JPEG", quality=92)
    sent = api.verify(photos(("other.jpg", jpeg(3)), ("carton.jpg", buffer.getvalue())), {"claim_id": "c-zones", "sku": "ALPRO-SOY"})
    assert sent.status_code == 200, sent.text
    page = api.client.get("/claims/c-zones").text
    assert 'src="/claims/c-zones/photos/2/annotated.png"' in page  # the carton aligned with the catalog image
    assert "/claims/c-zones/photos/1/annotated.png" not in page  # the other photo did not
    drawn = api.client.get("/claims/c-zones/photos/2/annotated.png")
    assert drawn.status_code == 200 and drawn.headers["content-type"] == "image/png"
    assert drawn.content == api.client.get("/v1/claims/c-zones/photos/2/annotated.png").content
    assert api.client.get("/claims/c-zones/photos/3/annotated.png").status_code == 404
    assert api.client.get("/claims/c-nothing/photos/1/annotated.png").status_code == 404


def test_the_catalog_images_beside_a_photo_say_which_is_the_ordered_product_and_which_another(api: Api) -> None:
    """Under a photo of a bag, 'Is it the ordered item: ARLA-MILK' read as if the photo were the milk:
    the look had only compared it with that other product (and found too few points). The printable
    page says the same."""
    ids = {}
    for sku, seed_value in (("ALPRO-BLUE", 11), ("ARLA-MILK", 12)):
        picture = jpeg(seed_value, (320, 240))
        added = api.client.post(f"/v1/catalog/{sku}/images", files=[("images", (f"{sku}.jpg", picture, "image/jpeg"))])
        assert added.status_code == 201, added.text
        ids[sku] = sha256(picture).hexdigest()
    relevance = {
        "status": "unknown", "score": 0.0, "summary": "not found", "code": "relevance.not_found",
        "details": {
            "sku": "ALPRO-BLUE", "other_sku": "ARLA-MILK",
            "ordered": {"inliers": 0, "catalog_image": ids["ALPRO-BLUE"]},
            "other": {"inliers": 4, "catalog_image": ids["ARLA-MILK"]},
        },
    }  # fmt: skip
    body = {
        "claim_id": "c-bag", "customer_id": None, "sku": "ALPRO-BLUE", "reason": "damaged", "verdict": "review",
        "risk": 0.5, "confidence": 0.5, "reasons": [], "next_steps": [], "created_at": datetime(2026, 12, 1, tzinfo=UTC).isoformat(),
        "timeline": {}, "images": [{"image_id": "p-bag", "filename": "bag.jpg", "error": None, "verdict": "review",
                                    "risk": 0.5, "checks": {"relevance": relevance}}],
    }  # fmt: skip
    claim = Claim(claim_id="c-bag", timeline=Timeline(), tenant="default", sku="ALPRO-BLUE")
    api.store.record(claim, [("p-bag", "bag.jpg")], body, datetime(2026, 12, 1, tzinfo=UTC))
    captions = re.findall(r'<figure class="earlier">.*?<figcaption>([^<]+)</figcaption>', api.client.get("/claims/c-bag").text)
    assert captions == ["Compared with the ordered product: ALPRO-BLUE", "Compared with another product: ARLA-MILK"]
    printable = api.client.get("/claims/c-bag/print").text
    assert re.findall(r"<figure><img [^>]+><figcaption>([^<]+)</figcaption>", printable) == captions
    api.client.get("/lang", params={"to": "zh", "next": "/"})
    captions = re.findall(r'<figure class="earlier">.*?<figcaption>([^<]+)</figcaption>', api.client.get("/claims/c-bag").text)
    assert captions == ["比对的订购商品: ALPRO-BLUE", "比对的其他商品: ARLA-MILK"]
    printable = api.client.get("/claims/c-bag/print").text
    assert re.findall(r"<figure><img [^>]+><figcaption>([^<]+)</figcaption>", printable) == captions
