"""The evaluation command: claims built from the corpora, a table per scenario, honest about gaps."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from evidence_check import service
from evidence_check.cli import app
from evidence_check.evaluation import (
    AI_MARKERS,
    TRANSFORMS,
    CaseResult,
    ScenarioResult,
    held_out,
    held_out_products,
    with_exif,
)
from evidence_check.imaging.capture_time import read_capture_time
from evidence_check.imaging.load import load_photo
from tests.conftest import FIXTURES, corpus
from tests.grocery_looks import measured_once


@pytest.fixture
def grocery_catalog_measured_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The eval runs here register the whole grocery catalog (31 images) for wrong_item and again
    for held_in_front_of_shelf, as test_relevance_views has it: each image is measured for real
    once in the test run (`grocery_looks.measured_once`)."""
    monkeypatch.setattr(service, "catalog_features", measured_once)


def test_inserted_exif_is_read_as_the_capture_time_and_leaves_the_pixels_alone() -> None:
    original = (FIXTURES / "no_exif.jpg").read_bytes()
    taken = datetime(2026, 3, 1, 1, 12, tzinfo=UTC)
    data = with_exif(original, taken)
    photo = load_photo(data, "x.jpg")
    best = read_capture_time(photo.metadata, "x.jpg").best
    assert best is not None and best.describe().startswith("2026-03-01 09:12")
    before = np.asarray(Image.open(io.BytesIO(original)).convert("RGB"))
    after = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    assert np.array_equal(before, after)


def test_every_transform_and_marker_makes_a_readable_photo() -> None:
    import random

    image = Image.open(FIXTURES / "genuine_after_delivery.jpg")
    for name, transform in TRANSFORMS.items():
        assert load_photo(transform(image, random.Random(1)), f"{name}.jpg").width > 0
    for name, marker in AI_MARKERS.items():
        assert load_photo(marker(image.convert("RGB")), name).width > 0


@pytest.mark.usefixtures("grocery_catalog_measured_once")
def test_when_the_corpora_are_there_then_eval_prints_a_row_per_scenario() -> None:
    corpora = corpus("exif-camera-jpegs").parent
    result = CliRunner().invoke(
        app, ["eval", str(corpora), "--limit", "2", "--scenario", "old_photo", "--scenario", "wrong_item"]
    )
    assert result.exit_code == 0, result.output
    rows = {
        line.split()[0]: line.split()
        for line in result.output.splitlines()[2:]
        if line and not line.startswith(" ")
    }
    assert set(rows) == {"old_photo", "wrong_item"}
    assert rows["old_photo"][1:5] == ["2", "0", "0", "2"]  # two claims, both rejected
    assert rows["old_photo"][7] == "100%"  # the timestamp look fired on both


def test_when_the_folder_is_missing_then_usage_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(app, ["eval", str(tmp_path / "nope")])
    assert result.exit_code == 2
    # Names what the folder should hold, not the path just refused as the example.
    assert "not a folder" in result.output and "product-matching/" in result.output
    assert "e.g. ../shared/corpora" not in result.output


