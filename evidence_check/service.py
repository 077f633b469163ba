"""One claim, end to end: analyse the photos, then record claim, photos and report together.

The command line and the HTTP API both call `verify_claim`; neither knows how the other works.
"""

from __future__ import annotations

import hashlib
import json
import logging
import weakref
from collections.abc import Collection, Hashable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from evidence_check import report as report_json
from evidence_check.catalog.entries import catalog_features, features_outline_share, outline_share
from evidence_check.catalog.feature_file import ArrayCache
from evidence_check.catalog.loading import feature_folder, load_from_store
from evidence_check.catalog.registry import Catalog, TenantCatalog
from evidence_check.catalog.words import packed_words, train_catalog_vocabulary, with_words
from evidence_check.catalog.zones import bound_zones
from evidence_check.checks import CHECKS, challenge, location
from evidence_check.checks.context import CheckContext
from evidence_check.engine import Upload, now_utc, verify
from evidence_check.errors import WordedError, error_text
from evidence_check.imaging.features import Vocabulary
from evidence_check.imaging.fingerprint import fingerprint
from evidence_check.imaging.load import Limits, Photo, PhotoError, load_photo
from evidence_check.imaging.preview import MATCHED_SIDE, jpeg_uri, preview_jpeg
from evidence_check.intake import IntakeError, check_claim_photos
from evidence_check.models import Claim, Report
from evidence_check.previews import kept_photos
from evidence_check.references import references_for, stored_print
from evidence_check.render.annotated import annotated_pictures, annotated_png, location_details
from evidence_check.render.html import THUMBNAIL_SIDE, render_html, thumbnail_uri
from evidence_check.render.matched import matched_images
from evidence_check.settings import Settings, get_settings
from evidence_check.store import Store, StoreError, request_key
from evidence_check.store.catalog_store import (
    VocabularyChanged,
    catalog_stamp,
    complete_image_ids,
    held_images,
    load_vocabulary,
    put_sku,
    reindex,
    remove_sku,
    set_zones,
    sku_images,
    stream_descriptor_blobs,
)
from evidence_check.store.catalog_types import StoredCatalog, StoredImage
from evidence_check.store.claim_files import (
    claim_fields,
    files_by_image,
    kept_claim,
    regions_by_image,
    sent_fields,
)
from evidence_check.store.database import PHOTO_REGIONS
from evidence_check.store.outbox import Event
from evidence_check.store.outcomes import (
    DecidedBy,
    OutcomeKey,
    RecordedOutcome,
    open_challenge,
    public_decided_by,
    record_outcome,
)
from evidence_check.store.reuse_tables import StoredPrint
from evidence_check.store.thumbnails import put_thumbnails, thumbnail_ids, thumbnails_of

logger = logging.getLogger(__name__)

# One catalog per open store, so a server loads each tenant's catalog once, not per request.
_catalogs: weakref.WeakKeyDictionary[Store, Catalog] = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class Outcome:
    report: Report
    body: dict[str, Any]  # the contract's JSON
    readable: int  # how many photos could be read
    photos: tuple[Photo, ...] = ()  # the readable ones, for thumbnails in the HTML report


@dataclass(frozen=True)
class Reverified:
    body: dict[str, Any]  # the contract's JSON: the report recorded now, or the one a retry's request recorded
    # The claim's language, the one its report is printed in; None for a replayed request, whose
    # caller reads it (`claim_language`) only if it prints the report: the API answers in the asker's.
    lang: str | None


def limits_from(settings: Settings) -> Limits:
    return Limits(
        max_bytes=settings.max_file_bytes,
        max_pixels=settings.max_pixels,
        working_size=settings.working_size,
        max_decoded_bytes=settings.max_decoded_bytes,
    )


