"""The catalog: a tenant's SKUs, their images' precomputed features, and candidate retrieval.

Features are computed once, when an image is added (`catalog_features`), and stored; a process
loads a tenant's catalog once (`Catalog.for_tenant`) into matrices ready for matching, and the
relevance and location looks read the same `Assessment` of a photo (`Catalog.assess`).

Finding the ordered SKU: every image of that SKU is verified geometrically (ratio test, RANSAC
homography). Finding a *better* SKU: an inverted index of visual words (`imaging.features`) over
all the tenant's catalog images ranks candidates by tf-idf, each of the photo's words weighted by
how near the centre it lies (`PhotoFeatures.centred_words`: a customer frames the product they
claim for, a shop shelf fills the edges); the best `SHORTLIST` other SKUs are
ranked again by a cheap homography on keypoints of shared words (`features.word_inliers`), and
only the best `CANDIDATES` of those (`CLOSER_CANDIDATES` in the closer look, below) are verified,
plus the best `SIBLINGS` of the ordered SKU's own brand (its likeliest look-alikes). A query
touches only the posting lists of its own words and a fixed number of images, so its cost barely
grows with the size of the catalog.

When that first look finds no product at all (neither the ordered SKU nor any other with
`CLOSER_LOOK_BELOW` inliers), the photo is looked at again, closer: features of a copy
`features.CLOSER_SCALE` times as large, and the whole assessment again on them. A carton held small
in a shelf photo shows too few keypoints of its print at the first look's size; such a claim would
otherwise end `unknown` and go to a person, which costs far more than the second look's CPU.
The closer look also matches each verified image's tilted views (`features.extract_views`: the pack
seen from above, from the side, at a slant), stored apart and read per image only then
(`Catalog.load_views`); a pack's logo at a slant then matches any pack of its brand, so there a
variant passes only on print its brand's other verified SKUs lack (`unshared_inliers`).

On the grocery corpus (`scripts/bench_relevance.py`) the product a photo shows is ranked first for
56.8 % of photos by tf-idf alone (61.9 % with words weighted by place) and 73.5 % after the
shortlist (before that weighting); among the first 3, 78.7 and 83.2 %
(at the first look 21 genuine claims found their product under no SKU; the closer look passes 6
of them). A shortlist of 24 instead of 16 turned 0.5 % more other-brand impostors to `fail` for 4 ms
more at 10,000 SKUs; 32 and 5 verified, in the closer look only, 0.7 % (one photo). Word inliers do
not replace verification: leaving unverified the candidates without any turned 2.7 % of
other-brand impostors from `fail` to `unknown`. Looking closer also when the first look found
something weak (fewer than 20 inliers) or two variants about equally lost genuine passes or failed
a genuine claim; looking closer only when the first look found some inliers kept half the gain,
with 0-6 % of the bench's claims taking it instead of 12-60 % (`features.CLOSER_SCALE`).

The word of each keypoint is stored with the features (`with_words`); images stored before that get
them measured once when the catalog is loaded, and `catalog reindex` (or `catalog remove` and
adding the images again) stores them.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache, partial
from typing import Any

import cv2
import numpy as np

from evidence_check.imaging import features as F
from evidence_check.imaging.load import Photo

SHORTLIST = 16  # other SKUs best by visual words, ranked again by `features.word_inliers`
# The spread, in the photo's width and height, of the Gaussian weights retrieval gives words by
# where they lie. The product shown among the first 8 / 16 SKUs by words, grocery bench: unweighted
# 84.5 / 92.9 %, 0.45 87.1 / 94.8, 0.3 89.7 / 96.1, 0.2 92.9 / 96.8; other-brand fail 94.2 -> 95.1 %
# at 0.2 (two photos found, one lost: a carton held at the photo's edge).
CENTRE_SIGMA = 0.2
# Of those, the best verified geometrically per photo. Since the shortlist ranks them, a 4th changed
# no claim of the bench; verifying only 2 moved a same-brand impostor from fail to pass.
CANDIDATES = 3
# The closer look verifies more: a pack at a slant, matched through tilted views, shares few words
# at their upright places, so the word homographies rank it lower (4th to 9th on the bench). Grocery
# bench (genuine pass / other-brand fail): 3 86.5 / 91.8 %, 6 86.5 / 92.7, 8 86.5 / 93.7, 10 85.8 /
# 94.2 (a shelf's other product found beside a genuine one), 10 of a shortlist of 32 85.8 / 94.5.
# Since the brand check asks only siblings the photo matched and another brand's product apart
# from the ordered one is not a rival: 8 87.1 / 93.7, 10 87.1 / 94.2, 12 87.1 / 94.2; with words
# weighted by place (CENTRE_SIGMA): 8 87.7 / 94.7, 10 87.7 / 95.1.
CLOSER_CANDIDATES = 10
SIBLINGS = 2  # and at most this many more of the ordered SKU's brand
LOOKALIKES = 1  # and its brand's SKU whose catalog images share most words with its own
MAX_IMAGES_PER_SKU = 8  # of the ordered SKU, verified per photo
MASK_SIDE = 128  # the stored product mask's longest side
COLOUR_SIDE = 160  # colours of the photo are compared on a copy this size: enough for 52 bins
# Colour votes are measured against rivals found with at least this many inliers: the relevance
# look does not weigh weaker ones (its OTHER_STRONG).
VOTE_MIN_INLIERS = 12
# Two matches whose catalog images overlap this little in the photo (intersection over union) are two
# objects, say two cartons side by side: a colour vote between them means nothing.
SAME_OBJECT_OVERLAP = 0.15
# Two matches are two objects side by side when at most this share of either's inliers lies in the
# hull of the other's (the product held in front, another on the shelf behind it).
APART_INSIDE = 0.1
# A first look that finds neither the ordered SKU nor any other with this many inliers (the relevance
# look's PASS_INLIERS and OTHER_STRONG) looks again closer (`features.CLOSER_SCALE`), unless the photo
# has fewer than PLAIN_PHOTO_KEYPOINTS: too plain or too blurred to match, which enlarging does not mend.
CLOSER_LOOK_BELOW = 12
PLAIN_PHOTO_KEYPOINTS = 80
ROOTS_CACHED = 64  # catalog images whose RootSIFT floats are kept (4x their stored size)
VIEWS_CACHED = 32  # catalog images whose tilted views are kept, as RootSIFT (~2.5 MB each)


@dataclass(frozen=True)
class StoredImage:
    """A catalog image as the store keeps it: `features` packed by `catalog_features`."""

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


@dataclass(frozen=True)
class StoredSku:
    sku: str
    name: str | None
    category: str | None
    # Zones stored per SKU before they could be drawn on any image: they belong to its first image.
    zones: dict[str, Any] | None
    images: tuple[StoredImage, ...]


@dataclass(frozen=True)
class StoredCatalog:
    """A tenant's catalog as stored: SKUs, and the vocabulary trained on them, if any."""

    skus: tuple[StoredSku, ...] = ()
    vocabulary: bytes | None = None


