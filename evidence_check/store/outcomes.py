"""Store access of the report room: retake challenges and outcomes, beside `Store`.

Kept apart from `database.py` so that the rooms that add tables do not edit the same file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, get_args

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from evidence_check.models import Challenge, Sighting, Via
from evidence_check.store.challenge_tables import ChallengeRow, OutcomeRow
from evidence_check.store.database import RequestConflict, Store, StoreError, store_errors
from evidence_check.store.holds import held
from evidence_check.store.outbox import Event, queue_events
from evidence_check.store.tables import ClaimRow, PhotoRow, ReportRow

DECISIONS = ("genuine", "fraud")
VIAS: tuple[str, ...] = get_args(Via)


@dataclass(frozen=True)
class DecidedBy:
    """Who recorded a decision: where from, with which API key, in which console sign-in.

    `key` is the key's public id (`api_keys.key_id`), never its secret; None from the loopback trial
    and the command line, which have no key. `session` is an opaque, non-secret id of the console
    sign-in (`api.web.session`), kept so that "you, in another tab" can be told from "another agent
    using the same key"; it is never shown outside the console. All None: a decision recorded before
    who decided was kept (unknown)."""

    via: str | None
    key: str | None = None
    session: str | None = None

    def __post_init__(self) -> None:
        if self.via is not None and self.via not in VIAS:
            raise ValueError(f"via must be one of {', '.join(VIAS)}, got {self.via!r}")


def public_decided_by(by: DecidedBy) -> dict[str, str | None] | None:
    """Who decided as the API and the webhook event show it: the key and where from, never the
    console's session id; None for a decision recorded before it was kept."""
    return None if by.via is None else {"key": by.key, "via": by.via}


@dataclass(frozen=True)
class RecordedOutcome:
    decided_at: datetime  # read under the claim's lock: the history's order is its time's order
    replaced: str | None  # the decision recorded just before it, or None
    by: DecidedBy  # who recorded it (a retry's: who recorded the decision it repeats)
    # True: a client's retry (its Idempotency-Key's decision, or the latest it repeats); this one is
    # it, nothing recorded.
    repeated: bool = False
    decision_id: int = 0  # the id of the decision recorded (a retry's: of the one it repeats)


@dataclass(frozen=True)
class OutcomeKey:
    """An outcome request's Idempotency-Key as kept (`service.outcome_key` makes it): `key`, the
    digest of the client's key, unique per tenant; `digest`, of everything the request asked."""

    key: str
    digest: str


@dataclass(frozen=True)
class Decision:
    """A decision as recorded: what, when, by whom."""

    id: int
    decision: str  # genuine | fraud
    note: str | None
    decided_at: datetime
    by: DecidedBy


class DecidedMeanwhile(Exception):
    """Another decision was recorded on the claim since the one the deciding agent was shown;
    `latest` is the one that won, read under the claim's lock (None: the page named a decision the
    claim never had, a hand-made form)."""

    def __init__(self, claim_id: str, latest: Decision | None) -> None:
        super().__init__(claim_id)
        self.latest = latest


@dataclass(frozen=True)
class DecidedClaim:
    claim_id: str
    decision: str  # genuine | fraud
    report: dict[str, Any]  # the latest report of the claim, as the contract's JSON


class LockedTooLate(RuntimeError):
    """`_lock_claim` called on a session `_claim_locked` did not open for it: a bug, never bad input."""


# Set by `_claim_locked` on the session it opens, taken by `_lock_claim`: the lock is taken only as
# the first statement of a session opened for it. A flag on that one session, not a hook on every
# Session of the process (other stores', the tests'), which would watch them all for one function.
_OPENED_TO_LOCK = "evidence_check.opened_to_lock_claim"


@contextmanager
def _claim_locked(store: Store, tenant: str, claim_id: str) -> Iterator[Session]:
    """A transaction whose first statement locks the claim (`_lock_claim`), committed when it ends."""
    with store.sessions.begin() as session:
        session.info[_OPENED_TO_LOCK] = True
        _lock_claim(session, tenant, claim_id)
        yield session


