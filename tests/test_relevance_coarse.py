"""The coarse look: a soft photo in which the first and the closer looks find nothing is matched once
more, reduced, against a blurred copy of each catalog image.

`Bravo-Orange-Juice_001` of the grocery corpus is such a photo: a clear shelf photo (1,200 keypoints)
whose carton neither look finds, against its own shop image or any other; claimed as another brand's
product it ended `relevance.not_found` (docs/measurements/relevance.md, "The coarse look").
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from evidence_check.catalog.photo import Look, photo_features
from evidence_check.catalog.registry import Catalog
from evidence_check.checks import location, relevance
from evidence_check.checks.context import CheckContext
from evidence_check.checks.relevance import rules
from evidence_check.engine import run_checks
from evidence_check.imaging import features as F
from evidence_check.imaging.load import Photo
from evidence_check.models import Claim, ClaimReason, Status, Timeline
from evidence_check.settings import Settings
from evidence_check.store.catalog_types import StoredCatalog, StoredImage, StoredSku
from tests.grocery_looks import SHOP_BRANDS, catalog_image, count_measurements, look, photo_at, shop_catalog

SOFT = "Bravo-Orange-Juice_001"
SHOWN = "Bravo-Orange-Juice"


def _soft(shop_grocery: Path) -> Photo:
    return photo_at(shop_grocery / SHOWN / f"{SOFT}.jpg")


def test_neither_the_first_nor_the_closer_look_finds_the_carton(shop_grocery: Path, shop_context: CheckContext) -> None:
    tenant = shop_context.catalog.for_tenant("default")  # type: ignore[union-attr]
    photo = _soft(shop_grocery)
    first = tenant.assess(photo_features(photo), SHOWN, rules)
    closer = tenant.assess(photo_features(photo, Look.CLOSER), SHOWN, rules, Look.CLOSER)
    assert first.photo_keypoints >= F.PHOTO_MAX_FEATURES  # a clear photo, not one too thin to match
    assert max(first.ordered.inliers, closer.ordered.inliers) < rules.PASS_INLIERS  # type: ignore[union-attr]


@pytest.mark.parametrize("ordered", ["Alpro-Shelf-Soy-Milk", "Oatly-Oat-Milk", "Tropicana-Apple-Juice"])
def test_claimed_as_another_brand_the_coarse_look_names_the_juice_shown(
    shop_grocery: Path, shop_context: CheckContext, ordered: str
) -> None:
    finding = look(_soft(shop_grocery), ordered, shop_context)
    assert finding.details["coarse_look"]
    assert finding.status in (Status.FAIL, Status.WARN), finding.code
    assert finding.details["other_sku"] == SHOWN
    assert finding.details["other"]["catalog_view"] == {"blur": F.COARSE_BLUR}


def test_claimed_as_itself_the_coarse_look_finds_it(shop_grocery: Path, shop_context: CheckContext) -> None:
    finding = look(_soft(shop_grocery), SHOWN, shop_context)
    assert finding.details["coarse_look"]
    assert finding.status is Status.PASS, finding.code
    assert finding.details["ordered"]["inliers"] >= rules.PASS_INLIERS


def test_the_coarse_look_does_not_find_the_ordered_product_in_a_photo_of_another(shop_grocery: Path) -> None:
    """The juice shown is not in the catalog: the coarse look runs and finds none of the products
    claimed, so the claim keeps the closer look's `unknown`; it is never passed."""
    without = shop_catalog(shop_grocery, {name: brand for name, brand in SHOP_BRANDS if name != SHOWN})
    for ordered in ("Bravo-Apple-Juice", "Oatly-Oat-Milk", "Tropicana-Apple-Juice"):
        finding = look(_soft(shop_grocery), ordered, without)
        assert finding.status is Status.UNKNOWN, (ordered, finding.code)
        assert not finding.details["coarse_look"]
        assert finding.details["ordered"]["inliers"] < rules.PASS_INLIERS


def test_a_sharp_photo_keeps_the_first_looks_answer(shop_grocery: Path, shop_context: CheckContext) -> None:
    finding = look(photo_at(shop_grocery / "Oatly-Oat-Milk" / "Oatly-Oat-Milk_001.jpg"), "Oatly-Oat-Milk", shop_context)
    assert finding.status is Status.PASS, finding.code
    assert not finding.details["coarse_look"] and not finding.details["closer_look"]


def test_catalog_images_stored_before_their_coarse_copy_find_nothing_there(shop_grocery: Path) -> None:
    """An image added before the coarse copy was stored has no view COARSE_VIEW: the coarse look
    finds nothing in it and the claim keeps the closer look's answer, as before."""

    def without_coarse(name: str) -> StoredImage:
        image = catalog_image(shop_grocery / name / f"{name}_Iconic.jpg")
        assert image.views is not None
        views = F.unpack(image.views)
        keep = views["view"] != F.COARSE_VIEW
        assert not keep.all()  # a new image has its coarse copy
        return replace(image, views=F.pack(**{key: values[keep] for key, values in views.items()}))

    stored = StoredCatalog(
        tuple(StoredSku(name, None, None, None, (without_coarse(name),), brand=brand) for name, brand in SHOP_BRANDS)
    )
    old = CheckContext(settings=Settings(), now=datetime.now(UTC), catalog=Catalog(lambda tenant: stored))
    finding = look(_soft(shop_grocery), "Oatly-Oat-Milk", old)
    assert finding.status is Status.UNKNOWN, finding.code
    assert not finding.details["coarse_look"]


def test_location_reads_the_coarse_looks_features_relevance_measured(
    shop_grocery: Path, shop_context: CheckContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The photo is measured once for each look relevance took; location, aligning the coarse
    look's match, measures it no more."""
    measured = count_measurements(monkeypatch)
    claim = Claim(claim_id="c-1", timeline=Timeline(), sku=SHOWN, reason=ClaimReason.DAMAGED)
    findings = run_checks(_soft(shop_grocery), claim, shop_context, {"relevance": relevance.check, "location": location.check})
    assert findings["relevance"].details["coarse_look"], findings["relevance"].code
    assert findings["location"].code != "location.no_region", findings["location"].code  # it aligned
    assert measured == [Look.FIRST, Look.CLOSER, Look.COARSE]
