"""Which files the catalog measures: what adding, importing or migrating must measure again, and
what it must leave as stored."""

from __future__ import annotations

import pytest

from evidence_check import service
from evidence_check.imaging.features import Vocabulary
from evidence_check.imaging.load import Photo
from evidence_check.store.catalog_types import StoredImage


def measured_files(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the files the catalog measures from now on, in order (in this process: an
    import's --jobs 1)."""
    measured: list[str] = []
    real = service.catalog_features

    def counted(photo: Photo, vocabulary: Vocabulary | None = None) -> StoredImage:
        measured.append(photo.filename)
        return real(photo, vocabulary)

    monkeypatch.setattr(service, "catalog_features", counted)
    return measured
