"""`evidence-check bench`: per-stage milliseconds on real photos, for the speed goals."""

from __future__ import annotations

import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import cv2
import typer

from evidence_check.checks.context import CheckContext
from evidence_check.cli.app import app, fail, load_settings
from evidence_check.engine import now_utc, run_checks
from evidence_check.imaging.load import Limits, PhotoError, load_photo
from evidence_check.intake import build_claim
from evidence_check.measure import Measurements
from evidence_check.models import Claim
from evidence_check.references import references_for, stored_print
from evidence_check.service import limits_from
from evidence_check.store import Store

# Stages timed inside another one: listed, but not added to "beyond decode" twice.
_INSIDE = ("integrity.", "reuse.hashes", "reuse.lookup", "reuse.verify")


@app.command()
def bench(
    photos: Annotated[list[Path], typer.Argument(help="photos to time (e.g. a 12 MP JPEG and a HEIC)", readable=False)],
    repeat: Annotated[int, typer.Option(min=1, max=1000)] = 10,
    reuse_copy: Annotated[
        bool,
        typer.Option(
            help="the reuse look finds an earlier copy of the photo and verifies it by keypoints "
            "(--no-reuse-copy: nothing found, the cheapest case)"
        ),
    ] = True,
) -> None:
    """Print the median milliseconds of each stage: read, open, EXIF, decode, each check, recording.

    The reuse look runs against a temporary store, as the server runs it (OpenCV single-threaded);
    `reuse.record` is what recording the photo's fingerprint adds (crop codes, keypoints).
    """
    settings = load_settings()
    limits = limits_from(settings)
    now = now_utc()
    claim = build_claim(now=now, time_zone=settings.time_zone, ordered_at="2000-01-02")
    cv2.setNumThreads(1)
    with tempfile.TemporaryDirectory() as folder:
        store = Store(f"sqlite:///{folder}/bench.sqlite3")
        try:
            references = references_for(store)
            context = CheckContext(settings=settings, now=now, references=references)
            for path in photos:
                try:
                    data = path.read_bytes()
                except OSError as exc:
                    fail(f"{path}: {exc.strerror or exc}")
                if reuse_copy:
                    try:
                        copy = load_photo(data, path.name, limits)
                    except PhotoError as exc:
                        fail(f"{path}: {exc}")
                    references.add(
                        claim.tenant, "stock", f"copy of {path.name}", copy, now - timedelta(days=1)
                    )
                _time(path, data, repeat, claim, context, limits, settings.reuse_keep_features)
        finally:
            store.close()


def _time(
    path: Path,
    data: bytes,
    repeat: int,
    claim: Claim,
    context: CheckContext,
    limits: Limits,
    keep_features: bool,
) -> None:
    samples: dict[str, list[float]] = {}
    for _ in range(repeat):
        started = time.perf_counter()
        try:
            photo = load_photo(data, path.name, limits)
        except PhotoError as exc:
            fail(f"{path}: {exc}")
        measured = Measurements(photo)
        findings = run_checks(photo, claim, context, measured=measured)
        with measured.timed("reuse.record"):
            stored_print(measured.fingerprint, keep_features)
        total = (time.perf_counter() - started) * 1000
        for stage, ms in photo.timings_ms.items():
            samples.setdefault(stage, []).append(ms)
        samples.setdefault("total", []).append(total)
    beyond = sum(
        statistics.median(v)
        for k, v in samples.items()
        if k in ("read", "open", "exif") or (k.startswith(("check.", "reuse.")) and not k.startswith(_INSIDE))
    )
    reuse = findings["reuse"]
    print(
        f"{path.name}: {photo.format} {photo.width}x{photo.height} ({len(data) / 1e6:.1f} MB), median of {repeat}"
    )
    for stage, values in samples.items():
        inside = "  (in check.reuse)" if stage.startswith(_INSIDE[1:]) else ""
        print(f"  {stage:<20} {statistics.median(values):9.2f} ms{inside}")
    print(f"  {'beyond decode':<20} {beyond:9.2f} ms")
    reuse_ms = statistics.median(samples["check.reuse"]) + statistics.median(samples["reuse.record"])
    print(
        f"  {'reuse, check+record':<20} {reuse_ms:9.2f} ms  ({reuse.code}, {len(reuse.details.get('matches', []))} match)"
    )