def catalog_for(store: Store, settings: Settings | None = None) -> Catalog:
    """The process's catalog of this store, each tenant loaded on first use (`settings`: the first
    caller's size its memory; the environment's when none is given)."""
    found = _catalogs.get(store)
    if found is None:
        settings = settings or get_settings()
        folder = feature_folder(store, settings.catalog_feature_dir)
        cache = ArrayCache(settings.catalog_cached_images)
        # A weak reference: the catalog must not keep a closed store alive.
        opened = weakref.ref(store)

        def load(tenant: str) -> StoredCatalog | TenantCatalog:
            current = opened()
            return load_from_store(current, tenant, folder, cache) if current is not None else StoredCatalog()

        def stamp(tenant: str) -> Hashable:
            current = opened()
            return catalog_stamp(current, tenant) if current is not None else None

        found = _catalogs[store] = Catalog(
            load, stamp=stamp, cache=cache, memory_bytes=settings.catalog_memory_mb * 1024 * 1024
        )
    return found


def nothing_readable(report: Report) -> IntakeError:
    """Why none of the claim's photos could be read: each photo's reason, in the asker's language
    (`text(lang)`) or in English (`str`, the command line)."""
    problems = tuple(WordedError("photo.named", filename=i.filename, problem=i.error) for i in report.images)
    return IntakeError("intake.nothing_readable", problems=problems)


def verify_claim(
    claim: Claim,
    uploads: Sequence[Upload],
    *,
    settings: Settings,
    store: Store | None,
    now: datetime,
    record: bool = True,
    request_keys: Sequence[str] = (),
    channel: str = "cli",
) -> Outcome:
    """Analyse and record. `request_keys` make recording idempotent (see `Store.record`): when the
    same request was recorded first elsewhere, `body` is that earlier report and nothing is added.
    `channel` (`cli` or `api`) is the agent's tool, which the report's next steps name actions in."""
    settings = settings.for_tenant(claim.tenant)
    references = references_for(store, settings) if store is not None else None
    catalog = catalog_for(store, settings) if store is not None else None
    if catalog is not None and claim.sku:
        # The tenant's catalog is loaded here, before the checks run, not by the first look that needs it.
        entry = catalog.for_tenant(claim.tenant).get(claim.sku)
        if entry is not None and entry.category and claim.category is None:
            claim = replace(claim, category=entry.category)
    # The retake challenge is checked only for claims that have one, not in every report.
    issued = open_challenge(store, claim.tenant, claim.claim_id) if store is not None else None
    checks = CHECKS if issued is None else {**CHECKS, "challenge": challenge.check}
    context = CheckContext(
        settings=settings, now=now, references=references, challenge=issued, catalog=catalog
    )
    analysis = verify(claim, uploads, context, limits_from(settings), checks)
    recorded = record and store is not None and bool(analysis.photos)
    body = report_json.to_dict(analysis.report, channel=channel, recorded=recorded)
    if record and store is not None and references is not None and analysis.photos:
        keep = settings.reuse_keep_features
        fingerprints = {}
        for measured in analysis.measured:  # the reuse look's fingerprints, measured once
            with measured.timed("reuse.record"):
                fingerprints[measured.photo.image_id] = stored_print(measured.fingerprint, keep)
        photo_ids = [upload_id(u) if u.data is not None else None for u in uploads]
        files = {upload_id(u): u.data for u in uploads if u.data is not None} if settings.keep_photo_files else {}
        earlier = store.record(
            claim,
            [(p.image_id, p.filename) for p in analysis.photos],
            body,
            now,
            request_keys=request_keys,
            fingerprints=fingerprints,
            files=files,
            fields={**claim_fields(claim), PHOTO_REGIONS: regions_by_image(claim, photo_ids)},
            events=verified_events(claim, body, settings.root_path),
            admitted=lambda held: check_claim_photos(
                claim.claim_id, held, (p.image_id for p in analysis.photos), settings.max_photos
            ),
        )
        body = earlier if earlier is not None else body
        try:
            references.sync()
        except StoreError as exc:
            # The claim is recorded: its answer is its report, not an error a client without a key
            # would send again and record twice. Its photos are indexed by the next sync.
            logger.warning(
                "claim %s of %s (%s) recorded, its photos not indexed yet: %s", claim.claim_id, claim.tenant, channel, exc
            )
    return Outcome(report=analysis.report, body=body, readable=len(analysis.photos), photos=analysis.photos)


