"""Reading and writing the catalog tables. Every query is scoped by tenant."""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import LargeBinary, String, and_, bindparam, delete, func, literal, null, select, union
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from evidence_check.store.catalog_tables import (
    CatalogImageRow,
    CatalogReindexRow,
    CatalogSkuRow,
    CatalogVersionRow,
    CatalogVocabularyRow,
    CatalogWordsRow,
)
from evidence_check.store.catalog_types import MEASUREMENT, StoredCatalog, StoredImage, StoredSku
from evidence_check.store.database import Store, StoreError, _one_line, insert_dialect, store_errors
from evidence_check.store.reuse_tables import FingerprintRow
from evidence_check.widths import stored_filename


class VocabularyChanged(Exception):
    """The catalog's vocabulary is not the one the images' words were measured in (a reindex made
    another current meanwhile): measure their words again in the current one and store them again."""


@dataclass(frozen=True)
class SkuSummary:
    sku: str
    name: str | None
    category: str | None
    images: int
    zones: int
    brand: str | None = None
    family: str | None = None


def put_sku(
    store: Store,
    tenant: str,
    sku: str,
    *,
    name: str | None,
    category: str | None,
    images: list[StoredImage],
    when: datetime,
    zones_of_known: dict[str, dict[str, list[int]]] | None = None,
    brand: str | None = None,
    family: str | None = None,
    measured_with: str | None = None,
) -> set[str]:
    """Create or update a SKU and add the images it does not have yet; returns the ids of those added.

    Zones given with an image the SKU already has replace that image's zones, as do
    `zones_of_known` (image id -> zones) for images not measured again (`complete_image_ids`).
    An image stored with an older measurement (`catalog_types.MEASUREMENT`) given again measured
    now has its features and views replaced. A name, category, brand or family not given keeps
    the one stored.

    `measured_with`: the key of the stored vocabulary the images' words were measured in (None: the
    generic one); another one current raises `VocabularyChanged` and stores nothing.
    """
    try:
        with store.sessions.begin() as session:
            # The count first: its row's lock orders this with a reindex's switch (`reindex`), so the
            # vocabulary read next stays current until this commits.
            _changed(session, tenant)
            current = session.scalar(select(CatalogVocabularyRow.key).where(CatalogVocabularyRow.tenant == tenant))
            if images and current != measured_with:
                raise VocabularyChanged(f"the catalog's vocabulary is now {current or 'the generic one'}")
            row = session.scalar(
                select(CatalogSkuRow).where(CatalogSkuRow.tenant == tenant, CatalogSkuRow.sku == sku)
            )
            if row is None:
                row = CatalogSkuRow(
                    tenant=tenant, sku=sku, name=name, category=category, brand=brand, family=family,
                    created_at=when, updated_at=when,
                )  # fmt: skip
                session.add(row)
                session.flush()
            else:
                row.name = name or row.name
                row.category = category or row.category
                row.brand = brand or row.brand
                row.family = family or row.family
                row.updated_at = when
            known = {
                image.image_id: image
                for image in session.scalars(select(CatalogImageRow).where(CatalogImageRow.sku_pk == row.id))
            }
            added: set[str] = set()
            for image_id, zones in (zones_of_known or {}).items():
                if image_id in known:
                    known[image_id].zones = zones
            for image in images:
                if image.image_id in known:
                    if image.zones is not None:
                        known[image.image_id].zones = image.zones
                    stored = known[image.image_id]
                    if stored.measured_as < MEASUREMENT:
                        stored.features, stored.views, stored.measured_as = image.features, image.views, MEASUREMENT
                        # Words stored apart were measured on the features replaced.
                        session.execute(delete(CatalogWordsRow).where(CatalogWordsRow.image_pk == stored.id))
                    continue
                known[image.image_id] = CatalogImageRow(
                    sku_pk=row.id, tenant=tenant, image_id=image.image_id, filename=stored_filename(image.filename),
                    width=image.width, height=image.height, features=image.features, views=image.views,
                    measured_as=MEASUREMENT, zones=image.zones, created_at=when,
                )  # fmt: skip
                session.add(known[image.image_id])
                added.add(image.image_id)
            return added
    except SQLAlchemyError as exc:
        raise StoreError(f"could not store SKU {sku}: {_one_line(exc)}") from None


