"""A claim's life over HTTP, as an intake system drives it: verify → list → challenge → retake →
outcome (decided twice) → stats; each step refuses another tenant's claim."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

import api.routes.decisions as decisions
from evidence_check.engine import now_utc
from evidence_check.store.challenge_tables import OutcomeRow
from evidence_check.store.keys import create_key, list_keys
from tests.api.conftest import Api, bearer, jpeg, photos

RETAKE = Path(__file__).resolve().parents[2] / "fixtures" / "challenge" / "retake_code_WFWXK.jpg"


def test_a_claims_life_over_http(keyed: tuple[Api, dict[str, str]], monkeypatch: pytest.MonkeyPatch) -> None:
    api, keys = keyed
    acme, globex = bearer(keys["acme"]), bearer(keys["globex"])
    assert api.verify(photos(("first.jpg", jpeg(1))), {"claim_id": "c-life"}, headers=acme).status_code == 200

    # The challenge: 404 for a claim the tenant does not have, a code and instructions otherwise.
    assert api.client.post("/v1/claims/c-life/challenge", headers=globex).status_code == 404
    assert api.client.post("/v1/claims/nobody/challenge", headers=acme).status_code == 404
    monkeypatch.setattr(decisions, "new_code", lambda length: "WFWXK")
    issued = api.client.post("/v1/claims/c-life/challenge", headers={**acme, "Accept-Language": "zh"})
    assert issued.status_code == 200, issued.text
    body = issued.json()
    assert body["code"] == "WFWXK" and body["claim_id"] == "c-life"
    assert "WFWXK" in body["instructions"] and "POST /v1/verify" in body["instructions"]
    assert "请客户" in body["instructions"]

    # The retake arrives through /v1/verify with the same claim id and is checked for the code.
    retake = [("photos", (RETAKE.name, RETAKE.read_bytes(), "image/jpeg"))]
    answer = api.verify(retake, {"claim_id": "c-life"}, headers=acme)
    assert answer.status_code == 200, answer.text
    [image] = [i for i in answer.json()["images"] if i["filename"] == RETAKE.name]
    assert "challenge" in image["checks"]

    # The outcome: decided twice, the second replaces the first and says so.
    assert api.client.post("/v1/claims/c-life/outcome", json={"outcome": "genuine"}, headers=globex).status_code == 404
    bad = api.client.post("/v1/claims/c-life/outcome", json={"outcome": "maybe"}, headers=acme)
    assert bad.status_code == 422 and "\n" not in bad.json()["detail"]
    # A misspelt key would lose the agent's note: refused, and no decision recorded.
    misspelt = api.client.post("/v1/claims/c-life/outcome", json={"outcome": "genuine", "notes": "x"}, headers=acme)
    assert misspelt.status_code == 422 and misspelt.json()["detail"] == "notes: not a field of this request"
    first = api.client.post("/v1/claims/c-life/outcome", json={"outcome": "genuine"}, headers=acme).json()
    assert (first["outcome"], first["replaced"]) == ("genuine", None)
    # Who decided: the public id of acme's key (its own), never its secret.
    [acme_key] = [key.key_id for key in list_keys(api.store) if key.tenant == "acme"]
    assert first["decided_by"] == {"key": acme_key, "via": "api"}
    second = api.client.post(
        "/v1/claims/c-life/outcome", json={"outcome": "fraud", "note": "same photo on a forum"}, headers=acme
    ).json()
    assert (second["outcome"], second["replaced"], second["note"]) == ("fraud", "genuine", "same photo on a forum")
    [item] = api.client.get("/v1/claims", headers=acme).json()["items"]
    assert (item["outcome"], item["reports"]) == ("fraud", 2)
    assert item["decided_by"] == {"key": acme_key, "via": "api"}

    # Stats count the latest decision, for the tenant that recorded it only.
    stats = api.client.get("/v1/stats", headers=acme).json()
    assert (stats["decided"], stats["fraud"], stats["genuine"]) == (1, 1, 0)
    assert {row["check"] for row in stats["rows"]} >= {"timestamp", "reuse"}
    assert all(row["claims"] == 1 for row in stats["rows"])
    assert api.client.get("/v1/stats", headers=globex).json() == {"decided": 0, "fraud": 0, "genuine": 0, "rows": []}


def test_next_steps_over_the_api_name_endpoints_not_commands(api: Api) -> None:
    """A client of the HTTP API has no terminal: the retake challenge it is offered is an endpoint."""
    answer = api.verify(photos(("doubt.jpg", jpeg(5))), {"claim_id": "c-api", "sku": "NOT-IN-CATALOG"})
    steps = answer.json()["next_steps"]
    assert answer.json()["verdict"] != "accept"
    assert any("POST /v1/claims/c-api/challenge" in step for step in steps), steps
    assert not any("evidence-check " in step for step in steps), steps
    zh = api.verify(
        photos(("doubt2.jpg", jpeg(6))), {"claim_id": "c-api-zh"}, headers={"Accept-Language": "zh"}
    ).json()["next_steps"]
    assert any("POST /v1/claims/c-api-zh/challenge" in step and "补拍" in step for step in zh), zh


def test_an_outcome_in_the_trial_has_no_key_to_name(api: Api) -> None:
    assert api.verify(photos(("first.jpg", jpeg(1))), {"claim_id": "c-trial"}).status_code == 200
    sent = api.client.post("/v1/claims/c-trial/outcome", json={"outcome": "fraud"})
    assert sent.status_code == 200 and sent.json()["decided_by"] == {"key": None, "via": "api"}
    # A retry is answered as the decision it repeats was.
    again = api.client.post("/v1/claims/c-trial/outcome", json={"outcome": "fraud"})
    assert again.json() == sent.json()


def test_the_same_outcome_sent_with_another_key_is_that_keys_decision_not_a_retry(
    keyed: tuple[Api, dict[str, str]],
) -> None:
    """Two agents of one merchant, each with a key, agree: the second is recorded with its key and
    announced, not answered as the first one's retry (the audit trail would say only one decided).
    The first key sending it again unchanged is still a retry."""
    api, keys = keyed
    second_id, second_secret = create_key(api.store, "acme", now_utc())
    acme, acme_two = bearer(keys["acme"]), bearer(second_secret)
    assert api.verify(photos(("first.jpg", jpeg(1))), {"claim_id": "c-two"}, headers=acme).status_code == 200
    sent = {"outcome": "fraud", "note": "same photo as c-1"}
    first = api.client.post("/v1/claims/c-two/outcome", json=sent, headers=acme).json()
    assert api.client.post("/v1/claims/c-two/outcome", json=sent, headers=acme).json() == first
    agreed = api.client.post("/v1/claims/c-two/outcome", json=sent, headers=acme_two).json()
    assert agreed["decided_by"] == {"key": second_id, "via": "api"} and agreed["replaced"] == "fraud"
    assert datetime.fromisoformat(agreed["decided_at"]) >= datetime.fromisoformat(first["decided_at"])
    with api.store.sessions() as session:
        assert session.scalars(select(OutcomeRow.decided_key).order_by(OutcomeRow.id)).all() == [
            first["decided_by"]["key"],
            second_id,
        ]


def test_a_client_deciding_again_after_another_keys_decision_without_a_request_key_is_recorded(
    keyed: tuple[Api, dict[str, str]],
) -> None:
    """Key A decides, key B decides otherwise, then A, having read B's, decides as it did at first,
    sending neither `seen` nor an Idempotency-Key: its decision, recorded over B's (`replaced` says
    so) and counted, not answered 200 with its first decision while B's stays the latest."""
    api, keys = keyed
    _, b_secret = create_key(api.store, "acme", now_utc())
    a_headers, b_headers = bearer(keys["acme"]), bearer(b_secret)
    assert api.verify(photos(("first.jpg", jpeg(1))), {"claim_id": "c-abab"}, headers=a_headers).status_code == 200
    sent = {"outcome": "genuine", "note": "refund"}
    first = api.client.post("/v1/claims/c-abab/outcome", json=sent, headers=a_headers).json()
    assert api.client.post("/v1/claims/c-abab/outcome", json={"outcome": "fraud"}, headers=b_headers).status_code == 200
    again = api.client.post("/v1/claims/c-abab/outcome", json=sent, headers=a_headers)
    assert again.status_code == 200 and again.json()["replaced"] == "fraud"
    assert again.json()["decision_id"] > first["decision_id"]
    with api.store.sessions() as session:
        assert session.scalars(select(OutcomeRow.decision).order_by(OutcomeRow.id)).all() == [
            "genuine",
            "fraud",
            "genuine",
        ]
    [item] = api.client.get("/v1/claims", headers=b_headers).json()["items"]
    assert item["outcome"] == "genuine"


