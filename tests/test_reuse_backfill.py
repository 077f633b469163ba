"""`evidence-check reuse add-middle-codes`: rows recorded before the middle crop code given it."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from PIL import ImageOps
from sqlalchemy import select, text, update
from typer.testing import CliRunner

from evidence_check import reuse_rows
from evidence_check.cli import app
from evidence_check.engine import Upload
from evidence_check.imaging import fingerprint as fp
from evidence_check.imaging.load import Limits, Photo
from evidence_check.measure import Measurements
from evidence_check.references import References, StoredPrint, stored_print
from evidence_check.reuse_file import Built, HostFile
from evidence_check.reuse_rows import MIDDLE_AT, Backfilled, backfill_middle
from evidence_check.store import Store
from evidence_check.store.reuse_tables import FingerprintRow, fingerprint_row
from evidence_check.store.tables import PhotoFileRow
from fixtures.make_fixtures import jpeg
from tests.conftest import at_revision, hamming
from tests.reuse_codes import FIRST_SEEN_AT
from tests.test_reuse import bags_edge_to_edge, copy_of, eval_crop, photo_of, run_claim


def without_middle(stored: StoredPrint, keep_features: bool = True) -> StoredPrint:
    """A row of the layout before the middle crop code (as the earlier layout's test makes one)."""
    return StoredPrint(
        pdq=stored.pdq[: 32 * MIDDLE_AT] + stored.pdq[32 * (MIDDLE_AT + 1) :],
        phash=stored.phash[: 8 * MIDDLE_AT] + stored.phash[8 * (MIDDLE_AT + 1) :],
        quality=stored.quality,
        features=stored.features if keep_features else None,
    )


def add_row(store: Store, tenant: str, ref_id: str, photo: Photo, stored: StoredPrint) -> None:
    with store.sessions.begin() as session:
        session.add(fingerprint_row(tenant, "stock", ref_id, photo.image_id, photo.filename, FIRST_SEEN_AT, stored))


def codes_of(store: Store, ref_id: str) -> tuple[bytes, bytes]:
    with store.sessions() as session:
        pdq, phash = session.execute(
            select(FingerprintRow.pdq, FingerprintRow.phash).where(FingerprintRow.ref_id == ref_id)
        ).one()
    return bytes(pdq), bytes(phash)


def found(references: References, tenant: str, photo: Photo) -> set[str]:
    return {m.entry.ref_id for m in references.matches(tenant, Measurements(photo)) if m.entry.image_id != photo.image_id}


def test_the_middle_code_of_the_fingerprints_grey_is_its_crop_code() -> None:
    print_ = fp.fingerprint(photo_of(bags_edge_to_edge(3)).working)
    middle = print_.crop_codes[-1]
    assert fp.middle_codes(print_.grey) == (middle.pdq[0], middle.phash[0])


def test_old_rows_are_given_the_middle_code_from_their_file_or_thumbnail(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows of the earlier layout (a claim photo whose file is kept, a stock photo with its thumbnail,
    one with neither) beside a row of today's: a tenth cut off every side of the first two is found
    after the command, by a process that was running all along (its host file deleted) and by one
    started after, and the codes are the exact one and a near one; the third is skipped and counted."""
    monkeypatch.setenv("EVIDENCE_CHECK_REUSE_INDEX_DIR", str(tmp_path))
    claimed, thumb_only, bare, new = (photo_of(bags_edge_to_edge(seed)) for seed in (8, 16, 38, 1))
    run_claim(store, Upload("claim.jpg", jpeg(claimed.full)), "c-1", None, FIRST_SEEN_AT, tenant="t")
    exact_pdq, exact_phash = codes_of(store, "c-1")
    with store.sessions.begin() as session:
        row = session.scalars(select(FingerprintRow).where(FingerprintRow.ref_id == "c-1")).one()
        old = without_middle(StoredPrint(exact_pdq, exact_phash, row.quality, row.features))
        session.execute(update(FingerprintRow).where(FingerprintRow.id == row.id).values(pdq=old.pdq, phash=old.phash))
    thumb_print = stored_print(fp.fingerprint(thumb_only.working))
    add_row(store, "t", "thumb", thumb_only, without_middle(thumb_print))
    bare_print = without_middle(stored_print(fp.fingerprint(bare.working)), keep_features=False)
    add_row(store, "t", "bare", bare, bare_print)
    add_row(store, "t", "new", new, stored_print(fp.fingerprint(new.working)))
    running = References(store, folder=tmp_path)
    pictures = {"c-1": claimed, "thumb": thumb_only, "bare": bare, "new": new}
    crops = {ref_id: photo_of(eval_crop(photo.full), "crop.jpg") for ref_id, photo in pictures.items()}
    assert {ref_id: found(running, "t", crop) for ref_id, crop in crops.items()} == {
        "c-1": set(), "thumb": set(), "bare": set(), "new": {"new"}
    }

    result = CliRunner().invoke(app, ["reuse", "add-middle-codes", "--db", store.url])
    assert result.exit_code == 0, result.output
    assert result.output == (
        "middle crop code added to 1 photo(s) from their files and 1 from their thumbnails; "
        "1 skipped (no file or thumbnail kept); 1 had it already\n"
    )
    assert codes_of(store, "c-1") == (exact_pdq, exact_phash)
    pdq, phash = codes_of(store, "thumb")
    assert len(pdq) == len(thumb_print.pdq) and len(phash) == len(thumb_print.phash)
    assert thumb_print.features is not None
    from_thumb = fp.middle_codes(fp.Features.from_bytes(thumb_print.features).thumb)
    assert (pdq[32 * MIDDLE_AT :][:32], phash[8 * MIDDLE_AT :][:8]) == from_thumb
    assert from_thumb[0] != thumb_print.pdq[32 * MIDDLE_AT :][:32]  # near the exact code, not it
    assert hamming(from_thumb[1], thumb_print.phash[8 * MIDDLE_AT :][:8]) <= 4
    assert codes_of(store, "bare") == (bare_print.pdq, bare_print.phash)
    for references in (running, References(store), References(store, folder=tmp_path)):
        assert {ref_id: found(references, "t", crop) for ref_id, crop in crops.items()} == {
            "c-1": {"c-1"}, "thumb": {"thumb"}, "bare": set(), "new": {"new"}
        }
        assert found(references, "t", copy_of(bare)) == {"bare"}

    host_file = next(tmp_path.glob("reuse-*.index"))
    built = host_file.stat().st_ino
    again = CliRunner().invoke(app, ["reuse", "add-middle-codes", "--db", store.url, "--tenant", "t"])
    assert again.exit_code == 0, again.output
    assert again.output == (
        "middle crop code added to 0 photo(s) from their files and 0 from their thumbnails; "
        "1 skipped (no file or thumbnail kept); 3 had it already\n"
    )
    assert host_file.stat().st_ino == built  # nothing changed: the host's file is kept
    on_another_host = CliRunner().invoke(app, ["reuse", "add-middle-codes", "--db", store.url, "--drop-reuse-file"])
    assert on_another_host.exit_code == 0 and on_another_host.output == again.output
    assert not host_file.exists()
    other = CliRunner().invoke(app, ["reuse", "add-middle-codes", "--db", store.url, "--tenant", "u"])
    assert other.output.startswith("middle crop code added to 0 photo(s) from their files and 0 from their thumbnails; 0 skipped")


def old_rows(store: Store, seeds: range) -> tuple[dict[str, Any], int]:
    """Tenant t's photos `p<seed>` recorded as before the middle crop code, and their rows' PDQ length."""
    photos = {f"p{seed}": photo_of(bags_edge_to_edge(seed)) for seed in seeds}
    for ref_id, photo in photos.items():
        add_row(store, "t", ref_id, photo, without_middle(stored_print(fp.fingerprint(photo.working))))
    return photos, len(codes_of(store, "p2")[0])


def test_a_stopped_run_leaves_every_row_of_one_layout_and_a_second_run_finishes(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    photos, old_length = old_rows(store, range(2, 7))
    hashed = fp.middle_codes
    calls: list[int] = []

    def failing_on_the_third(grey: np.ndarray) -> tuple[bytes, bytes]:
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("stopped")
        return hashed(grey)

    monkeypatch.setattr(fp, "middle_codes", failing_on_the_third)
    with pytest.raises(RuntimeError):
        backfill_middle(store, None, Limits(), batch=2)
    lengths = {ref_id: (len(codes_of(store, ref_id)[0]), len(codes_of(store, ref_id)[1]) * 4) for ref_id in photos}
    assert sorted(pdq for pdq, _ in lengths.values()) == [old_length] * 3 + [old_length + 32] * 2
    assert all(pdq == phash for pdq, phash in lengths.values())

    monkeypatch.setattr(fp, "middle_codes", hashed)
    done = backfill_middle(store, None, Limits(), batch=2)
    assert (done.exact, done.approximate, done.skipped, done.complete) == (0, 3, 0, 2)
    assert {len(codes_of(store, ref_id)[0]) for ref_id in photos} == {old_length + 32}


def test_a_store_that_is_down_is_one_line_and_exit_1() -> None:
    result = CliRunner().invoke(app, ["reuse", "add-middle-codes", "--db", "postgresql://nobody@127.0.0.1:1/none"])
    assert result.exit_code == 1
    assert result.output.startswith("evidence-check: cannot open the store") and result.output.count("\n") == 1



def test_a_framing_where_the_middle_code_goes_is_not_taken_for_it_and_a_thin_thumbnail_is_not_hashed(
    store: Store,
) -> None:
    """A letterboxed photo's old row holds the untrimmed frame's code where the middle code goes: it
    is given the middle code. A 960x60 strip's thumbnail is 128x8: without its file it is skipped."""
    boxed = photo_of(ImageOps.expand(bags_edge_to_edge(4), border=80, fill=(0, 0, 0)))
    boxed_print = stored_print(fp.fingerprint(boxed.working))
    assert len(boxed_print.pdq) // 32 > MIDDLE_AT + 1  # the frame's code follows the middle one
    strip = photo_of(bags_edge_to_edge(2).resize((960, 60)))
    strip_print = stored_print(fp.fingerprint(strip.working))
    assert strip_print.features is not None and fp.Features.from_bytes(strip_print.features).thumb.shape[0] < 32
    add_row(store, "t", "boxed", boxed, without_middle(boxed_print))
    add_row(store, "t", "strip", strip, without_middle(strip_print))
    done = backfill_middle(store, None, Limits())
    assert (done.exact, done.approximate, done.skipped, done.complete) == (0, 1, 1, 0)
    assert len(codes_of(store, "boxed")[0]) == len(boxed_print.pdq)
    again = backfill_middle(store, None, Limits())
    assert (again.exact, again.approximate, again.skipped, again.complete) == (0, 0, 1, 1)


def test_rows_of_an_unknown_layout_are_left_alone_and_a_damaged_thumbnail_is_no_crash(store: Store) -> None:
    """A row with fewer codes than the picture's and the nine crops' has no place for the middle code
    that a later run could tell: given one, it was given another by every run. A features blob
    that does not parse is no thumbnail: the row is skipped, the run goes on."""
    photo = photo_of(bags_edge_to_edge(3))
    whole = stored_print(fp.fingerprint(photo.working))
    old = without_middle(whole)
    add_row(store, "t", "one-code", photo, StoredPrint(whole.pdq[:32], whole.phash[:8], whole.quality, whole.features))
    add_row(store, "t", "uneven", photo, StoredPrint(old.pdq, old.phash[:-8], old.quality, old.features))
    add_row(store, "t", "ragged", photo, StoredPrint(old.pdq + bytes(5), old.phash, old.quality, old.features))
    add_row(store, "t", "damaged", photo, StoredPrint(old.pdq, old.phash, old.quality, b"\x01" * 30))
    add_row(store, "t", "old", photo, old)
    before = {ref_id: codes_of(store, ref_id) for ref_id in ("one-code", "uneven", "ragged", "damaged")}
    for expected in ("1 from their thumbnails; 1 skipped", "0 from their thumbnails; 1 skipped"):
        result = CliRunner().invoke(app, ["reuse", "add-middle-codes", "--db", store.url])
        assert result.exit_code == 0, result.output
        assert expected in result.output and result.output.endswith("; 3 of an unknown layout left alone\n")
        assert {ref_id: codes_of(store, ref_id) for ref_id in before} == before
    assert len(codes_of(store, "old")[0]) == len(whole.pdq)


def test_a_row_of_todays_layout_with_its_file_but_no_thumbnail_is_told_by_the_file(store: Store) -> None:
    run_claim(store, Upload("claim.jpg", jpeg(photo_of(bags_edge_to_edge(8)).full)), "c-1", None, FIRST_SEEN_AT, tenant="t")
    with store.sessions.begin() as session:
        session.execute(update(FingerprintRow).values(features=None))
    codes = codes_of(store, "c-1")
    done = backfill_middle(store, None, Limits())
    assert (done.exact, done.approximate, done.skipped, done.complete) == (0, 0, 0, 1)
    assert codes_of(store, "c-1") == codes


def test_a_kept_file_that_does_not_load_leaves_the_thumbnail(store: Store) -> None:
    run_claim(store, Upload("claim.jpg", jpeg(photo_of(bags_edge_to_edge(8)).full)), "c-1", None, FIRST_SEEN_AT, tenant="t")
    pdq, phash = codes_of(store, "c-1")
    old = without_middle(StoredPrint(pdq, phash, 0, None))
    with store.sessions.begin() as session:
        session.execute(update(FingerprintRow).values(pdq=old.pdq, phash=old.phash))
        session.execute(update(PhotoFileRow).values(data=b"not a picture"))
    done = backfill_middle(store, None, Limits())
    assert (done.exact, done.approximate, done.skipped, done.complete) == (0, 1, 0, 0)
    assert len(codes_of(store, "c-1")[0]) == len(pdq)


def test_two_runs_at_once_give_a_row_one_middle_code(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """A second run writes the rows after the first read them: the first's writes find the rows
    changed and leave them (a row is rewritten only while its codes are the ones read), and count
    them complete, so every row read is counted once."""
    photos, old_length = old_rows(store, range(2, 5))
    computed = reuse_rows._middle_codes
    other: list[Backfilled] = []

    def another_run_meanwhile(*args: Any) -> Any:
        updates = computed(*args)
        if not other:
            other.append(Backfilled())
            other[0] = backfill_middle(store, None, Limits())
        return updates

    monkeypatch.setattr(reuse_rows, "_middle_codes", another_run_meanwhile)
    done = backfill_middle(store, None, Limits())
    assert (other[0].approximate, done.approximate, done.exact, done.complete) == (3, 0, 0, 3)
    assert {len(codes_of(store, ref_id)[0]) for ref_id in photos} == {old_length + 32}


def test_the_middle_code_is_told_within_either_distance() -> None:
    """At the middle's place a code within 8 pHash bits or within 64 PDQ bits of the one hashed now
    is taken for it (a thumbnail's code lies within one or the other of the exact one)."""
    whole = stored_print(fp.fingerprint(photo_of(bags_edge_to_edge(3)).working))
    middle = (whole.pdq[32 * MIDDLE_AT :][:32], whole.phash[8 * MIDDLE_AT :][:8])

    def off(code: bytes, bits: int) -> bytes:
        return (int.from_bytes(code) ^ ((1 << bits) - 1)).to_bytes(len(code))

    def row(pdq_bits: int, phash_bits: int) -> SimpleNamespace:
        return SimpleNamespace(
            pdq=whole.pdq[: 32 * MIDDLE_AT] + off(middle[0], pdq_bits) + whole.pdq[32 * (MIDDLE_AT + 1) :],
            phash=whole.phash[: 8 * MIDDLE_AT] + off(middle[1], phash_bits) + whole.phash[8 * (MIDDLE_AT + 1) :],
        )

    assert reuse_rows._holds(row(0, 0), middle)
    assert reuse_rows._holds(row(200, 8), middle)  # by pHash
    assert reuse_rows._holds(row(64, 30), middle)  # by PDQ
    assert not reuse_rows._holds(row(65, 9), middle)


def test_a_missing_sqlite_file_is_refused_not_made_a_new_store(tmp_path: Path) -> None:
    for command in (["add-middle-codes"], ["forget-features", "--older-than", "30"]):
        missing = tmp_path / "typo" / "store.db"
        result = CliRunner().invoke(app, ["reuse", *command, "--db", f"sqlite:///{missing}"])
        assert result.exit_code == 1
        assert result.output == f"evidence-check: no store at {missing}: no such SQLite file\n"
        assert not missing.parent.exists()


def test_a_generation_of_the_file_mapped_before_it_was_deleted_is_not_written_after(tmp_path: Path) -> None:
    """A server that mapped the host file, then writes its next generation (the mapped codes and its
    memory's) after the command deleted the file, would bring the old codes back: it does not."""
    host = HostFile(tmp_path, "sqlite:///store.sqlite3")
    opened = host.open(lambda: [Built({}, 0, {})], lambda built: True)
    host.remove()
    assert not host.next_generation(opened.identity, lambda: (opened.built, {}))
    assert not host.path.exists()
    assert host.open(lambda: [Built({}, 0, {})], lambda built: True).identity != opened.identity


@pytest.mark.new_database  # stored at revision 0003 (the fingerprints' features), then migrated by the store
def test_a_store_from_the_first_fingerprints_schema_is_given_the_code_end_to_end(store_url: str) -> None:
    photo = photo_of(bags_edge_to_edge(16))
    old = without_middle(stored_print(fp.fingerprint(photo.working)))
    with at_revision(store_url, "0003_reuse_features") as connection:
        connection.execute(
            text("INSERT INTO fingerprints (tenant, kind, ref_id, customer_id, image_id, filename, first_seen, pdq, "
                 "phash, quality, features) VALUES ('t', 'stock', 'old', NULL, :image_id, 'old.jpg', :seen, :pdq, "
                 ":phash, :quality, :features)"),
            {"image_id": photo.image_id, "seen": FIRST_SEEN_AT, "pdq": old.pdq, "phash": old.phash,
             "quality": old.quality, "features": old.features},
        )  # fmt: skip
    store = Store(store_url)
    try:
        crop = photo_of(eval_crop(photo.full), "crop.jpg")
        assert found(References(store), "t", crop) == set()
        result = CliRunner().invoke(app, ["reuse", "add-middle-codes", "--db", store_url])
        assert result.exit_code == 0 and "0 photo(s) from their files and 1 from their thumbnails" in result.output
        assert found(References(store), "t", crop) == {"old"}
    finally:
        store.close()


def test_a_row_of_todays_layout_taken_for_one_lacking_the_code_gains_one_code_once(store: Store) -> None:
    """Of 390 corpus photos two (C.jpg of c2pa and its CAWG copy: thumbnails 60 and 58 px wide) had
    a thumbnail's middle code beyond both distances of the exact one; such a row, with no file to
    tell it by, gains the thumbnail's code beside the exact one, and a second run holds it."""
    photo = photo_of(bags_edge_to_edge(5))
    today = stored_print(fp.fingerprint(photo.working))
    far = StoredPrint(
        today.pdq[: 32 * MIDDLE_AT] + bytes(32) + today.pdq[32 * (MIDDLE_AT + 1) :],
        today.phash[: 8 * MIDDLE_AT] + bytes(8) + today.phash[8 * (MIDDLE_AT + 1) :],
        today.quality,
        today.features,
    )
    add_row(store, "t", "far", photo, far)
    first = backfill_middle(store, None, Limits())
    assert (first.approximate, first.complete) == (1, 0)
    assert len(codes_of(store, "far")[0]) == len(today.pdq) + 32
    second = backfill_middle(store, None, Limits())
    assert (second.approximate, second.complete) == (0, 1)
    assert len(codes_of(store, "far")[0]) == len(today.pdq) + 32
