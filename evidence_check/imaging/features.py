"""Local features for product matching: SIFT keypoints, RootSIFT descriptors, visual words.

RootSIFT (Arandjelović & Zisserman 2012: L1-normalise, then square root) on catalog images enlarged
to `CATALOG_MIN_SIDE` (web-shop pictures are small), with no squeezed views pooled with the upright
features; tilted views (`extract_views`, ASIFT) are matched each on their own, in the closer look
only. The options measured against these choices (ORB, SIFT, AKAZE, BRISK, TEBLID, BEBLID, squeezed
and enlarged catalog views) and the figures behind each constant below are in
docs/measurements/relevance-features.md (`scripts/bench_relevance.py --compare`).

Keypoint positions are stored in pixels of the catalog image as given, so a homography maps
catalog pixels (and the zones drawn on them) into the photo. Descriptors are stored as uint8
(SIFT's values are whole numbers 0..255) and turned into RootSIFT only when an image is matched.
Visual words come from a vocabulary tree: a generic one of two levels shipped in
`data/vocabulary.npz` (`scripts/train_vocabulary.py`), or one fitted to a catalog, which grows a
third level when the catalog is large (`train_vocabulary`).
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, replace
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import cv2
import numpy as np

VOCABULARY_PATH = Path(__file__).parent / "data" / "vocabulary.npz"

# Features of a claim photo are taken from a copy this size. SIFT doubles it internally, so the cost
# grows with its square.
PHOTO_MAX_SIDE = 480
PHOTO_MAX_FEATURES = 800  # strongest first
# The closer look (`checks/relevance/rules.py` decides when) measures features again on a copy
# CLOSER_SCALE times as large (enlarged from a small photo, reduced less from a large one): a
# product that fills a small part of the photo shows its print there.
CLOSER_SCALE = 1.5
CLOSER_MAX_FEATURES = 1200
# SIFT's default contrast threshold leaves an out-of-focus photo a few hundred keypoints, too few to
# verify its product; the closer look lowers it for a photo short of CLOSER_MAX_FEATURES
# (docs/measurements/relevance.md, "Out-of-focus photos").
DEFAULT_CONTRAST = 0.04
CLOSER_CONTRAST = 0.01
CATALOG_MIN_SIDE = 400  # smaller catalog images are enlarged to this before detection
CATALOG_MAX_SIDE = 800
CATALOG_TILTS = (1.0,)  # horizontal squeeze factors of catalog views pooled with the upright ones
CATALOG_MAX_FEATURES = 1200  # per view
# The closer look also matches tilted views of each catalog image (`extract_views`): squeezed by
# these factors across these angles (degrees), stored apart from the upright features and read only
# when a closer look needs them. Views pooled into one set fail each other's ratio test: matched one
# by one.
VIEW_TILTS = tuple((tilt, angle) for tilt in (2**0.5, 2.0) for angle in (0, 45, 90, 135))
VIEW_MAX_FEATURES = 600
# The coarse look, when the closer one finds nothing either (an out-of-focus photo, a carton small and
# soft): the photo reduced to COARSE_SIDE and measured at CLOSER_CONTRAST, against a copy of each
# catalog image blurred by COARSE_BLUR (at the stored features' scale), stored with the tilted views
# as view number COARSE_VIEW. Either alone finds nothing in such photos: blurring only the catalog
# leaves the photo's fine keypoints unmatched, and reducing only the photo leaves the catalog's
# strongest keypoints on print the photo no longer resolves (docs/measurements/relevance.md).
COARSE_SIDE = 300
COARSE_MAX_FEATURES = 1200
COARSE_BLUR = 1.5
COARSE_VIEW = len(VIEW_TILTS)
RATIO = 0.8  # Lowe's ratio test
RANSAC_PX = 4.0  # reprojection tolerance, photo pixels of the feature copy
MIN_MATCHES = 8  # fewer ratio-test matches than this are not worth a homography
# `word_inliers`: pairs of keypoints of one word further apart than this (RootSIFT, unit vectors)
# are not matches; its homography only ranks candidates, so fewer iterations than `verify`'s do.
WORD_DISTANCE = 0.5
WORD_RANSAC_ITERATIONS = 500
# A homography that maps the catalog image to a sliver or a huge area, or folds it, is a false fit.
MIN_AREA_FRACTION = 0.005
MAX_AREA_FRACTION = 4.0
# Two catalog images fitted to one object: a keypoint within this distance of the mapped place,
# with a descriptor this close, is one both designs have.
SHARED_RADIUS_PX = 4.0
SHARED_RADIUS_FRACTION = 0.03
SHARED_DISTANCE = 0.5

VOCABULARY_BRANCH = 128  # up to 128² = 16,384 visual words
# A catalog with descriptors enough splits each word into up to this many leaves, the words of its
# inverted index (128² x 8 = 131,072): the posting lists of a fixed vocabulary grow with the catalog
# (Nistér & Stewénius 2006 retrieve among 10⁵-10⁶ images with 10⁵-10⁶ leaves).
MAX_LEAVES = 8
VOCABULARY_SAMPLE = 400_000  # descriptors a vocabulary is trained on, at most
MIN_DESCRIPTORS_PER_WORD = 3  # training descriptors per word (and per leaf), at least


@dataclass(frozen=True, eq=False)
class LocalFeatures:
    points: np.ndarray  # N x 2 float32, pixels of the image as given (before any resizing)
    descriptors: np.ndarray  # N x 128 uint8 SIFT

    def __len__(self) -> int:
        return len(self.points)


@dataclass(frozen=True)
class GeometricMatch:
    matches: int  # ratio-test matches, one per catalog keypoint
    inliers: int  # of those, consistent with one homography
    homography: np.ndarray | None  # 3x3, catalog image pixels -> photo pixels
    inlier_keypoints: np.ndarray | None = None  # indices of the catalog keypoints among the inliers

    @property
    def inlier_ratio(self) -> float:
        return self.inliers / self.matches if self.matches else 0.0


NO_MATCH = GeometricMatch(0, 0, None)


@cache
def _sift(max_features: int, contrast: float = DEFAULT_CONTRAST) -> cv2.SIFT:
    return cv2.SIFT.create(nfeatures=max_features, contrastThreshold=contrast)


def extract(
    gray: np.ndarray, *, max_side: int, max_features: int, min_side: int = 0, contrast: float = DEFAULT_CONTRAST
) -> LocalFeatures:
    """SIFT features of a grey image, measured on a copy resized into [min_side, max_side]."""
    scale = _scale_for(gray.shape[1], gray.shape[0], min_side, max_side)
    return _detected(_resized(gray, scale, scale), scale, _sift(max_features, contrast))


def _detected(work: np.ndarray, scale: float, sift: cv2.SIFT) -> LocalFeatures:
    """SIFT features of `work`, a copy `scale` times the size of the image they are given in."""
    keypoints, descriptors = sift.detectAndCompute(work, None)
    if descriptors is None or not keypoints:
        return LocalFeatures(np.zeros((0, 2), np.float32), np.zeros((0, 128), np.uint8))
    points = np.array([k.pt for k in keypoints], dtype=np.float32) / scale
    return LocalFeatures(points, np.clip(descriptors, 0, 255).astype(np.uint8))


def extract_catalog(gray: np.ndarray) -> LocalFeatures:
    """Features of a catalog image over its squeezed views, in the image's own pixels."""
    height, width = gray.shape
    scale = _scale_for(width, height, CATALOG_MIN_SIDE, CATALOG_MAX_SIDE)
    points, descriptors = [], []
    for tilt in CATALOG_TILTS:
        view = _resized(gray, scale * tilt, scale)
        keypoints, found = _sift(CATALOG_MAX_FEATURES).detectAndCompute(view, None)
        if found is None or not keypoints:
            continue
        xy = np.array([k.pt for k in keypoints], dtype=np.float32)
        xy[:, 0] /= scale * tilt
        xy[:, 1] /= scale
        points.append(xy)
        descriptors.append(np.clip(found, 0, 255).astype(np.uint8))
    if not points:
        return LocalFeatures(np.zeros((0, 2), np.float32), np.zeros((0, 128), np.uint8))
    return LocalFeatures(np.concatenate(points), np.concatenate(descriptors))


