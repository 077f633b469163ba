"""A catalog image that gives the location look no product outline (no plain background): stored,
and its merchant told so by `catalog add` and `catalog import`; a web-shop image, one of the
project's drawn products, or a hand-held photo with zones drawn on it is not warned about."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from evidence_check.catalog.entries import catalog_features, outline_share
from evidence_check.checks.location import NO_OUTLINE_SHARE, lacks_outline
from evidence_check.cli import app
from evidence_check.imaging import colour
from evidence_check.imaging.load import load_photo
from tests.conftest import FIXTURES

PRODUCT = "Alpro-Fresh-Soy-Milk"
WARNING = "no plain background"


@pytest.fixture
def shelf_photo(shop_grocery: Path) -> Path:
    """A hand-held photo of the product in a shop's fridge: the product, a hand and the shelf, edge to edge."""
    return shop_grocery / PRODUCT / f"{PRODUCT}_001.jpg"


@pytest.fixture
def web_shop_image(shop_grocery: Path) -> Path:
    return shop_grocery / PRODUCT / f"{PRODUCT}_Iconic.jpg"


def share_of(path: Path) -> float:
    return outline_share(catalog_features(load_photo(path.read_bytes(), path.name)))


def test_a_hand_held_photo_has_no_outline_and_a_web_shop_image_has_one(shelf_photo: Path, web_shop_image: Path) -> None:
    assert share_of(shelf_photo) >= NO_OUTLINE_SHARE
    assert lacks_outline(share_of(shelf_photo), zoned=False)
    assert share_of(web_shop_image) < NO_OUTLINE_SHARE - 0.2
    assert not lacks_outline(share_of(web_shop_image), zoned=False)


def test_zones_drawn_are_an_outline() -> None:
    assert not lacks_outline(1.0, zoned=True)


def test_the_projects_drawn_products_have_an_outline() -> None:
    assert share_of(FIXTURES / "genuine_after_delivery.jpg") < NO_OUTLINE_SHARE - 0.2


@pytest.mark.parametrize(
    ("marked", "share"),
    [
        ((slice(None), slice(None)), 1.0),  # no plain background at all
        ((slice(10, 30), slice(10, 30)), 0.04),  # a product in the middle of a plain page
        ((slice(0, 0), slice(0, 0)), 0.0),
    ],
)
def test_outline_share_is_the_share_the_products_hull_covers(marked: tuple[slice, slice], share: float) -> None:
    mask = np.zeros((100, 100), np.uint8)
    mask[marked] = 1
    assert colour.outline_share(mask) == pytest.approx(share, abs=0.01)


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def warnings(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("evidence-check: warning:")]


def test_catalog_add_warns_about_a_hand_held_photo_and_stores_it(sqlite_url: str, shelf_photo: Path) -> None:
    code, out, err = run("catalog", "add", "MILK-1", str(shelf_photo), "--db", sqlite_url)
    assert code == 0 and "1 image(s) added" in out
    [line] = warnings(err)
    assert line.startswith(f"evidence-check: warning: MILK-1 {shelf_photo.name}: {WARNING}")
    assert "plain background, or draw zones on this one" in line


def test_catalog_add_says_nothing_of_a_web_shop_image_or_a_photo_with_zones(
    sqlite_url: str, tmp_path: Path, shelf_photo: Path, web_shop_image: Path
) -> None:
    code, _, err = run("catalog", "add", "MILK-1", str(web_shop_image), "--db", sqlite_url)
    assert code == 0 and warnings(err) == []
    zones = tmp_path / "zones.json"
    zones.write_text(json.dumps({"carton": [100, 100, 200, 400]}))
    code, out, err = run("catalog", "add", "MILK-2", str(shelf_photo), "--zones", str(zones), "--db", sqlite_url)
    assert code == 0 and "1 image(s) added" in out and warnings(err) == []


def test_catalog_import_warns_per_image_without_an_outline(
    sqlite_url: str, tmp_path: Path, shelf_photo: Path, web_shop_image: Path
) -> None:
    manifest = tmp_path / "products.csv"
    manifest.write_text(f"sku,name,category,images\nMILK-1,Soy milk,dairy,{web_shop_image};{shelf_photo}\nBAG-1,Bag,,{FIXTURES / 'no_exif.jpg'}\n")
    code, out, err = run("catalog", "import", str(manifest), "--db", sqlite_url)
    assert code == 0 and "imported 2 SKU(s), 3 new image(s)" in out, err
    [line] = warnings(err)
    assert line.startswith(f"evidence-check: warning: MILK-1 {shelf_photo.name}: {WARNING}")


def test_a_held_image_added_again_is_warned_about_again_unless_zones_are_drawn_since(
    sqlite_url: str, tmp_path: Path, shelf_photo: Path, web_shop_image: Path
) -> None:
    # A held image was not measured again, so never warned again: a merchant who lost the first
    # run's output was not told. Adding it again and importing it again warn as the first time did.
    assert warnings(run("catalog", "add", "MILK-1", str(shelf_photo), str(web_shop_image), "--db", sqlite_url)[2])
    code, out, err = run("catalog", "add", "MILK-1", str(shelf_photo), str(web_shop_image), "--db", sqlite_url)
    assert code == 0 and "0 image(s) added" in out, out
    [line] = warnings(err)
    assert line.startswith(f"evidence-check: warning: MILK-1 {shelf_photo.name}: {WARNING}")
    manifest = tmp_path / "products.csv"
    manifest.write_text(f"sku,images\nMILK-1,{shelf_photo}\n")
    code, out, err = run("catalog", "import", str(manifest), "--db", sqlite_url)
    assert code == 0 and len(warnings(err)) == 1, err
    zones = tmp_path / "zones.json"
    zones.write_text(json.dumps({"carton": [100, 100, 200, 400]}))
    code, _, err = run("catalog", "add", "MILK-1", str(shelf_photo), "--zones", str(zones), "--db", sqlite_url)
    assert code == 0 and warnings(err) == []
    code, _, err = run("catalog", "add", "MILK-1", str(shelf_photo), "--db", sqlite_url)
    assert code == 0 and warnings(err) == []  # its zones, drawn since, are an outline
