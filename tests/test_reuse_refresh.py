"""`evidence-check reuse refresh`: rows an earlier version stored are fingerprinted again from the
photo's kept file, as recording it today would store them — and only those."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from evidence_check import reuse_refresh
from evidence_check.cli import app
from evidence_check.engine import Upload
from evidence_check.imaging import fingerprint as fp
from evidence_check.imaging import screen_picture
from evidence_check.imaging.load import Limits, Photo
from evidence_check.measure import Measurements
from evidence_check.references import FAR_COLOUR_APART, References, StoredPrint, forget_features, stored_print
from evidence_check.reuse_refresh import refresh_rows
from evidence_check.store import Store
from evidence_check.store.reuse_tables import FingerprintRow
from tests.reuse_codes import FIRST_SEEN_AT
from tests.test_reuse import bags_edge_to_edge, photo_of, run_claim
from tests.test_reuse_backfill import add_row
from tests.test_screen_picture import cut_square, drawn_carton, png_photo, review_cut


def stored_of(store: Store, ref_id: str) -> StoredPrint:
    with store.sessions() as session:
        row = session.scalars(select(FingerprintRow).where(FingerprintRow.ref_id == ref_id)).one()
        features = None if row.features is None else bytes(row.features)
        return StoredPrint(bytes(row.pdq), bytes(row.phash), row.quality, features)


def store_as(store: Store, ref_id: str, stored: StoredPrint) -> None:
    """The row written as an older version would have written it."""
    with store.sessions.begin() as session:
        session.execute(
            update(FingerprintRow)
            .where(FingerprintRow.ref_id == ref_id)
            .values(pdq=stored.pdq, phash=stored.phash, quality=stored.quality, features=stored.features)
        )


def without_colour(stored: StoredPrint) -> StoredPrint:
    """A row stored before the colour map was kept: its features end at the thumbnail."""
    assert stored.features is not None
    kept = fp.Features.from_bytes(stored.features)
    older = fp.Features(kept.size, kept.points, kept.descriptors, kept.thumb, None)
    return StoredPrint(stored.pdq, stored.phash, stored.quality, older.to_bytes())


def hashed_whole(photo: Photo, monkeypatch: pytest.MonkeyPatch) -> StoredPrint:
    """A screenshot cut down to a review photo as stored before the card's gate: the whole crop hashed."""
    with monkeypatch.context() as patched:
        patched.setattr(screen_picture, "_carded", lambda *args: False)
        return stored_print(fp.fingerprint(photo.working))


def found(references: References, photo: Photo) -> set[str]:
    return {m.entry.ref_id for m in references.matches("t", Measurements(photo)) if m.entry.image_id != photo.image_id}


def refresh(store: Store, *options: str) -> Any:
    return CliRunner().invoke(app, ["reuse", "refresh", "--db", store.url, *options])


def line(refreshed: int, new_codes: int, current: int, no_file: int = 0, unreadable: int = 0) -> str:
    return (
        f"refreshed {refreshed} photo(s) ({new_codes} with new codes); {current} already current; "
        f"{no_file} with no file kept; {unreadable} whose file cannot be hashed\n"
    )


def test_a_row_without_the_colour_map_gains_it_and_another_flavour_is_then_told_by_its_colours(store: Store) -> None:
    shot = cut_square(drawn_carton(1), seed=5)
    run_claim(store, Upload("cut.png", shot.data), "c-1", None, FIRST_SEEN_AT, tenant="t")
    today = stored_of(store, "c-1")
    store_as(store, "c-1", without_colour(today))
    other_flavour = cut_square(drawn_carton(0), seed=6)
    # Judged in grey only, the other flavour's screenshot is taken for the stored one.
    assert found(References(store), other_flavour) == {"c-1"}

    result = refresh(store)
    assert result.exit_code == 0, result.output
    assert result.output == line(1, 0, 0)
    assert stored_of(store, "c-1") == today
    references = References(store)
    [examined] = references.examine("t", Measurements(other_flavour))
    assert examined.verification.colour_apart > FAR_COLOUR_APART
    assert found(references, other_flavour) == set()
    assert found(references, photo_of(shot.full, "again.jpg")) == {"c-1"}  # the same flavour still is


