"""The retake challenge: does a new photo show the code the customer was asked to write down?

When a claim's evidence is in doubt, the agent issues a challenge (`evidence-check challenge
CLAIM`): a short random code the customer writes on paper and photographs beside the item. Photos
of that claim verified afterwards are checked here; the check runs only for claims with an open
challenge (the service adds it then), so other reports are not cluttered with it.

- a photo this claim already had before the challenge was issued -> ``unknown``, score 0: it is
  the earlier evidence, not expected to show the code (whichever other claims hold it too);
- the same bytes seen only in other claims before the challenge -> ``fail``: not a fresh photo;
- capture time (EXIF) earlier than the challenge -> ``fail`` when the code is not in it (a photo
  from before the code existed), ``warn`` when it is (the camera clock is wrong);
- the code read by offline OCR (`imaging/ocr.py`, on the photo at up to 1600 pixels) -> ``pass``;
  one character misread of a code of
  five or more still counts, and the details say so;
- not read -> ``warn``: ask for a clearer retake; OCR unavailable -> ``unknown``.

Codes use an alphabet without look-alikes in handwriting (no 0/O/D/Q, 1/I/L, 2/Z, 5/S, 6/G,
8/B, U/V), so one misread character rarely turns one valid code into another.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from evidence_check.checks.context import CheckContext
from evidence_check.imaging.capture_time import format_minute, read_capture_time
from evidence_check.imaging.load import Photo
from evidence_check.imaging.ocr import OcrUnavailable, TextPiece, read_text, reading_copy
from evidence_check.models import Claim, Finding, Status

ALPHABET = "ACEFHJKMNPRTWXY3479"
SCORE_NOT_FRESH = 0.9
SCORE_NOT_READ = 0.35
SCORE_CLOCK = 0.3
# A one-character misread is tolerated only when the rest of the code is long enough to be unlikely
# by chance: 4 exact characters of 19 are one in 130,000.
MIN_LENGTH_FOR_ONE_MISREAD = 5
CHALLENGE_STEP = "ask_challenge_retake"


@dataclass(frozen=True)
class CodeMatch:
    read: str  # the characters the OCR read where the code is
    misread: int  # how many characters differ
    confidence: float


def new_code(length: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def find_code(pieces: list[TextPiece], code: str) -> CodeMatch | None:
    """The best place where `code` appears in the text read, allowing one misread character."""
    allowed = 1 if len(code) >= MIN_LENGTH_FOR_ONE_MISREAD else 0
    best: CodeMatch | None = None
    # Pieces one by one, then all of them joined: OCR may split a code into two boxes.
    candidates = [(_normal(p.text), p.confidence) for p in pieces]
    if len(pieces) > 1:
        joined = "".join(_normal(p.text) for p in pieces)
        candidates.append((joined, min(p.confidence for p in pieces)))
    for text, confidence in candidates:
        for start in range(0, max(1, len(text) - len(code) + 1)):
            window = text[start : start + len(code)]
            if len(window) < len(code):
                continue
            misread = sum(1 for a, b in zip(window, code, strict=True) if a != b)
            if misread <= allowed and (best is None or misread < best.misread):
                best = CodeMatch(window, misread, round(confidence, 3))
                if misread == 0:
                    return best
    return best


def check(photo: Photo, claim: Claim, context: CheckContext) -> Finding:
    challenge = context.challenge
    if challenge is None:
        return Finding(Status.UNKNOWN, 0.0, "challenge.none")
    issued = challenge.issued_at
    issued_there = format_minute(issued.astimezone(ZoneInfo(claim.time_zone)))
    params: dict[str, Any] = {"code": challenge.code, "issued": issued_there}
    details: dict[str, Any] = {"code": challenge.code, "issued_at": issued.isoformat()}

    earlier = list(challenge.sightings(photo.image_id)) if challenge.sightings else []
    before = [s for s in earlier if challenge.recorded_before(s.first_seen)]
    # This claim's own earlier evidence even when other claims hold the same file too: those copies
    # are the reuse look's to judge, and "not fresh" would name this very claim.
    if any(s.claim_id == claim.claim_id for s in before):
        return Finding(Status.UNKNOWN, 0.0, "challenge.earlier_photo", params, details)
    if before:
        first = min(before, key=lambda s: s.first_seen)
        details["seen_in"] = {"claim_id": first.claim_id, "first_seen": first.first_seen.isoformat()}
        params["claim_id"] = first.claim_id
        return Finding(Status.FAIL, SCORE_NOT_FRESH, "challenge.seen_before", params, details, CHALLENGE_STEP)

    started = time.perf_counter()
    try:
        pieces = read_text(reading_copy(photo), context.settings.ocr_engine)
    except OcrUnavailable as exc:
        details["ocr_error"] = str(exc)
        return Finding(Status.UNKNOWN, 0.0, "challenge.no_ocr", {"error": str(exc)}, details)
    details["ocr"] = {
        "engine": context.settings.ocr_engine,
        "ms": round((time.perf_counter() - started) * 1000, 1),
        "read": [p.text for p in pieces][:20],
    }
    match = find_code(pieces, challenge.code)
    if match is not None:
        details["match"] = {"read": match.read, "misread": match.misread, "confidence": match.confidence}

    taken = read_capture_time(photo.metadata, photo.filename).best
    if taken is not None and not taken.weak:
        moment = taken.instant(ZoneInfo(claim.time_zone))
        tolerance = context.settings.clock_tolerance if taken.offset is not None else timedelta(hours=14)
        details["taken"] = taken.describe()
        if moment < issued - tolerance:
            params["taken"] = taken.describe()
            if match is None:
                return Finding(
                    Status.FAIL, SCORE_NOT_FRESH, "challenge.taken_before", params, details, CHALLENGE_STEP
                )
            return Finding(Status.WARN, SCORE_CLOCK, "challenge.clock_disagrees", params, details)
    if match is None:
        return Finding(Status.WARN, SCORE_NOT_READ, "challenge.not_read", params, details, CHALLENGE_STEP)
    params["read"] = match.read
    return Finding(
        Status.PASS,
        0.0,
        "challenge.code_found" if match.misread == 0 else "challenge.code_found_misread",
        params,
        details,
    )


def _normal(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch.isalnum())


