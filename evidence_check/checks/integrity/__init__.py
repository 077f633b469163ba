"""The integrity check: was the photo edited, recaptured, screenshotted, generated — or signed at capture?

Each signal lives in a module of its own here and is documented there:

- `editing`: an editor named in the file, a save time later than the capture, a stale EXIF thumbnail
  -> ``warn``;
- `quiet_edit`: the photo differs from its EXIF thumbnail in one compact region (damage painted by
  an editor that kept the camera's EXIF) -> ``warn``;
- `cloned_region`: a patch of a camera photo repeats another place of it but for the JPEG's
  rounding (a clone stamp) -> ``warn``;
- `jpeg_history`: quantisation-table fingerprint, quality, re-encoding -> details only;
- `screens`: a screenshot (``warn`` for a damage claim, normal for ``not_received``) or a photo of a
  screen (moiré) -> ``warn``;
- `generated`: AI-generation markers -> ``fail`` naming the marker;
- `provenance`: C2PA validated offline: invalid -> ``fail``, trusted -> positive evidence;
- `channel`: chat-app traces that explain missing metadata -> a hint, never a penalty;
- `small_photo`: a photo too small to show damage or an edit -> ``unknown``, never a penalty.

Every module answers in one shape (`signals.Reading`) and is isolated as the checks are: one that
raises becomes its own note ``<module>_unmeasured`` (``unknown``, with the error in details) and the
others still count. The facts every module reads (`signals.Facts`) are not a signal: when they
cannot be read the whole check is an ``error``, as the engine makes it.

The finding's status and code are those of the strongest signal (``fail`` over ``warn``; with
neither, ``unknown`` when a module could not be measured, then positive evidence, then ``unknown``
when the photo is too small to verify, then Content Credentials we could not verify, then a
channel hint, then "no traces"); its score compounds the scores of all ``fail``/``warn`` signals,
held below the reject threshold unless something failed. Every signal's measurements are in
``details`` (``flags`` lists those that count against the photo, ``notes`` those only recorded).
The error-level-analysis picture is not part of the check: it is a view an agent asks for
(`evidence-check ela`), not a verdict.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from evidence_check.checks.context import CheckContext
from evidence_check.checks.integrity import (
    channel,
    cloned_region,
    editing,
    generated,
    jpeg_history,
    provenance,
    quiet_edit,
    screens,
    small_photo,
)
from evidence_check.checks.integrity.signals import Facts, Reader, Reading, Signal
from evidence_check.imaging.load import Photo
from evidence_check.models import Claim, Finding, Status

log = logging.getLogger(__name__)

WARN_SCORE_CAP = 0.6
# Notes worth the summary line when nothing else is to be said: unverifiable provenance.
REPORTED_NOTES = ("c2pa_untrusted", "c2pa_remote")
UNMEASURED = "integrity.unmeasured"
_RANK = {Status.FAIL: 3, Status.WARN: 2}


@dataclass(frozen=True)
class Source:
    """One signal module as the check runs it.

    `name` keys its milliseconds in the photo's timings (``integrity.<name>``, printed by
    `evidence-check bench`); `unless` skips it when a signal of that name was already found; the
    signals of a `hint` source only explain (a channel hint), they never count for or against.
    """

    name: str
    read: Reader
    unless: str | None = None
    hint: bool = False


SOURCES: tuple[Source, ...] = (
    Source("editing", editing.read),
    # A thumbnail that shows another picture altogether says more than any local difference.
    Source("thumbnail_local", quiet_edit.read, unless="thumbnail_mismatch"),
    Source("cloned_region", cloned_region.read),
    Source("jpeg_history", jpeg_history.read),
    Source("screenshot", screens.read_screenshot),
    # A screenshot's interface is periodic by design: moiré is looked for in photos only.
    Source("screen_photo", screens.read_screen_photo, unless="screenshot"),
    Source("generated", generated.read),
    Source("provenance", provenance.read),
    Source("channel", channel.read, hint=True),
    Source("small_photo", small_photo.read),
)


def check(photo: Photo, claim: Claim, context: CheckContext) -> Finding:
    started = time.perf_counter()
    try:
        facts = Facts.of(photo)
    finally:
        _timed(photo, "facts", started)
    found: list[Signal] = []
    hints: list[Signal] = []
    readings: dict[str, Reading] = {}
    for source in SOURCES:
        if source.unless is not None and any(s.name == source.unless for s in found):
            readings[source.name] = Reading()
            continue
        reading, unmeasured = _read(source, photo, claim, facts, context)
        readings[source.name] = reading
        (hints if source.hint else found).extend(reading.signals)
        if unmeasured is not None:
            found.append(unmeasured)

    c2pa = dict(readings["provenance"].details)
    details: dict[str, Any] = {
        "flags": [s.name for s in found if s.status in _RANK],
        "notes": [s.name for s in found if s.status is Status.UNKNOWN],
        "signals": {s.name: dict(s.details) for s in found},
        "camera_exposure": facts.camera,
        "jpeg": dict(readings["jpeg_history"].details),
        "spectrum": dict(readings["screen_photo"].details),
        "c2pa": c2pa,
        "provenance_trusted": c2pa.get("state") == "trusted",
    }
    if readings["thumbnail_local"].details:
        details["thumbnail_local"] = dict(readings["thumbnail_local"].details)
    if readings["cloned_region"].details:
        details["copy_move"] = dict(readings["cloned_region"].details)
    if readings["channel"].details:
        details["channel"] = dict(readings["channel"].details)
    return _finding(found, hints[0] if hints else None, details)


def _read(
    source: Source, photo: Photo, claim: Claim, facts: Facts, context: CheckContext
) -> tuple[Reading, Signal | None]:
    """The source's reading, or an empty one and the note that it could not be measured."""
    started = time.perf_counter()
    try:
        return source.read(photo, claim, facts, context), None
    except Exception as exc:  # isolation: one broken signal must not hide the others
        log.exception("integrity signal %s failed on %s", source.name, photo.image_id)
        reason = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else 'no message'}"[:200]
        params = {"signal": source.name, "error": reason}
        return Reading(), Signal(f"{source.name}_unmeasured", Status.UNKNOWN, 0.0, UNMEASURED, params, params)
    finally:
        _timed(photo, source.name, started)


