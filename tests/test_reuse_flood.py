"""One picture in many rows (a placeholder sent with every claim, a hostile client's flood): the index's
search reads RUN_READ codes of a substring so many share, the earliest half and the latest half, and
returns at most MAX_HITS hits, so it stays bounded; what the look decides (the earliest claim of the picture, a listing photo
of it, another row found by its own codes) is still found."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from evidence_check import references as references_module
from evidence_check.imaging import fingerprint as fp
from evidence_check.index import MAX_HITS, RUN_READ, TenantIndex
from evidence_check.references import OWNERS_READ, References, references_for
from evidence_check.store import Store
from evidence_check.store.reuse_tables import FingerprintRow, StoredPrint, fingerprint_row
from fixtures.make_fixtures import product_photo
from tests.reuse_codes import FIRST_SEEN_AT, near, query, random_codes
from tests.test_reuse import claim_upload, photo_of, run_claim
from tests.test_reuse_near_copies import resaved

FLOOD = RUN_READ + MAX_HITS  # more rows of one picture than a probe reads or a search returns
HALF = RUN_READ // 2  # a crowded run's earliest entries read, and its latest


# A row just after a flood, and one RUN_READ / 2 flood rows later: the bound's price (reuse.md).
AFTER_THE_FLOOD = pytest.mark.parametrize(
    "after",
    [
        0,
        pytest.param(
            HALF,
            marks=pytest.mark.xfail(
                strict=True, reason="the run bound's price: buried by RUN_READ / 2 later flood rows (reuse.md)"
            ),
        ),
    ],
)


def sealed(index: TenantIndex) -> TenantIndex:
    """The index as the host's reuse file holds it: every code sorted into levels."""
    owners, pdq, phash = index.arrays()
    return TenantIndex.from_arrays(owners, pdq, phash)


def flooded_index(rng: np.random.Generator, before: int = 500) -> tuple[TenantIndex, np.ndarray, np.ndarray]:
    """Rows 1..`before` of random codes, then rows 1001.. holding row 1's codes (its picture resent)."""
    pdq, phash = random_codes(rng, before)
    index = TenantIndex()
    index.add_many((row + 1, [pdq[row].tobytes()], [phash[row].tobytes()]) for row in range(before))
    index.add_many((1001 + n, [pdq[0].tobytes()], [phash[0].tobytes()]) for n in range(8 * FLOOD))
    return sealed(index), pdq, phash


def test_the_search_for_a_flooded_picture_returns_the_earliest_and_latest_rows_bounded() -> None:
    index, pdq, phash = flooded_index(np.random.default_rng(1))
    hits = index.search([query(pdq[0].tobytes(), phash[0].tobytes())])
    assert len(hits) == MAX_HITS
    # Closest first, earliest among equals: row 1 itself, the flood's first rows, then its last (cut at MAX_HITS).
    rows = 8 * FLOOD
    read = [1, *range(1001, 1000 + HALF), *range(1001 + rows - HALF, 1001 + rows)]
    assert [h.entry_id for h in hits] == read[:MAX_HITS]
    # Each table's probe read the run's first and last RUN_READ / 2 codes, not all 8 * FLOOD + 1.
    _rows, _distances, codes = index._pdq.range_search(np.frombuffer(pdq[0].tobytes(), np.uint8).reshape(1, 32))
    assert np.unique(codes).tolist() == [0, *range(500, 499 + HALF), *range(500 + rows - HALF, 500 + rows)]


def test_a_near_copy_of_the_flooded_picture_finds_the_same_earliest_rows() -> None:
    rng = np.random.default_rng(2)
    index, pdq, phash = flooded_index(rng)
    copy = query(near(rng, pdq[0], 12), near(rng, phash[0], 3))
    hits = index.search([copy])
    assert len(hits) == MAX_HITS and hits[0].entry_id == 1 and hits[1].entry_id == 1001


def test_other_pictures_are_found_beside_a_flood() -> None:
    """Where the bound must not fire: a row of its own codes, and a near copy of it, in the flooded index."""
    rng = np.random.default_rng(3)
    index, pdq, phash = flooded_index(rng)
    for row in (2, 250, 499):
        assert [h.entry_id for h in index.search([query(pdq[row].tobytes(), phash[row].tobytes())])] == [row + 1]
        found = index.search([query(near(rng, pdq[row], 15), near(rng, phash[row], 4))])
        assert row + 1 in [h.entry_id for h in found]


