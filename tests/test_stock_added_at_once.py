"""One picture, one kind of reference, when two adds of it run at once (`POST /v1/stock`, `stock add`,
each through `add_references`): the second waits for the first, then counts the picture known and stores
nothing. Each add here, once it has looked for the picture and before it stores its row, waits for the
other to get there too (`at_once`): while the look and the insert were apart, both got there, and both
stored the picture and counted it added. SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import suppress
from typing import Any

import pytest
from sqlalchemy import select

from evidence_check import references as references_module
from evidence_check.references import AddResult, References, add_references
from evidence_check.service import limits_from
from evidence_check.settings import Settings
from evidence_check.store import Store
from evidence_check.store.reuse_tables import FingerprintRow
from fixtures.make_fixtures import jpeg, product_photo

# How long an add about to store its row waits for the other: unheld, the other gets there within
# milliseconds of starting its add (two selects); an add the other holds waits this long once.
WAIT_SECONDS = 1.0
TENANT = "shop-a"


@pytest.fixture
def at_once(monkeypatch: pytest.MonkeyPatch) -> threading.Barrier:
    """Both adds start looking for their picture together (once each has measured its photo), and each
    about to store its row waits there for the other (up to WAIT_SECONDS): the barrier it answers is
    broken when one waited in vain."""
    started = threading.Barrier(2, timeout=60)
    storing = threading.Barrier(2, timeout=WAIT_SECONDS)
    add_print, make_row = References.add_print, references_module.fingerprint_row

    def add_print_with_the_other(self: References, *args: Any, **kwargs: Any) -> bool:
        started.wait()
        return add_print(self, *args, **kwargs)

    def row_when_both_are_here(*args: Any, **kwargs: Any) -> FingerprintRow:
        with suppress(threading.BrokenBarrierError):
            storing.wait()
        return make_row(*args, **kwargs)

    monkeypatch.setattr(References, "add_print", add_print_with_the_other)
    monkeypatch.setattr(references_module, "fingerprint_row", row_when_both_are_here)
    return storing


def both_at_once(*adds: Callable[[], AddResult]) -> list[AddResult]:
    results: list[AddResult | BaseException] = [RuntimeError("not run")] * len(adds)

    def run(number: int) -> None:
        try:
            results[number] = adds[number]()
        except BaseException as exc:  # handed to the test's thread, which says it
            results[number] = exc

    threads = [threading.Thread(target=run, args=(number,)) for number in range(len(adds))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
        assert not thread.is_alive(), "an add never ended"
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return [result for result in results if isinstance(result, AddResult)]


def adding(store: Store, kind: str, name: str, picture: bytes) -> Callable[[], AddResult]:
    limits = limits_from(Settings())
    return lambda: add_references(store, TENANT, kind, [(name, name, picture, None)], limits)


def kept(store: Store) -> list[tuple[str, str]]:
    with store.sessions() as session:
        rows = session.execute(select(FingerprintRow.kind, FingerprintRow.ref_id).where(FingerprintRow.tenant == TENANT))
        return sorted((row.kind, row.ref_id) for row in rows)


def test_one_picture_added_at_once_as_review_and_as_stock_is_kept_once(
    store: Store, at_once: threading.Barrier
) -> None:
    picture = jpeg(product_photo(31))
    review, stock = both_at_once(
        adding(store, "review", "seen.jpg", picture), adding(store, "stock", "renamed.jpg", picture)
    )
    stored = kept(store)
    assert len(stored) == 1, stored
    [(kind, name)] = stored
    assert (review.added + stock.added, review.known + stock.known) == (1, 1)
    second = stock if kind == "review" else review
    [said] = second.other_kind
    assert (second.added, second.known, said.kind, said.reference_id) == (0, 1, kind, name)


def test_one_picture_added_at_once_under_one_name_is_kept_once(
    store: Store, at_once: threading.Barrier
) -> None:
    picture = jpeg(product_photo(32))
    results = both_at_once(*(adding(store, "stock", "seen.jpg", picture) for _ in range(2)))
    assert kept(store) == [("stock", "seen.jpg")]
    assert sorted((r.added, r.known, r.other_kind) for r in results) == [(0, 1, ()), (1, 0, ())]


def test_one_picture_added_at_once_as_one_kind_under_two_names_is_kept_under_both(
    store: Store, at_once: threading.Barrier
) -> None:
    """As one after the other: a second name of the same kind is a reference of its own."""
    picture = jpeg(product_photo(33))
    results = both_at_once(adding(store, "stock", "a.jpg", picture), adding(store, "stock", "b.jpg", picture))
    assert kept(store) == [("stock", "a.jpg"), ("stock", "b.jpg")]
    assert [(r.added, r.known) for r in results] == [(1, 0), (1, 0)]


def test_two_pictures_added_at_once_as_two_kinds_are_both_kept(
    store: Store, at_once: threading.Barrier
) -> None:
    results = both_at_once(
        adding(store, "review", "one.jpg", jpeg(product_photo(34))),
        adding(store, "stock", "two.jpg", jpeg(product_photo(35))),
    )
    assert kept(store) == [("review", "one.jpg"), ("stock", "two.jpg")]
    assert [(r.added, r.known) for r in results] == [(1, 0), (1, 0)]
    if store.engine.dialect.name == "postgresql":
        # The hold is the picture's, not the tenant's: neither add waited for the other.
        assert not at_once.broken
