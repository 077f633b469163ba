"""A tenant's catalog as a worker holds it: its SKUs and their images, arrays ready for matching.

Features are computed once, when an image is added (`catalog_features`), and stored packed
(`store.catalog_types`); loading turns them into `ImageArrays`, which a worker reads from its host's
feature file only for the images a photo is verified against (`feature_file`), and `CatalogImage`s,
which it holds. Keypoint positions are in pixels of the catalog image as given, so a homography maps
catalog pixels (and the zones drawn on them) into the photo.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import cv2
import numpy as np

from evidence_check.catalog.labels import brand_key, family_key
from evidence_check.catalog.words import measured_words, with_words
from evidence_check.imaging import colour
from evidence_check.imaging import features as F
from evidence_check.imaging.load import Photo
from evidence_check.store.catalog_types import StoredImage

MASK_SIDE = 128  # the stored product mask's longest side


@dataclass(frozen=True, eq=False)
class ImageArrays:
    """What matching reads of one catalog image: mapped from the catalog's feature file (read-only,
    in the host's page cache), kept while the image is among the recently verified
    (`feature_file.ArrayCache`)."""

    points: np.ndarray  # keypoint positions in pixels of the catalog image as given
    # SIFT as stored (uint8): a quarter of the memory of RootSIFT floats, which are made only for
    # the few images a photo is verified against.
    descriptors: np.ndarray
    keypoint_words: np.ndarray  # the word of each keypoint (same order as `points`), for verification
    words: np.ndarray  # unique index words (`Vocabulary.index_words`), for retrieval
    colour: np.ndarray
    mask: np.ndarray  # product pixels, downscaled to MASK_SIDE
    # Lab thumbnail (`colour.lab_thumbnail`); None for images added before it was stored.
    thumb: np.ndarray | None = None
    # The image at `colour.DETAIL_SIDE`, JPEG-encoded: what the location look compares a photo with.
    # None for images added before it was stored.
    detail: np.ndarray | None = None

    @property
    def words_sorted(self) -> tuple[np.ndarray, np.ndarray]:
        """Keypoint indices sorted by word, and those words: for `features.word_inliers`. Made at
        each use, not kept: ~10 KB an image, so ~40 MB private in a worker whose `ArrayCache` is
        full, against ~0.02 ms a use (docs/measurements/scale.md)."""
        order = np.argsort(self.keypoint_words, kind="stable")
        return order, self.keypoint_words[order].astype(np.int32)  # the photo's type: no cast per search

    @cached_property
    def thumb_mask(self) -> np.ndarray:
        """The product mask at the thumbnail's size."""
        if self.thumb is None:
            return np.zeros((0, 0), bool)
        height, width = self.thumb.shape[:2]
        return cv2.resize(self.mask.astype(np.float32), (width, height), interpolation=cv2.INTER_AREA) > 0.5


@dataclass(frozen=True, eq=False)
class CatalogImage:
    """A catalog image as a worker holds it: what names and places it, resident; its arrays read
    through `arrays_of` when a photo is verified against it."""

    sku: str
    image_id: str
    filename: str
    width: int
    height: int
    arrays_of: Callable[[], ImageArrays]
    zones: dict[str, Any] = field(default_factory=dict)  # as stored (`zones.parse_zones`), this image's pixels
    # Reads the packed tilted views (`StoredImage.views`) when a closer look first needs them.
    read_views: Callable[[], bytes | None] | None = None

    @property
    def points(self) -> np.ndarray:
        return self.arrays_of().points

    @property
    def descriptors(self) -> np.ndarray:
        return self.arrays_of().descriptors

    @property
    def keypoint_words(self) -> np.ndarray:
        return self.arrays_of().keypoint_words

    @property
    def words(self) -> np.ndarray:
        return self.arrays_of().words

    @property
    def colour(self) -> np.ndarray:
        return self.arrays_of().colour

    @property
    def mask(self) -> np.ndarray:
        return self.arrays_of().mask

    @property
    def thumb(self) -> np.ndarray | None:
        return self.arrays_of().thumb

    @property
    def detail(self) -> np.ndarray | None:
        return self.arrays_of().detail

    @property
    def words_sorted(self) -> tuple[np.ndarray, np.ndarray]:
        return self.arrays_of().words_sorted

    @property
    def thumb_mask(self) -> np.ndarray:
        return self.arrays_of().thumb_mask

    @property
    def from_thumb(self) -> np.ndarray:
        """Thumbnail pixels -> this image's pixels (pixel centres to pixel centres)."""
        thumb = self.thumb
        if thumb is None:
            return np.eye(3)
        sx, sy = self.width / thumb.shape[1], self.height / thumb.shape[0]
        return np.array([[sx, 0, (sx - 1) / 2], [0, sy, (sy - 1) / 2], [0, 0, 1.0]])


