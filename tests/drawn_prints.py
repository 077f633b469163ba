"""Fine prints for the screen-photo tests, drawn here rather than borrowed from a probe: a striped or
checked product photographed honestly (turned, lens blur, sensor noise, a camera's JPEG), and the
same listing picture shown on an LCD and photographed (the fraud `integrity.screen_photo` is for),
as the fixture is made or as a camera sees an RGB-stripe display."""

from __future__ import annotations

import io
import math
import sys

import cv2
import numpy as np
from PIL import Image

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "fixtures"))
from make_integrity_fixtures import shown_on_camera_seen_display, shown_on_screen  # noqa: E402

SIZE = (640, 480)


def print_picture(pattern: str, period: float, angle: float, seed: int) -> Image.Image:
    """`pattern` ("stripes" or "check") repeating every `period` pixels, turned `angle` degrees,
    in two colours drawn from `seed`, blurred and noisy as a camera leaves it."""
    rng = np.random.default_rng(seed)
    ground, ink = rng.uniform(40, 220, (2, 3))
    y, x = np.mgrid[0 : SIZE[1], 0 : SIZE[0]].astype(np.float32)
    turn = math.radians(angle)
    across = (x * math.cos(turn) + y * math.sin(turn)) / period % 1
    down = (y * math.cos(turn) - x * math.sin(turn)) / period % 1
    share = (across < 0.35).astype(np.float32)
    if pattern == "check":
        share = 0.5 * share + 0.5 * (down < 0.35)
    pixels = ground + share[..., None] * (ink - ground)
    pixels = cv2.GaussianBlur(pixels.astype(np.float32), (0, 0), 0.8)
    pixels += rng.normal(0, 3, pixels.shape).astype(np.float32)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def print_photo(pattern: str, period: float, angle: float, seed: int) -> bytes:
    buffer = io.BytesIO()
    print_picture(pattern, period, angle, seed).save(buffer, "JPEG", quality=92)
    return buffer.getvalue()


def print_on_screen(pattern: str, period: float, angle: float, seed: int) -> bytes:
    """The print's picture shown on an LCD and photographed, as the fixture `screen_photo_moire.jpg`."""
    return shown_on_screen(print_picture(pattern, period, angle, seed), seed)


def print_on_camera_seen_display(pattern: str, period: float, angle: float, seed: int) -> bytes:
    """The print's picture on an RGB-stripe display as a camera sees it (`scripts/probe_screen_photo.py`'s
    `camera-screen`): the frame's size and the display's pitch drawn from `seed`."""
    return shown_on_camera_seen_display(print_picture(pattern, period, angle, seed), np.random.default_rng(seed))
