"""The retake challenge: codes, finding them in OCR text, and judging photos of a challenged claim."""

from __future__ import annotations

import json
import re
import sqlite3
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select
from typer.testing import CliRunner

from evidence_check.checks.challenge import ALPHABET, find_code, new_code
from evidence_check.cli import app
from evidence_check.engine import Upload
from evidence_check.imaging import ocr
from evidence_check.imaging.ocr import OcrUnavailable, TextPiece, available
from evidence_check.intake import build_claim
from evidence_check.models import Challenge
from evidence_check.service import reverify_claim, verify_claim
from evidence_check.settings import Settings
from evidence_check.store import Store, StoreError, database
from evidence_check.store.challenge_tables import ChallengeRow
from evidence_check.store.outcomes import issue_challenge, open_challenge
from tests.conftest import FIXTURES, ROOT, two_meet_under_the_claim_lock

RETAKE = ROOT / "fixtures" / "challenge" / "retake_code_WFWXK.jpg"
ISSUED = datetime(2026, 11, 16, 4, 0, tzinfo=UTC)
needs_ocr = pytest.mark.skipif(
    not available("rapidocr"), reason="needs rapidocr-onnxruntime (scripts/test.sh installs it)"
)


def pieces(*texts: str) -> list[TextPiece]:
    return [TextPiece(t, 0.9) for t in texts]


def test_without_rapidocr_the_sentence_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """The run lock has no OCR: the `no_ocr` sentence an agent reads names the command that adds it,
    not Python's import error."""
    monkeypatch.setitem(sys.modules, "rapidocr_onnxruntime", None)  # import refused, as when missing
    ocr._rapid_engine.cache_clear()
    try:
        with pytest.raises(OcrUnavailable) as refused:
            ocr.read_text(Image.new("RGB", (64, 64)))
    finally:
        ocr._rapid_engine.cache_clear()
    said = str(refused.value)
    assert "bash scripts/install.sh dev" in said and "OCR_ENGINE=tesseract" in said
    assert "No module named" not in said and "import" not in said


# OCR pieces, code, expected characters misread (None: not found)
FIND_TABLE = [
    ("exact_alone", pieces("K7PXM"), "K7PXM", 0),
    ("lower_case_and_spaces", pieces("k7p xm"), "K7PXM", 0),
    ("among_other_text", pieces("Arla", "milk K7PXM 1L"), "K7PXM", 0),
    ("split_over_two_boxes", pieces("K7P", "XM"), "K7PXM", 0),
    ("one_character_misread", pieces("K7PKM"), "K7PXM", 1),
    ("two_characters_misread", pieces("K1PKM"), "K7PXM", None),
    ("short_code_must_be_exact", pieces("K7PK"), "K7PX", None),
    ("absent", pieces("SOYA", "ORIGINAL"), "K7PXM", None),
    ("nothing_read", [], "K7PXM", None),
]


@pytest.mark.parametrize(
    ("read", "code", "misread"), [r[1:] for r in FIND_TABLE], ids=[r[0] for r in FIND_TABLE]
)
def test_find_code(read: list[TextPiece], code: str, misread: int | None) -> None:
    match = find_code(read, code)
    assert (None if match is None else match.misread) == misread


def test_codes_use_only_the_unambiguous_alphabet() -> None:
    codes = {new_code(5) for _ in range(200)}
    assert len(codes) > 190
    assert all(len(c) == 5 and set(c) <= set(ALPHABET) for c in codes)
    assert not set("0O1IL2Z5S8B6GDQUV") & set(ALPHABET)


def verify(
    store: Store, claim_id: str, *paths: Path, customer: str = "u-1", now: datetime | None = None
) -> dict:
    now = now or ISSUED + timedelta(hours=1)
    claim = build_claim(
        now=now,
        time_zone="UTC",
        ordered_at="2026-11-10",
        delivered_at="2026-11-14",
        claim_id=claim_id,
        customer_id=customer,
    )
    uploads = [Upload(p.name, p.read_bytes()) for p in paths]
    return verify_claim(claim, uploads, settings=Settings(), store=store, now=now).body


def statuses(body: dict) -> dict[str, tuple[str, str]]:
    return {
        i["filename"]: (i["checks"]["challenge"]["status"], i["checks"]["challenge"]["code"])
        for i in body["images"]
    }


