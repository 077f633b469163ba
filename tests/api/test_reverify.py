"""POST /v1/claims/{id}/reverify and `evidence-check reverify`: a claim's kept photos analysed again
against today's catalog; retention deletes the files and then the claim cannot be verified again."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import pytest
from typer.testing import CliRunner

from evidence_check import intake, service
from evidence_check.cli import app
from evidence_check.engine import now_utc
from evidence_check.service import Reverified, reverify_claim, reverify_keys
from evidence_check.settings import Settings
from evidence_check.store import Store
from evidence_check.store.webhooks import deliveries, set_webhook
from tests.api.conftest import Api, bearer, jpeg, make_api, photos


def _relevance(body: dict) -> str:
    return body["images"][0]["checks"]["relevance"]["code"]


def test_a_claim_verified_again_sees_todays_catalog(keyed: tuple[Api, dict[str, str]]) -> None:
    api, keys = keyed
    acme = bearer(keys["acme"])
    first = api.verify(photos(("bag.jpg", jpeg(1))), {"claim_id": "c-r", "sku": "BAG-1"}, headers=acme).json()
    assert _relevance(first) == "relevance.no_catalog"
    added = api.client.post(
        "/v1/catalog/BAG-1/images", files=[("images", ("front.jpg", jpeg(2, (640, 480)), "image/jpeg"))], headers=acme
    )
    assert added.status_code == 201, added.text
    # A retry answers the stored report; reverify analyses again.
    retry = api.verify(photos(("bag.jpg", jpeg(1))), {"claim_id": "c-r", "sku": "BAG-1"}, headers=acme).json()
    assert _relevance(retry) == "relevance.no_catalog"
    again = api.client.post("/v1/claims/c-r/reverify", headers=acme)
    assert again.status_code == 200, again.text
    body = again.json()
    assert _relevance(body) != "relevance.no_catalog"
    assert body["images"][0]["image_id"] == first["images"][0]["image_id"]
    assert body["timeline"] == first["timeline"] and body["sku"] == "BAG-1"
    # Its own photo, recorded with the claim, is not reused from itself.
    assert body["images"][0]["checks"]["reuse"]["status"] == "pass"
    history = api.client.get("/v1/claims/c-r/reports", headers=acme).json()
    assert len(history) == 2 and history[-1] == body
    # Its sentences follow Accept-Language, as GET /v1/claims/{id} does, not the claim's first request.
    chinese = api.client.post("/v1/claims/c-r/reverify", headers={**acme, "Accept-Language": "zh"}).json()
    assert chinese["reasons"] == api.client.get("/v1/claims/c-r", headers={**acme, "Accept-Language": "zh"}).json()["reasons"]
    assert chinese["reasons"] != body["reasons"] and all(not r.isascii() for r in chinese["reasons"])
    assert api.client.post("/v1/claims/c-r/reverify", headers=bearer(keys["globex"])).status_code == 404
    assert api.client.post("/v1/claims/nobody/reverify", headers=acme).status_code == 404


def test_retention_deletes_the_files_and_then_reverify_says_so(api: Api) -> None:
    assert api.verify(photos(("a.jpg", jpeg(3))), {"claim_id": "c-old"}).status_code == 200
    cli = CliRunner()
    assert cli.invoke(app, ["reverify", "c-old", "--json", "--db", api.store.url]).exit_code == 0
    forgot = cli.invoke(app, ["reuse", "forget-features", "--older-than", "0", "--db", api.store.url])
    assert forgot.exit_code == 0 and "and 1 photo file(s)" in forgot.stdout
    gone = api.client.post("/v1/claims/c-old/reverify")
    assert gone.status_code == 409 and "no longer kept" in gone.json()["detail"]
    refused = cli.invoke(app, ["reverify", "c-old", "--db", api.store.url])
    assert refused.exit_code == 1 and "no longer kept" in refused.output and "Traceback" not in refused.output
    assert cli.invoke(app, ["reverify", "nobody", "--db", api.store.url]).exit_code == 1


def test_the_command_lines_reverify_retried_after_retention_prints_the_first_report(api: Api) -> None:
    """A key's retry is answered from the store before a photo is read: retention deleting the files
    in between leaves the script its first report (exit 0), as the API's route answers it; a run
    without the key is still told the files are gone."""
    zh = {"Accept-Language": "zh"}
    assert api.verify(photos(("a.jpg", jpeg(3))), {"claim_id": "c-kept"}, headers=zh).status_code == 200
    cli, db = CliRunner(), ["--db", api.store.url]
    first = cli.invoke(app, ["reverify", "c-kept", "--json", "--idempotency-key", "nightly-1", *db])
    assert first.exit_code == 0, first.output
    assert cli.invoke(app, ["reuse", "forget-features", "--older-than", "0", *db]).exit_code == 0
    again = cli.invoke(app, ["reverify", "c-kept", "--json", "--idempotency-key", "nightly-1", *db])
    assert again.exit_code == 0 and json.loads(again.output) == json.loads(first.output), again.output
    as_text = cli.invoke(app, ["reverify", "c-kept", "--idempotency-key", "nightly-1", *db])
    assert as_text.exit_code == 0 and "售后申请" in as_text.output, as_text.output
    unkeyed = cli.invoke(app, ["reverify", "c-kept", *db])
    assert unkeyed.exit_code == 1 and "no longer kept" in unkeyed.output
    assert len(api.client.get("/v1/claims/c-kept/reports").json()) == 2


def test_photo_files_are_not_kept_when_the_setting_says_so(store) -> None:  # type: ignore[no-untyped-def]
    from tests.api.conftest import make_api

    for quiet in make_api(store, keep_photo_files=False):
        assert quiet.verify(photos(("a.jpg", jpeg(4))), {"claim_id": "c-nokeep"}).status_code == 200
        assert quiet.count("photo_files") == 0
        assert quiet.client.post("/v1/claims/c-nokeep/reverify").status_code == 409


def test_a_reverify_retried_with_its_idempotency_key_is_recorded_and_announced_once(api: Api) -> None:
    set_webhook(api.store, "default", "http://127.0.0.1:9/hook", "whsec_reverify", now_utc)
    assert api.verify(photos(("a.jpg", jpeg(5))), {"claim_id": "c-k"}).status_code == 200
    key = {"Idempotency-Key": "reverify-1"}
    first = api.client.post("/v1/claims/c-k/reverify", headers=key)
    retry = api.client.post("/v1/claims/c-k/reverify", headers={**key, "Accept-Language": "zh"})
    assert first.status_code == retry.status_code == 200, retry.text
    assert retry.json()["created_at"] == first.json()["created_at"]
    assert retry.json()["reasons"] != first.json()["reasons"]  # the stored report, in the asker's language
    assert len(api.client.get("/v1/claims/c-k/reports").json()) == 2
    announced = [d.event for d in deliveries(api.store, "default").items]
    assert announced.count("claim.verified") == 2  # the verify's and the first reverify's
    # The key sent with another request is refused, whichever route it comes to; nothing is recorded.
    assert api.verify(photos(("b.jpg", jpeg(6))), {"claim_id": "c-k2"}).status_code == 200
    other_claim = api.client.post("/v1/claims/c-k2/reverify", headers={**key, "Accept-Language": "zh"})
    assert other_claim.status_code == 409 and not other_claim.json()["detail"].isascii()
    assert api.verify(photos(("c.jpg", jpeg(7))), {"claim_id": "c-k3"}, headers=key).status_code == 409
    assert len(api.client.get("/v1/claims/c-k2/reports").json()) == 1
    # Without a key each reverify is a new report, as it was.
    assert api.client.post("/v1/claims/c-k/reverify").status_code == 200
    assert len(api.client.get("/v1/claims/c-k/reports").json()) == 3


def test_the_routes_reverify_retry_reads_no_claim_language_and_the_command_line_prints_in_it(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The API answers in the asker's language: a replay has no use for the claim's."""
    assert api.verify(photos(("a.jpg", jpeg(12))), {"claim_id": "c-lang"}, headers={"Accept-Language": "zh"}).status_code == 200
    key = {"Idempotency-Key": "lang-1"}
    assert api.client.post("/v1/claims/c-lang/reverify", headers=key).status_code == 200
    read: list[str] = []
    real_sent_fields = service.sent_fields

    def watched_sent_fields(store: Store, tenant: str, claim_id: str) -> dict[str, Any] | None:
        read.append(claim_id)
        return real_sent_fields(store, tenant, claim_id)

    monkeypatch.setattr(service, "sent_fields", watched_sent_fields)
    retry = api.client.post("/v1/claims/c-lang/reverify", headers=key)
    assert retry.status_code == 200 and retry.json()["reasons"][0].isascii()
    assert read == []
    printed = CliRunner().invoke(app, ["reverify", "c-lang", "--idempotency-key", "lang-1", "--db", api.store.url])
    assert printed.exit_code == 0 and not printed.output.isascii()  # the claim's zh, read for the print
    assert read == ["c-lang"]


