"""The reuse look: copies of a picture are found however edited; distinct photos are not; the claim
semantics (first seen wins, same claim, same/other customer, listing, stock, tenants) hold in both
stores."""

from __future__ import annotations

import hashlib
import io
import os
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pdqhash
import pytest
from click.testing import Result
from PIL import Image, ImageOps
from sqlalchemy import select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from evidence_check import references as references_module
from evidence_check.cli import app
from evidence_check.engine import Upload
from evidence_check.imaging import fingerprint as fp
from evidence_check.imaging import screen_picture
from evidence_check.imaging.load import Photo, load_photo
from evidence_check.imaging.transforms import TRANSFORMS
from evidence_check.intake import build_claim
from evidence_check.measure import Measurements
from evidence_check.references import References, references_for, stored_print
from evidence_check.reuse_rows import GAP_SECONDS
from evidence_check.service import limits_from, verify_claim
from evidence_check.settings import Settings
from evidence_check.store import Store, StoreError
from evidence_check.store.reuse_tables import FingerprintRow, fingerprint_row
from fixtures.make_fixtures import jpeg, product_photo
from tests.conftest import corpus, hamming
from tests.reuse_codes import FIRST_SEEN_AT
from tests.terminal import on_a_terminal


def photo_of(image: Image.Image, name: str = "photo.jpg") -> Photo:
    return load_photo(jpeg(image), name)


def file_photo(path: Path) -> Photo:
    return load_photo(path.read_bytes(), path.name)


# --- fingerprints -------------------------------------------------------------------------------


def test_dihedral_variants_follow_pdqhash_order() -> None:
    rgb = np.asarray(product_photo(1))
    hashes, _ = pdqhash.compute_dihedral(rgb)
    for number, turn in enumerate(fp.DIHEDRAL):
        turned, _ = pdqhash.compute(np.ascontiguousarray(turn(rgb)))
        distances = [int((turned != h).sum()) for h in hashes]
        assert distances.index(min(distances)) == number and min(distances) <= 24, fp.DIHEDRAL_NAMES[number]


@pytest.mark.parametrize("number", range(8), ids=fp.DIHEDRAL_NAMES)
def test_dihedral_codes_from_one_transform_equal_the_codes_of_the_turned_picture(number: int) -> None:
    grey = np.asarray(product_photo(1).convert("L"))
    codes = fp.global_codes(grey)
    turned = fp.global_codes(np.ascontiguousarray(fp.DIHEDRAL[number](grey)), dihedral=False)
    assert hamming(codes.pdq[number], turned.pdq[0]) <= 1
    assert hamming(codes.phash[number], turned.phash[0]) <= 1


@pytest.mark.parametrize("seed", range(1, 6))
def test_our_pdq_stays_within_pdqs_match_threshold_of_pdqhash_on_the_full_picture(seed: int) -> None:
    image = product_photo(seed)
    reference = np.packbits(pdqhash.compute(np.asarray(image))[0].astype(np.uint8)).tobytes()
    ours = fp.global_codes(np.asarray(image.convert("L"))).pdq[0]
    assert hamming(ours, reference) <= 31  # PDQ's own threshold for "the same picture"


@pytest.mark.parametrize("seed", range(1, 5))
def test_crop_codes_in_one_batch_equal_each_crop_hashed_alone(seed: int) -> None:
    print_ = fp.fingerprint(product_photo(seed))
    base = fp._fit(print_.grey, fp.BASE_SIZE)
    for crop, batched in zip(fp.CROPS, print_.crop_codes, strict=True):
        alone = fp.global_codes(fp._crop(base, *crop), dihedral=False)
        assert hamming(batched.pdq[0], alone.pdq[0]) <= 1
        assert hamming(batched.phash[0], alone.phash[0]) <= 1


@pytest.mark.parametrize("back", [(0, 0, 0), (250, 250, 250)], ids=["black bars", "white bars"])
def test_letterbox_bars_are_trimmed(back: tuple[int, int, int]) -> None:
    picture = np.asarray(product_photo(2))
    canvas = np.full((900, 640, 3), back, np.uint8)
    canvas[200:680] = picture
    trimmed, box = screen_picture.trim_borders(canvas)
    assert box[1] in range(195, 206) and box[3] in range(470, 491), box
    assert trimmed.shape[1] == 640


def test_flat_picture_is_not_trimmed_away() -> None:
    flat = np.full((300, 400, 3), 10, np.uint8)
    trimmed, box = screen_picture.trim_borders(flat)
    assert box == (0, 0, 400, 300)


def test_features_survive_serialisation() -> None:
    features = fp.fingerprint(product_photo(3)).features(0)
    again = fp.Features.from_bytes(features.to_bytes())
    assert again.size == features.size
    assert np.array_equal(again.points, features.points)
    assert np.array_equal(again.descriptors, features.descriptors)
    assert np.array_equal(again.thumb, features.thumb)


# --- copies are found, distinct photos are not -----------------------------------------------------


def index_of(store: Store, photos: dict[str, Photo]) -> References:
    references = references_for(store)
    for ref_id, photo in photos.items():
        assert references.add("t", "stock", ref_id, photo, FIRST_SEEN_AT)
    return references


def found(references: References, photo: Photo) -> set[str]:
    return {m.entry.ref_id for m in references.matches("t", Measurements(photo)) if m.entry.image_id != photo.image_id}


