"""The scale bench: a large catalog and a large reuse store shared by several worker processes.

    .venv/bin/python scripts/bench_scale.py --images 10000 --photos 1000000 --workers 1,2,4
        [--claims 20] [--corpus ../shared/corpora/product-matching] [--work /tmp/bench-scale]
        [--build-only]   # build the store and the host's feature file only (an hour at 100,000 images)
        [--in-memory [--uniform] [--small-vocabulary]]   # no store: each worker holds the catalog
        [--odds-from-claims]   # the synthetic words' odds counted over the claimed photos too

The catalog is a real store (SQLite under `--work`, built once per size and kept): the 31 grocery
products' web-shop images, and as many more SKUs as `--images` asks, each with its own feature
arrays in memory — copies of a real image's keypoints moved by a pixel at random, with visual words
drawn at random (so the word index is as large as a real one of that size). Stored blobs repeat
(`VARIANTS` distinct ones) to keep the store's size and build time down; loading unpacks each row
into arrays of its own, so a worker holds what a real catalog of that size makes it hold.

The words are those of the vocabulary a catalog of that size trains (`scale_catalog`).
`--in-memory` builds no store: each worker holds the catalog whole (the word index built from the
words, the synthetic images sharing `VARIANTS` arrays), which measures the relevance look at a size
without the hour a store and its feature file take; its RSS is not a stored catalog's.

The reuse store is synthetic: `--photos` random PDQ/pHash code pairs (a code each, as
`bench_reuse.py --only index` counts them), indexed by each worker as `references.References` does
at start.

Each of `--workers` processes starts at once and reports: its start (catalog load, reuse index
build), its resident memory (RSS; of it file-backed, which the processes of a host share; the
rest, "private", what each further worker adds: after the claims, and "at start"), and for
`--claims` photos of the real products claimed as their own SKU the relevance look's wall time,
first with cold caches and then again warm (wall time, and the look's CPU time, which other jobs
on the machine do not inflate), and a reuse lookup's time. Latencies are pooled over the workers,
which run at the same time on the same cores. "catalog s" (and its CPU time, "cpu s", which
other jobs on the machine do not inflate) of a host's first worker includes building the host's
catalog feature file. A worker imports the API and sets malloc as `serve`'s
workers do (`api.app.limit_malloc_arenas`).

    .venv/bin/python scripts/bench_scale.py --images 100000 --photos 10000000 --workers 1,2
        --reuse-store /tmp/bench-scale-reuse/reuse-10000000.db

`--reuse-store` gives the workers the reuse index of a store `--reuse-only` built (of `--photos`
rows), opened as `verify` does through the host's reuse file (in `files/` beside the store, the
one `--reuse-only` uses), instead of synthetic codes each worker indexes in its memory; the lookup
is then of near copies of stored photos, each checked to find its photo first.

    .venv/bin/python scripts/bench_scale.py --reuse-only --photos 10000000 --workers 1,2,4
        [--work /tmp/bench-scale-reuse] [--tree /tmp/bench-scale-reuse/main]

`--reuse-only` measures the reuse index alone, on a store of `--photos` real fingerprint rows
(SQLite under `--work`, one tenant, a random PDQ and pHash code each, built once per size and
kept). Each worker opens the store's reuse index as `verify` and `serve` do (`references_for`),
with this tree or with `--tree` (a copy of another commit's tree, e.g. made by `git archive`).
Code with a host reuse file keeps it in `--work`/files; its first row, "first start", is one
worker building it. It prints the start time, RSS per worker and of it the shared (file-backed)
part, and the index lookup's p50/p99 over 200 near copies of stored photos, each checked to find
its photo first; with a host file, the one-worker row also writes the file's next generation with
`REUSE_MEMORY_ROWS` new photos (into a scratch folder) and prints its time and peak RSS.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as the server runs it

import argparse
import json
import statistics
import subprocess
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
if "--tree" in sys.argv:  # another commit's code, measured by this bench
    sys.path.insert(0, sys.argv[sys.argv.index("--tree") + 1])

from scale_catalog import (  # noqa: E402
    BATCH,
    TENANT,
    build_store,
    claimed,
    in_memory_catalog,
    store_path,
    synthetic_catalog,
)

from evidence_check import measure  # noqa: E402
from evidence_check.catalog import matching  # noqa: E402
from evidence_check.catalog.registry import Catalog  # noqa: E402
from evidence_check.checks import relevance  # noqa: E402
from evidence_check.checks.context import CheckContext  # noqa: E402
from evidence_check.imaging import fingerprint as fp  # noqa: E402
from evidence_check.imaging.load import load_photo  # noqa: E402
from evidence_check.index import TenantIndex  # noqa: E402
from evidence_check.models import Claim, Timeline  # noqa: E402
from evidence_check.settings import Settings  # noqa: E402
from evidence_check.store.database import Store  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def memory() -> dict[str, float]:
    """This process's resident memory in MB: all of it, file-backed (shareable), and its peak."""
    status = dict(
        line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line
    )
    mb = {
        key: int(status[key].split()[0]) / 1024
        for key in ("VmRSS", "RssFile", "RssShmem", "VmHWM")
        if key in status
    }
    return {"rss": mb["VmRSS"], "shared": mb.get("RssFile", 0) + mb.get("RssShmem", 0), "peak": mb["VmHWM"]}


