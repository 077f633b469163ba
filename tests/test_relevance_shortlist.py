"""The shortlist: the visual words propose SKUs, and a homography on keypoints of shared words ranks
them again, so the product a photo shows is verified even when its words rank it below others."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np
import pytest

from evidence_check.catalog import registry as catalog_registry
from evidence_check.catalog.entries import catalog_features
from evidence_check.catalog.photo import photo_features
from evidence_check.catalog.registry import SHORTLIST, Catalog, TenantCatalog
from evidence_check.checks import relevance
from evidence_check.checks.context import CheckContext
from evidence_check.checks.relevance import rules
from evidence_check.imaging import features as F
from evidence_check.imaging.load import Photo
from evidence_check.models import Status
from evidence_check.settings import Settings
from evidence_check.store.catalog_types import StoredCatalog, StoredSku
from tests.grocery_looks import catalog_image, photo_at
from tests.shelf_photos import SHELF_PRODUCTS, claim, encoded, shelf

# Photos whose visual words (generic vocabulary, these five SKUs, the centre's weighing more) rank
# another SKU above their own.
RANKED_LOW = [("TROPICANA-SMOOTH", 1), ("TROPICANA-SMOOTH", 2), ("VALIO-VANILLA", 1)]
CLAIMED = "BRAVO-APPLE"


@pytest.fixture(scope="module")
def grocery() -> Path:
    from tests.conftest import corpus

    return corpus("product-matching")


@pytest.fixture(scope="module")
def stored(grocery: Path) -> StoredCatalog:
    return StoredCatalog(
        tuple(
            StoredSku(sku, name, None, None, (catalog_image(grocery / "grocery" / f / f"{f}_Iconic.jpg"),))
            for sku, (f, name) in SHELF_PRODUCTS.items()
        )
    )


def _ranked_by_words(tenant: TenantCatalog, photo: Photo) -> list[str]:
    return [sku for sku, _ in tenant.retrieve(photo_features(photo), CLAIMED, SHORTLIST)]


@pytest.mark.parametrize(("sku", "number"), RANKED_LOW, ids=[f"{s}_{n}" for s, n in RANKED_LOW])
def test_shortlist_puts_the_product_shown_first(grocery: Path, stored: StoredCatalog, sku: str, number: int) -> None:
    tenant = TenantCatalog(stored)
    photo = shelf(grocery, sku, number)
    assert _ranked_by_words(tenant, photo)[0] != sku  # the words alone put another SKU first
    found = tenant.assess(photo_features(photo), CLAIMED, rules)
    assert found.shortlist[0][0] == sku, found.shortlist
    assert found.shortlist[0][1] >= F.MIN_MATCHES
    assert found.candidates[0][0] == sku


@pytest.mark.parametrize(("sku", "number"), RANKED_LOW, ids=[f"{s}_{n}" for s, n in RANKED_LOW])
def test_one_verified_candidate_still_names_the_product_shown(
    grocery: Path, stored: StoredCatalog, sku: str, number: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the best of the shortlist is verified: it is the product shown, so the claim fails naming it."""
    monkeypatch.setattr(catalog_registry, "CANDIDATES", 1)
    context = CheckContext(settings=Settings(), now=datetime.now(UTC), catalog=Catalog(lambda tenant: stored))
    finding = relevance.check(shelf(grocery, sku, number), claim(CLAIMED), context)
    assert (finding.status, finding.code) == (Status.FAIL, "relevance.other_product"), finding.details
    assert finding.details["other_sku"] == sku
    assert finding.details["shortlist"][0]["sku"] == sku


def test_shortlist_keeps_the_words_order_where_no_product_is_shown(stored: StoredCatalog) -> None:
    """Blocks of random grey: keypoints and words, but no homography, so the words' order stands."""
    blocks = np.random.default_rng(3).integers(0, 256, (45, 60), dtype=np.uint8)
    grey = cv2.resize(blocks, (480, 360), interpolation=cv2.INTER_NEAREST)
    photo = encoded(np.dstack([grey, grey, grey]), "blocks.jpg")
    tenant = TenantCatalog(stored)
    found = tenant.assess(photo_features(photo), CLAIMED, rules)
    assert found.shortlist, "the words proposed no SKU: the test shows nothing"
    assert [sku for sku, _ in found.shortlist] == _ranked_by_words(tenant, photo)
    assert all(inliers == 0 for _, inliers in found.shortlist)