def test_a_reverify_key_sent_before_with_another_request_is_worded_for_a_reverify(api: Api) -> None:
    """The 409 line of a verify names "other photos or fields", which a reverify sends none of: its
    client, which reused a key for another claim or after a verify, would look for a photo it changed."""
    for claim, seed in (("c-r1", 8), ("c-r2", 9)):
        assert api.verify(photos(("a.jpg", jpeg(seed))), {"claim_id": claim}).status_code == 200
    key = {"Idempotency-Key": "reused-1"}
    assert api.client.post("/v1/claims/c-r1/reverify", headers=key).status_code == 200
    assert api.verify(photos(("b.jpg", jpeg(10))), {"claim_id": "c-r3"}, headers={"Idempotency-Key": "verify-1"}).status_code == 200
    for sent in (key, {"Idempotency-Key": "verify-1"}):
        lines = {}
        for lang in ("en", "zh"):
            answered = api.client.post("/v1/claims/c-r2/reverify", headers={**sent, "Accept-Language": lang})
            assert answered.status_code == 409
            lines[lang] = answered.json()["detail"]
        assert lines == {
            "en": "Idempotency-Key was already used for another request (a verify, or another claim's reverify);"
            " use a new key",
            "zh": "Idempotency-Key 已用于另一个请求（一次 verify，或另一理赔的 reverify）；请使用新的键",
        }
    assert len(api.client.get("/v1/claims/c-r2/reports").json()) == 1