@store_errors("could not read the catalog")
def complete_image_ids(store: Store, tenant: str, sku: str | None = None) -> dict[str, set[str]]:
    """SKU -> ids of its images stored at the current measurement (`catalog_types.MEASUREMENT`)
    and as the shop's listing photo: adding them again need not measure them again. One SKU's, or
    every SKU's of the tenant."""
    # An add the store failed after put_sku left the image without its listing print; were it
    # complete, adding it again would skip it and the shop's own photo sent back would pass.
    listed = (
        select(FingerprintRow.id)
        .where(
            FingerprintRow.tenant == tenant,
            FingerprintRow.kind == "listing",
            FingerprintRow.ref_id == CatalogSkuRow.sku,
            FingerprintRow.image_id == CatalogImageRow.image_id,
        )
        .exists()
    )
    query = (
        select(CatalogSkuRow.sku, CatalogImageRow.image_id)
        .join(CatalogSkuRow, CatalogSkuRow.id == CatalogImageRow.sku_pk)
        .where(CatalogSkuRow.tenant == tenant, CatalogImageRow.measured_as >= MEASUREMENT, listed)
    )
    if sku is not None:
        query = query.where(CatalogSkuRow.sku == sku)
    found: dict[str, set[str]] = {}
    with store.sessions() as session:
        for name, image_id in session.execute(query):
            found.setdefault(name, set()).add(image_id)
    return found


@store_errors("could not list the catalog")
def list_skus(
    store: Store, tenant: str, *, after: str | None = None, limit: int | None = None, starting: str | None = None
) -> list[SkuSummary]:
    """Each SKU with its image count and its zones counted over all its images, by code point: the
    order of `GET /v1/catalog`'s cursor (`>` on str), the console's and `catalog list`'s on every store.
    `after`: only the SKUs after that one; `limit`: the first that many; `starting`: only the SKUs that
    start with it. Only those SKUs' images are read."""
    with store.sessions() as session:
        in_order = _code_point_order(session, CatalogSkuRow.sku)
        page = select(CatalogSkuRow.id).where(CatalogSkuRow.tenant == tenant)
        if after is not None:
            page = page.where(in_order > after)
        if starting:
            # A range of the index, where LIKE would scan (and read `_` and `%` as patterns): every
            # SKU starting with it sorts before it followed by U+10FFFF, which no SKU holds (`ID_PATTERN`).
            page = page.where(in_order >= starting, in_order < starting + "\U0010ffff")
        if limit is not None:
            page = page.order_by(in_order).limit(limit)
        skus = session.scalars(select(CatalogSkuRow).where(CatalogSkuRow.id.in_(page)).order_by(in_order)).all()
        # The images of the SKUs read, not of the page asked again: SKUs added between the two queries
        # pushed the page's last SKUs out, and those were counted no image. Unpaged, the tenant's: no
        # list of every SKU's id to send.
        of_these = CatalogImageRow.tenant == tenant if limit is None else CatalogImageRow.sku_pk.in_([row.id for row in skus])
        counts: dict[int, list[int]] = {}
        for sku_pk, zones in session.execute(select(CatalogImageRow.sku_pk, CatalogImageRow.zones).where(of_these)):
            count = counts.setdefault(sku_pk, [0, 0])
            count[0] += 1
            count[1] += len(zones or {})
    summaries = []
    for row in skus:
        images, zones = counts.get(row.id, [0, 0])
        summaries.append(
            SkuSummary(row.sku, row.name, row.category, images, zones + len(row.zones or {}), row.brand, row.family)
        )
    return summaries


def _code_point_order(session: Session, column: Any) -> Any:
    """`column` compared by code point, as Python's `>` compares str. Not the database's order:
    PostgreSQL's follows its collation (en-US: a-1, B-2, c-3); its "C" compares the UTF-8 bytes, which
    is code-point order, as SQLite's default (BINARY) does."""
    return column.collate("C") if session.get_bind().dialect.name == "postgresql" else column


@dataclass(frozen=True)
class SkuImage:
    image_id: str
    filename: str
    width: int
    height: int
    zones: dict[str, Any]


