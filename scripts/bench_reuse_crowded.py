"""Recall of the reuse index above its exact tail, on a tenant crowded with realistic pictures.

    nice -n 10 .venv/bin/python scripts/bench_reuse_crowded.py --work /tmp/crowded --sizes 50000,200000

The accuracy bench (`bench_reuse.py --only accuracy`, 2,358 codes) stays in the index's exact tail
(`index.TAIL_SIZE`); above it a search probes substring runs and reads at most `index.RUN_READ`
entries of a crowded one. Here a tenant is filled with distractor pictures made from the corpora's
photos and catalog images (crops, resaves, scales, flips, colour shifts, packshot-like renderings
of the product images on white, phone screenshots), fingerprinted as the service does, the
accuracy bench's 203 originals placed among them at random rows; then each true reuse pair of the
accuracy bench (every original under every edit of `imaging.transforms`, and the corpora's own
edits) is looked up three ways over the same codes, sealed into levels as the host's reuse file
holds them:

- RUN_READ n: `TenantIndex.search` as the service runs it (n = `index.RUN_READ`), and with other
  bounds given by --run-reads (a smaller bound on this tenant stands for natural runs as long, against
  the bound, as a tenant many times larger would have);
- unbounded: the same probes with every run read whole (RUN_READ set past any run);
- exact: every code compared with every query (FAISS flat), the hits ranked and cut as the search does.

It prints, per size: how often the original is among the hits and among the first `OWNERS_READ`
(what the look reads), how many other pictures' rows are hits, search time, and the substring runs
of each channel's levels (a histogram of run lengths, and how many exceed the level's run bound).
Distractors and queries are fingerprinted once into --work (seeded) and reused by later runs.
"""

from __future__ import annotations

import argparse
import functools
import io
import statistics
import sys
import time
from collections.abc import Callable
from multiprocessing import Pool
from pathlib import Path

import faiss
import numpy as np
from PIL import Image, ImageEnhance, ImageOps

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from evidence_check import index as index_module  # noqa: E402
from evidence_check.imaging import fingerprint as fp  # noqa: E402
from evidence_check.imaging.load import load_photo  # noqa: E402
from evidence_check.imaging.transforms import TRANSFORMS, phone_screen  # noqa: E402
from evidence_check.index import MAX_HITS, PDQ, PHASH, TenantIndex  # noqa: E402
from evidence_check.references import OWNERS_READ  # noqa: E402
from scripts.bench_reuse import CORPORA, corpus_edits, originals  # noqa: E402

RUN_BUCKETS = (1, 2, 9, 65, 257, 1025, 4097)  # histogram edges: 1, 2-8, 9-64, 65-256, 257-1024, 1025-4096, more
SEED = 2026
CHUNK = 500  # distractors fingerprinted and kept together: a run stopped loses at most this many
WORKING_SIDE = 768


def distractor_sources() -> list[Path]:
    """The originals of the accuracy bench and the corpora's other photographs (no edited copies)."""
    others = [
        path
        for folder in ("damaged-packages", "exif-camera-jpegs", "c2pa")
        for path in sorted((CORPORA / folder).rglob("*"))
        if path.suffix.lower() in (".jpg", ".jpeg", ".png")
    ]
    return originals() + others


def _jpeg(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=quality)
    return out.getvalue()


def packshot(image: Image.Image, rng: np.random.Generator) -> bytes:
    """The picture small on a white (or near-white) square, as a shop's listing photo or packshot."""
    side = int(rng.choice([800, 1000, 1200]))
    share = rng.uniform(0.35, 0.8)
    scale = share * side / max(image.size)
    shown = image.resize((max(8, round(image.width * scale)), max(8, round(image.height * scale))))
    ground = int(rng.integers(238, 256))
    canvas = Image.new("RGB", (side, side), (ground, ground, ground))
    x = int(rng.integers(0, side - shown.width + 1)) if rng.random() < 0.3 else (side - shown.width) // 2
    y = int(rng.integers(0, side - shown.height + 1)) if rng.random() < 0.3 else (side - shown.height) // 2
    canvas.paste(shown, (x, y))
    return _jpeg(canvas, int(rng.integers(70, 96)))


def colour_shift(image: Image.Image, rng: np.random.Generator) -> bytes:
    gains = rng.uniform(0.8, 1.2, 3)
    array = np.clip(np.asarray(image.convert("RGB"), np.float32) * gains, 0, 255).astype(np.uint8)
    image = ImageEnhance.Color(Image.fromarray(array)).enhance(rng.uniform(0.6, 1.4))
    return _jpeg(image, int(rng.integers(70, 96)))