def test_the_command_lines_reverify_retried_with_its_key_prints_the_first_report_and_records_once(api: Api) -> None:
    """A script that lost `reverify`'s answer (a dropped ssh session) runs it again with its key: the
    report the first run recorded, nothing recorded again; the API's key is the same request."""
    assert api.verify(photos(("a.jpg", jpeg(1))), {"claim_id": "c-cli"}).status_code == 200
    assert api.verify(photos(("b.jpg", jpeg(2))), {"claim_id": "c-cli2"}).status_code == 200
    cli, db = CliRunner(), ["--db", api.store.url]
    first = cli.invoke(app, ["reverify", "c-cli", "--json", "--idempotency-key", "nightly-c-cli", *db])
    assert first.exit_code == 0, first.output
    again = cli.invoke(app, ["reverify", "c-cli", "--json", "--idempotency-key", "nightly-c-cli", *db])
    assert again.exit_code == 0 and json.loads(again.output) == json.loads(first.output)
    over_http = api.client.post("/v1/claims/c-cli/reverify", headers={"Idempotency-Key": "nightly-c-cli"})
    assert over_http.status_code == 200 and over_http.json()["created_at"] == json.loads(first.output)["created_at"]
    assert len(api.client.get("/v1/claims/c-cli/reports").json()) == 2  # the verify's and one reverify's
    other = cli.invoke(app, ["reverify", "c-cli2", "--idempotency-key", "nightly-c-cli", *db])
    assert other.exit_code == 2 and other.output.strip() == (
        "evidence-check: --idempotency-key was already used for another request (a verify, or another claim's "
        "reverify); use a new key"
    )
    # A trailing line feed too: a key name stored with it would split from its digest in `request_key`.
    for malformed in ("two words", "nightly-c-cli\n"):
        spaced = cli.invoke(app, ["reverify", "c-cli", "--idempotency-key", malformed, *db])
        assert spaced.exit_code == 2 and spaced.output.startswith("evidence-check: --idempotency-key: must be 1-255")
    assert len(api.client.get("/v1/claims/c-cli2/reports").json()) == 1
    # Without a key each run is a new report, as before.
    assert cli.invoke(app, ["reverify", "c-cli", *db]).exit_code == 0
    assert len(api.client.get("/v1/claims/c-cli/reports").json()) == 3


