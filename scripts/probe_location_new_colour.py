"""Whether a shelf photo's defect is where the photo shows a colour the catalog image lacks *near* it
(docs/measurements/location.md, nineteenth round).

    .venv/bin/python scripts/probe_location_new_colour.py [CORPUS] [--seed N] [--per-product 3] [--tolerant | --synthetic]

Runs `bench_location.py`'s draw unchanged and, on every damaged shelf photo the look compares (in the
frame a small photo is compared in, as `propose` makes it: the aligned part only when it is declined
whole), measures the *new colour* map: for each compared pixel, the distance from the photo's colour
(the colour cast removed; lightness as a ratio to its own smooth version, weighted `w`) to the nearest
catalog colour within `r` usual-frame pixels around it — the exact nearest (min over every shift of the
disc) and the cheap per-channel envelope (the catalog's min and max around it, `_beyond_neighbours`).
Misregistered print finds its colour near; a stain, a tear's dark line or a dent's darkened print do not.
Prints, by half (A/B as the bench splits products) and defect:
- `peak in box`: the map's peak, smoothed at the marks' placing scale or the soft blobs', lies in the
  painted box, against today's two placing maps (the marks, the soft blobs) on the same photos;
- `grown`: the map's peak grown on it (share of the peak, as the look grows) at IoU >= 0.5;
- `look`: the look's own proposal; `factor`: the look with the new colour (over its highest, to a power)
  as a factor on its placing map.
`--tolerant`: the soft blobs of the photo's colour less the nearest catalog colour (a change vector that
tolerates misregistration) in place of the soft blobs: their peak, and the look with them.
`--synthetic`: on the damaged synthetic photos (the usual frame), the peak of the structure map (the
look's placing) and of each new-colour map in the painted box.
About 15 minutes a draw on 2 shared cores (the exact maps cost 45 ms a photo, the tolerant change 210 ms).
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_location as bench  # noqa: E402

from evidence_check.catalog import matching  # noqa: E402
from evidence_check.catalog.photo import photo_features  # noqa: E402
from evidence_check.checks.location import proposal as P  # noqa: E402
from evidence_check.checks.location.geometry import bounding_box, project  # noqa: E402
from evidence_check.checks.relevance import rules  # noqa: E402
from evidence_check.imaging import colour  # noqa: E402
from evidence_check.imaging.load import load_photo  # noqa: E402

RADII = (2, 4, 6)  # usual-frame pixels: the catalog colours looked for around a photo pixel
LIGHTNESS_WEIGHTS = (0.0, 0.25, 1.0)  # of the lightness ratio's (squared) distance, in Lab-like units
SHARES = (0.2, 0.35, 0.5)  # the grown region's share of its peak
FACTOR_POWERS = (0.5, 1.0)  # the new colour (over its highest) to this power times the look's placing map


def shelf_frame(features: Any, match: Any) -> P._Frame | str | None:
    """The frame `propose` compares a small photo in, restricted as it restricts it; 'declined' or
    'usual' when it does not reach that frame, None when it compares nothing."""
    homography = match.homography_full
    detail = colour.detail_rgb(match.image.detail)
    usual = P._Frame(features, match, homography, detail, P.COMPARE_SIDE)
    if usual.product.sum() < P.MIN_PRODUCT:
        return None
    framed_part = None
    if usual.alignment() < P.ALIGNMENT_MIN:
        part = usual.aligned_part()
        if float(part.sum()) / float(usual.product.sum()) < P.ALIGNED_SHARE_MIN or part.sum() < P.MIN_PRODUCT:
            return "declined"
        framed_part = usual.framed(part)
    side = P._compare_side(features, match, homography)
    if side == P.COMPARE_SIDE:
        return "usual"
    frame = P._Frame(features, match, homography, detail, side)
    if framed_part is not None:
        frame.restrict(framed_part)
    return frame


def new_colour_maps(frame: P._Frame) -> dict[str, np.ndarray]:
    """The new-colour maps by name (`exact r w`, `envelope r w`), in window pixels, 0 off the product."""
    product = frame.product
    shift = P._medians(frame.photo_lab, product, (1, 2)) - P._medians(frame.shop_lab, product, (1, 2))
    photo_light, shop_light = (100 * plane for plane in frame._relative_lightness)
    photo = [photo_light] + [frame.photo_lab[..., i + 1].astype(np.float32) - shift[i] for i in range(2)]
    shop = [shop_light] + [frame.shop_lab[..., i + 1].astype(np.float32) for i in range(2)]
    reaches = [max(1, round(r * frame.enlarged)) for r in RADII]
    most = max(reaches)
    padded = [cv2.copyMakeBorder(s, most, most, most, most, cv2.BORDER_REFLECT) for s in shop]
    height, width = product.shape
    nearest = {(r, w): np.full((height, width), np.inf, np.float32) for r in reaches for w in LIGHTNESS_WEIGHTS}
    for dy in range(-most, most + 1):
        for dx in range(-most, most + 1):
            distance = dy * dy + dx * dx
            if distance > most * most:
                continue
            moved = [p[most + dy : most + dy + height, most + dx : most + dx + width] for p in padded]
            chroma = (photo[1] - moved[1]) ** 2 + (photo[2] - moved[2]) ** 2
            light = (photo[0] - moved[0]) ** 2
            for r in reaches:
                if distance <= r * r:
                    for w in LIGHTNESS_WEIGHTS:
                        np.minimum(nearest[r, w], chroma + w * light, out=nearest[r, w])
    glare = frame.photo_lab[..., 0] >= P.GLARE_L
    maps: dict[str, np.ndarray] = {}
    for (r, w), squared in nearest.items():
        usual_r = RADII[reaches.index(r)]
        maps[f"exact r{usual_r} w{w}"] = np.where(product & ~glare, np.sqrt(squared), 0).astype(np.float32)
    for usual_r, r in zip(RADII, reaches, strict=True):
        gaps = [P._beyond_neighbours(p, s, r) for p, s in zip(photo, shop, strict=True)]
        for w in LIGHTNESS_WEIGHTS:
            total = np.sqrt(gaps[1] ** 2 + gaps[2] ** 2 + w * gaps[0] ** 2)
            maps[f"envelope r{usual_r} w{w}"] = np.where(product & ~glare, total, 0).astype(np.float32)
    return maps


def tolerant_changes(frame: P._Frame) -> dict[str, np.ndarray]:
    """The photo's colour less the nearest catalog colour within `r` (cast removed; lightness as the
    ratio `new_colour_maps` takes, weighted `w`): a change vector per pixel, by name (`r w`), 0 where
    misregistered print finds its colour near."""
    product = frame.product
    shift = P._medians(frame.photo_lab, product, (1, 2)) - P._medians(frame.shop_lab, product, (1, 2))
    photo_light, shop_light = (100 * plane for plane in frame._relative_lightness)
    photo = np.dstack([photo_light] + [frame.photo_lab[..., i + 1].astype(np.float32) - shift[i] for i in range(2)])
    shop = np.dstack([shop_light] + [frame.shop_lab[..., i + 1].astype(np.float32) for i in range(2)])
    reaches = [max(1, round(r * frame.enlarged)) for r in RADII]
    most = max(reaches)
    padded = cv2.copyMakeBorder(shop, most, most, most, most, cv2.BORDER_REFLECT)
    height, width = product.shape
    weights = [w for w in LIGHTNESS_WEIGHTS if w > 0]
    best = {(r, w): np.full((height, width), np.inf, np.float32) for r in reaches for w in weights}
    change = {key: np.zeros((height, width, 3), np.float32) for key in best}
    for dy in range(-most, most + 1):
        for dx in range(-most, most + 1):
            distance = dy * dy + dx * dx
            if distance > most * most:
                continue
            apart = photo - padded[most + dy : most + dy + height, most + dx : most + dx + width]
            squared = apart * apart
            chroma, light = squared[..., 1] + squared[..., 2], squared[..., 0]
            for r in reaches:
                if distance <= r * r:
                    for w in weights:
                        total = chroma + w * light
                        nearer = total < best[r, w]
                        best[r, w][nearer] = total[nearer]
                        change[r, w][nearer] = apart[nearer]
    glare = (frame.photo_lab[..., 0] >= P.GLARE_L) | ~product
    out = {}
    for (r, w), vector in change.items():
        vector[..., 0] *= np.sqrt(w)
        vector[glare] = 0
        out[f"r{RADII[reaches.index(r)]} w{w}"] = vector
    return out


def blobs_of(frame: P._Frame, change: np.ndarray) -> np.ndarray:
    """`_Frame.soft_blobs` of another change (a vector per pixel) than the photo's less the catalog's."""
    original = (frame.photo_lab, frame.shop_lab)
    frame.photo_lab, frame.shop_lab = change, np.zeros_like(change)
    try:
        return frame.soft_blobs()
    finally:
        frame.photo_lab, frame.shop_lab = original


def measure_tolerant(features: Any, match: Any, size: tuple[int, int], truth: list[int]) -> dict[str, Any] | str | None:
    """The soft blobs of the change that tolerates misregistration (`tolerant_changes`) against the
    soft blobs of today: their peak in the painted box, and the look with them in place of the soft blobs."""
    frame = shelf_frame(features, match)
    if not isinstance(frame, P._Frame):
        return frame
    to_photo = match.homography_full @ frame.to_catalog
    top, inside = frame.below_top(), frame.inside(P.SOFT_EDGE)
    out: dict[str, Any] = {}
    place = peak(frame.soft_blobs() * top * inside, frame.product)
    out["peak soft blobs"] = place is not None and in_box(frame, place, truth, to_photo)
    out["route"], out["look"] = the_look(frame, to_photo, size, truth)
    today = frame.soft_blobs
    for name, change in tolerant_changes(frame).items():
        blobs = blobs_of(frame, change)
        place = peak(blobs * top * inside, frame.product)
        out[f"peak tolerant blobs {name}"] = place is not None and in_box(frame, place, truth, to_photo)
        frame.soft_blobs = lambda blobs=blobs: blobs  # type: ignore[method-assign]
        least, P.SOFT_LEAST = P.SOFT_LEAST, 0.0  # the floor is in units of the change itself, which these shrink
        try:
            out[f"look, tolerant blobs {name}"] = the_look(frame, to_photo, size, truth)[1]
            out[f"soft route always, tolerant blobs {name}"] = the_look(frame, to_photo, size, truth, soft_always=True)[1]
        finally:
            frame.soft_blobs = today  # type: ignore[method-assign]
            P.SOFT_LEAST = least
    out["soft route always"] = the_look(frame, to_photo, size, truth, soft_always=True)[1]
    return out


def in_box(frame: P._Frame, place: tuple[int, int], truth: list[int], to_photo: np.ndarray) -> bool:
    y, x = place
    point = project([[x + frame.window[1].start + 0.5, y + frame.window[0].start + 0.5]], to_photo)[0]
    return truth[0] <= point[0] < truth[0] + truth[2] and truth[1] <= point[1] < truth[1] + truth[3]


def peak(placing: np.ndarray, product: np.ndarray) -> tuple[int, int] | None:
    placing = np.where(product, placing, -np.inf)
    y, x = np.unravel_index(int(np.argmax(placing)), placing.shape)
    return (int(y), int(x)) if placing[y, x] > 0 else None


def box_iou(frame: P._Frame, region: np.ndarray | None, to_photo: np.ndarray, size: tuple[int, int], truth: list[int]) -> float:
    if region is None or not region.any():
        return 0.0
    box = bounding_box(project(P._region_outline(region, frame.window), to_photo), *size)
    return 0.0 if box is None else bench.iou(box, truth)


def the_look(
    frame: P._Frame, to_photo: np.ndarray, size: tuple[int, int], truth: list[int], factor: np.ndarray | float = 1.0, soft_always: bool = False
) -> tuple[str, float]:
    """`propose`'s small-photo route (the marks or the soft blobs, a dent's shading first), its placing
    map times `factor`: the route and the IoU."""
    sizing, sigma, share = np.maximum(frame.new_marks_z(), 0), P.MARKS_SIGMA * frame.enlarged, P.GROW_SHARE
    placing = frame.blurred(sizing, P.PLACE_SIGMA * frame.enlarged) * frame.below_top()
    inside = frame.inside(P.SOFT_EDGE)
    soft = bool(inside.any()) and (soft_always or float((placing * inside).max()) < P.SOFT_MARKS)
    route = "marks"
    if soft:
        route = "soft"
        sizing, sigma, share = frame.soft_blobs(), frame.enlarged, P.SOFT_SHARE
        placing = sizing * frame.below_top() * inside
        if float(placing.max()) < P.SOFT_LEAST:
            return route, 0.0
    placing = placing * factor
    region = frame.dent_shading()
    if region is not None:
        soft, route = True, "dent"
    elif soft:
        region = P._soft_region(frame, sizing, placing)
    else:
        region = P._grown_region(sizing, sigma, placing, frame.product, frame.enlarged, share)
    if region is None:
        return route, 0.0
    if not soft:
        region = P._shading_pair(region, frame)
    return route, box_iou(frame, region, to_photo, size, truth)


def measure_usual(features: Any, match: Any, truth: list[int]) -> dict[str, bool] | None:
    """A large photo's (compared in the usual frame, as the synthetic ones): whether the peak of the
    look's placing map (the structure difference) and of each new-colour map lies in the painted box."""
    detail = colour.detail_rgb(match.image.detail)
    frame = P._Frame(features, match, match.homography_full, detail, P.COMPARE_SIDE)
    if frame.product.sum() < P.MIN_PRODUCT or P._compare_side(features, match, match.homography_full) != P.COMPARE_SIDE:
        return None
    to_photo = match.homography_full @ frame.to_catalog
    out = {}
    place = peak(frame.blurred(frame.structure_z(), P.PLACE_SIGMA), frame.product)
    out["peak structure"] = place is not None and in_box(frame, place, truth, to_photo)
    for name, change in new_colour_maps(frame).items():
        place = peak(frame.blurred(change, P.PLACE_SIGMA), frame.product)
        out[f"peak {name}"] = place is not None and in_box(frame, place, truth, to_photo)
    return out


