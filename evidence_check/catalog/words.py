"""Visual words of the catalog: the vocabulary they are measured in, and the inverted index over them.

Every keypoint of a catalog image gets the word of its descriptor (`imaging.features.Vocabulary`:
the generic vocabulary shipped with the package, or one fitted to the tenant's own images by
`catalog reindex`), and the image the set of its index words (the same words, or their leaves when
the vocabulary has a third level). Both are stored with the features (`with_words`); images stored
under another vocabulary get them measured again when the catalog is loaded. `WordIndex` scores
every catalog image against a photo's index words by tf-idf, touching only the posting lists of
those words. A posting list holds about (catalog images x index words an image / index words)
images, so a large catalog trains a vocabulary with leaves (docs/measurements/scale.md).
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace

import numpy as np

# The kernel of scipy's `csc_array @ vector`, called to add into a given array (`WordIndex._scan`).
from scipy.sparse import _sparsetools

from evidence_check.imaging import features as F
from evidence_check.store.catalog_types import StoredCatalog, StoredSku

VOCABULARY_SEED = 1  # a catalog's vocabulary: the sample drawn and the k-means seeded


def with_words(blob: bytes, vocabulary: F.Vocabulary | None) -> bytes:
    """The stored features with their visual words in `vocabulary` (the generic one by default)."""
    vocabulary = vocabulary or F.vocabulary()
    data = F.unpack(blob)
    data["keypoint_words"], data["words"] = measured_words(data["descriptors"], vocabulary)
    data["vocabulary"] = np.array(vocabulary.key)
    return F.pack(**data)


def packed_words(blob: bytes, vocabulary: F.Vocabulary) -> bytes:
    """The words in `vocabulary` of the stored features, packed apart from them (`StoredImage.words`):
    only the descriptors are read and only the words written, not the whole features again."""
    with np.load(io.BytesIO(blob), allow_pickle=False) as data:
        descriptors = data["descriptors"]
    keypoint_words, words = measured_words(descriptors, vocabulary)
    return F.pack(keypoint_words=keypoint_words, words=words)


def measured_words(descriptors: np.ndarray, vocabulary: F.Vocabulary) -> tuple[np.ndarray, np.ndarray]:
    """The word of each SIFT descriptor, and the image's unique index words. int16 holds every word
    of a vocabulary of at most 128² and halves the stored size; index words (up to 128² x 8) are
    int32."""
    root = F.rootsift(descriptors)
    words = vocabulary.words(root)
    return words.astype(np.int16), np.unique(vocabulary.index_words(root, words)).astype(np.int32)


def train_catalog_vocabulary(features: Callable[[], Iterable[bytes]]) -> F.Vocabulary:
    """A vocabulary fitted to the catalog's own descriptors: words specific to its products.

    `features` gives the packed features of each catalog image, in the catalog's order, each time
    it is called; they are read twice (to count the descriptors, then to draw the sample), one
    image at a time, so that a large catalog's descriptors are never all in memory: only the
    `VOCABULARY_SAMPLE` drawn."""

    def descriptor_sets() -> Iterator[np.ndarray]:
        return (F.unpack(blob)["descriptors"] for blob in features())

    counts = [len(descriptors) for descriptors in descriptor_sets()]
    if not counts:
        raise ValueError("the catalog has no images to train on")
    # A sample of VOCABULARY_SAMPLE (>= 3 x 128²) keeps the full branching, as all the descriptors
    # would: trained on it, the vocabulary is the one trained on all of them.
    return F.train_vocabulary(training_sample(descriptor_sets(), counts), seed=VOCABULARY_SEED)


def training_sample(descriptor_sets: Iterable[np.ndarray], counts: Sequence[int], size: int | None = None) -> np.ndarray:
    """The RootSIFT descriptors `train_vocabulary` trains on: all of them up to `size`, else the
    `size` (`VOCABULARY_SAMPLE`) it would draw from all of them joined (the same generator, seed and
    order), taken image by image. `counts`: the descriptors of each image, as `descriptor_sets`
    gives them."""
    size = F.VOCABULARY_SAMPLE if size is None else size
    total = int(sum(counts))
    if total <= size:
        return np.concatenate([F.rootsift(descriptors) for descriptors in descriptor_sets])
    drawn = np.random.default_rng(VOCABULARY_SEED).choice(total, size, replace=False)
    order = np.argsort(drawn, kind="stable")
    ascending = drawn[order]
    sample = np.empty((size, 128), np.float32)  # SIFT: 128 values a descriptor
    start = 0
    for descriptors in descriptor_sets:
        low, high = np.searchsorted(ascending, [start, start + len(descriptors)])
        if high > low:
            sample[order[low:high]] = F.rootsift(descriptors[ascending[low:high] - start])
        start += len(descriptors)
    if start != total:
        raise ValueError("the catalog's images changed while its vocabulary was trained")
    return sample


def with_own_vocabulary(skus: Sequence[StoredSku]) -> StoredCatalog:
    """The catalog with a vocabulary fitted to its images and their words in it, as `catalog import`
    and `catalog reindex` leave a store (for benches and tests that hold a catalog in memory)."""
    vocabulary = train_catalog_vocabulary(lambda: (image.features for sku in skus for image in sku.images))
    return StoredCatalog(
        tuple(
            replace(sku, images=tuple(replace(image, features=with_words(image.features, vocabulary)) for image in sku.images))
            for sku in skus
        ),
        vocabulary.to_bytes(),
    )


@dataclass
class _Joined:
    """Postings joined from several posting lists: each one's weight and image."""

    weights: np.ndarray
    images: np.ndarray


