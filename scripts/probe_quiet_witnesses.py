"""A second witness of a quiet edit: a noiseless region where the thumbnail disagrees. Does it separate?

    .venv/bin/python scripts/probe_quiet_witnesses.py [--corpora ../shared/corpora]

The quiet-edit signal (`imaging/thumbnail_local.py`) misses edits whose trace at thumbnail scale
stays under its threshold; the cloned-region signal (`imaging/copy_move.py`) finds only clones.
This probe measures the witness proposed for painted flat colour and stains on the same cases as
`bench_integrity.py --only quiet-edits` (the corpora's camera JPEGs that carry a thumbnail: each
original, its three edits, five phone re-processings and three honest re-saves; halves A and B by
camera model): the thumbnail comparison's map of disagreement (in noise floors) read at 1.5 floors
instead of 3, its largest region (its mass in floors per 1000 pixels, as `region_mass`), and in that
region the photo's noise — the median of a high-pass residual (pixel minus its 3x3 mean, median
over 5x5) against the same in a ring around it (Mahdian & Saic 2009 measure noise per block
alike). Painted flat colour, or a stain blended over the surface, lacks the noise around it; the
region counts when its noise is at most `NOISELESS` of its ring's.

It prints the largest value any honest case (original, re-processing, re-save) reaches per half and
how many of the edits the shipped signals miss it would add, with a threshold 1.25x the largest
honest value of one half, scored on the other (both directions); and its CPU milliseconds on the
working copy of a 12-megapixel JPEG.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "fixtures"))

from bench_integrity import _twelve_megapixels, quiet_edit_bases  # noqa: E402

from evidence_check.checks import integrity  # noqa: E402
from evidence_check.checks.context import CheckContext  # noqa: E402
from evidence_check.evaluation.quiet_edits import (  # noqa: E402
    EDITS,
    PROCESSINGS,
    RESAVES,
    paint,
    reprocess,
    resave,
)
from evidence_check.imaging import thumbnail_local as local  # noqa: E402
from evidence_check.imaging.jpeg_header import read_jpeg_header  # noqa: E402
from evidence_check.imaging.load import Photo, load_photo  # noqa: E402
from evidence_check.imaging.thumbnail import extract_thumbnail, open_thumbnail  # noqa: E402
from evidence_check.models import Claim, Timeline  # noqa: E402
from evidence_check.settings import Settings  # noqa: E402

SHARES = (0.01, 0.02, 0.03)
MARGIN = 1.25
LOW_FLOORS = 1.5  # the thumbnail map read at this many floors
NOISELESS = 0.5  # a region lacks noise when its residual is at most this share of its ring's


@dataclass(frozen=True)
class Case:
    half: str
    kind: str
    flagged: bool  # a shipped local-edit signal fired (thumbnail_local_edit, cloned_region)
    low_mass: float  # mass of the thumbnail map's largest region at LOW_FLOORS
    noise_ratio: float  # that region's residual against its ring's


def disagreement_map(photo: Photo) -> np.ndarray | None:
    """The thumbnail comparison's disagreement, in floors, on the working copy's pixels (0 outside
    the compared part); None where the comparison is not made."""
    header = read_jpeg_header(photo.data)
    thumbnail = extract_thumbnail(header.exif_tiff) if header and header.exif_tiff else None
    opened = open_thumbnail(thumbnail, photo.orientation, 0) if thumbnail else None
    if opened is None or max(opened[0].size) < local.MIN_SIDE:
        return None
    preview = opened[0]
    shrink = min(1.0, local.COMPARE_SIDE / max(preview.size))
    if shrink < 1.0:
        size = (max(1, round(preview.width * shrink)), max(1, round(preview.height * shrink)))
        preview = preview.resize(size, Image.Resampling.BOX)
    framed = local._frame(
        np.asarray(preview, dtype=np.float32), np.asarray(photo.working.convert("RGB"), dtype=np.uint8)
    )
    if framed is None:
        return None
    thumb, on_thumb, valid, _name, _correlation, crop = framed
    main_rms = local._quantisation_rms(header.qtables if header else None) * thumb.shape[1] / photo.width
    thumb_rms = local._quantisation_rms(local._qtables_of(thumbnail or b""))
    jpeg_floor = local.JPEG_FLOOR_SHARE * math.hypot(thumb_rms * shrink, main_rms)
    excess, floor = local._excess(
        cv2.GaussianBlur(thumb, (0, 0), local.BLUR_SIGMA),
        cv2.GaussianBlur(on_thumb, (0, 0), local.BLUR_SIGMA),
        valid,
        jpeg_floor,
        local.ENVELOPE,
    )
    ratio = np.where(valid, excess / floor, 0.0).astype(np.float32)
    width, height = photo.working.size
    x0, y0 = round(crop[0] * width), round(crop[1] * height)
    x1, y1 = round(crop[2] * width), round(crop[3] * height)
    full = np.zeros((height, width), np.float32)
    full[y0:y1, x0:x1] = cv2.resize(ratio, (x1 - x0, y1 - y0), interpolation=cv2.INTER_NEAREST)
    return full


def noiseless_where_disagreeing(photo: Photo) -> tuple[float, float]:
    """The mass of the thumbnail map's largest region at LOW_FLOORS, and its noise ratio."""
    ratio = disagreement_map(photo)
    if ratio is None:
        return 0.0, 1.0
    count, labels, stats, _ = cv2.connectedComponentsWithStats((ratio > LOW_FLOORS).astype(np.uint8), 8)
    if count <= 1:
        return 0.0, 1.0
    excess = np.maximum(ratio - LOW_FLOORS, 0.0)
    masses = np.bincount(labels.ravel(), weights=excess.ravel(), minlength=count)[1:]
    largest = 1 + int(np.argmax(masses))
    region = labels == largest
    _, _, bw, bh, _ = (int(v) for v in stats[largest])
    grey = np.asarray(photo.working.convert("L"), dtype=np.float32)
    residual = np.abs(grey - cv2.blur(grey, (3, 3)))
    noise = cv2.medianBlur(np.clip(residual * 8, 0, 255).astype(np.uint8), 5).astype(np.float32) / 8
    ring_kernel = np.ones((2 * max(3, bh // 2) + 1, 2 * max(3, bw // 2) + 1), np.uint8)
    ring = cv2.dilate(region.astype(np.uint8), ring_kernel).astype(bool) & ~region
    if not ring.any():
        return float(masses.max()) * 1000 / ratio.size, 1.0
    noise_ratio = (float(np.median(noise[region])) + 0.25) / (float(np.median(noise[ring])) + 0.25)
    return float(masses.max()) * 1000 / ratio.size, noise_ratio


def cases(corpora: Path) -> list[Case]:
    context = CheckContext(settings=Settings(), now=datetime.now(UTC))
    claim = Claim(claim_id="probe", timeline=Timeline())
    found: list[Case] = []
    for index, path, data, _original, half in quiet_edit_bases(corpora, context, claim):
        variants: list[tuple[str, bytes]] = [("original", data)]
        variants += [
            (kind, paint(data, kind, index * 10 + k, SHARES[(index + k) % 3])) for k, kind in enumerate(EDITS)
        ]
        variants += [(kind, reprocess(data, kind)) for kind in PROCESSINGS]
        variants += [(kind, again) for kind in RESAVES if (again := resave(data, kind)) is not None]
        for kind, variant in variants:
            seen = load_photo(variant, path.name)
            finding = integrity.check(seen, claim, context)
            low_mass, noise_ratio = noiseless_where_disagreeing(seen)
            found.append(
                Case(
                    half,
                    kind,
                    bool({"thumbnail_local_edit", "cloned_region"} & set(finding.details.get("flags", []))),
                    low_mass,
                    noise_ratio,
                )
            )
    return found


WITNESSES = {
    f"thumbnail map at {LOW_FLOORS} floors, region lacking noise (<= {NOISELESS} of its ring)": lambda c: (
        c.low_mass if c.noise_ratio <= NOISELESS else 0.0
    ),
}


def report(found: list[Case]) -> None:
    edits = [c for c in found if c.kind in EDITS]
    honest = [c for c in found if c.kind not in EDITS]
    missed = [c for c in edits if not c.flagged]
    print(f"cases: {len(edits)} edits ({len(edits) - len(missed)} flagged today), {len(honest)} honest\n")
    print(
        "| witness | fitted on | largest honest | threshold | scored on | missed edits it adds | of which clone/scratch/stain | honest flagged |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, value in WITNESSES.items():
        for fit, score in (("A", "B"), ("B", "A")):
            largest = max(value(c) for c in honest if c.half == fit)
            threshold = MARGIN * largest if largest > 0 else 1e-9
            added = [c for c in missed if c.half == score and value(c) >= threshold]
            wrong = sum(value(c) >= threshold for c in honest if c.half == score)
            kinds = "/".join(str(sum(c.kind == k for c in added)) for k in ("clone", "scratch", "stain"))
            held = [c for c in edits if c.half == score]
            print(
                f"| {name} | {fit} | {largest:.1f} | {threshold:.1f} | {score} | {len(added)} of "
                f"{sum(c.half == score for c in missed)} (flagged {sum(c.flagged for c in held) + len(added)}/{len(held)}) "
                f"| {kinds} | {wrong}/{sum(c.half == score for c in honest)} |"
            )
    print("\nlargest honest values, all halves:")
    for name, value in WITNESSES.items():
        top = sorted(((value(c), c.kind) for c in honest), reverse=True)[:3]
        print(f"- {name}: " + ", ".join(f"{v:.1f} ({k})" for v, k in top))
        values = sorted((value(c), c.kind) for c in missed)
        print("  missed edits: " + ", ".join(f"{v:.0f} {k}" for v, k in values))


def cost() -> None:
    photo = load_photo(_twelve_megapixels(), "IMG_20261115_093000.jpg")
    for name, run in (("thumbnail map + noise", lambda: noiseless_where_disagreeing(photo)),):
        times = []
        for _ in range(7):
            started = time.process_time()
            run()
            times.append((time.process_time() - started) * 1000)
        print(
            f"- {name}: {statistics.median(times):.1f} ms CPU (median of 7, working copy {photo.working.size})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", type=Path, default=ROOT.parent / "shared" / "corpora")
    args = parser.parse_args()
    report(cases(args.corpora))
    print("\nCPU on the working copy of a 12-megapixel JPEG:")
    cost()


if __name__ == "__main__":
    main()