def measure(features: Any, match: Any, size: tuple[int, int], truth: list[int]) -> dict[str, Any] | str | None:
    frame = shelf_frame(features, match)
    if not isinstance(frame, P._Frame):
        return frame
    to_photo = match.homography_full @ frame.to_catalog
    product, top = frame.product, frame.below_top()
    inside = frame.inside(P.SOFT_EDGE)
    marks_scale, soft_scale = P.PLACE_SIGMA * frame.enlarged, frame.soft_scale
    out: dict[str, Any] = {}
    marks = np.maximum(frame.new_marks_z(), 0)
    marks_placing = frame.blurred(marks, marks_scale) * top
    soft_placing = frame.soft_blobs() * top * inside
    for name, placing in (("marks", marks_placing), ("marks inside", marks_placing * inside), ("soft blobs", soft_placing)):
        place = peak(placing, product)
        out[f"peak {name}"] = place is not None and in_box(frame, place, truth, to_photo)
    route, out["look"] = the_look(frame, to_photo, size, truth)
    out["route"] = route
    for name, change in new_colour_maps(frame).items():
        for scale_name, scale in (("marks scale", marks_scale), ("soft scale", soft_scale)):
            placing = frame.blurred(change, scale) * top * inside
            place = peak(placing, product)
            out[f"peak {name} {scale_name}"] = place is not None and in_box(frame, place, truth, to_photo)
            if not name.startswith("exact") or place is None:
                continue
            for share in SHARES:
                region = P._grown_region(change, P.MARKS_SIGMA * frame.enlarged, placing, product, frame.enlarged, share)
                out[f"grown {name} {scale_name} {share}"] = box_iou(frame, region, to_photo, size, truth)
            whole = np.maximum(frame.blurred(change, scale), 0)  # the edge band kept: the factor alone is measured
            for power in FACTOR_POWERS:
                factor = (whole / max(float(whole[product].max()), 1e-6)) ** power
                out[f"factor {name} {scale_name} {power}"] = the_look(frame, to_photo, size, truth, factor)[1]
    return out