def upload_id(upload: Upload) -> str:
    """The image id a photo gets: the sha256 of its bytes (computed once by the API as they arrive)."""
    assert upload.data is not None
    return upload.image_id or hashlib.sha256(upload.data).hexdigest()


# A client's Idempotency-Key (the API's header, the command line's --idempotency-key): visible ASCII.
IDEMPOTENCY_KEY_WIDTH = 255
IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7e]+$"


def reverify_keys(claim_id: str, idempotency_key: str | None) -> tuple[str, ...]:
    """The request keys of a reverify: none without a key (each one is a new report, by design); with
    one, the key recorded with a digest of what it asked, so that the key sent for anything else
    (another claim, a `verify`) is a conflict. The API and the command line share them: the same key
    is the same request from either."""
    if not idempotency_key:
        return ()
    digest = hashlib.sha256(json.dumps({"reverify": claim_id}).encode()).hexdigest()
    return (request_key(f"idem:{idempotency_key}", digest),)


def outcome_key(
    claim_id: str, idempotency_key: str | None, decision: str, note: str | None, seen: int | None
) -> OutcomeKey | None:
    """An outcome request's Idempotency-Key as the store keeps it: digests of the key and of what the
    request asked, so that the key sent with another decision, note, `seen` or claim is a conflict.
    Its own namespace: the key is not compared with those of `verify` and `reverify`."""
    if not idempotency_key:
        return None
    asked = json.dumps({"claim_id": claim_id, "outcome": decision, "note": note, "seen": seen})
    return OutcomeKey(
        hashlib.sha256(idempotency_key.encode()).hexdigest(), hashlib.sha256(asked.encode()).hexdigest()
    )


def claim_language(store: Store, tenant: str, claim_id: str) -> str:
    """The language the claim was sent in (`en` when the claim is not there)."""
    return str((sent_fields(store, tenant, claim_id) or {}).get("lang", "en"))


def reverify_claim(
    store: Store,
    tenant: str,
    claim_id: str,
    *,
    settings: Settings,
    now: datetime,
    channel: str = "cli",
    request_keys: Sequence[str] = (),
    gate: AbstractContextManager[object] | None = None,
) -> Reverified | None:
    """Analyse a recorded claim's kept photos again against today's catalog and references, and
    record the new report beside the earlier ones; None when the tenant has no such claim (the
    photos recorded already are not recorded again, so none is found as reused from itself).

    `request_keys` as `reverify_keys` makes them: a request recorded already (a keyed retry, from
    the API or the command line) is answered with its report before a photo is read, even once
    retention deleted the files, and nothing is analysed again for nothing. `gate` (the API's bound
    on claims read into memory at once) is entered only to read and analyse the photos, so a retry
    waits for no other claim's analysis."""
    earlier = store.replay(tenant, request_keys)
    if earlier is not None:
        return Reverified(earlier, None)
    with gate or nullcontext():
        kept = kept_claim(store, tenant, claim_id)
        if kept is None:
            return None
        claim, files = kept
        uploads = [Upload(filename, data) for filename, data in files]
        outcome = verify_claim(
            claim, uploads, settings=settings, store=store, now=now, channel=channel, request_keys=request_keys
        )
    return Reverified(outcome.body, claim.lang)


def report_page(
    store: Store,
    tenant: str,
    body: dict[str, Any],
    lang: str,
    settings: Settings,
    zone: ZoneInfo | None = None,
    pictures: bool = True,
) -> str:
    """A stored report as the printable HTML page: the API's `?format=html` (times in the claim's
    own offset) and the console's printable page (in the agent's `zone`). Each kept photo is decoded
    once, for its thumbnail and the location look's annotated picture; matched pictures come from
    `evidence_thumbnails`. Without `pictures`, the store is not read: the report's words alone."""
    photos = kept_photos(store, tenant, str(body["claim_id"]), limits_from(settings)) if pictures else []
    thumbnails = {p.image_id: thumbnail_uri(p.working) for p in photos}
    evidence = evidence_thumbnails(store, tenant, body, settings) if pictures else {}
    show_gps = settings.for_tenant(tenant).html_show_gps
    return render_html(body, lang, thumbnails, show_gps, evidence, annotated_pictures(body, photos), zone)