@store_errors("could not read the catalog")
def sku_images(store: Store, tenant: str, sku: str) -> tuple[SkuSummary, list[SkuImage]] | None:
    """One SKU with its images (in the order added) and each image's zones; None when it has none."""
    with store.sessions() as session:
        row = session.scalar(select(CatalogSkuRow).where(CatalogSkuRow.tenant == tenant, CatalogSkuRow.sku == sku))
        if row is None:
            return None
        images = session.execute(
            select(
                CatalogImageRow.image_id,
                CatalogImageRow.filename,
                CatalogImageRow.width,
                CatalogImageRow.height,
                CatalogImageRow.zones,
            )
            .where(CatalogImageRow.sku_pk == row.id)
            .order_by(CatalogImageRow.id)
        ).all()
    found = [SkuImage(i, f, w, h, dict(z or {})) for i, f, w, h, z in images]
    if found and row.zones and not found[0].zones:  # zones stored on the SKU belong to its first image
        found[0] = SkuImage(found[0].image_id, found[0].filename, found[0].width, found[0].height, dict(row.zones))
    zones = sum(len(image.zones) for image in found)
    return SkuSummary(row.sku, row.name, row.category, len(found), zones, row.brand, row.family), found


def set_zones(store: Store, tenant: str, sku: str, zones: dict[str, dict[str, list[int]]], when: datetime) -> bool:
    """Replace the zones of the SKU's images, given per file name (an image not named keeps none)."""
    try:
        with store.sessions.begin() as session:
            row = session.scalar(
                select(CatalogSkuRow).where(CatalogSkuRow.tenant == tenant, CatalogSkuRow.sku == sku)
            )
            if row is None:
                return False
            row.zones, row.updated_at = None, when
            for image in session.scalars(select(CatalogImageRow).where(CatalogImageRow.sku_pk == row.id)):
                image.zones = zones.get(image.filename) or None
            _changed(session, tenant)
            return True
    except SQLAlchemyError as exc:
        raise StoreError(f"could not set the zones of SKU {sku}: {_one_line(exc)}") from None


def _changed(session: Session, tenant: str) -> None:
    """Count one more change to the tenant's catalog, in the transaction that makes it. One
    statement, so two processes changing the catalog at once count two (the row's lock orders them)."""
    table = CatalogVersionRow.__table__
    statement = insert_dialect(session).insert(table).values(tenant=tenant, version=1)
    session.execute(
        statement.on_conflict_do_update(index_elements=[table.c.tenant], set_={"version": table.c.version + 1})
    )


@store_errors("could not read the catalog")
def catalog_stamp(store: Store, tenant: str) -> Hashable:
    """What changes whenever the tenant's catalog does: its count of changes (`_changed`). A process
    holding the catalog, on this host or another, reloads it when this moves; one row read by its
    key, so asking costs the same whatever the catalog's size. None: never changed since the count
    was kept (a catalog's rows written directly, as a bench builds them, are not counted)."""
    with store.sessions() as session:
        return session.scalar(select(CatalogVersionRow.version).where(CatalogVersionRow.tenant == tenant))


def remove_sku(store: Store, tenant: str, sku: str) -> bool:
    try:
        with store.sessions.begin() as session:
            row_id = session.scalar(
                select(CatalogSkuRow.id).where(CatalogSkuRow.tenant == tenant, CatalogSkuRow.sku == sku)
            )
            if row_id is None:
                return False
            # Explicit: SQLite enforces ON DELETE CASCADE only with foreign_keys on, which a shared
            # connection may not have.
            images = select(CatalogImageRow.id).where(CatalogImageRow.sku_pk == row_id)
            session.execute(delete(CatalogWordsRow).where(CatalogWordsRow.image_pk.in_(images)))
            session.execute(delete(CatalogImageRow).where(CatalogImageRow.sku_pk == row_id))
            gone = session.connection().execute(delete(CatalogSkuRow).where(CatalogSkuRow.id == row_id))
            if gone.rowcount == 0:
                # Another removal took it between the read and the delete (SQLite takes its write lock
                # at the first write): that one answers "removed"; of 20 at once, 7 did.
                return False
            _changed(session, tenant)
            return True
    except SQLAlchemyError as exc:
        raise StoreError(f"could not remove SKU {sku}: {_one_line(exc)}") from None


