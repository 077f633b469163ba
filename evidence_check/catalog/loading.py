"""A tenant's catalog loaded from the store: its SKUs and images' names read into the worker, its
features into the host's feature file (`feature_file.host_file`), built once per catalog version.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import platformdirs
from sqlalchemy.engine import make_url

from evidence_check.catalog.entries import ImageArrays, image_arrays
from evidence_check.catalog.feature_file import ArrayCache, host_file
from evidence_check.catalog.registry import TenantCatalog, identity_of, vocabulary_of
from evidence_check.imaging import features as F
from evidence_check.store import Store
from evidence_check.store.catalog_store import catalog_stamp, load_tenant, load_views, stream_features

logger = logging.getLogger(__name__)
ATTEMPTS = 3  # the catalog changed while its file was built: read it again


def feature_folder(store: Store, configured: Path | None) -> Path:
    """Where the host keeps its catalogs' feature files: as configured; else beside a SQLite store
    file (every process of the host opens that same file); else in the user's cache folder."""
    if configured is not None:
        return configured
    if store.file is not None:
        return Path(f"{store.file}.features")
    return Path(platformdirs.user_cache_dir("evidence-check")) / "catalog-features"


def catalog_name(store: Store, tenant: str) -> str:
    """The name the host keeps a catalog's feature file under: the same for every process that opens the
    same store, whichever spelling of its path each was given (relative, through a symlink), so that a
    worker never rebuilds a file another already holds."""
    if store.file is not None:
        return f"sqlite:///{store.file}#{tenant}"  # a read-only (`?mode=ro`) opening names it alike
    return f"{make_url(store.url).render_as_string(hide_password=False)}#{tenant}"


def load_from_store(store: Store, tenant: str, folder: Path, cache: ArrayCache) -> TenantCatalog:
    """The tenant's catalog, its features in the host's feature file of its current version."""
    for _ in range(ATTEMPTS):
        version = catalog_stamp(store, tenant)
        stored = load_tenant(store, tenant, features=False)
        vocabulary = vocabulary_of(stored)
        identity = identity_of(stored)
        slots = {name: slot for slot, name in enumerate(identity)}
        try:
            file = host_file(
                folder, catalog_name(store, tenant), (version, vocabulary.key), identity, vocabulary,
                partial(_arrays, store, tenant, vocabulary, slots),
            )  # fmt: skip
        except _Changed:
            continue
        except OSError as exc:  # no room or no right to write the host's file: held in memory instead
            logger.warning("catalog feature file not usable in %s (%s); holding %s's catalog in memory", folder, exc, tenant)
            return TenantCatalog(load_tenant(store, tenant), partial(load_views, store, tenant), cache)
        return TenantCatalog.from_file(stored, file, partial(load_views, store, tenant), cache, vocabulary.key)
    raise RuntimeError(f"the catalog of tenant {tenant} kept changing while it was read")


class _Changed(Exception):
    """An image was added or removed between reading the catalog's images and their features."""


def _arrays(store: Store, tenant: str, vocabulary: F.Vocabulary, slots: dict[str, int]) -> Iterator[tuple[int, ImageArrays]]:
    given = 0
    for sku, image_id, blob, words in stream_features(store, tenant, vocabulary.key):
        slot = slots.get(f"{sku}/{image_id}")
        if slot is None:
            raise _Changed
        given += 1
        yield slot, image_arrays(blob, vocabulary, words)
    if given != len(slots):
        raise _Changed