def scale_resave(image: Image.Image, rng: np.random.Generator) -> bytes:
    scale = rng.uniform(0.2, 1.0)
    size = (max(16, round(image.width * scale)), max(16, round(image.height * scale)))
    return _jpeg(image.resize(size, Image.Resampling.BICUBIC), int(rng.integers(40, 96)))


def flip(image: Image.Image, rng: np.random.Generator) -> bytes:
    turned = ImageOps.flip(image) if rng.random() < 0.5 else ImageOps.mirror(image)
    return _jpeg(turned, int(rng.integers(70, 96)))


def crop_any(image: Image.Image, rng: np.random.Generator) -> bytes:
    """A crop keeping 40-95 % of each side, anywhere."""
    w, h = (round(side * rng.uniform(0.4, 0.95)) for side in image.size)
    x, y = int(rng.integers(0, image.width - w + 1)), int(rng.integers(0, image.height - h + 1))
    return _jpeg(image.crop((x, y, x + w, y + h)), int(rng.integers(70, 96)))


def packshot_screenshot(image: Image.Image, rng: np.random.Generator) -> bytes:
    """A packshot as a light-theme shop app shows it: white on a white card between UI bars."""
    shot = Image.open(io.BytesIO(packshot(image, rng)))
    canvas, _ = phone_screen(shot, rng, share=float(rng.uniform(0.5, 1.0)))
    out = io.BytesIO()
    canvas.save(out, "PNG")
    return out.getvalue()


# What a tenant's other pictures went through; the packshot-like and screenshot renderings weigh
# more, as a catalog of listing photos and screenshots of them has.
EDITS: dict[str, tuple[float, Callable[[Image.Image, np.random.Generator], bytes]]] = {
    "packshot on white": (4.0, packshot),
    "packshot screenshot": (1.5, packshot_screenshot),
    "scale + resave": (2.0, scale_resave),
    "crop 40-95%": (1.5, crop_any),
    "colour shift": (1.0, colour_shift),
    "flip or mirror": (0.5, flip),
    **{f"bench {name}": (0.3, edit) for name, edit in TRANSFORMS.items()},
}


def _codes_of(data: bytes) -> tuple[bytes, bytes, list[tuple[bytes, bytes]]] | None:
    """A picture's indexed codes (PDQ, pHash, concatenated) and its query codes, or None if it fails."""
    try:
        print_ = fp.fingerprint(load_photo(data, "picture").working)
    except Exception:
        return None
    queries = [(b"".join(c.pdq), c.phash[0]) for c in print_.query_codes()]
    return b"".join(print_.index_pdq()), b"".join(print_.index_phash()), queries


@functools.cache
def _working(source: str) -> Image.Image:
    """A source's working copy, at most WORKING_SIDE wide (each worker decodes a source once)."""
    working = load_photo(Path(source).read_bytes(), Path(source).name).working
    working.thumbnail((WORKING_SIDE, WORKING_SIDE))
    return working


def _distractor(job: tuple[int, str]) -> tuple[int, int, bytes, bytes] | None:
    number, source = job
    rng = np.random.default_rng([SEED, number])
    names = list(EDITS)
    weights = np.array([EDITS[n][0] for n in names])
    name_at = int(rng.choice(len(names), p=weights / weights.sum()))
    codes = _codes_of(EDITS[names[name_at]][1](_working(source), rng))
    return None if codes is None else (number, name_at, codes[0], codes[1])


def _query(job: tuple[str, str, int]) -> tuple[str, str, list[tuple[bytes, bytes]]] | None:
    source, edit, number = job
    data = Path(source).read_bytes()
    if edit != "corpus's own edit":
        rng = np.random.default_rng([SEED, 1, number])
        data = TRANSFORMS[edit](load_photo(data, Path(source).name).working, rng)
    codes = _codes_of(data)
    return None if codes is None else (source, edit, codes[2])