@dataclass(frozen=True)
class CatalogSku:
    sku: str
    name: str | None
    category: str | None
    images: tuple[CatalogImage, ...]
    given_brand: str | None = None  # as the merchant named it (`catalog.labels`)
    family: str | None = None

    @property
    def label(self) -> str:
        return f"{self.sku} '{self.name}'" if self.name else self.sku

    @cached_property
    def brand(self) -> str:
        """The brand given, else the first word of the name (else of the SKU): 'Bravo Apple Juice' -> 'bravo'."""
        return brand_key(self.given_brand, self.name, self.sku)

    def same_line(self, other: CatalogSku) -> bool:
        """A variant of this SKU's design: the same brand, and the same family when both name one."""
        if self.brand != other.brand:
            return False
        mine, theirs = family_key(self.family), family_key(other.family)
        return mine is None or theirs is None or mine == theirs


def catalog_features(photo: Photo, vocabulary: F.Vocabulary | None = None) -> StoredImage:
    """Everything matching needs from a catalog image, computed once, packed for the store."""
    rgb = np.asarray(photo.working)
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    local = F.extract_catalog(gray)
    mask = colour.product_mask(rgb)
    # The coarse look's blurred copy travels with the tilted views (read only when a look needs it),
    # numbered COARSE_VIEW whatever number of views found keypoints.
    views = list(enumerate(F.extract_views(gray))) + [(F.COARSE_VIEW, F.extract_coarse(gray))]
    blob = F.pack(
        points=(local.points / photo.scale).astype(np.float32),  # full-resolution catalog pixels
        descriptors=local.descriptors,
        colour=colour.colour_histogram(rgb, mask),
        mask=F.fit_within(mask.astype(np.uint8), MASK_SIDE),
        thumb=colour.lab_thumbnail(rgb),
        detail=colour.detail_jpeg(rgb),
    )
    packed_views = F.pack(
        points=np.concatenate([view.points / photo.scale for _, view in views]).astype(np.float32),
        descriptors=np.concatenate([view.descriptors for _, view in views]),
        view=np.concatenate([np.full(len(view.points), index, np.uint8) for index, view in views]),
    ) if any(len(view) for _, view in views) else None  # fmt: skip
    return StoredImage(
        photo.image_id, photo.filename, photo.width, photo.height, with_words(blob, vocabulary), views=packed_views
    )


def outline_share(stored: StoredImage) -> float:
    """The share of a measured catalog image its product outline covers, zones aside: the location
    look's outline (`colour.product_hull`) of the stored mask."""
    return features_outline_share(stored.features)


def features_outline_share(features: bytes) -> float:
    """`outline_share` of an image's packed features, as stored."""
    with np.load(io.BytesIO(features), allow_pickle=False) as data:
        return colour.outline_share(data["mask"])


def image_arrays(blob: bytes, vocabulary: F.Vocabulary, stored_words: bytes | None = None) -> ImageArrays:
    """A stored image's packed features (`StoredImage.features`) ready for matching; `stored_words`:
    its words in `vocabulary` when stored apart (`StoredImage.words`), which win over those in `blob`."""
    data = F.unpack(blob)
    if stored_words is not None:
        data |= F.unpack(stored_words)
        data["vocabulary"] = np.array(vocabulary.key)
    words, index_words = data.get("keypoint_words"), data.get("words")
    if words is None or index_words is None or str(data.get("vocabulary", "")) != vocabulary.key:
        # Stored under another vocabulary (added before the catalog was reindexed), or before the
        # words of each keypoint were stored: measured again once, when the catalog is loaded.
        words, index_words = measured_words(data["descriptors"], vocabulary)
    return ImageArrays(
        points=data["points"],
        descriptors=data["descriptors"],
        keypoint_words=words,
        words=index_words.astype(np.int32),
        colour=data["colour"],
        mask=data["mask"],
        thumb=data.get("thumb"),
        detail=data.get("detail"),
    )


def image_from(
    sku: str,
    stored: StoredImage,
    arrays_of: Callable[[], ImageArrays],
    legacy_zones: dict[str, Any] | None,
    load_views: Callable[[str, str], bytes | None] | None,
) -> CatalogImage:
    """A stored image as a worker holds it; `legacy_zones`: zones stored on its SKU, for its first image."""
    return CatalogImage(
        sku=sku,
        image_id=stored.image_id,
        filename=stored.filename,
        width=stored.width,
        height=stored.height,
        arrays_of=arrays_of,
        zones=dict(stored.zones or legacy_zones or {}),
        read_views=_views_reader(sku, stored, load_views),
    )


def _views_reader(
    sku: str, stored: StoredImage, load_views: Callable[[str, str], bytes | None] | None
) -> Callable[[], bytes | None] | None:
    if stored.views is not None:
        blob = stored.views
        return lambda: blob
    if load_views is None:
        return None
    return lambda: load_views(sku, stored.image_id)