def corpus_originals() -> dict[str, Path]:
    near = corpus("near-duplicates")
    grocery = corpus("product-matching") / "grocery"
    return {
        "ukbench00120": near / "imagededup/base_images/ukbench00120.jpg",
        "ukbench09268": near / "imagededup/base_images/ukbench09268.jpg",
        "bridge": near / "threatexchange-pdq/bridge-mods/aaa-orig.jpg",
        "desk": near / "threatexchange-pdq/exif-rotn/exif-rotn-1.jpg",
        "oatly-iconic": grocery / "Oatly-Oat-Milk/Oatly-Oat-Milk_Iconic.jpg",
        "oatly-shelf": grocery / "Oatly-Oat-Milk/Oatly-Oat-Milk_002.jpg",
    }


@pytest.mark.parametrize("transform", list(TRANSFORMS))
def test_when_corpus_photo_is_edited_then_the_original_is_found(sqlite_url: str, transform: str) -> None:
    paths = corpus_originals()
    store = Store(sqlite_url)
    try:
        references = index_of(store, {name: file_photo(path) for name, path in paths.items()})
        rng = np.random.default_rng(7)
        missed = []
        for name, path in paths.items():
            original = file_photo(path).full
            query = load_photo(TRANSFORMS[transform](original, rng), f"{name}-edited")
            if found(references, query) != {name}:
                missed.append((name, sorted(found(references, query))))
        assert not missed, missed
    finally:
        store.close()


def test_when_fixture_photo_is_edited_then_the_original_is_found(sqlite_url: str) -> None:
    store = Store(sqlite_url)
    try:
        originals = {f"bag-{seed}": product_photo(seed) for seed in (1, 2)}
        references = index_of(store, {name: photo_of(image) for name, image in originals.items()})
        rng = np.random.default_rng(3)
        for name, image in originals.items():
            for transform, edit in TRANSFORMS.items():
                query = load_photo(edit(image, rng), "edited")
                if transform == "screenshot png":
                    # A flat drawing across a screen's whole width: its own flat ground reaches the
                    # screen's edges and is taken for chrome, so it may be missed (docs/measurements/
                    # reuse.md), but it never matches the other drawing.
                    assert found(references, query) <= {name}, (name, transform)
                else:
                    assert found(references, query) == {name}, (name, transform)
    finally:
        store.close()


def distinct_sets() -> dict[str, list[Path]]:
    near = corpus("near-duplicates")
    grocery = corpus("product-matching") / "grocery"
    return {
        "imagededup base images": sorted((near / "imagededup/base_images").glob("*.jpg")),
        "desk burst (exif-rotn)": sorted((near / "threatexchange-pdq/exif-rotn").glob("*.jpg")),
        "five shelf photos: Oatly": sorted((grocery / "Oatly-Oat-Milk").glob("*.jpg")),
        "five shelf photos: Arla sour cream": sorted((grocery / "Arla-Ecological-Sour-Cream").glob("*.jpg")),
        "five shelf photos: God Morgon": sorted((grocery / "God-Morgon-Orange-Red-Grapefruit-Juice").glob("*.jpg")),
        "five shelf photos: Alpro blueberry": sorted((grocery / "Alpro-Blueberry-Soyghurt").glob("*.jpg")),
    }


@pytest.mark.parametrize("name", ["imagededup base images", "desk burst (exif-rotn)", "five shelf photos: Oatly",
                                  "five shelf photos: Arla sour cream", "five shelf photos: God Morgon",
                                  "five shelf photos: Alpro blueberry"])
def test_when_photos_are_distinct_then_none_matches_another(sqlite_url: str, name: str) -> None:
    paths = distinct_sets()[name]
    assert len(paths) >= 4
    store = Store(sqlite_url)
    try:
        photos = {path.name: file_photo(path) for path in paths}
        references = index_of(store, photos)
        false = {ref: found(references, photo) for ref, photo in photos.items() if found(references, photo)}
        assert not false
    finally:
        store.close()


def test_when_fixture_bags_are_distinct_then_none_matches_another(sqlite_url: str) -> None:
    store = Store(sqlite_url)
    try:
        photos = {f"bag-{seed}": photo_of(product_photo(seed)) for seed in range(1, 9)}
        references = index_of(store, photos)
        assert not {ref: found(references, p) for ref, p in photos.items() if found(references, p)}
    finally:
        store.close()


# --- what a match means for a claim (both stores) ----------------------------------------------------


def claim_upload(image: Image.Image, name: str = "photo.jpg") -> Upload:
    return Upload(name, jpeg(image))


def run_claim(
    store: Store,
    upload: Upload,
    claim_id: str,
    customer: str | None,
    when: datetime,
    tenant: str = "default",
    settings: Settings | None = None,
) -> dict:
    claim = build_claim(
        now=when,
        time_zone="UTC",
        claim_id=claim_id,
        customer_id=customer,
        ordered_at=(when - timedelta(days=10)).date().isoformat(),
    )
    if tenant != "default":
        from dataclasses import replace

        claim = replace(claim, tenant=tenant)
    outcome = verify_claim(claim, [upload], settings=settings or Settings(), store=store, now=when)
    return dict(outcome.body["images"][0]["checks"]["reuse"])


