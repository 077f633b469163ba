"""The ordered product found only weakly while another catalog product is found more strongly: a
`warn` naming the other product (`relevance.other_stronger`, or `other_variant_stronger` with the
variant its print does not tell it from), never a `fail`; without a rival at `OTHER_STRONG` the weak
resemblance stays `unknown`.

`Alpro-Vanilla-Soyghurt_002` holds a soyghurt pot: claimed as Alpro's soy milk carton, the carton is
found at 11 inliers on the print Alpro's packs share and the soyghurt pots at 15 (1.36 times:
`CLEARLY_BETTER` asks 1.5); `_005`, claimed as the blueberry pot, shows the vanilla one at 16 inliers
against 11. `Arla-Standard-Milk_005` shows its own carton at a slant: 11 inliers,
and a sibling at 10, below `OTHER_STRONG`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from evidence_check.checks.context import CheckContext
from evidence_check.checks.relevance import rules
from evidence_check.explain.messages import summary
from evidence_check.models import ClaimReason, Finding, Status
from tests.conftest import corpus
from tests.grocery_looks import look, photo_at, shop_catalog

SKUS = (
    "Alpro-Blueberry-Soyghurt", "Alpro-Fresh-Soy-Milk", "Alpro-Shelf-Soy-Milk", "Alpro-Vanilla-Soyghurt",
    "Arla-Natural-Yoghurt", "Arla-Standard-Milk", "Oatly-Oat-Milk",
)  # fmt: skip
SOYGHURTS = {"Alpro-Blueberry-Soyghurt", "Alpro-Vanilla-Soyghurt"}


@pytest.fixture(scope="module")
def grocery() -> Path:
    return corpus("product-matching") / "grocery"


@pytest.fixture(scope="module")
def context(grocery: Path) -> CheckContext:
    """Each SKU with its shop image and its brand, as a merchant's catalog import gives them."""
    return shop_catalog(grocery, {name: name.split("-")[0] for name in SKUS})


def look_at(grocery: Path, shot: str, sku: str, context: CheckContext, reason: ClaimReason = ClaimReason.DAMAGED) -> Finding:
    return look(photo_at(grocery / shot.rsplit("_", 1)[0] / f"{shot}.jpg"), sku, context, reason)


def test_weak_ordered_product_and_a_stronger_variant_warn_naming_it(grocery: Path, context: CheckContext) -> None:
    finding = look_at(grocery, "Alpro-Vanilla-Soyghurt_002", "Alpro-Shelf-Soy-Milk", context)
    assert (finding.status, finding.code) == (Status.WARN, "relevance.other_variant_stronger"), finding.details
    ordered, other = finding.params["inliers"], finding.params["other_inliers"]
    assert rules.WEAK_INLIERS <= ordered < rules.PASS_INLIERS <= rules.OTHER_STRONG <= other
    assert (other + 1) / (ordered + 1) < rules.CLEARLY_BETTER  # not enough for a fail's rule
    # Both soyghurt pots tie: the one shown is named, beside the variant it may as well be.
    assert {finding.params["other"], finding.params["variant"]} == SOYGHURTS
    assert finding.next_step == "ask_which_variant"
    for lang in ("en", "zh"):
        text = summary(finding.code, finding.params, lang)
        assert "Alpro-Vanilla-Soyghurt" in text and "Alpro-Shelf-Soy-Milk" in text and "{" not in text
        assert str(ordered) in text and str(other) in text


def test_weak_ordered_product_and_the_stronger_product_shown_warn_naming_it(
    grocery: Path, context: CheckContext
) -> None:
    """The vanilla pot claimed as the blueberry one: the blueberry design found at 11, the vanilla one
    shown at 16, and no third pot as strong to name beside it."""
    finding = look_at(grocery, "Alpro-Vanilla-Soyghurt_005", "Alpro-Blueberry-Soyghurt", context)
    assert (finding.status, finding.code) == (Status.WARN, "relevance.other_stronger"), finding.details
    assert finding.params["other"] == "Alpro-Vanilla-Soyghurt" and "variant" not in finding.params
    assert finding.params["inliers"] < rules.PASS_INLIERS <= finding.params["other_inliers"]
    for lang in ("en", "zh"):
        text = summary(finding.code, finding.params, lang)
        assert "Alpro-Vanilla-Soyghurt" in text and "Alpro-Blueberry-Soyghurt" in text and "{" not in text


def test_the_same_photo_claimed_as_what_it_shows_passes(grocery: Path, context: CheckContext) -> None:
    finding = look_at(grocery, "Alpro-Vanilla-Soyghurt_002", "Alpro-Vanilla-Soyghurt", context)
    assert (finding.status, finding.code) == (Status.PASS, "relevance.match"), finding.details


def test_weak_ordered_product_without_a_strong_rival_stays_unknown(grocery: Path, context: CheckContext) -> None:
    finding = look_at(grocery, "Arla-Standard-Milk_005", "Arla-Standard-Milk", context)
    assert (finding.status, finding.code) == (Status.UNKNOWN, "relevance.weak_match"), finding.details
    assert rules.WEAK_INLIERS <= finding.params["inliers"] < rules.PASS_INLIERS
    assert 0 < finding.params["other_inliers"] < rules.OTHER_STRONG


def test_a_wrong_item_claim_is_not_doubted_by_it(grocery: Path, context: CheckContext) -> None:
    """A claim that a wrong item arrived reads the photo its own way: a stronger rival short of
    `CLEARLY_BETTER` neither supports it nor is a doubt."""
    finding = look_at(grocery, "Alpro-Vanilla-Soyghurt_002", "Alpro-Shelf-Soy-Milk", context, ClaimReason.WRONG_ITEM)
    assert (finding.status, finding.code) == (Status.UNKNOWN, "relevance.not_found"), finding.details
