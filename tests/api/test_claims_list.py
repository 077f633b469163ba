"""GET /v1/claims (the queue an intake system or the console reads) and a claim's report history."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from tests.api.conftest import Api, bearer, jpeg, photos


def _verify(api: Api, claim_id: str, seed: int, headers: dict[str, str] | None = None, **fields: str) -> None:
    answer = api.verify(photos((f"{claim_id}.jpg", jpeg(seed))), {"claim_id": claim_id, **fields}, headers=headers)
    assert answer.status_code == 200, answer.text


def _ids(page: dict) -> list[str]:
    return [item["claim_id"] for item in page["items"]]


def test_pages_are_newest_first_and_stable_while_claims_arrive(api: Api) -> None:
    for n in range(7):
        _verify(api, f"c-{n}", seed=n)
    first = api.client.get("/v1/claims", params={"limit": 3}).json()
    assert _ids(first) == ["c-6", "c-5", "c-4"]
    # A claim recorded between two pages: on the first page when read again, never on the next.
    _verify(api, "c-new", seed=100)
    seen = _ids(first)
    cursor = first["next_cursor"]
    while cursor is not None:
        page = api.client.get("/v1/claims", params={"limit": 3, "cursor": cursor}).json()
        seen += _ids(page)
        cursor = page["next_cursor"]
    assert seen == [f"c-{n}" for n in range(6, -1, -1)]
    assert _ids(api.client.get("/v1/claims", params={"limit": 1}).json()) == ["c-new"]


def test_a_summary_carries_what_a_queue_sorts_by(api: Api) -> None:
    api.verify(
        photos(("a.jpg", jpeg(1)), ("b.jpg", jpeg(2))),
        {"claim_id": "c-sum", "customer_id": "u-9", "sku": "BAG-001"},
    )
    [item] = api.client.get("/v1/claims").json()["items"]
    report = api.client.get("/v1/claims/c-sum").json()
    assert item["claim_id"] == "c-sum" and item["customer_id"] == "u-9" and item["sku"] == "BAG-001"
    assert item["verdict"] == report["verdict"] and item["risk"] == report["risk"]
    assert item["strongest_reason"] == report["reasons"][0]
    assert (item["photos"], item["reports"], item["outcome"]) == (2, 1, None)


def test_filters_narrow_the_list(api: Api) -> None:
    _verify(api, "c-a", 1, customer_id="alice", sku="BAG-001")
    _verify(api, "c-b", 2, customer_id="bob", sku="BAG-001")
    _verify(api, "c-c", 3, customer_id="bob", sku="CUP-7")

    def listed(**params: str) -> list[str]:
        answer = api.client.get("/v1/claims", params=params)
        assert answer.status_code == 200, answer.text
        return sorted(_ids(answer.json()))

    assert listed(customer_id="bob") == ["c-b", "c-c"]
    assert listed(sku="BAG-001") == ["c-a", "c-b"]
    assert listed(q="CUP") == ["c-c"]  # any case, a part of the SKU
    assert listed(q="ALI") == ["c-a"]  # a part of the customer id
    assert listed(q="%") == []  # LIKE's wildcard is matched as itself
    verdicts = {item["claim_id"]: item["verdict"] for item in api.client.get("/v1/claims").json()["items"]}
    some = verdicts["c-a"]
    assert listed(verdict=some) == sorted(c for c, v in verdicts.items() if v == some)
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert listed(since=later) == []
    assert listed(until=later) == ["c-a", "c-b", "c-c"]


def _cursor_of(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def test_bad_parameters_are_one_line_422s(api: Api) -> None:
    # A cursor this server could not have handed out: a row id past 64 bits (PostgreSQL answered 503),
    # int()'s other spellings, none.
    cursors = ["not-a-cursor", *(_cursor_of(f"c{n}") for n in ("9" * 40, "-5", "0", "1_0", " 7", "٣"))]
    for params in ({"limit": "0"}, {"limit": "101"}, *({"cursor": c} for c in cursors), {"verdict": "maybe"}):
        answer = api.client.get("/v1/claims", params=params)
        assert answer.status_code == 422, (params, answer.text)
        assert "\n" not in answer.json()["detail"]


def test_a_tenant_lists_only_its_own_claims(keyed: tuple[Api, dict[str, str]]) -> None:
    api, keys = keyed
    _verify(api, "c-acme", 1, headers=bearer(keys["acme"]))
    _verify(api, "c-globex", 2, headers=bearer(keys["globex"]))
    acme = api.client.get("/v1/claims", headers=bearer(keys["acme"])).json()
    assert _ids(acme) == ["c-acme"]
    assert api.client.get("/v1/claims/c-globex/reports", headers=bearer(keys["acme"])).status_code == 404
    assert api.client.get("/v1/claims").status_code == 401


def test_a_claim_verified_again_has_its_reports_in_order(api: Api) -> None:
    _verify(api, "c-h", 1)
    _verify(api, "c-h", 2)
    history = api.client.get("/v1/claims/c-h/reports")
    assert history.status_code == 200
    bodies = history.json()
    assert [len(body["images"]) for body in bodies] == [1, 1]
    assert [body["images"][0]["filename"] for body in bodies] == ["c-h.jpg", "c-h.jpg"]
    assert bodies[0]["images"][0]["image_id"] != bodies[1]["images"][0]["image_id"]
    assert bodies[-1] == api.client.get("/v1/claims/c-h").json()
    [item] = api.client.get("/v1/claims").json()["items"]
    assert item["reports"] == 2 and item["photos"] == 2
    assert api.client.get("/v1/claims/nobody/reports").status_code == 404


def test_the_list_says_what_the_latest_report_says_of_a_corrected_claim(api: Api) -> None:
    _verify(api, "c-fix", 1, customer_id="u-1", reason="damaged")
    _verify(api, "c-fix", 2, reason="wrong_item", order_id="SO-2")
    latest = api.client.get("/v1/claims/c-fix").json()
    [item] = api.client.get("/v1/claims").json()["items"]
    facts = ("customer_id", "reason", "order_id")
    assert [item[f] for f in facts] == [latest[f] for f in facts] == ["u-1", "wrong_item", "SO-2"]


def test_every_sentence_follows_the_language_asked_for(api: Api) -> None:
    """A report recorded in English, read with Accept-Language: zh — reasons, next steps, the basis
    and each check's summary in Chinese, the list's strongest reason too."""
    _verify(api, "c-lang", 7)
    zh = {"Accept-Language": "zh-CN,zh;q=0.9"}
    english = api.client.get("/v1/claims/c-lang").json()
    chinese = api.client.get("/v1/claims/c-lang", headers=zh).json()
    cjk = re.compile(r"[\u4e00-\u9fff]")
    assert not cjk.search(english["reasons"][0])
    for sentence in [*chinese["reasons"], *chinese["next_steps"], chinese["verdict_basis"]["summary"]]:
        assert cjk.search(sentence), sentence
    for check in chinese["images"][0]["checks"].values():
        assert cjk.search(check["summary"]), check
    assert chinese["images"][0]["checks"]["reuse"]["details"] == english["images"][0]["checks"]["reuse"]["details"]
    assert (chinese["verdict"], chinese["risk"]) == (english["verdict"], english["risk"])
    [item] = api.client.get("/v1/claims", headers=zh).json()["items"]
    assert item["strongest_reason"] == chinese["reasons"][0]
    [history] = api.client.get("/v1/claims/c-lang/reports", headers=zh).json()
    assert history["reasons"] == chinese["reasons"]


@pytest.mark.parametrize("field", ["since", "until"])
@pytest.mark.parametrize("value", ["2026/11/10", "yesterday", "10-11-2026"])
def test_a_time_of_the_wrong_form_is_worded_as_verifys_in_english_and_chinese(api: Api, field: str, value: str) -> None:
    """It was pydantic's line, whose English ("invalid date separator, expected `-`") stood inside the Chinese one."""
    english = api.client.get("/v1/claims", params={field: value})
    chinese = api.client.get("/v1/claims", params={field: value}, headers={"Accept-Language": "zh"})
    assert english.status_code == chinese.status_code == 422
    assert english.json() == {
        "detail": f"{field}: {value!r} is not an ISO 8601 date or date-time (e.g. 2026-11-20T14:30+08:00)"
    }
    assert chinese.json() == {"detail": f"{field}：{value!r} 不是 ISO 8601 日期或日期时间（例如 2026-11-20T14:30+08:00）"}


