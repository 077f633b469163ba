"""The relevance look on the grocery corpus as its tests set it up: a catalog of the products' shop
images, each SKU with its brand as a merchant's catalog import gives it, and a photo claimed as a SKU."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from evidence_check import measure
from evidence_check.catalog.entries import catalog_features
from evidence_check.catalog.photo import Look, PhotoFeatures
from evidence_check.catalog.registry import Catalog
from evidence_check.checks import relevance
from evidence_check.checks.context import CheckContext
from evidence_check.imaging.features import Vocabulary
from evidence_check.imaging.load import Photo, load_photo
from evidence_check.models import Claim, ClaimReason, Finding, Timeline
from evidence_check.settings import Settings
from evidence_check.store.catalog_types import StoredCatalog, StoredImage, StoredSku

# (product folder, brand) of a small shop: six products of five brands, two of them Bravo's juices.
SHOP_BRANDS = (
    ("Alpro-Shelf-Soy-Milk", "Alpro"), ("Arla-Standard-Milk", "Arla"), ("Bravo-Apple-Juice", "Bravo"),
    ("Bravo-Orange-Juice", "Bravo"), ("Oatly-Oat-Milk", "Oatly"), ("Tropicana-Apple-Juice", "Tropicana"),
)  # fmt: skip


def count_measurements(monkeypatch: pytest.MonkeyPatch) -> list[Look]:
    """The looks the engine measures a photo's features for from now on, one entry per measurement."""
    measured: list[Look] = []
    original = measure.photo_features

    def counted(photo: Photo, look: Look = Look.FIRST) -> PhotoFeatures:
        measured.append(look)
        return original(photo, look)

    monkeypatch.setattr(measure, "photo_features", counted)
    return measured


def photo_at(path: Path) -> Photo:
    return load_photo(path.read_bytes(), path.name)


# Catalog images measured in this test run, by what the measurement reads of a photo.
_MEASURED: dict[tuple[str, str, tuple[int, int]], StoredImage] = {}


def measured_once(photo: Photo, vocabulary: Vocabulary | None = None) -> StoredImage:
    """`catalog_features`, run once per test run for each photo: a dozen modules and the eval runs
    build catalogs of the same shop images, at ~0.6 s of SIFT and tilted views each. Safe to share:
    the measurement is deterministic, and a StoredImage is frozen and holds bytes, so a test that
    changes one makes its own (`replace`). A tenant's own vocabulary is measured each time."""
    if vocabulary is not None:
        return catalog_features(photo, vocabulary)
    key = (photo.image_id, photo.filename, photo.working.size)
    if key not in _MEASURED:
        _MEASURED[key] = catalog_features(photo)
    return _MEASURED[key]


def catalog_image(path: Path) -> StoredImage:
    """A corpus image measured as a catalog image (`measured_once`)."""
    return measured_once(photo_at(path))


def shop_catalog(grocery: Path, brands: dict[str, str]) -> CheckContext:
    """A context whose catalog holds each product folder of `brands` by its shop image."""
    stored = StoredCatalog(
        tuple(
            StoredSku(name, None, None, None, (catalog_image(grocery / name / f"{name}_Iconic.jpg"),), brand=brand)
            for name, brand in brands.items()
        )
    )
    return CheckContext(settings=Settings(), now=datetime.now(UTC), catalog=Catalog(lambda tenant: stored))


def look(photo: Photo, sku: str, context: CheckContext, reason: ClaimReason = ClaimReason.DAMAGED) -> Finding:
    claim = Claim(claim_id="c-1", timeline=Timeline(), sku=sku, reason=reason)
    return relevance.check(photo, claim, replace(context, measured=measure.Measurements(photo)))
