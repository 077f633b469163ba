"""Would the location look find the painted defect on a shelf photo if the SKU's catalog also held
a photo of the print version the customer received? (docs/measurements/location.md, seventeenth round)

    .venv/bin/python scripts/probe_location_print_versions.py [--seed N] [--per-product 3] [--dump FILE]

Runs `bench_location.py`'s draw unchanged (the same photos, defects and places: its random draws
are not touched) and, on every damaged shelf photo the bench judges, proposes the region again
against other catalog images of the product:
- (a) `web-shop`: the web-shop image (`*_Iconic.jpg`), as the bench does;
- (b) `other shelf`: the product's other shelf photo (never the photo itself, which the damaged
  one is made from) that the damaged photo matches with the most inliers;
- (c) `relevance's choice`: the image the relevance look would match if the web-shop image and
  every other shelf photo of the product were the SKU's catalog images (`matching.best_match`,
  the most inliers, as `TenantCatalog.assess` does);
- (b') and (c') `outlined`: the same, each shelf photo given the web-shop image's product outline
  carried into it through their homography (its own non-background mask is nearly the whole photo:
  no plain background), where the two align.
Each against the same photo undamaged, for "undamaged confident" (`CONFIDENT_STRENGTH`). Prints
IoU >= 0.5 by half (A/B as the bench splits products), by defect, declined, and what a shelf photo
as a catalog image gives the on/off-product test: the share of it its product outline covers.
About 5 minutes a draw on 2 shared cores (the bench's own run, then four more matches and proposals
per damaged and undamaged shelf photo).
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_location as bench  # noqa: E402

from evidence_check.catalog import matching  # noqa: E402
from evidence_check.catalog.entries import CatalogImage  # noqa: E402
from evidence_check.catalog.photo import photo_features  # noqa: E402
from evidence_check.checks.location.geometry import product_mask  # noqa: E402
from evidence_check.checks.location.proposal import CONFIDENT_STRENGTH, Declined, Proposal, propose  # noqa: E402
from evidence_check.checks.relevance import rules  # noqa: E402
from evidence_check.imaging.load import load_photo  # noqa: E402

VARIANTS = ("web-shop", "other shelf", "relevance's choice", "other shelf, outlined", "relevance's choice, outlined")


@dataclass
class Outcome:
    iou: float | None = None  # None: nothing proposed or no match
    declined: bool = False
    matched: bool = False
    clean_strength: float | None = None
    alignment: float | None = None
    outline_share: float | None = None  # of the photo, inside the compared image's product outline projected into it
    image: str = ""  # the catalog image compared with


@dataclass
class Row:
    product: str
    photo: str
    defect: str
    outcomes: dict[str, Outcome] = field(default_factory=dict)


_catalog_images: dict[Path, CatalogImage] = {}
_outlined_images: dict[Path, CatalogImage] = {}
outline_found: dict[Path, bool] = {}


def outlined(path: Path, web_shop: CatalogImage) -> CatalogImage:
    """The shelf photo as a catalog image whose product outline is the web-shop image's, carried
    into it through their homography (its own non-background mask is nearly the whole photo)."""
    if path not in _outlined_images:
        image = catalog(path)
        photo = load_photo(path.read_bytes(), path.name)
        match = matching.best_match(photo_features(photo), [web_shop])
        if match is None or match.homography_full is None or match.inliers < rules.PASS_INLIERS:
            outline_found[path] = False
            _outlined_images[path] = image
        else:
            outline_found[path] = True
            mask = cv2.warpPerspective(
                product_mask(web_shop, (web_shop.width, web_shop.height)).astype(np.uint8), match.homography_full,
                (image.width, image.height), flags=cv2.INTER_NEAREST,
            )
            arrays = replace(image.arrays_of(), mask=mask.astype(bool))
            _outlined_images[path] = replace(image, arrays_of=lambda arrays=arrays: arrays)
    return _outlined_images[path]


def catalog(path: Path) -> CatalogImage:
    if path not in _catalog_images:
        _catalog_images[path] = bench.catalog_image(path)
    return _catalog_images[path]


def outcome(damaged, damaged_features, clean, clean_features, images: list[CatalogImage], truth: list[int]) -> Outcome:
    found = Outcome()
    match = matching.best_match(damaged_features, images)
    if match is None or match.homography_full is None or match.inliers < rules.PASS_INLIERS:
        return found
    found.matched, found.image = True, match.image.filename
    size = (damaged.width, damaged.height)
    outline = product_mask(match.image, (match.image.width, match.image.height)).astype(np.uint8)
    found.outline_share = float(cv2.warpPerspective(outline, match.homography_full, size, flags=cv2.INTER_NEAREST).mean())
    proposal = propose(damaged_features, match, size, damaged.working)
    found.declined = isinstance(proposal, Declined)
    found.alignment = None if proposal is None else proposal.alignment
    if isinstance(proposal, Proposal):
        found.iou = bench.iou(proposal.box, truth)
    # The undamaged copy against the image it matches best among the same ones.
    clean_match = matching.best_match(clean_features, images)
    if clean_match is not None and clean_match.homography_full is not None and clean_match.inliers >= rules.PASS_INLIERS:
        clean_proposal = propose(clean_features, clean_match, size, clean.working)
        if isinstance(clean_proposal, Proposal):
            found.clean_strength = clean_proposal.strength
    return found


def run(per_product: int, seed: int, root: Path) -> tuple[list[Row], list[str]]:
    """The damaged shelf photos' rows, and the products the bench judged any photo of (its halves')."""
    rows: list[Row] = []

    def judge(shelf: bench.PaintedShelf) -> None:
        folder = root / "grocery" / shelf.product
        photos = sorted(folder.glob("*_00?.jpg"))
        source = next(p for p in photos if np.array_equal(cv2.cvtColor(cv2.imread(str(p)), cv2.COLOR_BGR2RGB), shelf.clean))
        others = [catalog(p) for p in photos if p != source]
        web_shop = catalog(next(folder.glob("*_Iconic.jpg")))
        damaged = load_photo(bench.jpeg(shelf.damaged, "damaged"), "damaged.jpg")
        clean = load_photo(bench.jpeg(shelf.clean, "clean"), "clean.jpg")
        damaged_features, clean_features = photo_features(damaged), photo_features(clean)
        row = Row(shelf.product, source.name, shelf.defect)
        truth = shelf.truth
        row.outcomes["web-shop"] = outcome(damaged, damaged_features, clean, clean_features, [web_shop], truth)
        row.outcomes["other shelf"] = outcome(damaged, damaged_features, clean, clean_features, others, truth)
        row.outcomes["relevance's choice"] = outcome(damaged, damaged_features, clean, clean_features, [web_shop, *others], truth)
        outlined_others = [outlined(p, web_shop) for p in photos if p != source]
        row.outcomes["other shelf, outlined"] = outcome(damaged, damaged_features, clean, clean_features, outlined_others, truth)
        row.outcomes["relevance's choice, outlined"] = outcome(damaged, damaged_features, clean, clean_features, [web_shop, *outlined_others], truth)
        rows.append(row)

    cases = bench.run(root, per_product, seed, on_shelf=judge)
    return rows, sorted({case.product for case in cases})


def hits(rows: list[Row], variant: str) -> str:
    hit = sum(1 for r in rows if (r.outcomes[variant].iou or 0) >= 0.5)
    return f"{hit}/{len(rows)} ({100 * hit / max(len(rows), 1):.1f} %)"


def report(rows: list[Row], products: list[str]) -> None:
    halves = {"A": set(products[0::2]), "B": set(products[1::2])}
    print("| set | " + " | ".join(VARIANTS) + " |\n|---|" + "---|" * len(VARIANTS))
    for name, members in halves.items():
        subset = [r for r in rows if r.product in members]
        print(f"| half {name}, iou>=0.5 | " + " | ".join(hits(subset, v) for v in VARIANTS) + " |")
    for defect in bench.DEFECTS:
        subset = [r for r in rows if r.defect == defect]
        print(f"| {defect}, iou>=0.5 | " + " | ".join(hits(subset, v) for v in VARIANTS) + " |")
    print("| all, iou>=0.5 | " + " | ".join(hits(rows, v) for v in VARIANTS) + " |")
    for label, test in (
        ("matched (>= PASS_INLIERS)", lambda o: o.matched),
        ("declined", lambda o: o.declined),
        (f"undamaged confident (>= {CONFIDENT_STRENGTH})", lambda o: (o.clean_strength or 0) >= CONFIDENT_STRENGTH),
    ):
        print(f"| {label} | " + " | ".join(f"{sum(1 for r in rows if test(r.outcomes[v]))}/{len(rows)}" for v in VARIANTS) + " |")
    aligned = [o.alignment for r in rows for v, o in r.outcomes.items() if v == "other shelf" and o.alignment is not None]
    aligned_outlined = [o.alignment for r in rows for v, o in r.outcomes.items() if v == "other shelf, outlined" and o.alignment is not None]
    web = [r.outcomes["web-shop"].alignment for r in rows if r.outcomes["web-shop"].alignment is not None]
    for label, values in (("web-shop", web), ("other shelf", aligned), ("other shelf, outlined", aligned_outlined)):
        if values:
            print(f"alignment, {label}: {np.percentile(values, 10):.2f} / {np.median(values):.2f} / {np.percentile(values, 90):.2f} (10/50/90 %)")
    for v in VARIANTS:
        shares = [r.outcomes[v].outline_share for r in rows if r.outcomes[v].outline_share is not None]
        print(f"share of the photo inside the compared image's outline, {v}: {np.median(shares):.2f} (median), "
              f"{sum(s >= 0.9 for s in shares)} of {len(shares)} at 0.9 or more")
    print(f"shelf photos given the web-shop image's outline: {sum(outline_found.values())} of {len(outline_found)}")
    for name, members in halves.items():
        subset = [r for r in rows if r.product in members]
        either = sum(1 for r in subset if max(r.outcomes[v].iou or 0 for v in ("web-shop", "other shelf, outlined")) >= 0.5)
        print(f"half {name}: web-shop or other shelf (outlined), whichever hits: {either}/{len(subset)}")
    chosen_other = sum(1 for r in rows if r.outcomes["relevance's choice"].matched and not r.outcomes["relevance's choice"].image.endswith("_Iconic.jpg"))
    print(f"\nrelevance's choice is another shelf photo on {chosen_other} of {len(rows)} photos")
    shares = [product_mask(image, (image.width, image.height)).mean() for path, image in _catalog_images.items() if not path.name.endswith("_Iconic.jpg")]
    web = [product_mask(image, (image.width, image.height)).mean() for path, image in _catalog_images.items() if path.name.endswith("_Iconic.jpg")]
    if shares:
        print(f"product outline's share of the catalog image: shelf photos {np.percentile(shares, 10):.2f} / {np.median(shares):.2f} / "
              f"{np.percentile(shares, 90):.2f} (10/50/90 %, {len(shares)} images, {sum(s >= 0.999 for s in shares)} whole); "
              f"web-shop images {np.median(web):.2f} (median of {len(web)})")


def main(argv: list[str]) -> int:
    parser = bench.draw_arguments(__doc__.split("\n")[0], per_product=3)
    parser.add_argument("--dump", type=Path, metavar="FILE", help="one row per damaged shelf photo and variant (tab-separated)")
    args = parser.parse_args(argv)
    bench.corpus_or_exit(args.root)
    cv2.setNumThreads(1)
    rows, products = run(args.per_product, args.seed, args.root)
    report(rows, products)
    if args.dump:
        with open(args.dump, "w") as out:
            for r in rows:
                for v in VARIANTS:
                    o = r.outcomes[v]
                    print(r.product, r.photo, r.defect, v, o.matched, o.declined, o.iou, o.clean_strength, o.alignment, o.image, sep="\t", file=out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
