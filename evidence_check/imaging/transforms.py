"""The edits a reused photo goes through, to measure and test the reuse look against.

Each transform takes an upright RGB picture and a random generator and returns the bytes of the
file a fraudster would send (JPEG, or PNG for the screenshot). Used by `scripts/bench_reuse.py`
and the tests; nothing in the service calls them.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFont

Transform = Callable[[Image.Image, np.random.Generator], bytes]


def _jpeg(image: Image.Image, quality: int = 90) -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=quality)
    return out.getvalue()


def resize_jpeg60(image: Image.Image, rng: np.random.Generator) -> bytes:
    scale = rng.uniform(0.3, 0.6)
    size = (max(16, round(image.width * scale)), max(16, round(image.height * scale)))
    return _jpeg(image.resize(size, Image.Resampling.BILINEAR), 60)


def crop(image: Image.Image, rng: np.random.Generator) -> bytes:
    cut = rng.uniform(0.05, 0.15)  # share of each side removed
    w, h = round(image.width * (1 - cut)), round(image.height * (1 - cut))
    x, y = int(rng.integers(0, image.width - w + 1)), int(rng.integers(0, image.height - h + 1))
    return _jpeg(image.crop((x, y, x + w, y + h)))


def mirror(image: Image.Image, rng: np.random.Generator) -> bytes:
    return _jpeg(image.transpose(Image.Transpose.FLIP_LEFT_RIGHT))


def rotate90(image: Image.Image, rng: np.random.Generator) -> bytes:
    return _jpeg(image.transpose(Image.Transpose.ROTATE_90))


def rotate180(image: Image.Image, rng: np.random.Generator) -> bytes:
    return _jpeg(image.transpose(Image.Transpose.ROTATE_180))


def rotate270(image: Image.Image, rng: np.random.Generator) -> bytes:
    return _jpeg(image.transpose(Image.Transpose.ROTATE_270))


def screenshot(image: Image.Image, rng: np.random.Generator) -> bytes:
    """The photo shown full-width on a 1080x2340 phone screen, with status and navigation bars, PNG."""
    dark = bool(rng.integers(0, 2))
    back, ink = ((0, 0, 0), (235, 235, 235)) if dark else ((250, 250, 250), (30, 30, 30))
    canvas = Image.new("RGB", (1080, 2340), back)
    scale = min(1080 / image.width, 2000 / image.height)
    shown = image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.BILINEAR)
    canvas.paste(shown, ((1080 - shown.width) // 2, (2340 - shown.height) // 2))
    draw = ImageDraw.Draw(canvas)
    font = ImageFont.load_default(size=40)
    draw.text((40, 20), f"{int(rng.integers(0, 24)):02d}:{int(rng.integers(0, 60)):02d}", fill=ink, font=font)
    draw.rectangle((960, 30, 1030, 60), outline=ink, width=3)
    draw.rectangle((965, 35, 965 + int(rng.integers(10, 60)), 55), fill=ink)
    draw.text((40, 2260), "<", fill=ink, font=font)
    draw.ellipse((520, 2265, 560, 2305), outline=ink, width=3)
    out = io.BytesIO()
    canvas.save(out, "PNG")
    return out.getvalue()


def brightness_contrast(image: Image.Image, rng: np.random.Generator) -> bytes:
    image = ImageEnhance.Brightness(image).enhance(rng.uniform(0.7, 1.3))
    return _jpeg(ImageEnhance.Contrast(image).enhance(rng.uniform(0.7, 1.3)))


def watermark(image: Image.Image, rng: np.random.Generator) -> bytes:
    layer = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    font = ImageFont.load_default(size=max(12, image.height // 10))
    text = "© best-deals-shop"
    box = draw.textbbox((0, 0), text, font=font)
    x = int(rng.integers(0, max(1, image.width - int(box[2] - box[0]))))
    y = int(rng.integers(0, max(1, image.height - int(box[3] - box[1]))))
    draw.text((x, y), text, fill=(255, 255, 255, 150), font=font, stroke_width=2, stroke_fill=(0, 0, 0, 150))
    return _jpeg(Image.alpha_composite(image.convert("RGBA"), layer))


def perspective(image: Image.Image, rng: np.random.Generator) -> bytes:
    """The picture as photographed tilted by up to ±5° about an axis in its own plane."""
    angle = math.radians(rng.uniform(-5, 5))
    axis = rng.uniform(0, math.pi)
    w, h = image.size
    distance = 1.5 * max(w, h)  # camera distance: a normal lens, the picture filling the frame
    u = np.array([math.cos(axis), math.sin(axis), 0.0])
    rotation, _ = cv2.Rodrigues(u * angle)
    corners = np.array([[-w / 2, -h / 2, 0], [w / 2, -h / 2, 0], [w / 2, h / 2, 0], [-w / 2, h / 2, 0]])
    turned = corners @ rotation.T
    projected = turned[:, :2] * (distance / (distance + turned[:, 2:3])) + [w / 2, h / 2]
    homography = cv2.getPerspectiveTransform(
        (corners[:, :2] + [w / 2, h / 2]).astype(np.float32), projected.astype(np.float32)
    )
    warped = cv2.warpPerspective(
        np.asarray(image.convert("RGB")),
        homography,
        (w, h),
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=(128, 128, 128),
    )
    return _jpeg(Image.fromarray(warped))


TRANSFORMS: dict[str, Transform] = {
    "resize+jpeg60": resize_jpeg60,
    "crop 5-15%": crop,
    "mirror": mirror,
    "rotate 90": rotate90,
    "rotate 180": rotate180,
    "rotate 270": rotate270,
    "screenshot png": screenshot,
    "brightness/contrast": brightness_contrast,
    "watermark": watermark,
    "perspective ±5°": perspective,
}
