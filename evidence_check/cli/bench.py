"""`evidence-check bench`: per-stage milliseconds on real photos, for the speed goals."""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Annotated

import typer

from evidence_check.checks.context import CheckContext
from evidence_check.cli.app import app, fail, load_settings
from evidence_check.engine import now_utc, run_checks
from evidence_check.imaging.load import PhotoError, load_photo
from evidence_check.intake import build_claim
from evidence_check.service import limits_from


@app.command()
def bench(
    photos: Annotated[list[Path], typer.Argument(help="photos to time (e.g. a 12 MP JPEG and a HEIC)")],
    repeat: Annotated[int, typer.Option(min=1, max=1000)] = 10,
) -> None:
    """Print the median milliseconds of each stage: read, open, EXIF, decode, each check."""
    settings = load_settings()
    limits = limits_from(settings)
    now = now_utc()
    claim = build_claim(now=now, time_zone=settings.time_zone, ordered_at="2000-01-02")
    context = CheckContext(settings=settings, now=now)
    for path in photos:
        try:
            data = path.read_bytes()
        except OSError as exc:
            fail(f"{path}: {exc.strerror or exc}")
        samples: dict[str, list[float]] = {}
        for _ in range(repeat):
            started = time.perf_counter()
            try:
                photo = load_photo(data, path.name, limits)
            except PhotoError as exc:
                fail(f"{path}: {exc}")
            run_checks(photo, claim, context)
            total = (time.perf_counter() - started) * 1000
            for stage, ms in photo.timings_ms.items():
                samples.setdefault(stage, []).append(ms)
            samples.setdefault("total", []).append(total)
        # Stages within a check (e.g. integrity.screen_photo) are part of its check.* time already.
        beyond = sum(
            statistics.median(v)
            for k, v in samples.items()
            if k in ("read", "open", "exif") or k.startswith("check.")
        )
        print(
            f"{path.name}: {photo.format} {photo.width}x{photo.height} ({len(data) / 1e6:.1f} MB), median of {repeat}"
        )
        for stage, values in samples.items():
            print(f"  {stage:<20} {statistics.median(values):9.2f} ms")
        print(f"  {'beyond decode':<20} {beyond:9.2f} ms")
