"""A photo sent again byte for byte matches the rows of its file (one sha256) whatever their codes
say: rows an older fingerprinting wrote drift from the codes computed now. In both stores: the
claim rules hold (first seen wins, the same claim re-verified is not reuse), tenants stay apart, and
a file one byte off is found by its hashes only, if at all."""

from __future__ import annotations

import hashlib
import importlib
import pkgutil
import threading
from datetime import datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import event, text, update

from evidence_check import references as references_module
from evidence_check import store as store_package
from evidence_check.engine import Upload
from evidence_check.imaging import fingerprint as fp
from evidence_check.imaging.load import load_photo
from evidence_check.measure import Measurements
from evidence_check.references import MAX_IDENTICAL, candidate_rows, references_for
from evidence_check.store import Store, StoreError
from evidence_check.store.reuse_tables import FingerprintRow, StoredPrint, fingerprint_row
from evidence_check.store.tables import Base
from fixtures.make_fixtures import jpeg, product_photo
from tests.conftest import at_revision
from tests.reuse_codes import FIRST_SEEN_AT
from tests.test_reuse import claim_upload, run_claim

LATER = FIRST_SEEN_AT + timedelta(days=1)


def old_print(seed: int, features: bytes | None) -> StoredPrint:
    """Codes that find nothing the photo is (random, as far from its own as another picture's), as a
    row of an older fingerprinting may hold; the features as given."""
    rng = np.random.default_rng(seed)
    codes = 1 + len(fp.CROPS)
    return StoredPrint(rng.bytes(32 * codes), rng.bytes(8 * codes), 100, features)


def write_old_row(
    store: Store,
    upload: Upload,
    claim_id: str,
    customer: str,
    stored: StoredPrint,
    tenant: str = "default",
    when: datetime = FIRST_SEEN_AT,
) -> None:
    """A claim recorded by an older version: its row holds the file's sha256 and codes (and
    features) that no longer match what fingerprinting gives now."""
    run_claim(store, upload, claim_id, customer, when, tenant=tenant)
    with store.sessions.begin() as session:
        aged = session.execute(
            update(FingerprintRow)
            .where(FingerprintRow.tenant == tenant, FingerprintRow.ref_id == claim_id)
            .values(pdq=stored.pdq, phash=stored.phash, features=stored.features)
            .returning(FingerprintRow.id)
        )
        assert len(aged.all()) == 1
    # The process indexed the codes it recorded; a process started since indexes the row's.
    references_module._BY_STORE.pop(store, None)


def with_comment(data: bytes) -> bytes:
    """The same JPEG with a comment segment after its SOI: one picture, another file."""
    assert data[:2] == b"\xff\xd8"
    comment = b"resent"
    return data[:2] + b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment + data[2:]


def other_features() -> bytes:
    return fp.fingerprint(product_photo(30)).features(0).to_bytes()


@pytest.mark.parametrize(
    "features", ["none kept", "another picture's", "no codes"], ids=["no features", "wrong features", "no codes"]
)
def test_an_old_row_whose_codes_no_longer_match_is_found_by_its_file_sent_again(store: Store, features: str) -> None:
    upload = claim_upload(product_photo(21))
    stored = old_print(1, other_features() if features == "another picture's" else None)
    if features == "no codes":
        stored = StoredPrint(b"", b"", 0, None)
    write_old_row(store, upload, "c-old", "alice", stored)
    finding = run_claim(store, upload, "c-2", "bob", LATER)
    assert (finding["status"], finding["code"]) == ("fail", "reuse.other_customer")
    [match] = finding["details"]["matches"]
    assert (match["claim_id"], match["identical"], match["earlier"]) == ("c-old", True, True)
    assert match["keypoints_kept"] is (features == "another picture's")
    if features != "no codes":
        assert match["pdq_distance"] > 47  # the codes did not find it: the file did


def test_a_byte_identical_file_of_another_tenant_is_not_found(store: Store) -> None:
    upload = claim_upload(product_photo(22))
    write_old_row(store, upload, "c-old", "alice", old_print(2, None), tenant="shop-a")
    image_id = hashlib.sha256(upload.data or b"").hexdigest()
    assert candidate_rows(store, "shop-a", image_id, [])[0] and candidate_rows(store, "default", image_id, []) == ([], {})
    finding = run_claim(store, upload, "c-2", "bob", LATER)
    assert (finding["status"], finding["code"]) == ("pass", "reuse.not_seen")


