"""Shelf photos of five grocery products, claimed as a SKU by the relevance tests: the products, a
product's numbered shelf photo, a claim for a SKU, and a photo made of drawn pixels."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

import numpy as np
from PIL import Image

from evidence_check.imaging.load import Photo, load_photo
from evidence_check.models import Claim, Timeline
from tests.grocery_looks import photo_at

# SKU -> (product folder in the grocery corpus, catalog name)
SHELF_PRODUCTS = {
    "BRAVO-APPLE": ("Bravo-Apple-Juice", "Bravo Apple Juice"),
    "BRAVO-ORANGE": ("Bravo-Orange-Juice", "Bravo Orange Juice"),
    "OATLY-MILK": ("Oatly-Oat-Milk", "Oatly Oat Milk"),
    "TROPICANA-SMOOTH": ("Tropicana-Juice-Smooth", "Tropicana Juice Smooth"),
    "VALIO-VANILLA": ("Valio-Vanilla-Yoghurt", "Valio Vanilla Yoghurt"),
}


def encoded(rgb: np.ndarray, name: str) -> Photo:
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, "JPEG", quality=92)
    return load_photo(buffer.getvalue(), name)


def claim(sku: str | None, **changes: object) -> Claim:
    return replace(Claim(claim_id="c-1", timeline=Timeline(), sku=sku), **changes)  # type: ignore[arg-type]


def shelf(grocery: Path, sku: str, number: int) -> Photo:
    folder = SHELF_PRODUCTS[sku][0]
    return photo_at(grocery / "grocery" / folder / f"{folder}_00{number}.jpg")
