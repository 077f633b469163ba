"""The relevance look on the grocery corpus: accuracy tables and cost per photo.

    .venv/bin/python scripts/bench_relevance.py [../shared/corpora/product-matching]
        [--compare] [--no-cost] [--no-accuracy] [--second-view] [--dump FILE]

The catalog holds each product's web-shop image (`*_Iconic.jpg`); every shelf photo (`*_00N.jpg`) is
claimed once as its own product (genuine) and once as each of the 30 others (impostor). The rules'
thresholds were fitted on the even-indexed products; the odd-indexed ones are the held-out half, the
headline, printed first; the tables of the fit half and of all products follow, and where the
product shown lies in the frame of the claims it fails (the margin of `rules.SUBJECT_MIN_SHARE` and
`SUBJECT_MAX_OFFSET` in each half). `--second-view`: each product's first shelf photo (`*_001.jpg`)
is a second catalog image, as a merchant's other views of a SKU are, and the other photos are scored.
Pairs of one brand (given as the first word of the name: Arla, Alpro, Tropicana, ...) are near
variants and are counted apart; for other-brand fails, whether the product shown is named (alone, or with the variant its
print does not tell it from). Cost: milliseconds of the relevance look per photo beyond decode
(features, words, retrieval, the shortlist's word homographies, geometric verification, colour;
median and mean, and the share of claims that took the closer look, which pays most of these twice),
CPU time with one thread for OpenCV and BLAS as the server runs them, with 10 SKUs and with 10,000
(the 31 real ones plus synthetic SKUs whose visual words are drawn at random with the real images'
sizes), for photos claimed as their own product and as another one; and what adding a catalog image
costs (CPU, stored bytes of its features and of its tilted views). `--compare` first prints the
feature options measured (ORB, SIFT, RootSIFT, enlarged and squeezed catalog views; with
opencv-contrib-python-headless installed in place of opencv-python-headless, also ORB keypoints
with TEBLID or BEBLID descriptors, AKAZE and BRISK) and what extracting each costs per photo. `--dump FILE`
writes every claim's outcome (photo, claimed SKU, status, code) as tab-separated lines, so two runs
can be compared claim by claim with `diff`.
"""

from __future__ import annotations

import argparse
import os

# One thread for BLAS and OpenCV, as the server runs them: CPU time then measures the work, not
# the spinning of idle pool threads (set before numpy loads).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import statistics
import sys
import time
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from evidence_check import measure
from evidence_check.catalog import matching
from evidence_check.catalog import registry as catalog_registry
from evidence_check.catalog.entries import CatalogSku, catalog_features
from evidence_check.catalog.photo import PhotoFeatures
from evidence_check.catalog.registry import Catalog, TenantCatalog
from evidence_check.catalog.words import WordIndex, with_own_vocabulary
from evidence_check.checks import relevance
from evidence_check.checks.context import CheckContext
from evidence_check.checks.relevance import rules
from evidence_check.imaging import features as F
from evidence_check.imaging.load import load_photo
from evidence_check.models import Claim, Timeline
from evidence_check.settings import Settings
from evidence_check.store.catalog_types import StoredCatalog, StoredSku

ROOT = Path(__file__).resolve().parent.parent

SYNTHETIC_SKUS = 10_000
MEMO_SIZE = 20_000  # verification answers kept by `memoise_verify`


def products(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "grocery").iterdir() if p.is_dir())


SECOND_VIEW = "_001.jpg"  # the shelf photo that `--second-view` adds to each product's catalog images


def stored_catalog(root: Path, names: list[str], second_view: bool = False) -> StoredCatalog:
    """The catalog as `catalog import` leaves it: features, then a vocabulary fitted to them."""
    skus = []
    for name in names:
        paths = [root / "grocery" / name / f"{name}_Iconic.jpg"]
        if second_view:
            paths.append(root / "grocery" / name / f"{name}{SECOND_VIEW}")
        images = tuple(catalog_features(load_photo(path.read_bytes(), path.name)) for path in paths)
        skus.append(StoredSku(name, name.replace("-", " "), None, None, images, brand=name.split("-")[0]))
    return with_own_vocabulary(skus)


def photos(root: Path, name: str, second_view: bool = False) -> list[Path]:
    found = sorted((root / "grocery" / name).glob(f"{name}_00[0-9].jpg"))
    return [path for path in found if not (second_view and path.name.endswith(SECOND_VIEW))]


