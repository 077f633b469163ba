"""Why the quiet-edit signal misses edits of photos hardly larger than their EXIF preview.

    .venv/bin/python scripts/probe_small_quiet_edits.py [--corpora ../shared/corpora] [--dump DIR]

The cases are those of `bench_integrity.py --only quiet-edits` (same edits, shares and seeds) on
the corpora's camera JPEGs (capture tags recorded, the preview not already `thumbnail_mismatch`) whose longest side is at most `SMALL` times their preview's (the exif-py
samples resized to about 100x75 with the camera's 75x56 preview kept). For every edit the shipped
signals do not flag, it prints what the preview could show: the pixels the edit changes at the
compared size by more than one noise floor, the residual of the edited photo against its tone
prediction there (per pixel, no neighbourhood envelope; median, 90th percentile, largest), the
same residual of the untouched photo over the whole frame (99th, 99.5th percentile, largest), and
how many of the edit's pixels lie above the untouched photo's largest and 99.5th percentile: where
they do, the preview holds the edit and the measure is what loses it.

With --dump, each miss is written as one PNG, six panels at 6x: the preview, the photo framed onto
it, the edit at the compared size (|edited - untouched|, x2), |photo - preview| (x3), the shipped
disagreement in floors (x25) and the mask of judged pixels.
"""

from __future__ import annotations

import argparse
import math
import sys
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from evidence_check.checks import integrity  # noqa: E402
from evidence_check.checks.context import CheckContext  # noqa: E402
from evidence_check.checks.integrity.signals import CAPTURE_TAGS  # noqa: E402
from evidence_check.evaluation.quiet_edits import EDITS, camera_jpegs, paint  # noqa: E402
from evidence_check.imaging import thumbnail_local as local  # noqa: E402
from evidence_check.imaging.jpeg_header import read_jpeg_header  # noqa: E402
from evidence_check.imaging.load import PhotoError, load_photo  # noqa: E402
from evidence_check.imaging.thumbnail import extract_thumbnail, open_thumbnail  # noqa: E402
from evidence_check.models import Claim, Timeline  # noqa: E402
from evidence_check.settings import Settings  # noqa: E402

SMALL = 1.6  # photo's longest side over its preview's, at most
SHARES = (0.01, 0.02, 0.03)  # as bench_integrity's QUIET_SHARES
LOCAL_EDIT = {"thumbnail_local_edit", "cloned_region"}


class Compared:
    """The shipped comparison's stages on one file, at the preview's size."""

    def __init__(self, data: bytes, name: str) -> None:
        photo = load_photo(data, name)
        header = read_jpeg_header(data)
        assert header is not None and header.exif_tiff
        thumbnail = extract_thumbnail(header.exif_tiff)
        assert thumbnail is not None
        opened = open_thumbnail(thumbnail, photo.orientation, 0)
        assert opened is not None
        preview = np.asarray(opened[0], dtype=np.float32)
        framed = local._frame(preview, np.asarray(photo.working.convert("RGB"), dtype=np.uint8))
        assert framed is not None
        self.thumb, self.photo, self.valid = framed[0], framed[1], framed[2]
        main_rms = local._quantisation_rms(header.qtables) * self.thumb.shape[1] / photo.width
        thumb_rms = local._quantisation_rms(local._qtables_of(thumbnail))
        jpeg_floor = local.JPEG_FLOOR_SHARE * math.hypot(thumb_rms, main_rms)
        smooth_thumb = cv2.GaussianBlur(self.thumb, (0, 0), local.BLUR_SIGMA)
        smooth_photo = cv2.GaussianBlur(self.photo, (0, 0), local.BLUR_SIGMA)
        self.shipped, self.floor = local._excess(
            smooth_thumb, smooth_photo, self.valid, jpeg_floor, local.ENVELOPE
        )
        self.per_pixel, _ = local._excess(smooth_thumb, smooth_photo, self.valid, jpeg_floor, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", type=Path, default=ROOT.parent / "shared" / "corpora")
    parser.add_argument("--dump", type=Path, help="write each miss's maps as a PNG here")
    args = parser.parse_args()
    context = CheckContext(settings=Settings(), now=datetime.now(UTC))
    claim = Claim(claim_id="probe", timeline=Timeline())
    print("| photo | edit | floor | edit's pixels | their residual p50/p90/max | untouched p99/p99.5/max "
          "| above untouched max | above its p99.5 |")
    print("|---|---|---|---|---|---|---|---|")
    for index, path in enumerate(camera_jpegs(args.corpora)):
        data = path.read_bytes()
        try:
            photo = load_photo(data, path.name)
            untouched = Compared(data, path.name)
        except (PhotoError, AssertionError):
            continue
        if max(photo.width, photo.height) > SMALL * max(untouched.thumb.shape[:2]):
            continue
        original = integrity.check(photo, claim, context).details
        camera = any(photo.metadata.exif.get(tag) not in (None, "", 0) for tag in CAPTURE_TAGS)
        if "thumbnail_mismatch" in original["flags"] or not camera:
            continue  # as the bench: the whole preview disagrees already, or no camera exposure
        for k, kind in enumerate(EDITS):
            share = SHARES[(index + k) % 3]
            edited_data = paint(data, kind, index * 10 + k, share)
            flags = set(integrity.check(load_photo(edited_data, path.name), claim, context).details["flags"])
            if flags & LOCAL_EDIT:
                continue
            edited = Compared(edited_data, path.name)
            if edited.photo.shape != untouched.photo.shape:
                continue
            change = np.abs(edited.photo - untouched.photo).max(axis=2)
            inside = (change > edited.floor) & edited.valid & untouched.valid
            theirs = edited.per_pixel[inside]  # grey levels
            base = untouched.per_pixel[untouched.valid]
            p99, p995, top = np.percentile(base, 99), np.percentile(base, 99.5), base.max()
            print(
                f"| {path.name} | {kind} {share:.0%} | {edited.floor:.1f} | {int(inside.sum())} "
                f"| {np.median(theirs):.0f}/{np.percentile(theirs, 90):.0f}/{theirs.max():.0f} "
                f"| {p99:.0f}/{p995:.0f}/{top:.0f} | {int((theirs > top).sum())} | {int((theirs > p995).sum())} |"
            )
            if args.dump:
                _dump(args.dump / f"{path.stem}_{kind}.png", edited, change)


def _dump(target: Path, edited: Compared, change: np.ndarray) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    ratio = np.where(edited.valid, edited.shipped / edited.floor, 0.0)
    grey = [change * 2, np.abs(edited.photo - edited.thumb).max(axis=2) * 3, ratio * 25, edited.valid * 255.0]
    panels = [edited.thumb, edited.photo] + [np.repeat(g[..., None], 3, axis=2) for g in grey]
    scaled = [cv2.resize(p.astype(np.float32), None, fx=6, fy=6, interpolation=cv2.INTER_NEAREST) for p in panels]
    Image.fromarray(np.clip(np.concatenate(scaled, axis=1), 0, 255).astype(np.uint8)).save(target)


if __name__ == "__main__":
    main()