@dataclass(frozen=True, eq=False)
class CatalogImage:
    sku: str
    image_id: str
    filename: str
    width: int
    height: int
    points: np.ndarray
    # SIFT as stored (uint8): a quarter of the memory of RootSIFT floats, which are made only for
    # the few images a photo is verified against.
    descriptors: np.ndarray
    words: np.ndarray  # unique visual words
    keypoint_words: np.ndarray  # the word of each keypoint (same order as `points`)
    colour: np.ndarray
    mask: np.ndarray  # product pixels, downscaled to MASK_SIDE
    zones: dict[str, list[int]] = field(default_factory=dict)  # in this image's pixels
    # Lab thumbnail (`features.lab_thumbnail`); None for images added before it was stored.
    thumb: np.ndarray | None = None
    # Reads the packed tilted views (`StoredImage.views`) when a closer look first needs them.
    read_views: Callable[[], bytes | None] | None = None

    @cached_property
    def words_sorted(self) -> tuple[np.ndarray, np.ndarray]:
        """Keypoint indices sorted by word, and those words: for `features.word_inliers`."""
        order = np.argsort(self.keypoint_words, kind="stable")
        return order, self.keypoint_words[order].astype(np.int32)  # the photo's type: no cast per search

    @cached_property
    def thumb_mask(self) -> np.ndarray:
        """The product mask at the thumbnail's size."""
        if self.thumb is None:
            return np.zeros((0, 0), bool)
        height, width = self.thumb.shape[:2]
        return cv2.resize(self.mask.astype(np.float32), (width, height), interpolation=cv2.INTER_AREA) > 0.5

    @cached_property
    def from_thumb(self) -> np.ndarray:
        """Thumbnail pixels -> this image's pixels (pixel centres to pixel centres)."""
        if self.thumb is None:
            return np.eye(3)
        sx, sy = self.width / self.thumb.shape[1], self.height / self.thumb.shape[0]
        return np.array([[sx, 0, (sx - 1) / 2], [0, sy, (sy - 1) / 2], [0, 0, 1.0]])


@dataclass(frozen=True)
class CatalogSku:
    sku: str
    name: str | None
    category: str | None
    images: tuple[CatalogImage, ...]

    @property
    def has_zones(self) -> bool:
        return any(image.zones for image in self.images)

    @property
    def label(self) -> str:
        return f"{self.sku} '{self.name}'" if self.name else self.sku

    @property
    def brand(self) -> str:
        """The first word of the name (else of the SKU): 'Bravo Apple Juice' -> 'bravo'."""
        text = (self.name or self.sku).replace("-", " ").replace("_", " ").split()
        return text[0].lower() if text else ""


@dataclass(frozen=True)
class ImageMatch:
    image: CatalogImage
    geometry: F.GeometricMatch
    homography_full: np.ndarray | None  # catalog image pixels -> full-resolution photo pixels
    view: int | None = None  # which of the image's tilted views matched; None: the upright image

    @property
    def features(self) -> tuple[np.ndarray, np.ndarray]:
        """Points and RootSIFT of what matched: the upright image or one of its tilted views."""
        if self.view is None:
            return self.image.points, _roots(self.image)
        return _views(self.image)[self.view]

    @property
    def inliers(self) -> int:
        return self.geometry.inliers