def mirrored_crop(image: Image.Image) -> Image.Image:
    w, h = image.size
    return image.crop((int(w * 0.08), int(h * 0.05), w, h)).transpose(Image.Transpose.FLIP_LEFT_RIGHT)


def test_reverifying_the_same_claim_is_not_reuse(store: Store) -> None:
    upload = claim_upload(product_photo(1))
    assert run_claim(store, upload, "c-1", "alice", FIRST_SEEN_AT)["code"] == "reuse.not_seen"
    again = run_claim(store, upload, "c-1", "alice", FIRST_SEEN_AT + timedelta(hours=1))
    assert (again["status"], again["code"]) == ("pass", "reuse.not_seen")


def test_earlier_claim_of_another_customer_fails(store: Store) -> None:
    image = product_photo(2)
    run_claim(store, claim_upload(image), "c-1", "alice", FIRST_SEEN_AT)
    other = run_claim(store, claim_upload(mirrored_crop(image)), "c-2", "bob", FIRST_SEEN_AT + timedelta(days=1))
    assert (other["status"], other["code"]) == ("fail", "reuse.other_customer")
    match = other["details"]["matches"][0]
    assert match["claim_id"] == "c-1" and match["same_customer"] is False and match["earlier"] is True
    assert match["inliers"] >= 20 and match["turned"] == "mirror"


