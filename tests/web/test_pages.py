"""The console's pages in the loopback trial: the queue, a new claim, a report with its actions, 中文."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from api import upload
from api.web import claims, routes
from evidence_check.engine import now_utc
from evidence_check.store.claim_files import sent_fields
from evidence_check.store.outcomes import DecidedBy, RecordedOutcome, latest_decision, record_outcome
from evidence_check.store.webhooks import deliveries, set_webhook
from tests.api.conftest import CLAIM, LOCAL, LOOPBACK, Api, jpeg, photos
from tests.seeded_claims import seed
from tests.web.conftest import csrf_of

DAY = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _rows(page: str, section: str) -> list[str]:
    """The claim ids listed in one section of the queue, in order."""
    part = page.split(f'id="s-{section}"', 1)[1].split("</section>", 1)[0]
    return re.findall(r'<a href="/claims/[^"]+">([^<]+)</a>', part)


def test_the_queue_puts_claims_to_review_first_then_the_rest_newest_first(api: Api) -> None:
    seed(api.store, "default", "c-old-accept", "accept", DAY)
    seed(api.store, "default", "c-review", "review", DAY + timedelta(hours=1))
    seed(api.store, "default", "c-reject", "reject", DAY + timedelta(hours=2))
    seed(api.store, "default", "c-new-accept", "accept", DAY + timedelta(hours=3))
    page = api.client.get("/").text
    assert _rows(page, "needs_review") == ["c-review"]
    assert _rows(page, "other_claims") == ["c-new-accept", "c-reject", "c-old-accept"]
    strongest = api.client.get("/v1/claims/c-reject").json()["reasons"][0]
    assert html.escape(strongest, quote=False) in page and "Not decided" in page


def test_the_queue_filters_by_verdict_search_and_dates_in_the_agents_zone(api: Api) -> None:
    seed(api.store, "default", "c-1", "reject", DAY, customer_id="alice", sku="BAG-001")
    seed(api.store, "default", "c-2", "accept", DAY + timedelta(days=1), customer_id="bob", sku="CUP-7")
    seed(api.store, "default", "c-3", "reject", DAY + timedelta(days=2), customer_id="bob", sku="BAG-001")
    assert _rows(api.client.get("/", params={"verdict": "reject"}).text, "results") == ["c-3", "c-1"]
    assert _rows(api.client.get("/", params={"verdict": "reject", "q": "ALICE"}).text, "results") == ["c-1"]
    by_sku = api.client.get("/", params={"q": "bag-0"}).text
    assert _rows(by_sku, "other_claims") == ["c-3", "c-1"]
    # 2026-12-02 01:00 in Shanghai is 2026-12-01 17:00 UTC: c-1 (09:00 UTC on the 1st) is before it.
    api.client.cookies.set("ec_tz", "Asia%2FShanghai")  # as the page's script writes it
    dated = api.client.get("/", params={"since": "2026-12-02", "until": "2026-12-02"}).text
    assert _rows(dated, "other_claims") == ["c-2"]
    assert "2026-12-02 17:00" in dated  # c-2's time, written in the agent's zone
    bad = api.client.get("/", params={"since": "yesterday"})
    assert bad.status_code == 200 and "not a date" in bad.text


def test_the_queue_reads_a_day_in_the_agents_zone_as_that_days_instants(api: Api) -> None:
    # 20:00 UTC on the 1st is 04:00 on the 2nd in Shanghai; SQLite compared the day's start (00:00 +08:00)
    # with the stored UTC text as if it were UTC, and left the claim out.
    seed(api.store, "default", "c-late", "accept", datetime(2026, 12, 1, 20, 0, tzinfo=UTC))
    api.client.cookies.set("ec_tz", "Asia%2FShanghai")
    assert _rows(api.client.get("/", params={"since": "2026-12-02"}).text, "other_claims") == ["c-late"]
    assert _rows(api.client.get("/", params={"until": "2026-12-01"}).text, "other_claims") == []


@pytest.mark.parametrize("bounds", [{"until": "9999-12-31"}, {"since": "0001-01-01", "until": "9999-12-31"}])
def test_the_queue_takes_the_first_and_last_days_a_date_can_name(api: Api, bounds: dict[str, str]) -> None:
    seed(api.store, "default", "c-1", "accept", DAY)
    api.client.cookies.set("ec_tz", "America%2FNew_York")
    answer = api.client.get("/", params=bounds)
    assert answer.status_code == 200  # the day after 9999-12-31 was an OverflowError: a 500
    assert _rows(answer.text, "other_claims") == ["c-1"]


def test_the_queue_pages_each_section_by_its_own_cursor(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(routes, "PAGE", 2)
    for n in range(5):
        seed(api.store, "default", f"c-{n}", "accept" if n % 2 else "reject", DAY + timedelta(hours=n))
    seen: list[str] = []
    url: str | None = "/"
    while url is not None:
        page = api.client.get(url).text
        seen += _rows(page, "other_claims")
        older = re.search(r'id="s-other_claims".*?<a href="([^"]+)">Older claims', page, re.S)
        url = older.group(1).replace("&amp;", "&") if older else None
    assert seen == ["c-4", "c-3", "c-2", "c-1", "c-0"]
    assert "cursor: not one" in api.client.get("/", params={"cursor": "garbage"}).text


def test_a_claim_made_through_the_form_is_verified_and_shown(api: Api) -> None:
    token = csrf_of(api.client.get("/new-claim").text)
    answer = api.client.post(
        "/new-claim",
        files=photos(("front.jpg", jpeg(1)), ("back.jpg", jpeg(2))),
        data={**CLAIM, "csrf": token, "claim_id": "c-form", "customer_id": "u-7", "region": "10,10,50,40"},
        follow_redirects=False,
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/claims/c-form"
    report = api.client.get("/v1/claims/c-form").json()
    assert [image["filename"] for image in report["images"]] == ["front.jpg", "back.jpg"]
    assert report["images"][0]["checks"]["location"]["details"]["region"] == [10, 10, 50, 40]
    page = api.client.get("/claims/c-form").text
    assert report["verdict_basis"]["summary"] in page
    assert page.index(report["verdict_basis"]["summary"]) < page.index(report["reasons"][0])
    assert "front.jpg" in page and "back.jpg" in page
    printable = api.client.get("/claims/c-form/print")
    assert printable.status_code == 200 and "<h1>c-form" in printable.text
    # The same page as the API's: the marked region drawn on the front photo only.
    assert printable.text.count("data:image/png;base64,") == 1
    # It loads, runs and frames nothing, as the console's other pages: all it shows is inline.
    policy = printable.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy and "script" not in policy
    assert printable.headers["x-frame-options"] == "DENY" and "<script" not in printable.text
    assert all(url.startswith("data:") for url in re.findall(r'(?:src|href)="([^"]*)"', printable.text))
    assert _rows(api.client.get("/").text, "needs_review" if report["verdict"] == "review" else "other_claims") == [
        "c-form"
    ]


def test_the_form_takes_back_a_region_drawn_on_the_wrong_photo(api: Api) -> None:
    """The agent sends the photo again under the claim's id with `none` typed for the region: the
    claim's record forgets it, so a reverify judges the photo without it; the form says how."""
    page = api.client.get("/new-claim").text
    assert "none takes back the box sent before with that photo" in html.unescape(page)
    for region in ("10,10,50,40", "none"):
        answer = api.client.post(
            "/new-claim",
            files=photos(("front.jpg", jpeg(1))),
            data={**CLAIM, "csrf": csrf_of(api.client.get("/new-claim").text), "claim_id": "c-back", "region": region},
            follow_redirects=False,
        )
        assert answer.status_code == 303, answer.text
    again = api.client.post("/v1/claims/c-back/reverify").json()
    assert "region" not in again["images"][0]["checks"]["location"]["details"]