def memoise_verify() -> None:
    """Verify each (photo, catalog image) pair once: 31 claims per photo reuse the same pairs.

    Keyed by the identity of the photo's descriptors and the catalog keypoint array verified (the
    upright image's or a tilted view's). Both arrays are held beside the answer, so that no id is
    reused while its answer is kept: tilted views leave their cache when more catalog images than it
    holds are verified (a second view per SKU) and are read again as new arrays. The memo starts
    afresh past `MEMO_SIZE` answers, which bounds the arrays held.
    """
    original = F.verify
    memo: dict[tuple[int, int], F.GeometricMatch] = {}
    held: list[np.ndarray] = []

    def verify(pp, pr, cp, cr, csize, psize):  # type: ignore[no-untyped-def]
        key = (id(pr), id(cp))
        if key not in memo:
            if len(memo) >= MEMO_SIZE:
                memo.clear()
                held.clear()
            memo[key] = original(pp, pr, cp, cr, csize, psize)
            held.extend((pr, cp))
        return memo[key]

    F.verify = verify  # type: ignore[assignment]


def accuracy(root: Path, dump: Path | None = None, second_view: bool = False) -> None:
    names = products(root)
    stored = stored_catalog(root, names, second_view)
    catalog = Catalog(lambda tenant: stored)
    context = CheckContext(settings=Settings(), now=datetime.now(UTC), catalog=catalog)
    brand = {sku: entry.brand for sku, entry in catalog.for_tenant("default").skus.items()}
    memoise_verify()
    # Thresholds fitted on this corpus were fitted on the even-indexed products ("fit"); the
    # odd-indexed ones ("held-out") show how they generalise.
    tables: dict[str, dict[str, Counter[str]]] = {
        half: {kind: Counter() for kind in KINDS} for half in ("held-out half", "fit half", "all")
    }
    framed: dict[str, list[tuple[float, float]]] = {"fit half": [], "held-out half": []}
    genuine_codes: Counter[str] = Counter()
    named: Counter[str] = Counter()  # other-brand fails: is the product shown the one named?
    base = Claim(claim_id="bench", timeline=Timeline())
    outcomes: list[str] = []
    for index, name in enumerate(names):
        half = "fit half" if index % 2 == 0 else "held-out half"
        for path in photos(root, name, second_view):
            photo = load_photo(path.read_bytes(), path.name)
            measured = replace(context, measured=measure.Measurements(photo))  # as the engine passes them
            for claimed in names:
                finding = relevance.check(photo, replace(base, sku=claimed), measured)
                if claimed == name:
                    kind = KINDS[0]
                    genuine_codes[finding.code] += 1
                else:
                    kind = KINDS[2] if brand[claimed] == brand[name] else KINDS[1]
                    shown = finding.details.get("other_framing")
                    if finding.status.value == "fail" and finding.details["other_sku"] == name and shown:
                        framed[half].append((shown["share"], shown["offset"]))
                    if kind == KINDS[1] and finding.status.value == "fail":
                        alike = finding.details.get("alike_sku")
                        shown = name in (finding.details["other_sku"], alike)
                        named[("named" if shown else "not named") + (" with a variant" if alike else " alone")] += 1
                for table in ("all", half):
                    tables[table][kind][finding.status.value] += 1
                outcomes.append(f"{path.name}\t{claimed}\t{finding.status.value}\t{finding.code}\n")
    if dump is not None:
        dump.write_text("".join(outcomes))
    for table, rows in tables.items():
        print(f"\nClaims, {table:<20} n    pass   warn   fail   unknown")
        for label, counts in rows.items():
            n = sum(counts.values())
            print(
                f"{label:<26} {n:5d}  "
                + "  ".join(f"{100 * counts[s] / n:5.1f}%" for s in ("pass", "warn", "fail", "unknown"))
            )
    print("genuine codes:", dict(genuine_codes.most_common()))
    print(
        f"the product shown, in claims failed naming it (subject: share >= {rules.SUBJECT_MIN_SHARE}, "
        f"offset <= {rules.SUBJECT_MAX_OFFSET}):"
    )
    for half, seen in framed.items():
        if seen:
            print(f"  {half}: {len(seen)} fails, smallest share {min(s for s, _ in seen):.3f}, "
                  f"largest offset {max(o for _, o in seen):.3f}")  # fmt: skip
    fails = sum(named.values())
    print("other-brand fails, the product shown:", ", ".join(f"{k} {100 * v / fails:.1f} %" for k, v in sorted(named.items())))
    box = root / "opencv-box"
    if box.is_dir():
        reference = catalog_features(load_photo((box / "box.png").read_bytes(), "box.png"))
        box_catalog = Catalog(
            lambda tenant: StoredCatalog((StoredSku("BOX", "Cookie box", None, None, (reference,)),))
        )
        scene = load_photo((box / "box_in_scene.png").read_bytes(), "box_in_scene.png")
        finding = relevance.check(scene, replace(base, sku="BOX"), replace(context, catalog=box_catalog))
        print(f"box_in_scene claimed as box: {finding.status.value} ({finding.code}, "
              f"{finding.details['ordered']['inliers']} inliers)")  # fmt: skip