def extract_views(gray: np.ndarray) -> list[LocalFeatures]:
    """Features of `VIEW_TILTS` views of a catalog image, each apart, in the image's own pixels.

    A view is the image turned by its angle, blurred across, and squeezed across by its tilt: the
    pack as a camera sees it from the side, from above or at a slant (ASIFT, Morel & Yu 2009). SIFT
    follows a turn and a change of size but not such a squeeze; matching the photo against each
    view finds a pack held at an angle that the upright image misses.
    """
    height, width = gray.shape
    scale = _scale_for(width, height, CATALOG_MIN_SIDE, CATALOG_MAX_SIDE)
    upright = _resized(gray, scale, scale)
    rows, cols = upright.shape
    corners = np.array([[0, 0, 1], [cols, 0, 1], [cols, rows, 1], [0, rows, 1]], np.float64)
    views = []
    for tilt, angle in VIEW_TILTS:
        turn = cv2.getRotationMatrix2D((cols / 2, rows / 2), angle, 1.0)
        turned_corners = corners @ turn.T
        turn[:, 2] -= turned_corners.min(axis=0)  # the whole turned image, no corner cut off
        size = np.ceil(turned_corners.max(axis=0) - turned_corners.min(axis=0)).astype(int)
        turned = cv2.warpAffine(upright, turn, (int(size[0]), int(size[1])), flags=cv2.INTER_LINEAR, borderValue=255)
        # Anti-aliasing before the squeeze, as ASIFT does: sigma 0.8 * sqrt(t² - 1) across only.
        blurred = cv2.GaussianBlur(turned, (0, 0), sigmaX=0.8 * np.sqrt(tilt * tilt - 1), sigmaY=0.01)
        view = cv2.resize(blurred, None, fx=1 / tilt, fy=1.0, interpolation=cv2.INTER_LINEAR)
        keypoints, descriptors = _sift(VIEW_MAX_FEATURES).detectAndCompute(view, None)
        if descriptors is None or not keypoints:
            continue
        to_view = np.diag([1 / tilt, 1.0]) @ turn @ np.diag([scale, scale, 1.0])
        xy = np.array([k.pt for k in keypoints], np.float64)
        back = np.c_[xy, np.ones(len(xy))] @ cv2.invertAffineTransform(to_view).T
        views.append(LocalFeatures(back.astype(np.float32), np.clip(descriptors, 0, 255).astype(np.uint8)))
    return views