def _lock_claim(session: Session, tenant: str, claim_id: str) -> None:
    """The claim held until the transaction ends, so that what is read next of it (its latest
    decision, its open challenge) stays so until this one is written. It must be the session's first
    statement, so it is taken only through `_claim_locked`, and `LockedTooLate` says so loudly
    otherwise: after a read, that read sat outside the lock (nothing failed, on either backend);
    after a write, PostgreSQL locked quietly and SQLite failed with "cannot start a transaction
    within a transaction".

    PostgreSQL: the claim's row is locked; SQLite: the whole store, its one writer (`held`)."""
    if not session.info.pop(_OPENED_TO_LOCK, False):
        raise LockedTooLate(f"the lock on claim {claim_id} must be the first statement of its session (_claim_locked)")
    session.execute(held(session, select(ClaimRow.id).where(ClaimRow.tenant == tenant, ClaimRow.claim_id == claim_id)))


def issue_challenge(store: Store, tenant: str, claim_id: str, code: str, when: datetime) -> Challenge:
    """A new challenge with `code`, or the claim's latest one while no photo came after it.

    Asked again before any photo came for it (a client retrying an answer it lost, a second click),
    the open challenge is answered again: a new code would leave the customer, told the first one,
    photographing a code that no longer counts (only the latest is looked for). A photo came when the
    claim recorded one it had not before (a retake: `verify` with the claim's id); a report made
    again from the kept photos (`reverify`), or photos the claim had already, bring none: the
    challenge look calls those `challenge.earlier_photo` for the same reason."""
    try:
        # A retry while the challenge is open is answered without the claim's lock: on SQLite that
        # lock is the database's write lock, and a retry waiting behind a long writer (past the busy
        # timeout: 503) is one that used to be a read. Read again under the lock before issuing.
        with store.sessions() as session:
            still_open = _unanswered_challenge(session, tenant, claim_id)
        if still_open is None:
            with _claim_locked(store, tenant, claim_id) as session:
                still_open = _unanswered_challenge(session, tenant, claim_id)
                if still_open is None:
                    session.add(ChallengeRow(tenant=tenant, claim_id=claim_id, code=code, issued_at=when))
    except SQLAlchemyError as exc:
        raise StoreError(f"could not record the challenge for claim {claim_id}: {exc}") from None
    if still_open is not None:
        code, when = still_open
    return Challenge(claim_id, code, _aware(when), lambda image_id: sightings(store, tenant, image_id))


def _unanswered_challenge(session: Session, tenant: str, claim_id: str) -> tuple[str, datetime] | None:
    """The claim's latest challenge (code, issued_at) while every photo of the claim is one it
    recorded before it (`Challenge.recorded_before`, the challenge look's boundary)."""
    latest = session.scalar(_latest_challenge(tenant, claim_id))
    if latest is None:
        return None
    newest_photo = session.scalar(
        select(func.max(PhotoRow.first_seen))
        .join(ClaimRow, ClaimRow.id == PhotoRow.claim_pk)
        .where(ClaimRow.tenant == tenant, ClaimRow.claim_id == claim_id)
    )
    challenge = Challenge(claim_id, latest.code, _aware(latest.issued_at))
    if newest_photo is not None and not challenge.recorded_before(_aware(newest_photo)):
        return None
    return latest.code, latest.issued_at


def _latest_challenge(tenant: str, claim_id: str) -> Select[ChallengeRow]:
    return (
        select(ChallengeRow)
        .where(ChallengeRow.tenant == tenant, ChallengeRow.claim_id == claim_id)
        .order_by(ChallengeRow.id.desc())
        .limit(1)
    )


@store_errors("could not read the challenge")
def open_challenge(store: Store, tenant: str, claim_id: str) -> Challenge | None:
    """The claim's latest challenge, able to look up where a photo was recorded before."""
    with store.sessions() as session:
        row = session.scalar(_latest_challenge(tenant, claim_id))
    if row is None:
        return None
    return Challenge(
        row.claim_id, row.code, _aware(row.issued_at), lambda image_id: sightings(store, tenant, image_id)
    )


@store_errors("could not read where a photo was seen")
def sightings(store: Store, tenant: str, image_id: str) -> list[Sighting]:
    """Every claim of the tenant that recorded these exact bytes, with when it first did."""
    with store.sessions() as session:
        rows = session.execute(
            select(PhotoRow.claim_id, PhotoRow.first_seen).where(
                PhotoRow.tenant == tenant, PhotoRow.image_id == image_id
            )
        ).all()
    return [Sighting(claim_id, _aware(seen)) for claim_id, seen in rows]