KINDS = ("genuine (own product)", "impostor, other brand", "impostor, same brand")


def synthetic(real: TenantCatalog, count: int, seed: int = 7) -> TenantCatalog:
    """The real SKUs plus copies whose visual words are random draws of the same number.

    The copies share the real images' keypoint arrays (and the words of their keypoints, so a copy
    that reaches the shortlist costs what a real image does): what grows is the inverted index (the
    cost under test), not this process's memory.
    """
    rng = np.random.default_rng(seed)
    size = real.vocabulary.index_size
    entries = list(real.skus.values())
    for i in range(count - len(entries)):
        source = entries[i % len(entries)]
        image = source.images[0]
        words = np.unique(rng.integers(0, size, len(image.words))).astype(np.int32)
        sku = f"SYN-{i:05d}"
        arrays = replace(image.arrays_of(), words=words)
        made = replace(image, sku=sku, image_id=f"syn{i}", arrays_of=lambda held=arrays: held)
        entries.append(CatalogSku(sku, f"Synthetic {i}", None, (made,)))
    return TenantCatalog.of(entries, real.vocabulary)


class Stopwatch:
    """CPU milliseconds spent in a few functions of the look, summed per photo."""

    def __init__(self) -> None:
        self.spent: Counter[str] = Counter()

    def wrap(self, owner: object, name: str, label: str) -> None:
        original = getattr(owner, name)

        def timed(*args, **kwargs):  # type: ignore[no-untyped-def]
            started = time.process_time()
            try:
                return original(*args, **kwargs)
            finally:
                self.spent[label] += (time.process_time() - started) * 1000

        setattr(owner, name, timed)


def cost(root: Path) -> None:
    names = products(root)
    real = stored_catalog(root, names)
    settings = Settings()
    watch = Stopwatch()
    watch.wrap(measure, "photo_features", "features")
    watch.wrap(PhotoFeatures, "centred_words", "words")
    watch.wrap(WordIndex, "scores", "retrieval")
    watch.wrap(F, "word_inliers", "shortlist")
    watch.wrap(F, "verify", "verify")
    watch.wrap(catalog_registry, "colour_overlap", "colour")
    watch.wrap(catalog_registry, "colour_vote", "colour")
    adding, sizes, view_sizes = [], [], []
    for name in names:
        path = root / "grocery" / name / f"{name}_Iconic.jpg"
        photo = load_photo(path.read_bytes(), path.name)
        started = time.process_time()
        image = catalog_features(photo)
        adding.append((time.process_time() - started) * 1000)
        sizes.append(len(image.features) / 1024)
        view_sizes.append(len(image.views or b"") / 1024)
    print(
        f"\nA catalog image at add time (median of {len(names)}): {statistics.median(adding):.0f} ms CPU; stored "
        f"features {statistics.median(sizes):.0f} KB, tilted views {statistics.median(view_sizes):.0f} KB"
    )
    small = StoredCatalog(real.skus[:10], real.vocabulary)
    full = TenantCatalog(real)
    started = time.process_time()
    large = synthetic(full, SYNTHETIC_SKUS)
    print(f"\n({SYNTHETIC_SKUS:,}-SKU index built in {time.process_time() - started:.1f} s CPU)")
    print(f"Cost of the relevance look per photo beyond decode: CPU ms, median (load average {_load()})")
    print(
        f"  {'catalog':<12} {'claims':<16} {'n':>3}  {'total':>6}  {'mean':>6}  {'closer':>6}  "
        + "  ".join(f"{k:>9}" for k in PARTS)
    )
    catalogs = {"10 SKUs": small, f"{SYNTHETIC_SKUS:,} SKUs": large}
    contexts = {
        label: CheckContext(
            settings=settings, now=datetime.now(UTC), catalog=Catalog(lambda tenant, s=stored: s)
        )  # type: ignore[misc]
        for label, stored in catalogs.items()
    }
    skus = names[:10]  # the SKUs of the small catalog, also in the large one
    own = [(p, name) for name in skus for p in photos(root, name)]
    others = [(p, skus[(i + 1) % 10]) for i, name in enumerate(names) for p in photos(root, name)[:2]]
    for kind, claims in (("own product", own), ("another product", others)):
        totals: dict[str, list[float]] = {label: [] for label in catalogs}
        closer: Counter[str] = Counter()  # claims that took the closer look
        parts: dict[str, dict[str, list[float]]] = {label: {k: [] for k in PARTS} for label in catalogs}
        # Each photo is measured against both catalogs in turn, so load changes hit both alike.
        for path, sku in claims:
            for label, context in contexts.items():
                photo = load_photo(path.read_bytes(), path.name)
                claim = Claim(claim_id="bench", timeline=Timeline(), sku=sku)
                matching.roots.cache_clear()  # as in a large catalog: no pair seen before
                matching.views.cache_clear()
                watch.spent.clear()
                started = time.process_time()
                finding = relevance.check(photo, claim, context)
                totals[label].append((time.process_time() - started) * 1000)
                closer[label] += bool(finding.details.get("closer_look"))
                for k in PARTS:
                    parts[label][k].append(watch.spent[k])
        for label in catalogs:
            print(
                f"  {label:<12} {kind:<16} {len(claims):3d}  {statistics.median(totals[label]):6.1f}  "
                f"{statistics.mean(totals[label]):6.1f}  {closer[label] / len(claims):6.0%}  "
                + "  ".join(f"{statistics.median(parts[label][k]):9.1f}" for k in PARTS)
            )
        first, second = (statistics.median(t) for t in totals.values())
        print(f"  ratio {second / first:.2f}x")


