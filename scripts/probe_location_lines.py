"""Where the look misses the lines a reader boxes without fail: tears and scratches on shelf photos
(docs/measurements/location.md, twentieth round).

    .venv/bin/python scripts/probe_location_lines.py [CORPUS] [--seed N] [--per-product 3]

Runs `bench_location.py`'s draw with its own proposals skipped (they draw nothing at random, so the
painted photos are the bench's), takes every damaged shelf photo of a tear or a scratch, default and its
copy damaged at the edge (tears, scratches, edge tears), proposes a region through `propose` as it is,
and counts each photo by bucket and defect:
- `hit`: IoU >= 0.5;
- on the line, sized wrong (the box and the painted one share at least 0.3 of either): `too large` (the box
  holds 0.7 of the painted one), `part of it` (the painted one holds 0.7 of the box), `off centre`;
- placed elsewhere, by where the region lies (`edge band`: within `SOFT_EDGE` usual-frame pixels of the
  projected outline, median over the region) and what placed it (the marks, the soft blobs, a dent's
  shading); `hand` when the region's colour continues past the outline to the border;
- `declined`, `no region`, `not compared` (the photo fails `PASS_INLIERS`).
Then the hits by half (A/B as the bench splits products). About 3 minutes a draw on 2 shared cores.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import sys
from collections import Counter
from pathlib import Path
from typing import Any

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_location as bench  # noqa: E402

from evidence_check.catalog import matching  # noqa: E402
from evidence_check.catalog.photo import photo_features  # noqa: E402
from evidence_check.checks.location import proposal as P  # noqa: E402
from evidence_check.checks.relevance import rules  # noqa: E402
from evidence_check.imaging.load import load_photo  # noqa: E402

LINES = ("tear", "scratch", "edge tear")
SHARED = 0.3  # of either box: the box lies on the line
HOLDS = 0.7  # of the other box: too large, or part of it


class Watched:
    """The route `propose` took and the frame and region it sized, read by wrapping its steps."""

    def __init__(self) -> None:
        self.route, self.frame, self.region = "", None, None
        soft, dent, grown, init = P._soft_region, P._Frame.dent_shading, P._grown_region, P._Frame.__init__

        def frame_made(frame: Any, *args: Any, **named: Any) -> None:
            init(frame, *args, **named)
            self.frame = frame

        def soft_region(*args: Any, **named: Any) -> Any:
            self.route, self.region = "soft blobs", soft(*args, **named)
            return self.region

        def dent_shading(frame: Any) -> Any:
            region = dent(frame)
            if region is not None:
                self.route, self.region = "dent shading", region
            return region

        def grown_region(*args: Any, **named: Any) -> Any:
            region = grown(*args, **named)
            if not self.route:
                self.route, self.region = "marks", region
            return region

        P._Frame.__init__, P._soft_region, P._Frame.dent_shading, P._grown_region = (
            frame_made, soft_region, dent_shading, grown_region)

    def bucket(self, painted: bench.PaintedShelf) -> str:
        damaged = load_photo(bench.jpeg(painted.damaged, "damaged"), "damaged.jpg")
        features = photo_features(damaged)
        match = matching.best_match(features, [painted.image])
        if match is None or match.homography_full is None or match.inliers < rules.PASS_INLIERS:
            return "not compared"
        self.route, self.frame, self.region = "", None, None
        proposal = P.propose(features, match, (damaged.width, damaged.height), damaged.working)
        if isinstance(proposal, P.Declined):
            return "declined"
        if proposal is None:
            return "no region"
        box, truth = proposal.box, painted.truth
        if bench.iou(box, truth) >= 0.5:
            return "hit"
        shared = max(min(box[0] + box[2], truth[0] + truth[2]) - max(box[0], truth[0]), 0) * max(
            min(box[1] + box[3], truth[1] + truth[3]) - max(box[1], truth[1]), 0)
        if shared >= SHARED * truth[2] * truth[3] or shared >= SHARED * box[2] * box[3]:
            if shared >= HOLDS * truth[2] * truth[3]:
                return "on the line, too large"
            if shared >= HOLDS * box[2] * box[3]:
                return "on the line, part of it"
            return "on the line, off centre"
        if self.frame is None or self.region is None or not self.region.any():
            return f"placed elsewhere, {self.route or 'usual frame'}"
        frame = self.frame
        inside = cv2.distanceTransform(np.pad(frame.product.astype(np.uint8), 1), cv2.DIST_L2, 3)[1:-1, 1:-1]
        depth = float(np.median(inside[self.region])) / frame.enlarged
        where = "edge band" if depth <= P.SOFT_EDGE else "inside the carton"
        hand = ", on the hand" if frame.crosses_outline(self.region) else ""
        return f"placed elsewhere, {where}, {self.route}{hand}"


def main(argv: list[str]) -> int:
    args = bench.draw_arguments(__doc__.split("\n")[0], per_product=3).parse_args(argv)
    bench.corpus_or_exit(args.root)
    cv2.setNumThreads(1)
    half_a, _ = bench.halves(p.name for p in (args.root / "grocery").iterdir() if p.is_dir())
    watched = Watched()
    counts: Counter[tuple[str, str, str]] = Counter()
    hits: Counter[tuple[str, str]] = Counter()

    def judged(kind: str) -> Any:
        def on_shelf(painted: bench.PaintedShelf) -> None:
            if painted.defect not in LINES:
                return
            bucket = watched.bucket(painted)
            counts[(bucket, kind, painted.defect)] += 1
            half = "A" if painted.product in half_a else "B"
            hits[(kind, half)] += bucket == "hit"

        return on_shelf

    # The bench's own proposals are skipped: the painted photos are the same, in a fraction of the time.
    bench.proposed = lambda *_: (None, False, None)
    bench.propose = lambda *_, **__: None
    edges = bench.EdgeCopies(np.random.default_rng((args.seed, bench.EDGE_STREAM)), [], on_shelf=judged("edge copies"))
    bench.run(args.root, args.per_product, args.seed, judged("default"), edges)
    columns = [(kind, defect) for kind in ("default", "edge copies") for defect in LINES if (kind, defect) != ("default", "edge tear")]
    print(f"seed {args.seed}: damaged shelf photos of lines, by bucket (default and edge copies)")
    print("| bucket | " + " | ".join(f"{kind}: {defect}" for kind, defect in columns) + " | all |")
    print("|---|" + "---|" * (len(columns) + 1))
    buckets = sorted({bucket for bucket, *_ in counts}, key=lambda b: (b != "hit", -sum(counts[(b, *c)] for c in columns)))
    for bucket in buckets:
        row = [counts[(bucket, *column)] for column in columns]
        print(f"| {bucket} | " + " | ".join(map(str, row)) + f" | {sum(row)} |")
    print("hits by half: " + ", ".join(f"{kind} {half} {hits[(kind, half)]}" for kind in ("default", "edge copies") for half in "AB"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