def annotated_photo(store: Store, tenant: str, body: dict[str, Any], number: int, settings: Settings) -> bytes | None:
    """The annotated PNG of the report's photo `number` (from 1); None when the report has no such
    readable photo or its file is no longer kept."""
    images = body.get("images") or []
    if not 1 <= number <= len(images) or not images[number - 1].get("image_id") or images[number - 1].get("error"):
        return None
    image_id = str(images[number - 1]["image_id"])
    for _, photo in _kept_photos(store, tenant, [image_id], settings):
        return annotated_png(photo.working, location_details(body, image_id) or {})
    return None


def _kept_photos(store: Store, tenant: str, image_ids: list[str], settings: Settings) -> Iterator[tuple[str, Photo]]:
    """The claim photos among `image_ids` whose files are still kept, decoded one at a time as the
    caller asks for the next; one that cannot be read is passed over."""
    for image_id, (filename, data) in files_by_image(store, tenant, image_ids).items():
        try:
            yield image_id, load_photo(data, filename, limits_from(settings), image_id=image_id)
        except PhotoError:
            continue


def evidence_thumbnails(store: Store, tenant: str, body: dict[str, Any], settings: Settings) -> dict[str, str]:
    """Thumbnails of the pictures a report's photos were matched with, by image id, to be shown
    beside the photo (`matched.matched_images`): an earlier claim's photo re-encoded from its kept
    file, a catalog image or reference photo from the thumbnail stored when it was added. No
    original leaves the store."""
    wanted = matched_images(body)
    thumbnails = {}
    for image_id, photo in _kept_photos(store, tenant, wanted.claims, settings):
        thumbnails[image_id] = thumbnail_uri(photo.working, MATCHED_SIDE)
    for image_id, data in thumbnails_of(store, tenant, wanted.stored).items():
        thumbnails[image_id] = jpeg_uri(data)
    return thumbnails


def picture_thumbnail(store: Store, tenant: str, image_id: str, settings: Settings) -> bytes | None:
    """A JPEG thumbnail of one of the tenant's pictures: a catalog image or reference photo (as
    stored when added), else a claim photo while its file is kept (re-encoded); None: it has none."""
    stored = thumbnails_of(store, tenant, [image_id]).get(image_id)
    if stored is not None:
        return stored
    for _, photo in _kept_photos(store, tenant, [image_id], settings):
        return preview_jpeg(photo.working, THUMBNAIL_SIDE)
    return None


def decide(
    store: Store,
    tenant: str,
    claim_id: str,
    decision: str,
    note: str | None,
    seen: int | None = None,
    *,
    by: DecidedBy,
    idempotency_key: str | None = None,
) -> RecordedOutcome:
    """Record the agent's final decision on a claim, its webhook event in the same transaction: when
    it was recorded, and the decision it replaces if the claim was decided before (every one is kept).
    `seen`: as `record_outcome` has it (`DecidedMeanwhile`, nothing announced); a repeat of the latest
    decision is answered as it was, not announced again. `by`: who decides; the event names its key
    and where it came from (`decided_by`), never the console's session id, and the decision's id
    (`decision_id`, as the answer and `GET /v1/claims` do). `idempotency_key`: the
    API client's; its request sent again is answered as the first (`RequestConflict`: another's)."""
    data = {"claim_id": claim_id, "outcome": decision, "note": note, "decided_by": public_decided_by(by)}

    def announced(decision_id: int) -> list[Event]:
        return [Event("claim.outcome", {**data, "decision_id": decision_id})]

    keyed = outcome_key(claim_id, idempotency_key, decision, note, seen)
    return record_outcome(store, tenant, claim_id, decision, note, now_utc, seen, by=by, events=announced, keyed=keyed)