def test_a_retry_with_its_idempotency_key_after_another_keys_decision_is_answered_as_the_first(
    keyed: tuple[Api, dict[str, str]],
) -> None:
    """Key A decides with an Idempotency-Key, key B decides otherwise, then A's client retries (its
    answer was lost): answered as the first time, nothing recorded, B's the latest. The key sent
    with another decision, or for another claim, is a 409 in one line (zh too), nothing recorded."""
    api, keys = keyed
    _, b_secret = create_key(api.store, "acme", now_utc())
    a_headers, b_headers = bearer(keys["acme"]), bearer(b_secret)
    keyed_a = a_headers | {"Idempotency-Key": "decide-c-abba-1"}
    for claim_id in ("c-abba", "c-other"):
        assert api.verify(photos(("first.jpg", jpeg(1))), {"claim_id": claim_id}, headers=a_headers).status_code == 200
    sent = {"outcome": "genuine", "note": "refund"}
    first = api.client.post("/v1/claims/c-abba/outcome", json=sent, headers=keyed_a)
    other = api.client.post("/v1/claims/c-abba/outcome", json={"outcome": "fraud"}, headers=b_headers)
    assert first.status_code == other.status_code == 200 and other.json()["replaced"] == "genuine"
    retry = api.client.post("/v1/claims/c-abba/outcome", json=sent, headers=keyed_a)
    assert retry.status_code == 200 and retry.json() == first.json()
    changed = api.client.post("/v1/claims/c-abba/outcome", json={"outcome": "fraud"}, headers=keyed_a)
    assert changed.status_code == 409 and changed.json()["detail"].startswith("Idempotency-Key was already used")
    elsewhere = api.client.post(
        "/v1/claims/c-other/outcome", json=sent, headers=keyed_a | {"Accept-Language": "zh"}
    )
    assert elsewhere.status_code == 409 and "\n" not in elsewhere.json()["detail"] and "键" in elsewhere.json()["detail"]
    with api.store.sessions() as session:
        assert session.scalars(select(OutcomeRow.decision).order_by(OutcomeRow.id)).all() == ["genuine", "fraud"]
    latest = {item["claim_id"]: item["outcome"] for item in api.client.get("/v1/claims", headers=b_headers).json()["items"]}
    assert latest == {"c-abba": "fraud", "c-other": None}


