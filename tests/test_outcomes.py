"""Outcomes recorded by agents and the per-check agreement figures of `stats`."""

from __future__ import annotations

import inspect
import itertools
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import DateTime, bindparam, func, select, text
from typer.testing import CliRunner

from evidence_check import calibration, service
from evidence_check.cli import app
from evidence_check.service import outcome_key
from evidence_check.store import RequestConflict, Store, outcomes
from evidence_check.store.challenge_tables import OutcomeRow
from evidence_check.store.outcomes import (
    DecidedBy,
    DecidedMeanwhile,
    Decision,
    LockedTooLate,
    RecordedOutcome,
    latest_decision,
    public_decided_by,
    record_outcome,
)
from evidence_check.store.tables import ClaimRow
from tests.conftest import FIXTURES, two_meet_under_the_claim_lock
from tests.seeded_claims import seed

CLAIM = [
    "--ordered-at",
    "2026-11-10T10:00",
    "--delivered-at",
    "2026-11-14T15:00",
    "--claimed-at",
    "2026-11-16",
]
CLI = DecidedBy("cli")
NOW = datetime(2026, 12, 6, 9, 30, tzinfo=UTC)


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_when_outcomes_are_recorded_then_stats_count_them_per_check(store_url: str) -> None:
    run("verify", str(FIXTURES / "exif_before_order.jpg"), *CLAIM, "--claim-id", "c1", "--db", store_url)
    run("verify", str(FIXTURES / "genuine_after_delivery.jpg"), *CLAIM, "--claim-id", "c2", "--db", store_url)
    run("verify", str(FIXTURES / "no_exif.jpg"), *CLAIM, "--claim-id", "c3", "--db", store_url)
    assert run("outcome", "c1", "fraud", "--db", store_url)[0] == 0
    assert run("outcome", "c2", "fraud", "--db", store_url)[0] == 0
    assert (
        run("outcome", "c2", "genuine", "--note", "agent corrected", "--db", store_url)[0] == 0
    )  # latest wins
    assert run("outcome", "c3", "genuine", "--db", store_url)[0] == 0
    code, out = run("stats", "--db", store_url)
    assert code == 0
    assert "3 claims with an outcome: 1 fraud, 2 genuine" in out
    rows = {tuple(line.split()[:2]): line.split()[2:] for line in out.splitlines()[2:]}
    assert rows[("timestamp", "fail")] == ["1", "1", "0", "100%", "100%", "0%"]
    assert rows[("timestamp", "unknown")] == ["1", "0", "1", "-", "0%", "50%"]
    assert rows[("verdict", "accept")] == ["1", "0", "1", "100%", "0%", "50%"]


def test_when_the_claim_is_unknown_then_outcome_says_so(sqlite_url: str) -> None:
    code, out = run("outcome", "nope", "genuine", "--db", sqlite_url)
    assert code == 1 and "verify its photos first" in out


def test_when_the_decision_is_not_genuine_or_fraud_then_usage_error(sqlite_url: str) -> None:
    assert run("outcome", "c1", "maybe", "--db", sqlite_url)[0] == 2


def test_when_no_outcomes_exist_then_stats_says_how_to_record_one(sqlite_url: str) -> None:
    code, out = run("stats", "--db", sqlite_url)
    assert code == 0 and "evidence-check outcome" in out


def test_a_check_is_counted_once_per_claim_at_its_worst_status() -> None:
    report = {
        "verdict": "review",
        "images": [
            {"checks": {"timestamp": {"status": "pass"}}},
            {"checks": {"timestamp": {"status": "warn"}}},
            {"checks": {}},
        ],
    }
    assert calibration.claim_statuses(report) == {"timestamp": "warn", "verdict": "review"}