def test_when_the_folder_holds_no_corpus_then_usage_error_not_a_table_of_zeros(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a corpus")
    result = CliRunner().invoke(app, ["eval", str(tmp_path)])
    assert result.exit_code == 2
    assert "no claim could be built" in result.output


def test_when_the_scenario_is_unknown_then_usage_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(app, ["eval", str(tmp_path), "--scenario", "nonsense"])
    assert result.exit_code == 2


def test_rescoring_a_report_under_the_same_rules_gives_its_verdict_and_other_rules_change_it() -> None:
    from datetime import timedelta

    from evidence_check.engine import Upload
    from evidence_check.evaluation import rescore
    from evidence_check.intake import build_claim
    from evidence_check.scoring import DEFAULT_RULES, Rules
    from evidence_check.service import verify_claim
    from evidence_check.settings import Settings

    now = datetime(2026, 11, 16, tzinfo=UTC)
    claim = build_claim(now=now, time_zone="UTC", ordered_at=(now - timedelta(days=6)).isoformat()[:10])
    for name, verdict in [("exif_before_order.jpg", "reject"), ("no_exif.jpg", "review")]:
        upload = Upload(name, (FIXTURES / name).read_bytes())
        body = verify_claim(claim, [upload], settings=Settings(), store=None, now=now, record=False).body
        assert body["verdict"] == verdict
        assert rescore(body, DEFAULT_RULES) == verdict
    lenient = Rules(reject_score=0.95)
    body = verify_claim(
        claim,
        [Upload("o.jpg", (FIXTURES / "exif_before_order.jpg").read_bytes())],
        settings=Settings(),
        store=None,
        now=now,
        record=False,
    ).body
    assert rescore(body, lenient) == "review"


def test_the_evaluation_runs_without_the_command_line() -> None:
    import subprocess
    import sys

    code = (
        "import sys, evidence_check.evaluation; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('typer', 'click') or m.startswith('evidence_check.cli')))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"


def test_stock_and_catalog_pictures_are_registered_through_the_service(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import random

    from evidence_check.evaluation import Case, Scenario, run_scenario
    from evidence_check.settings import Settings

    stock = FIXTURES / "genuine_after_delivery.jpg"
    resized = TRANSFORMS["resize"](Image.open(stock), random.Random(1))
    scenario = Scenario("stock_photo", [Case("resized stock", [("copy.jpg", resized, None)])], stock=[stock])
    result = run_scenario(scenario, tmp_path, Settings())
    assert result.setup_problems == []
    assert result.results[0].fired and result.results[0].verdict != "accept"

    unusable = Scenario(
        "listing_photo",
        [Case("listing", [("copy.jpg", resized, None)], sku="SKU-1")],
        catalog={"SKU-1": [FIXTURES / "not_an_image.jpg"]},
    )
    problems = run_scenario(unusable, tmp_path, Settings()).setup_problems
    assert problems == ["catalog add SKU-1: no image of SKU-1 could be used"]


def test_claims_on_products_no_threshold_was_fitted_on_are_counted_apart() -> None:
    corpora = corpus("product-matching").parent
    products = sorted(p.name for p in (corpora / "product-matching" / "grocery").iterdir() if p.is_dir())
    unseen = held_out_products(corpora)
    assert unseen == set(products[1::2]) and 0 < len(unseen) < len(products)
    result = ScenarioResult(
        "wrong_item",
        [
            CaseResult("fit", "reject", True, [], product=products[0]),
            CaseResult("unseen", "review", True, [], product=products[1]),
            CaseResult("no product", "reject", True, []),
        ],
        [],
    )
    part = held_out(result, unseen)
    assert part is not None and [r.name for r in part.results] == ["unseen"]
    assert held_out(ScenarioResult("old_photo", [CaseResult("x", "reject", True, [])], []), unseen) is None


def test_the_new_cases_are_built_from_how_their_files_were_made() -> None:
    from evidence_check.evaluation import scenarios

    corpora = corpus("product-matching").parent
    grocery = corpora / "product-matching" / "grocery"
    built = {s.name: s for s in scenarios(corpora)}

    reviews = built["review_screenshot"]
    shelf_photos = sorted(p for p in grocery.glob("*/*.jpg") if "Iconic" not in p.name)
    assert reviews.reviews == shelf_photos[::2] and len(reviews.cases) == len(reviews.reviews)
    for case, source in zip(reviews.cases, reviews.reviews, strict=True):
        assert case.product == source.parent.name and case.name.startswith(source.name)
        (_, data, _), = case.photos
        assert data is not None
        with Image.open(io.BytesIO(data)) as screen, Image.open(source) as picture:
            assert screen.format == "PNG" and screen.height > screen.width  # a phone held upright
            assert screen.size != picture.size
    kinds = [case.name.rsplit(":", 1)[1] for case in reviews.cases]
    assert set(kinds) == {"small", "full_width"} and kinds.count("small") > 2 * kinds.count("full_width")

    quiet = built["quiet_edit"]
    assert len(quiet.cases) >= 12
    assert {case.name.split(":")[1].split()[0] for case in quiet.cases} == {"scratch", "stain", "clone"}
    for case in quiet.cases[:9]:
        (name, data, _), = case.photos
        original = next(p for p in corpora.rglob(name) if p.is_file())
        assert data is not None and case.taken is not None
        with Image.open(io.BytesIO(data)) as edited, Image.open(original) as source:
            assert edited.info["exif"] == source.info["exif"]  # every EXIF byte kept, thumbnail too
            changed = np.abs(np.asarray(edited, dtype=int) - np.asarray(source.convert("RGB"), dtype=int)).max(axis=2)
        share = float(case.name.rsplit(" ", 1)[1].rstrip("%")) / 100
        assert 0.3 * share < (changed > 10).mean() < 3 * share  # damage over about `share` of the frame

    shelf = built["held_in_front_of_shelf"]
    assert len(shelf.cases) >= 20 and all(case.sku == case.product for case in shelf.cases)
    for case in shelf.cases:
        assert case.sku in shelf.catalog
        brand = shelf.brands[case.sku]
        assert brand == case.sku.split("-")[0]
        assert sum(b == brand for b in shelf.brands.values()) >= 3  # the shelf holds other variants
    assert {"Arla-Natural-Yoghurt_1_in_front_of_shelf.jpg"} <= {case.name for case in shelf.cases}

    # Asked for some scenarios and a few claims each, only those are built, and as the whole build
    # begins them: the same claims, whichever other scenarios run.
    asked = {"wrong_item", "review_screenshot", "quiet_edit", "held_in_front_of_shelf"}
    few = scenarios(corpora, limit=3, only=asked)
    assert [s.name for s in few] == [name for name in built if name in asked]
    for scenario in few:
        whole = built[scenario.name]
        assert (scenario.catalog, scenario.reviews, scenario.brands) == (whole.catalog, whole.reviews, whole.brands)
        assert scenario.cases == whole.cases[:3]


@pytest.mark.usefixtures("grocery_catalog_measured_once")
def test_eval_runs_the_new_scenarios_with_a_held_out_row_for_grocery_products() -> None:
    corpora = corpus("product-matching").parent
    result = CliRunner().invoke(
        app,
        ["eval", str(corpora), "--limit", "4", "--scenario", "review_screenshot",
         "--scenario", "quiet_edit", "--scenario", "held_in_front_of_shelf"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = [line.split() for line in result.output.splitlines()[2:] if line.strip()]
    names = [line[0] for line in lines if line[0] in ("review_screenshot", "quiet_edit", "held_in_front_of_shelf")]
    assert names == ["review_screenshot", "quiet_edit", "held_in_front_of_shelf"]
    rows = {line[0]: line for line in lines if line[0] in names}
    assert all(rows[name][1] == "4" for name in names)
    after = {name: lines[lines.index(rows[name]) + 1][0] for name in names}
    assert after["review_screenshot"] == "held-out" and after["held_in_front_of_shelf"] == "held-out"
    assert after["quiet_edit"] != "held-out"  # camera photos, not grocery products
    assert rows["review_screenshot"][6] == "reuse" and rows["quiet_edit"][6] == "integrity"