def test_a_keyed_retry_is_answered_from_the_store_without_taking_the_analysis_gate(api: Api) -> None:
    """The API's gate bounds the claims read and analysed at once: a retry reads no photo, so it
    must not wait there behind other claims' analyses. One rule for the route and the command line."""
    assert api.verify(photos(("a.jpg", jpeg(11))), {"claim_id": "c-gate"}, headers={"Accept-Language": "zh"}).status_code == 200
    entered: list[str] = []

    @contextmanager
    def gate() -> Iterator[None]:
        entered.append("c-gate")
        yield

    keys = reverify_keys("c-gate", "gate-1")
    reverified = [
        reverify_claim(api.store, "default", "c-gate", settings=Settings(), now=now_utc(), request_keys=keys, gate=gate())
        for _ in range(2)
    ]
    assert entered == ["c-gate"]  # the first analysed inside the gate, the retry answered outside it
    first, retry = reverified
    assert first is not None and retry is not None
    assert retry.body == first.body and (first.lang, retry.lang) == ("zh", None)  # a replay reads no language
    assert len(api.client.get("/v1/claims/c-gate/reports").json()) == 2


class _WatchedGate:
    """The API's gate, watched: how often it was taken, and whether it is held now."""

    def __init__(self) -> None:
        self.taken = 0
        self.held = False

    def __enter__(self) -> None:
        self.taken += 1
        self.held = True

    def __exit__(self, *exc: object) -> None:
        self.held = False


