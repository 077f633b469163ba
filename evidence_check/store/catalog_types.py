"""The catalog as the store keeps it: plain data, so the store reads and writes it without OpenCV."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# What `catalog.entries.catalog_features` measures, numbered; one more whenever it stores something
# more. Each catalog image row records the number it was measured as (`measured_as`): adding an image
# stored at an older number again measures it again (`catalog_store.complete_image_ids`).
# 1: stored before the number was kept (0015): features, and tilted views since 0004;
# 2: the coarse look's blurred copy with the views.
MEASUREMENT = 2


@dataclass(frozen=True)
class StoredImage:
    """A catalog image as the store keeps it: `features` packed by `catalog.entries.catalog_features`."""

    image_id: str
    filename: str
    width: int
    height: int
    features: bytes
    # Named parts of the product: name -> [x, y, w, h] in this image's pixels (`catalog add --zones`).
    zones: dict[str, Any] | None = None
    # Tilted views (`features.extract_views`), packed: read only by a closer look, so a store loads
    # them per image when one needs them, not with the catalog. None: added before views were made.
    views: bytes | None = None
    # Its words in the catalog's vocabulary, packed, when stored apart from `features` (a reindex
    # writes them there); None: the ones packed in `features` (measured again if of another vocabulary).
    words: bytes | None = None


@dataclass(frozen=True)
class StoredSku:
    sku: str
    name: str | None
    category: str | None
    # Zones stored per SKU before they could be drawn on any image: they belong to its first image.
    zones: dict[str, Any] | None
    images: tuple[StoredImage, ...]
    brand: str | None = None  # the maker as the merchant names it ("Arla")
    family: str | None = None  # a line of the brand whose packs share one design ("yoghurt 1 l")


@dataclass(frozen=True)
class StoredCatalog:
    """A tenant's catalog as stored: SKUs, and the vocabulary trained on them, if any."""

    skus: tuple[StoredSku, ...] = ()
    vocabulary: bytes | None = None
