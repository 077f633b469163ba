"""Catalog images of grocery cartons placed in perspective on a table, as the location tests (and
the API's and web pages' annotated pictures) photograph them; their zones, and the region an agent
would draw around a box of the catalog image seen in the photo."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from evidence_check.imaging.load import Photo, load_photo
from evidence_check.models import Region

ZONES = Path(__file__).resolve().parents[1] / "fixtures" / "zones"
# SKU -> product folder in the grocery corpus; the zone file of a product with zones is named so.
PLACED_PRODUCTS = {"ALPRO-SOY": "Alpro-Fresh-Soy-Milk", "ARLA-SOUR": "Arla-Sour-Milk", "OATLY": "Oatly-Oat-Milk"}
SIZE = (1024, 768)  # the working copy's size: the photo's pixels are the working copy's


def iconic(grocery: Path, sku: str) -> Path:
    folder = PLACED_PRODUCTS[sku]
    return grocery / "grocery" / folder / f"{folder}_Iconic.jpg"


def placed(
    grocery: Path, sku: str, stain: tuple[float, float] | None = None, paint: Callable[[np.ndarray], None] | None = None
) -> tuple[Photo, np.ndarray]:
    """The catalog image in perspective on a grey, textured table, lit unevenly; and the homography
    (catalog pixels -> photo pixels). `stain`: a brown stain painted at that catalog point; `paint`
    draws on the photo's pixels before it is saved."""
    rgb = cv2.cvtColor(cv2.imread(str(iconic(grocery, sku))), cv2.COLOR_BGR2RGB)
    height, width = rgb.shape[:2]
    corners = np.float32([[0, 0], [width, 0], [width, height], [0, height]])
    target = np.float32([[320, 120], [700, 145], [680, 650], [340, 620]])
    homography = cv2.getPerspectiveTransform(corners, target)
    rng = np.random.default_rng(4)
    table = cv2.resize(rng.integers(90, 150, (30, 40, 3)).astype(np.uint8), SIZE, interpolation=cv2.INTER_CUBIC)
    warped = cv2.warpPerspective(rgb, homography, SIZE)
    inside = cv2.warpPerspective(np.full((height, width), 255, np.uint8), homography, SIZE) > 127
    table[inside] = warped[inside]
    shading = np.linspace(0.85, 1.1, SIZE[0], dtype=np.float32)[None, :, None]
    photo = np.clip(table * shading, 0, 255).astype(np.uint8)
    if stain is not None:
        (x, y), = cv2.perspectiveTransform(np.float32([[stain]]), homography)[0:1, 0]
        blot = np.zeros(photo.shape[:2], np.float32)
        cv2.ellipse(blot, (int(x), int(y)), (40, 28), 20, 0, 360, 1.0, -1)
        blot = cv2.GaussianBlur(blot, (0, 0), 3)[..., None]
        photo = np.clip(photo * (1 - 0.75 * blot) + np.float32([110, 70, 30]) * 0.75 * blot, 0, 255).astype(np.uint8)
    if paint is not None:
        paint(photo)
    buffer = io.BytesIO()
    Image.fromarray(photo).save(buffer, "JPEG", quality=90)
    return load_photo(buffer.getvalue(), f"{sku}.jpg"), homography


def marked(homography: np.ndarray, catalog_box: list[int]) -> Region:
    """A region an agent would draw around a catalog box seen in the photo."""
    x, y, w, h = catalog_box
    points = cv2.perspectiveTransform(np.float32([[[x, y], [x + w, y], [x + w, y + h], [x, y + h]]]), homography)[0]
    (left, top), (right, bottom) = points.min(axis=0), points.max(axis=0)
    return Region(int(left), int(top), int(right - left), int(bottom - top))


def zone_box(sku: str, name: str) -> list[int]:
    zone = json.loads((ZONES / f"{PLACED_PRODUCTS[sku]}.json").read_text())[name]
    if "box" in zone:
        return list(zone["box"])
    xs, ys = zip(*zone["polygon"], strict=True)
    return [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]
