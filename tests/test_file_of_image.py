"""One kept copy of a photo, however many claims kept it (`claim_files.file_of_image`): what `reuse
refresh` and the middle codes' backfill hash a row from, one file read per row. In both stores."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import text

from evidence_check.engine import Upload
from evidence_check.store import Store, StoreError
from evidence_check.store.claim_files import file_of_image, files_by_image
from fixtures.make_fixtures import jpeg, product_photo
from tests.reuse_codes import FIRST_SEEN_AT
from tests.test_reuse import run_claim


def test_the_first_kept_copy_is_read_and_only_the_tenants(store: Store) -> None:
    data = jpeg(product_photo(31))
    image_id = hashlib.sha256(data).hexdigest()
    for number in range(3):  # one file sent in three claims, under three names
        run_claim(store, Upload(f"sent-{number}.jpg", data), f"c-{number}", None, FIRST_SEEN_AT + timedelta(days=number), tenant="t")
    assert file_of_image(store, "t", image_id) == ("sent-0.jpg", data)
    assert file_of_image(store, "other", image_id) is None
    assert file_of_image(store, "t", "0" * 64) is None


def test_a_copy_whose_file_was_forgotten_is_passed_over(store: Store) -> None:
    data = jpeg(product_photo(32))
    image_id = hashlib.sha256(data).hexdigest()
    run_claim(store, Upload("first.jpg", data), "c-1", None, FIRST_SEEN_AT, tenant="t")
    run_claim(store, Upload("second.jpg", data), "c-2", None, FIRST_SEEN_AT + timedelta(days=1), tenant="t")
    with store.engine.begin() as connection:
        connection.execute(text("DELETE FROM photo_files WHERE photo_pk = (SELECT min(id) FROM photos)"))
    assert file_of_image(store, "t", image_id) == ("second.jpg", data)


def test_a_store_that_fails_the_read_says_so_in_one_line(store: Store) -> None:
    with store.engine.begin() as connection:
        connection.execute(text("DROP TABLE photo_files"))
    with pytest.raises(StoreError, match="^could not read the photos' files: [^\\n]*$"):
        file_of_image(store, "t", "0" * 64)


def test_several_photos_are_read_one_copy_each_as_a_report_shows_them(store: Store) -> None:
    sent = [jpeg(product_photo(seed)) for seed in (33, 34)]
    ids = [hashlib.sha256(data).hexdigest() for data in sent]
    for number in range(3):  # both files sent in three claims of the tenant, and once by another tenant
        for side, data in zip("ab", sent, strict=True):
            name = f"{number}-{side}"
            run_claim(store, Upload(f"{name}.jpg", data), f"c-{name}", None, FIRST_SEEN_AT + timedelta(days=number), tenant="t")
    run_claim(store, Upload("theirs.jpg", sent[0]), "c-9", None, FIRST_SEEN_AT - timedelta(days=1), tenant="other")
    assert files_by_image(store, "t", [*ids, "0" * 64]) == {ids[0]: ("0-a.jpg", sent[0]), ids[1]: ("0-b.jpg", sent[1])}
    assert files_by_image(store, "other", ids) == {ids[0]: ("theirs.jpg", sent[0])}
    assert files_by_image(store, "t", []) == {}
