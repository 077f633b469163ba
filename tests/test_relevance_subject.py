"""The relevance look never rejects an honest customer: a photo in which the ordered product is found
at pass strength is never `fail`, and a fail needs the other product framed as the photo's subject.

The photos are composed from the grocery corpus as in the independent benchmark's case: a customer
holds the ordered carton large in the centre, in front of a shelf of the same brand's other variants
(their shop images, smaller, at the top and bottom of the frame, on a blurred shelf photo).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from evidence_check import measure
from evidence_check.catalog.entries import CatalogSku
from evidence_check.checks.context import CheckContext
from evidence_check.checks.relevance import rules
from evidence_check.evaluation import evidence
from evidence_check.imaging.load import Photo, load_photo
from evidence_check.models import Claim, Status, Timeline
from tests.conftest import corpus
from tests.grocery_looks import look, shop_catalog

ORDERED = "Arla-Natural-Yoghurt"
SHELF = ("Arla-Mild-Vanilla-Yoghurt", "Arla-Natural-Mild-Low-Fat-Yoghurt", "Arla-Sour-Milk")
ARLA = (
    "Arla-Ecological-Medium-Fat-Milk", "Arla-Ecological-Sour-Cream", "Arla-Lactose-Medium-Fat-Milk",
    "Arla-Medium-Fat-Milk", "Arla-Mild-Vanilla-Yoghurt", "Arla-Natural-Mild-Low-Fat-Yoghurt",
    "Arla-Natural-Yoghurt", "Arla-Sour-Cream", "Arla-Sour-Milk", "Arla-Standard-Milk",
)  # fmt: skip


@pytest.fixture(scope="module")
def grocery() -> Path:
    return corpus("product-matching") / "grocery"


@pytest.fixture(scope="module")
def context(grocery: Path) -> CheckContext:
    """Arla's ten SKUs, each with its shop image; no names, so no brand can come from a first word:
    the brand is given, as a merchant's catalog import gives it."""
    return shop_catalog(grocery, dict.fromkeys(ARLA, "Arla"))


def shelf_scene(grocery: Path, held: str, shot: int, back: float, front: float) -> Photo:
    """`held`'s shelf photo `shot`, `front` of the frame's side, in front of the shelf's variants,
    each `back` of the side, along the top and the bottom of the frame."""
    data = evidence.shelf_scene(grocery, held, shot, SHELF, back, front)
    return load_photo(data, f"{held}_{shot}_in_front_of_shelf.jpg")


# (shot, back, front): the ordered carton found with 21-23 inliers, a variant on the shelf with 30-40
# and its own print clearly shown: a fail before the rule.
HONEST = [(4, 0.3, 0.8), (1, 0.3, 0.6), (2, 0.3, 0.6)]


@pytest.mark.parametrize(("shot", "back", "front"), HONEST)
def test_ordered_carton_in_front_of_its_brands_shelf_is_never_rejected(
    grocery: Path, context: CheckContext, shot: int, back: float, front: float
) -> None:
    finding = look(shelf_scene(grocery, ORDERED, shot, back, front), ORDERED, context)
    assert finding.details["ordered"]["inliers"] >= rules.PASS_INLIERS
    assert finding.details["other"]["inliers"] > finding.details["ordered"]["inliers"]  # the shelf is stronger
    assert finding.status is Status.WARN, finding.code
    assert finding.code == "relevance.variant_unconfirmed"
    assert finding.params["other"] == finding.details["other_sku"] in SHELF  # names the other product
    assert finding.details["other_framing"]["share"] < rules.SUBJECT_MIN_SHARE  # the shelf is background


def test_a_variant_small_at_the_edge_is_background_not_the_product_shown(grocery: Path, context: CheckContext) -> None:
    """The ordered carton found below pass strength (a slanted hold) and a variant on the shelf at
    the top of the frame, far stronger: not a fail, since the variant is not what is framed."""
    finding = look(shelf_scene(grocery, ORDERED, 4, 0.3, 0.6), ORDERED, context)
    assert finding.details["ordered"]["inliers"] < rules.PASS_INLIERS
    assert finding.details["other"]["inliers"] >= rules.VARIANT_STRONG
    assert finding.status is Status.WARN
    assert finding.code == "relevance.other_in_background"
    assert finding.details["other_framing"]["share"] < rules.SUBJECT_MIN_SHARE