def test_a_wrong_field_gives_the_form_back_with_the_reason_and_the_fields_kept(api: Api) -> None:
    token = csrf_of(api.client.get("/new-claim").text)
    answer = api.client.post(
        "/new-claim",
        files=photos(("a.jpg", jpeg(1))),
        data={"csrf": token, "customer_id": "u-7", "ordered_at": "last tuesday"},
    )
    assert answer.status_code == 422
    assert "ordered_at" in answer.text and 'value="u-7"' in answer.text
    unreadable = api.client.post(
        "/new-claim", files=[("photos", ("x.jpg", b"not a photo", "image/jpeg"))], data={"csrf": token}
    )
    assert unreadable.status_code == 422 and "no photo could be read" in unreadable.text
    assert api.count("claims") == 0


def test_dates_in_the_wrong_order_are_said_by_the_forms_names_in_the_agents_zone_and_language(api: Api) -> None:
    token = csrf_of(api.client.get("/new-claim").text)
    api.client.cookies.set("ec_tz", "Asia%2FShanghai")
    sent = {"csrf": token, "tz": "Asia/Shanghai", "ordered_at": "2026-11-20T10:00", "delivered_at": "2026-11-10T10:00"}
    english = api.client.post("/new-claim", files=photos(("a.jpg", jpeg(1))), data=sent)
    assert english.status_code == 422
    assert "Delivered (2026-11-10 10:00) is before Ordered (2026-11-20 10:00): check the dates." in english.text
    api.client.get("/lang", params={"to": "zh", "next": "/"})
    chinese = api.client.post("/new-claim", files=photos(("a.jpg", jpeg(1))), data=sent)
    assert "签收时间（2026-11-10 10:00）早于下单时间（2026-11-20 10:00），请检查日期。" in chinese.text
    assert "delivered_at" not in chinese.text.split('id="form-error"')[1].split("</p>")[0]
    assert api.count("claims") == 0