def verified_events(claim: Claim, body: dict[str, Any], root_path: str = "") -> list[Event]:
    """The tenant's webhook events for a report, recorded with it (a replayed request records none).
    `report` is the claim's address on the API as served (under `ROOT_PATH` behind a proxy), its id
    encoded whole: an id may hold '/' (`a/reports` would otherwise name claim `a`'s reports)."""
    data = {
        "claim_id": claim.claim_id,
        "customer_id": claim.customer_id,
        "order_id": claim.order_id,
        "sku": claim.sku,
        "verdict": body["verdict"],
        "risk": body["risk"],
        "report": f"{root_path}/v1/claims/{quote(claim.claim_id, safe='')}",
    }
    events = [Event("claim.verified", data)]
    passed = [
        image["filename"]
        for image in body["images"]
        if image["checks"].get("challenge", {}).get("status") == "pass"
    ]
    if passed:
        events.append(Event("challenge.passed", {"claim_id": claim.claim_id, "photos": passed}))
    return events


@dataclass(frozen=True)
class CatalogAddition:
    added: int  # new images stored (an image the SKU already has is not stored twice)
    added_ids: frozenset[str]  # their ids
    skipped: tuple[tuple[str, WordedError], ...]  # (filename, why) of files that could not be used
    # False: no file could be used (each is in `skipped`), so nothing was stored for the SKU.
    stored: bool
    # (filename, outline share) of images stored now that give the location look no product outline
    # (`location.lacks_outline`): stored all the same, they serve the relevance and reuse looks.
    without_outline: tuple[tuple[str, float], ...] = ()
    # A reindex made another vocabulary current since the images were measured: they were measured
    # again in it, and a caller storing more (an import) measures the next ones in it at once.
    switched: bool = False
    vocabulary: Vocabulary | None = None  # the current one, when `switched`


def no_outline_text(filename: str, share: float, lang: str = "en") -> str:
    """The merchant's warning for an image in `CatalogAddition.without_outline`, and what to do."""
    return error_text("catalog.no_outline", {"filename": filename, "share": f"{share:.0%}"}, lang)


@dataclass(frozen=True)
class MeasuredImage:
    """A catalog image measured for both looks that use it, ready to store."""

    image: StoredImage  # the relevance look's features and tilted views
    listing: StoredPrint  # the reuse look's print: a customer sending the shop's own photo is caught
    thumbnail: bytes  # shown beside a photo matched with it (`imaging.preview`)
    outline_share: float  # of the image, covered by its product outline zones aside (`entries.outline_share`)


@dataclass(frozen=True)
class MeasuredUploads:
    measured: tuple[MeasuredImage, ...]
    complete: tuple[tuple[str, str], ...]  # (image id, filename) of uploads stored whole already
    skipped: tuple[tuple[str, WordedError], ...]  # (filename, why) of uploads that cannot be used
    # (image id, JPEG) of the complete uploads stored before thumbnails were: made now, measured not.
    thumbnails: tuple[tuple[str, bytes], ...] = ()
    vocabulary_key: str | None = None  # of the stored vocabulary the words were measured in; None: generic


def add_to_catalog(
    store: Store,
    tenant: str,
    sku: str,
    uploads: Sequence[Upload],
    *,
    name: str | None,
    category: str | None,
    zones: dict[str, dict[str, list[int]]] | None,
    settings: Settings,
    now: datetime,
    brand: str | None = None,
    family: str | None = None,
) -> CatalogAddition:
    """Measure each readable image once and store SKU and features together; each image is also
    the shop's own listing photo for the reuse look (a customer sending it back is caught).

    `zones` are keyed by the upload's file name (`catalog.zones.parse_image_zones`). Nothing is stored
    when no image is readable; an image the SKU has whole already is not measured again.
    """
    complete = complete_image_ids(store, tenant, sku).get(sku, set())
    uploads_measured = measure_catalog_uploads(
        uploads,
        catalog_vocabulary(store, tenant),
        limits_from(settings),
        settings.reuse_keep_features,
        complete,
        thumbnail_ids(store, tenant, complete),
    )
    return store_catalog_sku(
        store, tenant, sku, uploads_measured, name=name, category=category, zones=zones, now=now,
        brand=brand, family=family,
    )  # fmt: skip


def catalog_vocabulary(store: Store, tenant: str) -> Vocabulary | None:
    """The vocabulary the tenant's catalog was indexed with; None: the generic one."""
    stored = load_vocabulary(store, tenant)
    return Vocabulary.from_bytes(stored) if stored else None


