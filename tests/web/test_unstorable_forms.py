"""The console's forms given a NUL (PostgreSQL's text holds none): one line, nothing stored, the same
on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.api.conftest import Api, jpeg
from tests.seeded_claims import seed
from tests.web.conftest import csrf_of

DAY = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def test_an_outcome_note_holding_a_nul_records_nothing(api: Api) -> None:
    seed(api.store, "default", "c-1", "review", DAY)
    token = csrf_of(api.client.get("/claims/c-1").text)
    decided = api.client.post("/claims/c-1/outcome", data={"csrf": token, "decision": "fraud", "note": "a\x00b"})
    assert (decided.status_code, decided.text) == (422, "note: a control character (tab and line breaks aside) or a lone surrogate cannot be stored")
    assert api.count("outcomes") == 0


@pytest.mark.parametrize("field", ["name", "category"])
def test_a_product_text_holding_a_nul_adds_nothing(api: Api, field: str) -> None:
    token = csrf_of(api.client.get("/catalog").text)
    added = api.client.post(
        "/catalog/images",
        files=[("images", ("front.jpg", jpeg(1), "image/jpeg"))],
        data={"csrf": token, "sku": "BAG-9", field: "a\x00b"},
        follow_redirects=False,
    )
    assert added.status_code == 422
    assert f"{field}: a control character (tab and line breaks aside) or a lone surrogate cannot be stored" in added.text
    assert api.count("catalog_skus") == 0


@pytest.mark.parametrize(("field", "width"), [("name", 255), ("category", 64)])
def test_a_product_text_longer_than_its_column_is_refused_with_the_form_kept(api: Api, field: str, width: int) -> None:
    # It was cut at the column's width and stored: a name nobody typed. It is refused, the text kept
    # to be put right; the field has no maxlength, at which a browser cuts a pasted text silently.
    page = api.client.get("/catalog").text
    assert f'name="{field}" value="">' in page
    too_long = "x" * (width + 1)
    added = api.client.post(
        "/catalog/images",
        files=[("images", ("front.jpg", jpeg(1), "image/jpeg"))],
        data={"csrf": csrf_of(page), "sku": "BAG-9", field: too_long},
        follow_redirects=False,
    )
    assert added.status_code == 422
    assert f"{field}: at most {width} characters" in added.text
    assert f'value="{too_long}"' in added.text and 'value="BAG-9"' in added.text
    assert api.count("catalog_skus") == 0


def test_a_product_whose_images_none_can_read_keeps_the_forms_text(api: Api) -> None:
    # Refused after the texts passed: the page came back empty, the name typed lost with the file.
    page = api.client.get("/catalog").text
    added = api.client.post(
        "/catalog/images",
        files=[("images", ("front.jpg", b"not a picture", "image/jpeg"))],
        data={"csrf": csrf_of(page), "sku": "BAG-9", "name": "旅行包 Travel bag", "category": "bags"},
        follow_redirects=False,
    )
    assert added.status_code == 422 and "no image could be read (front.jpg" in added.text
    assert 'value="BAG-9"' in added.text and 'value="旅行包 Travel bag"' in added.text and 'value="bags"' in added.text
    assert api.count("catalog_skus") == 0
