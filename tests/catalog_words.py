"""A catalog of three fixture images, as the reindex and words-migration tests store it: what it
answers for each image, and whether an image's stored words are those of a vocabulary."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from evidence_check import service
from evidence_check.catalog.photo import photo_features
from evidence_check.catalog.words import measured_words
from evidence_check.engine import Upload
from evidence_check.imaging import features as F
from evidence_check.imaging.load import load_photo
from evidence_check.settings import Settings
from evidence_check.store import Store
from evidence_check.store.catalog_types import StoredImage
from tests.conftest import FIXTURES

ADDED_AT = datetime(2026, 12, 4, tzinfo=UTC)
IMAGES = {"A-1": "genuine_after_delivery.jpg", "B-2": "no_exif.jpg", "C-3": "exif_orientation_6.jpg"}


def fixture_catalog(url: str) -> Store:
    store = Store(url)
    for sku, name in IMAGES.items():
        path = FIXTURES / name
        service.add_to_catalog(
            store, "default", sku, [Upload(path.name, path.read_bytes())],
            name=sku, category=None, zones=None, settings=Settings(), now=ADDED_AT,
        )  # fmt: skip
    return store


def answers_of(store: Store) -> list[str]:
    tenant = service.catalog_for(store).for_tenant("default")
    found = []
    for name in IMAGES.values():
        photo = load_photo((FIXTURES / name).read_bytes(), name)
        found.append(tenant.retrieve(photo_features(photo), None, 1)[0][0])
    return found


def _words(blob: bytes) -> tuple[np.ndarray, np.ndarray]:
    data = F.unpack(blob)
    return data["keypoint_words"], data["words"]


def measured_in(image: StoredImage, vocabulary: F.Vocabulary) -> bool:
    """The image's words as stored (apart, else in its features) are its descriptors' in `vocabulary`."""
    expected = measured_words(F.unpack(image.features)["descriptors"], vocabulary)
    if image.words is None and str(F.unpack(image.features)["vocabulary"]) != vocabulary.key:
        return False
    stored = _words(image.words if image.words is not None else image.features)
    return all(np.array_equal(a, b) for a, b in zip(stored, expected, strict=True))