def extract_coarse(gray: np.ndarray) -> LocalFeatures:
    """Features of a catalog image blurred by COARSE_BLUR at the stored features' scale (the coarse
    look's), in the image's own pixels."""
    height, width = gray.shape
    scale = _scale_for(width, height, CATALOG_MIN_SIDE, CATALOG_MAX_SIDE)
    blurred = cv2.GaussianBlur(_resized(gray, scale, scale), (0, 0), COARSE_BLUR)
    return _detected(blurred, scale, _sift(VIEW_MAX_FEATURES))


def rootsift(descriptors: np.ndarray) -> np.ndarray:
    values = descriptors.astype(np.float32)
    values /= values.sum(axis=1, keepdims=True) + 1e-7
    return np.sqrt(values)


def verify(
    photo_points: np.ndarray,
    photo_root: np.ndarray,
    catalog_points: np.ndarray,
    catalog_root: np.ndarray,
    catalog_size: tuple[int, int],
    photo_size: tuple[int, int],
) -> GeometricMatch:
    """Ratio-test matches from photo to catalog image, then a RANSAC homography (USAC)."""
    if len(photo_root) < 2 or len(catalog_root) < 2:
        return NO_MATCH
    # Squared distances of unit vectors from one matrix product; RootSIFT rows have unit L2 norm.
    similarity = photo_root @ catalog_root.T
    rows = np.arange(len(photo_root))
    best = similarity.argmax(axis=1)
    top = similarity[rows, best]
    similarity[rows, best] = -1.0  # two passes of max: far cheaper than a partial sort per row
    runner = similarity.max(axis=1)
    d1 = np.sqrt(np.maximum(2.0 - 2.0 * top, 0.0))
    d2 = np.sqrt(np.maximum(2.0 - 2.0 * runner, 0.0))
    keep = d1 < RATIO * d2
    query, train, dist = rows[keep], best[keep], d1[keep]
    # One photo keypoint per catalog keypoint: repeated texture must not vote many times.
    order = np.argsort(dist)
    _, first_seen = np.unique(train[order], return_index=True)
    chosen = order[first_seen]
    query, train = query[chosen], train[chosen]
    if len(query) < MIN_MATCHES:
        return GeometricMatch(len(query), 0, None)
    # USAC_FAST: a third of USAC_DEFAULT's cost for the same inliers to within 0.1 %.
    homography, mask = cv2.findHomography(
        catalog_points[train], photo_points[query], cv2.USAC_FAST, RANSAC_PX, maxIters=2000, confidence=0.995
    )
    if homography is None or mask is None or not _plausible(homography, catalog_size, photo_size):
        return GeometricMatch(len(query), 0, None)
    inlier = mask.ravel().astype(bool)
    return GeometricMatch(len(query), int(inlier.sum()), homography, train[inlier])


