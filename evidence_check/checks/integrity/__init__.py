"""The integrity check: was the photo edited, recaptured, screenshotted, generated — or signed at capture?

Each signal lives in a module of its own here and is documented there:

- `editing`: an editor named in the file, a save time later than the capture, a stale EXIF thumbnail
  -> ``warn``;
- `jpeg_history`: quantisation-table fingerprint, quality, re-encoding -> details only;
- `screens`: a screenshot (``warn`` for a damage claim, normal for ``not_received``) or a photo of a
  screen (moiré) -> ``warn``;
- `generated`: AI-generation markers -> ``fail`` naming the marker;
- `provenance`: C2PA validated offline: invalid -> ``fail``, trusted -> positive evidence;
- `channel`: chat-app traces that explain missing metadata -> a hint, never a penalty.

The finding's status and code are those of the strongest signal (``fail`` over ``warn``; with
neither, positive evidence, then Content Credentials we could not verify, then a channel hint,
then "no traces"); its score compounds the scores
of all ``fail``/``warn`` signals, held below the reject threshold unless something failed. Every
signal's measurements are in ``details`` (``flags`` lists those that count against the photo,
``notes`` those only recorded). The error-level-analysis picture is not part of the check: it is a
view an agent asks for (`evidence-check ela`), not a verdict.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from evidence_check.checks.context import CheckContext
from evidence_check.checks.integrity import channel, editing, generated, jpeg_history, provenance, screens
from evidence_check.checks.integrity.signals import Facts, Signal
from evidence_check.imaging.load import Photo
from evidence_check.models import Claim, Finding, Status

WARN_SCORE_CAP = 0.6
# Notes worth the summary line when nothing else is to be said: unverifiable provenance.
REPORTED_NOTES = ("c2pa_untrusted", "c2pa_remote")
_T = TypeVar("_T")
_RANK = {Status.FAIL: 3, Status.WARN: 2}


def check(photo: Photo, claim: Claim, context: CheckContext) -> Finding:
    clock = _Clock(photo)
    facts = clock.run("facts", Facts.of, photo)
    found: list[Signal] = []
    found += clock.run("editing", editing.signals, photo, facts)
    jpeg_details, jpeg_signals = clock.run("jpeg_history", jpeg_history.measure, facts)
    found += jpeg_signals
    shot = clock.run("screenshot", screens.screenshot, photo, claim, facts)
    spectrum: dict[str, Any] = {}
    if shot is not None:
        found.append(shot)
    else:  # a screenshot's interface is periodic by design: moiré is looked for in photos only
        spectrum, recapture = clock.run("screen_photo", screens.screen_photo, photo)
        if recapture is not None:
            found.append(recapture)
    found += clock.run("generated", generated.signals, photo, facts)
    c2pa_details, c2pa_signals = clock.run("provenance", provenance.measure, photo, facts, context)
    found += c2pa_signals
    channel_details, hint = clock.run("channel", channel.hint, photo, facts)

    details: dict[str, Any] = {
        "flags": [s.name for s in found if s.status in _RANK],
        "notes": [s.name for s in found if s.status is Status.UNKNOWN],
        "signals": {s.name: dict(s.details) for s in found},
        "camera_exposure": facts.camera,
        "jpeg": jpeg_details,
        "spectrum": spectrum,
        "c2pa": c2pa_details,
        "provenance_trusted": c2pa_details.get("state") == "trusted",
    }
    if channel_details:
        details["channel"] = channel_details
    return _finding(found, hint, details)


class _Clock:
    """Records each signal's milliseconds in the photo's timings (`evidence-check bench` prints them)."""

    def __init__(self, photo: Photo) -> None:
        self.timings = photo.timings_ms

    def run(self, name: str, function: Callable[..., _T], *args: Any) -> _T:
        started = time.perf_counter()
        try:
            return function(*args)
        finally:
            self.timings[f"integrity.{name}"] = round((time.perf_counter() - started) * 1000, 3)


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
    positive = [s for s in found if s.status is Status.PASS]
    reported = [s for s in found if s.name in REPORTED_NOTES]
    chosen = positive[0] if positive else reported[0] if reported else hint
    if chosen is not None:
        return Finding(Status.PASS, 0.0, chosen.code, dict(chosen.params), details, chosen.next_step)
    return Finding(Status.PASS, 0.0, "integrity.no_traces", {}, details)
