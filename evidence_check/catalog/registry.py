"""The catalogs in memory: one tenant's (`TenantCatalog`: retrieval and assessment) and every
tenant's, each loaded on first use and let go, least recently used first, beyond a memory budget
(`Catalog`). A tenant's catalog holds its SKUs packed (`_Entries`); the word index, the vocabulary
and each image's arrays are mapped from its feature file (`feature_file`), shared by the host's
processes.

Finding the ordered SKU: every image of that SKU is verified geometrically. Finding a *better*
SKU: the word index ranks the other SKUs by tf-idf, each of the photo's words weighted by how near
the centre it lies; the best `SHORTLIST` are ranked again by a cheap homography on keypoints of
shared words (`features.word_inliers`), and only the best `CANDIDATES` of those (`CLOSER_CANDIDATES`
in the closer look) are verified, plus the best `SIBLINGS` of the ordered SKU's own brand and its
`LOOKALIKES` (its likeliest look-alikes). A query touches only the posting lists of its own words
(which grow with the catalog: `words.WordIndex`) and a fixed number of images.

The catalog measures; the caller's rules (`LookRules`, kept in `checks/relevance/rules.py`) decide
when a photo is looked at again closer and which rivals get a colour vote. The closer look matches
each verified image's tilted views too (`features.extract_views`), read per image only then; the
coarse look, asked when the closer one finds nothing, each image's blurred copy stored beside them.
"""

from __future__ import annotations

import marshal
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, partial
from typing import Any, Protocol

import numpy as np

from evidence_check.catalog.entries import CatalogImage, CatalogSku, image_arrays, image_from
from evidence_check.catalog.feature_file import (
    ArrayCache,
    FeatureFile,
    FeatureFileError,
    identity_digest,
    in_memory,
)
from evidence_check.catalog.labels import brand_key
from evidence_check.catalog.matching import (
    Assessment,
    ImageMatch,
    best_match,
    colour_overlap,
    colour_vote,
    framing,
    unshared_inliers,
)
from evidence_check.catalog.photo import Look, PhotoFeatures
from evidence_check.catalog.words import WordIndex
from evidence_check.imaging import features as F
from evidence_check.settings import Settings
from evidence_check.store.catalog_types import StoredCatalog, StoredImage, StoredSku

SHORTLIST = 16  # other SKUs best by visual words, ranked again by `features.word_inliers`
CANDIDATES = 3  # of those, the best verified geometrically per photo
# The closer look verifies more: a pack at a slant, matched through tilted views, shares few words
# at their upright places, so the word homographies rank it lower.
CLOSER_CANDIDATES = 10
SIBLINGS = 2  # and at most this many more of the ordered SKU's brand
LOOKALIKES = 1  # and its brand's SKU whose catalog images share most words with its own
MAX_IMAGES_PER_SKU = 8  # of the ordered SKU, verified per photo
# What a stored catalog holds resident per image (its SKU's packed record, name and place in the
# lookup arrays), about: scripts/probe_worker_memory.py measures it.
IMAGE_RECORD_BYTES = 256
# SKUs whose `CatalogSku` (records and readers of their images) a stored catalog keeps made: a
# claim reads a few dozen.
MADE_SKUS = 1024
# Images whose arrays a catalog given whole (tests, benches) keeps prepared: as many as a store's
# (`catalog_cached_images`), so the two are measured alike.
CACHED_IMAGES: int = Settings.model_fields["catalog_cached_images"].default


def vocabulary_of(stored: StoredCatalog) -> F.Vocabulary:
    """The vocabulary the catalog's words are measured in: its own, else the generic one."""
    return F.Vocabulary.from_bytes(stored.vocabulary) if stored.vocabulary else F.vocabulary()


def identity_of(stored: StoredCatalog) -> list[str]:
    """What names each image of the catalog, in its order: a feature file must hold these."""
    return [f"{sku.sku}/{image.image_id}" for sku in stored.skus for image in sku.images]