def test_a_store_that_fails_the_lookup_says_so_in_one_line(store: Store) -> None:
    """The lookup runs after the sync, which words its errors: so must it (the API's 503, the CLI's
    one line), not a SQLAlchemy traceback."""
    with store.engine.begin() as connection:
        connection.execute(text("DROP TABLE fingerprints"))
    with pytest.raises(StoreError, match="^could not read the photo's candidates: [^\n]*$"):
        candidate_rows(store, "default", "0" * 64, [])


def test_a_store_that_fails_the_candidates_read_says_so_in_one_line(store: Store) -> None:
    """The read of the candidates' rows fails after the sha256 lookup succeeded (a column it alone
    reads is gone): the same one line, not the SQLAlchemy error the read let through before."""
    upload = claim_upload(product_photo(25))
    run_claim(store, upload, "c-1", "alice", FIRST_SEEN_AT)
    image_id = hashlib.sha256(upload.data or b"").hexdigest()
    with store.engine.begin() as connection:
        connection.execute(text("ALTER TABLE fingerprints RENAME COLUMN features TO features_gone"))
    with store.engine.connect() as connection:  # the sha256 lookup reads no features: it still answers
        assert connection.execute(text("SELECT id FROM fingerprints WHERE image_id = :i"), {"i": image_id}).all()
    with pytest.raises(StoreError, match="^could not read the photo's candidates: [^\n]*$"):
        candidate_rows(store, "default", image_id, [])


def test_the_look_reads_the_store_over_one_connection_besides_the_sync(store: Store) -> None:
    """The sha256 lookup and the candidates' rows share one checkout: on PostgreSQL each checkout is
    round trips of its own (the pool's ping, the reset when it is returned)."""
    upload = claim_upload(product_photo(26))
    run_claim(store, upload, "c-1", "alice", FIRST_SEEN_AT)
    references = references_for(store)
    measured = Measurements(load_photo(upload.data or b"", "photo.jpg"))
    assert measured.fingerprint  # measured before counting: no store read
    checkouts: list[object] = []

    def count(*_: object) -> None:
        checkouts.append(1)

    event.listen(store.engine, "checkout", count)
    try:
        [match] = references.matches("default", measured)
    finally:
        event.remove(store.engine, "checkout", count)
    assert match.identical and match.entry.ref_id == "c-1"
    assert len(checkouts) == 1  # the index's sync, then the look's reads, over one connection