@pytest.mark.parametrize("size", [(3000, 1), (1, 3000), (3000, 4)])
def test_a_photo_a_few_pixels_thin_is_recorded_and_its_copy_found(store: Store, size: tuple[int, int]) -> None:
    """ORB fails inside its pyramid on a picture one pixel thin: recording such an upload was an
    internal error, the claim unrecorded. It keeps no keypoints (none fit inside ORB's border) and
    its codes still find it sent again."""
    noise = np.random.default_rng(7).integers(0, 256, (size[1], size[0]), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(noise).save(buffer, format="PNG")
    upload = Upload("thin.png", buffer.getvalue())
    assert run_claim(store, upload, "c-1", "alice", FIRST_SEEN_AT)["code"] == "reuse.not_seen"
    again = run_claim(store, upload, "c-2", "bob", FIRST_SEEN_AT + timedelta(days=1))
    assert (again["status"], again["code"]) == ("fail", "reuse.other_customer")
    # By its codes, not only as the same file.
    assert again["details"]["matches"][0]["pdq_distance"] <= references_module.PDQ_SURE


def test_earlier_claim_of_the_same_customer_warns(store: Store) -> None:
    image = product_photo(9)
    run_claim(store, claim_upload(image), "c-1", "alice", FIRST_SEEN_AT)
    same = run_claim(store, claim_upload(image.rotate(180)), "c-2", "alice", FIRST_SEEN_AT + timedelta(days=1))
    assert (same["status"], same["code"]) == ("warn", "reuse.same_customer")
    assert same["details"]["matches"][0]["same_customer"] is True


def test_first_seen_wins_a_later_copy_never_turns_the_earlier_claim(store: Store) -> None:
    image = product_photo(3)
    run_claim(store, claim_upload(image), "c-1", "alice", FIRST_SEEN_AT)
    run_claim(store, claim_upload(image), "c-2", "bob", FIRST_SEEN_AT + timedelta(days=1))
    again = run_claim(store, claim_upload(image), "c-1", "alice", FIRST_SEEN_AT + timedelta(days=2))
    assert (again["status"], again["code"]) == ("pass", "reuse.only_later")
    assert [m["claim_id"] for m in again["details"]["matches"]] == ["c-2"]
    assert again["details"]["matches"][0]["earlier"] is False


def test_tenant_a_photo_is_never_matched_in_tenant_b(store: Store) -> None:
    image = product_photo(4)
    run_claim(store, claim_upload(image), "c-1", "alice", FIRST_SEEN_AT, tenant="shop-a")
    references_for(store).add("shop-a", "listing", "BAG-1", photo_of(image), FIRST_SEEN_AT)
    in_b = run_claim(store, claim_upload(image), "c-9", "bob", FIRST_SEEN_AT + timedelta(days=1), tenant="shop-b")
    assert (in_b["status"], in_b["code"]) == ("pass", "reuse.not_seen")


@pytest.mark.parametrize(
    ("kind", "code"),
    [("listing", "reuse.listing_photo"), ("stock", "reuse.stock_photo"), ("review", "reuse.review_photo")],
)
def test_listing_stock_and_review_photos_fail(store: Store, kind: str, code: str) -> None:
    image = product_photo(5)
    assert references_for(store).add("default", kind, "REF-1", photo_of(image), FIRST_SEEN_AT)
    assert not references_for(store).add("default", kind, "REF-1", photo_of(image), FIRST_SEEN_AT)  # already known
    finding = run_claim(store, claim_upload(mirrored_crop(image)), "c-1", "alice", FIRST_SEEN_AT + timedelta(days=1))
    assert (finding["status"], finding["code"]) == ("fail", code)
    assert finding["details"]["matches"][0]["kind"] == kind


def test_index_is_rebuilt_from_the_store(store_url: str) -> None:
    image = product_photo(6)
    first = Store(store_url)
    try:
        references_for(first).add("default", "stock", "S-1", photo_of(image), FIRST_SEEN_AT)
    finally:
        first.close()
    second = Store(store_url)
    try:
        finding = run_claim(second, claim_upload(image), "c-1", "alice", FIRST_SEEN_AT + timedelta(days=1))
        assert finding["code"] == "reuse.stock_photo"
    finally:
        second.close()


# --- what is kept of a photo --------------------------------------------------------------------------


def kept_features(store: Store) -> dict[str, bool]:
    with store.sessions() as session:
        rows = session.execute(select(FingerprintRow.ref_id, FingerprintRow.features)).all()
    return {ref_id: features is not None for ref_id, features in rows}


def test_a_deployment_that_keeps_no_features_still_catches_a_copy_by_its_hashes(store: Store) -> None:
    settings = Settings(reuse_keep_features=False)
    image = product_photo(16)
    run_claim(store, claim_upload(image), "c-1", "alice", FIRST_SEEN_AT, settings=settings)
    assert kept_features(store) == {"c-1": False}
    mirrored = claim_upload(image.transpose(Image.Transpose.FLIP_LEFT_RIGHT))
    other = run_claim(store, mirrored, "c-2", "bob", FIRST_SEEN_AT + timedelta(days=1), settings=settings)
    assert (other["status"], other["code"]) == ("fail", "reuse.other_customer")
    assert other["details"]["matches"][0]["keypoints_kept"] is False


def test_forget_features_drops_only_old_keypoints_and_old_photos_are_still_caught(store_url: str) -> None:
    now = datetime.now(UTC)
    store = Store(store_url)
    try:
        old, recent = product_photo(17), product_photo(18)
        run_claim(store, claim_upload(old), "old", "alice", now - timedelta(days=60))
        run_claim(store, claim_upload(recent), "recent", "alice", now - timedelta(days=1))
        result = CliRunner().invoke(app, ["reuse", "forget-features", "--older-than", "30", "--db", store_url])
        assert result.exit_code == 0, result.stderr
        assert "forgot the features of 1 photo(s)" in result.stdout
        assert kept_features(store) == {"old": False, "recent": True}
        mirrored = claim_upload(old.transpose(Image.Transpose.FLIP_LEFT_RIGHT))
        again = run_claim(store, mirrored, "c-3", "bob", now)
        assert (again["status"], again["code"]) == ("fail", "reuse.other_customer")
        assert again["details"]["matches"][0]["keypoints_kept"] is False
    finally:
        store.close()


def test_forget_features_rejects_negative_days(sqlite_url: str) -> None:
    result = CliRunner().invoke(app, ["reuse", "forget-features", "--older-than", "-1", "--db", sqlite_url])
    assert result.exit_code == 2


# --- several writers ---------------------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def copy_of(photo: Photo) -> Photo:
    return photo_of(photo.working.transpose(Image.Transpose.FLIP_LEFT_RIGHT), "copy.jpg")


def insert_print(session: Session, photo: Photo, ref_id: str, row_id: int | None = None) -> int:
    row = fingerprint_row("t", "stock", ref_id, photo.image_id, photo.filename, FIRST_SEEN_AT, stored_print(fp.fingerprint(photo.working)))
    if row_id is not None:
        row.id = row_id
    session.add(row)
    session.flush()
    return row.id


def test_a_row_committed_late_with_a_lower_id_is_indexed_on_a_later_sync(store: Store) -> None:
    # Another writer took id 1 and commits after this one's id 2 (ids given by hand: SQLite has one
    # writer at a time, so only PostgreSQL can do it for real, in the test below).
    early, late = photo_of(product_photo(11)), photo_of(product_photo(12))
    references = References(store, clock=FakeClock())
    with store.sessions.begin() as session:
        insert_print(session, early, "second", row_id=2)
    assert references.sync() == 1 and references.waiting_for == [1]
    assert found(references, copy_of(late)) == set()
    with store.sessions.begin() as session:
        insert_print(session, late, "first", row_id=1)
    assert found(references, copy_of(late)) == {"first"} and references.waiting_for == []
    assert found(references, copy_of(early)) == {"second"}


def test_a_failed_sync_leaves_the_cursor_and_its_gaps_so_the_next_indexes_new_and_late_rows(store: Store) -> None:
    """The store gone during a sync (after a claim was recorded, `verify_claim` answers all the same):
    the rows written meanwhile, and a late one below the cursor, are indexed by the next sync."""
    early, late, meanwhile = (photo_of(product_photo(n)) for n in (21, 22, 23))
    references = References(store, clock=FakeClock())
    with store.sessions.begin() as session:
        insert_print(session, early, "second", row_id=2)
    assert references.sync() == 1 and references.waiting_for == [1]
    with store.sessions.begin() as session:
        insert_print(session, meanwhile, "third", row_id=3)
    with store.engine.begin() as connection:
        connection.execute(text("ALTER TABLE fingerprints RENAME TO fingerprints_gone"))
    with pytest.raises(StoreError, match="^could not index the new photos: "):
        references.sync()
    assert references.waiting_for == [1]
    with store.engine.begin() as connection:
        connection.execute(text("ALTER TABLE fingerprints_gone RENAME TO fingerprints"))
    with store.sessions.begin() as session:
        insert_print(session, late, "first", row_id=1)
    assert references.sync() == 2 and references.waiting_for == []
    assert found(references, copy_of(late)) == {"first"} and found(references, copy_of(meanwhile)) == {"third"}


def test_a_skipped_id_is_given_up_after_a_while(store: Store) -> None:
    clock = FakeClock()
    references = References(store, clock=clock)
    with store.sessions.begin() as session:
        insert_print(session, photo_of(product_photo(13)), "only", row_id=3)
    references.sync()
    assert references.waiting_for == [1, 2]
    clock.now += GAP_SECONDS + 1  # a rolled-back insert: its id never appears
    references.sync()
    assert references.waiting_for == []


def test_concurrent_writers_committing_out_of_order_are_both_indexed(store_url: str) -> None:
    if not store_url.startswith("postgresql"):
        pytest.skip("SQLite has one writer at a time: its ids are committed in order")
    store = Store(store_url)
    try:
        slow, quick = photo_of(product_photo(14)), photo_of(product_photo(15))
        references = References(store, clock=FakeClock())
        with store.sessions.begin() as slow_session:
            slow_id = insert_print(slow_session, slow, "slow")  # id taken, not yet committed
            with store.sessions.begin() as quick_session:
                quick_id = insert_print(quick_session, quick, "quick")
            assert quick_id > slow_id
            assert found(references, copy_of(slow)) == set() and references.waiting_for == [slow_id]
        assert found(references, copy_of(slow)) == {"slow"} and found(references, copy_of(quick)) == {"quick"}
        assert references.waiting_for == []
    finally:
        store.close()


# --- the command -------------------------------------------------------------------------------------


def test_stock_add_of_a_known_review_photo_says_so_and_adds_nothing(tmp_path: Path, sqlite_url: str) -> None:
    picture = tmp_path / "seen.jpg"
    picture.write_bytes(jpeg(product_photo(9)))
    first = CliRunner().invoke(app, ["stock", "add", str(picture), "--kind", "review", "--db", sqlite_url])
    assert first.exit_code == 0 and "1 added, 0 already known, 0 skipped (review photos" in first.stdout
    again = CliRunner().invoke(app, ["stock", "add", str(picture), "--db", sqlite_url])
    assert again.exit_code == 0, again.stderr
    assert "0 added, 1 already known, 0 skipped (stock photos" in again.stdout
    image_id = hashlib.sha256(picture.read_bytes()).hexdigest()
    assert again.stderr.splitlines(keepends=True)[-1] == (
        f"seen.jpg: already a review photo (as seen.jpg), not added as a stock photo: to make it one, remove it "
        f"(evidence-check stock remove {image_id}, or DELETE /v1/stock/{image_id}) and add it again\n"
    )
    # Done as the line says, from the command line alone: the picture becomes a stock photo.
    removed = CliRunner().invoke(app, ["stock", "remove", image_id, "--db", sqlite_url])
    assert (removed.exit_code, removed.stdout) == (0, f"removed {image_id}\n"), removed.stderr
    made = CliRunner().invoke(app, ["stock", "add", str(picture), "--db", sqlite_url])
    assert "1 added, 0 already known, 0 skipped (stock photos" in made.stdout
    listed = CliRunner().invoke(app, ["stock", "list", "--db", sqlite_url]).stdout.splitlines()
    assert len(listed) == 2 and listed[1].split()[0] == "stock" and listed[1].split()[3:] == [image_id, "seen.jpg"]


def test_stock_list_pages_newest_first_by_kind_and_remove_refuses_what_it_cannot_find(
    tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import evidence_check.cli.stock as stock_cli

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(app, [*args, "--db", sqlite_url])

    assert invoke("stock", "list").stdout == "no reference photos (add them with: evidence-check stock add IMAGE|DIR ...)\n"
    ids = []
    for seed, kind in ((11, "stock"), (12, "review"), (13, "stock")):
        picture = tmp_path / f"p{seed}.jpg"
        picture.write_bytes(jpeg(product_photo(seed)))
        assert invoke("stock", "add", str(picture), "--kind", kind).exit_code == 0
        ids.append(hashlib.sha256(picture.read_bytes()).hexdigest())
    monkeypatch.setattr(stock_cli, "LIST_PAGE", 2)  # three rows: a second page
    rows = [line.split() for line in invoke("stock", "list").stdout.splitlines()[1:]]
    assert [(row[0], row[3], row[4]) for row in rows] == [
        ("stock", ids[2], "p13.jpg"), ("review", ids[1], "p12.jpg"), ("stock", ids[0], "p11.jpg"),
    ]  # fmt: skip
    assert [row.split()[3] for row in invoke("stock", "list", "--kind", "review").stdout.splitlines()[1:]] == [ids[1]]
    assert invoke("stock", "list", "--tenant", "other").stdout.startswith("no reference photos")
    assert invoke("stock", "remove", ids[1]).exit_code == 0  # the one review photo
    assert invoke("stock", "list", "--kind", "review").stdout == (
        "no review photos (add them with: evidence-check stock add IMAGE|DIR ... --kind review)\n"
    )
    for image_id, code, said in (
        (ids[0].upper(), 2, "must be 64 hexadecimal digits"),
        (ids[0][:12], 2, "must be 64 hexadecimal digits"),
        ("0" * 64, 1, f"no reference photo '{'0' * 64}'"),
    ):
        refused = invoke("stock", "remove", image_id)
        assert refused.exit_code == code and refused.stderr.count("\n") == 1 and said in refused.stderr, refused.stderr
    other_tenant = CliRunner().invoke(app, ["stock", "remove", ids[0], "--tenant", "other", "--db", sqlite_url])
    assert other_tenant.exit_code == 1  # another merchant's photo is not this one's to remove
    assert invoke("stock", "remove", ids[0]).exit_code == 0
    assert [line.split()[3] for line in invoke("stock", "list").stdout.splitlines()[1:]] == [ids[2]]


def test_stock_list_prints_a_name_holding_control_characters_as_escapes_on_one_line(
    tmp_path: Path, sqlite_url: str
) -> None:
    # A file name is stored as it came (an escape sequence, a tab): the list shows it, never obeys it.
    name = "x\x1b[31mred\tcut.jpg"
    (tmp_path / name).write_bytes(jpeg(product_photo(14)))
    assert CliRunner().invoke(app, ["stock", "add", str(tmp_path / name), "--db", sqlite_url]).exit_code == 0
    listed = CliRunner().invoke(app, ["stock", "list", "--db", sqlite_url]).stdout
    assert listed.count("\n") == 2 and "\x1b" not in listed and "\t" not in listed
    assert listed.splitlines()[1].endswith("  x\\x1b[31mred\\tcut.jpg"), listed


def test_another_tenants_review_photo_does_not_keep_a_picture_from_this_tenants_stock(store: Store) -> None:
    """One picture, one kind, per tenant: what another merchant has is neither told nor in the way."""
    picture = jpeg(product_photo(9))
    rows = [("seen.jpg", "seen.jpg", picture, None)]
    limits = limits_from(Settings())
    assert references_module.add_references(store, "shop-a", "review", rows, limits).added == 1
    added = references_module.add_references(store, "shop-b", "stock", rows, limits)
    assert (added.added, added.known, added.other_kind) == (1, 0, ())
    assert references_module.add_references(store, "shop-a", "stock", rows, limits).other_kind != ()


def test_stock_add_folder_skips_unreadable_files_and_then_catches_the_photo(tmp_path: Path, sqlite_url: str) -> None:
    folder = tmp_path / "stock"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.jpg").write_bytes(jpeg(product_photo(7)))
    (folder / "sub" / "b.png").write_bytes(_png(product_photo(8)))
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really")
    (folder / "notes.txt").write_text("ignored")
    result = CliRunner().invoke(app, ["stock", "add", str(folder), "--db", sqlite_url])
    assert result.exit_code == 0, result.stderr
    assert "2 added, 0 already known, 1 skipped" in result.stdout
    notes = [line for line in result.stderr.splitlines() if line.startswith("skipped")]
    assert len(notes) == 1 and "broken.jpg" in notes[0]

    query = tmp_path / "claim.jpg"
    query.write_bytes(jpeg(product_photo(8).rotate(90, expand=True)))
    result = CliRunner().invoke(app, ["verify", str(query), "--json", "--db", sqlite_url, "--no-record"])
    assert result.exit_code == 0, result.stderr
    assert '"reuse.stock_photo"' in result.stdout and '"sub/b.png"' in result.stdout


@pytest.mark.parametrize(
    ("stop", "code", "line"),
    [
        (StoreError("cannot write the store: disk full"), 1, "evidence-check: cannot write the store: disk full"),
        (KeyboardInterrupt(), 130, "evidence-check: interrupted"),
    ],
    ids=["store_refuses", "ctrl_c"],
)
def test_stock_add_stopped_after_its_bar_writes_its_line_alone_on_a_terminal(
    tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch, stop: BaseException, code: int, line: str
) -> None:
    folder = tmp_path / "stock"
    folder.mkdir()
    for number in (7, 8):
        (folder / f"{number}.jpg").write_bytes(jpeg(product_photo(number)))

    def stopped(*args: object) -> None:
        raise stop

    # the thumbnails are written once every photo has been drawn on the bar
    monkeypatch.setattr(references_module, "put_thumbnails", stopped)
    assert on_a_terminal("stock", "add", str(folder), "--db", sqlite_url) == (code, [line])


def test_stock_add_of_files_none_of_which_is_usable_fails(tmp_path: Path, sqlite_url: str) -> None:
    (tmp_path / "gone.jpg").symlink_to(tmp_path / "nowhere.jpg")
    os.mkfifo(tmp_path / "pipe.jpg")
    result = CliRunner().invoke(
        app, ["stock", "add", str(tmp_path / "gone.jpg"), str(tmp_path / "pipe.jpg"), "--db", sqlite_url]
    )
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-3:] == [
        "skipped gone.jpg: no such file",
        "skipped pipe.jpg: is a named pipe (FIFO), not a regular file",
        "evidence-check: none of the 2 file(s) could be used",
    ]
    assert result.stdout == ""


def test_stock_add_without_images_is_a_usage_error(tmp_path: Path, sqlite_url: str) -> None:
    result = CliRunner().invoke(app, ["stock", "add", str(tmp_path), "--db", sqlite_url])
    assert result.exit_code == 2
    assert "no image files" in result.stderr


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


# --- the index past its flat size ------------------------------------------------------------------


def test_hashed_index_finds_near_copies_in_every_level_and_the_tail() -> None:
    from evidence_check.index import TAIL_SIZE, TenantIndex

    rng = np.random.default_rng(5)
    index = TenantIndex()
    # A bulk load, then one-by-one adds that fill the tail, flush it into the small level and
    # merge that into the large one, then a few that stay in the tail.
    batches = [3 * TAIL_SIZE] + [1] * (TAIL_SIZE + 10) + [TAIL_SIZE // 2] * 10 + [1] * 50
    total = sum(batches)
    pdq = rng.integers(0, 256, (total, 32), dtype=np.uint8)
    phash = rng.integers(0, 256, (total, 8), dtype=np.uint8)
    start = 0
    for size in batches:
        index.add_many(
            (i, [pdq[i].tobytes()], [phash[i].tobytes()]) for i in range(start, start + size)
        )
        start += size
    assert len(index) == total

    def near(code: np.ndarray, flips: int) -> bytes:
        bits = np.unpackbits(code)
        bits[rng.choice(len(bits), flips, replace=False)] ^= 1
        return np.packbits(bits).tobytes()

    targets = [7, 3 * TAIL_SIZE + 5, 3 * TAIL_SIZE + TAIL_SIZE + 3, total - 20_000, total - 1]
    for target in targets:
        variants = (*(rng.integers(0, 256, 32, dtype=np.uint8).tobytes() for _ in range(5)), near(pdq[target], 19))
        variants += (rng.integers(0, 256, 32, dtype=np.uint8).tobytes(),) * 2
        phash_variants = (near(phash[target], 7), *(bytes(8) for _ in range(7)))
        codes = fp.Codes(pdq=variants, phash=phash_variants, quality=100)
        found = {h.entry_id: h for h in index.search([codes])}
        assert target in found, target
        assert (found[target].pdq_distance, found[target].phash_distance, found[target].variant) == (19, 7, 5)


def test_hashed_index_finds_a_crop_within_eleven_phash_bits() -> None:
    # Crops are found by pHash alone, up to 14 bits away: the tables must not lose them beyond 7.
    from evidence_check.index import TAIL_SIZE, TenantIndex

    rng = np.random.default_rng(11)
    total = 2 * TAIL_SIZE
    pdq = rng.integers(0, 256, (total, 32), dtype=np.uint8)
    phash = rng.integers(0, 256, (total, 8), dtype=np.uint8)
    index = TenantIndex()
    index.add_many((i, [pdq[i].tobytes()], [phash[i].tobytes()]) for i in range(total))
    for target in (3, total // 2, total - 1):
        # 3, 3, 3 and 2 bits in the four 16-bit substrings: no substring within one bit.
        bits = np.unpackbits(phash[target])
        for start, count in ((0, 3), (16, 3), (32, 3), (48, 2)):
            bits[start + rng.choice(16, count, replace=False)] ^= 1
        codes = fp.Codes(
            pdq=tuple(rng.integers(0, 256, 32, dtype=np.uint8).tobytes() for _ in range(8)),
            phash=(np.packbits(bits).tobytes(), *(bytes(8) for _ in range(7))),
            quality=100,
        )
        found = {h.entry_id: h for h in index.search([codes])}
        assert target in found and found[target].phash_distance == 11, target


# --- a crop of a product on white, whose backdrop's codes point to another turn ------------------


def carton_listing(seed: int) -> Image.Image:
    """A shop image: a tall product on white, reaching nearly its top and bottom (a milk carton's)."""
    canvas = Image.new("RGB", (200, 200), (255, 255, 255))
    canvas.paste(product_photo(seed).resize((80, 190)), (60, 5))
    return canvas


def eval_crop(image: Image.Image) -> Image.Image:
    """The eval's listing-photo crop: a tenth off each side, the product's top and bottom cut."""
    return image.crop((image.width // 10, image.height // 10, image.width * 9 // 10, image.height * 9 // 10))


def with_finder_of_mirror(photo: Photo, listing: Image.Image) -> Measurements:
    """The photo's measurements, its backdrop finder that of the listing's mirror image: the finder's
    PDQ then points to the mirror, as a Garant carton crop's did (its picture's PDQ 106 bits away, its
    pHash 12 at the right turn; its finder nearest mirrored)."""
    measured = Measurements(photo)
    print_ = measured.fingerprint
    mirrored = fp.fingerprint(ImageOps.mirror(listing))
    assert print_.finders and mirrored.finders
    measured._fingerprint = replace(print_, finders=mirrored.finders)
    return measured


def test_a_crop_of_a_product_on_white_is_found_when_its_backdrop_codes_point_to_the_mirror(
    sqlite_url: str,
) -> None:
    store = Store(sqlite_url)
    try:
        references = index_of(store, {"carton-9": photo_of(carton_listing(9))})
        measured = with_finder_of_mirror(photo_of(eval_crop(carton_listing(9)), "crop.jpg"), carton_listing(9))
        (candidate,) = references.examine("t", measured)
        assert candidate.candidate.pdq_distance > references_module.PDQ_NEAR  # only keypoints can confirm
        assert [m.entry.ref_id for m in references.matches("t", measured)] == ["carton-9"]
        assert candidate.candidate.variant == 0 and candidate.verification.inliers >= references_module.FAR_INLIERS
    finally:
        store.close()


def test_a_crop_of_another_product_on_white_is_not_found_whichever_turn_is_tried(sqlite_url: str) -> None:
    store = Store(sqlite_url)
    try:
        references = index_of(store, {"carton-9": photo_of(carton_listing(9))})
        measured = with_finder_of_mirror(photo_of(eval_crop(carton_listing(8)), "crop.jpg"), carton_listing(9))
        assert references.examine("t", measured)  # a candidate was looked at, and turned away
        assert references.matches("t", measured) == []
    finally:
        store.close()


# --- a tenth cut off every side: the middle crop code ---------------------------------------------


def bags_edge_to_edge(seed: int) -> Image.Image:
    """Nine bag photos' middles in a 3x3 grid: busy up to the frame's edges."""
    canvas = Image.new("RGB", (960, 720))
    for i in range(9):
        bag = product_photo(seed * 10 + i, (320, 240)).crop((40, 30, 280, 210)).resize((320, 240))
        canvas.paste(bag, (320 * (i % 3), 240 * (i // 3)))
    return canvas


def test_a_tenth_cut_off_every_side_is_found_by_the_middle_crop_code(sqlite_url: str) -> None:
    store = Store(sqlite_url)
    try:
        references = index_of(store, {"grid-8": photo_of(bags_edge_to_edge(8))})
        query = photo_of(eval_crop(bags_edge_to_edge(8)), "crop.jpg")
        (match,) = references.matches("t", Measurements(query))
        assert match.entry.ref_id == "grid-8" and match.candidate.pdq_distance > references_module.PDQ_NEAR
    finally:
        store.close()


def stock_boxes() -> dict[str, Path]:
    """The eval's stock photos: boxes, most on white, several of one kind."""
    folder = corpus("damaged-packages") / "roboflow-damaged-intact-box"
    return {path.name: path for path in sorted(folder.glob("*/*.jpg"))}


def test_the_evals_crop_of_a_stock_box_photo_is_found(sqlite_url: str) -> None:
    # Its picture keeps 80 % of the original's width and 62 % of its height (the crop's white bands
    # are trimmed), 16 pHash bits from the nearest 90 % crop code; its frame is the original's middle.
    name = "packagingboxesthataredamaged19_png.rf.f6ecd7fc17b1c0da0e3c0b4de3c66164.jpg"
    paths = stock_boxes()
    store = Store(sqlite_url)
    try:
        references = index_of(store, {name: file_photo(paths[name])})
        query = photo_of(eval_crop(file_photo(paths[name]).full), "crop.jpg")
        assert found(references, query) == {name}
    finally:
        store.close()


@pytest.mark.parametrize("folder", ["stock boxes", "Oatly shelf photos"])
def test_a_tenth_cut_off_every_side_finds_no_other_photo(sqlite_url: str, folder: str) -> None:
    """Other boxes on white, other photos of one product on its shelf: never a match."""
    if folder == "stock boxes":
        paths = stock_boxes()
    else:
        shelf = corpus("product-matching") / "grocery" / "Oatly-Oat-Milk"
        paths = {path.name: path for path in sorted(shelf.glob("*.jpg"))}
    store = Store(sqlite_url)
    try:
        references = index_of(store, {name: file_photo(path) for name, path in paths.items()})
        others = {}
        for name, path in paths.items():
            query = photo_of(eval_crop(file_photo(path).full), "crop.jpg")
            if found(references, query) - {name}:
                others[name] = found(references, query) - {name}
        assert not others
    finally:
        store.close()


def test_a_picture_recorded_before_the_middle_crop_code_is_found_as_before(store: Store, tmp_path: Path) -> None:
    """A row of the earlier layout (the picture, the nine 90 % crops, no middle crop) beside one of
    today's, read from the host's reuse file and from memory: both found, the old one's crops by its
    90 % codes; a tenth cut off every side finds only the picture that has the middle code."""
    old, new = photo_of(bags_edge_to_edge(8)), photo_of(bags_edge_to_edge(1))
    codes = fp.fingerprint(old.working)
    middle = 1 + len(fp.CROPS) - 1  # the picture's code, then the crops', the middle one last
    earlier = references_module.StoredPrint(
        pdq=b"".join(c for i, c in enumerate(codes.index_pdq()) if i != middle),
        phash=b"".join(c for i, c in enumerate(codes.index_phash()) if i != middle),
        quality=codes.codes.quality,
        features=codes.features(0).to_bytes(),
    )
    assert len(earlier.pdq) == len(stored_print(codes).pdq) - 32
    with store.sessions.begin() as session:
        session.add(fingerprint_row("t", "stock", "old", old.image_id, old.filename, FIRST_SEEN_AT, earlier))
    assert References(store).add("t", "stock", "new", new, FIRST_SEEN_AT)
    from_file = References(store, folder=tmp_path)
    assert from_file._mapped is not None and from_file.index.in_memory() == {}
    for references in (from_file, References(store)):
        for photo, ref_id in ((old, "old"), (new, "new")):
            assert found(references, copy_of(photo)) == {ref_id}
            assert found(references, photo_of(photo.full.crop((0, 0, 880, 670)), "crop.jpg")) == {ref_id}
        assert found(references, photo_of(eval_crop(old.full), "crop.jpg")) == set()
        assert found(references, photo_of(eval_crop(new.full), "crop.jpg")) == {"new"}
