"""The photo's side of matching: its SIFT features, on the first look's copy, the closer look's or
the coarse look's.

The closer look measures a copy `features.CLOSER_SCALE` times as large as the first look's (a
product small in the frame shows its print there; an out-of-focus photo is measured there with a
lower contrast threshold); the coarse look a copy `features.COARSE_SIDE` across, at that lower
threshold. Each keeps a small copy for colour.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property

import cv2
import numpy as np

from evidence_check.imaging import colour
from evidence_check.imaging import features as F
from evidence_check.imaging.load import Photo

# The spread, in the photo's width and height, of the Gaussian weights retrieval gives words by
# where they lie (docs/measurements/relevance-features.md).
CENTRE_SIGMA = 0.2
COLOUR_SIDE = 160  # colours of the photo are compared on a copy this size: enough for 52 bins


class Look(Enum):
    """Which look at the photo: each measures its own copy and matches its own catalog features.
    One value, not a flag per look, so that no caller can ask for two looks at once (the coarse
    look takes the closer look's rules, yet measures its own copy)."""

    FIRST = "first"
    CLOSER = "closer"  # a larger copy, each catalog image's tilted views too
    COARSE = "coarse"  # a reduced copy, each catalog image's blurred copy instead


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
        """The feature copy in Lab, for colour votes (measured only when one is needed); the
        colour copy is too small for them (docs/measurements/relevance-features.md)."""
        return colour.photo_lab(self.rgb)

    def centred_words(self, vocabulary: F.Vocabulary) -> tuple[np.ndarray, np.ndarray]:
        """The photo's unique index words, each weighted by how near the centre its nearest keypoint lies.

        A customer frames the product they claim for; a shelf around it fills the edges with other
        products' words (`CENTRE_SIGMA`).
        """
        words = self.index_words(vocabulary).astype(np.int64)
        height, width = self.rgb.shape[:2]
        offset = np.hypot(self.points[:, 0] / width - 0.5, self.points[:, 1] / height - 0.5)
        weights = np.exp(-0.5 * (offset / CENTRE_SIGMA) ** 2)
        unique, word_of_keypoint = np.unique(words, return_inverse=True)
        best = np.zeros(len(unique))
        np.maximum.at(best, word_of_keypoint, weights)
        return unique, best

    def keypoint_words(self, vocabulary: F.Vocabulary) -> np.ndarray:
        """The word of each keypoint (same order as `points`), measured once per vocabulary."""
        found = self._words.get(vocabulary.key)
        if found is None:
            found = self._words[vocabulary.key] = vocabulary.words(self.root)
        return found

    def index_words(self, vocabulary: F.Vocabulary) -> np.ndarray:
        """The index word of each keypoint (`Vocabulary.index_words`), measured once per vocabulary."""
        key = f"{vocabulary.key}/index"
        found = self._words.get(key)
        if found is None:
            found = self._words[key] = vocabulary.index_words(self.root, self.keypoint_words(vocabulary))
        return found


def photo_features(photo: Photo, look: Look = Look.FIRST) -> PhotoFeatures:
    """The photo's features for `look`: the closer look's on a copy `features.CLOSER_SCALE` times
    the first's size; the coarse look's on a copy `features.COARSE_SIDE` across at the lower
    contrast threshold. Measures every time: `measure.Measurements` keeps them per photo."""
    working = np.asarray(photo.working)
    largest = max(working.shape[:2])
    if look is Look.COARSE:
        side = min(largest, F.COARSE_SIDE)
    else:
        side = min(largest, F.PHOTO_MAX_SIDE)
        if look is Look.CLOSER:
            side = round(side * F.CLOSER_SCALE)
    rgb = F.resized_to(working, side)
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    if look is Look.COARSE:
        local = F.extract(grey, max_side=side, max_features=F.COARSE_MAX_FEATURES, contrast=F.CLOSER_CONTRAST)
    else:
        count = F.CLOSER_MAX_FEATURES if look is Look.CLOSER else F.PHOTO_MAX_FEATURES
        local = F.extract(grey, max_side=side, max_features=count)
        if look is Look.CLOSER and len(local.points) < count:
            # Out of focus: too few keypoints clear SIFT's default contrast threshold to verify a
            # product. Measured again only then: the lower threshold gives a sharp photo the same
            # keypoints in another order, and RANSAC's samples follow the order.
            local = F.extract(grey, max_side=side, max_features=count, contrast=F.CLOSER_CONTRAST)
    return PhotoFeatures(
        points=local.points,
        root=F.rootsift(local.descriptors),
        rgb=rgb,
        scale=rgb.shape[1] / photo.width,
        colour_rgb=F.fit_within(rgb, COLOUR_SIDE),
    )
