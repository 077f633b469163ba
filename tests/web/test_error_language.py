"""The console's forms give a refused field or upload back in the console's language."""

from __future__ import annotations

from markupsafe import escape

from evidence_check.errors import error_text
from tests.api.conftest import Api, jpeg, photos
from tests.web.conftest import csrf_of


def _in_chinese(api: Api) -> str:
    api.client.get("/lang", params={"to": "zh", "next": "/"})
    return csrf_of(api.client.get("/new-claim").text)


def test_a_wrong_field_of_the_claim_form_is_said_in_the_consoles_language(api: Api) -> None:
    token = _in_chinese(api)
    answer = api.client.post(
        "/new-claim", files=photos(("a.jpg", jpeg(1))), data={"csrf": token, "ordered_at": "last tuesday"}
    )
    assert answer.status_code == 422
    line = error_text("intake.not_a_moment", {"field": "ordered_at", "value": "last tuesday"}, "zh")
    assert escape(line) in answer.text
    assert "is not an ISO 8601 date" not in answer.text
    unreadable = api.client.post(
        "/new-claim", files=[("photos", ("x.jpg", b"not a photo", "image/jpeg"))], data={"csrf": token}
    )
    assert unreadable.status_code == 422 and "没有一张照片能够读取" in unreadable.text
    assert api.count("claims") == 0


def test_an_upload_the_form_refuses_is_said_in_the_consoles_language(api: Api) -> None:
    token = _in_chinese(api)
    answer = api.client.post(
        "/new-claim", files=photos(("a.jpg", jpeg(1))), data={"csrf": token, "customer_id": "u" * 20000}
    )
    assert answer.status_code == 413
    assert (
        escape(error_text("upload.field_too_large", {"field": "customer_id", "limit": "16 KB"}, "zh"))
        in answer.text
    )


def test_in_english_the_form_says_it_as_the_api_does(api: Api) -> None:
    token = csrf_of(api.client.get("/new-claim").text)
    answer = api.client.post(
        "/new-claim", files=photos(("a.jpg", jpeg(1))), data={"csrf": token, "ordered_at": "last tuesday"}
    )
    assert answer.status_code == 422
    assert escape("ordered_at: 'last tuesday' is not an ISO 8601 date or date-time") in answer.text


def test_a_photo_sent_in_another_field_gives_the_form_back_as_the_api_says_it(api: Api) -> None:
    """One check for both: the form keeps its fields and says the API's line, in the agent's language."""
    token = _in_chinese(api)
    sent = {"csrf": token, "customer_id": "u-7"}
    answer = api.client.post("/new-claim", files=[("photo", ("a.jpg", jpeg(1), "image/jpeg"))], data=sent)
    assert answer.status_code == 422
    line = error_text("upload.files_in_wrong_field", {"expected": "photos", "fields": "photo"}, "zh")
    assert escape(line) in answer.text and 'value="u-7"' in answer.text
    by_api = api.client.post(
        "/v1/verify", files=[("photo", ("a.jpg", jpeg(1), "image/jpeg"))], headers={"Accept-Language": "zh"}
    )
    assert by_api.status_code == 422 and by_api.json()["detail"] == line
    assert api.count("claims") == 0