# Postings joined at a time: 3 MB of buffers (a float64 weight and an int32 image a posting) that
# stay in the core's cache; a whole query of a 100,000-image catalog (~1.5 M postings) joined at once
# would be 18 MB, written out to memory and read back (docs/measurements/scale.md).
CHUNK = 1 << 18


class _JoinedBuffers:
    """Buffers of `CHUNK` postings, kept between queries: made for each, they would be page-faulted
    in again each time (above malloc's mmap threshold). At most `kept` are held; queries beyond them
    at once join into buffers of their own."""

    def __init__(self, kept: int) -> None:
        self._kept = kept
        self._free: list[_Joined] = []
        self._lock = threading.Lock()

    def take(self) -> _Joined:
        with self._lock:
            found = self._free.pop() if self._free else None
        if found is None or len(found.weights) < CHUNK:
            found = _Joined(np.empty(CHUNK, np.float64), np.empty(CHUNK, np.int32))
        return found

    def give_back(self, joined: _Joined) -> None:
        with self._lock:
            if len(self._free) < self._kept:
                self._free.append(joined)


# A worker analyses its claims on the host's few cores: a query beyond two at once is only slower.
_JOINED = _JoinedBuffers(kept=2)


class WordIndex:
    """Inverted file: for each word, the images holding it, weighted by idf² / |image|."""

    def __init__(self, image_words: Sequence[np.ndarray], vocabulary_size: int) -> None:
        """`image_words`: the unique words of each catalog image, in the catalog's image order."""
        self.size = len(image_words)
        if not image_words:
            self._offsets = np.zeros(vocabulary_size + 1, np.int64)
            self._postings = np.zeros(0, np.int32)
            self._weights = np.zeros(0, np.float32)
            return
        owner = np.concatenate([np.full(len(words), i, np.int32) for i, words in enumerate(image_words)])
        words = np.concatenate(image_words).astype(np.int64)
        df = np.bincount(words, minlength=vocabulary_size)
        idf = np.log((len(image_words) + 1) / (df + 1)).astype(np.float32)
        norms = np.sqrt(np.bincount(owner, weights=idf[words] ** 2, minlength=len(image_words)))
        order = np.argsort(words, kind="stable")
        self._postings = owner[order]
        self._weights = (idf[words] ** 2 / np.maximum(norms[owner], 1e-9))[order].astype(np.float32)
        self._offsets = np.concatenate([[0], np.cumsum(df)]).astype(np.int64)

    @classmethod
    def from_arrays(cls, offsets: np.ndarray, postings: np.ndarray, weights: np.ndarray, size: int) -> WordIndex:
        """An index as `arrays` gave it (from a feature file, memory-mapped)."""
        made = cls.__new__(cls)
        made.size, made._offsets, made._postings, made._weights = size, offsets, postings, weights
        return made

    def arrays(self) -> dict[str, np.ndarray]:
        """What the index is made of, to be written to a feature file."""
        return {"offsets": self._offsets, "postings": self._postings, "weights": self._weights}

    def nbytes(self) -> int:
        return int(self._offsets.nbytes + self._postings.nbytes + self._weights.nbytes)

    def scores(
        self,
        words: np.ndarray,
        weights: np.ndarray | None = None,
        among: np.ndarray | None = None,
        among_words: Callable[[], Sequence[np.ndarray]] | None = None,
    ) -> np.ndarray:
        """tf-idf similarity of every catalog image to the photo, from the posting lists it touches;
        `weights`: one per word of the query (1 each by default). `among`: only these images (in
        ascending order) are scored, the others left at 0 — found in the posting lists by binary
        search, which costs what the full scan does only for a few images of a small catalog.
        `among_words`: gives the index words of each image `among` (ascending, as the index was
        built from them), asked for only when the search is chosen (a few images: reading a whole
        brand's would cost more than the scan): only the posting lists of the words an image holds
        are searched for it (a quarter of the pairs or fewer, and of the mapped index's pages)."""
        scores = np.zeros(self.size)
        if not len(self._postings) or not len(words):
            return scores
        starts, ends = self._offsets[words], self._offsets[words + 1]
        keep = ends > starts
        if among is not None:
            touched = int((ends - starts)[keep].sum())
            if len(among) * int(keep.sum()) * max(1, touched.bit_length()) < touched:
                shared = None if among_words is None else _holding(among_words(), words[keep])
                kept_weights = None if weights is None else weights[keep]
                return self._scores_among(starts[keep], ends[keep], kept_weights, among, shared)
        # Each word's postings are one run of the arrays: sliced and joined, not gathered by index
        # (a gather costs ~10 ns a posting, and a query of a 10,000-image catalog touches ~400,000),
        # they are the columns of a sparse matrix of the catalog's images by the query's words, and
        # its product with the query's weights adds them up word by word, posting by posting.
        lengths = (ends - starts)[keep]
        if len(lengths):
            self._scan(starts[keep], lengths, np.ones(len(lengths)) if weights is None else weights[keep], scores)
        return scores

    def _scan(self, starts: np.ndarray, lengths: np.ndarray, weights: np.ndarray, scores: np.ndarray) -> None:
        """Adds to `scores` each posting's weight times its word's: the posting lists of the words
        at `starts` (`lengths` postings each, none empty), joined `CHUNK` postings at a time into
        the columns of a sparse matrix and multiplied by `weights` with scipy's kernel of
        `csc_array @ vector` (`csc_matvec`). It adds into `scores` in place, column by column, so
        the chunks add each image's postings in the order one product of all of them would, to the
        same last bit (`_scores_among` sums in that order too)."""
        columns = np.zeros(len(lengths) + 1, np.int64)
        np.cumsum(lengths, out=columns[1:])
        total = int(columns[-1])
        weights = np.ascontiguousarray(weights, np.float64)
        joined = _JOINED.take()
        try:
            for low in range(0, total, CHUNK):
                high = min(low + CHUNK, total)
                # The words whose postings fall in [low, high) of the joined postings, the first and
                # the last perhaps only in part.
                first = int(np.searchsorted(columns, low, "right")) - 1
                last = int(np.searchsorted(columns, high, "left"))
                begins = np.maximum(columns[first:last], low)
                sources = starts[first:last] + (begins - columns[first:last])
                ends = sources + (np.minimum(columns[first + 1 : last + 1], high) - begins)
                spans = list(zip(sources.tolist(), ends.tolist(), strict=True))
                count = high - low
                posted, owners = joined.weights[:count], joined.images[:count]
                np.concatenate([self._weights[s:e] for s, e in spans], out=posted)
                np.concatenate([self._postings[s:e] for s, e in spans], out=owners)
                pointers = np.empty(last - first + 1, np.int32)
                pointers[:-1] = begins - low
                pointers[-1] = count
                _sparsetools.csc_matvec(
                    self.size, last - first, pointers, owners, posted, weights[first:last], scores
                )
        finally:
            _JOINED.give_back(joined)

    def _scores_among(
        self,
        starts: np.ndarray,
        ends: np.ndarray,
        weights: np.ndarray | None,
        among: np.ndarray,
        shared: np.ndarray | None = None,
    ) -> np.ndarray:
        """`scores` of the images `among` only: each (word, image) pair looked up in the word's posting
        list (sorted by image) by a binary search run on all pairs at once; `shared`, by word and
        image, the pairs worth looking up (all by default). Summed in the same order as the full
        scan, so each image's score is the same to the last bit."""
        if shared is None:
            shared = np.ones((len(starts), len(among)), bool)
        word_at, image_at = np.nonzero(shared)  # word by word, each word's images in order: the scan's order
        low, high = starts[word_at], ends[word_at]
        end = high.copy()
        target = among.astype(self._postings.dtype)[image_at]
        last = len(self._postings) - 1
        while True:
            active = low < high
            if not active.any():
                break
            middle = (low + high) // 2
            below = self._postings[np.minimum(middle, last)] < target
            low = np.where(active & below, middle + 1, low)
            high = np.where(active & ~below, middle, high)
        found = (low < end) & (self._postings[np.minimum(low, last)] == target)
        posted = self._weights[low[found]]
        if weights is not None:
            posted = posted * weights[word_at[found]]
        scores = np.zeros(self.size)
        scores += np.bincount(target[found], weights=posted, minlength=self.size)
        return scores


def _holding(images_words: Sequence[np.ndarray], words: np.ndarray) -> np.ndarray:
    """Which of `words` each image holds, by word and image; each image's words ascending."""
    held = np.zeros((len(words), len(images_words)), bool)
    for column, image_words in enumerate(images_words):
        if len(image_words):
            at = np.minimum(np.searchsorted(image_words, words), len(image_words) - 1)
            held[:, column] = image_words[at] == words
    return held