def worker(args: argparse.Namespace) -> None:
    from api.app import limit_malloc_arenas  # an API worker's imports and malloc, as `serve` starts one
    from evidence_check.service import catalog_for

    limit_malloc_arenas()
    started, started_cpu = time.perf_counter(), time.process_time()
    settings = Settings(db=f"sqlite:///{args.store}")
    if args.in_memory:
        held = in_memory_catalog(
            args.corpus, args.images, args.work, args.claims, args.odds_from_claims, args.uniform, args.small_vocabulary
        )
        catalog = Catalog(lambda tenant: held)
    else:
        store = Store(settings.db)
        catalog = catalog_for(store)
    tenant = catalog.for_tenant(TENANT)
    catalog_s, catalog_cpu = time.perf_counter() - started, time.process_time() - started_cpu
    if args.reuse_store:  # the store's reuse index as `verify` opens it: the host's reuse file
        from evidence_check.references import references_for

        references = references_for(Store(f"sqlite:///{args.reuse_store}"))
        queries = _near_copies(min(BATCH, args.photos))

        def search(query: fp.Codes) -> list[Any]:
            return references.index.search(TENANT, [query])
    else:  # synthetic codes indexed in this process's memory
        index = TenantIndex()
        rng = np.random.default_rng(os.getpid())
        queries = []
        for start in range(0, args.photos, BATCH):
            count = min(BATCH, args.photos - start)
            pdq = rng.integers(0, 256, (count, 32), dtype=np.uint8)
            phash = rng.integers(0, 256, (count, 8), dtype=np.uint8)
            index.add_many((start + k, [pdq[k].tobytes()], [phash[k].tobytes()]) for k in range(count))
            if len(queries) < 200:
                exact = fp.Codes(pdq=(pdq[0].tobytes(),) * 8, phash=(phash[0].tobytes(),) * 8, quality=100)
                queries.append((start, exact))

        def search(query: fp.Codes) -> list[Any]:
            return index.search([query])
    ready = time.perf_counter() - started
    at_start = memory()
    context = CheckContext(settings=settings, now=datetime.now(UTC), catalog=catalog)
    photos = [(load_photo(path.read_bytes(), path.name), sku) for path, sku in claimed(args.corpus, args.claims)]
    timings: dict[str, list[float]] = {"cold": [], "cold cpu": [], "warm": [], "warm cpu": []}
    codes: list[str] = []
    postings: list[int] = []  # touched by each photo's first-look query
    offsets = tenant.index.arrays()["offsets"]
    for label in ("cold", "warm"):
        for photo, sku in photos:
            claim = Claim(claim_id="bench", tenant=TENANT, timeline=Timeline(), sku=sku)
            measured = replace(context, measured=measure.Measurements(photo))
            assert measured.measured is not None
            features = measured.measured.relevance_features()  # the photo's own features do not scale
            if label == "cold":
                words = features.centred_words(tenant.vocabulary)[0]
                postings.append(int((offsets[words + 1] - offsets[words]).sum()))
                matching.roots.cache_clear()
                matching.views.cache_clear()
            t, cpu = time.perf_counter(), time.process_time()
            finding = relevance.check(photo, claim, measured)
            timings[label].append((time.perf_counter() - t) * 1000)
            timings[f"{label} cpu"].append((time.process_time() - cpu) * 1000)
            codes.append(finding.code)
    # A worker holds the photos of the claims in flight only, not the bench's 20 (~5 MB each decoded)
    del photos, measured, features
    lookups, first = [], 0
    for entry_id, query in queries:
        t = time.perf_counter()
        hits = search(query)
        lookups.append((time.perf_counter() - t) * 1000)
        first += int(bool(hits) and hits[0].entry_id == entry_id)
    if first != len(queries):
        sys.exit(f"{len(queries) - first} of {len(queries)} stored photos not found first")
    print(
        json.dumps(
            {
                # an older tree (--tree) has no count, and its image records are all made already
                "images": tenant.image_count if hasattr(tenant, "image_count") else len(tenant.images),
                "catalog_s": catalog_s,
                "catalog_cpu": catalog_cpu,
                "start_s": ready,
                "at_start": at_start,
                "after": memory(),
                **timings,
                "lookup": lookups,
                "codes": codes,
                "postings": postings,
            }  # fmt: skip
        )
    )