def word_inliers(
    photo_words: np.ndarray,
    photo_points: np.ndarray,
    photo_root: np.ndarray,
    catalog_order: np.ndarray,
    catalog_words: np.ndarray,
    catalog_points: np.ndarray,
    catalog_descriptors: np.ndarray,
    catalog_size: tuple[int, int],
    photo_size: tuple[int, int],
) -> int:
    """Inliers of a homography fitted to keypoints of the same visual word: a cheap `verify`.

    Only keypoint pairs that share a word are compared (a few hundred, not photo x catalog), and a
    pair counts when the two RootSIFT descriptors are within `WORD_DISTANCE`, each keypoint in one
    pair at most. `catalog_order` sorts the catalog image's keypoints by word; `catalog_words` are
    those words in that order. Enough to rank many candidates, not to judge one: the vocabulary
    puts a quarter to a half of the true matches in different words.
    """
    first = np.searchsorted(catalog_words, photo_words, "left")
    counts = np.searchsorted(catalog_words, photo_words, "right") - first
    total = int(counts.sum())
    if total < MIN_MATCHES:
        return 0
    query = np.repeat(np.arange(len(photo_words)), counts)
    within = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    train = catalog_order[np.repeat(first, counts) + within]
    similarity = np.einsum("ij,ij->i", photo_root[query], rootsift(catalog_descriptors[train]))
    close = similarity > 1.0 - WORD_DISTANCE**2 / 2  # |a - b|² = 2 - 2 a·b for unit vectors
    order = np.argsort(-similarity[close], kind="stable")
    query, train = query[close][order], train[close][order]
    _, once = np.unique(train, return_index=True)  # the closest pair of each catalog keypoint
    query, train = query[once], train[once]
    # Now in catalog-keypoint order, so this keeps the first pair of each photo keypoint, not its
    # closest, which ranks candidates better on the grocery bench.
    _, once = np.unique(query, return_index=True)
    query, train = query[once], train[once]
    if len(query) < MIN_MATCHES:
        return 0
    homography, mask = cv2.findHomography(
        catalog_points[train], photo_points[query], cv2.USAC_FAST, RANSAC_PX,
        maxIters=WORD_RANSAC_ITERATIONS, confidence=0.995,
    )  # fmt: skip
    if homography is None or mask is None or not _plausible(homography, catalog_size, photo_size):
        return 0
    return int(mask.sum())


