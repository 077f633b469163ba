"""How much of a shelf photo the location look declines lines up locally, and what comparing that part
finds (docs/measurements/location.md, eighteenth round).

    .venv/bin/python scripts/probe_location_aligned_part.py [--seed N] [--per-product 3]

Runs `bench_location.py`'s draw unchanged (the same photos, defects and places) and proposes the region
again on every damaged shelf photo the bench judges, and on its undamaged copy, three ways:
- `declined`: below `ALIGNMENT_MIN` the photo is declined, whatever lines up (the look before this round);
- `whole`: every photo compared over the whole product, none declined;
- `part` (the look): below `ALIGNMENT_MIN` compared on the part that lines up (`_Frame.aligned_part`),
  declined when that is under `ALIGNED_SHARE_MIN` of the product.
Prints IoU >= 0.5 by half (A/B as the bench splits products), on the photos the look declined before and
on the rest, undamaged photos proposed with confidence, and, for the photos declined before: the share of
the product that lines up, whether the painted defect lies in it, and how much the defect itself lowers
the local alignment (the undamaged copy's less the damaged one's, over the painted box).
About 6 minutes a draw on 2 shared cores.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import sys
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_location as bench  # noqa: E402

from evidence_check.catalog import matching  # noqa: E402
from evidence_check.catalog.photo import photo_features  # noqa: E402
from evidence_check.checks.location import proposal as P  # noqa: E402
from evidence_check.checks.location.geometry import box_corners, project  # noqa: E402
from evidence_check.checks.relevance import rules  # noqa: E402
from evidence_check.imaging import colour  # noqa: E402
from evidence_check.imaging.load import load_photo  # noqa: E402

WAYS = {"declined": {"ALIGNED_SHARE_MIN": np.inf}, "whole": {"ALIGNMENT_MIN": -np.inf}, "part": {}}


@dataclass
class Row:
    product: str
    defect: str
    iou: dict[str, float | None] = field(default_factory=dict)  # None: declined, nothing proposed
    clean_strength: dict[str, float | None] = field(default_factory=dict)
    alignment: float | None = None
    share: float | None = None  # of the product, lining up (`aligned_part`)
    defect_in_part: float | None = None  # of the painted box on the product, in that part
    lowered: float | None = None  # local alignment over the painted box: undamaged less damaged


def proposed(features, match, size, working, way: str) -> P.Proposal | P.Declined | None:  # type: ignore[no-untyped-def]
    saved = {name: getattr(P, name) for name in WAYS[way]}
    for name, value in WAYS[way].items():
        setattr(P, name, value)
    try:
        return P.propose(features, match, size, working)
    finally:
        for name, value in saved.items():
            setattr(P, name, value)


def local_alignment(features, match, truth: list[int]) -> tuple[float, float, float | None, np.ndarray, np.ndarray] | None:  # type: ignore[no-untyped-def]
    """The whole product's alignment, the share of it that lines up, and the local alignment (as
    `aligned_part` averages it) over the painted box on the product."""
    detail = colour.detail_rgb(match.image.detail)
    frame = P._Frame(features, match, match.homography_full, detail, P.COMPARE_SIDE)
    if frame.product.sum() < P.MIN_PRODUCT:
        return None
    to_window = np.linalg.inv(match.homography_full @ frame.to_catalog)
    corners = project(box_corners(*truth), to_window) - [frame.window[1].start, frame.window[0].start]
    painted = np.zeros(frame.product.shape, np.uint8)
    cv2.fillPoly(painted, [np.round(corners).astype(np.int32)], 1)
    painted = painted.astype(bool) & frame.product
    local = frame.local_alignment()
    part = frame.aligned_part()
    return frame.alignment(), float(part.sum() / frame.product.sum()), (float(np.nanmean(local[painted])) if np.isfinite(local[painted]).any() else None), painted, part


def run(per_product: int, seed: int, root: Path) -> tuple[list[Row], list[str]]:
    rows: list[Row] = []

    def judge(shelf: bench.PaintedShelf) -> None:
        row = Row(shelf.product, shelf.defect)
        seen = {}
        for which, rgb in (("damaged", shelf.damaged), ("clean", shelf.clean)):
            photo = load_photo(bench.jpeg(rgb, which), f"{which}.jpg")
            features = photo_features(photo)
            match = matching.best_match(features, [shelf.image])
            if match is None or match.homography_full is None or match.inliers < rules.PASS_INLIERS:
                continue
            size = (photo.width, photo.height)
            for way in WAYS:
                found = proposed(features, match, size, photo.working, way)
                if which == "damaged":
                    row.iou[way] = bench.iou(found.box, shelf.truth) if isinstance(found, P.Proposal) else None
                else:
                    row.clean_strength[way] = found.strength if isinstance(found, P.Proposal) else None
            seen[which] = local_alignment(features, match, shelf.truth)
        if seen.get("damaged") is not None:
            row.alignment, row.share, damaged_local, box, part = seen["damaged"]
            row.defect_in_part = float((box & part).sum() / box.sum()) if box.any() else None
            if seen.get("clean") is not None and damaged_local is not None and seen["clean"][2] is not None:
                row.lowered = seen["clean"][2] - damaged_local
        rows.append(row)

    cases = bench.run(root, per_product, seed, on_shelf=judge)
    return rows, sorted({case.product for case in cases})


def report(rows: list[Row], products: list[str]) -> None:
    halves = {"A": set(products[0::2]), "B": set(products[1::2])}

    def hits(subset: list[Row], way: str) -> int:
        return sum(1 for r in subset if (r.iou.get(way) or 0) >= 0.5)

    print("| half | damaged shelf photos | declined before | iou>=0.5: declined / whole / part | of them, declined before | "
          "the rest | undamaged confident: declined / whole / part |")
    print("|---|---|---|---|---|---|---|")
    for name, members in halves.items():
        subset = [r for r in rows if r.product in members]
        before = [r for r in subset if r.alignment is not None and r.alignment < P.ALIGNMENT_MIN]
        rest = [r for r in subset if r not in before]
        confident = [sum(1 for r in subset if (r.clean_strength.get(way) or 0) >= P.CONFIDENT_STRENGTH) for way in WAYS]
        print(f"| {name} | {len(subset)} | {len(before)} | " + " / ".join(str(hits(subset, way)) for way in WAYS)
              + " | " + " / ".join(str(hits(before, way)) for way in WAYS) + " | " + " / ".join(str(hits(rest, way)) for way in WAYS)
              + " | " + " / ".join(map(str, confident)) + " |")
    before = [r for r in rows if r.alignment is not None and r.alignment < P.ALIGNMENT_MIN]
    if before:
        shares = np.array([r.share for r in before])
        inside = np.array([r.defect_in_part if r.defect_in_part is not None else 0.0 for r in before])
        print(f"\ndeclined before: {len(before)}; the share of the product lining up {np.percentile(shares, 10):.2f} / "
              f"{np.median(shares):.2f} / {np.percentile(shares, 90):.2f} (10/50/90 %), at least {P.ALIGNED_SHARE_MIN}: "
              f"{int((shares >= P.ALIGNED_SHARE_MIN).sum())}; the painted defect at least half in it: {int((inside >= 0.5).sum())} "
              f"({int(((inside >= 0.5) & (shares >= P.ALIGNED_SHARE_MIN)).sum())} of them compared)")
    for defect in bench.DEFECTS:
        lowered = [r.lowered for r in rows if r.defect == defect and r.lowered is not None]
        if lowered:
            print(f"local alignment over a {defect}, undamaged less damaged: {np.percentile(lowered, 10):.3f} / "
                  f"{np.median(lowered):.3f} / {np.percentile(lowered, 90):.3f} (10/50/90 %, {len(lowered)} photos)")


def main(argv: list[str]) -> int:
    parser = bench.draw_arguments(__doc__.split("\n")[0], per_product=3)
    args = parser.parse_args(argv)
    bench.corpus_or_exit(args.root)
    cv2.setNumThreads(1)
    rows, products = run(args.per_product, args.seed, args.root)
    report(rows, products)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