def run(args: argparse.Namespace) -> None:
    args.work.mkdir(parents=True, exist_ok=True)
    path = store_path(args.work, args.images, args.odds_from_claims)
    if args.in_memory:  # the vocabulary and the words' odds made once, before the workers start
        synthetic_catalog(
            args.corpus, args.images, args.work, args.claims, args.odds_from_claims, args.uniform, args.small_vocabulary
        )
    elif not path.exists():
        started = time.perf_counter()
        build_store(args.corpus, args.images, path, args.claims, args.odds_from_claims)
        print(f"(store of {args.images:,} images built in {time.perf_counter() - started:.0f} s: {path})", flush=True)
    if args.build_only:
        from evidence_check.service import catalog_for

        started = time.perf_counter()
        store = Store(f"sqlite:///{path}")  # held: the catalog keeps only a weak reference to it
        catalog_for(store).for_tenant(TENANT)
        print(f"(the host's feature file ready in {time.perf_counter() - started:.0f} s)")
        return
    if args.reuse_store and not args.reuse_store.exists():
        sys.exit(f"no reuse store at {args.reuse_store} (bench_scale.py --reuse-only --photos N builds one)")
    reuse = f"the host's reuse file of {args.reuse_store}" if args.reuse_store else "in each worker's memory"
    odds = (
        "" if args.uniform or args.images <= 31  # the real images alone: no synthetic words
        else ", words' odds from every photo, the claimed ones too" if args.odds_from_claims
        else ", words' odds from the unclaimed products' photos"
    )  # fmt: skip
    held = (
        " held whole by each worker"
        + (", the real images' own vocabulary" if args.small_vocabulary else "")
        + (", words drawn uniformly" if args.uniform else "")
    ) if args.in_memory else ""  # fmt: skip
    print(
        f"{args.images:,} catalog images{held}{odds}, {args.photos:,} reuse photos ({reuse}; {args.claims} claims per worker)"
    )
    print(
        f"{'workers':>7} {'catalog s':>9} {'cpu s':>6} {'start s':>8} {'RSS MB':>7} {'shared':>7} {'private':>7} {'at start':>8} {'peak MB':>8} "
        f"{'cold p50':>8} {'p99':>6} {'cpu50':>6} {'warm p50':>8} {'p99':>6} {'cpu50':>6} {'lookup p50':>10} {'p99':>6}"
    )
    for workers in args.workers:
        command = [
            sys.executable, __file__, "--worker", "--store", str(path), "--photos", str(args.photos),
            "--claims", str(args.claims), "--corpus", str(args.corpus), "--images", str(args.images),
            "--work", str(args.work),
        ] + ["--in-memory"] * args.in_memory + ["--odds-from-claims"] * args.odds_from_claims + ["--uniform"] * args.uniform + ["--small-vocabulary"] * args.small_vocabulary  # fmt: skip
        if args.tree:
            command += ["--tree", str(args.tree)]
        env = None
        if args.reuse_store:
            command += ["--reuse-store", str(args.reuse_store)]
            env = {**os.environ, "EVIDENCE_CHECK_REUSE_INDEX_DIR": str(args.reuse_store.parent / "files")}
        results = run_workers(command, workers, env)
        if len({tuple(r["codes"]) for r in results}) != 1:
            sys.exit("the workers' relevance answers differ")

        lookups = _percentiles([v for r in results for v in r["lookup"]])
        print(
            f"{workers:>7} {_mean(results, 'catalog_s'):>9.1f} {_mean(results, 'catalog_cpu'):>6.1f} {_mean(results, 'start_s'):>8.1f} "
            f"{_mean(results, 'after', 'rss'):>7.0f} {_mean(results, 'after', 'shared'):>7.0f} "
            f"{_mean(results, 'after', 'rss') - _mean(results, 'after', 'shared'):>7.0f} "
            f"{_mean(results, 'at_start', 'rss') - _mean(results, 'at_start', 'shared'):>8.0f} "
            f"{_mean(results, 'after', 'peak'):>8.0f} "
            + " ".join(
                "{:>8.0f} {:>6.0f} {:>6.0f}".format(
                    *_percentiles([v for r in results for v in r[k]]),
                    _percentiles([v for r in results for v in r[f"{k} cpu"]])[0],
                )
                for k in ("cold", "warm")
            )
            + " {:>10.2f} {:>6.2f}".format(*lookups),
            flush=True,
        )
    print("codes: " + " ".join(results[0]["codes"][: args.claims]))
    print(f"postings a photo's first-look query touches: median {statistics.median(results[0]['postings']):,.0f}")