@dataclass(frozen=True)
class Assessment:
    photo_keypoints: int
    ordered: ImageMatch | None  # best image of the ordered SKU
    other: ImageMatch | None  # best image of any other SKU among the candidates
    rivals: tuple[ImageMatch, ...]  # the best image of each other SKU found, most inliers first
    colour_overlap: float | None  # ordered image vs the matched part of the photo
    other_colour_overlap: float | None  # the same for the best other SKU
    candidates: tuple[tuple[str, float], ...]  # (sku, retrieval score) of the SKUs verified
    # Per rival (same order): where the ordered and the rival's catalog images differ in colour,
    # which one the photo follows (`features.colour_vote`; lead > 0: the ordered one). None for
    # another brand, when either has no homography or no thumbnail, or when the two land on
    # different objects of the photo.
    colour_votes: tuple[F.ColourVote | None, ...] = ()
    # (sku, word inliers) of the SKUs the visual words proposed, in the order they were ranked again.
    shortlist: tuple[tuple[str, int], ...] = ()
    closer: bool = False  # measured on the closer look's features: the first found no product
    # In the closer look: the ordered SKU's inliers on print that its brand's verified SKUs do not
    # share, in the upright image or the view that matched, and the best of those SKUs. None: not
    # measured (the first look, nothing found, or no SKU of its brand verified).
    brand_distinct: int | None = None
    brand_sibling: str | None = None

    @property
    def found_nothing(self) -> bool:
        """Neither the ordered SKU nor any other was found with CLOSER_LOOK_BELOW inliers."""
        best = max([self.ordered.inliers if self.ordered else 0, *(r.inliers for r in self.rivals)])
        return best < CLOSER_LOOK_BELOW

    def colour_vote(self, rival: ImageMatch) -> F.ColourVote | None:
        for match, vote in zip(self.rivals, self.colour_votes, strict=False):
            if match is rival:
                return vote
        return None


@dataclass(frozen=True, eq=False)
class PhotoFeatures:
    points: np.ndarray  # pixels of the feature copy
    root: np.ndarray
    rgb: np.ndarray  # the feature copy
    scale: float  # feature-copy pixels per full-resolution pixel
    colour_rgb: np.ndarray  # a small copy, for colour
    _words: dict[str, np.ndarray] = field(default_factory=dict)

    @cached_property
    def lab(self) -> np.ndarray:
        """The feature copy in Lab, for colour votes (measured only when one is needed).

        The 160-px colour copy costs a fifth but lost a same-brand impostor to a pass (bench)."""
        return F.photo_lab(self.rgb)

    def centred_words(self, vocabulary: F.Vocabulary) -> tuple[np.ndarray, np.ndarray]:
        """The photo's unique words, each weighted by how near the centre its nearest keypoint lies.

        A customer frames the product they claim for; a shelf around it fills the edges with other
        products' words (`CENTRE_SIGMA`).
        """
        words = self.keypoint_words(vocabulary).astype(np.int64)
        height, width = self.rgb.shape[:2]
        offset = np.hypot(self.points[:, 0] / width - 0.5, self.points[:, 1] / height - 0.5)
        weights = np.exp(-0.5 * (offset / CENTRE_SIGMA) ** 2)
        unique, word_of_keypoint = np.unique(words, return_inverse=True)
        best = np.zeros(len(unique))
        np.maximum.at(best, word_of_keypoint, weights)
        return unique, best

    def keypoint_words(self, vocabulary: F.Vocabulary) -> np.ndarray:
        """The word of each keypoint (same order as `points`)."""
        found = self._words.get(vocabulary.key)
        if found is None:
            found = self._words[vocabulary.key] = vocabulary.words(self.root)
        return found


# -- add time ---------------------------------------------------------------------------------------


def catalog_features(photo: Photo, vocabulary: F.Vocabulary | None = None) -> StoredImage:
    """Everything matching needs from a catalog image, computed once, packed for the store."""
    rgb = np.asarray(photo.working)
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    local = F.extract_catalog(gray)
    mask = F.product_mask(rgb)
    views = F.extract_views(gray)
    blob = F.pack(
        points=(local.points / photo.scale).astype(np.float32),  # full-resolution catalog pixels
        descriptors=local.descriptors,
        colour=F.colour_histogram(rgb, mask),
        mask=_fit(mask.astype(np.uint8), MASK_SIDE),
        thumb=F.lab_thumbnail(rgb),
    )
    packed_views = F.pack(
        points=np.concatenate([view.points / photo.scale for view in views]).astype(np.float32),
        descriptors=np.concatenate([view.descriptors for view in views]),
        view=np.concatenate([np.full(len(view.points), index, np.uint8) for index, view in enumerate(views)]),
    ) if views else None  # fmt: skip
    return StoredImage(
        photo.image_id, photo.filename, photo.width, photo.height, with_words(blob, vocabulary), views=packed_views
    )


