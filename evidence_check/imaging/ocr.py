"""Reading short handwritten codes in a photo, offline.

Two engines sit behind one function so that they can be measured on the same photos
(`scripts/ocr_bench.py`):

- ``rapidocr``: RapidOCR on ONNX Runtime (`rapidocr-onnxruntime`); its detection and recognition
  models ship inside the wheel, so nothing is downloaded at run time. Finds text anywhere in a
  scene, at an angle, which is what a code on paper beside a product looks like.
- ``tesseract``: Debian's `tesseract-ocr`, run as a subprocess in sparse-text mode. Made for
  printed pages; it is kept for comparison and for machines without ONNX Runtime.

Both return the text pieces they found with the engine's own confidence. What a piece means for a
claim (does it contain the challenge code?) is decided in `checks/challenge.py`.
"""

from __future__ import annotations

import contextlib
import io
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from PIL import Image, ImageOps

from evidence_check.imaging.load import Photo

ENGINES = ("rapidocr", "tesseract")
# Phone photos are analysed at the working size; text a few percent of the frame tall stays legible.
MAX_SIDE = 1600
TESSERACT_TIMEOUT_S = 30.0


class OcrUnavailable(Exception):
    """The engine is not installed here; the message says what to install."""


@dataclass(frozen=True)
class TextPiece:
    text: str
    confidence: float


def read_text(image: Image.Image, engine: str = "rapidocr") -> list[TextPiece]:
    """Every piece of text the engine finds in `image` (RGB, upright)."""
    image = _bounded(image)
    if engine == "rapidocr":
        return _rapidocr(image)
    if engine == "tesseract":
        return _tesseract(image)
    raise ValueError(f"unknown OCR engine {engine!r} (use one of {', '.join(ENGINES)})")


def reading_copy(photo: Photo) -> Image.Image:
    """The photo upright at up to `MAX_SIDE` pixels: handwriting a few percent of the frame tall is
    read more often there than in the 1024-pixel working copy (93 % against 89 % of the benchmark's
    codes). Falls back to the working copy when the bytes cannot be decoded again."""
    if max(photo.working.size) >= min(MAX_SIDE, max(photo.width, photo.height)):
        return photo.working
    with contextlib.suppress(OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError):
        with Image.open(io.BytesIO(photo.data)) as image:
            image.draft("RGB", (MAX_SIDE, MAX_SIDE))  # JPEG: decode at a reduced scale
            upright = ImageOps.exif_transpose(image).convert("RGB")
        upright.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
        return upright
    return photo.working


def available(engine: str) -> bool:
    try:
        if engine == "rapidocr":
            _rapid_engine()
            return True
        if engine == "tesseract":
            return shutil.which("tesseract") is not None
    except OcrUnavailable:
        return False
    return False


def _bounded(image: Image.Image) -> Image.Image:
    image = image.convert("RGB")
    longest = max(image.size)
    if longest <= MAX_SIDE:
        return image
    factor = MAX_SIDE / longest
    return image.resize((round(image.width * factor), round(image.height * factor)), Image.Resampling.LANCZOS)


@lru_cache(maxsize=1)
def _rapid_engine() -> Any:
    try:
        from rapidocr_onnxruntime import RapidOCR
    except ImportError:
        # The sentence reaches the agent's report: it names the fix, not Python's import error.
        raise OcrUnavailable(
            "rapidocr-onnxruntime is not installed (it comes with `bash scripts/install.sh dev`; "
            "or set EVIDENCE_CHECK_OCR_ENGINE=tesseract, with Debian's tesseract-ocr installed)"
        ) from None
    return RapidOCR()


def _rapidocr(image: Image.Image) -> list[TextPiece]:
    engine = _rapid_engine()
    # RapidOCR takes OpenCV's channel order.
    result, _elapsed = engine(np.ascontiguousarray(np.asarray(image)[:, :, ::-1]))
    return [TextPiece(str(text), float(score)) for _box, text, score in result or []]


def _tesseract(image: Image.Image) -> list[TextPiece]:
    binary = shutil.which("tesseract")
    if binary is None:
        raise OcrUnavailable("tesseract is not installed (Debian: apt-get install tesseract-ocr)")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    try:
        done = subprocess.run(
            [binary, "stdin", "stdout", "--psm", "11", "-l", "eng", "tsv"],
            input=buffer.getvalue(),
            capture_output=True,
            timeout=TESSERACT_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise OcrUnavailable(f"tesseract took longer than {TESSERACT_TIMEOUT_S:.0f} s") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise OcrUnavailable(f"tesseract failed: {message[-1] if message else done.returncode}")
    pieces = []
    for line in done.stdout.decode("utf-8", "replace").splitlines()[1:]:
        columns = line.split("\t")
        if len(columns) == 12 and columns[11].strip():
            pieces.append(TextPiece(columns[11].strip(), max(0.0, float(columns[10])) / 100))
    return pieces