def build_reuse_store(photos: int, path: Path) -> None:
    """`photos` fingerprint rows of one tenant in a SQLite store at `path`, batch b's codes drawn
    from a generator seeded with b (so a worker can make near copies of them)."""
    import sqlite3

    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    Store(f"sqlite:///{partial}").engine.dispose()  # the schema
    connection = sqlite3.connect(partial)
    connection.execute("PRAGMA journal_mode=OFF")
    connection.execute("PRAGMA synchronous=OFF")
    for start in range(0, photos, BATCH):
        pdq, phash = _reuse_codes(start // BATCH, min(BATCH, photos - start))
        connection.executemany(
            "INSERT INTO fingerprints (id, tenant, kind, ref_id, customer_id, image_id, filename, first_seen,"
            " pdq, phash, quality, features) VALUES (?, ?, 'claim', ?, NULL, ?, 'photo.jpg',"
            " '2026-01-01 00:00:00.000000', ?, ?, 100, NULL)",
            (
                (start + k + 1, TENANT, f"c{start + k}", f"{start + k:016x}", pdq[k].tobytes(), phash[k].tobytes())
                for k in range(len(pdq))
            ),
        )
        connection.commit()
    connection.close()
    partial.rename(path)


def _reuse_codes(batch: int, count: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(batch)
    return rng.integers(0, 256, (count, 32), dtype=np.uint8), rng.integers(0, 256, (count, 8), dtype=np.uint8)


def reuse_worker(args: argparse.Namespace) -> None:
    from evidence_check.references import references_for

    started = time.perf_counter()
    references = references_for(Store(f"sqlite:///{args.store}"))
    start_s = time.perf_counter() - started
    at_start = memory()
    lookups, first = [], 0
    for entry_id, query in _near_copies(min(BATCH, args.photos)):
        t = time.perf_counter()
        hits = references.index.search(TENANT, [query])
        lookups.append((time.perf_counter() - t) * 1000)
        first += int(bool(hits) and hits[0].entry_id == entry_id)
    result = {"start_s": start_s, "at_start": at_start, "after": memory(), "lookup": lookups, "first": first}
    if args.generation:
        result["generation_s"] = next_generation(references, args.work / "generation")
        result["generation_peak"] = memory()["peak"]
    print(json.dumps(result))


def next_generation(references: Any, folder: Path) -> float:
    """Seconds to write the host file's next generation with `REUSE_MEMORY_ROWS` (default) new
    photos, and check it, as the worker past the bound does (into `folder`, then deleted)."""
    import inspect
    import shutil

    from evidence_check.reuse_file import HostFile, ReuseFile
    from evidence_check.settings import Settings

    mapped = references._mapped
    rows = Settings().reuse_memory_rows
    pdq, phash = _reuse_codes(10**6, rows)
    owners = np.arange(mapped.built.high_water + 1, mapped.built.high_water + 1 + rows, dtype=np.int64)
    host = HostFile(folder, references.store.url)
    new_rows = {TENANT: (owners, pdq, phash)}
    started = time.perf_counter()
    try:
        from evidence_check.reuse_file import generation  # the rows merged in as the file is written
    except ImportError:  # an older tree (--tree): the whole index built in memory, then written
        from evidence_check.reuse_file import extended  # type: ignore[attr-defined]

        host._write(extended(mapped.built, new_rows, int(owners[-1]), {}, ""))
    else:
        built, added = generation(mapped.built, new_rows, int(owners[-1]), {}, "")
        if "after_piece" in inspect.signature(host._write).parameters:  # one mapping of rows a part
            host._write(built, [added])
        else:
            host._write(built, added)
    ReuseFile(host.path, host.store_key)
    took = time.perf_counter() - started
    shutil.rmtree(folder)
    return took


def _near_copies(rows: int) -> list[tuple[int, fp.Codes]]:
    """200 near copies of photos among the first `rows` of a store `build_reuse_store` made (8 PDQ
    and 4 pHash bits flipped), each with its row id."""
    pdq, phash = _reuse_codes(0, rows)
    rng = np.random.default_rng(os.getpid())
    return [
        (int(row) + 1, fp.Codes(pdq=(_flipped(rng, pdq[row], 8),) * 8, phash=(_flipped(rng, phash[row], 4),) * 8, quality=100))  # fmt: skip
        for row in rng.choice(rows, 200, replace=False)
    ]


def _flipped(rng: np.random.Generator, code: np.ndarray, bits: int) -> bytes:
    unpacked = np.unpackbits(code)
    unpacked[rng.choice(len(unpacked), bits, replace=False)] ^= 1
    return np.packbits(unpacked).tobytes()


def run_reuse(args: argparse.Namespace) -> None:
    args.work.mkdir(parents=True, exist_ok=True)
    path = args.work / f"reuse-{args.photos}.db"
    if not path.exists():
        started = time.perf_counter()
        build_reuse_store(args.photos, path)
        print(f"(store of {args.photos:,} fingerprint rows built in {time.perf_counter() - started:.0f} s: {path})")
    files = args.work / "files"
    code = f"--tree {args.tree}" if args.tree else "this tree, the host's reuse file"
    print(f"{args.photos:,} reuse photos ({code})")
    print(f"{'workers':>7} {'start s':>8} {'RSS MB':>7} {'shared':>7} {'private':>7} {'peak MB':>8} {'lookup p50':>10} {'p99':>6}")
    with_file = not args.tree or (args.tree / "evidence_check" / "reuse_file.py").exists()
    plan = [(1, True)] if with_file and not args.keep_file else []
    for workers, first_start in [*plan, *((w, False) for w in args.workers)]:
        if first_start:  # this store's file only: another store's (another size) stays
            from evidence_check.reuse_file import HostFile

            for old in files.glob(f"{HostFile(files, f'sqlite:///{path}').path.stem}.*"):
                old.unlink()
        command = [sys.executable, __file__, "--reuse-only", "--worker", "--store", str(path), "--photos", str(args.photos),
                   "--work", str(args.work)]  # fmt: skip
        if with_file and workers == 1 and not first_start:
            command.append("--generation")
        if args.tree:
            command += ["--tree", str(args.tree)]
        results = run_workers(command, workers, {**os.environ, "EVIDENCE_CHECK_REUSE_INDEX_DIR": str(files)})
        if any(r["first"] != len(r["lookup"]) for r in results):
            sys.exit("a near copy was not found first: " + " ".join(str(r["first"]) for r in results))
        label = "1 (first start: builds the file)" if first_start else str(workers)
        rss, shared = _mean(results, "after", "rss"), _mean(results, "after", "shared")
        print(
            f"{label:>7} {_mean(results, 'start_s'):>8.1f} {rss:>7.0f} {shared:>7.0f} {rss - shared:>7.0f} "
            f"{_mean(results, 'after', 'peak'):>8.0f} "
            + "{:>10.2f} {:>6.2f}".format(*_percentiles([v for r in results for v in r["lookup"]])),
            flush=True,
        )
        for result in results:
            if "generation_s" in result:
                print(f"the next generation of the file written and checked in {result['generation_s']:.1f} s, "
                      f"peak RSS {result['generation_peak']:.0f} MB")  # fmt: skip


def _mean(results: list[dict[str, Any]], key: str, sub: str | None = None) -> float:
    return statistics.mean(r[key][sub] if sub else r[key] for r in results)


def _percentiles(values: list[float]) -> tuple[float, float]:
    """p50 and p99."""
    ordered = sorted(values)
    return ordered[len(ordered) // 2], ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def run_workers(command: list[str], workers: int, env: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Start `workers` copies of a worker command at once; each one's last line of output, as JSON."""
    running = [subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env) for _ in range(workers)]
    results = []
    for process in running:
        out, _ = process.communicate()
        if process.returncode != 0:
            sys.exit(f"a worker failed (exit {process.returncode})")
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, default=10_000)
    parser.add_argument("--photos", type=int, default=1_000_000)
    parser.add_argument("--workers", type=lambda s: [int(x) for x in s.split(",")], default=[1, 2, 4])
    parser.add_argument("--claims", type=int, default=20)
    parser.add_argument(
        "--corpus", type=Path, default=ROOT.parent / "shared" / "corpora" / "product-matching"
    )
    parser.add_argument("--work", type=Path, default=Path("/tmp/bench-scale"))
    parser.add_argument(
        "--build-only", action="store_true", help="build the store and the host's feature file, run no worker"
    )
    parser.add_argument(
        "--in-memory", action="store_true", help="each worker holds the catalog whole, built from the words (no store)"
    )
    parser.add_argument("--uniform", action="store_true", help="synthetic words drawn uniformly, not by real frequency")
    parser.add_argument(
        "--odds-from-claims",
        action="store_true",
        help="the synthetic words' odds counted over every photo, the claimed products' too (by default over the"
        " photos of products no claim names)",
    )
    parser.add_argument(
        "--small-vocabulary", action="store_true", help="with --in-memory: the 31 real images' own vocabulary at any size"
    )
    parser.add_argument("--reuse-only", action="store_true", help="measure the reuse index alone")
    parser.add_argument("--tree", type=Path, help="measure this copy of another commit's tree")
    parser.add_argument("--keep-file", action="store_true", help="with --reuse-only: no first start (the file is built)")
    parser.add_argument(
        "--reuse-store",
        type=Path,
        help="with the catalog: the reuse index of this store of --photos fingerprint rows (as --reuse-only builds it,"
        " its host file kept beside it in files/) instead of codes in each worker's memory",
    )
    parser.add_argument("--generation", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--store", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.reuse_only:
        if args.work == Path("/tmp/bench-scale"):
            args.work = Path("/tmp/bench-scale-reuse")
        reuse_worker(args) if args.worker else run_reuse(args)
        return
    if not args.corpus.is_dir():
        sys.exit(f"no corpus at {args.corpus}")
    worker(args) if args.worker else run(args)


if __name__ == "__main__":
    main()