def with_words(blob: bytes, vocabulary: F.Vocabulary | None) -> bytes:
    """The stored features with their visual words in `vocabulary` (the generic one by default)."""
    vocabulary = vocabulary or F.vocabulary()
    data = F.unpack(blob)
    data["keypoint_words"] = _keypoint_words(data["descriptors"], vocabulary)
    data["words"] = np.unique(data["keypoint_words"]).astype(np.int32)
    data["vocabulary"] = np.array(vocabulary.key)
    return F.pack(**data)


def _keypoint_words(descriptors: np.ndarray, vocabulary: F.Vocabulary) -> np.ndarray:
    # int16 holds every word of a vocabulary of at most 128² and halves the stored size.
    return vocabulary.words(F.rootsift(descriptors)).astype(np.int16)


def train_catalog_vocabulary(stored: Sequence[StoredSku]) -> F.Vocabulary:
    """A vocabulary fitted to the catalog's own descriptors: words specific to its products."""
    roots = [F.rootsift(F.unpack(image.features)["descriptors"]) for sku in stored for image in sku.images]
    if not roots:
        raise ValueError("the catalog has no images to train on")
    return F.train_vocabulary(np.concatenate(roots))


def with_own_vocabulary(skus: Sequence[StoredSku]) -> StoredCatalog:
    """The catalog with a vocabulary fitted to its images and their words in it, as `catalog import`
    and `catalog reindex` leave a store (for benches and tests that hold a catalog in memory)."""
    vocabulary = train_catalog_vocabulary(skus)
    return StoredCatalog(
        tuple(
            replace(sku, images=tuple(replace(image, features=with_words(image.features, vocabulary)) for image in sku.images))
            for sku in skus
        ),
        vocabulary.to_bytes(),
    )


