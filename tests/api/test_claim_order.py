"""The order a claim is about and the outcome its customer wants: from the command line and the API's
form into the report, the store, the claims list (filter and search), and a claim verified again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evidence_check.cli import app
from tests.api.conftest import Api, jpeg, photos
from tests.conftest import FIXTURES


def _ids(api: Api, **params: str) -> list[str]:
    answer = api.client.get("/v1/claims", params=params)
    assert answer.status_code == 200, answer.text
    return sorted(item["claim_id"] for item in answer.json()["items"])


def test_order_and_wanted_outcome_travel_from_the_form_to_the_list_and_reverify(api: Api) -> None:
    sent = api.verify(
        photos(("a.jpg", jpeg(1))), {"claim_id": "c-o1", "order_id": "SO-1001", "wanted": "replacement"}
    )
    assert sent.status_code == 200, sent.text
    assert (sent.json()["order_id"], sent.json()["wanted"]) == ("SO-1001", "replacement")
    api.verify(photos(("b.jpg", jpeg(2))), {"claim_id": "c-o2", "order_id": "SO-2002", "wanted": "refund"})
    api.verify(photos(("c.jpg", jpeg(3))), {"claim_id": "c-o3"})
    assert _ids(api, order_id="SO-1001") == ["c-o1"]
    assert _ids(api, q="so-200") == ["c-o2"]  # a part of the order id, any case
    assert _ids(api, order_id="SO-9") == []
    [item] = [i for i in api.client.get("/v1/claims").json()["items"] if i["claim_id"] == "c-o1"]
    assert (item["order_id"], item["wanted"]) == ("SO-1001", "replacement")
    [bare] = [i for i in api.client.get("/v1/claims").json()["items"] if i["claim_id"] == "c-o3"]
    assert (bare["order_id"], bare["wanted"]) == (None, None)
    again = api.client.post("/v1/claims/c-o1/reverify")
    assert again.status_code == 200, again.text
    assert (again.json()["order_id"], again.json()["wanted"]) == ("SO-1001", "replacement")


@pytest.mark.parametrize(
    ("fields", "words"),
    [({"wanted": "money"}, "wanted"), ({"order_id": "SO 1"}, "order_id"), ({"order_id": "x" * 129}, "order_id")],
)
def test_a_bad_order_field_is_a_one_line_422_and_records_nothing(api: Api, fields: dict[str, str], words: str) -> None:
    answer = api.verify(photos(("a.jpg", jpeg(4))), {"claim_id": "c-bad", **fields})
    assert answer.status_code == 422, answer.text
    detail = answer.json()["detail"]
    assert words in detail and "\n" not in detail
    assert api.count("claims") == 0


def test_the_form_documents_both_fields_with_examples(api: Api) -> None:
    form = api.client.get("/openapi.json").json()["paths"]["/v1/verify"]["post"]["requestBody"]["content"]
    schema = form["multipart/form-data"]["schema"]["properties"]
    assert schema["order_id"]["examples"] and schema["wanted"]["enum"] == [
        "refund", "partial_refund", "return", "replacement", "repair"
    ]  # fmt: skip
    listing = api.client.get("/openapi.json").json()["paths"]["/v1/claims"]["get"]["parameters"]
    assert "order_id" in {p["name"] for p in listing}


def test_the_command_line_takes_order_id_and_wanted(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 's.sqlite3'}"
    photo = str(FIXTURES / "genuine_after_delivery.jpg")
    cli = CliRunner()
    done = cli.invoke(
        app, ["verify", photo, "--order-id", "SO-7", "--wanted", "repair", "--claim-id", "c-cli", "--json", "--db", db]
    )
    assert done.exit_code == 0, done.output
    body = json.loads(done.stdout)
    assert (body["order_id"], body["wanted"]) == ("SO-7", "repair")
    refused = cli.invoke(app, ["verify", photo, "--wanted", "cash", "--db", db])
    assert refused.exit_code == 2 and "Traceback" not in refused.output