def test_when_no_challenge_was_issued_then_reports_have_no_challenge_check(store: Store) -> None:
    body = verify(store, "c-plain", FIXTURES / "no_exif.jpg")
    assert "challenge" not in body["images"][0]["checks"]


@needs_ocr
def test_when_the_retake_shows_the_code_then_the_claim_is_settled(store: Store) -> None:
    verify(store, "c-1", FIXTURES / "no_exif.jpg", now=ISSUED - timedelta(hours=2))
    issue_challenge(store, "default", "c-1", "WFWXK", ISSUED)
    body = verify(store, "c-1", FIXTURES / "no_exif.jpg", RETAKE)
    assert statuses(body) == {
        "no_exif.jpg": ("unknown", "challenge.earlier_photo"),
        RETAKE.name: ("pass", "challenge.code_found"),
    }
    assert body["verdict"] == "accept"
    assert [image["verdict"] for image in body["images"]] == ["accept", "accept"]
    assert body["verdict_basis"]["rule"] == "challenge_passed"
    assert body["provenance"] == ["challenge_passed"]


@needs_ocr
def test_when_the_retake_shows_another_code_then_the_agent_is_asked_again(store: Store) -> None:
    issue_challenge(store, "default", "c-2", "KMNPR", ISSUED)
    body = verify(store, "c-2", RETAKE)
    assert statuses(body) == {RETAKE.name: ("warn", "challenge.not_read")}
    assert body["verdict"] == "review"
    assert "KMNPR" in body["next_steps"][0]


def test_when_the_retake_was_sent_in_another_claim_before_then_it_is_not_fresh(store: Store) -> None:
    verify(store, "c-other", RETAKE, customer="u-9", now=ISSUED - timedelta(days=1))
    issue_challenge(store, "default", "c-3", "WFWXK", ISSUED)
    body = verify(store, "c-3", RETAKE)
    assert statuses(body)[RETAKE.name] == ("fail", "challenge.seen_before")
    assert body["verdict"] == "reject"


@needs_ocr
def test_when_the_retake_was_taken_before_the_challenge_then_it_fails(store: Store) -> None:
    # genuine_after_delivery.jpg was taken 2026-11-15, a day before the challenge was issued.
    issue_challenge(store, "default", "c-4", "WFWXK", ISSUED)
    body = verify(store, "c-4", FIXTURES / "genuine_after_delivery.jpg")
    assert statuses(body)["genuine_after_delivery.jpg"] == ("fail", "challenge.taken_before")


def test_a_challenge_asked_again_before_a_photo_came_is_the_same_one(store: Store) -> None:
    """A client retrying a challenge whose answer it lost must not void the code the customer was
    given: only the latest code is looked for. Once a photo came, asking again gives a new code."""
    verify(store, "c-5", FIXTURES / "no_exif.jpg", now=ISSUED - timedelta(hours=2))
    first = issue_challenge(store, "default", "c-5", "WFWXK", ISSUED)
    again = issue_challenge(store, "default", "c-5", "KMNPR", ISSUED + timedelta(minutes=1))
    assert (again.code, again.issued_at) == ("WFWXK", first.issued_at)
    assert open_challenge(store, "default", "c-5").code == "WFWXK"
    verify(store, "c-5", FIXTURES / "genuine_after_delivery.jpg", now=ISSUED + timedelta(minutes=5))
    after_retake = issue_challenge(store, "default", "c-5", "KMNPR", ISSUED + timedelta(minutes=10))
    assert after_retake.code == "KMNPR" and open_challenge(store, "default", "c-5").code == "KMNPR"


def test_a_report_made_again_from_the_kept_photos_leaves_the_challenge_open(store: Store) -> None:
    """`reverify` records a new report but brings no photo: the customer still holds the first code,
    and so does a retake sending only a photo the claim had before the challenge."""
    verify(store, "c-7", FIXTURES / "no_exif.jpg", now=ISSUED - timedelta(hours=2))
    first = issue_challenge(store, "default", "c-7", "WFWXK", ISSUED)
    assert reverify_claim(store, "default", "c-7", settings=Settings(), now=ISSUED + timedelta(minutes=5))
    verify(store, "c-7", FIXTURES / "no_exif.jpg", now=ISSUED + timedelta(minutes=6))
    again = issue_challenge(store, "default", "c-7", "KMNPR", ISSUED + timedelta(minutes=10))
    assert (again.code, again.issued_at) == ("WFWXK", first.issued_at)


