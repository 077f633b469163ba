"""A photo's measurements as data: computed once, when a check first asks, and passed along.

The engine makes one `Measurements` per readable photo and hands it to every check through the
`CheckContext`, so the relevance and location looks read the same features and the same
assessment of the photo against the ordered SKU, and the reuse look and the record step the same
fingerprint. The timings of a photo are written here (`timed`), besides the decode stages loading
writes first. One photo's checks run in one thread.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from evidence_check.catalog.matching import Assessment
from evidence_check.catalog.photo import Look, PhotoFeatures, photo_features
from evidence_check.catalog.registry import LookRules, TenantCatalog
from evidence_check.imaging import fingerprint as fp
from evidence_check.imaging.load import Photo


class Measurements:
    """What is measured of one photo, and how long each measurement took (`timings_ms`: the
    photo's own record, which loading starts with the decode stages)."""

    def __init__(self, photo: Photo) -> None:
        self.photo = photo
        self.timings_ms = photo.timings_ms
        self._features: dict[Look, PhotoFeatures] = {}
        self._assessments: dict[tuple[TenantCatalog, str], Assessment] = {}
        self._fingerprint: fp.Fingerprint | None = None

    @contextmanager
    def timed(self, label: str) -> Iterator[None]:
        """Record the milliseconds the block takes under `label`."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.timings_ms[label] = round((time.perf_counter() - started) * 1000, 3)

    @property
    def fingerprint(self) -> fp.Fingerprint:
        """The reuse look's fingerprint (hashes now; crop codes and keypoints on first use)."""
        if self._fingerprint is None:
            with self.timed("reuse.hashes"):
                self._fingerprint = fp.fingerprint(self.photo.working)
        return self._fingerprint

    def relevance_features(self, look: Look = Look.FIRST) -> PhotoFeatures:
        """The photo's features for matching catalog images at `look`."""
        found = self._features.get(look)
        if found is None:
            found = self._features[look] = photo_features(self.photo, look)
        return found

    def assessment(self, catalog: TenantCatalog, sku: str, rules: LookRules) -> Assessment:
        """The photo against the ordered SKU and its rivals, looked at closer when `rules` ask."""
        key = (catalog, sku)
        found = self._assessments.get(key)
        if found is None:
            found = self._assessments[key] = catalog.look(self.relevance_features, sku, rules)
        return found
