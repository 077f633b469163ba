"""A claim's whole life over HTTP, as an intake system drives it, on SQLite and PostgreSQL:
key → catalog import → verify → list and search → challenge → retake → outcome → stats → reverify →
catalog delete → reverify again."""

from __future__ import annotations

from pathlib import Path

import pytest

import api.routes.decisions as decisions
from tests.api.catalog_archives import catalog_zip, send
from tests.api.conftest import Api, bearer, jpeg, photos

RETAKE = Path(__file__).resolve().parents[2] / "fixtures" / "challenge" / "retake_code_WFWXK.jpg"


def test_a_claims_whole_life(keyed: tuple[Api, dict[str, str]], monkeypatch: pytest.MonkeyPatch) -> None:
    api, keys = keyed
    acme = bearer(keys["acme"])

    def ok(answer, status: int = 200):  # type: ignore[no-untyped-def]
        assert answer.status_code == status, answer.text
        return answer.json() if status != 204 else None

    manifest = [{"sku": "BAG-1", "name": "Leather bag", "images": ["front-1.jpg", "front-2.jpg"]}]
    archive = catalog_zip(manifest, {f"front-{n}.jpg": jpeg(n, (640, 480)) for n in (1, 2)})
    imported = ok(send(api, archive, acme))
    assert (imported["skus"], imported["images"]) == (1, 2)
    assert ok(api.client.get("/v1/catalog", headers=acme))["items"][0]["images"] == 2

    first = ok(api.verify(photos(("bag.jpg", jpeg(7))), {"claim_id": "c-j", "sku": "BAG-1", "customer_id": "u-1"}, headers=acme))
    assert first["images"][0]["checks"]["relevance"]["code"] != "relevance.no_catalog"
    assert [i["claim_id"] for i in ok(api.client.get("/v1/claims", params={"q": "u-1"}, headers=acme))["items"]] == ["c-j"]
    verdict = first["verdict"]
    listed = ok(api.client.get("/v1/claims", params={"verdict": verdict}, headers=acme))["items"]
    assert [i["claim_id"] for i in listed] == ["c-j"]

    monkeypatch.setattr(decisions, "new_code", lambda length: "WFWXK")
    assert ok(api.client.post("/v1/claims/c-j/challenge", headers=acme))["code"] == "WFWXK"
    retake = [("photos", (RETAKE.name, RETAKE.read_bytes(), "image/jpeg"))]
    after_retake = ok(api.verify(retake, {"claim_id": "c-j", "sku": "BAG-1", "customer_id": "u-1"}, headers=acme))
    assert "challenge" in {name for image in after_retake["images"] for name in image["checks"]}

    ok(api.client.post("/v1/claims/c-j/outcome", json={"outcome": "genuine", "note": "retake fine"}, headers=acme))
    stats = ok(api.client.get("/v1/stats", headers=acme))
    assert (stats["decided"], stats["genuine"]) == (1, 1)

    again = ok(api.client.post("/v1/claims/c-j/reverify", headers=acme))
    assert {i["filename"] for i in again["images"]} == {"bag.jpg", RETAKE.name}
    ok(api.client.delete("/v1/catalog/BAG-1", headers=acme), 204)
    without = ok(api.client.post("/v1/claims/c-j/reverify", headers=acme))
    assert {i["checks"]["relevance"]["code"] for i in without["images"]} == {"relevance.no_catalog"}
    history = ok(api.client.get("/v1/claims/c-j/reports", headers=acme))
    assert len(history) == 4 and history[-1] == without
    [item] = ok(api.client.get("/v1/claims", headers=acme))["items"]
    assert (item["reports"], item["photos"], item["outcome"]) == (4, 2, "genuine")
    # Nothing of it is another tenant's.
    globex = bearer(keys["globex"])
    assert ok(api.client.get("/v1/claims", headers=globex))["items"] == []
    assert api.client.post("/v1/claims/c-j/reverify", headers=globex).status_code == 404