def _image_from(
    sku: str,
    stored: StoredImage,
    vocabulary: F.Vocabulary,
    legacy_zones: dict[str, Any] | None,
    load_views: Callable[[str, str], bytes | None] | None,
) -> CatalogImage:
    data = F.unpack(stored.features)
    keypoint_words = data.get("keypoint_words")
    if keypoint_words is None or str(data.get("vocabulary", "")) != vocabulary.key:
        # Stored under another vocabulary (added before the catalog was reindexed), or before the
        # words of each keypoint were stored: measured again once, when the catalog is loaded.
        keypoint_words = _keypoint_words(data["descriptors"], vocabulary)
    return CatalogImage(
        sku=sku,
        image_id=stored.image_id,
        filename=stored.filename,
        width=stored.width,
        height=stored.height,
        points=data["points"],
        descriptors=data["descriptors"],
        words=np.unique(keypoint_words).astype(np.int32),
        keypoint_words=keypoint_words,
        colour=data["colour"],
        mask=data["mask"],
        zones=dict(stored.zones or legacy_zones or {}),
        thumb=data.get("thumb"),
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


# -- the in-memory catalog of one tenant -------------------------------------------------------------


class TenantCatalog:
    def __init__(self, stored: StoredCatalog, load_views: Callable[[str, str], bytes | None] | None = None) -> None:
        """`load_views(sku, image_id)` reads an image's tilted views from the store (see `StoredImage`)."""
        vocabulary = F.Vocabulary.from_bytes(stored.vocabulary) if stored.vocabulary else F.vocabulary()
        entries = [
            CatalogSku(
                sku=sku.sku,
                name=sku.name,
                category=sku.category,
                images=tuple(
                    _image_from(sku.sku, image, vocabulary, sku.zones if index == 0 else None, load_views)
                    for index, image in enumerate(sku.images)
                ),
            )
            for sku in stored.skus
        ]
        self._set(entries, vocabulary)

    @classmethod
    def of(cls, entries: Sequence[CatalogSku], vocabulary: F.Vocabulary) -> TenantCatalog:
        """A catalog of SKUs already in memory (benchmarks build synthetic ones this way)."""
        made = cls.__new__(cls)
        made._set(entries, vocabulary)
        return made

    def _set(self, entries: Sequence[CatalogSku], vocabulary: F.Vocabulary) -> None:
        self.vocabulary = vocabulary
        self.skus: dict[str, CatalogSku] = {entry.sku: entry for entry in entries}
        self.images: list[CatalogImage] = [image for entry in entries for image in entry.images]
        brands: dict[str, list[int]] = {}
        for index, image in enumerate(self.images):
            brands.setdefault(self.skus[image.sku].brand, []).append(index)
        self._brands = {brand: np.array(indices) for brand, indices in brands.items()}
        self._lookalikes: dict[str, list[tuple[str, float]]] = {}
        self._build_index(vocabulary.size)

    def _build_index(self, vocabulary_size: int) -> None:
        """Inverted file: for each word, the images holding it, weighted by idf² / |image|."""
        if not self.images:
            self._offsets = np.zeros(vocabulary_size + 1, np.int64)
            self._postings = np.zeros(0, np.int32)
            self._weights = np.zeros(0, np.float32)
            self._idf = np.zeros(vocabulary_size, np.float32)
            return
        owner = np.concatenate([np.full(len(im.words), i, np.int32) for i, im in enumerate(self.images)])
        words = np.concatenate([im.words for im in self.images]).astype(np.int64)
        df = np.bincount(words, minlength=vocabulary_size)
        self._idf = np.log((len(self.images) + 1) / (df + 1)).astype(np.float32)
        norms = np.sqrt(np.bincount(owner, weights=self._idf[words] ** 2, minlength=len(self.images)))
        order = np.argsort(words, kind="stable")
        self._postings = owner[order]
        self._weights = (self._idf[words] ** 2 / np.maximum(norms[owner], 1e-9))[order].astype(np.float32)
        self._offsets = np.concatenate([[0], np.cumsum(df)]).astype(np.int64)

    def get(self, sku: str | None) -> CatalogSku | None:
        return self.skus.get(sku) if sku else None

    def retrieve(self, features: PhotoFeatures, exclude: str | None, limit: int) -> list[tuple[str, float]]:
        """The `limit` SKUs whose images share the most (idf-weighted) visual words with the photo,
        words near its centre weighing more."""
        return self._rank(self._scores(*features.centred_words(self.vocabulary)), exclude, limit)

    def _scores(self, words: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        """tf-idf similarity of every catalog image to the photo, from the posting lists it touches;
        `weights`: one per word of the query (1 each by default)."""
        scores = np.zeros(len(self.images))
        if not len(self._postings) or not len(words):
            return scores
        starts, ends = self._offsets[words], self._offsets[words + 1]
        keep = ends > starts
        spans = [np.arange(s, e) for s, e in zip(starts[keep], ends[keep], strict=True)]
        if spans:
            hits = np.concatenate(spans)
            posted = self._weights[hits]
            if weights is not None:
                posted = posted * np.repeat(weights[keep], (ends - starts)[keep])
            scores += np.bincount(self._postings[hits], weights=posted, minlength=len(self.images))
        return scores

    def _rank(
        self, scores: np.ndarray, exclude: str | None, limit: int, among: np.ndarray | None = None
    ) -> list[tuple[str, float]]:
        pool = np.arange(len(self.images)) if among is None else among
        ranked: list[tuple[str, float]] = []
        seen: set[str] = set()
        for index in pool[np.argsort(-scores[pool])][: (limit + 1) * MAX_IMAGES_PER_SKU]:
            sku = self.images[index].sku
            if scores[index] <= 0 or sku == exclude or sku in seen:
                continue
            seen.add(sku)
            ranked.append((sku, float(scores[index])))
            if len(ranked) == limit:
                break
        return ranked

    def lookalikes(self, sku: str) -> list[tuple[str, float]]:
        """The SKUs of its brand whose catalog images resemble the SKU's own: a variant that the
        photo's words happen to rank low (it shows two products) is verified all the same."""
        found = self._lookalikes.get(sku)
        if found is None:
            entry = self.skus[sku]
            scores = sum(
                (self._scores(image.words) for image in entry.images[:MAX_IMAGES_PER_SKU]),
                np.zeros(len(self.images)),
            )
            found = self._lookalikes[sku] = self._rank(scores, sku, LOOKALIKES, self._brands.get(entry.brand))
        return found

    def assess(self, photo: Photo, features: PhotoFeatures, sku: str, *, views: bool = False) -> Assessment:
        """`views`: match the tilted views of each image verified too (the closer look)."""
        entry = self.skus[sku]
        ordered = _best(features, entry.images[:MAX_IMAGES_PER_SKU], views)
        scores = self._scores(*features.centred_words(self.vocabulary))
        shortlist = self._shortlist(features, self._rank(scores, sku, SHORTLIST))
        candidates = [(name, score) for name, score, _ in shortlist[: CLOSER_CANDIDATES if views else CANDIDATES]]
        # The ordered SKU's own brand is where look-alikes are: its variants are verified even when
        # the words rank them lower (they share the logo with half the shelf).
        siblings = self._rank(scores, sku, SIBLINGS, self._brands.get(entry.brand)) + self.lookalikes(sku)
        for sibling in siblings:
            if sibling[0] not in {name for name, _ in candidates}:
                candidates.append(sibling)
        rivals = [
            _best(features, self.skus[candidate].images[:MAX_IMAGES_PER_SKU], views) for candidate, _ in candidates
        ]
        found = sorted((r for r in rivals if r is not None and r.inliers > 0), key=lambda r: -r.inliers)
        other = found[0] if found else None
        # Only siblings the photo matched at all: a sibling verified with no inlier is not what the
        # photo shows, yet the logo it shares took the ordered match's own print away (a genuine
        # claim warned once the closer look verified a 10th SKU).
        brand_names = tuple(r.image.sku for r in found if self.skus[r.image.sku].brand == entry.brand)
        brand_distinct = None
        if views and ordered is not None and ordered.inliers and brand_names:
            images = [image for name in brand_names for image in self.skus[name].images[:MAX_IMAGES_PER_SKU]]
            brand_distinct = unshared_inliers(ordered, images)
        return Assessment(
            photo_keypoints=len(features.points),
            ordered=ordered,
            other=other,
            rivals=tuple(found),
            colour_overlap=_colour_overlap(features, ordered),
            other_colour_overlap=_colour_overlap(features, other),
            candidates=tuple(candidates),
            shortlist=tuple((name, inliers) for name, _, inliers in shortlist),
            # Between variants of one design only: other brands' designs differ everywhere.
            colour_votes=tuple(
                _colour_vote(features, ordered, rival)
                if rival.inliers >= VOTE_MIN_INLIERS and self.skus[rival.image.sku].brand == entry.brand
                else None
                for rival in found
            ),
            brand_distinct=brand_distinct,
            brand_sibling=brand_names[0] if brand_distinct is not None else None,
        )

    def _shortlist(
        self, features: PhotoFeatures, ranked: list[tuple[str, float]]
    ) -> list[tuple[str, float, int]]:
        """The SKUs proposed by the visual words, ranked again by where the words lie.

        tf-idf counts shared words wherever they lie, so a shelf of other products, or a logo on half
        of them, can put the product shown below the few verified; the inliers of a homography on
        keypoints of shared words (`features.word_inliers`) sort it up for about a tenth of the cost
        of a full verification. Ties keep the words' order.
        """
        photo_words = features.keypoint_words(self.vocabulary)
        height, width = features.rgb.shape[:2]
        found = []
        for name, score in ranked:
            inliers = max(
                (
                    F.word_inliers(
                        photo_words, features.points, features.root, *image.words_sorted, image.points,
                        image.descriptors, (image.width, image.height), (width, height),
                    )  # fmt: skip
                    for image in self.skus[name].images[:MAX_IMAGES_PER_SKU]
                ),
                default=0,
            )
            found.append((name, score, inliers))
        return sorted(found, key=lambda item: -item[2])  # stable: ties stay in the words' order


def _best(features: PhotoFeatures, images: Sequence[CatalogImage], views: bool = False) -> ImageMatch | None:
    best: ImageMatch | None = None
    height, width = features.rgb.shape[:2]
    for image in images:
        # Each view apart: a keypoint and its twin in another view would fail each other's ratio test.
        looks: list[tuple[int | None, tuple[np.ndarray, np.ndarray]]] = [(None, (image.points, _roots(image)))]
        if views:
            looks += list(enumerate(_views(image)))
        for view, (points, roots) in looks:
            geometry = F.verify(features.points, features.root, points, roots, (image.width, image.height), (width, height))
            if best is None or geometry.inliers > best.inliers:
                full = None
                if geometry.homography is not None:
                    full = np.diag([1 / features.scale, 1 / features.scale, 1.0]) @ geometry.homography
                best = ImageMatch(image, geometry, full, view)
    return best


def distinctive_inliers(match: ImageMatch, rival: ImageMatch) -> int:
    """Inliers of `match` on features its catalog image does not share with `rival`'s.

    Two variants of one design (apple and grapefruit juice of one brand) share logo and layout,
    which match either; what the photo shows of the parts that differ decides between them. When
    both were fitted to the photo, their homographies map one catalog image onto the other.
    """
    inliers = match.geometry.inlier_keypoints
    if inliers is None or not len(inliers):
        return 0
    to_other = None
    if match.geometry.homography is not None and rival.geometry.homography is not None:
        to_other = np.linalg.inv(rival.geometry.homography) @ match.geometry.homography
    points, roots = match.features
    other = rival.image
    shared = F.shared_keypoints(
        points[inliers], roots[inliers], other.points, _roots(other), to_other, (other.width, other.height)
    )
    return int((~shared).sum())


def apart(first: ImageMatch, second: ImageMatch) -> bool:
    """The two matches are two objects in the photo: each one's inliers lie outside the other's.

    Where the inliers lie, not where the whole catalog images land: a carton held in front of the
    fridge and one on the shelf behind it overlap as quadrilaterals (IoU 0.18 in the grocery
    corpus) while their print does not.
    """
    mine, theirs = _photo_inliers(first), _photo_inliers(second)
    if len(mine) < 3 or len(theirs) < 3:
        return False
    return _share_inside(theirs, mine) <= APART_INSIDE and _share_inside(mine, theirs) <= APART_INSIDE


def _photo_inliers(match: ImageMatch) -> np.ndarray:
    """Where the match's inliers lie in the photo (pixels of the feature copy)."""
    inliers = match.geometry.inlier_keypoints
    if inliers is None or match.geometry.homography is None:
        return np.zeros((0, 2), np.float32)
    points = match.features[0][inliers].reshape(-1, 1, 2).astype(np.float32)
    return cv2.perspectiveTransform(points, match.geometry.homography).reshape(-1, 2)


def _share_inside(points: np.ndarray, hull_of: np.ndarray) -> float:
    hull = cv2.convexHull(hull_of)
    inside = sum(cv2.pointPolygonTest(hull, (float(x), float(y)), False) >= 0 for x, y in points)
    return inside / len(points)


def unshared_inliers(match: ImageMatch, images: Sequence[CatalogImage]) -> int:
    """Inliers of `match` on features none of `images` has, upright or in the view that matched.

    Packs of one brand share its logo, and a tilted view matches a logo seen at a slant as well on
    any of them; the closer look confirms a variant only on print the others lack. The same view
    of each is compared as well: a slanted logo is alike in the same view of every pack.
    """
    inliers = match.geometry.inlier_keypoints
    if inliers is None or not len(inliers):
        return 0
    points, roots = match.features
    shared = np.zeros(len(inliers), bool)
    for image in images:
        looks = [(image.points, _roots(image))]
        if match.view is not None and len(_views(image)) > match.view:
            looks.append(_views(image)[match.view])
        for other_points, other_roots in looks:
            shared |= F.shared_keypoints(
                points[inliers], roots[inliers], other_points, other_roots, None, (image.width, image.height)
            )
    return int((~shared).sum())


@lru_cache(maxsize=ROOTS_CACHED)
def _roots(image: CatalogImage) -> np.ndarray:
    """RootSIFT of a catalog image: the ordered SKU and its rivals recur from claim to claim."""
    return F.rootsift(image.descriptors)


@lru_cache(maxsize=VIEWS_CACHED)
def _views(image: CatalogImage) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """Points and RootSIFT of each tilted view of a catalog image; none when it has none stored."""
    blob = image.read_views() if image.read_views is not None else None
    if blob is None:
        return ()
    data = F.unpack(blob)
    return tuple(
        (data["points"][data["view"] == index], F.rootsift(data["descriptors"][data["view"] == index]))
        for index in range(len(F.VIEW_TILTS))
    )


def _colour_overlap(features: PhotoFeatures, match: ImageMatch | None) -> float | None:
    """Colour of the catalog product vs the photo's pixels where the homography puts it."""
    if match is None or match.geometry.homography is None:
        return None
    image = match.image
    mask = image.mask
    height, width = features.colour_rgb.shape[:2]
    shrink = width / features.rgb.shape[1]
    to_mask = np.diag([mask.shape[1] / image.width, mask.shape[0] / image.height, 1.0])
    from_mask = np.diag([shrink, shrink, 1.0]) @ match.geometry.homography @ np.linalg.inv(to_mask)
    warped = cv2.warpPerspective(mask, from_mask, (width, height), flags=cv2.INTER_NEAREST)
    if warped.sum() < 50:
        return None
    return F.histogram_overlap(image.colour, F.colour_histogram(features.colour_rgb, warped))


def _colour_vote(features: PhotoFeatures, ordered: ImageMatch | None, rival: ImageMatch) -> F.ColourVote | None:
    """Where the ordered and the rival's catalog images differ in colour, which the photo follows."""
    if ordered is None or ordered.geometry.homography is None or rival.geometry.homography is None:
        return None
    mine, theirs = ordered.image, rival.image
    if mine.thumb is None or theirs.thumb is None or _overlap(ordered, rival) < SAME_OBJECT_OVERLAP:
        return None  # two objects in the photo (two cartons side by side): colours do not choose
    to_photo = ordered.geometry.homography @ mine.from_thumb
    to_theirs = np.linalg.inv(theirs.from_thumb) @ np.linalg.inv(rival.geometry.homography) @ to_photo
    return F.colour_vote(
        features.lab, mine.thumb, mine.thumb_mask, to_photo, theirs.thumb, theirs.thumb_mask, to_theirs
    )


def _overlap(first: ImageMatch, second: ImageMatch) -> float:
    """Intersection over union of where two homographies put their catalog images in the photo."""
    quads = []
    for match in (first, second):
        width, height = match.image.width, match.image.height
        corners = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float32).reshape(-1, 1, 2)
        assert match.geometry.homography is not None
        quads.append(cv2.perspectiveTransform(corners, match.geometry.homography).reshape(-1, 2))
    common, _ = cv2.intersectConvexConvex(quads[0], quads[1])
    union = cv2.contourArea(quads[0]) + cv2.contourArea(quads[1]) - common
    return float(common / union) if union > 0 else 0.0


# -- photo side ---------------------------------------------------------------------------------------

_photo_cache: weakref.WeakKeyDictionary[Photo, PhotoFeatures] = weakref.WeakKeyDictionary()
_closer_cache: weakref.WeakKeyDictionary[Photo, PhotoFeatures] = weakref.WeakKeyDictionary()
_cache_lock = threading.Lock()


def photo_features(photo: Photo, *, closer: bool = False) -> PhotoFeatures:
    """The photo's features, measured once per photo however many looks ask; `closer`: those of
    the closer look, on a copy `features.CLOSER_SCALE` times the first's size."""
    cache = _closer_cache if closer else _photo_cache
    with _cache_lock:
        cached = cache.get(photo)
    if cached is not None:
        return cached
    working = np.asarray(photo.working)
    side = min(max(working.shape[:2]), F.PHOTO_MAX_SIDE)
    if closer:
        side = round(side * F.CLOSER_SCALE)
    rgb = _resized_to(working, side)
    local = F.extract(
        cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY),
        max_side=side,
        max_features=F.CLOSER_MAX_FEATURES if closer else F.PHOTO_MAX_FEATURES,
    )
    found = PhotoFeatures(
        points=local.points,
        root=F.rootsift(local.descriptors),
        rgb=rgb,
        scale=rgb.shape[1] / photo.width,
        colour_rgb=_fit(rgb, COLOUR_SIDE),
    )
    with _cache_lock:
        cache[photo] = found
    return found