def _timed(photo: Photo, name: str, started: float) -> None:
    photo.timings_ms[f"integrity.{name}"] = round((time.perf_counter() - started) * 1000, 3)


def _finding(found: list[Signal], hint: Signal | None, details: dict[str, Any]) -> Finding:
    against = [s for s in found if s.status in _RANK]
    if against:
        top = max(against, key=lambda s: (_RANK[s.status], s.score))
        remaining = 1.0
        for signal in against:
            remaining *= 1.0 - signal.score
        score = 1.0 - remaining
        if top.status is not Status.FAIL:
            score = min(score, WARN_SCORE_CAP)
        return Finding(top.status, round(score, 4), top.code, dict(top.params), details, top.next_step)
    unmeasured = [s for s in found if s.code == UNMEASURED]
    if unmeasured:
        params = {
            "signals": ", ".join(s.params["signal"] for s in unmeasured),
            "error": unmeasured[0].params["error"],
        }
        return Finding(Status.UNKNOWN, 0.0, UNMEASURED, params, details)
    positive = [s for s in found if s.status is Status.PASS]
    # Positive evidence (trusted Content Credentials, the screenshot a not-received claim expects)
    # holds at any size; "no traces", a channel hint or an unverified credential on a photo too
    # small to hold traces would say more than was looked at.
    too_small = next((s for s in found if s.name == "too_small"), None)
    if too_small is not None and not positive:
        return Finding(Status.UNKNOWN, 0.0, too_small.code, dict(too_small.params), details, too_small.next_step)
    reported = [s for s in found if s.name in REPORTED_NOTES]
    chosen = positive[0] if positive else reported[0] if reported else hint
    if chosen is not None:
        return Finding(Status.PASS, 0.0, chosen.code, dict(chosen.params), details, chosen.next_step)
    return Finding(Status.PASS, 0.0, "integrity.no_traces", {}, details)
