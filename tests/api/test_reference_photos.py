"""Stock and review photos over HTTP: listed (paged, by kind), deleted — and a deleted one no longer
makes a claim's photo a reused stock photo. One tenant's only."""

from __future__ import annotations

from tests.api.conftest import Api, bearer, jpeg, photos


def test_reference_photos_are_listed_and_deleted(keyed: tuple[Api, dict[str, str]]) -> None:
    api, keys = keyed
    acme, globex = bearer(keys["acme"]), bearer(keys["globex"])
    stock = jpeg(21, (640, 480))
    for kind, seed in (("stock", 0), ("review", 22), ("review", 23)):
        data = stock if seed == 0 else jpeg(seed, (640, 480))
        files = [("images", (f"{kind}-{seed}.jpg", data, "image/jpeg"))]
        assert api.client.post("/v1/stock", params={"kind": kind}, files=files, headers=acme).status_code == 201

    first = api.client.get("/v1/stock", params={"limit": 2}, headers=acme).json()
    second = api.client.get("/v1/stock", params={"limit": 2, "cursor": first["next_cursor"]}, headers=acme).json()
    assert [p["filename"] for p in first["items"] + second["items"]] == ["review-23.jpg", "review-22.jpg", "stock-0.jpg"]
    assert second["next_cursor"] is None
    reviews = api.client.get("/v1/stock", params={"kind": "review"}, headers=acme).json()["items"]
    assert {p["kind"] for p in reviews} == {"review"} and len(reviews) == 2
    assert api.client.get("/v1/stock", headers=globex).json()["items"] == []
    assert api.client.get("/v1/stock", params={"cursor": "bad"}, headers=acme).status_code == 422

    def reuse(claim_id: str) -> str:
        body = api.verify(photos(("sent.jpg", stock)), {"claim_id": claim_id}, headers=acme).json()
        return str(body["images"][0]["checks"]["reuse"]["code"])

    assert reuse("c-1") == "reuse.stock_photo"
    image_id = first["items"][-1]["image_id"] if first["items"][-1]["kind"] == "stock" else second["items"][-1]["image_id"]
    assert api.client.delete(f"/v1/stock/{image_id}", headers=globex).status_code == 404
    assert api.client.delete(f"/v1/stock/{image_id}", headers=acme).status_code == 204
    assert api.client.delete(f"/v1/stock/{image_id}", headers=acme).status_code == 404
    assert api.client.delete("/v1/stock/not-a-sha", headers=acme).status_code == 422
    assert reuse("c-2") != "reuse.stock_photo"
    assert [p["kind"] for p in api.client.get("/v1/stock", headers=acme).json()["items"]] == ["review", "review"]


def test_a_kind_sent_in_the_form_is_refused_not_taken_for_stock(api: Api) -> None:
    files = [("images", ("review.jpg", jpeg(24, (640, 480)), "image/jpeg"))]
    answer = api.client.post("/v1/stock", data={"kind": "review"}, files=files)
    assert answer.status_code == 422 and answer.json()["detail"].startswith("kind: not a field of this request")
    assert api.client.get("/v1/stock").json()["items"] == []



def _add(api: Api, kind: str, name: str, data: bytes, lang: str = "en") -> dict:
    files = [("images", (name, data, "image/jpeg"))]
    answer = api.client.post("/v1/stock", params={"kind": kind}, files=files, headers={"Accept-Language": lang})
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def test_a_review_photo_sent_again_as_stock_stays_one_review_photo_and_the_answer_says_so(api: Api) -> None:
    """One picture, one kind: the merchant told first that it is a buyer's review photo; the same file
    sent as stock (under its name or another) is not stored again, nor counted added, and the answer
    names the kind it is kept as. A claim sending it is told it is a review photo."""
    seen = jpeg(25, (640, 480))
    assert _add(api, "review", "seen.jpg", seen) == {"added": 1, "known": 0, "skipped": [], "known_as_other_kind": []}
    for name in ("seen.jpg", "renamed.jpg"):
        again = _add(api, "stock", name, seen)
        assert (again["added"], again["known"]) == (0, 1)
        [said] = again["known_as_other_kind"]
        assert (said["filename"], said["kind"], said["reference_id"]) == (name, "review", "seen.jpg")
        assert said["note"].startswith(f"{name}: already a review photo (as seen.jpg), not added as a stock photo")
    chinese = _add(api, "stock", "seen.jpg", seen, lang="zh")["known_as_other_kind"][0]["note"]
    assert chinese.startswith("seen.jpg：已是买家评价照片（名为 seen.jpg），未作为图库照片添加"), chinese
    assert [p["kind"] for p in api.client.get("/v1/stock").json()["items"]] == ["review"]
    sent = api.verify(photos(("sent.jpg", seen)), {"claim_id": "c-seen"}).json()
    assert sent["images"][0]["checks"]["reuse"]["code"] == "reuse.review_photo"
    # Where it does not apply: a picture new to the tenant is added, one sent again as its own kind is known quietly.
    other = _add(api, "stock", "other.jpg", jpeg(26, (640, 480)))
    assert (other["added"], other["known_as_other_kind"]) == (1, [])
    assert _add(api, "review", "seen.jpg", seen) == {"added": 0, "known": 1, "skipped": [], "known_as_other_kind": []}
    # To change its kind the merchant deletes it and adds it again.
    image_id = next(p["image_id"] for p in api.client.get("/v1/stock").json()["items"] if p["kind"] == "review")
    assert api.client.delete(f"/v1/stock/{image_id}").status_code == 204
    assert _add(api, "stock", "seen.jpg", seen)["added"] == 1
    assert sorted(p["kind"] for p in api.client.get("/v1/stock").json()["items"]) == ["stock", "stock"]
