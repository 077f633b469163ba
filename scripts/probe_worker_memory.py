"""What an API worker's own memory is made of, stage by stage: the memory each further worker of a
host adds (issue 25), measured in one process that does what a worker does, one step at a time.

    .venv/bin/python scripts/probe_worker_memory.py --store /tmp/store100k/catalog-100000.db
        [--reuse-store /tmp/reuse10m/reuse-10000000.db] [--claims 20] [--random-skus 0] [--tracemalloc] [--server]

After each stage it prints the process's resident memory (RSS), of it file-backed (pages of mapped
files: the host's feature file and reuse file, the libraries; held once by the host's page cache)
and anonymous ("private": what this process alone holds, so what each further worker adds), and
what malloc holds freed in its heaps ("heap free", glibc). The
stages: the interpreter; numpy, scipy, OpenCV; the package (`evidence_check.service`); the API
(`api.app`); the tenant's catalog loaded as `serve` loads it (`catalog_for(store).for_tenant`,
building the host's feature file first if no process did yet); the reuse index opened on the host's
reuse file (`--reuse-store`, as `bench_scale.py --reuse-store`: its file in `files/` beside it); then
`--claims` claims' relevance looks (the bench's photos, each claimed as its own SKU); then
`--random-skus` claims more, the same photos each claimed as a SKU drawn at random (seeded) from the
catalog, so that the images verified fill the `ArrayCache` as a long-lived worker's. `--server`
sets malloc as `serve`'s workers do (`api.app.limit_malloc_arenas`). `--tracemalloc` lists what
Python allocated while the catalog loaded and still holds, by line (slow: the load takes ~3x).
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as the server runs it

import argparse
import ctypes
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def memory() -> dict[str, float]:
    """Resident memory in MB: all of it, file-backed, anonymous (this process's own)."""
    status = dict(
        line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line
    )
    kb = {key: int(status[key].split()[0]) for key in ("VmRSS", "RssAnon", "RssFile", "RssShmem", "VmHWM")}
    return {
        "rss": kb["VmRSS"] / 1024,
        "file": (kb["RssFile"] + kb["RssShmem"]) / 1024,
        "private": kb["RssAnon"] / 1024,
        "peak": kb["VmHWM"] / 1024,
    }


class _MallInfo2(ctypes.Structure):
    _FIELDS = "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost"
    _fields_ = [(name, ctypes.c_size_t) for name in _FIELDS.split()]


def heap_free() -> float | None:
    """MB malloc holds freed in its heaps (glibc's `mallinfo2`: resident or not, it cannot say);
    None where there is no glibc 2.33+."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallinfo2.restype = _MallInfo2
    except (OSError, AttributeError):
        return None
    return libc.mallinfo2().fordblks / 2**20


_last: dict[str, float] = {"private": 0.0}


def stage(label: str, seconds: float | None = None) -> None:
    found = memory()
    added = found["private"] - _last["private"]
    _last.update(found)
    took = f"{seconds:6.2f}" if seconds is not None else ""
    free = heap_free()
    print(
        f"{label:<44} {found['rss']:7.0f} {found['file']:7.0f} {found['private']:8.0f} {added:+7.0f} "
        f"{found['peak']:7.0f} {'' if free is None else f'{free:.0f}':>9} {took:>6}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", type=Path, required=True, help="a catalog store (bench_scale.py --build-only)")
    parser.add_argument("--reuse-store", type=Path, help="a reuse store (bench_scale.py --reuse-only)")
    parser.add_argument("--claims", type=int, default=20)
    parser.add_argument("--random-skus", type=int, default=0, help="further claims, each of a random SKU")
    parser.add_argument(
        "--measure-each", action="store_true",
        help="measure the photo anew at each random-SKU claim, as a worker does (slower; default: once per photo)",
    )  # fmt: skip
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpora" / "product-matching")
    parser.add_argument("--tracemalloc", action="store_true", help="what Python still holds of the catalog's load")
    parser.add_argument("--server", action="store_true", help="malloc set as serve's workers set it")
    args = parser.parse_args()
    if args.reuse_store:  # before the settings are first read
        os.environ.setdefault("EVIDENCE_CHECK_REUSE_INDEX_DIR", str(args.reuse_store.parent / "files"))
    print(f"{'stage (MB)':<44} {'RSS':>7} {'file':>7} {'private':>8} {'added':>7} {'peak':>7} {'heap free':>9} {'s':>6}")
    stage("interpreter")
    import numpy  # noqa: F401
    import scipy.sparse  # noqa: F401

    stage("numpy, scipy.sparse")
    import cv2  # noqa: F401

    stage("OpenCV")
    from evidence_check.service import catalog_for
    from evidence_check.store.database import Store

    stage("evidence_check.service")
    import api.app

    stage("api.app")
    if args.server:
        api.app.limit_malloc_arenas()
    if args.tracemalloc:
        import tracemalloc

        tracemalloc.start(1)
    started = time.perf_counter()
    store = Store(f"sqlite:///{args.store}")
    tenant = catalog_for(store).for_tenant("bench")
    stage(f"catalog: {tenant.image_count:,} images", time.perf_counter() - started)
    if args.tracemalloc:
        snapshot = tracemalloc.take_snapshot()
        tracemalloc.stop()
        held = snapshot.statistics("lineno")
        print(f"  Python allocations the load left: {sum(s.size for s in held) / 2**20:.1f} MB; the largest:")
        for found in held[:15]:
            where = found.traceback[0]
            print(f"  {found.size / 2**20:7.1f} MB {found.count:>9,} blocks  {where.filename.split('site-packages/')[-1]}:{where.lineno}")
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    stage("  the same, freed heap given back (malloc_trim)")
    if args.reuse_store:
        from evidence_check.references import references_for

        started = time.perf_counter()
        references = references_for(Store(f"sqlite:///{args.reuse_store}"))
        stage("reuse index opened", time.perf_counter() - started)
    if args.claims:
        run_claims(args, catalog_for(store), tenant)
        stage(f"{args.claims} claims' looks, cold then warm")
        if args.random_skus:
            started = time.process_time()
            claim_random_skus(args, catalog_for(store), tenant)
            stage(f"{args.random_skus} claims of random SKUs", time.process_time() - started)
        drop_caches(catalog_for(store))
    if args.reuse_store:
        sys.path.insert(0, str(ROOT / "scripts"))
        from bench_scale import _near_copies

        for _, query in _near_copies(200):
            references.index.search("bench", [query])
        stage("200 reuse lookups")


def drop_caches(catalog: object) -> None:
    """Empty what the looks keep between claims (bounded by settings: what matching derived from
    the arrays of the images verified last, their RootSIFT, their tilted views), one after the
    other, each time giving the freed heap back: what is left is what a worker holds whatever its
    claims."""
    import gc

    from evidence_check.catalog import matching

    held = catalog.cache._held  # type: ignore[attr-defined]
    print(f"  cached: {len(held)} images' arrays, RootSIFT of {matching.roots.cache_info().currsize}, "
          f"views of {matching.views.cache_info().currsize}")
    for label, clear in (
        ("  the looks' freed heap given back (malloc_trim)", lambda: None),
        ("  the images' arrays let go (ArrayCache)", held.clear),
        ("  their RootSIFT let go (matching.roots)", matching.roots.cache_clear),
        ("  their tilted views let go (matching.views)", matching.views.cache_clear),
    ):
        clear()
        gc.collect()
        ctypes.CDLL("libc.so.6").malloc_trim(0)
        stage(label)


def claim_looks(args: argparse.Namespace, catalog: object, count: int) -> tuple[list[object], object]:
    """The bench's first `count` photos with their SKUs, and a function that claims one photo as one SKU."""
    from dataclasses import replace
    from datetime import UTC, datetime

    sys.path.insert(0, str(ROOT / "scripts"))
    from scale_catalog import claimed

    from evidence_check import measure
    from evidence_check.checks import relevance
    from evidence_check.checks.context import CheckContext
    from evidence_check.imaging.load import load_photo
    from evidence_check.models import Claim, Timeline
    from evidence_check.settings import Settings

    context = CheckContext(settings=Settings(db=f"sqlite:///{args.store}"), now=datetime.now(UTC), catalog=catalog)  # type: ignore[arg-type]
    photos = [(load_photo(path.read_bytes(), path.name), sku) for path, sku in claimed(args.corpus, count)]

    def look(photo: object, sku: str, measured: object = None) -> str:
        measured = measured or replace(context, measured=measure.Measurements(photo))  # type: ignore[arg-type]
        claim = Claim(claim_id="probe", tenant="bench", timeline=Timeline(), sku=sku)
        return relevance.check(photo, claim, measured).code  # type: ignore[arg-type]

    look.measure = lambda photo: replace(context, measured=measure.Measurements(photo))  # type: ignore[attr-defined]
    return photos, look


def run_claims(args: argparse.Namespace, catalog: object, tenant: object) -> None:
    photos, look = claim_looks(args, catalog, args.claims)
    codes = [look(photo, sku) for _ in range(2) for photo, sku in photos]  # type: ignore[operator, misc]
    print("codes: " + " ".join(codes[: len(photos)]))


def claim_random_skus(args: argparse.Namespace, catalog: object, tenant: object) -> None:
    import random

    photos, look = claim_looks(args, catalog, 20)
    skus = tenant.skus  # type: ignore[attr-defined]
    draw = random.Random(25)
    # Each photo's measurements (its features) made once, not at each of its claims, unless
    # --measure-each: what the catalog keeps is the same, and a thousand claims take half the time,
    # but the 20 photos' measurements (~55 MB) stay held until the last claim.
    measured: list[object] = [None] * len(photos)
    between: list[float] = []
    for number in range(args.random_skus):
        photo, _ = photos[number % len(photos)]  # type: ignore[misc]
        sku = skus.name(draw.randrange(len(skus)))
        if args.measure_each:
            look(photo, sku, look.measure(photo))  # type: ignore[attr-defined, operator]
            between.append(memory()["private"])
            continue
        if measured[number % len(photos)] is None:
            measured[number % len(photos)] = look.measure(photo)  # type: ignore[attr-defined]
        look(photo, sku, measured[number % len(photos)])  # type: ignore[operator]
        between.append(memory()["private"])
    print(f"  cached after them: {len(catalog.cache)} images' arrays")  # type: ignore[attr-defined]
    # Sampled after each claim; without --measure-each, with the probe's own 20 photos' measurements
    # held (~55 MB, let go when this returns), which a worker holds only for the claim it analyses.
    last = between[len(between) // 2 :]
    held = "each photo measured at its claim" if args.measure_each else "the probe's 20 measured photos held"
    print(f"  private after each claim, {held}: last half {min(last):.0f}-{max(last):.0f} MB "
          f"(mean {sum(last) / len(last):.0f}), most {max(between):.0f} MB, at the last {between[-1]:.0f} MB")


if __name__ == "__main__":
    main()