def _resized_to(image: np.ndarray, side: int) -> np.ndarray:
    """A copy whose longest side is `side`, enlarged or reduced."""
    height, width = image.shape[:2]
    if max(height, width) == side:
        return image
    ratio = side / max(height, width)
    size = (max(1, round(width * ratio)), max(1, round(height * ratio)))
    return cv2.resize(image, size, interpolation=cv2.INTER_CUBIC if ratio > 1 else cv2.INTER_AREA)


def _fit(image: np.ndarray, side: int) -> np.ndarray:
    return _resized_to(image, min(side, max(image.shape[:2])))


# -- all tenants, once per process -------------------------------------------------------------------


@dataclass
class Catalog:
    """Each tenant's catalog, loaded from `load` on first use and kept for the process;
    `load_views(tenant, sku, image_id)` reads one image's tilted views when a closer look needs them."""

    load: Callable[[str], StoredCatalog | TenantCatalog]
    load_views: Callable[[str, str, str], bytes | None] | None = None
    _tenants: dict[str, TenantCatalog] = field(default_factory=dict)
    _assessed: weakref.WeakKeyDictionary[Photo, dict[tuple[str, str], Assessment]] = field(
        default_factory=weakref.WeakKeyDictionary
    )
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def for_tenant(self, tenant: str) -> TenantCatalog:
        with self._lock:
            found = self._tenants.get(tenant)
        if found is None:
            loaded = self.load(tenant)
            if isinstance(loaded, TenantCatalog):
                found = loaded
            else:
                found = TenantCatalog(loaded, partial(self.load_views, tenant) if self.load_views else None)
            with self._lock:
                self._tenants[tenant] = found
        return found

    def forget(self, tenant: str) -> None:
        """Drop a tenant's loaded catalog (after it changed) so the next use reloads it."""
        with self._lock:
            self._tenants.pop(tenant, None)

    def assess(self, photo: Photo, tenant: str, sku: str) -> Assessment:
        """The photo against the ordered SKU and its best rival; computed once per photo and SKU."""
        key = (tenant, sku)
        with self._lock:
            done = self._assessed.get(photo, {}).get(key)
        if done is not None:
            return done
        catalog = self.for_tenant(tenant)
        result = catalog.assess(photo, photo_features(photo), sku)
        if result.found_nothing and result.photo_keypoints >= PLAIN_PHOTO_KEYPOINTS:
            closer = catalog.assess(photo, photo_features(photo, closer=True), sku, views=True)
            result = replace(closer, closer=True)
        with self._lock:
            self._assessed.setdefault(photo, {})[key] = result
        return result