PARTS = ("features", "words", "retrieval", "shortlist", "verify", "colour")


def _load() -> str:
    return ", ".join(f"{value:.1f}" for value in os.getloadavg()) + f" on {os.cpu_count()} cores"


def compare(root: Path) -> None:
    """Top-1 and genuine inliers of feature options, every photo against every catalog image."""
    names = products(root)
    grey = {n: cv2.imread(str(root / "grocery" / n / f"{n}_Iconic.jpg"), cv2.IMREAD_GRAYSCALE) for n in names}
    shots = [
        (i, cv2.imread(str(p), cv2.IMREAD_GRAYSCALE)) for i, n in enumerate(names) for p in photos(root, n)
    ]
    options = {
        "ORB 1500, Hamming": ("orb", 1.0, (1.0,)),
        "ORB 1500, catalog x2": ("orb", 2.0, (1.0,)),
        "SIFT": ("sift", 1.0, (1.0,)),
        "RootSIFT": ("root", 1.0, (1.0,)),
        "RootSIFT, catalog x2": ("root", 2.0, (1.0,)),
        "RootSIFT, catalog x2 + squeezed 0.6": ("root", 2.0, (1.0, 0.6)),
        "RootSIFT, catalog x2 + squeezed 0.6, 0.4": ("root", 2.0, (1.0, 0.6, 0.4)),
    }
    # Binary descriptors of opencv-contrib (a learned one among them), which the main package lacks:
    # measured when cv2 comes from opencv-contrib-python-headless, installed in its place.
    if hasattr(cv2, "xfeatures2d"):
        options |= {
            "ORB 1500 + TEBLID 512, catalog x2": ("orb+teblid", 2.0, (1.0,)),
            "ORB 1500 + BEBLID 512, catalog x2": ("orb+beblid", 2.0, (1.0,)),
            "AKAZE, catalog x2": ("akaze", 2.0, (1.0,)),
            "BRISK, catalog x2": ("brisk", 2.0, (1.0,)),
        }
    else:
        print("(TEBLID, BEBLID, AKAZE, BRISK need opencv-contrib-python-headless in place of opencv-python-headless)")
    print("Feature options (155 photos x 31 catalog images)   top-1   genuine>=12   other p99   ms/pair   ms/photo")
    for label, (kind, enlarge, tilts) in options.items():
        cat = [_option_features(kind, g, enlarge, tilts) for g in grey.values()]
        extracting = []
        pho = []
        for i, g in shots:
            started = time.process_time()
            pho.append((i, _option_features(kind, g, 1.0, (1.0,))))
            extracting.append((time.process_time() - started) * 1000)
        table = np.zeros((len(pho), len(cat)), int)
        started = time.perf_counter()
        for a, (_, (pp, pd)) in enumerate(pho):
            for b, (cp, cd) in enumerate(cat):
                table[a, b] = _option_inliers(kind, pp, pd, cp, cd)
        per_pair = (time.perf_counter() - started) * 1000 / table.size
        truth = np.array([i for i, _ in pho])
        own = table[np.arange(len(pho)), truth]
        others = table.copy()
        others[np.arange(len(pho)), truth] = -1
        print(
            f"  {label:<46} {np.mean(table.argmax(1) == truth):6.1%}   {np.mean(own >= 12):9.1%}"
            f"   {np.percentile(others[others >= 0], 99):8.0f}   {per_pair:6.2f}   {statistics.median(extracting):7.1f}"
        )