def test_the_routes_reverify_reads_and_analyses_the_photos_inside_the_gate_and_answers_its_retry_outside(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The route hands its gate in: the kept photos are read and analysed while it is held (the bound
    on the memory a burst takes), and a keyed retry, which reads none, does not queue for it."""
    assert api.verify(photos(("a.jpg", jpeg(12))), {"claim_id": "c-held"}).status_code == 200
    gate = _WatchedGate()
    monkeypatch.setattr(api.client.app.state, "gate", gate)  # type: ignore[attr-defined]
    read_or_analysed: list[tuple[str, bool]] = []

    def watched(name: str) -> Any:
        original = getattr(service, name)

        def called(*args: Any, **kwargs: Any) -> Any:
            read_or_analysed.append((name, gate.held))
            return original(*args, **kwargs)

        return called

    for name in ("kept_claim", "verify_claim"):
        monkeypatch.setattr(service, name, watched(name))
    key = {"Idempotency-Key": "held-1"}
    first, retry = (api.client.post("/v1/claims/c-held/reverify", headers=key) for _ in range(2))
    assert first.status_code == retry.status_code == 200 and retry.json() == first.json()
    assert read_or_analysed == [("kept_claim", True), ("verify_claim", True)] and gate.taken == 1
    assert len(api.client.get("/v1/claims/c-held/reports").json()) == 2


def test_one_key_sent_twice_at_once_records_one_report(api: Api) -> None:
    """Two first requests with one key, both past the store's replay before either records (the
    gate lets them in together): the second to record answers the first's report, nothing twice."""
    set_webhook(api.store, "default", "http://127.0.0.1:9/hook", "whsec_reverify", now_utc)
    assert api.verify(photos(("a.jpg", jpeg(13))), {"claim_id": "c-race"}).status_code == 200
    together = threading.Barrier(2)

    @contextmanager
    def gate() -> Iterator[None]:
        together.wait(timeout=60)
        yield

    keys = reverify_keys("c-race", "race-1")
    answers: list[Reverified | None] = []

    def reverify() -> None:
        answers.append(
            reverify_claim(api.store, "default", "c-race", settings=Settings(), now=now_utc(), request_keys=keys, gate=gate())
        )

    threads = [threading.Thread(target=reverify) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(answers) == 2 and all(answer is not None for answer in answers)
    first, second = (answer.body for answer in answers if answer is not None)
    assert first == second
    assert len(api.client.get("/v1/claims/c-race/reports").json()) == 2  # the verify's and one reverify's
    announced = [d.event for d in deliveries(api.store, "default").items]
    assert announced.count("claim.verified") == 2


def _regions(body: dict) -> list[list[int] | None]:
    return [image["checks"]["location"]["details"].get("region") for image in body["images"]]


@pytest.mark.parametrize(
    ("first_photos", "first_region", "retake_region", "reverified"),
    [
        # A retake sent without a region: the first photo keeps the one drawn on it.
        (("tear.jpg",), "10,20,30,40", None, [[10, 20, 30, 40], None]),
        # The region named the second photo of the first request.
        (("front.jpg", "tear.jpg"), "2:10,20,30,40", None, [None, [10, 20, 30, 40], None]),
        # A retake with a region of its own (its photo 1): judged on the retake, not on the claim's photo 1.
        (("tear.jpg",), "10,20,30,40", "5,6,20,21", [[10, 20, 30, 40], [5, 6, 20, 21]]),
        # Only the retake was given a region.
        (("tear.jpg",), None, "5,6,20,21", [None, [5, 6, 20, 21]]),
    ],
)
def test_reverify_judges_each_photo_with_the_region_it_was_given(
    api: Api,
    first_photos: tuple[str, ...],
    first_region: str | None,
    retake_region: str | None,
    reverified: list[list[int] | None],
) -> None:
    """The region belongs to the photo it was drawn on (issue #23 point 5), through the challenge's
    retake and a reverify of the claim's photos together."""
    first = {"claim_id": "c-reg", **({"region": first_region} if first_region else {})}
    sent = api.verify(photos(*((name, jpeg(20 + n)) for n, name in enumerate(first_photos))), first)
    assert sent.status_code == 200, sent.text
    assert api.client.post("/v1/claims/c-reg/challenge").status_code == 200
    retake = {"claim_id": "c-reg", **({"region": retake_region} if retake_region else {})}
    answered = api.verify(photos(("retake.jpg", jpeg(30))), retake)
    assert answered.status_code == 200, answered.text
    assert _regions(answered.json()) == [reverified[-1]]
    again = api.client.post("/v1/claims/c-reg/reverify")
    assert again.status_code == 200, again.text
    assert [image["filename"] for image in again.json()["images"]] == [*first_photos, "retake.jpg"]
    assert _regions(again.json()) == reverified
    # Verified again, it keeps them: a reverify records the regions it judged with.
    assert _regions(api.client.post("/v1/claims/c-reg/reverify").json()) == reverified


def test_the_command_lines_retake_and_reverify_keep_the_first_photos_region(api: Api, tmp_path: Any) -> None:
    cli, db = CliRunner(), ["--db", api.store.url]
    (tmp_path / "tear.jpg").write_bytes(jpeg(40))
    (tmp_path / "retake.jpg").write_bytes(jpeg(41))
    first = cli.invoke(app, ["verify", str(tmp_path / "tear.jpg"), "--claim-id", "c-cli", "--region", "10,20,30,40", *db])
    assert first.exit_code == 0, first.output
    assert cli.invoke(app, ["challenge", "c-cli", *db]).exit_code == 0
    retake = cli.invoke(app, ["verify", str(tmp_path / "retake.jpg"), "--claim-id", "c-cli", "--json", *db])
    assert retake.exit_code == 0, retake.output
    again = cli.invoke(app, ["reverify", "c-cli", "--json", *db])
    assert again.exit_code == 0, again.output
    assert _regions(json.loads(again.stdout)) == [[10, 20, 30, 40], None]


def test_a_claim_recorded_before_photos_kept_their_regions_is_judged_by_its_latest_region(api: Api) -> None:
    """Its fields hold the latest request's region alone, read on that request's numbering as before;
    verified again, its photos' regions are recorded from then on."""
    from sqlalchemy import select

    from evidence_check.store.database import PHOTO_REGIONS
    from evidence_check.store.tables import ClaimRow

    sent = api.verify(photos(("tear.jpg", jpeg(50))), {"claim_id": "c-old-reg", "region": "10,20,30,40"})
    assert sent.status_code == 200, sent.text
    with api.store.sessions.begin() as session:
        row = session.scalars(select(ClaimRow).where(ClaimRow.claim_id == "c-old-reg")).one()
        assert row.fields[PHOTO_REGIONS] == {sent.json()["images"][0]["image_id"]: [10, 20, 30, 40]}
        row.fields = {name: value for name, value in row.fields.items() if name != PHOTO_REGIONS}
    assert _regions(api.client.post("/v1/claims/c-old-reg/reverify").json()) == [[10, 20, 30, 40]]
    assert api.verify(photos(("retake.jpg", jpeg(51))), {"claim_id": "c-old-reg"}).status_code == 200
    assert _regions(api.client.post("/v1/claims/c-old-reg/reverify").json()) == [[10, 20, 30, 40], None]


def test_a_claim_recorded_before_photos_kept_their_regions_keeps_its_region_through_a_retake(api: Api) -> None:
    """A claim verified before the upgrade, its retake sent after: the first request it is sent with
    records the region its fields held where a reverify would have judged it (the claim's photos in
    order), so the retake does not erase it."""
    from sqlalchemy import select

    from evidence_check.store.database import PHOTO_REGIONS
    from evidence_check.store.tables import ClaimRow

    sent = api.verify(photos(("front.jpg", jpeg(52)), ("tear.jpg", jpeg(53))), {"claim_id": "c-old", "region": "2:10,20,30,40"})
    assert sent.status_code == 200, sent.text
    with api.store.sessions.begin() as session:
        row = session.scalars(select(ClaimRow).where(ClaimRow.claim_id == "c-old")).one()
        row.fields = {name: value for name, value in row.fields.items() if name != PHOTO_REGIONS}
    assert api.verify(photos(("retake.jpg", jpeg(54))), {"claim_id": "c-old"}).status_code == 200
    assert _regions(api.client.post("/v1/claims/c-old/reverify").json()) == [None, [10, 20, 30, 40], None]


@pytest.mark.parametrize(
    ("taken_back", "reverified"),
    [
        # The first photo's region taken back by sending that photo again; the second keeps its own.
        ("none", [None, [1, 2, 30, 40]]),
        # The second photo's (N:none names it among the photos sent now); the first keeps its own.
        ("2:NONE", [[10, 20, 30, 40], None]),
    ],
)
def test_a_region_drawn_on_the_wrong_photo_can_be_taken_back(
    api: Api, taken_back: str, reverified: list[list[int] | None]
) -> None:
    """Sent again without a region, a photo keeps the one drawn on it (a retake must not erase it); sent
    with `region=none` it loses it, in this report, the claim's record and every reverify after."""
    front, tear = ("front.jpg", jpeg(60)), ("tear.jpg", jpeg(61))
    assert api.verify(photos(front), {"claim_id": "c-back", "region": "10,20,30,40"}).status_code == 200
    assert api.verify(photos(tear), {"claim_id": "c-back", "region": "1,2,30,40"}).status_code == 200
    kept = api.verify(photos(front, tear), {"claim_id": "c-back"})
    assert kept.status_code == 200, kept.text
    assert _regions(api.client.post("/v1/claims/c-back/reverify").json()) == [[10, 20, 30, 40], [1, 2, 30, 40]]
    sent = api.verify(photos(front, tear), {"claim_id": "c-back", "region": taken_back})
    assert sent.status_code == 200, sent.text
    assert _regions(sent.json()) == [None, None]
    assert _regions(api.client.post("/v1/claims/c-back/reverify").json()) == reverified
    assert _regions(api.client.post("/v1/claims/c-back/reverify").json()) == reverified


def test_taking_back_a_region_names_a_photo_of_the_request(api: Api) -> None:
    assert api.verify(photos(("a.jpg", jpeg(62))), {"claim_id": "c-back2", "region": "10,20,30,40"}).status_code == 200
    for region, detail in (
        ("2:none", "region: names photo 2, but the claim has 1"),
        ("0:none", "region: region's photo number counts from 1, got '0:none'"),
        ("x:none", "region: region's photo number must be a whole number (N:X,Y,W,H), got 'x:none'"),
    ):
        refused = api.verify(photos(("a.jpg", jpeg(62))), {"claim_id": "c-back2", "region": region})
        assert (refused.status_code, refused.json()["detail"]) == (422, detail)
    # Refused, it took nothing back.
    assert _regions(api.client.post("/v1/claims/c-back2/reverify").json()) == [[10, 20, 30, 40]]


def test_the_command_line_takes_a_region_back(api: Api, tmp_path: Any) -> None:
    cli, db = CliRunner(), ["--db", api.store.url]
    (tmp_path / "tear.jpg").write_bytes(jpeg(63))
    tear = str(tmp_path / "tear.jpg")
    assert cli.invoke(app, ["verify", tear, "--claim-id", "c-cli-back", "--region", "10,20,30,40", *db]).exit_code == 0
    sent = cli.invoke(app, ["verify", tear, "--claim-id", "c-cli-back", "--region", "none", "--json", *db])
    assert sent.exit_code == 0, sent.output
    again = cli.invoke(app, ["reverify", "c-cli-back", "--json", *db])
    assert again.exit_code == 0, again.output
    assert _regions(json.loads(again.stdout)) == [None]


def test_a_photo_without_a_region_names_every_photo_of_the_claim_that_carries_one(api: Api) -> None:
    """Regions drawn on photos 1 and 3 of the claim over two requests: verified again, photo 2 says both."""
    assert api.verify(photos(("a.jpg", jpeg(64))), {"claim_id": "c-many", "region": "1,1,9,9"}).status_code == 200
    sent = api.verify(photos(("b.jpg", jpeg(65)), ("c.jpg", jpeg(66))), {"claim_id": "c-many", "region": "2:2,2,9,9"})
    assert sent.status_code == 200, sent.text
    body = api.client.post("/v1/claims/c-many/reverify").json()
    second = body["images"][1]["checks"]["location"]
    assert (second["details"]["region_on_photo"], second["details"]["regions_on_photos"]) == (1, [1, 3])
    assert second["summary"] == "No problem region is marked on this photo, only on photos 1 and 3; a photo is judged by its own region only."
    chinese = api.client.get("/v1/claims/c-many", headers={"Accept-Language": "zh"}).json()
    assert chinese["images"][1]["checks"]["location"]["summary"] == "本照片未标注问题区域，仅第 1、3 张照片有标注；每张照片只按其自身的标注区域判断。"


def test_a_claim_holds_a_bounded_number_of_photos_however_many_requests_send_it_new_ones(
    store: Store, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    """A client sending one claim new photos request after request (each with a region) would grow its
    photos, its record of regions and a reverify's work without end: past the bound it is refused in
    one line and nothing is recorded; photos the claim holds already may be sent again (a region moved
    or taken back), and an analysis that records nothing is not bounded."""
    monkeypatch.setattr(intake, "CLAIM_PHOTOS_LARGEST", 3)
    for api in make_api(store, max_photos=2):
        a, b, c, d = (("a.jpg", jpeg(70)), ("b.jpg", jpeg(71)), ("c.jpg", jpeg(72)), ("d.jpg", jpeg(73)))
        assert api.verify(photos(a, b), {"claim_id": "c-full", "region": "1,1,9,9"}).status_code == 200
        refused = api.verify(photos(c, d), {"claim_id": "c-full", "region": "2:1,1,9,9"})
        assert (refused.status_code, refused.json()) == (
            422,
            {"detail": "claim 'c-full' holds 2 photos and this request adds 2: a claim holds at most 3 "
             "(verifying it again analyses them all); start a new claim"},
        )  # fmt: skip
        chinese = api.verify(photos(c, d), {"claim_id": "c-full"}, headers={"Accept-Language": "zh"})
        assert chinese.json()["detail"].startswith("理赔 'c-full' 已有 2 张照片，本次请求再添加 2 张")
        assert api.count("photos") == 2 and len(api.client.get("/v1/claims/c-full/reports").json()) == 1
        assert api.verify(photos(a, c), {"claim_id": "c-full", "region": "2:2,2,9,9"}).status_code == 200
        assert api.verify(photos(a, b), {"claim_id": "c-full", "region": "none"}).status_code == 200
        assert api.verify(photos(d), {"claim_id": "c-full", "record": "false"}).status_code == 200
        assert api.verify(photos(d), {"claim_id": "c-full"}).status_code == 422
        assert api.verify(photos(d), {"claim_id": "c-other"}).status_code == 200
        again = api.client.post("/v1/claims/c-full/reverify").json()
        assert [image["filename"] for image in again["images"]] == ["a.jpg", "b.jpg", "c.jpg"]
        assert _regions(again) == [None, None, [2, 2, 9, 9]]
    # The command line holds the claim to the same bound, with a usage error's status.
    monkeypatch.setenv("EVIDENCE_CHECK_MAX_PHOTOS", "2")
    (tmp_path / "d.jpg").write_bytes(jpeg(73))
    cli, db = CliRunner(), ["--db", store.url]
    full = cli.invoke(app, ["verify", str(tmp_path / "d.jpg"), "--claim-id", "c-full", *db])
    assert full.exit_code == 2 and full.stderr.strip().startswith("evidence-check: claim 'c-full' holds 3 photos")
    assert len(full.stderr.strip().splitlines()) == 1
    analysed = cli.invoke(app, ["verify", str(tmp_path / "d.jpg"), "--claim-id", "c-full", "--no-record", *db])
    assert analysed.exit_code == 0, analysed.output


def test_requests_sent_to_one_claim_at_once_hold_it_to_its_bound(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """A hostile client sending one claim ten requests at once, a new photo each: every one of them found
    the claim short of its bound before analysing, so the bound must hold where the photos are recorded,
    each request in turn. Exactly as many as fit are recorded, whole; the others are refused whole."""
    monkeypatch.setattr(intake, "CLAIM_PHOTOS_LARGEST", 3)
    start = threading.Barrier(10)
    for api in make_api(store, max_photos=2, api_max_parallel=10):

        def send(n: int, api: Api = api) -> Any:
            start.wait()
            return api.verify(photos((f"p{n}.jpg", jpeg(80 + n))), {"claim_id": "c-rush", "region": "1,1,9,9"})

        with ThreadPoolExecutor(10) as pool:
            answers = list(pool.map(send, range(10)))
        assert api.count("claims") == 1
        assert sorted(a.status_code for a in answers) == [200] * 3 + [422] * 7, [a.text for a in answers]
        refused = [a.json()["detail"] for a in answers if a.status_code == 422]
        assert all(d.startswith("claim 'c-rush' holds 3 photos and this request adds 1") for d in refused), refused
        assert (api.count("photos"), api.count("reports")) == (3, 3)
        kept = {a.json()["images"][0]["image_id"] for a in answers if a.status_code == 200}
        again = api.client.post("/v1/claims/c-rush/reverify").json()
        assert {image["image_id"] for image in again["images"]} == kept
        assert _regions(again) == [[1, 1, 9, 9]] * 3


def test_the_command_line_refuses_in_one_line_a_claim_filled_while_its_photos_were_analysed(
    store: Store, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    """Another request filled the claim after `verify` found it short: refused as the bound says (status 2,
    one line), not a traceback, and nothing recorded."""
    monkeypatch.setattr(intake, "CLAIM_PHOTOS_LARGEST", 1)
    monkeypatch.setenv("EVIDENCE_CHECK_MAX_PHOTOS", "1")
    for name, seed in (("a.jpg", 90), ("b.jpg", 91)):
        (tmp_path / name).write_bytes(jpeg(seed))
    cli, db = CliRunner(), ["--db", store.url]
    assert cli.invoke(app, ["verify", str(tmp_path / "a.jpg"), "--claim-id", "c-raced", *db]).exit_code == 0
    monkeypatch.setattr("evidence_check.cli.verify.claim_image_ids", lambda *_: set())  # read before the other
    full = cli.invoke(app, ["verify", str(tmp_path / "b.jpg"), "--claim-id", "c-raced", *db])
    assert (full.exit_code, full.stderr.strip().splitlines()) == (
        2,
        ["evidence-check: claim 'c-raced' holds 1 photos and this request adds 1: a claim holds at most 1 "
         "(verifying it again analyses them all); start a new claim"],
    ), full.output  # fmt: skip
    again = cli.invoke(app, ["reverify", "c-raced", "--json", *db])
    assert [image["filename"] for image in json.loads(again.stdout)["images"]] == ["a.jpg"]


def test_a_request_past_a_full_claims_bound_is_refused_before_its_photos_are_analysed(
    store: Store, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    """The bound is held where the photos are recorded, but a claim known full is refused before any
    photo is analysed (the API, the console's form and the command line): a hostile client's requests
    cost no analysis."""
    monkeypatch.setattr(intake, "CLAIM_PHOTOS_LARGEST", 1)
    monkeypatch.setenv("EVIDENCE_CHECK_MAX_PHOTOS", "1")
    analysed = []
    real = service.verify
    monkeypatch.setattr(service, "verify", lambda *args, **kwargs: analysed.append(1) or real(*args, **kwargs))
    for api in make_api(store, max_photos=1):
        assert api.verify(photos(("a.jpg", jpeg(92))), {"claim_id": "c-known-full"}).status_code == 200
        assert api.verify(photos(("b.jpg", jpeg(93))), {"claim_id": "c-known-full"}).status_code == 422
    (tmp_path / "c.jpg").write_bytes(jpeg(94))
    full = CliRunner().invoke(app, ["verify", str(tmp_path / "c.jpg"), "--claim-id", "c-known-full", "--db", store.url])
    assert full.exit_code == 2
    assert len(analysed) == 1
