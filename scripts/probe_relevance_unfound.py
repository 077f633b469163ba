"""Photos in which the relevance look finds no catalog product, not even their own: how often honest
ones land there, how clear they are, and whether looser matching would find them.

    .venv/bin/python scripts/probe_relevance_unfound.py [../shared/corpora/product-matching]

The catalog is `bench_relevance.py`'s (each product's shop image, its own vocabulary, the brand from
the name's first word). Part 1 claims every shelf photo as its own product and prints, by half of
the products (the bench's split: even-indexed fitted, odd-indexed held out), the genuine claims that
end `relevance.not_found` or `weak_match`, with the photo's keypoints and sharpness (variance of the
Laplacian of the grey working copy) beside the lowest sharpness of a genuine `pass`; a rule "a clear
photo in which nothing is found" would fire on these honest claims. Part 2 matches each photo that
finds nothing against its own catalog image under looser matching: Lowe's ratio 0.85 and 0.9, and a
feature copy twice as large (700 px, 1,600 keypoints), at the first and the closer look; ratio-test
matches and inliers. It measures only: nothing here changes what the look decides.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np
from bench_relevance import photos, products, stored_catalog

from evidence_check import measure
from evidence_check.catalog.matching import best_match
from evidence_check.catalog.photo import COLOUR_SIDE, Look, PhotoFeatures, photo_features
from evidence_check.catalog.registry import Catalog, TenantCatalog
from evidence_check.checks import relevance
from evidence_check.checks.context import CheckContext
from evidence_check.imaging import features as F
from evidence_check.imaging.load import Photo, load_photo
from evidence_check.models import Claim, Timeline
from evidence_check.settings import Settings

ROOT = Path(__file__).resolve().parent.parent

UNFOUND = ("relevance.not_found", "relevance.weak_match")
# (label, Lowe's ratio, the feature copy's side or None for the look's own, its keypoints)
LOOSER = (("as shipped", F.RATIO, None, None), ("ratio 0.85", 0.85, None, None), ("ratio 0.9", 0.9, None, None),
          ("copy 700 px", F.RATIO, 700, 1600))  # fmt: skip


def sharpness(photo: Photo) -> float:
    grey = cv2.cvtColor(np.asarray(photo.working), cv2.COLOR_RGB2GRAY)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


def genuine(root: Path, names: list[str], context: CheckContext) -> list[tuple[str, Path]]:
    """Part 1; returns the photos that found nothing of their own product."""
    base = Claim(claim_id="probe", timeline=Timeline())
    passed: list[float] = []
    rows: dict[str, list[str]] = {"held-out half": [], "fit half": []}
    counts = dict.fromkeys(rows, 0)
    unfound = []
    for index, name in enumerate(names):
        half = "fit half" if index % 2 == 0 else "held-out half"
        for path in photos(root, name):
            photo = load_photo(path.read_bytes(), path.name)
            finding = relevance.check(photo, replace(base, sku=name), replace(context, measured=measure.Measurements(photo)))
            counts[half] += 1
            sharp = sharpness(photo)
            if finding.status.value == "pass":
                passed.append(sharp)
            if finding.code in UNFOUND:
                unfound.append((name, path))
                rows[half].append(
                    f"  {path.name:<40} {finding.code:<22} keypoints {finding.details['photo_keypoints']:5d}  "
                    f"sharpness {sharp:6.0f}  ordered {finding.params['inliers']:2d}  best other {finding.params['other_inliers']:2d}"
                )
    for half, lines in rows.items():
        print(f"Genuine claims, {half}: {len(lines)} of {counts[half]} end not_found or weak_match")
        print("\n".join(lines))
    print(f"Lowest sharpness of a genuine pass: {min(passed):.0f} (of {len(passed)})")
    return unfound


def features_at(photo: Photo, side: int | None, keypoints: int | None, look: Look) -> PhotoFeatures:
    if side is None or keypoints is None:
        return photo_features(photo, look)
    side = round(side * F.CLOSER_SCALE) if look is Look.CLOSER else side
    rgb = F.resized_to(np.asarray(photo.working), side)
    local = F.extract(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), max_side=side, max_features=keypoints)
    return PhotoFeatures(
        points=local.points, root=F.rootsift(local.descriptors), rgb=rgb,
        scale=rgb.shape[1] / photo.width, colour_rgb=F.fit_within(rgb, COLOUR_SIDE),
    )  # fmt: skip


def looser(tenant: TenantCatalog, unfound: list[tuple[str, Path]]) -> None:
    """Part 2."""
    shipped = F.RATIO
    print("\nEach photo against its own catalog image: ratio-test matches / inliers, first look | closer look")
    try:
        for label, ratio, side, keypoints in LOOSER:
            F.RATIO = ratio
            print(f"  {label}")
            for name, path in unfound:
                photo = load_photo(path.read_bytes(), path.name)
                cells = []
                for look in (Look.FIRST, Look.CLOSER):
                    match = best_match(features_at(photo, side, keypoints, look), tenant.skus[name].images, look)
                    cells.append("-" if match is None else f"{match.geometry.matches:3d} / {match.inliers:2d}")
                print(f"    {path.name:<40} {cells[0]}  |  {cells[1]}")
    finally:
        F.RATIO = shipped


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("root", nargs="?", type=Path, default=ROOT.parent / "shared" / "corpora" / "product-matching",
                        help="the product-matching corpus (default: ../shared/corpora/product-matching)")
    root = parser.parse_args(argv).root
    cv2.setNumThreads(1)
    if not (root / "grocery").is_dir():
        sys.exit(f"no grocery corpus under {root}")
    names = products(root)
    stored = stored_catalog(root, names)
    catalog = Catalog(lambda tenant: stored)
    context = CheckContext(settings=Settings(), now=datetime.now(UTC), catalog=catalog)
    unfound = genuine(root, names, context)
    looser(catalog.for_tenant("default"), unfound)


if __name__ == "__main__":
    main(sys.argv[1:])
