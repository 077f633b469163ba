"""The scale bench's catalog (`bench_scale.py`): the 31 grocery products' web-shop images and
synthetic SKUs, in a SQLite store (`build_store`) or held whole in memory (`in_memory_catalog`).

The words are those of the vocabulary a catalog of that size trains: the 31 images' own (two
levels, ~8,600 words) alone; beyond them, one trained on the real photos of the corpora beside
`--corpus` (`large_vocabulary`: 344,000–393,000 descriptors, so 128² words of 7 leaves, 114,688 index
words; a catalog of more than ~400 images, with more than `VOCABULARY_SAMPLE` descriptors, trains 8
leaves, 131,072 index words: the bench's posting lists are the longer, by 8/7). A synthetic image's words
are drawn with the odds its index words have in the real grocery images (`word_frequency`), common
words commoner — counted over the photos of products the bench does not claim (`claimed`: the odds
held out by product, so the claims' own words are not made the commonest), or with
`--odds-from-claims` over every photo, the claimed ones included; `--uniform` draws them evenly
(every posting list as long as another: the cheapest case for a vocabulary's size), `--small-vocabulary` keeps the 31 images' own vocabulary at any size
(as every catalog had before vocabularies grew leaves).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from evidence_check.catalog.entries import CatalogSku, ImageArrays, catalog_features, image_arrays
from evidence_check.catalog.registry import TenantCatalog
from evidence_check.catalog.words import with_own_vocabulary, with_words
from evidence_check.imaging import features as F
from evidence_check.imaging.load import PhotoError, load_photo
from evidence_check.store.catalog_tables import CatalogImageRow, CatalogSkuRow, CatalogVocabularyRow
from evidence_check.store.catalog_types import StoredCatalog, StoredSku
from evidence_check.store.database import Store

TENANT = "bench"
VARIANTS = 256  # distinct stored blobs of the synthetic SKUs
BATCH = 20_000
# A large catalog's vocabulary is trained on these corpora's photos (beside the grocery corpus),
# up to POOL_FEATURES keypoints each from a copy of at most POOL_SIDE: more than VOCABULARY_SAMPLE
# descriptors in all, as a catalog of more than ~400 images has.
POOL_FOLDERS = ("near-duplicates", "damaged-packages", "exif-camera-jpegs", "c2pa")
POOL_FEATURES = 5000
POOL_SIDE = 1600


def claimed(corpus: Path, claims: int) -> list[tuple[Path, str]]:
    """The bench's claim photos and the SKU each is claimed as: every few of the grocery products'
    photos (`NAME_00N.jpg`), so `claims` of them spread over the products (20 over 20 of the 31)."""
    names = sorted(p.name for p in (corpus / "grocery").iterdir() if p.is_dir())
    photos = [
        (path, name) for name in names for path in sorted((corpus / "grocery" / name).glob(f"{name}_00[0-9].jpg"))
    ]
    return photos[:: max(1, len(names) * 5 // claims)][:claims]


def store_path(work: Path, images: int, odds_from_claims: bool) -> Path:
    """The store `build_store` keeps in `work` for a catalog of `images` images with these odds."""
    return work / f"catalog-{images}{'-odds-from-claims' if odds_from_claims else ''}.db"


def build_store(corpus: Path, images: int, path: Path, claims: int, odds_from_claims: bool) -> None:
    """A catalog of `images` images in a SQLite store at `path` (kept: the next run reuses it).
    The real images keep their tilted views, as `catalog import` stores them: without them a
    closer look finds what only a view matches in no catalog image (three of the bench's claims)."""
    stored, vocabulary, variants = synthetic_catalog(corpus, images, path.parent, claims, odds_from_claims)
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    store = Store(f"sqlite:///{partial}")
    now = datetime.now(UTC)
    with store.sessions.begin() as session:
        session.add(
            CatalogVocabularyRow(
                tenant=TENANT, key=vocabulary.key, vocabulary=stored.vocabulary, created_at=now
            )
        )
    rows = [(sku.sku, sku.name or sku.sku, sku.images[0]) for sku in stored.skus]
    for start in range(0, images, BATCH):
        with store.sessions.begin() as session:
            for number in range(start, min(images, start + BATCH)):
                if number < len(rows):
                    sku, name, image = rows[number]
                    blob, image_id, size = image.features, image.image_id, (image.width, image.height)
                    views = image.views
                else:
                    source = rows[number % VARIANTS % len(rows)][2]
                    sku, name, blob = (
                        f"SYN-{number:06d}",
                        f"Synthetic{number % 97} {number}",
                        variants[number % VARIANTS],
                    )
                    image_id, size = f"syn{number:06d}", (source.width, source.height)
                    views = None  # ~300 KB an image: a synthetic one has none (the closer look skips them)
                row = CatalogSkuRow(
                    tenant=TENANT, sku=sku, name=name, category=None, created_at=now, updated_at=now
                )
                session.add(row)
                session.flush()
                session.add(
                    CatalogImageRow(
                        sku_pk=row.id,
                        tenant=TENANT,
                        image_id=image_id,
                        filename=f"{sku}.jpg",
                        width=size[0],
                        height=size[1],
                        features=blob,
                        views=views,
                        created_at=now,
                    )  # fmt: skip
                )
    store.engine.dispose()
    partial.rename(path)


def synthetic_catalog(
    corpus: Path,
    images: int,
    work: Path,
    claims: int,
    odds_from_claims: bool = False,
    uniform: bool = False,
    small_vocabulary: bool = False,
) -> tuple[StoredCatalog, F.Vocabulary, list[bytes]]:
    """The real SKUs (their web-shop images' features, words in the vocabulary a catalog of
    `images` images trains, or with `small_vocabulary` the real images' own, as every catalog had
    before vocabularies grew leaves) and `VARIANTS` features for the synthetic SKUs: a real image's
    keypoints moved by a pixel at random, with words drawn by `word_frequency` over the photos of
    products none of `claims` claims (over every photo with `odds_from_claims`; at random with
    `uniform`). The large vocabulary and the frequencies are kept in `work` for the next run."""
    names = sorted(p.name for p in (corpus / "grocery").iterdir() if p.is_dir())
    real = []
    for name in names:
        file = corpus / "grocery" / name / f"{name}_Iconic.jpg"
        real.append((name, catalog_features(load_photo(file.read_bytes(), file.name))))
    skus = [StoredSku(n, n.replace("-", " "), None, None, (i,)) for n, i in real]
    if images <= len(skus) or small_vocabulary:  # the vocabulary the real images train alone
        stored = with_own_vocabulary(skus)
        vocabulary = F.Vocabulary.from_bytes(stored.vocabulary or b"")
        if images <= len(skus):
            return stored, vocabulary, []
    else:
        kept = work / "large-vocabulary.npz"
        if not kept.exists():
            _write(kept, large_vocabulary(corpus).to_bytes())
        vocabulary = F.Vocabulary.from_bytes(kept.read_bytes())
        stored = StoredCatalog(
            tuple(replace(s, images=tuple(replace(i, features=with_words(i.features, vocabulary)) for i in s.images)) for s in skus),
            vocabulary.to_bytes(),
        )  # fmt: skip
    held_out = frozenset() if odds_from_claims else frozenset(name for _, name in claimed(corpus, claims))
    counted = work / f"word-frequency-{vocabulary.key}{f'-without-{claims}-claimed' if held_out else ''}.bin"
    if not counted.exists():
        _write(counted, word_frequency(corpus, vocabulary, held_out).tobytes())
    frequency = None if uniform else np.frombuffer(counted.read_bytes(), np.float64)
    rng = np.random.default_rng(25)
    variants = []
    for v in range(VARIANTS):
        data = F.unpack(stored.skus[v % len(stored.skus)].images[0].features)
        data["points"] = data["points"] + rng.uniform(-1, 1, data["points"].shape).astype(np.float32)
        drawn = rng.choice(vocabulary.index_size, len(data["points"]), p=frequency)
        data["keypoint_words"] = (drawn // vocabulary.depth).astype(np.int16)
        data["words"] = np.unique(drawn).astype(np.int32)
        variants.append(F.pack(**data))
    return stored, vocabulary, variants


def large_vocabulary(corpus: Path) -> F.Vocabulary:
    """The vocabulary a catalog of more than ~400 images trains: more than `VOCABULARY_SAMPLE`
    descriptors, so 128² words of `MAX_LEAVES` leaves each. Trained on the real photos of the
    corpora beside `corpus` that are not claims (`POOL_FOLDERS`) and the grocery web-shop images."""
    roots = []
    for folder in POOL_FOLDERS:
        for file in sorted((corpus.parent / folder).rglob("*")):
            if file.suffix.lower() in (".jpg", ".jpeg", ".png"):
                try:
                    gray = np.asarray(load_photo(file.read_bytes(), file.name).working.convert("L"))
                except PhotoError:  # a corpus file that is not a readable image
                    continue
                roots.append(F.rootsift(F.extract(gray, max_side=POOL_SIDE, max_features=POOL_FEATURES).descriptors))
    for file in sorted((corpus / "grocery").glob("*/*_Iconic.jpg")):
        gray = np.asarray(load_photo(file.read_bytes(), file.name).working.convert("L"))
        roots.append(F.rootsift(F.extract_catalog(gray).descriptors))
    return F.train_vocabulary(np.concatenate(roots))


def word_frequency(corpus: Path, vocabulary: F.Vocabulary, held_out: frozenset[str] = frozenset()) -> np.ndarray:
    """How often each index word names a keypoint of the real grocery and product-matching images
    (web-shop images and shelf photos) but those of the products in `held_out` (a folder's name),
    with half a count added to every word: the synthetic images' words are drawn with these odds,
    so common words have long posting lists as in a real catalog (a uniform draw gives every list
    the same length, the cheapest case for its size). Counted over the claimed products' photos
    too, the odds make the claims' own words the commonest: their queries scan the longest lists."""
    counts = np.full(vocabulary.index_size, 0.5)
    for file in sorted(corpus.rglob("*")):
        if file.suffix.lower() in (".jpg", ".jpeg", ".png") and file.parent.name not in held_out:
            gray = np.asarray(load_photo(file.read_bytes(), file.name).working.convert("L"))
            root = F.rootsift(F.extract_catalog(gray).descriptors)
            np.add.at(counts, vocabulary.index_words(root, vocabulary.words(root)), 1)
    return counts / counts.sum()


def in_memory_catalog(
    corpus: Path, images: int, work: Path, claims: int, odds_from_claims: bool, uniform: bool, small_vocabulary: bool
) -> TenantCatalog:
    """The catalog `build_store` stores, held whole in this process (its word index built from the
    words, the synthetic SKUs sharing `VARIANTS` arrays): the relevance look's cost at a catalog
    size without the hour a store and its feature file take to build."""
    stored, vocabulary, variants = synthetic_catalog(
        corpus, images, work, claims, odds_from_claims, uniform, small_vocabulary
    )
    real = TenantCatalog(stored)
    shared = [image_arrays(blob, vocabulary) for blob in variants]
    entries = list(real.skus.values())
    sources = real.images
    for number in range(len(entries), images):
        source, sku = sources[number % VARIANTS % len(sources)], f"SYN-{number:06d}"
        image = replace(source, sku=sku, image_id=f"syn{number:06d}", arrays_of=_given(shared[number % VARIANTS]))
        entries.append(CatalogSku(sku, f"Synthetic{number % 97} {number}", None, (image,)))
    return TenantCatalog.of(entries, vocabulary)


def _write(path: Path, data: bytes) -> None:
    """`data` in a file at `path`, whole or not at all (workers started at once read it)."""
    partial = path.with_suffix(f".{os.getpid()}.partial")
    partial.write_bytes(data)
    os.replace(partial, path)


def _given(arrays: ImageArrays) -> Callable[[], ImageArrays]:
    return lambda: arrays
