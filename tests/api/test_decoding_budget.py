"""A photo over the decoding budget, sent over HTTP: refused from its header, one line, nothing kept."""

from __future__ import annotations

from tests.api.conftest import Api, jpeg, photos
from tests.png_headers import png_header_only


def test_a_photo_over_the_decoding_budget_alone_is_422_naming_the_limit(api: Api) -> None:
    big = png_header_only(16000, 16000, 8, 2)  # 0.7 MB declaring 16000x16000 RGB: 977 MiB decoded
    answer = api.verify(photos(("big.png", big)))
    assert answer.status_code == 422, answer.text
    detail = answer.json()["detail"]
    assert "big.png: the PNG file (16000x16000 RGB) needs 977 MiB to decode" in detail and "\n" not in detail
    assert "EVIDENCE_CHECK_MAX_DECODED_BYTES" in detail
    assert api.count("claims") == 0


def test_beside_a_readable_photo_it_is_that_photos_error_in_the_report(api: Api) -> None:
    answer = api.verify(photos(("big.png", png_header_only(16000, 16000, 8, 2)), ("a.jpg", jpeg(3))))
    assert answer.status_code == 200, answer.text
    refused, readable = answer.json()["images"]
    assert "decoding limit" in refused["error"] and refused["checks"] == {}
    assert readable["error"] is None