def test_a_retake_keeps_the_claims_zone_and_reads_a_typed_date_in_the_forms_zone(api: Api) -> None:
    """A retake (a recorded claim's id) keeps the claim's zone; a date-time typed on the form is read
    in the zone the form shows (its `tz`), and is stored with that offset."""
    first = api.verify(photos(("a.jpg", jpeg(1))), {"claim_id": "c-retake", "tz": "America/New_York"})
    assert first.status_code == 200, first.text
    token = csrf_of(api.client.get("/new-claim").text)
    sent = {"csrf": token, "claim_id": "c-retake", "tz": "Asia/Shanghai", "claimed_at": "2026-11-20T10:00"}
    again = api.client.post("/new-claim", files=photos(("b.jpg", jpeg(2))), data=sent, follow_redirects=False)
    assert again.status_code == 303, again.text
    kept = sent_fields(api.store, "default", "c-retake")
    assert kept is not None and kept["time_zone"] == "America/New_York"
    assert kept["timeline"]["ordered_at"] == "2026-11-10T10:00:00-05:00"
    assert kept["timeline"]["claimed_at"] == "2026-11-20T10:00:00+08:00"

def test_the_same_form_sent_twice_is_one_claim(api: Api) -> None:
    """A double click or a resend, with no claim id typed: one claim, not a second one whose photo
    is then found 'already sent' in the first."""
    form = api.client.get("/new-claim").text
    fields = dict(re.findall(r'<input type="hidden" name="(csrf|form_id)" value="([^"]*)"', form))
    assert set(fields) == {"csrf", "form_id"}
    sent = [
        api.client.post(
            "/new-claim", files=photos(("a.jpg", jpeg(3))), data={**fields, "customer_id": "u-1"}, follow_redirects=False
        )
        for _ in range(2)
    ]
    assert [answer.status_code for answer in sent] == [303, 303]
    assert sent[0].headers["location"] == sent[1].headers["location"]
    assert api.count("claims") == 1
    # The same form changed and sent again is not taken for the first one: the form comes back.
    changed = api.client.post(
        "/new-claim", files=photos(("b.jpg", jpeg(4))), data={**fields, "customer_id": "u-1"}, follow_redirects=False
    )
    assert changed.status_code == 409 and "This form was sent before" in changed.text
    assert csrf_of(changed.text) and fields["form_id"] not in changed.text
    assert api.count("claims") == 1
    # Each form drawn is a new one.
    other = dict(re.findall(r'name="(form_id)" value="([^"]*)"', api.client.get("/new-claim").text))
    assert other["form_id"] != fields["form_id"]