def shared_keypoints(
    points: np.ndarray,
    root: np.ndarray,
    other_points: np.ndarray,
    other_root: np.ndarray,
    to_other: np.ndarray | None,
    other_size: tuple[int, int],
) -> np.ndarray:
    """Which of these keypoints of one catalog image the other catalog image has too.

    A ratio-test match in the other counts; so does, when `to_other` maps this image onto the other
    (both fitted to one object in the photo), a similar descriptor at the mapped place, so that
    repeated print (letters, a logo twice) counts as shared, which a ratio test alone would miss.
    """
    if not len(root) or len(other_root) < 2:
        return np.zeros(len(root), bool)
    similarity = root @ other_root.T
    rows = np.arange(len(root))
    best = similarity.argmax(axis=1)
    top = similarity[rows, best]
    ranked = similarity.copy()
    ranked[rows, best] = -1.0
    runner = ranked.max(axis=1)
    d1 = np.sqrt(np.maximum(2.0 - 2.0 * top, 0.0))
    d2 = np.sqrt(np.maximum(2.0 - 2.0 * runner, 0.0))
    shared = d1 < RATIO * d2
    if to_other is not None:
        mapped = cv2.perspectiveTransform(points.reshape(-1, 1, 2).astype(np.float32), to_other).reshape(-1, 2)
        radius = max(SHARED_RADIUS_PX, SHARED_RADIUS_FRACTION * max(other_size))
        near = ((mapped[:, None, :] - other_points[None, :, :]) ** 2).sum(axis=2) < radius**2
        alike = np.sqrt(np.maximum(2.0 - 2.0 * similarity, 0.0)) < SHARED_DISTANCE
        shared |= (near & alike).any(axis=1)
    return np.asarray(shared)


def _plausible(homography: np.ndarray, catalog_size: tuple[int, int], photo_size: tuple[int, int]) -> bool:
    width, height = catalog_size
    corners = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32).reshape(-1, 1, 2)
    quad = cv2.perspectiveTransform(corners, homography).reshape(-1, 2)
    if not np.all(np.isfinite(quad)) or not cv2.isContourConvex(quad.astype(np.float32)):
        return False
    area = cv2.contourArea(quad) / float(photo_size[0] * photo_size[1])
    return MIN_AREA_FRACTION <= area <= MAX_AREA_FRACTION


