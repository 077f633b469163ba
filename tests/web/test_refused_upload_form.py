"""A photo refused while the new-claim form streams in gives the form back filled (the page without
JavaScript shows the server's form): the fields arrive before the photos, and are read."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

import pytest
from markupsafe import escape

from api.web import words as w
from evidence_check.store import Store
from tests.api.conftest import Api, make_api, photos
from tests.web.conftest import csrf_of

TYPED = {
    "customer_id": "u-44",
    "order_id": "SO-44",
    "sku": "ALPRO-BLUE",
    "reason": "wrong_item",
    "wanted": "replacement",
    "claim_id": "c-kept",
    "ordered_at": "2026-11-10T09:30",
    "delivered_at": "2026-11-14T15:00",
    "claimed_at": "2026-11-15T08:00",
    "tz": "Asia/Shanghai",
    "region": "10,20,30,40",
}


@pytest.fixture
def small_limits(store: Store) -> Iterator[Api]:
    yield from make_api(store, max_file_bytes=2048, max_request_bytes=8192)


def _filled_back(page: str) -> None:
    for name in ("customer_id", "order_id", "sku", "claim_id", "ordered_at", "delivered_at", "claimed_at", "region"):
        assert re.search(f'name="{name}"[^>]* value="{TYPED[name]}"', page), name
    assert '<option value="wrong_item" selected>' in page
    assert '<option value="replacement" selected>' in page
    assert 'id="tz" value="Asia/Shanghai"' in page


@pytest.mark.parametrize(
    ("photo_bytes", "status"),
    [(4000, 413), (20_000, 413)],
    ids=["a photo over the file limit", "a body declared over the request limit"],
)
def test_a_refused_upload_gives_every_typed_field_back(small_limits: Api, photo_bytes: int, status: int) -> None:
    api = small_limits
    token = csrf_of(api.client.get("/new-claim").text)
    answer = api.client.post(
        "/new-claim", data={"csrf": token, **TYPED}, files=photos(("big.jpg", os.urandom(photo_bytes)))
    )
    assert answer.status_code == status
    _filled_back(answer.text)
    assert escape(w.WORDS["en"]["photos_again"]) in answer.text
    assert api.count("claims") == 0


def test_the_line_asking_for_the_photos_again_is_in_the_consoles_language(small_limits: Api) -> None:
    api = small_limits
    api.client.get("/lang", params={"to": "zh", "next": "/"})
    token = csrf_of(api.client.get("/new-claim").text)
    answer = api.client.post("/new-claim", data={"csrf": token, **TYPED}, files=photos(("big.jpg", os.urandom(4000))))
    assert answer.status_code == 413
    assert escape(w.WORDS["zh"]["photos_again"]) in answer.text
    _filled_back(answer.text)


@pytest.mark.parametrize(
    ("lang", "joined"),
    [("en", "limit per file — choose the photos again ("), ("zh", "的上限。请重新选择照片（")],
)
def test_the_line_asking_for_the_photos_again_reads_as_a_sentence_after_the_error(
    small_limits: Api, lang: str, joined: str
) -> None:
    """The error ends with no full stop: the ask ran on into it ("… limit per file Choose the photos again")."""
    api = small_limits
    api.client.get("/lang", params={"to": lang, "next": "/"})
    token = csrf_of(api.client.get("/new-claim").text)
    answer = api.client.post("/new-claim", data={"csrf": token, **TYPED}, files=photos(("big.jpg", os.urandom(4000))))
    alert = re.search(r'<p class="problem" role="alert" id="form-error">(.*?)</p>', answer.text, re.S)
    assert alert is not None
    assert joined in re.sub(r"<[^>]+>", "", alert.group(1))
