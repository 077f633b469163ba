"""The store: one SQLAlchemy engine, migrated to the newest schema when opened.

A claim is recorded in one transaction: the claim row, each photo not yet recorded for it, and
the report. Either all of it is there afterwards or none of it.
"""

from __future__ import annotations

import functools
import inspect as pyinspect
import os
import re
import shutil
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ParamSpec, TypeVar, cast

from sqlalchemy import Engine, create_engine, delete, event, func, inspect, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from evidence_check.models import Claim
from evidence_check.store.holds import held
from evidence_check.store.keys_tables import RequestKeyRow
from evidence_check.store.outbox import Event, queue_events
from evidence_check.store.reuse_tables import FingerprintRow, StoredPrint, fingerprint_row
from evidence_check.store.sqlite_file import sqlite_file
from evidence_check.store.tables import ClaimRow, PhotoFileRow, PhotoRow, ReportRow
from evidence_check.widths import stored_filename

MIGRATIONS = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000
SQLITE_ROOM_BYTES = 1024 * 1024  # below this free, a failed open is put down to the full disk
MIGRATION_LOCK = 0x65766368  # any constant shared by every process of this project
# The newest migration's revision (a test holds it to alembic's head). A store already there is
# opened without importing alembic: ~12 MB of every API worker's private memory.
SCHEMA_HEAD = "0022_fingerprints_by_image"


# The claim's fields' record of each photo's region ([x, y, w, h]) by its image id: a later request of
# the claim (a retake) adds to it as it adds photos, so the earlier photos keep theirs; a request that
# sends a photo again with a region replaces that photo's, one that takes it back (None) removes it.
PHOTO_REGIONS = "photo_regions"


def with_earlier_regions(fields: Mapping[str, Any], earlier: Mapping[str, Any] | None) -> dict[str, Any]:
    """The claim's fields as sent now, with the regions of photos it was sent with before (none
    recorded either time: without the record, as a claim recorded before there was one)."""
    before = earlier or {}
    if PHOTO_REGIONS not in fields and PHOTO_REGIONS not in before:
        return dict(fields)
    merged = {**(before.get(PHOTO_REGIONS) or {}), **(fields.get(PHOTO_REGIONS) or {})}
    return {**fields, PHOTO_REGIONS: {image_id: box for image_id, box in merged.items() if box is not None}}


# Query parameters libpq reads a secret from, as it reads the password before the '@'.
SECRET_QUERY_KEYS = ("password", "sslpassword")


def shown_url(parsed: URL) -> str:
    """The URL as written, its password hidden, wherever it is given."""
    hidden = {key: "***" if key.lower() in SECRET_QUERY_KEYS else value for key, value in parsed.query.items()}
    return parsed.set(query=hidden).render_as_string(hide_password=True).replace("=%2A%2A%2A", "=***")


def unparsed_shown(url: str) -> str:
    """A URL that does not parse, as written but for a password between its user's ':' and the '@'."""
    head, at, tail = url.rpartition("@")
    if not at:
        return url
    scheme = re.match(r"[\w+.-]+:/+", head)
    start = scheme.end() if scheme else 0
    user, colon, _ = head[start:].partition(":")
    return f"{head[:start]}{user}{':***' if colon else ''}@{tail}"


class StoreError(Exception):
    """The store cannot be opened or written; the message is one line."""


Params = ParamSpec("Params")
Result = TypeVar("Result")


def store_errors(what: str) -> Callable[[Callable[Params, Result]], Callable[Params, Result]]:
    """A store function whose SQLAlchemy errors (the server stopped, the file unreadable, a table
    gone) are a `StoreError` "`what`: first line of the error", which the API answers 503 and the
    CLI as its one line; a generator's are too, raised while it is read."""

    def wrap(function: Callable[Params, Result]) -> Callable[Params, Result]:
        if pyinspect.isgeneratorfunction(function):

            @functools.wraps(function)
            def generator(*args: Params.args, **kwargs: Params.kwargs) -> Iterator[Any]:
                try:
                    yield from cast(Iterator[Any], function(*args, **kwargs))
                except SQLAlchemyError as exc:
                    raise StoreError(f"{what}: {_one_line(exc)}") from None

            return cast(Callable[Params, Result], generator)

        @functools.wraps(function)
        def call(*args: Params.args, **kwargs: Params.kwargs) -> Result:
            try:
                return function(*args, **kwargs)
            except SQLAlchemyError as exc:
                raise StoreError(f"{what}: {_one_line(exc)}") from None

        return call

    return wrap


class RequestConflict(Exception):
    """A request key was recorded for another request (its digest differs): not a retry."""