def test_a_row_of_the_file_committed_between_the_sync_and_the_look_is_found_over_the_shared_connection(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sync's read and the look's share a connection, not a moment: a row another process
    commits after the sync read (its old codes found by no hash) is found by its sha256, as it was
    when each read checked out its own connection."""
    upload = claim_upload(product_photo(27))
    references = references_for(store)
    measured = Measurements(load_photo(upload.data or b"", "photo.jpg"))
    searched = references.index.search

    def committed_meanwhile(*args: object) -> object:
        with store.sessions.begin() as session:
            stored = old_print(4, None)
            session.add(fingerprint_row("default", "claim", "c-1", measured.photo.image_id, "photo.jpg", LATER, stored))
        return searched(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(references.index, "search", committed_meanwhile)
    [match] = references.matches("default", measured)
    assert match.identical and match.entry.ref_id == "c-1" and not match.keypoints


def test_a_sync_of_its_own_beside_a_look_waiting_for_the_lock_does_not_wait_out_a_full_pool(store: Store) -> None:
    """The look checks out its connection before the sync lock: a sync that took the lock first and
    only then checked out (the one after a claim is recorded, or a reference added) waited for the
    look's connection while the look waited for the lock. With a pool of one connection (a busy
    server's pool, every connection held by a look) it failed after the pool's timeout."""
    pool = store.engine.pool
    pool._pool.maxsize, pool._max_overflow, pool._timeout = 1, 0, 4  # type: ignore[attr-defined]
    store.engine.pool = pool.recreate()  # one connection, waited for 4 s
    references = references_module.References(store)
    measured = Measurements(load_photo(claim_upload(product_photo(27)).data or b"", "photo.jpg"))
    looked, in_lock = threading.Event(), threading.Event()
    clock = references._clock

    def held_in_the_lock() -> float:
        if threading.current_thread().name == "sync":
            in_lock.set()
            looked.wait(2)  # the look's checkout, when the pool has a connection for it
        return clock()

    def checked_out(*args: object) -> None:
        if threading.current_thread().name == "look":
            looked.set()

    failed: list[BaseException] = []

    def sync() -> None:
        try:
            references.sync()
        except BaseException as exc:  # noqa: BLE001 - told to the test
            failed.append(exc)

    references._clock = held_in_the_lock  # type: ignore[method-assign]
    event.listen(store.engine, "checkout", checked_out)
    try:
        syncing = threading.Thread(target=sync, name="sync")
        syncing.start()
        assert in_lock.wait(10)
        found: list[object] = []
        looking = threading.Thread(target=lambda: found.append(references.matches("default", measured)), name="look")
        looking.start()
        syncing.join(30)
        looking.join(30)
    finally:
        event.remove(store.engine, "checkout", checked_out)
    assert failed == [] and found == [[]]


def test_a_file_one_comment_apart_is_not_identical(store: Store) -> None:
    """Its picture is the same: its hashes find the row of current codes (identical false), never
    the row of old codes."""
    image = product_photo(23)
    upload = claim_upload(image)
    write_old_row(store, upload, "c-old", "alice", old_print(3, None))
    resent = Upload("photo.jpg", with_comment(upload.data or b""))
    assert run_claim(store, resent, "c-2", "bob", LATER)["code"] == "reuse.not_seen"
    run_claim(store, upload, "c-3", "carol", LATER + timedelta(hours=1))  # current codes of the first file
    finding = run_claim(store, Upload("again.jpg", with_comment(upload.data or b"")), "c-4", "dave", LATER + timedelta(days=1))
    assert finding["code"] == "reuse.other_customer"
    assert [(m["claim_id"], m["identical"]) for m in finding["details"]["matches"]] == [("c-2", True), ("c-3", False)]


def test_a_match_found_by_its_hashes_and_its_file_is_listed_once_as_identical(store: Store) -> None:
    upload = claim_upload(product_photo(24))
    run_claim(store, upload, "c-1", "alice", FIRST_SEEN_AT)
    finding = run_claim(store, upload, "c-2", "bob", LATER)
    [match] = finding["details"]["matches"]
    assert (match["claim_id"], match["identical"], match["keypoints_kept"]) == ("c-1", True, True)
    assert match["pdq_distance"] <= 8  # found by its hashes as well


def test_reverifying_a_claim_of_an_old_row_is_not_reuse_and_a_later_resend_does_not_turn_it(store: Store) -> None:
    """The claim's own row, found by its file only, dates the photo: another customer's resend
    since is a later copy, not an earlier one."""
    upload = claim_upload(product_photo(25))
    write_old_row(store, upload, "c-1", "alice", old_print(5, None))
    again = run_claim(store, upload, "c-1", "alice", LATER)
    assert (again["status"], again["code"], again["details"]["matches"]) == ("pass", "reuse.not_seen", [])
    assert run_claim(store, upload, "c-2", "bob", LATER + timedelta(hours=1))["code"] == "reuse.other_customer"
    once_more = run_claim(store, upload, "c-1", "alice", LATER + timedelta(days=1))
    assert (once_more["status"], once_more["code"]) == ("pass", "reuse.only_later")
    assert [(m["claim_id"], m["earlier"], m["identical"]) for m in once_more["details"]["matches"]] == [("c-2", False, True)]


def test_an_old_row_of_the_same_customer_warns(store: Store) -> None:
    upload = claim_upload(product_photo(26))
    write_old_row(store, upload, "c-1", "alice", old_print(6, None))
    finding = run_claim(store, upload, "c-2", "alice", LATER)
    assert (finding["status"], finding["code"]) == ("warn", "reuse.same_customer")


def test_an_old_listing_row_fails_its_file_sent_back(store: Store) -> None:
    data = jpeg(product_photo(27))
    image_id = hashlib.sha256(data).hexdigest()
    references_for(store).add_print("default", "listing", "BAG-1", image_id, "bag.jpg", old_print(7, None), FIRST_SEEN_AT)
    finding = run_claim(store, Upload("bag.jpg", data), "c-1", "alice", LATER)
    assert (finding["status"], finding["code"]) == ("fail", "reuse.listing_photo")
    assert finding["details"]["matches"][0]["identical"] is True


def test_one_file_in_many_claims_is_looked_at_earliest_first_a_bounded_number_of_times(store: Store) -> None:
    upload = claim_upload(product_photo(28))
    for number in range(MAX_IDENTICAL + 3, 0, -1):  # written latest first: the ids run against the times
        when = FIRST_SEEN_AT + timedelta(minutes=number)
        write_old_row(store, upload, f"c-{number}", "alice", old_print(number, None), when=when)
    finding = run_claim(store, upload, "c-new", "bob", LATER)
    assert finding["params"]["ref_id"] == "c-1"
    assert [m["claim_id"] for m in finding["details"]["matches"]] == [f"c-{n}" for n in range(1, MAX_IDENTICAL + 1)]


def test_the_file_is_looked_up_by_the_index_of_tenant_and_image_id(store: Store) -> None:
    """The look's own select, as the store plans it: by the file's index, never the tenant's rows
    (SQLite once took the unique constraint's index, for its order of `kind`, and scanned them); the
    unique constraint's index only to reach this claim's own row by its whole key."""
    select_ = references_module._IDENTICAL.params(
        tenant="t", image_id="x", claim_id="c", file_rows=references_module.FILE_ROWS_READ
    )
    sql = str(select_.compile(dialect=store.engine.dialect, compile_kwargs={"literal_binds": True}))
    explain = "EXPLAIN QUERY PLAN " if store.engine.dialect.name == "sqlite" else "EXPLAIN "
    with store.engine.connect() as connection:
        said = " | ".join(str(row[-1]) for row in connection.exec_driver_sql(explain + sql))
    assert "ix_fingerprints_tenant_image" in said, said
    assert "SCAN fingerprints" not in said and "Seq Scan" not in said, said
    by_constraint = [step for step in said.split(" | ") if "autoindex" in step]
    assert all("(tenant=? AND kind=? AND ref_id=? AND image_id=?)" in step for step in by_constraint), said


@pytest.mark.new_database
def test_a_store_of_the_version_before_gets_the_index_and_its_old_rows_are_found(store_url: str) -> None:
    upload = claim_upload(product_photo(29))
    image_id = hashlib.sha256(upload.data or b"").hexdigest()
    old = old_print(9, None)
    with at_revision(store_url, "0021_catalog_sku_code_points") as connection:
        connection.execute(
            text(
                "INSERT INTO fingerprints (tenant, kind, ref_id, customer_id, image_id, filename, first_seen, pdq, phash,"
                " quality) VALUES ('default', 'claim', 'c-old', 'alice', :image_id, 'photo.jpg', :when, :pdq, :phash, 100)"
            ),
            {"image_id": image_id, "when": FIRST_SEEN_AT, "pdq": old.pdq, "phash": old.phash},
        )
    store = Store(store_url)  # migrates it
    try:
        with store.engine.connect() as connection:
            if store.engine.dialect.name == "postgresql":
                query = "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_fingerprints_tenant_image'"
            else:
                query = "SELECT sql FROM sqlite_master WHERE name = 'ix_fingerprints_tenant_image'"
            [definition] = connection.execute(text(query)).scalars()
        assert "(tenant, image_id, first_seen, id)" in definition.replace('"', "")
        finding = run_claim(store, upload, "c-2", "bob", LATER)
        assert (finding["code"], finding["details"]["matches"][0]["identical"]) == ("reuse.other_customer", True)
    finally:
        store.close()


def test_the_schema_the_migrations_make_is_the_models(store: Store) -> None:
    """Alembic's comparison of the migrated store with every model (the index 0022 adds is declared
    in both; dropped from either, it differs; so would any table, column or index of one only)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    for module in pkgutil.iter_modules(store_package.__path__):
        importlib.import_module(f"{store_package.__name__}.{module.name}")  # every table in the metadata
    with store.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    # 0021's index of SKUs in code-point order is PostgreSQL's alone (SQLite compares so already):
    # an expression with a collation, which the models cannot declare for one dialect only.
    postgresql_only = {"ix_catalog_skus_tenant_sku_code_points"}
    assert [d for d in differences if not (d[0] == "remove_index" and d[1].name in postgresql_only)] == []


def flood(store: Store, upload: Upload, claims: int, customer: str | None = "alice") -> None:
    """One customer (None: no customer; "each": each claim its own) sends one file with `claims`
    claims, c-1 first, a minute apart (rows of old codes: only the file finds them)."""
    for number in range(1, claims + 1):
        when = FIRST_SEEN_AT + timedelta(minutes=number)
        sender = f"customer-{number}" if customer == "each" else customer or "someone"
        write_old_row(store, upload, f"c-{number}", sender, old_print(100 + number, None), when=when)
    if customer is None:
        with store.sessions.begin() as session:
            session.execute(update(FingerprintRow).values(customer_id=None))


def test_a_second_customer_is_seen_however_often_the_first_resent_the_file(store: Store) -> None:
    """Alice sends one photo with 13 claims, then bob once: bob's claim is looked at, not hidden
    behind alice's 12 earliest."""
    upload = claim_upload(product_photo(31))
    flood(store, upload, MAX_IDENTICAL + 1)
    bob_at = FIRST_SEEN_AT + timedelta(hours=1)
    write_old_row(store, upload, "c-bob", "bob", old_print(99, None), when=bob_at)
    nobody = run_claim(store, upload, "c-new", None, LATER)
    assert (nobody["status"], nobody["code"]) == ("fail", "reuse.other_customer")
    assert (nobody["params"]["ref_id"], nobody["params"]["second_ref_id"]) == ("c-1", "c-bob")
    alice = run_claim(store, upload, "c-alice", "alice", LATER + timedelta(hours=1))
    assert (alice["status"], alice["code"], alice["params"]["ref_id"]) == ("fail", "reuse.other_customer", "c-bob")
    # Still bounded: alice's earliest claims fill what is left.
    looked_at = [m["claim_id"] for m in alice["details"]["matches"]]
    assert len(looked_at) == MAX_IDENTICAL and looked_at[0] == "c-1" and "c-bob" in looked_at


@pytest.mark.parametrize("customer", [None, "each"], ids=["claims of no customer", "each claim its customer"])
@pytest.mark.parametrize("kind", ["listing", "stock", "review"])
def test_a_reference_of_the_file_added_after_many_claims_is_seen(store: Store, kind: str, customer: str | None) -> None:
    """Even after 12 customers' claims (12 earliest of their owners): a listing outranks them all,
    and a stock or review photo outranks claims of no customer."""
    upload = claim_upload(product_photo(32))
    flood(store, upload, MAX_IDENTICAL, customer)
    image_id = hashlib.sha256(upload.data or b"").hexdigest()
    added_at = FIRST_SEEN_AT + timedelta(hours=1)
    references_for(store).add_print("default", kind, "REF-1", image_id, "ref.jpg", old_print(98, None), added_at)
    finding = run_claim(store, upload, "c-new", None, LATER)
    [reference] = [m for m in finding["details"]["matches"] if m["kind"] == kind]
    assert (reference.get("sku") or reference.get("reference_id"), reference["earlier"]) == ("REF-1", True)
    if kind == "listing" or customer is None:
        code = {"listing": "reuse.listing_photo", "stock": "reuse.stock_photo", "review": "reuse.review_photo"}[kind]
        assert (finding["status"], finding["code"], finding["params"]["ref_id"]) == ("fail", code, "REF-1")
    else:  # another customer's claim outranks a stock or review photo
        assert (finding["status"], finding["code"], finding["params"]["ref_id"]) == ("fail", "reuse.other_customer", "c-1")


def test_a_claim_verified_again_among_many_resends_keeps_its_own_time(store: Store) -> None:
    """Alice's 13th claim verified again after bob sent the file: bob's claim is later than hers,
    whether or not her row is among the earliest rows of the file."""
    upload = claim_upload(product_photo(33))
    flood(store, upload, MAX_IDENTICAL + 1)
    write_old_row(store, upload, "c-bob", "bob", old_print(97, None), when=FIRST_SEEN_AT + timedelta(hours=1))
    again = run_claim(store, upload, f"c-{MAX_IDENTICAL + 1}", "alice", LATER)
    assert (again["status"], again["code"], again["params"]["ref_id"]) == ("warn", "reuse.same_customer", "c-1")
    later = [m["claim_id"] for m in again["details"]["matches"] if not m["earlier"]]
    assert later == ["c-bob"]


def test_the_files_rows_are_ranked_among_its_earliest_only_and_this_claims_own(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The look reads the file's earliest FILE_ROWS_READ rows and this claim's own, never all of
    them: a placeholder sent with 200,000 claims cost 0.3-0.7 s a photo when every row was ranked.
    Beyond the window a later customer goes unread (the bound's price); this claim's own row does not."""
    monkeypatch.setattr(references_module, "FILE_ROWS_READ", 5)
    upload = claim_upload(product_photo(34))
    flood(store, upload, 8)
    write_old_row(store, upload, "c-bob", "bob", old_print(96, None), when=FIRST_SEEN_AT + timedelta(hours=1))
    image_id = hashlib.sha256(upload.data or b"").hexdigest()
    found, stored = candidate_rows(store, "default", image_id, [], claim_id="c-7")
    read = sorted(stored[h.entry_id][0].ref_id for h in found)
    assert read == ["c-1", "c-2", "c-3", "c-4", "c-5", "c-7"]