@store_errors("could not load the catalog")
def load_tenant(store: Store, tenant: str, *, features: bool = True) -> StoredCatalog:
    """Every SKU of a tenant with its images, for the in-memory catalog; without `features`, each
    image's `features` and `words` are left empty (a worker reads them from its host's feature file).

    Only the columns the catalog uses are read, as tuples: SQLite keeps a row's columns in order
    and reaches those stored after its packed features (`created_at`, and `zones` when an image
    has any) through the blob's chain of overflow pages, ~25 pages an image; reading `created_at`
    with every row cost most of a 100,000-image catalog's first load."""
    with store.sessions() as session:
        key, vocabulary = session.execute(
            select(CatalogVocabularyRow.key, CatalogVocabularyRow.vocabulary).where(CatalogVocabularyRow.tenant == tenant)
        ).one_or_none() or (None, None)
        skus = session.execute(
            select(
                CatalogSkuRow.id, CatalogSkuRow.sku, CatalogSkuRow.name, CatalogSkuRow.category,
                CatalogSkuRow.zones, CatalogSkuRow.brand, CatalogSkuRow.family,
            ).where(CatalogSkuRow.tenant == tenant)
        ).all()  # fmt: skip
        images: dict[int, list[StoredImage]] = {}
        query = select(
            CatalogImageRow.sku_pk, CatalogImageRow.image_id, CatalogImageRow.filename, CatalogImageRow.width,
            CatalogImageRow.height, CatalogImageRow.zones, CatalogImageRow.features if features else null(),
            CatalogWordsRow.words if features else null(),
        )  # fmt: skip
        if features:
            query = query.outerjoin(CatalogWordsRow, _words_of(key))
        for sku_pk, image_id, filename, width, height, zones, blob, words in session.execute(
            query.where(CatalogImageRow.tenant == tenant).order_by(CatalogImageRow.id)
        ):
            images.setdefault(sku_pk, []).append(
                StoredImage(image_id, filename, width, height, blob or b"", zones, words=words)
            )
    return StoredCatalog(
        tuple(
            StoredSku(sku, name, category, zones, tuple(images.get(pk, ())), brand, family)
            for pk, sku, name, category, zones, brand, family in skus
        ),
        vocabulary,
    )


def _words_of(vocabulary_key: str | None) -> Any:
    """Joins an image to its words stored apart in the given vocabulary."""
    return and_(CatalogWordsRow.image_pk == CatalogImageRow.id, CatalogWordsRow.vocabulary_key == vocabulary_key)


@store_errors("could not read the catalog features")
def stream_features(store: Store, tenant: str, vocabulary_key: str) -> Iterator[tuple[str, str, bytes, bytes | None]]:
    """(SKU, image id, packed features, packed words in the vocabulary of `vocabulary_key` when
    stored apart) of every image of a tenant, a few rows in memory at a time."""
    with store.sessions() as session:
        rows = session.execute(
            select(CatalogSkuRow.sku, CatalogImageRow.image_id, CatalogImageRow.features, CatalogWordsRow.words)
            .join(CatalogSkuRow, CatalogSkuRow.id == CatalogImageRow.sku_pk)
            .outerjoin(CatalogWordsRow, _words_of(vocabulary_key))
            .where(CatalogImageRow.tenant == tenant)
            .execution_options(yield_per=64)
        )
        yield from ((sku, image_id, features, words) for sku, image_id, features, words in rows)


@store_errors("could not read the catalog")
def load_views(store: Store, tenant: str, sku: str, image_id: str) -> bytes | None:
    """One catalog image's tilted views, or None (stored before views were made, or removed since)."""
    with store.sessions() as session:
        return session.scalar(
            select(CatalogImageRow.views)
            .join(CatalogSkuRow, CatalogSkuRow.id == CatalogImageRow.sku_pk)
            .where(CatalogSkuRow.tenant == tenant, CatalogSkuRow.sku == sku, CatalogImageRow.image_id == image_id)
        )