# -- visual words ---------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Vocabulary:
    """A vocabulary tree. Its `words` (two levels) name keypoints for verification
    (`word_inliers`); its `index_words` (a third level, `leaves` per word, when it has one) are the
    words of the catalog's inverted index. Without leaves the two are the same words."""

    coarse: np.ndarray  # B x 128 float32
    fine: np.ndarray  # B x B x 128 float32
    # B² x L x 128, or None: two levels. Stored as float16 and held as float32 (values of float16):
    # converting the 7 leaves of a photo's 800 keypoints' words cost 1.9 ms a look, twice the rest
    # of `index_words`. A worker maps them from the host's feature file (56 MB at 128² x 7 leaves,
    # held once per host), so the float32 copy is not each worker's.
    leaves: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.leaves is not None and self.leaves.dtype != np.float32:
            object.__setattr__(self, "leaves", self.leaves.astype(np.float32))
        if self.leaves is not None:
            _ = self._leaf_norms  # now, as the catalog loads: 15 ms for 128² x 7 leaves, not its first claim's

    @property
    def size(self) -> int:
        """The number of words (two levels)."""
        return self.fine.shape[0] * self.fine.shape[1]

    @property
    def depth(self) -> int:
        """Leaves per word: 1 without a third level."""
        return 1 if self.leaves is None else self.leaves.shape[1]

    @property
    def index_size(self) -> int:
        """The number of index words."""
        return self.size * self.depth

    @cached_property
    def key(self) -> str:
        """Names this vocabulary: words are comparable only between equal keys."""
        leaves = b"" if self.leaves is None else self.leaves.astype(np.float16).tobytes()  # as stored
        return hashlib.sha256(self.coarse.tobytes() + self.fine.tobytes() + leaves).hexdigest()[:16]

    @cached_property
    def _norms(self) -> tuple[np.ndarray, np.ndarray]:
        return (self.coarse * self.coarse).sum(axis=1), (self.fine * self.fine).sum(axis=2)

    @cached_property
    def _leaf_norms(self) -> np.ndarray:
        assert self.leaves is not None
        return (self.leaves * self.leaves).sum(axis=2)

    def words(self, root: np.ndarray) -> np.ndarray:
        """The word of each RootSIFT descriptor: nearest coarse cell, then nearest word inside it."""
        if not len(root):
            return np.zeros(0, np.int32)
        coarse_norms, fine_norms = self._norms
        cells = nearest(root, self.coarse, coarse_norms)
        # Descriptors sorted by cell, each cell's run multiplied by its words in one product, into
        # one array whose nearest words are then found all at once: a cell's few descriptors cost
        # less to match than the numpy calls around them (128 cells a photo, ~5 µs a call).
        order = np.argsort(cells, kind="stable")
        ordered, grouped = cells[order], root[order]
        starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
        products = np.empty((len(root), self.fine.shape[1]), np.float32)
        for start, end in zip(starts.tolist(), np.r_[starts[1:], len(order)].tolist(), strict=True):
            np.matmul(grouped[start:end], self.fine[ordered[start]].T, out=products[start:end])
        nearest_in_cell = np.argmin(fine_norms[ordered] - 2.0 * products, axis=1)
        words = np.empty(len(root), np.int32)
        words[order] = ordered * self.fine.shape[1] + nearest_in_cell
        return words

    def index_words(self, root: np.ndarray, words: np.ndarray) -> np.ndarray:
        """The index word of each RootSIFT descriptor whose `words` are given: the nearest leaf of
        its word (word x depth + leaf), or the word itself without a third level."""
        if self.leaves is None:
            return words.astype(np.int32)
        found = np.empty(len(root), np.int32)
        for start in range(0, len(root), 4096):  # the leaves of 4,096 descriptors' words: 16 MB at a time
            part = slice(start, start + 4096)
            leaves = self.leaves[words[part]]  # n x L x 128
            distance = self._leaf_norms[words[part]] - 2.0 * np.einsum("nlk,nk->nl", leaves, root[part])
            found[part] = words[part] * self.depth + distance.argmin(axis=1)
        return found

    def to_bytes(self) -> bytes:
        arrays = {"coarse": self.coarse.astype(np.float16), "fine": self.fine.astype(np.float16)}
        if self.leaves is not None:
            arrays["leaves"] = self.leaves.astype(np.float16)
        return pack(**arrays)

    @classmethod
    def from_bytes(cls, blob: bytes) -> Vocabulary:
        data = unpack(blob)
        return cls(data["coarse"].astype(np.float32), data["fine"].astype(np.float32), data.get("leaves"))


@cache
def vocabulary() -> Vocabulary:
    """The generic vocabulary, for a catalog that has not trained its own (`train_vocabulary`)."""
    return Vocabulary.from_bytes(VOCABULARY_PATH.read_bytes())