def request_key(name: str, digest: str | None = None) -> str:
    """A request key for `Store.record` and `Store.replay`: `name` is what is unique per tenant;
    `digest`, when given, names everything the request carried, so that the same name sent with
    anything else is a `RequestConflict`. The two travel as one string (`name` LF `digest`), as a
    name never holds a line feed (an HTTP header value cannot)."""
    return f"{name}\n{digest}" if digest else name


# A claim's request named by what it carries (its claim id, fields and photos) is a retry only while
# its report is the claim's latest: sent again after another request or a reverify of the claim (a
# region moved and moved back, taken back and drawn again), it is a new request, verified and recorded,
# where replaying the first answer showed what the record no longer held. A client's Idempotency-Key
# stays the first answer's for good.
CLAIM_REQUEST = "claim:"


def claim_request_key(digest: str) -> str:
    """The request key of a claim's request whose everything is `digest` (see CLAIM_REQUEST)."""
    return request_key(f"{CLAIM_REQUEST}{digest}")


def _split_request_key(key: str) -> tuple[str, str | None]:
    name, _, digest = key.partition("\n")
    return name, digest or None


def _latest_report(session: Session, claim_pk: int) -> int | None:
    return session.scalar(select(func.max(ReportRow.id)).where(ReportRow.claim_pk == claim_pk))


