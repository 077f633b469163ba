"""`GET /v1/claims/{id}/photos/{n}/annotated.png` and the HTML report: the location look's picture
of a photo (region, zones, product outline), small and without the original's metadata."""

from __future__ import annotations

import base64
import io
import json
import re

from PIL import Image

from tests.api.conftest import Api, jpeg, photos
from tests.conftest import corpus
from tests.placed_products import ZONES, marked, placed, zone_box


def test_the_annotated_photo_is_a_resource_of_the_report(api: Api) -> None:
    grocery = corpus("product-matching")
    iconic = grocery / "grocery" / "Alpro-Fresh-Soy-Milk" / "Alpro-Fresh-Soy-Milk_Iconic.jpg"
    zones = (ZONES / "Alpro-Fresh-Soy-Milk.json").read_text()
    added = api.client.post(
        "/v1/catalog/ALPRO-SOY/images", files=[("images", (iconic.name, iconic.read_bytes(), "image/jpeg"))], data={"zones": zones}
    )
    assert added.status_code == 201, added.text
    stored = api.client.get("/v1/catalog/ALPRO-SOY").json()
    assert stored["image_list"][0]["zones"]["cap"]["cause"] == "manufacturing"  # the rich form is kept whole
    photo, homography = placed(grocery, "ALPRO-SOY")
    region = marked(homography, zone_box("ALPRO-SOY", "cap"))
    buffer = io.BytesIO()
    photo.working.save(buffer, "JPEG", quality=92)
    sent = api.verify(
        photos(("other.jpg", jpeg(3)), ("carton.jpg", buffer.getvalue())),
        {"claim_id": "c-zone", "sku": "ALPRO-SOY", "region": f"2:{region.x},{region.y},{region.w},{region.h}"},
    )
    assert sent.status_code == 200, sent.text
    first, second = (image["checks"]["location"] for image in sent.json()["images"])
    assert "region" not in first["details"]
    assert (second["details"]["zone"], second["details"]["cause"], second["status"]) == ("cap", "manufacturing", "pass")

    answer = api.client.get("/v1/claims/c-zone/photos/2/annotated.png")
    assert answer.status_code == 200 and answer.headers["content-type"] == "image/png"
    picture = Image.open(io.BytesIO(answer.content))
    assert max(picture.size) <= 1024 and picture.size == photo.working.size and not picture.getexif()
    assert api.client.get("/v1/claims/c-zone/photos/3/annotated.png").status_code == 404
    assert api.client.get("/v1/claims/c-none/photos/1/annotated.png").status_code == 404
    assert api.client.get("/v1/claims/c-zone/photos/0/annotated.png").status_code == 422

    html = api.client.get("/v1/claims/c-zone", params={"format": "html"}).text
    embedded = re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", html)
    assert len(embedded) == 1  # the carton: the other photo has nothing to draw
    assert Image.open(io.BytesIO(base64.b64decode(embedded[0]))).size == picture.size
    assert json.loads(zones)["cap"]["note"] in html  # the merchant's note reaches the agent


def test_a_region_naming_a_photo_not_sent_is_refused(api: Api) -> None:
    answer = api.verify(photos(("a.jpg", jpeg(4))), {"region": "2:1,2,3,4"})
    assert answer.status_code == 422 and answer.json()["detail"] == "region: names photo 2, but the claim has 1"
    assert api.count("claims") == 0