def test_an_api_client_sending_the_decision_it_saw_is_told_who_decided_meanwhile(
    keyed: tuple[Api, dict[str, str]],
) -> None:
    """`seen`: the decision_id a client read. Another key deciding since is a 409 naming that
    decision and its key, nothing recorded; the client that read it decides again knowingly. A
    client sending no `seen` replaces whatever is latest, as before."""
    api, keys = keyed
    b_id, b_secret = create_key(api.store, "acme", now_utc())
    a, b = bearer(keys["acme"]), bearer(b_secret)
    assert api.verify(photos(("first.jpg", jpeg(1))), {"claim_id": "c-seen"}, headers=a).status_code == 200
    [unread] = api.client.get("/v1/claims", headers=a).json()["items"]
    assert (unread["outcome"], unread["decision_id"]) == (None, None)
    outcome = "/v1/claims/c-seen/outcome"
    first = api.client.post(outcome, json={"outcome": "genuine", "seen": 0}, headers=a).json()
    [read] = api.client.get("/v1/claims", headers=a).json()["items"]
    assert read["decision_id"] == first["decision_id"]
    meanwhile = api.client.post(outcome, json={"outcome": "fraud", "seen": first["decision_id"]}, headers=b).json()

    late = api.client.post(outcome, json={"outcome": "genuine", "note": "refund", "seen": read["decision_id"]}, headers=a)
    assert late.status_code == 409, late.text
    told = late.json()
    assert told["decided_by"] == {"key": b_id, "via": "api"}
    assert (told["outcome"], told["decision_id"]) == ("fraud", meanwhile["decision_id"])
    assert told["decided_at"] == meanwhile["decided_at"]  # written as the 200 wrote it
    assert "\n" not in told["detail"] and f"seen {meanwhile['decision_id']}" in told["detail"]
    zh = api.client.post(outcome, json={"outcome": "genuine", "seen": 0}, headers={**a, "Accept-Language": "zh"})
    assert zh.status_code == 409 and "理赔" in zh.json()["detail"]
    with api.store.sessions() as session:
        assert session.scalars(select(OutcomeRow.decision).order_by(OutcomeRow.id)).all() == ["genuine", "fraud"]

    # Having read it, the client decides again on purpose (its own earlier decision, not a retry).
    knowing = api.client.post(outcome, json={"outcome": "genuine", "seen": meanwhile["decision_id"]}, headers=a)
    assert knowing.status_code == 200 and knowing.json()["replaced"] == "fraud"
    # No `seen`: as before, the latest replaced whoever recorded it (B's own earlier fraud or not).
    blind = api.client.post(outcome, json={"outcome": "fraud"}, headers=b)
    assert blind.status_code == 200 and blind.json()["replaced"] == "genuine"
    assert blind.json()["decision_id"] > knowing.json()["decision_id"]