def measure_catalog_uploads(
    uploads: Sequence[Upload],
    vocabulary: Vocabulary | None,
    limits: Limits,
    keep_features: bool,
    complete: Collection[str] = (),
    pictured: Collection[str] | None = None,
) -> MeasuredUploads:
    """Measure each readable upload whose image id is not in `complete` (stored whole already);
    of those complete, the ones not in `pictured` (None: all are) get their thumbnail only.

    Touches no store, so a bulk import measures in worker processes and stores in one.
    """
    measured: list[MeasuredImage] = []
    already: list[tuple[str, str]] = []
    skipped: list[tuple[str, WordedError]] = []
    thumbnails: list[tuple[str, bytes]] = []
    for upload in uploads:
        if upload.data is None:
            skipped.append((upload.filename, upload.error or PhotoError("photo.not_read")))
            continue
        image_id = upload.image_id or hashlib.sha256(upload.data).hexdigest()
        if image_id in complete and (pictured is None or image_id in pictured):
            already.append((image_id, upload.filename))
            continue
        try:
            photo = load_photo(upload.data, upload.filename, limits, image_id=image_id)
        except PhotoError as exc:
            skipped.append((upload.filename, exc))
            continue
        if image_id in complete:
            already.append((image_id, upload.filename))
            thumbnails.append((image_id, preview_jpeg(photo.working)))
            continue
        listing = stored_print(fingerprint(photo.working), keep_features)
        image = catalog_features(photo, vocabulary)
        measured.append(MeasuredImage(image, listing, preview_jpeg(photo.working), outline_share(image)))
    key = vocabulary.key if vocabulary is not None else None
    return MeasuredUploads(tuple(measured), tuple(already), tuple(skipped), tuple(thumbnails), key)


def joined_measurements(parts: Sequence[MeasuredUploads], vocabulary: Vocabulary | None) -> MeasuredUploads:
    """A row's images measured apart (one at a time, each in a process of its own), as measured together."""
    return MeasuredUploads(
        tuple(image for part in parts for image in part.measured),
        tuple(complete for part in parts for complete in part.complete),
        tuple(skipped for part in parts for skipped in part.skipped),
        tuple(thumbnail for part in parts for thumbnail in part.thumbnails),
        vocabulary.key if vocabulary is not None else None,
    )


def died_measuring(filename: str) -> MeasuredUploads:
    """An image whose measuring process died when it measured that image alone: skipped, named."""
    return MeasuredUploads((), (), ((filename, PhotoError("photo.measuring_died")),))


STORE_ATTEMPTS = 3  # a SKU's images measured again in the vocabulary a reindex made current meanwhile


