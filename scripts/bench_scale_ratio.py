"""A claim's relevance look at two catalog sizes, in one process, claim by claim in turn: the ratio
of their costs (issue 25's goal: ≤ 1.3× at 100,000 images what it is at a small catalog), free of
the machine's load drifting between two runs measured apart.

    .venv/bin/python scripts/bench_scale_ratio.py --small /tmp/bench-scale/catalog-31.db
        --large /tmp/bench-scale/catalog-100000.db [--claims 20] [--passes 6]
        [--corpus ../shared/corpora/product-matching]

Both stores are `bench_scale.py` stores (`--images 31` and `--images 100000 --build-only`). The
process starts as an API worker does (its imports and malloc), loads both catalogs as `serve` does
(the host's feature files), then claims each of the bench's photos as its own SKU, at one size then
at the other (the order swapped photo by photo). The first pass is cold: the looks' caches emptied
before each claim, and the large catalog's images read for the first time in the process; the
later passes are warm. It prints the look's CPU time (`time.process_time`) p50 per size and pass
kind, the ratio of the p50s and the median of the photo-by-photo ratios, and each size's codes.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as the server runs it

import argparse
import statistics
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scale_catalog import TENANT, claimed  # noqa: E402

from api.app import limit_malloc_arenas, one_thread_per_request  # noqa: E402
from evidence_check import measure  # noqa: E402
from evidence_check.catalog import matching  # noqa: E402
from evidence_check.checks import relevance  # noqa: E402
from evidence_check.checks.context import CheckContext  # noqa: E402
from evidence_check.imaging.load import load_photo  # noqa: E402
from evidence_check.models import Claim, Timeline  # noqa: E402
from evidence_check.service import catalog_for  # noqa: E402
from evidence_check.settings import Settings  # noqa: E402
from evidence_check.store.database import Store  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=Path, required=True, help="the small catalog's bench_scale store")
    parser.add_argument("--large", type=Path, required=True, help="the large catalog's bench_scale store")
    parser.add_argument("--claims", type=int, default=20)
    parser.add_argument("--passes", type=int, default=6, help="the first cold, the others warm")
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpora" / "product-matching")
    args = parser.parse_args()
    if args.passes < 2:
        sys.exit("--passes: at least 2 (one cold, one warm)")
    for path in (args.small, args.large):
        if not path.is_file():
            sys.exit(f"{path}: no such store (build it with scripts/bench_scale.py)")
    limit_malloc_arenas()
    one_thread_per_request()
    paths = {"small": args.small, "large": args.large}
    stores = {size: Store(f"sqlite:///{path}") for size, path in paths.items()}
    contexts = {}
    for size, path in paths.items():
        catalog = catalog_for(stores[size])
        started = time.process_time()
        images = catalog.for_tenant(TENANT).image_count
        print(f"{size}: {images:,} images, loaded in {time.process_time() - started:.2f} s CPU")
        contexts[size] = CheckContext(settings=Settings(db=f"sqlite:///{path}"), now=datetime.now(UTC), catalog=catalog)
    photos = [(load_photo(path.read_bytes(), path.name), sku) for path, sku in claimed(args.corpus, args.claims)]
    spent: dict[tuple[str, str], list[float]] = {(size, kind): [] for size in stores for kind in ("cold", "warm")}
    codes: dict[str, list[str]] = {size: [] for size in stores}
    for number in range(args.passes):
        kind = "cold" if number == 0 else "warm"
        for turn, (photo, sku) in enumerate(photos):
            for size in ("small", "large") if (turn + number) % 2 == 0 else ("large", "small"):
                measured = replace(contexts[size], measured=measure.Measurements(photo))
                assert measured.measured is not None
                measured.measured.relevance_features()  # the photo's own features do not scale
                if kind == "cold":
                    matching.roots.cache_clear()
                    matching.views.cache_clear()
                claim = Claim(claim_id="bench", tenant=TENANT, timeline=Timeline(), sku=sku)
                started = time.process_time()
                finding = relevance.check(photo, claim, measured)
                spent[size, kind].append((time.process_time() - started) * 1000)
                if number == 0:
                    codes[size].append(finding.code)
    print(f"{'':6} {'small p50':>10} {'large p50':>10} {'ratio':>6} {'photo by photo':>15}   CPU ms of the look")
    for kind in ("cold", "warm"):
        small, large = spent["small", kind], spent["large", kind]
        pairs = statistics.median(b / a for a, b in zip(small, large, strict=True))
        p50s = statistics.median(small), statistics.median(large)
        print(f"{kind:6} {p50s[0]:10.1f} {p50s[1]:10.1f} {p50s[1] / p50s[0]:6.2f} {pairs:15.2f}")
    for size in stores:
        print(f"codes, {size}: " + " ".join(codes[size]))


if __name__ == "__main__":
    main()