class Store:
    def __init__(self, url: str) -> None:
        try:
            parsed = make_url(url)
        except (ArgumentError, ValueError):  # ValueError: a port that is not a number
            raise StoreError(f"not a database URL: {unparsed_shown(url)!r}") from None
        # What messages echo: the URL as the user wrote it, not with the driver named below.
        self.shown_url = shown_url(parsed)
        # `postgres://` is how Heroku, Render and many .env files write it; SQLAlchemy knows no such
        # dialect and said only "Can't load plugin: sqlalchemy.dialects:postgres".
        if parsed.drivername in ("postgresql", "postgres"):
            parsed = parsed.set(drivername="postgresql+psycopg")
        self.file = sqlite_file(parsed)
        if self.file is not None:
            if (parsed.database or "").startswith("~"):
                parsed = parsed.set(database=str(self.file))  # SQLite does not expand `~` itself
            try:
                self.file.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create the folder for {self.file}: {exc.strerror}") from None
        try:
            # A server's connection can drop between requests (restart, idle timeout): test it on
            # checkout. A SQLite file cannot, and the test was a query per request for nothing.
            self.engine: Engine = create_engine(parsed, pool_pre_ping=parsed.get_backend_name() != "sqlite")
        except (ArgumentError, ImportError) as exc:
            raise StoreError(f"cannot use database {self.shown_url}: {exc}") from None
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.url = parsed.render_as_string(hide_password=True)
        try:
            self._migrate()
        except SQLAlchemyError as exc:
            raise StoreError(
                f"cannot open the store at {self.shown_url}: {_one_line(exc)}{_disk_state(self.file)}"
            ) from None

    def _migrate(self) -> None:
        with self.engine.connect() as connection:
            found = _schema_version(connection)
        if found == SCHEMA_HEAD:
            return
        from alembic import command
        from alembic.config import Config
        from alembic.util import CommandError

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with self.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                # Several API processes starting at once on a new database: one migrates (DDL is
                # transactional there), the others wait for this lock and then find nothing to do.
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            elif (
                connection.dialect.name == "sqlite"
                and str(self.engine.url.database or ":memory:") != ":memory:"
            ):
                # The same for SQLite: take the write lock first (waiting up to the busy timeout).
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            config.attributes["connection"] = connection
            try:
                command.upgrade(config, "head")
            except CommandError:
                # A newer evidence-check migrated the store (a process left on the old version during
                # an upgrade, a rollback of the code): alembic knows no such revision, and said so
                # in a traceback.
                raise StoreError(
                    f"cannot open the store at {self.shown_url}: its schema is at {found}, which this version of "
                    f"evidence-check (schema {SCHEMA_HEAD}) does not know; a newer version migrated it: run that one"
                ) from None

    def close(self) -> None:
        self.engine.dispose()

    def record(
        self,
        claim: Claim,
        photos: Iterable[tuple[str, str]],
        report: dict[str, Any],
        when: datetime,
        request_keys: Sequence[str] = (),
        fingerprints: Mapping[str, StoredPrint] | None = None,
        files: Mapping[str, bytes] | None = None,
        fields: Mapping[str, Any] | None = None,
        events: Sequence[Event] = (),
        admitted: Callable[[set[str]], None] | None = None,
    ) -> dict[str, Any] | None:
        """Record the claim, its photos (image_id, filename), its report and the webhook `events`
        announcing it (`outbox`), all or nothing.

        `fingerprints` (by image_id) are what the reuse look keeps of each new photo of the claim;
        `files` (by image_id) and `fields` (the claim as sent) what verifying it again starts from.

        `request_keys` name the request (an Idempotency-Key, a digest of claim and photos; see
        `request_key`); they are unique per tenant, so when another process recorded the same
        request first, this transaction fails as a whole and the report recorded first is returned
        instead (None means this report was recorded). When another request took one of the keys
        first, `RequestConflict` is raised and nothing of this one is recorded.

        `admitted` is called with the image ids of the photos the claim holds, the claim held until
        the transaction ends; what it raises (the service's bound on a claim's photos) refuses the
        record whole. Here, not before: requests sent to a claim at once each found it short of the
        bound before they were analysed.
        """
        photos = list(photos)
        # Two requests creating the same claim at once: the loser's insert breaks the unique
        # claim constraint; a second attempt finds the claim row and adds to it.
        for attempt in range(2):
            try:
                self._record_once(
                    claim, photos, report, when, request_keys, fingerprints or {}, files or {}, fields, events, admitted
                )
                return None
            except IntegrityError as exc:
                earlier = self.replay(claim.tenant, request_keys)
                if earlier is not None:
                    return earlier
                if attempt == 1:
                    raise StoreError(f"could not record claim {claim.claim_id}: {_one_line(exc)}") from None
            except SQLAlchemyError as exc:
                raise StoreError(f"could not record claim {claim.claim_id}: {_one_line(exc)}") from None
        raise AssertionError("unreachable")

    def _record_once(
        self,
        claim: Claim,
        photos: Sequence[tuple[str, str]],
        report: dict[str, Any],
        when: datetime,
        request_keys: Sequence[str],
        fingerprints: Mapping[str, StoredPrint],
        files: Mapping[str, bytes],
        fields: Mapping[str, Any] | None,
        events: Sequence[Event],
        admitted: Callable[[set[str]], None] | None,
    ) -> None:
        with self.sessions.begin() as session:
            claim_row = self._claim_row(session, claim, when)
            known = set(session.scalars(select(PhotoRow.image_id).where(PhotoRow.claim_pk == claim_row.id)))
            if admitted is not None:
                admitted(known)
            if fields is not None:
                claim_row.fields = with_earlier_regions(fields, self._with_regions_by_image(session, claim_row))
            for image_id, filename in photos:
                if image_id in known:
                    continue
                known.add(image_id)
                photo_row = PhotoRow(
                    tenant=claim.tenant,
                    image_id=image_id,
                    claim_pk=claim_row.id,
                    claim_id=claim.claim_id,
                    customer_id=claim.customer_id,
                    filename=stored_filename(filename),
                    first_seen=when,
                )
                session.add(photo_row)
                if image_id in files:
                    session.flush()
                    session.add(PhotoFileRow(photo_pk=photo_row.id, data=files[image_id]))
                if image_id in fingerprints:
                    session.add(
                        fingerprint_row(
                            claim.tenant,
                            "claim",
                            claim.claim_id,
                            image_id,
                            filename,
                            when,
                            fingerprints[image_id],
                            claim.customer_id,
                        )
                    )
            report_row = ReportRow(
                claim_pk=claim_row.id,
                created_at=when,
                verdict=report["verdict"],
                risk=float(report["risk"]),
                body=report,
            )
            latest = _latest_report(session, claim_row.id)
            session.add(report_row)
            if request_keys:
                session.flush()
                for name, digest in dict(map(_split_request_key, request_keys)).items():
                    if name.startswith(CLAIM_REQUEST) and latest is not None:
                        # Its earlier report is no longer the claim's latest: this is a new request,
                        # the key moves to it. On the latest, the key stays and the insert below
                        # fails: the same request recorded a moment ago by another process.
                        session.execute(
                            delete(RequestKeyRow).where(
                                RequestKeyRow.tenant == claim.tenant,
                                RequestKeyRow.request_key == name,
                                RequestKeyRow.report_pk != latest,
                            )
                        )
                    session.add(
                        RequestKeyRow(
                            tenant=claim.tenant,
                            request_key=name,
                            request_digest=digest,
                            report_pk=report_row.id,
                            created_at=when,
                        )
                    )
            queue_events(session, claim.tenant, events, when)

    @store_errors("could not read the earlier report of this request")
    def replay(self, tenant: str, request_keys: Sequence[str]) -> dict[str, Any] | None:
        """The report recorded earlier for any of these request keys, if one was; `RequestConflict`
        when one of them was recorded with another digest (see `request_key`)."""
        if not request_keys:
            return None
        wanted = dict(map(_split_request_key, request_keys))
        with self.sessions() as session:
            rows = session.execute(
                select(
                    RequestKeyRow.request_key,
                    RequestKeyRow.request_digest,
                    ReportRow.body,
                    ReportRow.id,
                    ReportRow.claim_pk,
                )
                .join(ReportRow, RequestKeyRow.report_pk == ReportRow.id)
                .where(RequestKeyRow.tenant == tenant, RequestKeyRow.request_key.in_(list(wanted)))
                .order_by(RequestKeyRow.id)
            ).all()
            for name, recorded_digest, *_ in rows:
                given = wanted[name]
                if given is not None and recorded_digest is not None and given != recorded_digest:
                    raise RequestConflict(f"request key {name[:80]!r} was recorded for another request")
            for name, _digest, body, report_pk, claim_pk in rows:
                if not name.startswith(CLAIM_REQUEST) or _latest_report(session, claim_pk) == report_pk:
                    return dict(body)
        return None

    @store_errors("could not read the report")
    def latest_report(self, tenant: str, claim_id: str) -> dict[str, Any] | None:
        with self.sessions() as session:
            body = session.scalar(
                select(ReportRow.body)
                .join(ClaimRow, ClaimRow.id == ReportRow.claim_pk)
                .where(ClaimRow.tenant == tenant, ClaimRow.claim_id == claim_id)
                .order_by(ReportRow.id.desc())
                .limit(1)
            )
        return dict(body) if body is not None else None

    @staticmethod
    def _with_regions_by_image(session: Session, claim_row: ClaimRow) -> dict[str, Any] | None:
        """The claim's fields as recorded; those of a claim recorded before they kept each photo's
        region by its image id with the region they held (its latest request's) under the photo a
        reverify judged it on, the claim's photos in order, so that a later request keeps it."""
        fields = claim_row.fields
        region = (fields or {}).get("region")
        if not fields or PHOTO_REGIONS in fields or not region:
            return fields
        number = region[4] if len(region) > 4 and region[4] else 1
        image_ids = session.scalars(
            select(PhotoRow.image_id).where(PhotoRow.claim_pk == claim_row.id).order_by(PhotoRow.id)
        ).all()
        on = {image_ids[number - 1]: list(region[:4])} if number <= len(image_ids) else {}
        return {**fields, PHOTO_REGIONS: on}

    def _claim_row(self, session: Session, claim: Claim, when: datetime) -> ClaimRow:
        # Held to the end of the transaction: its fields are read, added to and written back
        # (`with_earlier_regions`), and another request of the claim must read them after, not before.
        row = session.scalar(
            held(
                session,
                select(ClaimRow).where(ClaimRow.tenant == claim.tenant, ClaimRow.claim_id == claim.claim_id),
                keys_kept=True,
            )
        )
        if row is None:
            row = ClaimRow(
                tenant=claim.tenant,
                claim_id=claim.claim_id,
                customer_id=claim.customer_id,
                sku=claim.sku,
                reason=claim.reason.value,
                order_id=claim.order_id,
                wanted=claim.wanted.value if claim.wanted else None,
                created_at=when,
                updated_at=when,
            )
            session.add(row)
            session.flush()
        else:
            row.updated_at = when
            row.reason = claim.reason.value  # given, or the claim's as sent before (intake.build_claim)
            row.customer_id = claim.customer_id or row.customer_id
            if claim.customer_id:
                # The reuse look compares customers by the claim's fingerprint rows, written when its
                # photos were first recorded: a customer id sent later is theirs too.
                session.execute(
                    update(FingerprintRow)
                    .where(
                        FingerprintRow.tenant == claim.tenant,
                        FingerprintRow.kind == "claim",
                        FingerprintRow.ref_id == claim.claim_id,
                        or_(FingerprintRow.customer_id.is_(None), FingerprintRow.customer_id != claim.customer_id),
                    )
                    .values(customer_id=claim.customer_id)
                )
            row.sku = claim.sku or row.sku
            row.order_id = claim.order_id or row.order_id
            row.wanted = claim.wanted.value if claim.wanted else row.wanted
        return row


def _schema_version(connection: Any) -> str | None:
    """The revision the store's schema is at; None: a new store (no revision table yet)."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _disk_state(file: Path | None) -> str:
    """What SQLite leaves unsaid when it cannot open its file: a full disk is a "disk I/O error" (no
    room for the write-ahead log), a read-only one "unable to open database file"."""
    if file is None:
        return ""
    folder = file.parent
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return ""
    if free < SQLITE_ROOM_BYTES:
        return f" (its disk is full: {free // 1024} kB free in {folder})"
    if not os.access(folder, os.W_OK):
        return f" ({folder} is read-only)"
    return ""


def insert_dialect(session: Session) -> Any:
    """The dialect module whose `insert` has `on_conflict_do_…`."""
    return postgresql if session.get_bind().dialect.name == "postgresql" else sqlite


def _one_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__