def store_catalog_sku(
    store: Store,
    tenant: str,
    sku: str,
    uploads: MeasuredUploads,
    *,
    name: str | None,
    category: str | None,
    zones: dict[str, dict[str, list[int]]] | None,
    now: datetime,
    brand: str | None = None,
    family: str | None = None,
) -> CatalogAddition:
    """Store a SKU with its measured images, and each new one as the shop's listing photo.
    `ZonesInvalid` (nothing stored) for a zone wholly outside its image (`bound_zones`)."""
    measured_sizes = {m.image.filename: (m.image.width, m.image.height) for m in uploads.measured}
    # The zones of a file not stored now (unreadable, skipped) are kept nowhere, so not judged: against
    # a stored image of that name they refused a row the importers' check (`checked_zones`) had passed.
    stored_now = {*measured_sizes, *(filename for _, filename in uploads.complete)}
    zones = {filename: drawn for filename, drawn in (zones or {}).items() if filename in stored_now}
    zones = _bounded_zones(store, tenant, sku, zones, measured_sizes)
    images = [replace(m.image, zones=zones.get(m.image.filename)) for m in uploads.measured]
    zones_of_known = {image_id: zones[filename] for image_id, filename in uploads.complete if filename in zones}
    added: set[str] = set()
    switched, vocabulary = False, None
    stored = bool(images or uploads.complete)
    if stored:
        measured_with = uploads.vocabulary_key
        for attempt in range(STORE_ATTEMPTS):
            try:
                added = put_sku(
                    store, tenant, sku, name=name, category=category, images=images, when=now,
                    zones_of_known=zones_of_known, brand=brand, family=family, measured_with=measured_with,
                )  # fmt: skip
                break
            except VocabularyChanged:
                # A reindex made another vocabulary current since these were measured: their words
                # in it, or they would be left in one the catalog no longer uses.
                if attempt == STORE_ATTEMPTS - 1:
                    raise
                switched, vocabulary = True, catalog_vocabulary(store, tenant)
                images = [replace(image, features=with_words(image.features, vocabulary)) for image in images]
                measured_with = vocabulary.key if vocabulary is not None else None
        catalog_for(store).forget(tenant)
        references = references_for(store)
        for measured in uploads.measured:
            image = measured.image
            references.add_print(tenant, "listing", sku, image.image_id, image.filename, measured.listing, now)
        pictures = dict(uploads.thumbnails) | {m.image.image_id: m.thumbnail for m in uploads.measured}
        put_thumbnails(store, tenant, pictures, now)
    shares = [(m.image.filename, m.outline_share, bool(zones.get(m.image.filename))) for m in uploads.measured]
    # A held image is not measured again; its warning is said again all the same (a merchant who lost
    # the first run's output is told), from its stored mask and zones (those drawn since silence it).
    held = held_images(store, tenant, sku, {image_id for image_id, _ in uploads.complete})
    shares += [
        (filename, features_outline_share(held[image_id][0]), bool(held[image_id][1]))
        for image_id, filename in uploads.complete
        if image_id in held
    ]
    without_outline = tuple(
        (filename, round(share, 2)) for filename, share, zoned in shares if location.lacks_outline(share, zoned=zoned)
    )
    return CatalogAddition(
        added=len(added),
        added_ids=frozenset(added),
        skipped=uploads.skipped,
        stored=stored,
        without_outline=without_outline,
        switched=switched,
        vocabulary=vocabulary,
    )


def remove_from_catalog(store: Store, tenant: str, sku: str) -> bool:
    """Delete a SKU and its images; False when the tenant has no such SKU. Its images stay known
    as the shop's listing photos to the reuse look (a customer may still send one)."""
    removed = remove_sku(store, tenant, sku)
    catalog_for(store).forget(tenant)
    return removed


def set_catalog_zones(
    store: Store,
    tenant: str,
    sku: str,
    zones: dict[str, dict[str, list[int]]],
    now: datetime,
    kept: Mapping[str, dict[str, Any]] | None = None,
) -> bool:
    """Replace the zones drawn on the SKU's images (by file name); False when there is no such SKU.
    `ZonesInvalid` (nothing changed) for a zone wholly outside its image (`bound_zones`). `kept`:
    other images' zones stored again as they are, not judged — a zone stored before zones were
    bounded must not stop a merchant saving another image's."""
    bounded = _bounded_zones(store, tenant, sku, zones, {})
    done = set_zones(store, tenant, sku, {**(kept or {}), **bounded}, now)
    catalog_for(store).forget(tenant)
    return done


def _bounded_zones(
    store: Store, tenant: str, sku: str, zones: dict[str, Any], measured: dict[str, tuple[int, int]]
) -> dict[str, Any]:
    """`zones` cut at their images' edges: the sizes of the images just `measured`, else as stored."""
    if not zones:
        return zones
    found = sku_images(store, tenant, sku)
    stored = {image.filename: (image.width, image.height) for image in found[1]} if found else {}
    return bound_zones(zones, stored | measured)


def reindex_catalog(store: Store, tenant: str, now: datetime) -> int:
    """Train the tenant's vocabulary on its own catalog images and re-measure their words.

    Words of a vocabulary fitted to the catalog's products rank the right candidates far better
    than generic ones (scripts/bench_relevance.py). Returns the number of images reindexed.
    """
    vocabulary = train_catalog_vocabulary(lambda: stream_descriptor_blobs(store, tenant))
    count = reindex(store, tenant, vocabulary.key, vocabulary.to_bytes(), lambda blob: packed_words(blob, vocabulary), now)
    catalog_for(store).forget(tenant)
    return count