@pytest.mark.parametrize("shot", [1, 2])
def test_a_variant_held_in_the_centre_is_still_rejected(grocery: Path, context: CheckContext, shot: int) -> None:
    """The same shelf, but the carton held is another variant and the ordered one is nowhere: the
    variant is the photo's subject, and the look fails the claim naming it."""
    held = "Arla-Sour-Milk"
    finding = look(shelf_scene(grocery, held, shot, 0.22, 0.8), ORDERED, context)
    assert finding.details["ordered"]["inliers"] < rules.PASS_INLIERS
    assert finding.status is Status.FAIL, finding.code
    assert finding.details["other_sku"] == held
    framing = finding.details["other_framing"]
    assert framing["share"] >= rules.SUBJECT_MIN_SHARE and framing["offset"] <= rules.SUBJECT_MAX_OFFSET


def test_no_rival_however_strong_fails_a_product_found_at_pass_strength(grocery: Path, context: CheckContext) -> None:
    """The rule as an invariant over every path of the rules table: the measured assessment of a
    scene, its ordered and rival inliers set anywhere from pass strength up, is never a fail."""
    photo = shelf_scene(grocery, ORDERED, 4, 0.3, 0.8)
    claim = Claim(claim_id="c-1", timeline=Timeline(), sku=ORDERED)
    tenant = context.catalog.for_tenant("default")  # type: ignore[union-attr]
    found = measure.Measurements(photo).assessment(tenant, ORDERED, rules)
    entry = tenant.get(ORDERED)
    assert entry is not None and found.ordered is not None and found.other is not None
    statuses = set()
    for ordered in (rules.PASS_INLIERS, 16, 30, 60):
        for rival in (ordered, 2 * ordered, 5 * ordered, 400):
            other = replace(found.other, geometry=replace(found.other.geometry, inliers=rival))
            shown = replace(
                found,
                ordered=replace(found.ordered, geometry=replace(found.ordered.geometry, inliers=ordered)),
                other=other,
                rivals=(other, *found.rivals[1:]),
            )
            params = {"ordered": entry.label, "other": found.other.image.sku, "inliers": ordered, "other_inliers": rival}
            finding = rules.decide(rules.Look(shown, tenant, entry, claim.reason, params, {}))
            assert finding.status is not Status.FAIL, (ordered, rival, finding.code)
            statuses.add(finding.status)
    assert Status.WARN in statuses  # a rival this strong is named
    # Below pass strength, the same rival framed as the subject fails: the rule can fire.
    weak = replace(found, ordered=replace(found.ordered, geometry=replace(found.ordered.geometry, inliers=3)))
    framed = replace(weak, other_framing=replace(found.other_framing, share=0.3, offset=0.05))  # type: ignore[type-var]
    params = {"ordered": entry.label, "other": found.other.image.sku, "inliers": 3, "other_inliers": found.other.inliers}
    assert rules.decide(rules.Look(framed, tenant, entry, claim.reason, params, {})).status is Status.FAIL


def test_the_brand_given_decides_which_skus_are_variants_of_one_design() -> None:
    def sku(name: str | None, brand: str | None = None, family: str | None = None) -> CatalogSku:
        return CatalogSku("S", name, None, (), given_brand=brand, family=family)

    assert sku("Natural yoghurt", "Arla").brand == "arla"  # not the name's first word
    assert sku("Bravo Apple Juice").brand == "bravo"  # no brand given: the first word
    assert sku(None, " Arla  Foods ").brand == "arla foods"
    assert sku("Natural yoghurt", "Arla").same_line(sku("Mild yoghurt", "ARLA"))
    assert sku("x", "Arla", "yoghurt 1 l").same_line(sku("y", "Arla"))  # one family unknown
    assert not sku("x", "Arla", "yoghurt 1 l").same_line(sku("y", "Arla", "milk 1 l"))
    assert not sku("Natural yoghurt", "Arla").same_line(sku("Natural yoghurt", "Valio"))