def test_a_row_hashed_whole_is_found_by_a_fresh_crop_after_refresh_by_a_server_running_all_along(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EVIDENCE_CHECK_REUSE_INDEX_DIR", str(tmp_path))
    shot = png_photo(review_cut("light", 1)[0], "cut.png")
    run_claim(store, Upload("cut.png", shot.data), "c-1", None, FIRST_SEEN_AT, tenant="t")
    today = stored_of(store, "c-1")
    old = hashed_whole(shot, monkeypatch)
    assert old.pdq != today.pdq
    store_as(store, "c-1", old)
    dark, _ = review_cut("dark", 1)  # the same review photo, cut again from a dark-theme screenshot
    fresh = png_photo(dark.crop((20, 20, 580, 580)), "fresh.png")
    running = References(store, folder=tmp_path)
    assert found(running, fresh) == set()

    result = refresh(store)
    assert result.exit_code == 0, result.output
    assert result.output == line(1, 1, 0)
    assert stored_of(store, "c-1") == today
    assert not list(tmp_path.glob("reuse-*.index"))  # deleted: the servers map a fresh one
    for references in (running, References(store, folder=tmp_path)):
        assert found(references, fresh) == {"c-1"}

    host_file = next(tmp_path.glob("reuse-*.index"))
    built = host_file.stat().st_ino
    again = refresh(store)
    assert again.exit_code == 0 and again.output == line(0, 0, 1)
    assert host_file.stat().st_ino == built  # nothing changed: the host's file is kept
    dropped = refresh(store, "--drop-reuse-file")  # as on a store's other hosts
    assert dropped.exit_code == 0 and dropped.output == line(0, 0, 1)
    assert not host_file.exists()


def test_a_row_without_a_kept_file_is_counted_and_left_and_another_tenant_is_not_touched(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    shot = png_photo(review_cut("light", 2)[0], "cut.png")
    stock = hashed_whole(shot, monkeypatch)  # a stock row keeps no file: its codes stay the old ones
    add_row(store, "t", "stock", shot, stock)
    run_claim(store, Upload("cut.png", shot.data), "c-1", None, FIRST_SEEN_AT, tenant="u")
    store_as(store, "c-1", without_colour(stored_of(store, "c-1")))
    before = stored_of(store, "c-1")

    result = refresh(store, "--tenant", "t")
    assert result.exit_code == 0, result.output
    assert result.output == line(0, 0, 0, no_file=1)
    assert stored_of(store, "stock") == stock and stored_of(store, "c-1") == before


def test_forgotten_features_stay_forgotten_and_a_deployment_keeping_none_writes_none(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    shot = png_photo(review_cut("light", 3)[0], "cut.png")
    run_claim(store, Upload("cut.png", shot.data), "c-1", None, FIRST_SEEN_AT, tenant="t")
    today = stored_of(store, "c-1")
    old = hashed_whole(shot, monkeypatch)
    # Features forgotten; the photo's file still kept (another claim sent the same bytes later).
    store_as(store, "c-1", StoredPrint(old.pdq, old.phash, old.quality, None))
    result = refresh(store)
    assert result.exit_code == 0 and result.output == line(1, 1, 0)
    assert stored_of(store, "c-1") == StoredPrint(today.pdq, today.phash, today.quality, None)

    # Kept without colours while the deployment kept features, now it keeps none: the codes are
    # refreshed, the features not rewritten (dropping them is forget-features' to do).
    grey_only = without_colour(old)
    store_as(store, "c-1", grey_only)
    monkeypatch.setenv("EVIDENCE_CHECK_REUSE_KEEP_FEATURES", "false")
    result = refresh(store)
    assert result.exit_code == 0 and result.output == line(1, 1, 0)
    assert stored_of(store, "c-1") == StoredPrint(today.pdq, today.phash, today.quality, grey_only.features)


def test_a_row_changed_between_read_and_write_is_not_overwritten(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    shot = png_photo(review_cut("light", 1)[0], "cut.png")
    run_claim(store, Upload("cut.png", shot.data), "c-1", None, FIRST_SEEN_AT, tenant="t")
    today = stored_of(store, "c-1")
    store_as(store, "c-1", without_colour(today))
    computed = reuse_refresh._todays

    def forgotten_meanwhile(*args: Any) -> Any:
        updates = computed(*args)
        assert forget_features(store, FIRST_SEEN_AT.replace(year=2100)) == 1
        return updates

    monkeypatch.setattr(reuse_refresh, "_todays", forgotten_meanwhile)
    done = refresh_rows(store, None, Limits(), keep_features=True)
    assert (done.refreshed, done.changed, done.current) == (0, 1, 0)
    assert stored_of(store, "c-1") == StoredPrint(today.pdq, today.phash, today.quality, None)


def test_a_row_whose_codes_were_rewritten_between_read_and_write_is_not_overwritten(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process (add-middle-codes, a second refresh) may write the codes alone, the features
    untouched: the update must compare the codes as read too, not only the features."""
    shot = png_photo(review_cut("light", 1)[0], "cut.png")
    run_claim(store, Upload("cut.png", shot.data), "c-1", None, FIRST_SEEN_AT, tenant="t")
    old = hashed_whole(shot, monkeypatch)
    store_as(store, "c-1", old)
    meanwhile = {
        "pdq": StoredPrint(bytes(len(old.pdq)), old.phash, old.quality, old.features),
        "phash": StoredPrint(old.pdq, bytes(len(old.phash)), old.quality, old.features),
        "quality": StoredPrint(old.pdq, old.phash, old.quality + 1, old.features),
    }
    computed = reuse_refresh._todays
    for written in meanwhile.values():
        store_as(store, "c-1", old)

        def rewritten_meanwhile(*args: Any, written: StoredPrint = written) -> Any:
            updates = computed(*args)
            store_as(store, "c-1", written)
            return updates

        monkeypatch.setattr(reuse_refresh, "_todays", rewritten_meanwhile)
        done = refresh_rows(store, None, Limits(), keep_features=True)
        assert (done.refreshed, done.changed) == (0, 1)
        assert stored_of(store, "c-1") == written


def test_a_stopped_run_leaves_each_row_old_or_new_and_a_second_run_finishes(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    pictures = {f"c-{seed}": photo_of(bags_edge_to_edge(seed)) for seed in range(2, 6)}
    today = {}
    for claim_id, photo in pictures.items():
        run_claim(store, Upload("claim.jpg", photo.data), claim_id, None, FIRST_SEEN_AT, tenant="t")
        today[claim_id] = stored_of(store, claim_id)
        store_as(store, claim_id, without_colour(today[claim_id]))
    hashed = fp.fingerprint
    calls: list[int] = []

    def stopped_on_the_third(working: Any) -> fp.Fingerprint:
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt  # Ctrl-C, or the process killed
        return hashed(working)

    monkeypatch.setattr(fp, "fingerprint", stopped_on_the_third)
    with pytest.raises(KeyboardInterrupt):
        refresh_rows(store, None, Limits(), keep_features=True, batch=2)
    assert [stored_of(store, claim_id) == today[claim_id] for claim_id in pictures] == [True, True, False, False]

    monkeypatch.setattr(fp, "fingerprint", hashed)
    done = refresh_rows(store, None, Limits(), keep_features=True, batch=2)
    assert (done.refreshed, done.current, done.new_codes) == (2, 2, 0)
    assert all(stored_of(store, claim_id) == today[claim_id] for claim_id in pictures)


def test_a_progress_line_goes_to_stderr_and_the_counts_to_stdout(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    for seed in (2, 3):
        photo = photo_of(bags_edge_to_edge(seed))
        run_claim(store, Upload("claim.jpg", photo.data), f"c-{seed}", None, FIRST_SEEN_AT, tenant="t")
    monkeypatch.setattr(reuse_refresh, "PROGRESS_EVERY", 2)
    result = refresh(store)
    assert result.exit_code == 0, result.output
    assert result.stdout == line(0, 0, 2)
    assert result.stderr == "refresh: 2 of 2 photo(s) looked at, 0 refreshed\n"
    monkeypatch.setattr(reuse_refresh, "PROGRESS_EVERY", 3)
    assert refresh(store).stderr == ""


def test_bad_input_is_one_line(tmp_path: Path) -> None:
    missing = CliRunner().invoke(app, ["reuse", "refresh", "--db", f"sqlite:///{tmp_path / 'none.sqlite3'}"])
    assert missing.exit_code == 1 and missing.stderr.count("\n") == 1 and "no such SQLite file" in missing.stderr
    assert not (tmp_path / "none.sqlite3").exists()
    down = CliRunner().invoke(app, ["reuse", "refresh", "--db", "postgresql://nobody@127.0.0.1:1/none"])
    assert down.exit_code == 1 and down.stderr.count("\n") == 1 and "Traceback" not in down.output
    tenant = CliRunner().invoke(app, ["reuse", "refresh", "--tenant", "no spaces/here", "--db", "sqlite://"])
    assert tenant.exit_code == 2 and tenant.stderr.count("\n") == 1


def test_a_file_that_no_longer_loads_or_fails_to_hash_is_counted_and_the_rest_refreshed(
    store: Store, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    for seed in (2, 3):
        photo = photo_of(bags_edge_to_edge(seed))
        run_claim(store, Upload("claim.jpg", photo.data), f"c-{seed}", None, FIRST_SEEN_AT, tenant="t")
        store_as(store, f"c-{seed}", without_colour(stored_of(store, f"c-{seed}")))
    before = {claim_id: stored_of(store, claim_id) for claim_id in ("c-2", "c-3")}
    monkeypatch.setenv("EVIDENCE_CHECK_MAX_FILE_BYTES", "1024")  # a limit lowered since they were recorded
    result = refresh(store)
    assert result.exit_code == 0 and result.output == line(0, 0, 0, unreadable=2)
    assert {claim_id: stored_of(store, claim_id) for claim_id in before} == before

    monkeypatch.delenv("EVIDENCE_CHECK_MAX_FILE_BYTES")
    hashed, calls = fp.fingerprint, []

    def failing_on_the_first(working: Any) -> fp.Fingerprint:
        calls.append(1)
        if len(calls) == 1:
            raise ValueError("a fault of this picture")
        return hashed(working)

    monkeypatch.setattr(fp, "fingerprint", failing_on_the_first)
    done = refresh_rows(store, None, Limits(), keep_features=True)
    assert (done.unreadable, done.refreshed) == (1, 1)
    assert "not refreshed: ValueError: a fault of this picture" in caplog.text
    assert stored_of(store, "c-2") == before["c-2"] and stored_of(store, "c-3") != before["c-3"]


def test_a_picture_in_three_claims_is_hashed_once_and_each_row_written_as_recording_it_today_would(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One file sent with three claims (c-1, c-3, c-4) and one with one (c-2), their rows in id order
    A B A A: batches of two meet the first picture's later rows in the next batch. Each row ends as it
    would had its picture been hashed for it alone (today's print, its own features or none), and is
    counted once; the same file in another tenant is that tenant's to refresh."""
    shared = png_photo(review_cut("light", 1)[0], "cut.png")
    single = photo_of(bags_edge_to_edge(2))
    for upload, claim_id, tenant in [
        (shared, "c-1", "t"), (single, "c-2", "t"), (shared, "c-3", "t"), (shared, "c-4", "t"), (shared, "u-1", "u"),
    ]:  # fmt: skip
        run_claim(store, Upload("claim.png", shared.data if upload is shared else single.data), claim_id, None, FIRST_SEEN_AT, tenant=tenant)
    today = {claim_id: stored_of(store, claim_id) for claim_id in ("c-1", "c-2", "c-3", "c-4", "u-1")}
    old = hashed_whole(shared, monkeypatch)
    assert old.pdq != today["c-1"].pdq
    store_as(store, "c-1", without_colour(today["c-1"]))  # features before the colour map
    store_as(store, "c-2", without_colour(today["c-2"]))
    store_as(store, "c-3", StoredPrint(old.pdq, old.phash, old.quality, None))  # codes of old, features forgotten
    store_as(store, "u-1", old)  # c-4 stays current
    hashed = fp.fingerprint
    pictures: list[Any] = []

    def counted(working: Any) -> fp.Fingerprint:
        pictures.append(working)
        return hashed(working)

    monkeypatch.setattr(fp, "fingerprint", counted)
    done = refresh_rows(store, "t", Limits(), keep_features=True, batch=2)
    assert len(pictures) == 2  # each picture once, not once per row
    assert (done.refreshed, done.new_codes, done.current, done.changed, done.looked_at) == (3, 1, 1, 0, 4)
    c3 = today["c-3"]
    assert {claim_id: stored_of(store, claim_id) for claim_id in today} == {
        **today, "c-3": StoredPrint(c3.pdq, c3.phash, c3.quality, None), "u-1": old,
    }  # fmt: skip

    pictures.clear()
    done = refresh_rows(store, None, Limits(), keep_features=True, batch=2)
    assert len(pictures) == 3  # t's two, and u's: the same bytes in two tenants are two pictures
    assert (done.refreshed, done.new_codes, done.current) == (1, 1, 4)
    assert stored_of(store, "u-1") == today["u-1"]


def test_a_deployment_keeping_no_features_refreshes_codes_without_computing_keypoints(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keypoints are computed apart from the codes (~2-3 ms CPU beside the fingerprint's ~10 ms for a
    2.2 MB camera photo) and written only where the deployment keeps features: one that keeps none
    does not compute them, as before pictures were hashed once for all their rows."""
    shot = png_photo(review_cut("light", 3)[0], "cut.png")
    run_claim(store, Upload("cut.png", shot.data), "c-1", None, FIRST_SEEN_AT, tenant="t")
    today = stored_of(store, "c-1")
    old = hashed_whole(shot, monkeypatch)
    store_as(store, "c-1", old)
    features = fp.Fingerprint.features
    computed: list[int] = []

    def counted(self: fp.Fingerprint, *args: Any, **kwargs: Any) -> Any:
        computed.append(1)
        return features(self, *args, **kwargs)

    monkeypatch.setattr(fp.Fingerprint, "features", counted)
    done = refresh_rows(store, "t", Limits(), keep_features=False)
    assert (done.refreshed, done.new_codes) == (1, 1) and computed == []
    assert stored_of(store, "c-1") == StoredPrint(today.pdq, today.phash, today.quality, old.features)
