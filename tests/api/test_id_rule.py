"""The id rule (claim ids, customer ids, order ids, SKUs) and the tenant rule, one wording each,
wherever a bad one is refused: the API's form fields and paths, the intake, the command line.

The API's schemas said "sku: String should match pattern '^[\\w.:@/+-]{1,128}$'" where the intake
said "claim_id: '..' must be 1-128 letters, ...", the command line "claim id '..' must be ...", and
the tenant rule had two wordings, one of them without "starting with a letter or digit"."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from evidence_check.catalog.manifest import RowsRefused, parse_manifest
from evidence_check.cli import app
from evidence_check.engine import now_utc
from evidence_check.errors import error_text
from evidence_check.store import Store
from evidence_check.store.keys import create_key
from tests.api.conftest import Api, jpeg, photos


def said(field: str, value: str, lang: str = "en") -> str:
    return error_text("intake.bad_id", {"field": field, "value": value}, lang)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_api_words_a_bad_id_one_way_in_its_forms_paths_and_intake(api: Api, lang: str) -> None:
    asked = {"Accept-Language": lang}
    answers = [
        (("sku", "bad sku"), api.verify(photos(("a.jpg", jpeg(1))), {"sku": "bad sku"}, headers=asked)),
        (
            ("customer_id", "c" * 129),
            api.verify(photos(("a.jpg", jpeg(1))), {"customer_id": "c" * 129}, headers=asked),
        ),
        (("claim_id", ".."), api.verify(photos(("a.jpg", jpeg(1))), {"claim_id": ".."}, headers=asked)),
        (("sku", "bad sku"), api.client.get("/v1/catalog/bad%20sku", headers=asked)),
        (
            ("sku", "x y"),
            api.client.post(
                "/v1/catalog/x%20y/images",
                files=[("images", ("c.jpg", jpeg(3), "image/jpeg"))],
                headers=asked,
            ),
        ),
    ]
    for (field, value), answer in answers:
        assert (answer.status_code, answer.json()["detail"]) == (422, said(field, value, lang))
    assert api.count("claims") == 0



@pytest.mark.parametrize("lang", ["en", "zh"])
def test_an_id_in_a_query_filter_is_judged_by_the_rule_not_answered_an_empty_page(api: Api, lang: str) -> None:
    # `GET /v1/claims?sku=bad sku` answered an empty page, as if no claim had that SKU.
    api.verify(photos(("a.jpg", jpeg(1))), {"claim_id": "c-1", "sku": "BAG-1"})
    asked = {"Accept-Language": lang}
    for field, value in (("sku", "bad sku"), ("customer_id", ".."), ("order_id", "o" * 129)):
        answer = api.client.get("/v1/claims", params={field: value}, headers=asked)
        assert (answer.status_code, answer.json()["detail"]) == (422, said(field, value, lang))
    found = api.client.get("/v1/claims", params={"sku": "BAG-1", "q": "bad sku"}, headers=asked)
    assert (found.status_code, found.json()["items"]) == (200, [])  # `q` is a part of an id, not one
    assert [c["claim_id"] for c in api.client.get("/v1/claims", params={"sku": "BAG-1"}).json()["items"]] == ["c-1"]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_api_refuses_a_dot_segment_for_an_id_as_the_command_line_does(api: Api, lang: str) -> None:
    # The pattern alone let "." and ".." through: `POST /v1/catalog/%2E%2E/images` stored a SKU ".."
    # that `catalog add`, the console and a manifest refuse.
    asked = {"Accept-Language": lang}
    added = api.client.post("/v1/catalog/%2E%2E/images", files=[("images", ("c.jpg", jpeg(3), "image/jpeg"))], headers=asked)
    zoned = api.client.put("/v1/catalog/%2E/zones", json={}, headers=asked)
    verified = api.verify(photos(("a.jpg", jpeg(1))), {"order_id": "."}, headers=asked)
    assert [(r.status_code, r.json()["detail"]) for r in (added, zoned, verified)] == [
        (422, said("sku", "..", lang)),
        (422, said("sku", ".", lang)),
        (422, said("order_id", ".", lang)),
    ]
    assert api.count("catalog_skus") == 0 and api.count("claims") == 0
    widest = "s" * 128  # an id at the width limit still passes
    assert api.client.post(f"/v1/catalog/{widest}/images", files=[("images", ("c.jpg", jpeg(3), "image/jpeg"))]).status_code == 201
    assert api.client.get(f"/v1/catalog/{widest}").json()["sku"] == widest

def test_the_command_line_words_a_bad_id_as_the_api_does(store_url: str) -> None:
    runner = CliRunner()
    for args, line in (
        (["catalog", "add", "bad sku", "a.jpg", "--db", store_url], said("sku", "bad sku")),
        (["challenge", "..", "--db", store_url], said("claim_id", "..")),
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 2 and result.stderr.strip() == f"evidence-check: {line}", result.stderr



@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_manifest_words_a_bad_sku_as_the_intake_does_after_its_row(lang: str) -> None:
    # It said "line 1: sku 'bad sku' must be ..." beside the intake's "sku: 'bad sku' must be ...",
    # from a copy of the rule's words of its own.
    with pytest.raises(RowsRefused) as refused:
        list(parse_manifest(['{"sku": "bad sku", "images": ["a.jpg"]}'], ".jsonl"))
    row = "第 1 行：" if lang == "zh" else "line 1: "
    assert refused.value.text(lang) == row + said("sku", "bad sku", lang)

def test_the_tenant_rule_is_worded_once(store: Store) -> None:
    line = error_text("keys.bad_tenant", {"tenant": "acme corp"})
    assert "starting with a letter or digit" in line
    with pytest.raises(ValueError) as refused:
        create_key(store, "acme corp", now_utc())
    assert str(refused.value) == line
    result = CliRunner().invoke(app, ["keys", "create", "acme corp", "--db", str(store.url)])
    assert result.exit_code == 2 and line in result.stderr, result.stderr


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_bad_picture_id_in_a_path_is_worded_not_given_as_its_pattern(api: Api, lang: str) -> None:
    # It was "image_id: String should match pattern '^[0-9a-f]{64}$'", in Chinese "格式应符合模式 ...".
    asked = {"Accept-Language": lang}
    line = error_text("input.bad_image_id", {"field": "image_id", "value": "bad img"}, lang)
    for answer in (
        api.client.get("/v1/images/bad%20img/thumbnail", headers=asked),
        api.client.delete("/v1/stock/bad%20img", headers=asked),
    ):
        assert (answer.status_code, answer.json()["detail"]) == (422, line)
    well_formed = "0" * 64  # passes the rule, and is then not found
    assert api.client.get(f"/v1/images/{well_formed}/thumbnail").status_code == 404


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_an_id_filter_at_the_width_limit_finds_its_claim_and_an_empty_one_is_a_bad_id(api: Api, lang: str) -> None:
    # An empty filter (`?sku=`) matched no claim, an empty page; an empty id breaks the id rule as a
    # space does, refused as `verdict=` and `limit=` always were, not taken for no filter.
    widest = {"sku": "S" * 128, "customer_id": "c" * 128, "order_id": "o" * 128}
    api.verify(photos(("a.jpg", jpeg(1))), {"claim_id": "c-1", **widest})
    api.verify(photos(("b.jpg", jpeg(2))), {"claim_id": "c-2"})
    asked = {"Accept-Language": lang}
    for field, value in widest.items():
        found = api.client.get("/v1/claims", params={field: value}, headers=asked)
        assert [claim["claim_id"] for claim in found.json()["items"]] == ["c-1"], (field, found.text)
        empty = api.client.get("/v1/claims", params={field: ""}, headers=asked)
        assert (empty.status_code, empty.json()["detail"]) == (422, said(field, "", lang))
    everything = api.client.get("/v1/claims", headers=asked).json()["items"]
    assert [claim["claim_id"] for claim in everything] == ["c-2", "c-1"]
