"""One customer's near copies of a photo (resaved, so each its own file) crowd the index's closest
hits: another customer's copy, or a listing photo, a little farther is still examined, and the
look still verifies at most MAX_CANDIDATES of them."""

from __future__ import annotations

import io
from datetime import timedelta

from PIL import Image

from evidence_check.engine import Upload
from evidence_check.index import Hit
from evidence_check.references import MAX_CANDIDATES, closest_of_each_owner, references_for
from evidence_check.store import Store
from evidence_check.store.reuse_tables import StoredPrint, fingerprint_row
from fixtures.make_fixtures import product_photo
from tests.reuse_codes import FIRST_SEEN_AT
from tests.test_reuse import photo_of, run_claim

LATER = FIRST_SEEN_AT + timedelta(days=1)


def resaved(image: Image.Image, quality: int) -> Upload:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return Upload("photo.jpg", buffer.getvalue())


def alice_resends(store: Store, image: Image.Image, claims: int = MAX_CANDIDATES + 1) -> None:
    """c-1 … c-13, each a resave closer to the photo looked up (quality 90) than quality 80 is."""
    for number in range(1, claims + 1):
        run_claim(store, resaved(image, 95 - number), f"c-{number}", "alice", FIRST_SEEN_AT + timedelta(minutes=number))


def test_another_customers_near_copy_farther_than_a_flood_of_resaves_is_examined(store: Store) -> None:
    image = product_photo(41)
    alice_resends(store, image)
    run_claim(store, resaved(image, 80), "c-bob", "bob", FIRST_SEEN_AT + timedelta(hours=1))
    nobody = run_claim(store, resaved(image, 90), "c-new", None, LATER)
    assert (nobody["status"], nobody["code"]) == ("fail", "reuse.other_customer")
    assert (nobody["params"]["ref_id"], nobody["params"]["second_ref_id"]) == ("c-1", "c-bob")
    assert len(nobody["details"]["matches"]) == MAX_CANDIDATES  # still bounded
    alice = run_claim(store, resaved(image, 90), "c-alice", "alice", LATER + timedelta(hours=1))
    assert (alice["status"], alice["code"], alice["params"]["ref_id"]) == ("fail", "reuse.other_customer", "c-bob")


def test_a_listing_photo_farther_than_a_flood_of_resaves_is_examined(store: Store) -> None:
    image = product_photo(42)
    alice_resends(store, image)
    assert references_for(store).add("default", "listing", "BAG-1", photo_of(image.resize((480, 360))), LATER)
    finding = run_claim(store, resaved(image, 90), "c-alice", "alice", LATER + timedelta(hours=1))
    assert (finding["status"], finding["code"], finding["params"]["ref_id"]) == ("fail", "reuse.listing_photo", "BAG-1")


def test_one_customers_resaves_alone_stay_her_repeat_closest_first(store: Store) -> None:
    image = product_photo(43)
    alice_resends(store, image, MAX_CANDIDATES + 3)
    finding = run_claim(store, resaved(image, 90), "c-alice", "alice", LATER)
    assert (finding["status"], finding["code"]) == ("warn", "reuse.same_customer")
    assert len(finding["details"]["matches"]) == MAX_CANDIDATES


def test_the_hits_chosen_are_the_tenants_own_and_at_most_max_candidates(store: Store) -> None:
    """Whatever an index said: another tenant's row takes no candidate's place."""
    references = references_for(store)
    for tenant in ("a", "b"):
        for number in range(MAX_CANDIDATES + 1):
            image = photo_of(product_photo(50 + number))
            assert references.add(tenant, "claim", f"{tenant}-{number}", image, FIRST_SEEN_AT, customer_id="alice")
    with store.engine.connect() as connection:
        rows = connection.exec_driver_sql("SELECT id, tenant FROM fingerprints ORDER BY id").all()
        ids = {tenant: [row_id for row_id, t in rows if t == tenant] for tenant in ("a", "b")}
        hits = [Hit(row_id, 0, 0, 0) for row_id in ids["b"][:1] + ids["a"]]  # b's row the closest
        chosen = closest_of_each_owner(connection, "a", hits)
    assert [h.entry_id for h in chosen] == ids["a"][:MAX_CANDIDATES]


def test_a_listing_among_the_closest_hits_is_not_displaced_by_other_skus_listings(store: Store) -> None:
    """A catalog's listings are no one sender: two other SKUs' listing photos closer than the one the
    photo is a crop of (found by pHash, so last by PDQ) took "the listings'" two places, and other
    customers' claims farther away took its own (the eval's shared store, listing_photo scenario: a
    crop of God Morgon Red Grapefruit read other_customer instead of listing_photo)."""
    rows = [("listing", "SKU-A", None), ("listing", "SKU-B", None)]
    rows += [("claim", f"c-{n}", f"customer-{n}") for n in range(9)]
    rows += [("listing", "SKU-C", None), ("claim", "c-far", "customer-far")]
    with store.sessions.begin() as session:
        made = [
            fingerprint_row("default", kind, ref_id, f"{n:064x}", "p.jpg", FIRST_SEEN_AT, StoredPrint(b"", b"", 100, None), customer)
            for n, (kind, ref_id, customer) in enumerate(rows)
        ]
        session.add_all(made)
        session.flush()
        ids = [row.id for row in made]
    hits = [Hit(row_id, distance, 0, 0) for distance, row_id in enumerate(ids)]  # closest first
    with store.engine.connect() as connection:
        chosen = [h.entry_id for h in closest_of_each_owner(connection, "default", hits)]
    assert ids[11] in chosen and chosen == ids[:MAX_CANDIDATES]