def test_word_inliers_find_the_product_shown_and_not_another(grocery: Path, stored: StoredCatalog) -> None:
    tenant = TenantCatalog(stored)
    features = photo_features(shelf(grocery, "VALIO-VANILLA", 2))
    height, width = features.rgb.shape[:2]

    def inliers(sku: str) -> int:
        image = tenant.skus[sku].images[0]
        return F.word_inliers(
            features.keypoint_words(tenant.vocabulary), features.points, features.root, *image.words_sorted,
            image.points, image.descriptors, (image.width, image.height), (width, height),
        )  # fmt: skip

    assert inliers("VALIO-VANILLA") >= 2 * rules.PASS_INLIERS
    assert all(inliers(sku) < F.MIN_MATCHES for sku in SHELF_PRODUCTS if sku != "VALIO-VANILLA")


def test_features_stored_before_keypoint_words_get_them_when_loaded(grocery: Path) -> None:
    folder = SHELF_PRODUCTS["OATLY-MILK"][0]
    image = catalog_image(grocery / "grocery" / folder / f"{folder}_Iconic.jpg")
    data = F.unpack(image.features)
    stored_words = data.pop("keypoint_words")
    assert len(stored_words) == len(data["points"])
    old = StoredCatalog((StoredSku("OATLY-MILK", None, None, None, (replace(image, features=F.pack(**data)),)),))
    loaded = TenantCatalog(old).images[0]
    assert np.array_equal(loaded.keypoint_words, stored_words)
    assert np.array_equal(loaded.words, np.unique(stored_words))


FRAMED = [
    ("VALIO-VANILLA", ("OATLY-MILK", "TROPICANA-SMOOTH")),
    ("TROPICANA-SMOOTH", ("VALIO-VANILLA", "OATLY-MILK")),
    ("BRAVO-ORANGE", ("VALIO-VANILLA", "OATLY-MILK")),
    ("OATLY-MILK", ("VALIO-VANILLA", "TROPICANA-SMOOTH")),
]


@pytest.mark.parametrize(("centre", "edges"), FRAMED, ids=[c for c, _ in FRAMED])
def test_words_near_the_centre_weigh_more(
    grocery: Path, stored: StoredCatalog, centre: str, edges: tuple[str, str]
) -> None:
    """Three packs side by side, one in the middle: the words rank the framed one first. Counted
    alike wherever they lie, the oat-milk carton's many words came first from either edge."""
    packs = {sku: np.asarray(photo_at(grocery / "grocery" / f / f"{f}_Iconic.jpg").working) for sku, (f, _) in SHELF_PRODUCTS.items()}
    canvas = np.full((360, 640, 3), 90, np.uint8)
    canvas[80:280, 220:420] = cv2.resize(packs[centre], (200, 200), interpolation=cv2.INTER_AREA)
    for left, sku in zip((0, 440), edges, strict=True):
        canvas[60:260, left : left + 200] = cv2.resize(packs[sku], (200, 200), interpolation=cv2.INTER_AREA)
    features = photo_features(encoded(canvas, "shelf.jpg"))
    ranked = [sku for sku, _ in TenantCatalog(stored).retrieve(features, None, SHORTLIST)]
    assert ranked[0] == centre, ranked



@pytest.mark.parametrize("among", [False, True], ids=["whole_catalog", "among_images"])
def test_a_sku_of_many_images_leaves_room_for_the_others(among: bool) -> None:
    """A SKU with more images than the ranking reads places (`MAX_IMAGES_PER_SKU` per SKU ranked,
    one SKU spare) fills them all when its images score best: ranked, or passed over as the one
    excluded, it must still leave the next SKUs their places."""
    texture = np.random.default_rng(7).integers(0, 256, (240, 320, 3), dtype=np.uint8)
    image = catalog_features(encoded(cv2.GaussianBlur(texture, (0, 0), 1.5), "texture.jpg"))
    places = (2 + 1) * catalog_registry.MAX_IMAGES_PER_SKU  # what ranking two SKUs reads
    many = StoredSku("MANY", None, None, None, tuple(replace(image, image_id=f"{n}") for n in range(places)))
    others = tuple(StoredSku(name, None, None, None, (image,)) for name in ("NEXT", "LAST"))
    tenant = TenantCatalog(StoredCatalog((many, *others)))
    scores = np.array([3.0] * places + [2.0, 1.0])  # each of MANY's images above the others
    images = np.arange(len(scores)) if among else None
    assert tenant._rank(scores, None, 2, images) == [("MANY", 3.0), ("NEXT", 2.0)]
    assert tenant._rank(scores, "MANY", 2, images) == [("NEXT", 2.0), ("LAST", 1.0)]
    assert tenant._rank(scores, "MANY", 3, images) == [("NEXT", 2.0), ("LAST", 1.0)]  # all there are