@store_errors("could not read the catalog")
def held_images(store: Store, tenant: str, sku: str, image_ids: Collection[str]) -> dict[str, tuple[bytes, Any]]:
    """(packed features, zones) of each of the SKU's stored images among `image_ids`."""
    if not image_ids:
        return {}
    with store.sessions() as session:
        rows = session.execute(
            select(CatalogImageRow.image_id, CatalogImageRow.features, CatalogImageRow.zones)
            .join(CatalogSkuRow, CatalogSkuRow.id == CatalogImageRow.sku_pk)
            .where(CatalogSkuRow.tenant == tenant, CatalogSkuRow.sku == sku, CatalogImageRow.image_id.in_(list(image_ids)))
        )
        return {image_id: (features, zones) for image_id, features, zones in rows}


@store_errors("could not read the catalog")
def images_since_vocabulary(store: Store, tenant: str) -> int | None:
    """Catalog images stored after the tenant's vocabulary was fitted; None: it has none yet."""
    with store.sessions() as session:
        fitted = session.scalar(
            select(CatalogVocabularyRow.created_at).where(CatalogVocabularyRow.tenant == tenant)
        )
        if fitted is None:
            return None
        return session.scalar(
            select(func.count())
            .select_from(CatalogImageRow)
            .where(CatalogImageRow.tenant == tenant, CatalogImageRow.created_at > fitted)
        )


@store_errors("could not read the catalog vocabulary")
def load_vocabulary(store: Store, tenant: str) -> bytes | None:
    with store.sessions() as session:
        return session.scalar(
            select(CatalogVocabularyRow.vocabulary).where(CatalogVocabularyRow.tenant == tenant)
        )


REINDEX_BATCH = 64  # images read, measured again and written at a time


@store_errors("could not read the catalog features")
def stream_descriptor_blobs(store: Store, tenant: str) -> Iterator[bytes]:
    """The packed features of every image of a tenant in the catalog's order (by SKU, then as
    stored), `REINDEX_BATCH` at a time: what the vocabulary is trained on."""
    with store.sessions() as session:
        keys = session.scalars(
            select(CatalogImageRow.id)
            .join(CatalogSkuRow, CatalogSkuRow.id == CatalogImageRow.sku_pk)
            .where(CatalogImageRow.tenant == tenant)
            .order_by(CatalogSkuRow.sku, CatalogImageRow.id)
        ).all()
        for start in range(0, len(keys), REINDEX_BATCH):
            batch = keys[start : start + REINDEX_BATCH]
            blobs = {
                pk: blob
                for pk, blob in session.execute(
                    select(CatalogImageRow.id, CatalogImageRow.features).where(
                        CatalogImageRow.tenant == tenant, CatalogImageRow.id.in_(batch)
                    )
                )
            }
            for key in batch:
                if key not in blobs:
                    raise StoreError("the catalog's images changed while its vocabulary was trained")
                yield blobs[key]


WORDS_CLEARED = 1024  # words of an unused vocabulary deleted a transaction at a time


@store_errors("could not reindex the catalog")
def reindex(
    store: Store, tenant: str, key: str, vocabulary: bytes, measure: Callable[[bytes], bytes], when: datetime
) -> int:
    """Make `vocabulary` the tenant's, with every image's words in it (`measure`: packed features ->
    packed words); returns the number of images.

    The words are written apart (`CatalogWordsRow`), `REINDEX_BATCH` images a transaction, while
    readers keep the current vocabulary and its words; then one transaction makes the new ones
    current, measuring first the images added meanwhile. Interrupted before that, the catalog is as
    it was, and the next reindex to the same vocabulary goes on from the words written. No
    transaction holds more than a batch of words or the vocabulary, so neither SQLite's
    write-ahead log nor PostgreSQL's transaction grows with the catalog."""
    try:
        with store.sessions.begin() as session:
            table = CatalogReindexRow.__table__
            statement = insert_dialect(session).insert(table).values(tenant=tenant, key=key)
            session.execute(statement.on_conflict_do_update(index_elements=[table.c.tenant], set_={"key": key}))
        # The words of a reindex stopped midway to another vocabulary are of no use now.
        _clear_words(store, tenant)
        last = 0
        while True:
            with store.sessions() as session:
                batch = _without_words(session, tenant, key, last, REINDEX_BATCH)
            if not batch:
                break
            measured = [(pk, measure(blob)) for pk, blob in batch]
            with store.sessions.begin() as session:
                _insert_words(session, tenant, key, measured)
            last = batch[-1][0]
        with store.sessions.begin() as session:
            _changed(session, tenant)  # first: a `put_sku` waits for the switch, or the switch for it
            staged = session.scalar(select(CatalogReindexRow.key).where(CatalogReindexRow.tenant == tenant))
            row = session.get(CatalogVocabularyRow, tenant)
            if staged != key:
                if row is None or row.key != key:
                    raise StoreError("another reindex of the catalog ran meanwhile")
                raise _MadeCurrentMeanwhile  # rolls the count back: no worker need load the catalog again
            last = 0
            while batch := _without_words(session, tenant, key, last, REINDEX_BATCH):  # added meanwhile
                _insert_words(session, tenant, key, [(pk, measure(blob)) for pk, blob in batch])
                last = batch[-1][0]
            if row is None:
                session.add(CatalogVocabularyRow(tenant=tenant, key=key, vocabulary=vocabulary, created_at=when))
            else:
                row.key, row.vocabulary, row.created_at = key, vocabulary, when
            session.execute(delete(CatalogReindexRow).where(CatalogReindexRow.tenant == tenant))
            count = session.scalar(select(func.count()).select_from(CatalogImageRow).where(CatalogImageRow.tenant == tenant))
        _clear_words(store, tenant)
        return int(count or 0)
    except _MadeCurrentMeanwhile:
        with store.sessions() as session:
            return session.scalar(select(func.count()).select_from(CatalogImageRow).where(CatalogImageRow.tenant == tenant)) or 0


