"""How much of a catalog image its product outline covers, on the images a merchant may add: where
the line lies between an image the location look can judge a region on and one it cannot
(docs/measurements/location.md, "A catalog image without an outline").

    .venv/bin/python scripts/probe_catalog_outline.py [--corpora DIR]

Measures each image as `catalog add` does (`catalog_features`, then `entries.outline_share`) and
prints, per set, the distribution of the share (min, 10 / 50 / 90 %, max), how many reach
`NO_OUTLINE_SHARE` and the time the share adds to measuring an image. Sets: the grocery corpus's
web-shop images (`*_Iconic.jpg`) and hand-held shelf photos (`*_00N.jpg`), the opencv-box images,
and the project's own `fixtures/images/` (drawn products on a plain background). About 4 minutes on
2 shared cores.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import time
from pathlib import Path

import numpy as np

from evidence_check.catalog.entries import catalog_features, outline_share
from evidence_check.checks.location import NO_OUTLINE_SHARE
from evidence_check.imaging.load import PhotoError, load_photo

ROOT = Path(__file__).resolve().parent.parent


def sets(corpora: Path) -> dict[str, list[Path]]:
    grocery = corpora / "product-matching" / "grocery"
    return {
        "web-shop (*_Iconic.jpg)": sorted(grocery.glob("*/*_Iconic.jpg")),
        "shelf, hand-held (*_00N.jpg)": sorted(grocery.glob("*/*_0[0-9][0-9].jpg")),
        "opencv-box": sorted((corpora / "product-matching" / "opencv-box").glob("*.png")),
        "fixtures/images": sorted(p for p in (ROOT / "fixtures" / "images").iterdir() if p.is_file()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpora", type=Path, default=ROOT.parent / "shared" / "corpora")
    parser.add_argument("--list", action="store_true", help="print each image's share too")
    args = parser.parse_args()
    print(f"NO_OUTLINE_SHARE = {NO_OUTLINE_SHARE}")
    print(
        "| set | images | min | 10 % | 50 % | 90 % | max | >= threshold | share's cost (ms, median) | catalog_features (ms, median) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, paths in sets(args.corpora).items():
        shares, costs, features_costs = [], [], []
        for path in paths:
            try:
                photo = load_photo(path.read_bytes(), path.name)
            except PhotoError:
                continue  # the fixtures' unreadable files: never a catalog image
            start = time.process_time()
            stored = catalog_features(photo)
            measured = time.process_time()
            share = outline_share(stored)
            costs.append((time.process_time() - measured) * 1000)
            features_costs.append((measured - start) * 1000)
            shares.append(share)
            if args.list:
                print(f"  {path.name}: {share:.3f}")
        if not shares:
            print(f"| {name} | 0 (absent) | | | | | | | | |")
            continue
        q = np.percentile(shares, [10, 50, 90])
        over = sum(share >= NO_OUTLINE_SHARE for share in shares)
        print(
            f"| {name} | {len(shares)} | {min(shares):.2f} | {q[0]:.2f} | {q[1]:.2f} | {q[2]:.2f} | {max(shares):.2f} "
            f"| {over} | {np.median(costs):.2f} | {np.median(features_costs):.0f} |"
        )


if __name__ == "__main__":
    main()