def record_outcome(
    store: Store,
    tenant: str,
    claim_id: str,
    decision: str,
    note: str | None,
    clock: Callable[[], datetime],
    seen: int | None = None,
    *,
    by: DecidedBy,
    events: Callable[[int], Sequence[Event]] | None = None,
    keyed: OutcomeKey | None = None,
) -> RecordedOutcome:
    """Record the decision, timed by `clock` once the claim is locked; with the one it replaces.
    The webhook `events` announcing it, made from its id (known once written), are queued in its
    transaction (`outbox`), not for a repeat.

    `seen`: the id of the latest decision the agent was shown (0 for none), or None to replace
    whatever is latest. `DecidedMeanwhile`, nothing recorded, when another was recorded since: it is
    judged under the lock, so of two agents sent the same page and deciding at once, one is told.
    Over the API or from the command line, the request sent again after it was recorded (the same
    `seen`, decision and note, nothing recorded after it) is answered as a retry, not told it decided
    meanwhile itself.

    `keyed`: the API client's Idempotency-Key. The request sent again with it is answered as the
    decision recorded with it (`repeated`), however many were recorded since; the key sent with
    another request is a `RequestConflict`. Only a key tells a late retry from a client that read
    another's decision and decides so again on purpose: without one, that decision is recorded.

    Without `seen` or a key, the same decision and note as the latest, from the same key and door
    (`by`), is a retry (an answer lost on its way back): the latest is answered as it was,
    `repeated`, and nothing is recorded, so it is neither kept nor announced twice. An agent shown
    the latest (`seen`) who decides it again is recorded, and so is another key agreeing with it:
    answered as the first key's retry, the audit trail would lose that a second key decided so too.
    A latest row from before who decided was kept (null) cannot tell, and stays the retry it was before.

    Decisions on one claim arriving at once are recorded one after the other, and each names the
    one recorded just before it: what it reads and its time are read under the claim's lock
    (`_lock_claim`), so a decision stored after another never carries an earlier time.

    `by`: who decides, written on the row with it.
    """
    if decision not in DECISIONS:
        raise ValueError(f"decision must be one of {', '.join(DECISIONS)}, got {decision!r}")
    try:
        with _claim_locked(store, tenant, claim_id) as session:
            retried = _keyed_retry(session, tenant, keyed) if keyed is not None else None
            replaced = session.scalar(_decisions(tenant, claim_id).order_by(OutcomeRow.id.desc()).limit(1))
            if retried is None and seen is not None and seen != (replaced.id if replaced else 0):
                # An API client's retry of a request with `seen` finds its own decision recorded after
                # the one it saw: that request's answer, not a 409 about itself.
                if replaced is None or not _answers_seen(session, replaced, decision, note, seen, by):
                    raise DecidedMeanwhile(claim_id, _decision(replaced) if replaced else None)
                retried = replaced
            elif retried is None and seen is None and replaced is not None and _repeats(replaced, decision, note, by):
                retried = replaced
            if retried is not None:
                earlier = _before(session, retried)
                answered = earlier.decision if earlier is not None else None
                return RecordedOutcome(
                    _aware(retried.decided_at), answered, _decision(retried).by, repeated=True, decision_id=retried.id
                )
            row = OutcomeRow(
                tenant=tenant,
                claim_id=claim_id,
                decision=decision,
                note=note,
                decided_at=clock(),
                decided_key=by.key,
                decided_via=by.via,
                decided_session=by.session,
                request_key=keyed.key if keyed is not None else None,
                request_digest=keyed.digest if keyed is not None else None,
            )
            session.add(row)
            session.flush()  # its id, for the answer and the events
            if events is not None:
                queue_events(session, tenant, events(row.id), row.decided_at)
            return RecordedOutcome(
                _aware(row.decided_at), replaced.decision if replaced else None, by, decision_id=row.id
            )
    except IntegrityError:
        # Only the request key is unique: the same key recorded at once for another claim's decision.
        raise RequestConflict() from None
    except SQLAlchemyError as exc:
        raise StoreError(f"could not record the outcome of claim {claim_id}: {exc}") from None