def test_a_photo_the_claim_sent_before_the_challenge_stays_its_earlier_evidence_once_another_claim_copied_it(
    store: Store,
) -> None:
    """The claim's own photo, copied by a later claim before the code was issued, is still the
    evidence the challenge was asked about: analysed again (`reverify`, or sent again) it is
    `earlier_photo`, not "not fresh: sent in claim c-10" naming the claim itself. The copy is the
    reuse look's to judge (`only_later` here)."""
    verify(store, "c-10", FIXTURES / "no_exif.jpg", now=ISSUED - timedelta(hours=2))
    verify(store, "c-later", FIXTURES / "no_exif.jpg", customer="u-9", now=ISSUED - timedelta(hours=1))
    issue_challenge(store, "default", "c-10", "WFWXK", ISSUED)
    reverified = reverify_claim(store, "default", "c-10", settings=Settings(), now=ISSUED + timedelta(minutes=5))
    assert reverified is not None
    assert statuses(reverified.body) == {"no_exif.jpg": ("unknown", "challenge.earlier_photo")}
    assert reverified.body["images"][0]["checks"]["reuse"]["code"] == "reuse.only_later"
    sent_again = verify(store, "c-10", FIXTURES / "no_exif.jpg", now=ISSUED + timedelta(minutes=6))
    assert statuses(sent_again) == {"no_exif.jpg": ("unknown", "challenge.earlier_photo")}


def test_the_time_a_challenge_was_issued_is_written_with_its_offset_as_iso_8601_writes_it(store: Store) -> None:
    """"issued 2026-11-16 04:00 +00:00", as the capture times beside it write theirs; not +0000."""
    verify(store, "c-8", FIXTURES / "no_exif.jpg", now=ISSUED - timedelta(hours=2))
    issue_challenge(store, "default", "c-8", "WFWXK", ISSUED)
    body = verify(store, "c-8", FIXTURES / "no_exif.jpg", now=ISSUED + timedelta(minutes=6))
    challenge = body["images"][0]["checks"]["challenge"]
    assert challenge["params"]["issued"] == "2026-11-16 04:00 +00:00"
    assert "(2026-11-16 04:00 +00:00)" in challenge["summary"]