def test_seen_naming_a_decision_on_an_undecided_claim_is_told_it_has_none(api: Api) -> None:
    assert api.verify(photos(("first.jpg", jpeg(1))), {"claim_id": "c-none"}).status_code == 200
    answer = api.client.post("/v1/claims/c-none/outcome", json={"outcome": "fraud", "seen": 7})
    assert answer.status_code == 409
    assert answer.json() == {
        "detail": "claim 'c-none' has no decision yet, so none is 7: send seen 0; nothing recorded",
        "outcome": None,
        "decided_at": None,
        "decided_by": None,
        "decision_id": None,
    }
    for malformed in (-1, True, "0", 0.0):
        refused = api.client.post("/v1/claims/c-none/outcome", json={"outcome": "fraud", "seen": malformed})
        assert refused.status_code == 422 and "\n" not in refused.json()["detail"], (malformed, refused.text)
    assert api.client.get("/v1/claims").json()["items"][0]["outcome"] is None


def test_a_retry_of_a_decision_sent_with_seen_is_answered_as_the_first_not_told_it_decided_itself(
    keyed: tuple[Api, dict[str, str]],
) -> None:
    api, keys = keyed
    _, b_secret = create_key(api.store, "acme", now_utc())
    a, b = bearer(keys["acme"]), bearer(b_secret)
    assert api.verify(photos(("first.jpg", jpeg(1))), {"claim_id": "c-seen-retry"}, headers=a).status_code == 200
    outcome = "/v1/claims/c-seen-retry/outcome"
    sent = {"outcome": "fraud", "note": "same photo as c-9", "seen": 0}
    first = api.client.post(outcome, json=sent, headers=a)
    retry = api.client.post(outcome, json=sent, headers=a)
    assert first.status_code == retry.status_code == 200 and retry.json() == first.json()
    # Once another key decided after it, the same request is a 409 naming that decision.
    other = api.client.post(outcome, json={"outcome": "genuine", "seen": first.json()["decision_id"]}, headers=b)
    late = api.client.post(outcome, json=sent, headers=a)
    assert late.status_code == 409 and late.json()["decision_id"] == other.json()["decision_id"]
    with api.store.sessions() as session:
        assert session.scalars(select(OutcomeRow.decision).order_by(OutcomeRow.id)).all() == ["fraud", "genuine"]
