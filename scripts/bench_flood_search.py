"""The index's search for a picture that many rows hold (a placeholder sent with every claim, or a
hostile client's flood), against the search for an ordinary picture in the same index.

    nice -n 10 .venv/bin/python scripts/bench_flood_search.py [--copies 1000,10000,50000,200000]
        [--spread 20000] [--searches 20]

For each count N: one `TenantIndex` of `--spread` rows of distinct pictures (random codes, 12 a
row as a stored photo has) and N rows holding one drawn picture's stored codes exactly (the same
file in N claims), sealed into levels as the host's reuse file holds them. Then times `--searches`
searches of three photos: the flooded picture itself, a resave of it (JPEG quality 80, its codes a
few bits away), and a corpus photo no row holds (an ordinary photo's search). Prints the milliseconds
per search (median and the slowest), the hits returned, and whether the flood's first row is among
them. The store is not involved: the look reads at most OWNERS_READ hits and FILE_ROWS_READ rows of
a file after the search (scripts/bench_identical.py measures those reads).
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from evidence_check.imaging import fingerprint as fp  # noqa: E402
from evidence_check.index import TenantIndex  # noqa: E402
from evidence_check.references import stored_print  # noqa: E402
from fixtures.make_fixtures import product_photo  # noqa: E402

ORDINARY = Path(__file__).resolve().parent.parent.parent / "shared/corpora/near-duplicates/imagededup/base_images/ukbench00120.jpg"


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", default="1000,10000,50000,200000")
    parser.add_argument("--spread", type=int, default=20_000)
    parser.add_argument("--searches", type=int, default=20)
    args = parser.parse_args()
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


if __name__ == "__main__":
    main()
