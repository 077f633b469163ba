"""The closer look's tilted catalog views: a pack seen at a slant is found through them, they are
stored apart from the catalog and read only when needed, and a logo the brand's packs share is not
taken for the ordered variant."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np
import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from evidence_check.catalog import registry as catalog_registry
from evidence_check.catalog.registry import Catalog
from evidence_check.catalog.words import with_own_vocabulary
from evidence_check.checks import relevance
from evidence_check.checks.context import CheckContext
from evidence_check.checks.relevance import rules
from evidence_check.cli import app
from evidence_check.imaging import features as F
from evidence_check.imaging.load import Photo, load_photo
from evidence_check.models import Claim, Finding, Status, Timeline
from evidence_check.settings import Settings
from evidence_check.store import Store
from evidence_check.store.catalog_store import load_tenant, load_views
from evidence_check.store.catalog_tables import CatalogImageRow
from evidence_check.store.catalog_types import StoredCatalog, StoredSku
from tests.conftest import corpus
from tests.grocery_looks import catalog_image

CANVAS = 480


def _pack() -> np.ndarray:
    """A printed pack: smooth random print, 200 x 300."""
    rng = np.random.default_rng(5)
    print_ = cv2.resize(rng.integers(0, 255, (30, 20), dtype=np.uint8), (200, 300), interpolation=cv2.INTER_CUBIC)
    return cv2.GaussianBlur(print_, (0, 0), 1.0)


def _slanted(pack: np.ndarray, tilt: float, angle: float) -> tuple[np.ndarray, np.ndarray]:
    """The pack turned by `angle` and squeezed across by `tilt` (a camera at a slant), centred on a
    grey canvas; and the affine map from pack pixels to canvas pixels."""
    height, width = pack.shape
    turn = np.vstack([cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0), [0, 0, 1]])
    to_canvas = np.diag([1 / tilt, 1.0, 1.0]) @ turn
    corners = np.array([[0, 0, 1], [width, 0, 1], [width, height, 1], [0, height, 1]], float)
    to_canvas[:2, 2] += CANVAS / 2 - (corners @ to_canvas[:2].T).mean(axis=0)
    return cv2.warpAffine(pack, to_canvas[:2], (CANVAS, CANVAS), borderValue=128), to_canvas


@pytest.mark.parametrize("angle", [0, 45, 90])
def test_a_pack_at_a_slant_is_found_in_a_tilted_view_and_mapped_onto_the_catalog_image(angle: float) -> None:
    pack = _pack()
    photo, to_canvas = _slanted(pack, 2.5, angle)
    local = F.extract(photo, max_side=CANVAS, max_features=F.PHOTO_MAX_FEATURES)
    root = F.rootsift(local.descriptors)
    size = (pack.shape[1], pack.shape[0])
    upright = F.extract_catalog(pack)
    assert F.verify(local.points, root, upright.points, F.rootsift(upright.descriptors), size, (CANVAS,) * 2).inliers < 12

    views = F.extract_views(pack)
    assert len(views) == len(F.VIEW_TILTS)
    best = max(
        (F.verify(local.points, root, v.points, F.rootsift(v.descriptors), size, (CANVAS,) * 2) for v in views),
        key=lambda match: match.inliers,
    )
    assert best.inliers >= 3 * rules.PASS_INLIERS and best.homography is not None
    # The view's keypoints are in the catalog image's own pixels: the homography maps its corners
    # where the pack lies in the photo.
    corners = np.array([[0, 0], [size[0], 0], [size[0], size[1]], [0, size[1]]], np.float32)
    mapped = cv2.perspectiveTransform(corners.reshape(-1, 1, 2), best.homography).reshape(-1, 2)
    truth = np.c_[corners, np.ones(4)] @ to_canvas[:2].T
    assert np.abs(mapped - truth).max() < 3.0


def _png(image: np.ndarray, path: Path) -> Path:
    cv2.imwrite(str(path), image)
    return path


def _verify(photo: Path, url: str) -> dict:  # type: ignore[type-arg]
    result = CliRunner().invoke(
        app,
        ["verify", str(photo), "--sku", "PACK-1", "--ordered-at", "2026-11-10T10:00", "--delivered-at",
         "2026-11-14T15:00", "--claimed-at", "2026-11-16T12:00", "--tz", "Asia/Shanghai", "--no-record",
         "--json", "--db", url],
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)["images"][0]["checks"]["relevance"]  # type: ignore[no-any-return]


def test_views_are_stored_apart_and_read_when_a_closer_look_needs_them(store_url: str, tmp_path: Path) -> None:
    pack = _png(_pack(), tmp_path / "pack.png")
    slanted = _png(_slanted(_pack(), 2.5, 45)[0], tmp_path / "slanted.png")
    result = CliRunner().invoke(app, ["catalog", "add", "PACK-1", str(pack), "--db", store_url])
    assert result.exit_code == 0, result.stderr

    store = Store(store_url)
    try:
        (image,) = load_tenant(store, "default").skus[0].images
        assert image.views is None  # loading the catalog does not read them
        stored_views = load_views(store, "default", "PACK-1", image.image_id)
        assert stored_views is not None
        # the tilted views, then the coarse look's blurred copy
        assert set(np.unique(F.unpack(stored_views)["view"])) == set(range(len(F.VIEW_TILTS))) | {F.COARSE_VIEW}
        assert load_views(store, "default", "OTHER-SKU", image.image_id) is None

        found = _verify(slanted, store_url)
        assert found["status"] == "pass", found
        assert found["details"]["closer_look"] is True
        assert found["details"]["ordered"]["catalog_view"] is not None

        # An image stored before views were made is matched upright only: here, not found.
        with store.sessions.begin() as session:
            session.execute(update(CatalogImageRow).values(views=None))
    finally:
        store.close()
    missing = _verify(slanted, store_url)
    assert (missing["status"], missing["details"]["ordered"]) != ("pass", None)
    assert missing["status"] == "unknown" and missing["details"]["closer_look"] is True


# Arla's packs share the cow and the ring of its logo. Arla-Medium-Fat-Milk_002 shows a milk carton
# from above at a slant, its logo large: the closer look finds it only through the tilted views.
ARLA = [
    "Arla-Ecological-Medium-Fat-Milk",
    "Arla-Ecological-Sour-Cream",
    "Arla-Medium-Fat-Milk",
    "Arla-Mild-Vanilla-Yoghurt",
    "Arla-Natural-Mild-Low-Fat-Yoghurt",
    "Arla-Natural-Yoghurt",
    "Arla-Sour-Cream",
    "Arla-Standard-Milk",
]


@pytest.fixture(scope="module")
def arla() -> tuple[Path, dict[str, StoredSku]]:
    grocery = corpus("product-matching") / "grocery"
    skus = {
        name: StoredSku(
            name, name.replace("-", " "), None, None, (catalog_image(grocery / name / f"{name}_Iconic.jpg"),)
        )
        for name in ARLA
    }
    return grocery, skus


def _context(skus: list[StoredSku], *, own_vocabulary: bool = False) -> CheckContext:
    stored = with_own_vocabulary(skus) if own_vocabulary else StoredCatalog(tuple(skus))
    return CheckContext(settings=Settings(), now=datetime.now(UTC), catalog=Catalog(lambda tenant: stored))


def _load(path: Path) -> Photo:
    return load_photo(path.read_bytes(), path.name)


def _check(grocery: Path, name: str, sku: str, context: CheckContext) -> Finding:
    photo = _load(grocery / name.rsplit("_", 1)[0] / f"{name}.jpg")
    return relevance.check(photo, Claim(claim_id="c-1", timeline=Timeline(), sku=sku), context)


# photo, claimed SKU, status, code
SLANTED = [
    # The front seen from above: found at the first look by no SKU, at the closer look through a view.
    ("Arla-Sour-Cream_001", "Arla-Sour-Cream", "pass", "relevance.match"),
    ("Arla-Ecological-Sour-Cream_003", "Arla-Ecological-Sour-Cream", "pass", "relevance.match"),
    # Standard milk's side: only the logo matches the sour cream, in a view, and not a pass for it.
    ("Arla-Standard-Milk_005", "Arla-Ecological-Sour-Cream", "warn", "relevance.brand_only"),
]


@pytest.mark.parametrize(("name", "sku", "status", "code"), SLANTED, ids=[f"{n}_as_{s}" for n, s, *_ in SLANTED])
def test_slanted_packs_of_one_brand(
    arla: tuple[Path, dict[str, StoredSku]], name: str, sku: str, status: str, code: str
) -> None:
    grocery, skus = arla
    finding = _check(grocery, name, sku, _context(list(skus.values())))
    assert (finding.status.value, finding.code) == (status, code), finding.details
    assert finding.details["closer_look"] is True
    if finding.status is Status.PASS:
        assert finding.details["ordered"]["catalog_view"] is not None
        assert finding.details["brand_distinct_inliers"] >= rules.CLOSER_BRAND_DISTINCT
    if code == "relevance.brand_only":
        assert finding.details["brand_distinct_inliers"] < rules.CLOSER_BRAND_DISTINCT
        assert finding.params["other"]


def test_a_slanted_logo_at_the_closer_look_does_not_fail_a_genuine_claim(
    arla: tuple[Path, dict[str, StoredSku]],
) -> None:
    """Arla-Medium-Fat-Milk_002 shows a milk carton from above, its logo large and little else: the
    yoghurt's logo matches more (29 against 19) and its colours lie nearer where that homography
    lands; at the first look such colours separate two variants, at a closer look they do not."""
    grocery, skus = arla
    context = _context([skus["Arla-Medium-Fat-Milk"], skus["Arla-Mild-Vanilla-Yoghurt"]])
    finding = _check(grocery, "Arla-Medium-Fat-Milk_002", "Arla-Medium-Fat-Milk", context)
    assert (finding.status, finding.code) == (Status.WARN, "relevance.variant_unconfirmed"), finding.details
    details = finding.details
    assert details["closer_look"] is True and details["other_sku"] == "Arla-Mild-Vanilla-Yoghurt"
    assert details["other_colour_overlap"] - details["colour_overlap"] >= rules.COLOUR_SEPARATES


@pytest.fixture(scope="module")
def grocery_catalog() -> tuple[Path, CheckContext]:
    """The whole grocery corpus as a catalog, as `scripts/bench_relevance.py` has it."""
    grocery = corpus("product-matching") / "grocery"
    names = sorted(path.name for path in grocery.iterdir() if path.is_dir())
    skus = [
        StoredSku(name, name.replace("-", " "), None, None, (catalog_image(grocery / name / f"{name}_Iconic.jpg"),))
        for name in names
    ]
    return grocery, _context(skus, own_vocabulary=True)


def test_the_closer_look_verifies_more_candidates_and_names_a_slanted_pack(
    grocery_catalog: tuple[Path, CheckContext],
) -> None:
    """Arla-Sour-Cream_001 holds the carton at a slant: claimed as another brand's juice, the words
    rank the carton 4th, past the first look's `CANDIDATES` verified; the closer look verifies
    `CLOSER_CANDIDATES`."""
    grocery, context = grocery_catalog
    finding = _check(grocery, "Arla-Sour-Cream_001", "Bravo-Apple-Juice", context)
    assert (finding.status, finding.code) == (Status.FAIL, "relevance.other_product"), finding.details
    details = finding.details
    assert details["closer_look"] is True and details["other_sku"] == "Arla-Sour-Cream"
    ranked = [entry["sku"] for entry in details["shortlist"]]
    assert catalog_registry.CANDIDATES <= ranked.index("Arla-Sour-Cream") < catalog_registry.CLOSER_CANDIDATES


def test_a_carton_held_off_a_crowded_shelf_is_retrieved_and_named(
    grocery_catalog: tuple[Path, CheckContext],
) -> None:
    """Tropicana-Apple-Juice_005: the carton fills the middle of a shelf of others. Counted alike
    wherever they lay, the photo's words ranked it 18th of 31 and the claim as another product was
    `unknown`; the words near the centre weighing more, it is verified first (70 inliers)."""
    grocery, context = grocery_catalog
    finding = _check(grocery, "Tropicana-Apple-Juice_005", "Bravo-Apple-Juice", context)
    assert (finding.status, finding.code) == (Status.FAIL, "relevance.other_product"), finding.details
    assert finding.details["other_sku"] == "Tropicana-Apple-Juice"
    assert finding.details["candidates"][0]["sku"] == "Tropicana-Apple-Juice"


def test_the_brand_check_asks_only_siblings_the_photo_matched(grocery_catalog: tuple[Path, CheckContext]) -> None:
    """Arla-Ecological-Sour-Cream_005, a carton at a slant: the ecological milk, verified too,
    shares the carton's organic label and matches the photo nowhere; counted, it left the carton 2
    inliers of its own print and the genuine claim a `warn`."""
    grocery, context = grocery_catalog
    finding = _check(grocery, "Arla-Ecological-Sour-Cream_005", "Arla-Ecological-Sour-Cream", context)
    assert (finding.status, finding.code) == (Status.PASS, "relevance.match"), finding.details
    assert "Arla-Ecological-Medium-Fat-Milk" in {entry["sku"] for entry in finding.details["candidates"]}
    assert "Arla-Ecological-Medium-Fat-Milk" not in {rival["sku"] for rival in finding.details["rivals"]}
    assert finding.details["brand_distinct_inliers"] >= rules.CLOSER_BRAND_DISTINCT


def test_a_rival_matched_only_on_the_logo_both_carry_is_not_a_doubt(
    grocery_catalog: tuple[Path, CheckContext],
) -> None:
    """Alpro-Vanilla-Soyghurt_002: the fresh soy-milk carton matches the cup 12 times, all but one on
    the alpro logo the cup carries too; the cup shows print of its own. It warned
    `variant_unconfirmed` naming the carton."""
    grocery, context = grocery_catalog
    finding = _check(grocery, "Alpro-Vanilla-Soyghurt_002", "Alpro-Vanilla-Soyghurt", context)
    assert (finding.status, finding.code) == (Status.PASS, "relevance.match"), finding.details
    carton = {rival["sku"]: rival["inliers"] for rival in finding.details["rivals"]}["Alpro-Fresh-Soy-Milk"]
    assert carton >= rules.OTHER_STRONG