def _genuine_and_fraud_at_once(store: Store, monkeypatch: pytest.MonkeyPatch, decide: Callable[[str], None]) -> None:
    """Claim c1 verified, then two agents' `decide` ("genuine", "fraud") run in threads that meet
    under the claim's lock (`two_meet_under_the_claim_lock`)."""
    run("verify", str(FIXTURES / "no_exif.jpg"), *CLAIM, "--claim-id", "c1", "--db", store.url)
    with monkeypatch.context() as patched:
        two_meet_under_the_claim_lock(patched)
        agents = [threading.Thread(target=decide, args=(decision,)) for decision in ("genuine", "fraud")]
        for agent in agents:
            agent.start()
        for agent in agents:
            agent.join()


def test_two_decisions_at_once_each_name_the_one_recorded_before_it(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers: dict[str, str | None] = {}

    def decide(decision: str) -> None:
        answers[decision] = service.decide(store, "default", "c1", decision, None, by=CLI).replaced

    _genuine_and_fraud_at_once(store, monkeypatch, decide)
    with store.sessions() as session:
        history = list(session.scalars(select(OutcomeRow.decision).order_by(OutcomeRow.id)))
    # The answers tell the history as stored: the first replaced nothing, the second the first.
    assert answers == {history[0]: None, history[1]: history[0]}


def test_two_agents_shown_the_same_page_deciding_at_once_one_is_told_the_other_decided(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both pages showed no decision (`seen` 0): the first recorded, the other refused, on both backends."""
    answers: dict[str, str] = {}

    def decide(decision: str) -> None:
        try:
            service.decide(store, "default", "c1", decision, None, seen=0, by=CLI)
            answers[decision] = "recorded"
        except DecidedMeanwhile:
            answers[decision] = "refused"

    _genuine_and_fraud_at_once(store, monkeypatch, decide)
    with store.sessions() as session:
        history = list(session.scalars(select(OutcomeRow.decision)))
    assert len(history) == 1 and answers == {history[0]: "recorded", ({"genuine", "fraud"} - {history[0]}).pop(): "refused"}
    # Shown the decision now latest, the refused agent's choice replaces it.
    with store.sessions() as session:
        latest = session.scalar(select(OutcomeRow.id))
    assert service.decide(store, "default", "c1", "genuine", None, seen=latest, by=CLI).replaced == history[0]


def test_a_decision_waiting_for_the_claims_lock_is_timed_after_the_one_holding_it(store: Store) -> None:
    run("verify", str(FIXTURES / "no_exif.jpg"), *CLAIM, "--claim-id", "c1", "--db", store.url)
    ticks = itertools.count()

    def clock() -> datetime:
        return datetime(2026, 12, 6, tzinfo=UTC) + timedelta(seconds=next(ticks))

    waiting: list[RecordedOutcome] = []
    with store.sessions.begin() as session:
        # Another agent's decision holds the claim's lock (PostgreSQL's row lock, SQLite's writer).
        session.execute(select(ClaimRow.id).where(ClaimRow.claim_id == "c1").with_for_update())
        holding = OutcomeRow(tenant="default", claim_id="c1", decision="fraud", note=None, decided_at=clock())
        session.add(holding)
        session.flush()
        agent = threading.Thread(
            target=lambda: waiting.append(record_outcome(store, "default", "c1", "genuine", None, clock, by=CLI))
        )
        agent.start()
        time.sleep(0.3)  # not timed: lets the second agent reach the lock before the first is stored
        holding.decided_at = clock()
    agent.join()
    with store.sessions() as session:
        history = session.execute(
            select(OutcomeRow.decision, OutcomeRow.decided_at, OutcomeRow.id).order_by(OutcomeRow.id)
        ).all()
    assert [decision for decision, _, _ in history] == ["fraud", "genuine"]
    stored = [moment if moment.tzinfo else moment.replace(tzinfo=UTC) for _, moment, _ in history]
    assert stored[0] < stored[1]
    assert waiting[0] == RecordedOutcome(stored[1], "fraud", CLI, decision_id=history[1].id)


def test_who_decided_is_kept_on_the_row_and_unknown_for_rows_kept_before_0018(store_url: str) -> None:
    """Migrated, a decision recorded at 0017 says nobody (null), the next one its key and where from;
    downgraded again, both decisions stay."""
    from tests.conftest import at_revision

    Store(store_url).close()
    with at_revision(store_url, "0017_webhook_set_by_tenant", downgrade=True) as connection:
        connection.execute(
            text(
                "INSERT INTO outcomes (tenant, claim_id, decision, note, decided_at) "
                "VALUES ('acme', 'c-0017', 'fraud', 'kept at 0017', :now)"
            ).bindparams(bindparam("now", type_=DateTime(timezone=True))),
            {"now": datetime(2026, 12, 5, tzinfo=UTC)},
        )
    store = Store(store_url)  # migrates it
    try:
        before = latest_decision(store, "acme", "c-0017")
        assert before is not None and (before.decision, before.note) == ("fraud", "kept at 0017")
        assert before.by == DecidedBy(None) and public_decided_by(before.by) is None
        # A client's retry that spans the upgrade: who sent the first cannot be told, so a retry still.
        retried = record_outcome(store, "acme", "c-0017", "fraud", "kept at 0017", lambda: NOW, by=DecidedBy("api", "k_0123456789ab"))
        assert retried.repeated and retried.by == DecidedBy(None)
        by = DecidedBy("console", "k_0123456789ab", "f" * 24)
        recorded = record_outcome(store, "acme", "c-0017", "genuine", None, lambda: NOW, seen=before.id, by=by)
        assert recorded.by == by and latest_decision(store, "acme", "c-0017") == Decision(
            before.id + 1, "genuine", None, NOW, by
        )
    finally:
        store.close()
    with at_revision(store_url, "0017_webhook_set_by_tenant", downgrade=True) as connection:
        kept = connection.execute(text("SELECT decision FROM outcomes ORDER BY id")).scalars().all()
        assert kept == ["fraud", "genuine"]


def test_the_command_line_records_its_decisions_as_the_clis(store_url: str) -> None:
    run("verify", str(FIXTURES / "no_exif.jpg"), *CLAIM, "--claim-id", "c1", "--db", store_url)
    assert run("outcome", "c1", "fraud", "--db", store_url)[0] == 0
    store = Store(store_url)
    try:
        latest = latest_decision(store, "default", "c1")
        assert latest is not None and latest.by == DecidedBy("cli")
    finally:
        store.close()


def test_the_command_lines_seen_refuses_a_decision_recorded_since_and_records_nothing(store: Store) -> None:
    """`outcome --seen` as the API's `seen`: the decision read (printed by the last `outcome`, or the
    API's `decision_id`), 0 for none; another recorded since is named in one line (who, when, what),
    exit 1, nothing recorded; sending its id replaces it knowingly."""
    for claim in ("c1", "c2"):
        run("verify", str(FIXTURES / "no_exif.jpg"), *CLAIM, "--claim-id", claim, "--db", store.url)
    code, out = run("outcome", "c1", "fraud", "--seen", "0", "--db", store.url)
    first = latest_decision(store, "default", "c1")
    assert code == 0 and first is not None and out == f"claim c1: fraud (decision {first.id})\n"
    by_key = service.decide(store, "default", "c1", "genuine", "receipt seen", by=DecidedBy("api", "k_0123456789ab"))
    before = _decisions_kept(store)
    code, out = run("outcome", "c1", "fraud", "--note", "same bag as c-7", "--seen", str(first.id), "--db", store.url)
    meanwhile = latest_decision(store, "default", "c1")
    assert meanwhile is not None and meanwhile.id == by_key.decision_id
    assert (code, out) == (
        1,
        f"evidence-check: claim 'c1': genuine was recorded at {meanwhile.decided_at.isoformat()} by api with key "
        f"k_0123456789ab (decision {by_key.decision_id}) after the one you saw (--seen {first.id}); nothing "
        f"recorded; to replace it, run again with --seen {by_key.decision_id}\n",
    )
    assert _decisions_kept(store) == before
    # From the command line, from a decision recorded before who decided was kept: named so.
    service.decide(store, "default", "c1", "fraud", None, by=CLI)
    assert "by cli without a key (decision" in run("outcome", "c1", "genuine", "--seen", str(by_key.decision_id), "--db", store.url)[1]
    unknown = service.decide(store, "default", "c1", "genuine", "old", by=DecidedBy(None))
    assert "by someone unknown (recorded before who decided was kept)" in run("outcome", "c1", "fraud", "--seen", "0", "--db", store.url)[1]
    assert _decisions_kept(store) == before + 2
    code, out = run("outcome", "c1", "fraud", "--seen", str(unknown.decision_id), "--db", store.url)
    assert code == 0 and _decisions_kept(store) == before + 3
    replacing = latest_decision(store, "default", "c1")
    assert replacing is not None and out == (
        f"claim c1: fraud (decision {replacing.id})\nit replaces the claim's earlier decision, genuine (both are kept)\n"
    )
    # The same run again (a script whose answer was lost) is answered as the first, as the API's retry;
    # said otherwise, it is a decision made after the one it saw.
    assert run("outcome", "c1", "fraud", "--seen", str(unknown.decision_id), "--db", store.url) == (code, out)
    refused = run("outcome", "c1", "fraud", "--note", "on second thought", "--seen", str(unknown.decision_id), "--db", store.url)
    assert refused[0] == 1 and "by cli without a key" in refused[1]
    assert _decisions_kept(store) == before + 3
    # An undecided claim has no decision 5; --seen below 0 names none.
    code, out = run("outcome", "c2", "genuine", "--seen", "5", "--db", store.url)
    assert (code, out) == (
        1,
        "evidence-check: claim 'c2' has no decision yet, so none is 5: run again with --seen 0; nothing recorded\n",
    )
    assert run("outcome", "c2", "genuine", "--seen", "-1", "--db", store.url)[0] == 2
    assert latest_decision(store, "default", "c2") is None


def _decisions_kept(store: Store) -> int:
    with store.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(OutcomeRow)) or 0)


def test_a_decision_names_only_api_console_or_cli_as_where_it_came_from() -> None:
    with pytest.raises(ValueError, match="via must be one of api, console, cli"):
        DecidedBy("email")
    # The console's session id never leaves the row.
    assert public_decided_by(DecidedBy("console", "k_1", "abc")) == {"key": "k_1", "via": "console"}


@pytest.mark.parametrize("first", ["a read", "a write"])
def test_the_claims_lock_taken_after_another_statement_of_its_session_fails_loudly(store: Store, first: str) -> None:
    """After a read that read sat outside the lock, quietly on both backends; after a write PostgreSQL
    locked quietly too. Taken through `_claim_locked`, as its first statement, it holds."""
    run("verify", str(FIXTURES / "no_exif.jpg"), *CLAIM, "--claim-id", "c1", "--db", store.url)
    with store.sessions() as session, session.begin():
        if first == "a read":
            session.execute(select(OutcomeRow.id).where(OutcomeRow.claim_id == "c1"))
        else:
            session.add(OutcomeRow(tenant="default", claim_id="c1", decision="fraud", note=None, decided_at=NOW))
            session.flush()
        with pytest.raises(LockedTooLate, match="must be the first statement of its session"):
            outcomes._lock_claim(session, "default", "c1")
        session.rollback()
    with outcomes._claim_locked(store, "default", "c1") as session:
        assert session.scalar(select(func.count()).select_from(OutcomeRow)) == 0


def test_the_claims_lock_guard_leaves_every_other_session_of_the_process_alone(store: Store) -> None:
    """The guard is a flag on the session opened to lock, not a hook on every `Session`: a session
    that locks no claim (any store's, any test's) carries nothing of it, however many statements."""
    run("verify", str(FIXTURES / "no_exif.jpg"), *CLAIM, "--claim-id", "c1", "--db", store.url)
    with store.sessions() as session:
        session.scalar(select(func.count()).select_from(OutcomeRow))
        session.commit()
        session.scalar(select(func.count()).select_from(OutcomeRow))
        assert session.info == {}
    with outcomes._claim_locked(store, "default", "c1") as session:
        assert session.info == {}  # the flag is spent by the lock it let through


def test_who_decides_is_named_by_keyword_where_a_decision_is_recorded() -> None:
    """`by` is keyword-only in `decide` and `record_outcome` (whose positional order stays as it was),
    so a caller written before it (another branch's, passing `seen` sixth) cannot slip `seen` into it."""
    for recording in (service.decide, record_outcome):
        assert inspect.signature(recording).parameters["by"].kind is inspect.Parameter.KEYWORD_ONLY


def test_a_keyed_retry_after_another_decision_is_answered_as_its_first_answer(store: Store) -> None:
    """A (with an Idempotency-Key), then B, then A's retry: A's decision answered as it was (time,
    what it replaced, who), no third row. Without a key, A sending the same after B is A deciding
    again: recorded. The key with anything else asked is a conflict, nothing recorded."""
    seed(store, "default", "c1", "review", NOW)
    a, b = DecidedBy("api", "k_aaaaaaaaaaaa"), DecidedBy("api", "k_bbbbbbbbbbbb")
    moments = iter(NOW + timedelta(minutes=minute) for minute in itertools.count())
    keyed = outcome_key("c1", "a-1", "genuine", "refund", None)
    first = record_outcome(store, "default", "c1", "genuine", "refund", lambda: next(moments), by=a, keyed=keyed)
    record_outcome(store, "default", "c1", "fraud", None, lambda: next(moments), by=b)
    retried = record_outcome(store, "default", "c1", "genuine", "refund", lambda: next(moments), by=a, keyed=keyed)
    assert retried == RecordedOutcome(first.decided_at, None, a, repeated=True, decision_id=first.decision_id)
    with pytest.raises(RequestConflict):
        other_note = outcome_key("c1", "a-1", "genuine", "refund, said twice", None)
        record_outcome(store, "default", "c1", "genuine", "refund, said twice", lambda: NOW, by=a, keyed=other_note)
    again = record_outcome(store, "default", "c1", "genuine", "refund", lambda: next(moments), by=a)
    assert not again.repeated and again.replaced == "fraud"
    with store.sessions() as session:
        rows = session.execute(select(OutcomeRow.decision, OutcomeRow.decided_key).order_by(OutcomeRow.id)).all()
    assert [tuple(row) for row in rows] == [("genuine", a.key), ("fraud", b.key), ("genuine", a.key)]


def test_the_command_line_deciding_again_after_another_decision_is_recorded_not_taken_for_a_retry(
    store: Store,
) -> None:
    """The operator at a terminal loses no answer on a network: `outcome c1 genuine` run again after
    an API key decided otherwise puts genuine back (recorded), while the same run twice in a row is
    still one decision."""
    seed(store, "default", "c1", "review", NOW)
    other = DecidedBy("api", "k_bbbbbbbbbbbb")
    record_outcome(store, "default", "c1", "genuine", None, lambda: NOW, by=CLI)
    assert record_outcome(store, "default", "c1", "genuine", None, lambda: NOW, by=CLI).repeated
    record_outcome(store, "default", "c1", "fraud", None, lambda: NOW, by=other)
    again = record_outcome(store, "default", "c1", "genuine", None, lambda: NOW, by=CLI)
    assert not again.repeated and again.replaced == "fraud"
    latest = latest_decision(store, "default", "c1")
    assert latest is not None and (latest.decision, latest.by) == ("genuine", CLI)