def _keyed_retry(session: Session, tenant: str, keyed: OutcomeKey) -> OutcomeRow | None:
    """The decision recorded with this request's Idempotency-Key (a retry, whatever was decided
    since), None for a key not used yet; `RequestConflict` when it was used for another request."""
    row = session.scalar(select(OutcomeRow).where(OutcomeRow.tenant == tenant, OutcomeRow.request_key == keyed.key))
    if row is not None and row.request_digest != keyed.digest:
        raise RequestConflict()
    return row


def _repeats(latest: OutcomeRow, decision: str, note: str | None, by: DecidedBy) -> bool:
    """Whether a request without a key repeats the latest decision: the same decision and note from
    the same door and key (or a latest row from before who decided was kept, which cannot tell)."""
    same_sender = latest.decided_via is None or (latest.decided_via, latest.decided_key) == (by.via, by.key)
    return (latest.decision, latest.note) == (decision, note) and same_sender


def _before(session: Session, row: OutcomeRow) -> OutcomeRow | None:
    """The decision recorded on the claim just before `row`."""
    return session.scalar(
        _decisions(row.tenant, row.claim_id).where(OutcomeRow.id < row.id).order_by(OutcomeRow.id.desc()).limit(1)
    )


def _answers_seen(
    session: Session, latest: OutcomeRow, decision: str, note: str | None, seen: int, by: DecidedBy
) -> bool:
    """Whether `latest` is this request recorded already, from the API or the command line: the
    sender's, saying the same, recorded just after the decision `seen` names (a script run again after
    its answer was lost, as a repeat without `seen` is). The console's repeat is told "you, in another
    tab" instead."""
    if by.via not in ("api", "cli") or (latest.decided_via, latest.decided_key, latest.decision, latest.note) != (
        by.via,
        by.key,
        decision,
        note,
    ):
        return False
    earlier = _before(session, latest)
    return (earlier.id if earlier is not None else 0) == seen


@store_errors("could not read the decision")
def latest_decision(store: Store, tenant: str, claim_id: str) -> Decision | None:
    """The decision recorded last on the claim, or None while it has none."""
    with store.sessions() as session:
        row = session.scalar(_decisions(tenant, claim_id).order_by(OutcomeRow.id.desc()).limit(1))
        return _decision(row) if row is not None else None


def _decisions(tenant: str, claim_id: str) -> Select[OutcomeRow]:
    return select(OutcomeRow).where(OutcomeRow.tenant == tenant, OutcomeRow.claim_id == claim_id)


def _decision(row: OutcomeRow) -> Decision:
    by = DecidedBy(row.decided_via, row.decided_key, row.decided_session)
    return Decision(row.id, row.decision, row.note, _aware(row.decided_at), by)


@store_errors("could not list decided claims")
def decided_claims(store: Store, tenant: str) -> list[DecidedClaim]:
    """Every claim of the tenant with an outcome: its latest outcome and its latest report."""
    with store.sessions() as session:
        latest_outcome = (
            select(OutcomeRow.claim_id, func.max(OutcomeRow.id).label("id"))
            .where(OutcomeRow.tenant == tenant)
            .group_by(OutcomeRow.claim_id)
            .subquery()
        )
        latest_report = (
            select(ReportRow.claim_pk, func.max(ReportRow.id).label("id"))
            .group_by(ReportRow.claim_pk)
            .subquery()
        )
        rows = session.execute(
            select(OutcomeRow.claim_id, OutcomeRow.decision, ReportRow.body)
            .join(latest_outcome, latest_outcome.c.id == OutcomeRow.id)
            .join(ClaimRow, (ClaimRow.tenant == tenant) & (ClaimRow.claim_id == OutcomeRow.claim_id))
            .join(latest_report, latest_report.c.claim_pk == ClaimRow.id)
            .join(ReportRow, ReportRow.id == latest_report.c.id)
            .order_by(OutcomeRow.claim_id)
        ).all()
    return [DecidedClaim(claim_id, decision, dict(body)) for claim_id, decision, body in rows]


@store_errors("could not read the claim")
def has_claim(store: Store, tenant: str, claim_id: str) -> bool:
    with store.sessions() as session:
        return (
            session.scalar(
                select(ClaimRow.id).where(ClaimRow.tenant == tenant, ClaimRow.claim_id == claim_id)
            )
            is not None
        )


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
