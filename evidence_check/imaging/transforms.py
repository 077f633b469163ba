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


# Phone screens (width, height) and the greys of an app's chrome, light and dark: status bar, app
# bar, page, card. Each band has a grey of its own, as real apps draw them.
_SCREENS = ((1080, 2340), (1170, 2532), (720, 1600))
_THEMES = {
    "light": ((226, 242), (244, 255), (236, 250), (250, 255), (20, 60)),
    "dark": ((0, 12), (28, 44), (14, 26), (34, 50), (200, 240)),
}


def screenshot(image: Image.Image, rng: np.random.Generator) -> bytes:
    """The photo full-width in a phone's photo viewer: status bar, app bar, page and navigation bar
    each a grey of its own, light or dark theme; PNG."""
    return _png(phone_screen(image, rng, share=1.0)[0])


def screenshot_small(image: Image.Image, rng: np.random.Generator) -> bytes:
    """The photo as another buyer's review photo on a shop's review page: 22-30 % of the screen's
    width, rounded corners, inside a card among the reviewer's avatar, stars and text, under the
    status and app bars, light or dark theme; PNG."""
    return _png(phone_screen(image, rng, share=rng.uniform(0.22, 0.30))[0])


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def phone_screen(
    image: Image.Image, rng: np.random.Generator, share: float
) -> tuple[Image.Image, tuple[int, int, int, int]]:
    """A phone screen showing `image` `share` of the screen's width wide (1: the photo viewer, fitted
    between the bars), and the box (x, y, w, h) it is shown in."""
    width, height = _SCREENS[int(rng.integers(0, len(_SCREENS)))]
    theme = "dark" if rng.integers(0, 2) else "light"
    status, app_bar, page, card, ink_range = _THEMES[theme]

    def grey(bounds: tuple[int, int]) -> tuple[int, int, int]:
        value = int(rng.integers(bounds[0], bounds[1] + 1))
        return (value, value, value)

    ink = grey(ink_range)
    canvas = Image.new("RGB", (width, height), grey(page))
    draw = ImageDraw.Draw(canvas)
    unit = width / 1080
    font = ImageFont.load_default(size=round(40 * unit))
    small_font = ImageFont.load_default(size=round(30 * unit))
    status_h, bar_h, nav_h = round(80 * unit), round(150 * unit), round(130 * unit)
    draw.rectangle((0, 0, width, status_h), fill=grey(status))
    draw.rectangle((0, status_h, width, status_h + bar_h), fill=grey(app_bar))
    draw.rectangle((0, height - nav_h, width, height), fill=grey(status))
    clock = f"{int(rng.integers(0, 24)):02d}:{int(rng.integers(0, 60)):02d}"
    draw.text((40 * unit, 20 * unit), clock, fill=ink, font=font)
    draw.rectangle((width - 120 * unit, 30 * unit, width - 50 * unit, 60 * unit), outline=ink, width=3)
    draw.text((120 * unit, status_h + 50 * unit), "Reviews (128)" if share < 1 else "Photo", fill=ink, font=font)
    draw.text((40 * unit, status_h + 50 * unit), "<", fill=ink, font=font)
    for x in (0.2, 0.5, 0.8):
        draw.ellipse((width * x - 25 * unit, height - nav_h / 2 - 25 * unit, width * x + 25 * unit,
                      height - nav_h / 2 + 25 * unit), outline=ink, width=3)
    top, bottom = status_h + bar_h, height - nav_h
    if share >= 1:
        scale = min(width / image.width, (bottom - top) / image.height)
        shown = image.convert("RGB").resize(
            (round(image.width * scale), round(image.height * scale)), Image.Resampling.BILINEAR
        )
        px, py = (width - shown.width) // 2, top + (bottom - top - shown.height) // 2
        canvas.paste(shown, (px, py))
    else:
        margin = round(32 * unit)
        card_top = top + round(rng.uniform(0.05, 0.35) * (bottom - top))
        draw.rounded_rectangle((margin, card_top, width - margin, bottom - margin), radius=24 * unit,
                               fill=grey(card))
        avatar = round(90 * unit)
        x0, y0 = 2 * margin, card_top + margin
        draw.ellipse((x0, y0, x0 + avatar, y0 + avatar), fill=tuple(int(v) for v in rng.integers(60, 200, 3)))
        draw.text((x0 + avatar + margin, y0 + 10 * unit), "A. Buyer   * * * * *", fill=ink, font=font)
        words = ["Arrived", "quickly", "and", "works", "as", "described,", "would", "buy", "again.", "Good", "value", "for", "money."]
        y = y0 + avatar + margin
        for _ in range(int(rng.integers(1, 4))):
            line = " ".join(rng.choice(words, size=6))
            draw.text((x0, y), line, fill=ink, font=small_font)
            y += round(45 * unit)
        target = round(width * share)
        scale = target / max(image.width, image.height)
        shown = image.convert("RGB").resize(
            (max(1, round(image.width * scale)), max(1, round(image.height * scale))), Image.Resampling.BILINEAR
        )
        px = x0 + int(rng.integers(0, max(1, width - 2 * x0 - shown.width)))
        py = y + margin
        radius = int(rng.integers(0, max(1, shown.width // 12)))
        mask = Image.new("L", shown.size, 0)
        ImageDraw.Draw(mask).rounded_rectangle((0, 0, shown.width - 1, shown.height - 1), radius=radius, fill=255)
        canvas.paste(shown, (px, py), mask)
        draw.text((x0, py + shown.height + margin), "Helpful (12)   Report", fill=ink, font=small_font)
    return canvas, (px, py, shown.width, shown.height)


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
    "screenshot small": screenshot_small,
    "brightness/contrast": brightness_contrast,
    "watermark": watermark,
    "perspective ±5°": perspective,
}
