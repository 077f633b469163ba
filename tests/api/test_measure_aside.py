"""Measuring what is recorded on a second thread changes nothing recorded or reported, and the
server does it only for a claim that is alone in its process."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import select

from api.verifying import Gate
from evidence_check.engine import Upload, now_utc
from evidence_check.intake import build_claim
from evidence_check.service import verify_claim
from evidence_check.settings import Settings
from evidence_check.store import Store
from evidence_check.store.reuse_tables import FingerprintRow
from tests.api.conftest import jpeg, make_api, photos

PHOTOS = [("a.jpg", jpeg(11, (1200, 900))), ("b.jpg", jpeg(12, (900, 1200))), ("c.jpg", b"not a photo")]


def record(tmp_path: Path, name: str, aside: bool) -> tuple[dict[str, object], list[tuple[object, ...]]]:
    store = Store(f"sqlite:///{tmp_path / name}")
    try:
        now = now_utc()
        claim = build_claim(now=now, time_zone="UTC", claim_id="c-1", customer_id="u-1")
        outcome = verify_claim(
            claim,
            [Upload(n, d) for n, d in PHOTOS],
            settings=Settings(db=store.url),
            store=store,
            now=now,
            measure_aside=aside,
        )
        with store.sessions() as session:
            rows = session.execute(
                select(
                    FingerprintRow.image_id,
                    FingerprintRow.pdq,
                    FingerprintRow.phash,
                    FingerprintRow.quality,
                    FingerprintRow.features,
                ).order_by(FingerprintRow.image_id)
            ).all()
        return outcome.body, [tuple(row) for row in rows]
    finally:
        store.close()


def test_measuring_aside_records_and_reports_the_same(tmp_path: Path) -> None:
    body_aside, rows_aside = record(tmp_path, "aside.sqlite3", aside=True)
    body_serial, rows_serial = record(tmp_path, "serial.sqlite3", aside=False)
    assert len(rows_aside) == 2 and rows_aside == rows_serial

    def verdicts(body: dict[str, object]) -> object:
        images = body["images"]
        assert isinstance(images, list)
        return body["verdict"], [(i["image_id"], i["verdict"], sorted(i["checks"])) for i in images]

    assert verdicts(body_aside) == verdicts(body_serial)


def test_the_gate_says_how_many_claims_are_being_analysed() -> None:
    gate = Gate(2)
    inside, release = threading.Event(), threading.Event()
    seen: list[int] = []

    def first() -> None:
        with gate.enter() as busy:
            seen.append(busy)
            inside.set()
            release.wait(10)

    worker = threading.Thread(target=first)
    worker.start()
    assert inside.wait(10)
    with gate.enter() as busy:
        seen.append(busy)
    release.set()
    worker.join()
    with gate.enter() as busy:
        seen.append(busy)
    assert seen == [1, 2, 1]


def test_the_api_with_measuring_aside_records_a_reusable_photo(store: Store) -> None:
    for api in make_api(store, measure_while_checking=True):
        first = api.verify(photos(("a.jpg", jpeg(21, (1200, 900)))), {"customer_id": "alice"})
        again = api.verify(photos(("a.jpg", jpeg(21, (1200, 900)))), {"customer_id": "bob"})
        assert first.status_code == again.status_code == 200
        assert again.json()["images"][0]["checks"]["reuse"]["status"] == "fail"