def test_since_and_until_written_with_an_offset_mean_that_instant_on_both_backends(api: Api) -> None:
    _verify(api, "c-now", 1)
    now = datetime.now(UTC)
    east, west = timezone(timedelta(hours=8)), timezone(timedelta(hours=-5))

    def listed(**bounds: datetime | str) -> list[str]:
        params = {name: value if isinstance(value, str) else value.isoformat() for name, value in bounds.items()}
        answer = api.client.get("/v1/claims", params=params)
        assert answer.status_code == 200, answer.text
        return _ids(answer.json())

    # An hour ago written in Shanghai's time is, as wall time, hours ahead of UTC; an hour ahead written
    # in New York's is hours behind: compared as text, each said the opposite.
    assert listed(since=(now - timedelta(hours=1)).astimezone(east)) == ["c-now"]
    assert listed(since=(now + timedelta(hours=1)).astimezone(west)) == []
    assert listed(until=(now + timedelta(hours=1)).astimezone(west)) == ["c-now"]
    assert listed(until=(now - timedelta(hours=1)).astimezone(east)) == []
    # Bounds whose UTC is past datetime's first or last year.
    assert listed(since="0001-01-01T00:00:00+14:00", until="9999-12-31T23:00:00-14:00") == ["c-now"]
    assert listed(since="9999-12-31T23:00:00-14:00") == []
    assert listed(until="0001-01-01T00:00:00+14:00") == []
