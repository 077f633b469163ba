"""The location bench's table of shelf photos alone, by defect (`scripts/bench_location.py`): the rows
"all, <defect>, ..." count synthetic photos too, and the shelf-photo goal may be restated per defect
(docs/measurements/location.md, "The shelf-photo goal")."""

from __future__ import annotations

import sys
from dataclasses import replace

import cv2
import numpy as np

from tests.conftest import ROOT, corpus

sys.path.append(str(ROOT / "scripts"))  # the bench's own module, after every installed one

from bench_location import Case, PaintedShelf, bands, catalog_image, one_photo, shelf_by_defect  # noqa: E402


def case(product: str, kind: str, defect: str, iou: float | None, edge: bool = False) -> Case:
    return Case(product, kind, defect, iou, None, None, False, None, None, False, None, edge)


def test_the_shelf_rows_count_shelf_photos_alone_by_defect_and_half() -> None:
    # Products by name: "a" and "c" are half A, "b" half B. A synthetic tear hit on every half must not count.
    cases = [
        case("a", "shelf", "tear", 0.7), case("c", "shelf", "tear", 0.2), case("b", "shelf", "tear", None),
        case("a", "synthetic", "tear", 0.9), case("b", "synthetic", "tear", 0.9),
        case("b", "shelf", "stain", 0.5), case("a", "shelf", "dent", 0.49),
    ]  # fmt: skip
    edge_cases = [case("b", "shelf", "crushed corner", 0.6, True), case("a", "synthetic", "crushed corner", 0.8, True)]
    rows = {line.split(" | ")[0].lstrip("| "): line.strip("| ").split(" | ")[1:] for line in shelf_by_defect(cases, edge_cases)[2:]}
    assert rows["tear"] == ["1 of 2 (50.0 %)", "0 of 1 (0.0 %)", "1 of 3 (33.3 %)", "—", "—", "—"]
    assert rows["stain"] == ["—", "1 of 1 (100.0 %)", "1 of 1 (100.0 %)", "—", "—", "—"]
    assert rows["dent"] == ["0 of 1 (0.0 %)", "—", "0 of 1 (0.0 %)", "—", "—", "—"]
    assert rows["crushed corner"] == ["—", "—", "—", "—", "1 of 1 (100.0 %)", "1 of 1 (100.0 %)"]
    assert set(rows) == {"tear", "scratch", "stain", "dent", "crushed corner", "edge tear"}


def test_a_draw_painted_without_the_look_paints_the_same_photos_and_leaves_the_draw_where_it_was() -> None:
    """`probe_location_by_eye.py sheets` paints six draws without the look and judges only the 40 photos it
    samples: the photos must be the bench's own, and the next photo's draw must start where the bench's does."""
    folder = corpus("product-matching") / "grocery" / "Alpro-Fresh-Soy-Milk"
    image = catalog_image(folder / "Alpro-Fresh-Soy-Milk_Iconic.jpg")
    image = replace(image, zones=bands(image))
    rgb = cv2.cvtColor(cv2.imread(str(folder / "Alpro-Fresh-Soy-Milk_001.jpg")), cv2.COLOR_BGR2RGB)
    outcomes = []
    for look in (True, False):
        rng = np.random.default_rng(23)
        painted: list[PaintedShelf] = []
        case = one_photo(rng, "Alpro-Fresh-Soy-Milk", "shelf", rgb, image, None, painted.append, look=look)
        assert case is not None and len(painted) == 1
        outcomes.append((case, painted[0], rng.integers(1 << 30)))
    (judged, judged_photo, judged_next), (painted_only, photo, next_draw) = outcomes
    assert judged.iou is not None and painted_only.iou is None and painted_only.clean_strength is None
    assert photo.defect == judged_photo.defect and photo.truth == judged_photo.truth
    assert np.array_equal(photo.damaged, judged_photo.damaged)
    assert next_draw == judged_next