def test_two_first_challenges_at_once_get_one_code(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two clicks asking for the claim's first challenge at the same instant: the second waits for the
    first under the claim's lock and is answered its code. Without the lock (SQLite's was none) both
    read "no challenge yet" together and each issued its own code."""
    verify(store, "c-6", FIXTURES / "no_exif.jpg", now=ISSUED - timedelta(hours=2))
    two_meet_under_the_claim_lock(monkeypatch)
    answered: dict[str, str] = {}

    def ask(code: str) -> None:
        answered[code] = issue_challenge(store, "default", "c-6", code, ISSUED).code

    clicks = [threading.Thread(target=ask, args=(code,)) for code in ("WFWXK", "KMNPR")]
    for click in clicks:
        click.start()
    for click in clicks:
        click.join()
    with store.sessions() as session:
        issued = list(session.scalars(select(ChallengeRow.code).where(ChallengeRow.claim_id == "c-6")))
    assert len(issued) == 1 and answered == {"WFWXK": issued[0], "KMNPR": issued[0]}


def test_the_challenge_command_issues_a_code_and_stores_it(sqlite_url: str) -> None:
    unknown = CliRunner().invoke(app, ["challenge", "c-9", "--db", sqlite_url])
    assert unknown.exit_code == 1 and "no claim 'c-9'" in unknown.output  # a claim must exist first
    store = Store(sqlite_url)
    try:
        verify(store, "c-9", FIXTURES / "no_exif.jpg")
    finally:
        store.close()
    result = CliRunner().invoke(app, ["challenge", "c-9", "--db", sqlite_url])
    assert result.exit_code == 0, result.output
    code = re.search(r"c-9: ([A-Z0-9]+)", result.output)
    assert code is not None
    store = Store(sqlite_url)
    try:
        stored = open_challenge(store, "default", "c-9")
        assert stored is not None and stored.code == code.group(1)
        assert open_challenge(store, "other-tenant", "c-9") is None
    finally:
        store.close()


@pytest.mark.parametrize(
    ("args", "code"), [(["challenge", "bad id!"], 2), (["challenge", "c", "--lang", "fr"], 2)]
)
def test_when_the_challenge_command_gets_bad_input_then_one_line_and_no_traceback(
    args: list[str], code: int, sqlite_url: str
) -> None:
    result = CliRunner().invoke(app, [*args, "--db", sqlite_url])
    assert result.exit_code == code
    assert "Traceback" not in result.output
    json.dumps(result.output)


def test_a_retake_with_an_old_photo_beside_a_new_one_taken_at_the_challenges_instant_answers_it(
    store: Store,
) -> None:
    """A customer sending again the photo they had sent, beside the retake: the retake answers the
    challenge. A photo recorded at the very instant the challenge was issued is not an earlier one,
    for the challenge look as for the next challenge asked (one boundary, `>=` and `<`)."""
    verify(store, "c-8", FIXTURES / "no_exif.jpg", now=ISSUED - timedelta(hours=2))
    issue_challenge(store, "default", "c-8", "WFWXK", ISSUED)
    retake = verify(store, "c-8", FIXTURES / "no_exif.jpg", FIXTURES / "genuine_after_delivery.jpg", now=ISSUED)
    looked = {image["filename"]: image["checks"]["challenge"]["code"] for image in retake["images"]}
    assert looked["no_exif.jpg"] == "challenge.earlier_photo"
    assert looked["genuine_after_delivery.jpg"] not in ("challenge.earlier_photo", "challenge.seen_before")
    after = issue_challenge(store, "default", "c-8", "KMNPR", ISSUED + timedelta(minutes=10))
    assert after.code == "KMNPR"


def test_the_challenge_look_and_the_open_challenge_share_one_boundary(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where "recorded before the challenge" ends is decided in one place (`Challenge.recorded_before`):
    moved there (here to a 5-minute grace), the look calls a photo recorded a minute after the
    challenge earlier evidence, and the challenge asked again stays the open one; both or neither."""
    grace = timedelta(minutes=5)
    monkeypatch.setattr(Challenge, "recorded_before", lambda self, first_seen: first_seen < self.issued_at + grace)
    issue_challenge(store, "default", "c-9", "WFWXK", ISSUED)
    verify(store, "c-9", FIXTURES / "genuine_after_delivery.jpg", now=ISSUED + timedelta(minutes=1))
    again = verify(store, "c-9", FIXTURES / "genuine_after_delivery.jpg", now=ISSUED + timedelta(minutes=2))
    assert statuses(again)["genuine_after_delivery.jpg"] == ("unknown", "challenge.earlier_photo")
    assert issue_challenge(store, "default", "c-9", "KMNPR", ISSUED + timedelta(minutes=10)).code == "WFWXK"


def test_a_challenge_asked_again_while_a_writer_holds_sqlite_is_answered_without_waiting(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A retry of an open challenge was a read; under the claim's lock (SQLite's write lock) it
    waited behind any writer, and past the busy timeout was a 503. A new challenge still waits."""
    monkeypatch.setattr(database, "SQLITE_BUSY_TIMEOUT_MS", 200)
    store = Store(sqlite_url)
    verify(store, "c-9", FIXTURES / "no_exif.jpg", now=ISSUED - timedelta(hours=2))
    verify(store, "c-10", FIXTURES / "no_exif.jpg", now=ISSUED - timedelta(hours=2))
    first = issue_challenge(store, "default", "c-9", "WFWXK", ISSUED)
    assert store.file is not None
    writer = sqlite3.connect(store.file, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # a long writer: a catalog import, a report being recorded
    try:
        again = issue_challenge(store, "default", "c-9", "KMNPR", ISSUED + timedelta(minutes=1))
        with pytest.raises(StoreError):
            issue_challenge(store, "default", "c-10", "KMNPR", ISSUED + timedelta(minutes=1))
    finally:
        writer.execute("ROLLBACK")
        writer.close()
        store.close()
    assert (again.code, again.issued_at) == ("WFWXK", first.issued_at)
