"""Reuse codes and rows the reuse tests make up: random codes, a copy a few bits away, the query of
one photo's codes, a row stored with them, and the ids a search over the store's file finds; and the
two moments the tests store pictures at."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from evidence_check.imaging import fingerprint as fp
from evidence_check.references import References
from evidence_check.store import Store
from evidence_check.store.reuse_tables import StoredPrint, fingerprint_row

# When the made-up rows of the reuse file's tests are stored.
ROWS_STORED_AT = datetime(2026, 3, 1, tzinfo=UTC)
# When a picture is first seen (a first claim, a reference added); later claims come hours or days after.
FIRST_SEEN_AT = datetime(2026, 11, 16, 12, 0, tzinfo=UTC)


def random_codes(rng: np.random.Generator, count: int) -> tuple[np.ndarray, np.ndarray]:
    return rng.integers(0, 256, (count, 32), dtype=np.uint8), rng.integers(0, 256, (count, 8), dtype=np.uint8)


def near(rng: np.random.Generator, code: np.ndarray, flips: int) -> bytes:
    bits = np.unpackbits(code)
    bits[rng.choice(len(bits), flips, replace=False)] ^= 1
    return np.packbits(bits).tobytes()


def query(pdq: bytes, phash: bytes) -> fp.Codes:
    return fp.Codes(pdq=(pdq,) * 8, phash=(phash,) * 8, quality=100)


def add_row(store: Store, tenant: str, pdq: np.ndarray, phash: np.ndarray, ref_id: str) -> None:
    with store.sessions.begin() as session:
        stored = StoredPrint(pdq.tobytes(), phash.tobytes(), 100, None)
        session.add(fingerprint_row(tenant, "stock", ref_id, ref_id, f"{ref_id}.jpg", ROWS_STORED_AT, stored))


def found_ids(references: References, tenant: str, pdq: np.ndarray, phash: np.ndarray) -> list[int]:
    references.sync()
    return [hit.entry_id for hit in references.index.search(tenant, [query(pdq.tobytes(), phash.tobytes())])]
