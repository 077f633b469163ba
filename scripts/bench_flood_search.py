"""The index's search for a picture that many rows hold (a placeholder sent with every claim, or a
hostile client's flood), against the search for an ordinary picture in the same index.

    nice -n 10 .venv/bin/python scripts/bench_flood_search.py [--copies 1000,10000,50000,200000]
        [--spread 20000] [--searches 20] [--store] [--work /tmp/bench-flood]
        [--pg-url postgresql://postgres@127.0.0.1:55433/postgres]

For each count N: one `TenantIndex` of `--spread` rows of distinct pictures (random codes, 12 a
row as a stored photo has) and N rows holding one drawn picture's stored codes exactly (the same
file in N claims), sealed into levels as the host's reuse file holds them. Then times `--searches`
searches of three photos: the flooded picture itself, a resave of it (JPEG quality 80, its codes a
few bits away), and a corpus photo no row holds (an ordinary photo's search). Prints the milliseconds
per search (median and the slowest), the hits returned, and whether the flood's first row is among
them. The store is not involved there: the look reads at most OWNERS_READ hits and FILE_ROWS_READ
rows of a file after the search (scripts/bench_identical.py measures those reads).

With `--store`: the whole lookup of the reuse look (`References._looked_up`: the sync, the search,
the reads of the hits' and the file's rows; not the keypoint checks) of the resave, by a claim of
another customer, in a SQLite store (under `--work`) and, with `--pg-url`, a PostgreSQL database
(`ec_bench_identical_flood_<N>`, kept) holding the picture in N claims of one customer, each with the file's
codes (and keypoints, the earliest FEATURES_KEPT); the host's reuse file built from them as a service's first process builds it.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from PIL import Image
from sqlalchemy import insert, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from evidence_check import index as index_module  # noqa: E402
from evidence_check.imaging import fingerprint as fp  # noqa: E402
from evidence_check.imaging.load import load_photo  # noqa: E402
from evidence_check.index import TenantIndex  # noqa: E402
from evidence_check.references import References, stored_print  # noqa: E402
from evidence_check.store import Store  # noqa: E402
from evidence_check.store.reuse_tables import FingerprintRow  # noqa: E402
from fixtures.make_fixtures import product_photo  # noqa: E402
from scripts.bench_identical import pg_database  # noqa: E402

FIRST_SEEN = datetime(2026, 11, 1, tzinfo=UTC)
# Keypoints (37 kB a row) kept with the earliest claims only: the look verifies the earliest (the
# closest among equals), and 200,000 rows of them would be 7 GB.
FEATURES_KEPT = 1000
ROOT = Path(__file__).resolve().parent.parent
ORDINARY = ROOT.parent / "shared" / "corpora" / "near-duplicates/imagededup/base_images/ukbench00120.jpg"


def resaved(image: Image.Image, quality: int) -> Image.Image:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def flooded_index(spread: int, copies: int, pdq: list[bytes], phash: list[bytes]) -> TenantIndex:
    """`spread` rows of random codes (ids 1..spread), then `copies` rows of the flooded codes."""
    rng = np.random.default_rng(1)
    index = TenantIndex()
    per_row = len(pdq)
    for first in range(0, spread, 10_000):
        count = min(10_000, spread - first)
        pdq_codes = rng.integers(0, 256, (count, per_row, 32), dtype=np.uint8)
        phash_codes = rng.integers(0, 256, (count, per_row, 8), dtype=np.uint8)
        index.add_many(
            (first + n + 1, [c.tobytes() for c in pdq_codes[n]], [c.tobytes() for c in phash_codes[n]])
            for n in range(count)
        )
    index.add_many((spread + n + 1, pdq, phash) for n in range(copies))
    owners, pdq_arrays, phash_arrays = index.arrays()  # every code sorted into levels, as a mapped file
    return TenantIndex.from_arrays(owners, pdq_arrays, phash_arrays)


def through_the_store(url: str, copies: int, searches: int, work: Path) -> None:
    """The resave's lookup in a store of the picture in `copies` claims of alice's."""
    picture = product_photo(41)
    data = io.BytesIO()
    picture.save(data, "JPEG", quality=95)
    sent = data.getvalue()
    stored = stored_print(fp.fingerprint(load_photo(sent, "photo.jpg").working))
    store = Store(url)
    try:
        with store.engine.connect() as connection:
            held = connection.execute(text("SELECT count(*) FROM fingerprints")).scalar_one()
        if held not in (0, copies):
            raise SystemExit(f"{url} holds {held} rows, not {copies}: remove it first")
        for first in range(0 if not held else copies, copies, 20_000):
            rows = [
                {
                    "tenant": "default", "kind": "claim", "ref_id": f"c-{n}", "customer_id": "alice",
                    "image_id": hashlib.sha256(sent).hexdigest(), "filename": "photo.jpg",
                    "first_seen": FIRST_SEEN + timedelta(seconds=n), "pdq": stored.pdq, "phash": stored.phash,
                    "quality": stored.quality, "features": stored.features if n < FEATURES_KEPT else None,
                }  # fmt: skip
                for n in range(first, min(copies, first + 20_000))
            ]
            with store.engine.begin() as connection:
                connection.execute(insert(FingerprintRow), rows)
        references = References(store, folder=work / "reuse-files" / f"{store.engine.dialect.name}-{copies}")
        resave = load_photo(jpeg_of(resaved(picture, 80), 90), "resave.jpg")
        print_ = fp.fingerprint(resave.working)
        references._looked_up("default", resave.image_id, print_, "c-bob")  # warm
        times = []
        for _ in range(searches):
            started = time.perf_counter()
            hits, rows_read = references._looked_up("default", resave.image_id, print_, "c-bob")
            times.append((time.perf_counter() - started) * 1000)
        first_claim = any(entry.ref_id == "c-0" for entry, *_ in rows_read.values())
        print(
            f"{copies:>20,} {store.engine.dialect.name + ', the lookup':<24} {statistics.median(times):>10.2f} "
            f"{max(times):>9.2f} {len(hits):>6}  {first_claim}",
            flush=True,
        )
    finally:
        store.close()


def jpeg_of(image: Image.Image, quality: int) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", default="1000,10000,50000,200000")
    parser.add_argument("--spread", type=int, default=20_000)
    parser.add_argument("--searches", type=int, default=20)
    parser.add_argument("--store", action="store_true", help="also the whole lookup through a store")
    parser.add_argument("--work", type=Path, default=Path("/tmp/bench-flood"))
    parser.add_argument("--pg-url", default=None, help="with --store, also a PostgreSQL database on this server")
    parser.add_argument("--run-read", type=int, default=None, help="index.RUN_READ to measure (default: the shipped)")
    args = parser.parse_args()
    if args.run_read is not None:
        index_module.RUN_READ = args.run_read  # read when a level is built, below
    picture = product_photo(41)
    stored = stored_print(fp.fingerprint(picture), keep_features=False)
    pdq = [stored.pdq[i : i + 32] for i in range(0, len(stored.pdq), 32)]
    phash = [stored.phash[i : i + 8] for i in range(0, len(stored.phash), 8)]
    photos = {
        "the flooded picture": fp.fingerprint(picture).query_codes(),
        "a resave of it (q80)": fp.fingerprint(resaved(picture, 80)).query_codes(),
        "a picture no row holds": fp.fingerprint(Image.open(ORDINARY).convert("RGB")).query_codes(),
    }
    print(f"{len(pdq)} codes a row; {args.spread} rows of other pictures; {args.searches} searches each")
    print(f"{'rows of the picture':>20} {'photo':<24} {'median ms':>10} {'max ms':>9} {'hits':>6}  first row found")
    for copies in (int(c) for c in args.copies.split(",")):
        index = flooded_index(args.spread, copies, pdq, phash)
        first_row = args.spread + 1
        for name, codes in photos.items():
            index.search(codes)  # warm
            times = []
            for _ in range(args.searches):
                started = time.perf_counter()
                hits = index.search(codes)
                times.append((time.perf_counter() - started) * 1000)
            found = any(h.entry_id == first_row for h in hits)
            print(
                f"{copies:>20,} {name:<24} {statistics.median(times):>10.2f} {max(times):>9.2f} {len(hits):>6}  {found}",
                flush=True,
            )
        del index
        if args.store:
            args.work.mkdir(parents=True, exist_ok=True)
            urls = [f"sqlite:///{args.work / f'flood-{copies}.sqlite3'}"]
            if args.pg_url:
                urls.append(pg_database(args.pg_url, f"flood_{copies}"))
            for url in urls:
                through_the_store(url, copies, args.searches, args.work)


if __name__ == "__main__":
    main()