def parse_image_zones(value: Any, filenames: Sequence[str]) -> dict[str, dict[str, list[int]]]:
    """Zones per image, keyed by file name: {"back.jpg": {"seam": [x, y, w, h]}, ...}.

    A plain zone map ({"zipper": [x, y, w, h]}) is drawn on the first of `filenames`.
    """
    if not filenames:
        raise ValueError("zones need an image to be drawn on")
    if not isinstance(value, dict) or not value or not all(isinstance(v, dict) for v in value.values()):
        return {filenames[0]: parse_zones(value)}
    unknown = sorted(set(value) - set(filenames))
    if unknown:
        raise ValueError(f"zones name {unknown[0]!r}, which is not one of the images ({', '.join(filenames)})")
    return {str(name): parse_zones(zones) for name, zones in value.items()}


def parse_zones(value: Any) -> dict[str, list[int]]:
    """Zones as given by a merchant: {"zipper": [x, y, w, h], ...} in catalog image pixels."""
    if not isinstance(value, dict) or not value:
        raise ValueError('zones must be a JSON object such as {"zipper": [10, 20, 100, 40]}')
    zones: dict[str, list[int]] = {}
    for name, box in value.items():
        if (
            not isinstance(box, list)
            or len(box) != 4
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in box)
        ):
            raise ValueError(f"zone {name!r} must be [x, y, w, h], got {box!r}")
        x, y, w, h = (int(round(v)) for v in box)
        if x < 0 or y < 0 or w <= 0 or h <= 0:
            raise ValueError(f"zone {name!r} needs x, y >= 0 and w, h > 0, got {box!r}")
        zones[str(name)[:64]] = [x, y, w, h]
    return zones