def generate(work: Path, pictures: int, workers: int) -> None:
    """Fingerprint the distractors and queries into `work` (skipped when they are there)."""
    work.mkdir(parents=True, exist_ok=True)
    sources = [str(p) for p in distractor_sources()]
    for chunk in range(-(-pictures // CHUNK)):
        target = work / f"distractors-{chunk:03d}.npz"
        if target.exists():
            continue
        numbers = range(chunk * CHUNK, (chunk + 1) * CHUNK)
        jobs = [(n, sources[int(np.random.default_rng([SEED, 2, n]).integers(len(sources)))]) for n in numbers]
        started = time.perf_counter()
        with Pool(workers) as pool:
            # One source's jobs side by side, so that a worker's decoded copy serves them.
            by_source = sorted(jobs, key=lambda job: job[1])
            made = sorted(m for m in pool.imap(_distractor, by_source, chunksize=8) if m is not None)
        print(f"fingerprinted {len(made)} of distractors {numbers.start}-{numbers.stop - 1} in {time.perf_counter() - started:.0f} s", flush=True)
        np.savez(
            work / "partial.npz",
            source=np.array([sources.index(jobs[m[0] - numbers.start][1]) for m in made]),
            edit=np.array([m[1] for m in made]),
            counts=np.array([len(m[2]) // 32 for m in made]),
            pdq=np.frombuffer(b"".join(m[2] for m in made), np.uint8).reshape(-1, 32),
            phash=np.frombuffer(b"".join(m[3] for m in made), np.uint8).reshape(-1, 8),
        )
        (work / "partial.npz").rename(target)  # a chunk is there whole or not at all
    if not (work / "originals.npz").exists():
        _generate_originals(work / "originals.npz")
    if not (work / "queries.npy").exists():
        _generate_queries(work / "queries.npy", workers)


def _generate_originals(target: Path) -> None:
    codes = [_codes_of(path.read_bytes()) for path in originals()]
    held = [c for c in codes if c is not None]
    if len(held) < len(codes):
        raise SystemExit("an original of the accuracy bench could not be fingerprinted")
    np.savez(
        target,
        counts=np.array([len(c[0]) // 32 for c in held]),
        pdq=np.frombuffer(b"".join(c[0] for c in held), np.uint8).reshape(-1, 32),
        phash=np.frombuffer(b"".join(c[1] for c in held), np.uint8).reshape(-1, 8),
    )


def _generate_queries(target: Path, workers: int) -> None:
    bench = originals()
    jobs = [(str(p), edit, n) for n, p in enumerate(bench) for edit in TRANSFORMS]
    by_name = {p.name: p for p in bench}
    jobs += [(str(path), f"corpus's own edit|{by_name[name]}", 0) for path, name in corpus_edits()]
    started = time.perf_counter()
    with Pool(workers) as pool:
        made_queries = [m for m in pool.imap(_query_job, jobs, chunksize=8) if m is not None]
    print(f"fingerprinted {len(made_queries)} of {len(jobs)} queries in {time.perf_counter() - started:.0f} s")
    np.save(target, np.array(made_queries, dtype=object), allow_pickle=True)


def _query_job(job: tuple[str, str, int]) -> tuple[str, str, list[tuple[bytes, bytes]]] | None:
    """A corpus's own edit is sent as it is and stands for its original."""
    source, edit, number = job
    if edit.startswith("corpus's own edit|"):
        found = _query((source, "corpus's own edit", number))
        return None if found is None else (edit.split("|", 1)[1], "corpus's own edit", found[2])
    return _query(job)


def build(work: Path, size: int) -> tuple[TenantIndex, np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, int]]:
    """The tenant's index of about `size` codes, sealed into levels; the owners, codes, each row's
    source picture, and the row id of each original."""
    chunks = [np.load(path) for path in sorted(work.glob("distractors-*.npz"))]
    distractors = {key: np.concatenate([chunk[key] for chunk in chunks]) for key in ("source", "counts", "pdq", "phash")}
    own = np.load(work / "originals.npz")
    counts = distractors["counts"]
    pictures = int(np.searchsorted(np.cumsum(counts), size - own["pdq"].shape[0], side="right"))
    sources = [str(p) for p in distractor_sources()]
    bench = [str(p) for p in originals()]
    rng = np.random.default_rng([SEED, size])
    # Each original at a random place among the distractors (before the distractor numbered so).
    places = np.sort(rng.integers(0, pictures + 1, len(bench)))
    order = rng.permutation(len(bench))  # which original goes to each place
    starts = np.r_[0, np.cumsum(counts)]
    own_starts = np.r_[0, np.cumsum(own["counts"])]
    rows: list[tuple[int, list[bytes], list[bytes]]] = []
    row_source: list[int] = []
    original_row: dict[str, int] = {}
    placed = 0
    for number in range(pictures + 1):
        while placed < len(bench) and places[placed] == number:
            which = int(order[placed])
            a, b = own_starts[which], own_starts[which + 1]
            original_row[bench[which]] = len(rows) + 1
            rows.append((len(rows) + 1, [c.tobytes() for c in own["pdq"][a:b]], [c.tobytes() for c in own["phash"][a:b]]))
            row_source.append(sources.index(bench[which]))
            placed += 1
        if number < pictures:
            a, b = starts[number], starts[number + 1]
            rows.append(
                (len(rows) + 1, [c.tobytes() for c in distractors["pdq"][a:b]], [c.tobytes() for c in distractors["phash"][a:b]])
            )
            row_source.append(int(distractors["source"][number]))
    index = TenantIndex()
    index.add_many(rows)
    owners, pdq, phash = index.codes()
    return index, owners, pdq, phash, np.array([0, *row_source]), original_row


def sealed(index: TenantIndex, run_read: int) -> TenantIndex:
    """The index as the host's reuse file holds it (every code in levels), each run read up to `run_read`."""
    saved = index_module.RUN_READ
    index_module.RUN_READ = run_read
    try:
        owners, pdq, phash = index.arrays()
        return TenantIndex.from_arrays(owners, pdq, phash)
    finally:
        index_module.RUN_READ = saved


class Exact:
    """Every code compared with every query: what the search would find with no tables at all."""

    def __init__(self, owners: np.ndarray, pdq: np.ndarray, phash: np.ndarray) -> None:
        self.owners = owners
        self.pdq = faiss.IndexBinaryFlat(256)
        self.pdq.add(np.ascontiguousarray(pdq))
        self.phash = faiss.IndexBinaryFlat(64)
        self.phash.add(np.ascontiguousarray(phash))

    def search(self, codes: list[fp.Codes]) -> list[int]:
        pdq = np.frombuffer(b"".join(b"".join(c.pdq) for c in codes), np.uint8).reshape(-1, 32)
        phash = np.frombuffer(b"".join(c.phash[0] for c in codes), np.uint8).reshape(-1, 8)
        best: dict[str, dict[int, int]] = {}
        for name, flat, queries, radius in (("pdq", self.pdq, pdq, PDQ.radius), ("phash", self.phash, phash, PHASH.radius)):
            _limits, distances, ids = flat.range_search(queries, radius + 1)
            closest: dict[int, int] = {}
            for owner, distance in zip(self.owners[ids].tolist(), distances.tolist(), strict=True):
                if distance < closest.get(owner, 999):
                    closest[owner] = distance
            best[name] = closest
        found = best["pdq"].keys() | best["phash"].keys()
        ranked = sorted(found, key=lambda o: (best["pdq"].get(o, 256), best["phash"].get(o, 64), o))
        return ranked[:MAX_HITS]


def run_histogram(index: TenantIndex, owners: np.ndarray, row_source: np.ndarray) -> None:
    """Run lengths per channel and level, and what the longest runs hold (rows, source pictures)."""
    labels = ["1", "2-8", "9-64", "65-256", "257-1024", "1025-4096", ">4096"]
    print(f"    {'channel level':<16} {'codes':>8} " + " ".join(f"{label:>9}" for label in labels) + "   longest  bound  runs over bound (codes in them)")
    for name, channel in (("PDQ", index._pdq), ("pHash", index._phash)):
        for number, level in enumerate(channel.levels):
            if not level.size:
                continue
            lengths = np.concatenate(
                [np.unique((table >> np.uint64(32)), return_counts=True)[1] for table in level.entries]
            )
            histogram = np.histogram(lengths, bins=[*RUN_BUCKETS, np.iinfo(np.int64).max])[0]
            over = lengths > level.run_read
            print(
                f"    {name + ' ' + str(number):<16} {level.size:>8,} "
                + " ".join(f"{int(h):>9,}" for h in histogram)
                + f"   {int(lengths.max()):>7,} {level.run_read:>6,}  {int(over.sum()):,} ({int(lengths[over].sum()):,})"
            )
            longest = []
            for table, entries in enumerate(level.entries):
                keys, starts, counts = np.unique(entries >> np.uint64(32), return_index=True, return_counts=True)
                for at in np.argsort(counts)[-3:]:
                    rows = owners[(entries[starts[at] : starts[at] + counts[at]] & index_module._LOW).astype(np.int64)]
                    longest.append((int(counts[at]), table, len(set(rows.tolist())), len(set(row_source[rows].tolist()))))
            print(
                "      longest runs (codes, table, rows, source pictures): "
                + ", ".join(f"{c:,} t{t} {r:,} {p}" for c, t, r, p in sorted(longest, reverse=True)[:5])
            )


def _ids(index: TenantIndex, codes: list[fp.Codes]) -> list[int]:
    return [hit.entry_id for hit in index.search(codes)]


def measure(work: Path, sizes: list[int], run_reads: list[int]) -> None:
    queries = np.load(work / "queries.npy", allow_pickle=True)
    held = sum(int(np.load(path)["counts"].sum()) for path in work.glob("distractors-*.npz"))
    for size in sizes:
        if size > held:
            print(f"\n{size:,} codes: {work} holds {held:,} distractor codes, generate more with --pictures")
            continue
        index, owners, pdq, phash, row_source, original_row = build(work, size)
        print(f"\n{len(index):,} codes, {len(original_row)} originals among {len(row_source) - 1 - len(original_row):,} other rows")
        print("  substring runs per level (each table's runs together; the bound: RUN_READ + 8 x the average run)")
        searches: dict[str, Callable[[list[fp.Codes]], list[int]]] = {}
        for run_read in run_reads:
            bounded = sealed(index, run_read)
            searches[f"RUN_READ {run_read}"] = functools.partial(_ids, bounded)
            if run_read == index_module.RUN_READ:
                run_histogram(bounded, owners, row_source)
        searches["unbounded"] = functools.partial(_ids, sealed(index, 1 << 40))
        searches["exact"] = Exact(owners, pdq, phash).search
        results: dict[str, dict[str, list[tuple[bool, bool]]]] = {name: {} for name in searches}
        other: dict[str, int] = dict.fromkeys(results, 0)
        times: dict[str, list[float]] = {name: [] for name in results}
        lost: list[str] = []
        sources = [str(p) for p in distractor_sources()]
        for source, edit, codes in queries:
            asked = [fp.Codes(pdq=tuple(p[i : i + 32] for i in range(0, len(p), 32)), phash=(h,), quality=100) for p, h in codes]
            wanted = original_row[source]
            source_number = sources.index(source)
            found: dict[str, list[int]] = {}
            for name, search in searches.items():
                started = time.perf_counter()
                ids = search(asked)
                times[name].append((time.perf_counter() - started) * 1000)
                found[name] = ids
                results[name].setdefault(edit, []).append((wanted in ids, wanted in ids[:OWNERS_READ]))
                other[name] += sum(1 for i in ids if row_source[i] != source_number)
            for name in searches:
                if wanted in found["exact"] and wanted not in found[name]:
                    lost.append(f"{name}: {edit} of {Path(source).name}, exact rank {found['exact'].index(wanted) + 1}")
        print(f"  the original among the hits (among the first {OWNERS_READ}, what the look reads), per edit")
        print(f"    {'edit':<22} " + " ".join(f"{name:>21}" for name in results))
        for edit in results["exact"]:
            cells = []
            for name in results:
                pairs = results[name][edit]
                cells.append(f"{sum(a for a, _ in pairs):>4}/{len(pairs):<4} ({sum(b for _, b in pairs):>4})")
            print(f"    {edit:<22} " + " ".join(f"{cell:>21}" for cell in cells))
        total = {name: [p for pairs in results[name].values() for p in pairs] for name in results}
        print(
            f"    {'all':<22} "
            + " ".join(
                f"{sum(a for a, _ in total[n]):>4}/{len(total[n]):<4} ({sum(b for _, b in total[n]):>4})".rjust(21)
                for n in results
            )
        )
        print("  other pictures' rows among the hits (candidates, before keypoints): " + ", ".join(f"{n} {other[n]:,}" for n in results))
        print(
            "  ms per search, median / p99: "
            + ", ".join(
                f"{n} {statistics.median(t):.2f} / {sorted(t)[int(0.99 * (len(t) - 1))]:.2f}" for n, t in times.items()
            )
        )
        for line in lost:
            print(f"  lost, found by the exact search: {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, required=True, help="where the fingerprinted distractors are kept")
    parser.add_argument("--sizes", default="50000,200000", help="tenant sizes in codes, comma-separated")
    parser.add_argument("--pictures", type=int, default=17_000, help="distractor pictures to fingerprint (those in --work are kept)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--run-reads", default="", help="other run bounds to search with, comma-separated")
    args = parser.parse_args()
    if not CORPORA.is_dir():
        parser.error(f"needs {CORPORA}")
    generate(args.work, args.pictures, args.workers)
    run_reads = sorted({index_module.RUN_READ, *(int(r) for r in args.run_reads.split(",") if r)}, reverse=True)
    measure(args.work, [int(s) for s in args.sizes.split(",")], run_reads)


if __name__ == "__main__":
    main()