class _MadeCurrentMeanwhile(Exception):
    """Another reindex trained the same vocabulary (the same images) and made it current first."""


def _without_words(session: Session, tenant: str, key: str, after: int, limit: int) -> list[tuple[int, bytes]]:
    """(row id, packed features) of the next images after row `after` with no words in `key`."""
    return [
        (pk, blob)
        for pk, blob in session.execute(
            select(CatalogImageRow.id, CatalogImageRow.features)
            .outerjoin(CatalogWordsRow, _words_of(key))
            .where(CatalogImageRow.tenant == tenant, CatalogImageRow.id > after, CatalogWordsRow.image_pk.is_(None))
            .order_by(CatalogImageRow.id)
            .limit(limit)
        )
    ]


def _insert_words(session: Session, tenant: str, key: str, measured: list[tuple[int, bytes]]) -> None:
    """Store the words of the images still there: one removed since it was read (`catalog remove`
    while the batch was measured) is passed over, not a broken foreign key failing the reindex. On
    PostgreSQL the image's row is locked as the foreign key's check would: a removal committing
    meanwhile is waited for and its row passed over, not found gone by the check afterwards."""
    still_there = (
        select(
            CatalogImageRow.id, literal(key, String), literal(tenant, String), bindparam("words", type_=LargeBinary)
        )
        .where(CatalogImageRow.id == bindparam("pk"))
        .with_for_update(key_share=True)
    )
    statement = insert_dialect(session).insert(CatalogWordsRow.__table__).from_select(
        ["image_pk", "vocabulary_key", "tenant", "words"], still_there
    )
    session.execute(statement.on_conflict_do_nothing(), [{"pk": pk, "words": words} for pk, words in measured])


def _clear_words(store: Store, tenant: str) -> None:
    """Delete the tenant's words of every vocabulary neither current nor being reindexed to,
    `WORDS_CLEARED` a transaction. Which those are is read in the statement that deletes: another
    reindex may have made its vocabulary current, or staged its own, since this one began."""
    in_use = union(
        select(CatalogVocabularyRow.key).where(CatalogVocabularyRow.tenant == tenant),
        select(CatalogReindexRow.key).where(CatalogReindexRow.tenant == tenant),
    )
    unused = and_(CatalogWordsRow.tenant == tenant, CatalogWordsRow.vocabulary_key.not_in(in_use))
    images = select(CatalogWordsRow.image_pk).where(unused).limit(WORDS_CLEARED).scalar_subquery()
    while True:
        with store.sessions.begin() as session:
            # One statement: on SQLite a transaction that read first may not write after another did.
            deleted = session.connection().execute(delete(CatalogWordsRow).where(unused, CatalogWordsRow.image_pk.in_(images)))
            if not deleted.rowcount:
                return