def test_the_forms_wait_for_an_upload_slot_as_the_api_does(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """The console's forms read their bodies under the API's `UPLOADS_IN_FLIGHT`: with every slot
    taken, a form gets its page back with the one-line reason (503) and nothing is recorded."""
    token = csrf_of(api.client.get("/new-claim").text)
    monkeypatch.setattr(upload, "SLOT_WAIT_SECONDS", 0.05)
    monkeypatch.setattr(api.client.app.state, "uploads", upload.UploadSlots(0, 1))  # type: ignore[attr-defined]
    answer = api.client.post("/new-claim", files=photos(("a.jpg", jpeg(1))), data={**CLAIM, "csrf": token})
    assert answer.status_code == 503 and "too many uploads in progress" in answer.text
    assert 'name="csrf"' in answer.text  # the form itself, to send again
    preview = api.client.post("/claims/preview", files={"photo": ("a.jpg", jpeg(1))}, data={"csrf": token})
    assert preview.status_code == 503 and "too many uploads" in preview.text
    assert api.verify(photos(("a.jpg", jpeg(1)))).status_code == 503
    assert api.count("claims") == 0


def test_the_report_page_issues_a_challenge_and_records_an_outcome(api: Api) -> None:
    seed(api.store, "default", "c-1", "review", DAY)
    token = csrf_of(api.client.get("/claims/c-1").text)
    issued = api.client.post("/claims/c-1/challenge", data={"csrf": token})
    assert issued.status_code == 200
    code = re.search(r'<p class="code"[^>]*>(\w+)</p>', issued.text)
    assert code is not None and len(code.group(1)) == api.client.app.state.settings.challenge_length  # type: ignore[attr-defined]
    decided = api.client.post("/claims/c-1/outcome", data={"csrf": token, "decision": "fraud", "note": "same bag as c-0"})
    assert decided.status_code == 200 and "Outcome recorded: Fraud" in decided.text
    assert "replaces" not in decided.text
    again = api.client.post("/claims/c-1/outcome", data={"csrf": token, "decision": "genuine"})
    assert "Outcome recorded: Genuine — it replaces the earlier decision (Fraud)" in again.text
    stats = api.client.get("/v1/stats").json()
    assert (stats["decided"], stats["genuine"]) == (1, 1)
    assert re.search(r"c-1</a>.*?Genuine", api.client.get("/").text, re.S)
    assert api.count("challenges") == 1


def test_a_decision_from_the_console_is_announced_with_its_id(api: Api) -> None:
    """The console decides through the API's own path: its decision queues a `claim.outcome` event,
    whose `decision_id` is the row's, for a receiver to send as `seen`."""
    set_webhook(api.store, "default", "http://127.0.0.1:9/hook", "whsec_console", now_utc)
    seed(api.store, "default", "c-1", "review", DAY)
    token = csrf_of(api.client.get("/claims/c-1").text)
    assert api.client.post("/claims/c-1/outcome", data={"csrf": token, "decision": "fraud"}).status_code == 200
    latest = latest_decision(api.store, "default", "c-1")
    [announced] = [d.payload for d in deliveries(api.store, "default").items if d.event == "claim.outcome"]
    assert latest is not None and announced["decision_id"] == latest.id
    assert announced["decided_by"] == {"key": None, "via": "console"}


def test_a_decision_recorded_while_another_agent_had_the_page_open_is_shown_not_replaced(api: Api) -> None:
    """Two agents open the claim; the first records fraud, the second (not knowing) chooses genuine:
    the second is shown the first one's decision, with their own note kept, and replaces it only by
    choosing again. In the trial nobody has a key: the console names nobody, and does not say
    "another agent" to one who may be the same agent in another browser."""
    seed(api.store, "default", "c-1", "review", DAY)
    first_page = api.client.get("/claims/c-1").text
    other_agent = TestClient(api.client.app, base_url=LOCAL, client=LOOPBACK)  # a browser of its own
    second_page = other_agent.get("/claims/c-1").text
    sent = _outcome_form(second_page, "genuine", "customer sounded honest")
    assert sent["csrf"] != csrf_of(first_page)
    api.client.post("/claims/c-1/outcome", data=_outcome_form(first_page, "fraud", "same bag as c-0"))
    late = other_agent.post("/claims/c-1/outcome", data=sent)
    assert late.status_code == 409
    assert "Not recorded: Fraud was recorded at" in late.text and "another agent" not in late.text
    assert "you recorded" not in late.text and "Note: same bag as c-0" in late.text
    assert ">customer sounded honest</textarea>" in late.text


def _outcome_form(page: str, decision: str, note: str) -> dict[str, str]:
    seen = re.search(r'name="seen_decision" value="(\d+)"', page)
    assert seen is not None, "the outcome form says which decision the page showed"
    return {"csrf": csrf_of(page), "decision": decision, "note": note, "seen_decision": seen.group(1)}


def test_a_decision_the_same_agent_recorded_in_another_tab_is_said_to_be_theirs(api: Api) -> None:
    """One agent, the claim open in two tabs: deciding in the second after the first is told that it
    was their own decision, in another tab, not another agent's."""
    seed(api.store, "default", "c-1", "review", DAY)
    first_page = api.client.get("/claims/c-1").text
    second_page = api.client.get("/claims/c-1").text
    sent = _outcome_form

    first = api.client.post("/claims/c-1/outcome", data=sent(first_page, "fraud", "same bag as c-0"))
    assert "Outcome recorded: Fraud" in first.text
    late = api.client.post("/claims/c-1/outcome", data=sent(second_page, "genuine", "customer sounded honest"))
    assert late.status_code == 409
    assert "you recorded Fraud at" in late.text and "in another tab" in late.text and "another agent" not in late.text
    assert "Note: same bag as c-0" in late.text and ">customer sounded honest</textarea>" in late.text
    with api.store.sessions() as session:
        assert session.scalars(text("SELECT decision FROM outcomes")).all() == ["fraud"]
    # Chosen again from the page that showed the first decision: recorded, saying what it replaces.
    again = api.client.post("/claims/c-1/outcome", data=sent(late.text, "genuine", "customer sounded honest"))
    assert "Outcome recorded: Genuine — it replaces the earlier decision (Fraud)" in again.text
    assert api.count("outcomes") == 2
    zh = api.client.post(
        "/claims/c-1/outcome", data=sent(first_page, "fraud", ""), headers={"Accept-Language": "zh"}
    )
    assert zh.status_code == 409 and "您已在本会话的另一个标签页中" in zh.text and "“属实”" in zh.text


def test_a_decision_recorded_just_after_the_page_was_checked_is_still_not_replaced(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other agent's decision lands between the console's look at the latest decision and its
    own insert (two clicks at once): judged apart from the insert, it was replaced unawares."""
    seed(api.store, "default", "c-1", "review", DAY)
    page = api.client.get("/claims/c-1").text
    seen = re.search(r'name="seen_decision" value="(\d+)"', page)
    assert seen is not None and seen.group(1) == "0"

    decide = claims.decide

    def decided_by_another_first(*args: Any, **kwargs: Any) -> RecordedOutcome:
        record_outcome(api.store, "default", "c-1", "fraud", "same bag as c-0", now_utc, by=DecidedBy("cli"))
        return decide(*args, **kwargs)

    monkeypatch.setattr(claims, "decide", decided_by_another_first)
    sent = {"csrf": csrf_of(page), "decision": "genuine", "note": "honest", "seen_decision": seen.group(1)}
    late = api.client.post("/claims/c-1/outcome", data=sent)
    assert late.status_code == 409 and "Fraud was recorded at" in late.text and "you recorded" not in late.text
    with api.store.sessions() as session:
        assert session.scalars(text("SELECT decision FROM outcomes")).all() == ["fraud"]


def test_a_challenge_is_answered_with_the_claims_page_so_a_reload_keeps_its_code(api: Api) -> None:
    seed(api.store, "default", "c-1", "review", DAY)
    token = csrf_of(api.client.get("/claims/c-1").text)
    issued = api.client.post("/claims/c-1/challenge", data={"csrf": token}, follow_redirects=False)
    assert issued.status_code == 303, issued.text
    page = issued.headers["location"]
    assert page.startswith("/claims/c-1?")
    codes = [re.findall(r'<p class="code"[^>]*>(\w+)</p>', api.client.get(page).text) for _ in range(2)]
    assert len(codes[0]) == 1 and codes[0] == codes[1]
    # The language switch on that page comes back to the same code, not to a claim "c-1/challenge".
    switched = api.client.get("/lang", params={"to": "zh", "next": page})
    assert switched.status_code == 200 and re.findall(r'<p class="code"[^>]*>(\w+)</p>', switched.text) == codes[0]
    assert api.count("challenges") == 1
    # Without having just issued one, the page shows no code.
    assert 'class="code"' not in api.client.get("/claims/c-1").text


def test_a_full_note_with_line_breaks_is_recorded_as_the_browser_counted_it(api: Api) -> None:
    """The textarea's maxlength=2000 counts a line break as one character; the form sends it as CRLF."""
    seed(api.store, "default", "c-1", "review", DAY)
    token = csrf_of(api.client.get("/claims/c-1").text)
    assert 'maxlength="2000"' in api.client.get("/claims/c-1").text
    typed = "\n".join(["the customer called twice"] * 80)[:2000]
    sent = typed.replace("\n", "\r\n")
    assert len(sent) > 2000
    decided = api.client.post("/claims/c-1/outcome", data={"csrf": token, "decision": "genuine", "note": sent})
    assert decided.status_code == 200 and "Outcome recorded: Genuine" in decided.text
    with api.store.sessions() as session:
        assert session.scalar(text("SELECT note FROM outcomes")) == typed


def test_the_report_shows_the_last_decisions_note_escaped(api: Api) -> None:
    """The next agent to open the claim reads why it was decided; a note is text, never markup."""
    seed(api.store, "default", "c-1", "review", DAY)
    token = csrf_of(api.client.get("/claims/c-1").text)
    note = "<script>alert(1)</script> same bag as <b>c-0</b>"
    api.client.post("/claims/c-1/outcome", data={"csrf": token, "decision": "fraud", "note": note})
    page = api.client.get("/claims/c-1").text
    assert "Note: &lt;script&gt;alert(1)&lt;/script&gt; same bag as &lt;b&gt;c-0&lt;/b&gt;" in page
    assert "<script>alert" not in page and "<b>c-0" not in page
    api.client.post("/claims/c-1/outcome", data={"csrf": token, "decision": "genuine", "note": ""})
    assert "same bag as" not in api.client.get("/claims/c-1").text  # the latest decision's, not an earlier one's


def test_a_claim_verified_again_shows_its_history(api: Api) -> None:
    seed(api.store, "default", "c-1", "review", DAY)
    seed(api.store, "default", "c-1", "accept", DAY + timedelta(days=1))
    page = api.client.get("/claims/c-1").text
    bases = {report["verdict_basis"]["summary"] for report in api.client.get("/v1/claims/c-1/reports").json()}
    [basis] = bases  # the same photo twice: the same basis, shown once for each report
    assert "Report history" in page and page.count(html.escape(basis, quote=False)) == 2


def test_chinese_pages_say_everything_in_chinese(api: Api) -> None:
    seed(api.store, "default", "c-1", "review", DAY - timedelta(days=3))
    api.client.get("/lang", params={"to": "zh", "next": "/"})
    queue = api.client.get("/").text
    assert '<html lang="zh-Hans">' in queue
    for label in ("售后申请", "待人工审核", "人工审核", "未处理", "天前", "搜索"):
        assert label in queue, label
    assert "Needs review" not in queue and " days" not in queue
    report = api.client.get("/claims/c-1").text
    for label in ("发出补拍验证码", "记录处理结果", "属实", "欺诈", "理由"):
        assert label in report, label
    assert "新建申请" in api.client.get("/new-claim").text
    # The switch goes back, and a link elsewhere is never followed.
    back = api.client.get("/lang", params={"to": "en", "next": "https://elsewhere.example/"}, follow_redirects=False)
    assert back.headers["location"] == "/"


def test_the_catalog_page_lists_skus_with_image_counts(api: Api) -> None:
    added = api.client.post(
        "/v1/catalog/BAG-001/images", files=[("images", ("bag.jpg", jpeg(5, (640, 480)), "image/jpeg"))]
    )
    assert added.status_code == 201, added.text
    page = api.client.get("/catalog").text
    assert re.search(r"<td><a href=\"/catalog/BAG-001\">BAG-001</a></td>.*?<td class=\"num\">1</td>", page, re.S)


def test_the_stylesheet_and_script_are_served_by_the_app(api: Api) -> None:
    css = api.client.get("/static/console.css")
    assert css.status_code == 200 and '"Noto Sans CJK SC"' in css.text
    assert re.search(r"font-family:[^;]*\bsans-serif;", css.text)
    assert api.client.get("/static/console.js").status_code == 200
    page = api.client.get("/").text
    assert not re.search(r'(src|href)="(https?:)?//', page), "a page asks for something off this server"


def test_a_reused_photo_links_to_the_earlier_claim(api: Api) -> None:
    photo = jpeg(7, (640, 480))
    for claim_id, customer in (("c-first", "alice"), ("c-second", "bob")):
        answer = api.verify(photos((f"{claim_id}.jpg", photo)), {"claim_id": claim_id, "customer_id": customer})
        assert answer.status_code == 200, answer.text
    assert '<a href="/claims/c-first">' in api.client.get("/claims/c-second").text
    assert '<a href="/claims/c-second">' not in api.client.get("/claims/c-second").text
    # The first claim's photo was new then: it links to nothing.
    assert "→ c-" not in api.client.get("/claims/c-first").text


@pytest.mark.parametrize("seen", ["7", "not-a-number"])
def test_a_form_naming_a_decision_the_claim_never_had_is_refused_with_a_line_saying_so(api: Api, seen: str) -> None:
    """No browser sends it (the page's own form names the decision it showed): a hand-made form is told
    in one line why nothing was recorded, en and zh, its note kept; the claim stays undecided."""
    seed(api.store, "default", "c-1", "review", DAY)
    sent = {**_outcome_form(api.client.get("/claims/c-1").text, "fraud", "made by hand"), "seen_decision": seen}
    refused = api.client.post("/claims/c-1/outcome", data=sent)
    assert refused.status_code == 409 and "the form named a decision this claim never had" in refused.text
    assert ">made by hand</textarea>" in refused.text
    zh = api.client.post("/claims/c-1/outcome", data=sent, headers={"Accept-Language": "zh"})
    assert zh.status_code == 409 and "表单所指的决定在此索赔中并不存在" in zh.text
    assert api.count("outcomes") == 0


def test_a_seeded_claim_is_read_and_acted_on_by_every_claim_route_as_a_verified_one(api: Api) -> None:
    """`seed` records what a verify records: the API's reads of the claim answer as for a real one
    (its report was too thin for `GET /v1/claims/{id}`: a 500 there and in the history)."""
    seed(api.store, "default", "c-seeded", "reject", DAY, customer_id="alice", sku="BAG-001")
    latest = api.client.get("/v1/claims/c-seeded")
    assert latest.status_code == 200, latest.text
    assert (latest.json()["verdict"], latest.json()["customer_id"]) == ("reject", "alice")
    [image] = latest.json()["images"]
    assert set(image["checks"]) == {"timestamp", "reuse", "relevance", "location", "integrity"}
    history = api.client.get("/v1/claims/c-seeded/reports")
    assert history.status_code == 200 and [r["verdict"] for r in history.json()] == ["reject"]
    drawn = api.client.get("/v1/claims/c-seeded/photos/1/annotated.png")
    assert drawn.status_code == 200 and drawn.headers["content-type"] == "image/png"
    again = api.client.post("/v1/claims/c-seeded/reverify")
    assert again.status_code == 200 and again.json()["claim_id"] == "c-seeded", again.text
    assert api.client.get("/claims/c-seeded").status_code == 200


def test_every_private_console_answer_says_no_store_once_and_its_files_keep_their_caching(api: Api) -> None:
    token = csrf_of(api.client.get("/new-claim").text)
    api.client.post(
        "/new-claim",
        files=photos(("front.jpg", jpeg(1))),
        data={**CLAIM, "csrf": token, "claim_id": "c-form", "customer_id": "u-7"},
        follow_redirects=False,
    )
    image_id = api.client.get("/v1/claims/c-form").json()["images"][0]["image_id"]
    pages = [api.client.get(path) for path in ("/", "/signin", "/new-claim", "/catalog", "/claims/c-form")]
    printable = api.client.get("/claims/c-form/print")
    pictures = [
        api.client.get("/claims/c-form/photos/1/annotated.png"),
        api.client.get(f"/claims/c-form/photos/{image_id}/ela.png"),
        api.client.post("/claims/preview", files={"photo": ("p.jpg", jpeg(3))}, data={"csrf": token}),
    ]
    for answer in [*pages, printable, *pictures]:
        assert answer.status_code == 200, answer.request.url
        assert answer.headers.get_list("cache-control") == ["no-store"], answer.request.url
    assert all(page.headers["x-frame-options"] == "DENY" and "script-src 'self'" in page.headers["content-security-policy"] for page in pages)
    assert printable.headers["x-content-type-options"] == "nosniff" and "default-src 'none'" in printable.headers["content-security-policy"]
    assert all(picture.headers["x-content-type-options"] == "nosniff" for picture in pictures)
    assert api.client.get("/static/console.css").headers.get("cache-control") != "no-store"
    assert api.client.get("/favicon.ico").headers["cache-control"] == "public, max-age=86400"