def test_a_flood_is_read_from_its_own_substring_where_others_share_its_directory_slot() -> None:
    """Codes whose substrings sort just before the flood's and just after, in the same directory slot of
    every table (10 and 20 bits away: found too, after the flood's exact copies, cut by MAX_HITS)."""
    rng = np.random.default_rng(5)
    flood_pdq, flood_phash = random_codes(rng, 1)
    flood_pdq[0, 0:30:3] = (flood_pdq[0, 0:30:3] & 0xFC) | 1  # each 24-bit substring's lowest bits 01 ...
    beside = np.repeat(flood_pdq, 2 * RUN_READ, axis=0)
    beside[:RUN_READ, 0:30:3] ^= 1  # ... 00: one less, in the same slot
    beside[RUN_READ:, 0:30:3] ^= 3  # ... 10: one more
    beside[:, 30:] = rng.integers(0, 256, (len(beside), 2), dtype=np.uint8)  # distinct pictures
    _, phash = random_codes(rng, len(beside))
    index = TenantIndex()
    index.add_many((row + 1, [beside[row].tobytes()], [phash[row].tobytes()]) for row in range(len(beside)))
    index.add_many((1001 + n, [flood_pdq[0].tobytes()], [flood_phash[0].tobytes()]) for n in range(FLOOD))
    hits = sealed(index).search([query(flood_pdq[0].tobytes(), flood_phash[0].tobytes())])
    read = [*range(1001, 1001 + HALF), *range(1001 + FLOOD - HALF, 1001 + FLOOD)]
    assert [h.entry_id for h in hits] == read[:MAX_HITS]


def test_distinct_pictures_sharing_a_substring_are_each_found() -> None:
    """A run of distinct pictures cut at RUN_READ loses none here: each near copy (10 bits off) is within
    a bit of its picture in some other table (where it is not: `test_a_picture_within_a_bit_…`)."""
    rng = np.random.default_rng(4)
    pdq, phash = random_codes(rng, 4 * RUN_READ)
    pdq[:, :3] = 7  # PDQ's first 24-bit substring the same in every code
    index = TenantIndex()
    index.add_many((row + 1, [pdq[row].tobytes()], [phash[row].tobytes()]) for row in range(len(pdq)))
    index = sealed(index)
    for row in (0, RUN_READ, len(pdq) - 1):
        found = index.search([query(near(rng, pdq[row], 10), near(rng, phash[row], 4))])
        assert row + 1 in [h.entry_id for h in found]


@AFTER_THE_FLOOD
def test_a_picture_within_a_bit_of_a_query_only_in_a_flooded_table_is_found(after: int) -> None:
    """Picture U shares PDQ's last substring with a picture in FLOOD rows and comes after them (and
    `after` more); the query is U with two bits flipped in each of the nine other substrings (18 bits:
    within 19, so 344c28e found it through that table, and the earliest RUN_READ alone did not), its
    pHash unrelated. The flood itself is 100+ bits away."""
    rng = np.random.default_rng(7)
    (flood_pdq, unrelated), phash = random_codes(rng, 2)
    unrelated[27:30] = flood_pdq[27:30]
    bits = np.unpackbits(unrelated)
    bits[[24 * table + offset for table in range(9) for offset in (3, 17)]] ^= 1
    asked = np.packbits(bits)
    index = TenantIndex()
    index.add_many((1 + n, [flood_pdq.tobytes()], [phash[0].tobytes()]) for n in range(FLOOD))
    index.add_many([(FLOOD + 1, [unrelated.tobytes()], [phash[1].tobytes()])])
    index.add_many((FLOOD + 2 + n, [flood_pdq.tobytes()], [phash[0].tobytes()]) for n in range(after))
    hits = sealed(index).search([query(asked.tobytes(), random_codes(rng, 1)[1][0].tobytes())])
    assert [h.entry_id for h in hits] == [FLOOD + 1]


def test_the_look_reads_no_more_hits_than_a_search_returns() -> None:
    assert OWNERS_READ <= MAX_HITS