def main(argv: list[str]) -> int:
    parser = bench.draw_arguments(__doc__.split("\n")[0], per_product=3)
    parser.add_argument(
        "--tolerant", action="store_true", help="the soft blobs of the change that tolerates misregistration instead"
    )
    parser.add_argument("--synthetic", action="store_true", help="the maps' peaks on the damaged synthetic photos instead")
    args = parser.parse_args(argv)
    root = args.root
    bench.corpus_or_exit(root)
    cv2.setNumThreads(1)
    half_a, _ = bench.halves(p.name for p in (root / "grocery").iterdir() if p.is_dir())
    rows: list[tuple[str, str, dict[str, Any]]] = []
    counts: dict[str, int] = defaultdict(int)

    def half(product: str) -> str:
        return "A" if product in half_a else "B"

    def on_shelf(painted: bench.PaintedShelf) -> None:
        damaged = load_photo(bench.jpeg(painted.damaged, "damaged"), "damaged.jpg")
        features = photo_features(damaged)
        match = matching.best_match(features, [painted.image])
        if match is None or match.homography_full is None or match.inliers < rules.PASS_INLIERS:
            counts["not matched"] += 1
            return
        got = (measure_tolerant if args.tolerant else measure)(features, match, (damaged.width, damaged.height), painted.truth)
        if isinstance(got, dict):
            rows.append((half(painted.product), painted.defect, got))
        else:
            counts[str(got)] += 1

    if args.synthetic:
        # The bench hands on only its shelf photos: its painter and its proposal are watched for the
        # synthetic ones' truth and match (the damaged photo is proposed first, then its undamaged copy).
        seen: dict[str, Any] = {}
        paint, one_photo, propose = bench.paint, bench.one_photo, bench.propose

        def painting(rng: Any, image: np.ndarray, kind: str, centre: Any, size: float) -> Any:
            seen.update(truth=paint(rng, image, kind, centre, size), defect=kind)
            return seen["truth"]

        def photographing(rng: Any, product: str, kind: str, *rest: Any, **named: Any) -> Any:
            seen.update(kind=kind, proposals=0, product=product)
            return one_photo(rng, product, kind, *rest, **named)

        def proposing(features: Any, match: Any, size: tuple[int, int], working: Any = None) -> Any:
            seen["proposals"] += 1
            if seen["kind"] == "synthetic" and seen["proposals"] == 1:
                got = measure_usual(features, match, seen["truth"])
                if got is not None:
                    rows.append((half(seen["product"]), seen["defect"], got))
            return propose(features, match, size, working)

        bench.paint, bench.one_photo, bench.propose = painting, photographing, proposing
        bench.run(root, args.per_product, args.seed)
    else:
        bench.run(root, args.per_product, args.seed, on_shelf)
    print(report(rows, counts))
    return 0


def report(rows: list[tuple[str, str, dict[str, Any]]], counts: dict[str, int]) -> str:
    """Counts by half and defect of every measure (a peak in the box, or IoU >= 0.5)."""
    defects = ("tear", "scratch", "stain", "dent")
    lines = [f"compared photos A {sum(h == 'A' for h, _, _ in rows)} B {sum(h == 'B' for h, _, _ in rows)}; not compared {dict(counts)}"]
    lines.append("measure | A: all tear scratch stain dent | B: all tear scratch stain dent")
    for key in (k for k in rows[0][2] if k != "route") if rows else ():
        cells = []
        for half in "AB":
            mine = [(d, r[key]) for h, d, r in rows if h == half and key in r]
            hit = [d for d, v in mine if (v is True) or (not isinstance(v, bool) and v >= 0.5)]
            cells.append(" ".join([str(len(hit))] + [str(hit.count(d)) for d in defects]))
        lines.append(f"{key} | {cells[0]} | {cells[1]}")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