def train_vocabulary(
    root: np.ndarray, branch: int = VOCABULARY_BRANCH, seed: int = 1, max_leaves: int = MAX_LEAVES
) -> Vocabulary:
    """A vocabulary tree (Nistér & Stewénius 2006) of at most branch² words, and up to
    `max_leaves` leaves per word when there are descriptors enough for all of them.

    The branching shrinks for few descriptors so that each word still gathers several of them;
    leaves come only once the branching is full, so a small catalog keeps two levels.
    Deterministic for given descriptors and seed.
    """
    full = branch
    branch = int(max(4, min(branch, np.sqrt(len(root) / MIN_DESCRIPTORS_PER_WORD))))
    data = root.astype(np.float32)
    if len(data) > VOCABULARY_SAMPLE:
        data = data[np.random.default_rng(seed).choice(len(data), VOCABULARY_SAMPLE, replace=False)]
    coarse = _kmeans(data, branch, seed)
    cells = nearest(data, coarse)
    fine = np.zeros((branch, branch, data.shape[1]), np.float32)
    for cell in range(branch):
        fine[cell] = _kmeans(_padded(data[cells == cell], coarse[cell], branch, seed + cell), branch, seed + 1 + cell)
    # Rounded as it is stored, so the vocabulary in use and the one loaded back have one key.
    two_levels = Vocabulary(
        coarse.astype(np.float16).astype(np.float32), fine.astype(np.float16).astype(np.float32)
    )
    depth = min(max_leaves, len(data) // (MIN_DESCRIPTORS_PER_WORD * two_levels.size))
    if branch < full or depth < 2:
        return two_levels
    words = two_levels.words(data)
    order = np.argsort(words, kind="stable")
    bounds = np.searchsorted(words[order], np.arange(two_levels.size + 1))
    centres = two_levels.fine.reshape(two_levels.size, -1)
    leaves = np.empty((two_levels.size, depth, data.shape[1]), np.float16)
    for word in range(two_levels.size):
        members = _padded(data[order[bounds[word] : bounds[word + 1]]], centres[word], depth, seed + word)
        leaves[word] = _kmeans(members, depth, seed + word)
    return replace(two_levels, leaves=leaves)


def _padded(members: np.ndarray, centre: np.ndarray, count: int, seed: int) -> np.ndarray:
    """A sparse cell's members with points close around its centre, so that each of its `count`
    children exists."""
    if len(members) >= count:
        return members
    jitter = np.random.default_rng(seed).normal(0, 1e-3, (count, len(centre)))
    return np.concatenate([members, centre + jitter.astype(np.float32)])


def _kmeans(data: np.ndarray, k: int, seed: int) -> np.ndarray:
    cv2.setRNGSeed(seed)
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 20, 1e-4)
    labels = np.zeros((len(data), 1), np.int32)
    _, _, centres = cv2.kmeans(data, k, labels, criteria, 1, cv2.KMEANS_PP_CENTERS)
    return np.asarray(centres, np.float32)


def nearest(vectors: np.ndarray, centres: np.ndarray, norms: np.ndarray | None = None) -> np.ndarray:
    """The nearest centre of each vector; `norms`: the centres' squared lengths, if kept already."""
    if norms is None:
        norms = (centres * centres).sum(axis=1)
    return np.argmin(norms[None, :] - 2.0 * (vectors @ centres.T), axis=1)


# -- storage ----------------------------------------------------------------------------------------


def pack(**arrays: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    save: Any = np.savez_compressed  # numpy's stubs do not type keyword arrays
    save(buffer, **arrays)
    return buffer.getvalue()


def unpack(blob: bytes) -> dict[str, np.ndarray]:
    with np.load(io.BytesIO(blob), allow_pickle=False) as data:
        return {name: data[name] for name in data.files}


def resized_to(image: np.ndarray, side: int) -> np.ndarray:
    """A copy whose longest side is `side`, enlarged or reduced."""
    height, width = image.shape[:2]
    if max(height, width) == side:
        return image
    ratio = side / max(height, width)
    size = (max(1, round(width * ratio)), max(1, round(height * ratio)))
    return cv2.resize(image, size, interpolation=cv2.INTER_CUBIC if ratio > 1 else cv2.INTER_AREA)


def fit_within(image: np.ndarray, side: int) -> np.ndarray:
    """A copy whose longest side is at most `side`: reduced, never enlarged."""
    return resized_to(image, min(side, max(image.shape[:2])))


def _scale_for(width: int, height: int, min_side: int, max_side: int) -> float:
    longest = max(width, height)
    if longest > max_side:
        return max_side / longest
    if min_side and longest < min_side:
        return min_side / longest
    return 1.0


def _resized(gray: np.ndarray, fx: float, fy: float) -> np.ndarray:
    if fx == 1.0 and fy == 1.0:
        return gray
    enlarge = fx > 1.0 or fy > 1.0
    return cv2.resize(gray, None, fx=fx, fy=fy, interpolation=cv2.INTER_CUBIC if enlarge else cv2.INTER_AREA)