def alice_floods(store: Store, claims: int) -> None:
    """Alice's claim c-1 of product_photo(44), recorded as a claim is; then the same file in claims
    flood-2 … (rows as c-1's, an hour apart), and a process that indexes them afresh."""
    run_claim(store, claim_upload(product_photo(44)), "c-1", "alice", FIRST_SEEN_AT)
    with store.sessions.begin() as session:
        first = session.execute(select(FingerprintRow).where(FingerprintRow.ref_id == "c-1")).scalar_one()
        stored = StoredPrint(first.pdq, first.phash, first.quality, first.features)
        session.add_all(
            fingerprint_row(
                "default", "claim", f"flood-{n}", first.image_id, "photo.jpg",
                FIRST_SEEN_AT + timedelta(hours=n), stored, "alice",
            )  # fmt: skip
            for n in range(2, claims + 1)
        )
    references_module._BY_STORE.pop(store, None)


def test_another_customers_resave_of_a_flooded_picture_names_the_first_claim(store: Store) -> None:
    alice_floods(store, FLOOD)
    bob = resaved(product_photo(44), 80)
    hits = references_for(store).search("default", fp.fingerprint(photo_of(product_photo(44)).working))
    assert len(hits) == MAX_HITS  # FLOOD rows hold the picture
    finding = run_claim(store, bob, "c-bob", "bob", FIRST_SEEN_AT + timedelta(days=60))
    assert (finding["status"], finding["code"], finding["params"]["ref_id"]) == ("fail", "reuse.other_customer", "c-1")


def test_a_listing_photo_of_a_flooded_picture_is_found(store: Store) -> None:
    image = product_photo(44)
    references_for(store).add("default", "listing", "BAG-44", photo_of(image.resize((480, 360))), FIRST_SEEN_AT - timedelta(days=1))
    alice_floods(store, FLOOD)
    finding = run_claim(store, resaved(image, 80), "c-bob", "bob", FIRST_SEEN_AT + timedelta(days=60))
    assert (finding["status"], finding["code"], finding["params"]["ref_id"]) == ("fail", "reuse.listing_photo", "BAG-44")


def _last_bit_flipped(pdq: bytes) -> bytes:
    """Each 32-byte PDQ code with its last bit flipped: a bit no 24-bit substring holds (10 x 24 = 240)."""
    codes = bytearray(pdq)
    for at in range(31, len(codes), 32):
        codes[at] ^= 1
    return bytes(codes)


@AFTER_THE_FLOOD
def test_a_listing_closer_than_a_flood_and_added_after_it_is_found(store: Store, tmp_path: Path, after: int) -> None:
    """mallory's FLOOD claims of a picture one bit off product_photo(44)'s codes, outside every PDQ
    substring; then a listing of product_photo(44) itself (and `after` more claims); bob's resave is
    nearer the listing (0 bits) than the flood (1 bit): `reuse.listing_photo` at 344c28e, and not when
    a crowded run's earliest RUN_READ alone were read. A host file built afresh: every row in levels."""
    image = product_photo(44)
    run_claim(store, claim_upload(image), "c-1", "alice", FIRST_SEEN_AT)
    with store.sessions.begin() as session:
        first = session.execute(select(FingerprintRow).where(FingerprintRow.ref_id == "c-1")).scalar_one()
        stored = StoredPrint(_last_bit_flipped(first.pdq), first.phash, first.quality, first.features)
        session.add_all(
            fingerprint_row(
                "default", "claim", f"flood-{n}", "f" * 64, "photo.jpg",
                FIRST_SEEN_AT + timedelta(hours=n), stored, "mallory",
            )  # fmt: skip
            for n in range(2, FLOOD + 2)
        )
    references_for(store).add("default", "listing", "BAG-44", photo_of(image.resize((480, 360))), FIRST_SEEN_AT + timedelta(days=30))
    with store.sessions.begin() as session:
        session.add_all(
            fingerprint_row(
                "default", "claim", f"later-{n}", "f" * 64, "photo.jpg",
                FIRST_SEEN_AT + timedelta(days=31, hours=n), stored, "mallory",
            )  # fmt: skip
            for n in range(after)
        )
    references_module._BY_STORE[store] = References(store, folder=tmp_path / "rebuilt")
    finding = run_claim(store, resaved(image, 80), "c-bob", "bob", FIRST_SEEN_AT + timedelta(days=60))
    assert (finding["code"], finding["params"]["ref_id"]) == ("reuse.listing_photo", "BAG-44")
