"""Rows a transaction holds until it ends: the one home of how each backend does it (SQLite has one
writer at a time; PostgreSQL locks the rows read)."""

from __future__ import annotations

import hashlib
from typing import Any, TypeVar

from sqlalchemy import Select, text
from sqlalchemy.orm import Session

Query = TypeVar("Query", bound=Select[Any])


def held(session: Session, query: Query, *, keys_kept: bool = False) -> Query:
    """`query` reading its rows held until the transaction ends; call it first in the transaction.
    PostgreSQL locks the rows read (FOR UPDATE; with `keys_kept`, a caller that will neither delete the
    rows nor change their keys, FOR NO KEY UPDATE, which lets readers holding them FOR KEY SHARE go on).
    SQLite has one writer at a time, but pysqlite begins
    its transaction only at the first INSERT/UPDATE/DELETE (the reads before run outside it, so two
    callers could both read before either wrote): `BEGIN IMMEDIATE` takes the write lock now, waiting
    up to the store's busy timeout for a writer holding it (`_migrate` does the same)."""
    if session.get_bind().dialect.name == "sqlite":
        session.connection().exec_driver_sql("BEGIN IMMEDIATE")
        return query
    return query.with_for_update(key_share=keys_kept)


def held_from_removal(session: Session, query: Query) -> Query:
    """`query` reading its rows kept from deletion (and from a change of their keys) until the
    transaction ends, while other transactions may read and keep them so too; call it once this
    transaction has written. PostgreSQL: FOR KEY SHARE, which a `held(..., keys_kept=True)` writer does
    not wait for and a DELETE does. SQLite: a transaction that wrote holds the one writer's lock, so a
    removal waits for it already."""
    if session.get_bind().dialect.name == "sqlite":
        return query
    return query.with_for_update(read=True, key_share=True)


def held_name(session: Session, *name: str) -> None:
    """Hold `name` until the transaction ends, for a look-then-insert of rows that may not exist yet
    (no row to lock): another transaction holding the same name waits, then sees what this one
    committed. PostgreSQL: a transaction's advisory lock on the name's first 64 bits of sha256 (two names
    sharing them only wait for each other). SQLite: the one writer's lock (`BEGIN IMMEDIATE`), as `held`.
    Call it first in the transaction."""
    if session.get_bind().dialect.name == "sqlite":
        session.connection().exec_driver_sql("BEGIN IMMEDIATE")
        return
    digest = hashlib.sha256("\0".join(name).encode("utf-8", "surrogatepass")).digest()
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": int.from_bytes(digest[:8], "big", signed=True)})
