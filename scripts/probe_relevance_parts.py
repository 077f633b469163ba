"""Where a claim's relevance time goes through the store, at a catalog size `bench_scale.py` built.

    .venv/bin/python scripts/probe_relevance_parts.py --images 100000 [--work /tmp/bench-scale-leaves]

One process loads the catalog as a worker does (`service.catalog_for`: the store and the host's
feature file), then looks at the bench's 20 claims cold (fresh process, the RootSIFT and view
caches cleared) and again warm. Each part's CPU time (`time.process_time`) is summed by a timer
put around it: verification, the postings scan (and of it the look-alikes' search), the photo's
index words, the shortlist's word homographies, ranking, and reading images' arrays from the
feature file (which happens within the others). The closer look's photo features are measured
before each look: they cost the same at any catalog size. Prints ms CPU a claim, the mean of 20.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as the server runs it

import argparse
import collections
import functools
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scale_catalog import TENANT  # noqa: E402

from evidence_check import measure  # noqa: E402
from evidence_check.catalog import feature_file, matching, photo, registry, words  # noqa: E402
from evidence_check.checks import relevance  # noqa: E402
from evidence_check.checks.context import CheckContext  # noqa: E402
from evidence_check.imaging.load import load_photo  # noqa: E402
from evidence_check.models import Claim, Timeline  # noqa: E402
from evidence_check.service import catalog_for  # noqa: E402
from evidence_check.settings import Settings  # noqa: E402
from evidence_check.store.database import Store  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PARTS = (
    (registry.TenantCatalog, "look", "the look"),
    (registry, "best_match", "verification (best_match)"),
    (words.WordIndex, "scores", "the postings scan (scores)"),
    (words.WordIndex, "_scores_among", "  of it the look-alikes' search"),
    (photo.PhotoFeatures, "centred_words", "the photo's index words"),
    (registry.TenantCatalog, "_shortlist", "the shortlist's word homographies"),
    (registry.TenantCatalog, "_rank", "ranking"),
    (feature_file.FeatureFile, "arrays", "  within them: reading arrays"),
)
spent: collections.Counter[str] = collections.Counter()
calls: collections.Counter[str] = collections.Counter()


def timed(original: Callable[..., Any], label: str) -> Callable[..., Any]:
    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.process_time()
        try:
            return original(*args, **kwargs)
        finally:
            spent[label] += time.process_time() - started
            calls[label] += 1

    return wrapper


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, default=100_000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/bench-scale-leaves"))
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpora" / "product-matching")
    args = parser.parse_args()
    path = args.work / f"catalog-{args.images}.db"
    if not path.exists():
        sys.exit(f"no store at {path} (bench_scale.py --images {args.images} --build-only --work {args.work} builds it)")
    for owner, name, label in PARTS:
        setattr(owner, name, timed(getattr(owner, name), label))
    store = Store(f"sqlite:///{path}")  # held: the catalog keeps only a weak reference to it
    catalog = catalog_for(store)
    catalog.for_tenant(TENANT)
    context = CheckContext(settings=Settings(db=store.url), now=datetime.now(UTC), catalog=catalog)
    grocery = args.corpus / "grocery"
    names = sorted(p.name for p in grocery.iterdir() if p.is_dir())
    claims = [(path, name) for name in names for path in sorted((grocery / name).glob(f"{name}_00[0-9].jpg"))]
    claims = claims[:: max(1, len(names) * 5 // 20)][:20]  # the bench's 20 claims
    photos = [(load_photo(path.read_bytes(), path.name), sku) for path, sku in claims]
    for label in ("cold", "warm"):
        spent.clear()
        calls.clear()
        for image, sku in photos:
            measured = measure.Measurements(image)
            measured.relevance_features(photo.Look.FIRST)
            measured.relevance_features(photo.Look.CLOSER)
            if label == "cold":
                matching.roots.cache_clear()
                matching.views.cache_clear()
            claim = Claim(claim_id="probe", tenant=TENANT, timeline=Timeline(), sku=sku)
            relevance.check(image, claim, replace(context, measured=measured))
        print(f"{args.images:,} images, {label}: ms CPU a claim (mean of {len(photos)})")
        for _, _, part in PARTS:
            if calls[part]:
                print(f"  {part:40s} {spent[part] * 1000 / len(photos):7.1f}  ({calls[part]} calls)")


if __name__ == "__main__":
    main()