class LookRules(Protocol):
    """What the caller decides about a photo's assessment; the catalog only measures."""

    def needs_closer_look(self, first: Assessment) -> bool:
        """Whether the first look's assessment calls for the closer look."""
        ...

    def gives_colour_vote(self, rival: ImageMatch, same_brand: bool) -> bool:
        """Whether the colours by place are measured between the ordered SKU and this rival."""
        ...


class TenantCatalog:
    def __init__(
        self,
        stored: StoredCatalog,
        load_views: Callable[[str, str], bytes | None] | None = None,
        cache: ArrayCache | None = None,
    ) -> None:
        """A catalog given whole, its features held in a feature file built in memory.
        `load_views(sku, image_id)` reads an image's tilted views from the store (see `StoredImage`)."""
        vocabulary = vocabulary_of(stored)
        images = [image for sku in stored.skus for image in sku.images]
        file = in_memory(
            ((slot, image_arrays(image.features, vocabulary, image.words)) for slot, image in enumerate(images)),
            len(images), identity_of(stored), vocabulary,
        )  # fmt: skip
        self._open(stored, file, load_views, cache)

    @classmethod
    def from_file(
        cls,
        stored: StoredCatalog,
        file: FeatureFile,
        load_views: Callable[[str, str], bytes | None] | None,
        cache: ArrayCache | None,
        vocabulary_key: str | None = None,
    ) -> TenantCatalog:
        """A stored catalog's SKUs and images (`features` not read) with their features and
        vocabulary in `file`; `vocabulary_key`: the catalog's vocabulary's, when the caller has it
        already (`vocabulary_of`)."""
        key = vocabulary_key or vocabulary_of(stored).key
        if file.vocabulary.key != key:
            raise FeatureFileError("the feature file's words are of another vocabulary than the catalog's")
        made = cls.__new__(cls)
        made._open(stored, file, load_views, cache)
        return made

    def _open(
        self,
        stored: StoredCatalog,
        file: FeatureFile,
        load_views: Callable[[str, str], bytes | None] | None,
        cache: ArrayCache | None,
    ) -> None:
        if file.identity != identity_digest(identity_of(stored)):
            raise FeatureFileError("the feature file holds other images than the catalog")
        held = cache if cache is not None else ArrayCache(CACHED_IMAGES)
        self.file: FeatureFile | None = file
        self.vocabulary = file.vocabulary  # mapped: the host's page cache holds it once
        entries = _Entries(stored.skus, partial(_entry, held, file, load_views))
        self.skus: Mapping[str, CatalogSku] = entries
        self._image_skus: Sequence[str] = entries.image_skus
        brands = [brand_key(sku.brand, sku.name, sku.sku) for sku in stored.skus for _ in sku.images]
        self._index_brands(brands, file.index)

    @classmethod
    def of(cls, entries: Sequence[CatalogSku], vocabulary: F.Vocabulary) -> TenantCatalog:
        """A catalog of SKUs already in memory (benchmarks build synthetic ones this way)."""
        made = cls.__new__(cls)
        made.file = None
        made._set(entries, vocabulary, None)
        return made

    def _set(self, entries: Sequence[CatalogSku], vocabulary: F.Vocabulary, index: WordIndex | None) -> None:
        self.vocabulary = vocabulary
        self.skus = {entry.sku: entry for entry in entries}
        images = [image for entry in entries for image in entry.images]
        self._image_skus = [image.sku for image in images]
        index = index if index is not None else WordIndex([image.words for image in images], vocabulary.index_size)
        self._index_brands([self.skus[name].brand for name in self._image_skus], index)

    def _index_brands(self, brands: list[str], index: WordIndex) -> None:
        """`brands`: each image's SKU's brand, in the word index's order. Both ways of loading end here."""
        # Every claim names its words by the vocabulary's key: hashed now (0.1 s for the leaves of a
        # large catalog's), not by the first claim.
        _ = self.vocabulary.key
        by_brand: dict[str, list[int]] = {}
        for number, brand in enumerate(brands):
            by_brand.setdefault(brand, []).append(number)
        self._brands = {brand: np.array(numbers) for brand, numbers in by_brand.items()}
        self._lookalikes: dict[str, list[tuple[str, float]]] = {}
        self.index = index

    @property
    def images(self) -> list[CatalogImage]:
        """Every image of the catalog, in the word index's order (each SKU's entry made)."""
        return [image for entry in self.skus.values() for image in entry.images]

    @property
    def image_count(self) -> int:
        return len(self._image_skus)

    def resident_bytes(self) -> int:
        """What holding this catalog costs a worker, about: its images' records, its word index, its
        vocabulary's leaves (both mapped from the host's feature file: resident, shared with the
        host's other processes), and its feature file when that was built in memory rather than
        read from the host's."""
        leaves = self.vocabulary.leaves.nbytes if self.vocabulary.leaves is not None else 0
        held = self.file.held_bytes if self.file else 0
        return self.image_count * IMAGE_RECORD_BYTES + self.index.nbytes() + leaves + held

    def get(self, sku: str | None) -> CatalogSku | None:
        return self.skus.get(sku) if sku else None

    def retrieve(self, features: PhotoFeatures, exclude: str | None, limit: int) -> list[tuple[str, float]]:
        """The `limit` SKUs whose images share the most (idf-weighted) visual words with the photo,
        words near its centre weighing more."""
        return self._rank(self._scores(features), exclude, limit)

    def _scores(self, features: PhotoFeatures) -> np.ndarray:
        return self.index.scores(*features.centred_words(self.vocabulary))

    def _rank(
        self, scores: np.ndarray, exclude: str | None, limit: int, among: np.ndarray | None = None
    ) -> list[tuple[str, float]]:
        """The `limit` SKUs of the best scored images (of `among`, else of the whole catalog), each
        at its best image's score, `exclude` passed over."""
        count = (limit + 1) * MAX_IMAGES_PER_SKU
        scored = len(scores) if among is None else len(among)
        while True:
            # The whole catalog's best straight from its scores: no copy of 100,000 of them to rank.
            best = _best(scores, count) if among is None else among[_best(scores[among], count)]
            ranked: list[tuple[str, float]] = []
            seen: set[str] = set()
            for index in best:
                sku = self._image_skus[index]
                if scores[index] <= 0 or sku == exclude or sku in seen:
                    continue
                seen.add(sku)
                ranked.append((sku, float(scores[index])))
                if len(ranked) == limit:
                    return ranked
            # A SKU of more images than `MAX_IMAGES_PER_SKU` (ranked or excluded) can fill the
            # places read: read more, the same best first (`_best` keeps ties in position order).
            if count >= scored or scores[best[-1]] <= 0:
                return ranked
            count *= 4

    def lookalikes(self, sku: str) -> list[tuple[str, float]]:
        """The SKUs of its brand whose catalog images resemble the SKU's own: a variant that the
        photo's words happen to rank low (it shows two products) is verified all the same."""
        found = self._lookalikes.get(sku)
        if found is None:
            entry = self.skus[sku]
            brand = self._brands.get(entry.brand, np.zeros(0, np.int64))
            # Its own images are not scored: they would be searched for, only for the ranking to
            # pass them over. Each other image is looked for only in the posting lists of the words
            # it holds.
            others = brand[[self._image_skus[number] != sku for number in brand]]

            @cache  # read once for the SKU's images, and only if they are searched for
            def held() -> list[np.ndarray]:
                # In `others`' order: the index numbers a SKU's images together, in its own order.
                names = dict.fromkeys(self._image_skus[number] for number in others)
                return [image.words for name in names for image in self.skus[name].images]

            scores = sum(
                (
                    self.index.scores(image.words, among=others, among_words=held)
                    for image in entry.images[:MAX_IMAGES_PER_SKU]
                ),
                np.zeros(self.image_count),
            )
            found = self._lookalikes[sku] = self._rank(scores, sku, LOOKALIKES, others)
        return found

    def look(self, features: Callable[[Look], PhotoFeatures], sku: str, rules: LookRules) -> Assessment:
        """The photo assessed against `sku`: the first look, the closer one when `rules` ask for it,
        and when they ask again, the coarse one (kept only when it finds what the closer one did not:
        a photo it finds nothing in keeps the closer look's answer). `features(look)` gives the
        photo's features for each look."""
        first = self.assess(features(Look.FIRST), sku, rules)
        if not rules.needs_closer_look(first):
            return first
        closer = self.assess(features(Look.CLOSER), sku, rules, Look.CLOSER)
        if not rules.needs_closer_look(closer):
            return closer
        coarse = self.assess(features(Look.COARSE), sku, rules, Look.COARSE)
        return closer if rules.needs_closer_look(coarse) else coarse

    def assess(self, features: PhotoFeatures, sku: str, rules: LookRules, look: Look = Look.FIRST) -> Assessment:
        """One look at the photo: the closer look matches the tilted views of each image verified
        too, the coarse look each image's coarse copy instead (`features.COARSE_VIEW`)."""
        entry = self.skus[sku]
        ordered = best_match(features, entry.images[:MAX_IMAGES_PER_SKU], look)
        scores = self._scores(features)
        shortlist = self._shortlist(features, self._rank(scores, sku, SHORTLIST))
        candidates = [(name, score) for name, score, _ in shortlist[: CANDIDATES if look is Look.FIRST else CLOSER_CANDIDATES]]
        # The ordered SKU's own brand is where look-alikes are: its variants are verified even when
        # the words rank them lower (they share the logo with half the shelf).
        siblings = self._rank(scores, sku, SIBLINGS, self._brands.get(entry.brand)) + self.lookalikes(sku)
        for sibling in siblings:
            if sibling[0] not in {name for name, _ in candidates}:
                candidates.append(sibling)
        rivals = [
            best_match(features, self.skus[candidate].images[:MAX_IMAGES_PER_SKU], look)
            for candidate, _ in candidates
        ]
        found = sorted((r for r in rivals if r is not None and r.inliers > 0), key=lambda r: -r.inliers)
        other = found[0] if found else None
        # Only siblings the photo matched at all: a sibling verified with no inlier is not what the
        # photo shows, yet the logo it shares would take the ordered match's own print away.
        brand_names = tuple(r.image.sku for r in found if self.skus[r.image.sku].brand == entry.brand)
        brand_distinct = None
        if look is not Look.FIRST and ordered is not None and ordered.inliers and brand_names:
            images = [image for name in brand_names for image in self.skus[name].images[:MAX_IMAGES_PER_SKU]]
            brand_distinct = unshared_inliers(ordered, images)
        return Assessment(
            photo_keypoints=len(features.points),
            ordered=ordered,
            other=other,
            rivals=tuple(found),
            colour_overlap=colour_overlap(features, ordered),
            other_colour_overlap=colour_overlap(features, other),
            candidates=tuple(candidates),
            shortlist=tuple((name, inliers) for name, _, inliers in shortlist),
            colour_votes=tuple(
                colour_vote(features, ordered, rival)
                if rules.gives_colour_vote(rival, self.skus[rival.image.sku].brand == entry.brand)
                else None
                for rival in found
            ),
            brand_distinct=brand_distinct,
            brand_sibling=brand_names[0] if brand_distinct is not None else None,
            other_framing=framing(features, other),
            look=look,
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


class _Entries(Mapping[str, CatalogSku]):
    """A stored catalog's SKUs by name, each made into a `CatalogSku` (its images' records and
    readers) when first asked for, the last `MADE_SKUS` made kept: a claim reads a few dozen SKUs,
    and making every one of a 100,000-image catalog's costs more than reading them from the store.

    Until made, a SKU is held packed: its fields and its images' (names, sizes, zones) marshalled
    into one buffer, found by its name's hash. ~150 bytes a SKU of one image, where its `StoredSku`
    and `StoredImage` objects and their strings take ~700 (70 MB a worker at 100,000 SKUs)."""

    def __init__(self, stored: Sequence[StoredSku], make: Callable[[StoredSku, int], CatalogSku]) -> None:
        self._records = _Packed(marshal.dumps(_fields(sku)) for sku in stored)
        self._names = _Packed(sku.sku.encode() for sku in stored)
        hashes = np.fromiter((hash(sku.sku) for sku in stored), np.int64, len(stored))
        self._order = np.argsort(hashes, kind="stable").astype(np.int32)
        self._hashes = hashes[self._order]
        counts = np.fromiter((len(sku.images) for sku in stored), np.int64, len(stored))
        self._first_slots = np.cumsum(counts) - counts  # each SKU's first image's slot in the file
        self.image_skus = _ImageSkus(self, np.repeat(np.arange(len(stored), dtype=np.int32), counts))
        self._make = make
        self._made: OrderedDict[str, CatalogSku] = OrderedDict()
        self._lock = threading.Lock()

    def name(self, number: int) -> str:
        return self._names[number].decode()

    def _number(self, sku: str) -> int | None:
        wanted, encoded = hash(sku), sku.encode()
        at = int(np.searchsorted(self._hashes, wanted))
        while at < len(self._hashes) and self._hashes[at] == wanted:
            number = int(self._order[at])
            if self._names[number] == encoded:
                return number
            at += 1
        return None

    def __getitem__(self, sku: str) -> CatalogSku:
        with self._lock:
            found = self._made.get(sku)
            if found is not None:
                self._made.move_to_end(sku)
                return found
        number = self._number(sku) if isinstance(sku, str) else None
        if number is None:
            raise KeyError(sku)
        made = self._make(_stored_sku(marshal.loads(self._records[number])), int(self._first_slots[number]))
        with self._lock:  # two threads making one SKU at once keep the first made
            found = self._made.setdefault(sku, made)
            self._made.move_to_end(sku)
            while len(self._made) > MADE_SKUS:
                self._made.popitem(last=False)
        return found

    def __iter__(self) -> Iterator[str]:
        return (self.name(number) for number in range(len(self)))

    def __len__(self) -> int:
        return len(self._hashes)


class _Packed:
    """Byte strings held as one buffer and their ends."""

    def __init__(self, items: Iterable[bytes]) -> None:
        held = list(items)
        self._data = b"".join(held)
        self._ends = np.cumsum(np.fromiter((len(item) for item in held), np.int64, len(held)))

    def __getitem__(self, number: int) -> bytes:
        start = int(self._ends[number - 1]) if number else 0
        return self._data[start : int(self._ends[number])]


class _ImageSkus(Sequence[str]):
    """The SKU of each image of a stored catalog, in the word index's order."""

    def __init__(self, entries: _Entries, numbers: np.ndarray) -> None:
        self._entries, self._numbers = entries, numbers

    def __getitem__(self, image: int) -> str:  # type: ignore[override]
        return self._entries.name(int(self._numbers[image]))

    def __len__(self) -> int:
        return len(self._numbers)


# A SKU as `_Entries` packs it: its fields and each image's (features left out: read from the file).
_SkuFields = tuple[str, str | None, str | None, Any, tuple[tuple[str, str, int, int, Any, bytes | None], ...], str | None, str | None]


def _fields(sku: StoredSku) -> _SkuFields:
    images = tuple((i.image_id, i.filename, i.width, i.height, i.zones, i.views) for i in sku.images)
    return (sku.sku, sku.name, sku.category, sku.zones, images, sku.brand, sku.family)


def _stored_sku(fields: _SkuFields) -> StoredSku:
    sku, name, category, zones, images, brand, family = fields
    return StoredSku(
        sku, name, category, zones,
        tuple(StoredImage(image_id, filename, width, height, b"", image_zones, views)
              for image_id, filename, width, height, image_zones, views in images),
        brand, family,
    )  # fmt: skip


def _entry(
    cache: ArrayCache,
    file: FeatureFile,
    load_views: Callable[[str, str], bytes | None] | None,
    sku: StoredSku,
    first_slot: int,
) -> CatalogSku:
    """A stored SKU as a worker holds it, its images' arrays read from `file` (slots from `first_slot`)."""
    return CatalogSku(
        sku=sku.sku,
        name=sku.name,
        category=sku.category,
        images=tuple(
            image_from(
                sku.sku,
                image,
                partial(cache.get, file, first_slot + number),
                sku.zones if number == 0 else None,
                load_views,
            )
            for number, image in enumerate(sku.images)
        ),
        given_brand=sku.brand,
        family=sku.family,
    )


def _best(scores: np.ndarray, count: int) -> np.ndarray:
    """Positions of the `count` highest scores, highest first, ties in position order: as a stable
    sort of all of them would give, but partitioned first (a full sort of a 100,000-image
    catalog's scores costs more than the rest of the ranking)."""
    if len(scores) <= 4 * count:
        return np.argsort(-scores, kind="stable")[:count]
    threshold = np.partition(scores, len(scores) - count)[len(scores) - count]
    above = np.flatnonzero(scores > threshold)
    tied = np.flatnonzero(scores == threshold)[: count - len(above)]
    chosen = np.concatenate([above, tied])  # ascending within each part: the stable sort keeps it
    return chosen[np.argsort(-scores[chosen], kind="stable")]


@dataclass
class Catalog:
    """Each tenant's catalog, loaded from `load` on first use and kept for the process."""

    load: Callable[[str], StoredCatalog | TenantCatalog]
    # What changes with a tenant's catalog in the store: another process (a `catalog import`, an API
    # worker beside this one) changed it when this moves, asked at most every `recheck_seconds`.
    stamp: Callable[[str], Hashable] | None = None
    recheck_seconds: float = 2.0
    cache: ArrayCache = field(default_factory=lambda: ArrayCache(CACHED_IMAGES))  # for every tenant
    # The tenants' catalogs held at once cost at most about this much (`TenantCatalog.resident_bytes`):
    # the least recently used are let go first, and loaded again when next needed.
    memory_bytes: int | None = None
    _tenants: OrderedDict[str, tuple[TenantCatalog, Hashable, float]] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def for_tenant(self, tenant: str) -> TenantCatalog:
        with self._lock:
            held = self._tenants.get(tenant)
            if held is not None:
                self._tenants.move_to_end(tenant)
        now = time.monotonic()
        if held is not None:
            found, stamp, checked = held
            if self.stamp is None or now - checked < self.recheck_seconds:
                return found
            current = self.stamp(tenant)
            if current == stamp:
                self._hold(tenant, (found, stamp, now))
                return found
        stamp = self.stamp(tenant) if self.stamp is not None else None
        loaded = self.load(tenant)
        found = loaded if isinstance(loaded, TenantCatalog) else TenantCatalog(loaded, cache=self.cache)
        self._hold(tenant, (found, stamp, now))
        return found

    def _hold(self, tenant: str, held: tuple[TenantCatalog, Hashable, float]) -> None:
        with self._lock:
            self._tenants[tenant] = held
            self._tenants.move_to_end(tenant)
            if self.memory_bytes is None:
                return
            total = sum(found.resident_bytes() for found, _, _ in self._tenants.values())
            while total > self.memory_bytes and len(self._tenants) > 1:
                _, (dropped, _, _) = self._tenants.popitem(last=False)
                total -= dropped.resident_bytes()

    def held(self) -> list[str]:
        """The tenants whose catalogs are in memory, least recently used first."""
        with self._lock:
            return list(self._tenants)

    def forget(self, tenant: str) -> None:
        """Drop a tenant's loaded catalog (after it changed) so the next use reloads it."""
        with self._lock:
            self._tenants.pop(tenant, None)