BINARY_OPTIONS = ("orb", "orb+teblid", "orb+beblid", "akaze", "brisk")


def _option_detector(kind: str):  # type: ignore[no-untyped-def]
    """A detector and, where it is not the detector's own, the descriptor of a `--compare` option."""
    if kind in ("sift", "root"):
        return cv2.SIFT_create(), None
    orb = cv2.ORB_create(nfeatures=1500)
    contrib: Any = getattr(cv2, "xfeatures2d", None)
    if kind == "orb+teblid":
        return orb, contrib.TEBLID_create(1.0, contrib.TEBLID_SIZE_512_BITS)  # 1.0: the scale for ORB
    if kind == "orb+beblid":
        return orb, contrib.BEBLID_create(1.0, contrib.BEBLID_SIZE_512_BITS)
    if kind == "akaze":
        return contrib.AKAZE_create(), None
    if kind == "brisk":
        return contrib.BRISK_create(), None
    return orb, None


def _option_features(kind: str, gray: np.ndarray, enlarge: float, tilts: tuple[float, ...]):  # type: ignore[no-untyped-def]
    detector, describer = _option_detector(kind)
    points, descriptors = [], []
    for tilt in tilts:
        view = cv2.resize(gray, None, fx=enlarge * tilt, fy=enlarge, interpolation=cv2.INTER_CUBIC)
        if describer is None:
            keypoints, found = detector.detectAndCompute(view, None)
        else:
            keypoints, found = describer.compute(view, detector.detect(view, None))
        if found is None:
            continue
        xy = np.float32([k.pt for k in keypoints])
        xy[:, 0] /= enlarge * tilt
        xy[:, 1] /= enlarge
        points.append(xy)
        descriptors.append(found)
    d = np.concatenate(descriptors)
    if kind == "sift":
        d = d / np.linalg.norm(d, axis=1, keepdims=True)
    elif kind == "root":
        d = F.rootsift(d)
    return np.concatenate(points), d


def _option_inliers(kind: str, pp: np.ndarray, pd: np.ndarray, cp: np.ndarray, cd: np.ndarray) -> int:
    if kind not in BINARY_OPTIONS:
        return F.verify(pp, pd.astype(np.float32), cp, cd.astype(np.float32), (198, 198), (348, 348)).inliers
    pairs = cv2.BFMatcher(cv2.NORM_HAMMING).knnMatch(pd, cd, k=2)
    good = {}
    for pair in pairs:
        if len(pair) == 2 and pair[0].distance < F.RATIO * pair[1].distance:
            m = pair[0]
            if m.trainIdx not in good or m.distance < good[m.trainIdx].distance:
                good[m.trainIdx] = m
    if len(good) < F.MIN_MATCHES:
        return 0
    src = cp[[m.trainIdx for m in good.values()]]
    dst = pp[[m.queryIdx for m in good.values()]]
    homography, mask = cv2.findHomography(
        src, dst, cv2.USAC_DEFAULT, F.RANSAC_PX, maxIters=2000, confidence=0.995
    )
    if homography is None or not F._plausible(homography, (198, 198), (348, 348)):
        return 0
    return int(mask.sum())


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("root", nargs="?", type=Path, default=ROOT.parent / "shared" / "corpora" / "product-matching",
                        help="the product-matching corpus (default: ../shared/corpora/product-matching)")
    parser.add_argument("--compare", action="store_true",
                        help="first print the feature options measured and what extracting each costs")
    parser.add_argument("--no-cost", action="store_true", help="skip the cost per photo and per catalog image")
    parser.add_argument("--no-accuracy", action="store_true", help="skip the accuracy tables")
    parser.add_argument("--second-view", action="store_true",
                        help="each product's first shelf photo is a second catalog image; the others are scored")
    parser.add_argument("--dump", type=Path, metavar="FILE",
                        help="write every claim's outcome (photo, claimed SKU, status, code), tab-separated")
    args = parser.parse_args(argv)
    cv2.setNumThreads(1)
    if not (args.root / "grocery").is_dir():
        sys.exit(f"no grocery corpus under {args.root}")
    if args.compare:
        compare(args.root)
    if not args.no_cost:
        cost(args.root)
    if not args.no_accuracy:
        accuracy(args.root, args.dump, args.second_view)


if __name__ == "__main__":
    main(sys.argv[1:])
