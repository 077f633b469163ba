"""The location bench's table of shelf photos alone, by defect (`scripts/bench_location.py`): the rows
"all, <defect>, ..." count synthetic photos too, and the shelf-photo goal may be restated per defect
(docs/measurements/location.md, "The shelf-photo goal")."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.conftest import ROOT, corpus

sys.path.append(str(ROOT / "scripts"))  # the bench's own module, after every installed one

import probe_location_by_eye as probe  # noqa: E402
from bench_location import (  # noqa: E402
    DEFECTS,
    SETS,
    VISIBLE,
    Case,
    PaintedShelf,
    VariedCopies,
    bands,
    catalog_image,
    one_photo,
    run,
    shelf_by_defect,
    varied_copy,
)


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


def test_the_second_painter_leaves_the_benchs_draw_where_it_was() -> None:
    """`--painter varied` and `both` judge the bench's own photos: painting the second copy must neither change the
    bench's defect nor move the draw the next photo is made from."""
    folder = corpus("product-matching") / "grocery" / "Alpro-Fresh-Soy-Milk"
    image = catalog_image(folder / "Alpro-Fresh-Soy-Milk_Iconic.jpg")
    image = replace(image, zones=bands(image))
    catalog = cv2.cvtColor(cv2.imread(str(folder / "Alpro-Fresh-Soy-Milk_Iconic.jpg")), cv2.COLOR_BGR2RGB)
    rgb = cv2.cvtColor(cv2.imread(str(folder / "Alpro-Fresh-Soy-Milk_001.jpg")), cv2.COLOR_BGR2RGB)
    outcomes = []
    for varied in (None, VariedCopies(np.random.default_rng(5), [], False, {"Alpro-Fresh-Soy-Milk": catalog})):
        rng = np.random.default_rng(23)
        painted: list[PaintedShelf] = []
        case = one_photo(rng, "Alpro-Fresh-Soy-Milk", "shelf", rgb, image, None, painted.append, look=False, varied=varied)
        assert case is not None
        outcomes.append((painted[0], rng.integers(1 << 30), varied))
    (alone, next_alone, _), (beside, next_beside, varied) = outcomes
    assert alone.truth == beside.truth and np.array_equal(alone.damaged, beside.damaged)
    assert next_alone == next_beside
    assert varied is not None and len(varied.cases) == 1 and varied.cases[0].painter == "varied"


def test_a_draw_of_one_set_judges_the_very_photos_and_defects_the_full_draw_judges(tmp_path: Path) -> None:
    """`--sets synthetic` paints the shelf photos unjudged and drops them: the second product's synthetic photo
    and both painters' defects on it must be the full draw's, which they are only if the first product's shelf
    photos drew from the streams as in the full draw."""
    grocery = corpus("product-matching") / "grocery"
    (tmp_path / "grocery").mkdir()
    for name in ("Alpro-Blueberry-Soyghurt", "Alpro-Fresh-Soy-Milk"):
        (tmp_path / "grocery" / name).symlink_to(grocery / name)
    outcomes = []
    for sets in (SETS, ("synthetic",)):
        varied = VariedCopies(np.random.default_rng((23, 5)), [], True)
        cases = run(tmp_path, 1, 23, varied=varied, sets=sets)
        outcomes.append([(c.product, c.kind, c.defect, c.iou, c.strength) for c in cases + varied.cases])
    full, synthetic_only = outcomes
    assert {kind for _, kind, *_ in full} == {"synthetic", "shelf"}
    assert synthetic_only == [case for case in full if case[1] == "synthetic"]
    assert len(synthetic_only) == 4 and all(iou is not None for *_, iou, _ in synthetic_only)


@pytest.mark.parametrize("seed", range(20))  # every kind of defect at least twice
def test_the_second_painter_changes_pixels_inside_its_truth_box_and_none_far_outside_or_off_the_carton(seed: int) -> None:
    """The varied painter's truth is the box of the pixels it visibly changed, as the bench's is: it must hold
    visible change, no pixel may change more than the box's own side beyond it (a dent's or a stain's faint
    tail), and none off the part seen to be the product."""
    rgb = cv2.cvtColor(cv2.imread(str(ROOT / "fixtures" / "images" / "genuine_after_delivery.jpg")), cv2.COLOR_BGR2RGB)
    rgb = cv2.resize(rgb, (400, 300), interpolation=cv2.INTER_AREA)
    carton = np.zeros(rgb.shape[:2], bool)
    carton[60:260, 100:300] = True
    painted_again = varied_copy(np.random.default_rng(seed), rgb, carton, 200.0)
    assert painted_again is not None
    defect, painted, (x, y, w, h), _faint = painted_again
    assert defect in DEFECTS
    change = np.abs(painted.astype(np.int32) - rgb).max(axis=2)
    assert (change[y : y + h, x : x + w] > VISIBLE).sum() >= 2
    assert not change[~carton].any()
    reach = max(w, h)
    near = np.zeros_like(carton)
    near[max(0, y - reach) : y + h + reach, max(0, x - reach) : x + w + reach] = True
    assert not change[~near].any(), defect
    again = varied_copy(np.random.default_rng(seed), rgb, carton, 200.0)
    assert again is not None and np.array_equal(again[1], painted)


def test_the_by_eye_score_counts_the_looks_hits_among_what_each_reader_all_readers_and_any_reader_boxed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The shelf-photo goal restated as a share of what readers box is read from these columns."""
    key = [
        {"n": 0, "defect": "tear", "truth": [10, 10, 20, 20], "look_iou": 0.8},  # both readers, the look
        {"n": 1, "defect": "tear", "truth": [10, 10, 20, 20], "look_iou": 0.3},  # both readers, not the look
        {"n": 2, "defect": "dent", "truth": [50, 50, 20, 20], "look_iou": 0.6},  # the second reader, the look
        {"n": 3, "defect": "dent", "truth": [50, 50, 20, 20], "look_iou": None},  # no one
    ]
    (tmp_path / "key.json").write_text(json.dumps(key))
    first, second = tmp_path / "first.txt", tmp_path / "second.txt"
    first.write_text("# a comment line\n0 10 10 20 20\n1 11 11 20 20 # unsure\n2 none\n3 90 90 10 10\n")
    second.write_text("0 12 10 20 20\n1 10 10 20 20\n2 50 52 20 20\n3 none\n")
    assert probe.main(["score", str(tmp_path), str(first), str(second)]) == 0
    table = capsys.readouterr().out.split("\n\n")[1].splitlines()
    assert table[0] == (
        "| defect | photos | by reader 1 | by reader 2 | by all | by any | the look | the look, of reader 1's"
        " | the look, of reader 2's | the look, of all's | the look, of any's |"
    )
    assert table[2:] == ["| dent | 2 | 0 | 1 | 0 | 1 | 1 | 0 | 1 | 0 | 1 |", "| tear | 2 | 2 | 2 | 2 | 2 | 1 | 1 | 1 | 1 | 1 |",
                         "| all | 4 | 2 | 3 | 2 | 3 | 2 | 1 | 2 | 1 | 2 |"]  # fmt: skip


def test_the_by_eye_score_refuses_a_reader_who_skipped_a_sheet(tmp_path: Path) -> None:
    (tmp_path / "key.json").write_text(json.dumps([{"n": 0, "defect": "tear", "truth": [0, 0, 5, 5], "look_iou": None}]))
    (tmp_path / "empty.txt").write_text("# nothing boxed\n")
    with pytest.raises(SystemExit, match=r"empty.txt names sheets \[0\] the key does not, or misses them"):
        probe.main(["score", str(tmp_path), str(tmp_path / "empty.txt")])


@pytest.mark.parametrize("line", ["0 10, 10, 20, 20", "0 10 10 20", "0", "0 nothing"])
def test_the_by_eye_score_names_the_line_it_cannot_read(tmp_path: Path, line: str) -> None:
    (tmp_path / "key.json").write_text(json.dumps([{"n": 0, "defect": "tear", "truth": [0, 0, 5, 5], "look_iou": None}]))
    (tmp_path / "boxes.txt").write_text(f"# the reader's boxes\n{line}\n")
    with pytest.raises(SystemExit, match=rf"boxes.txt:2: expected 'N X Y W H' or 'N none', found '{line}'"):
        probe.main(["score", str(tmp_path), str(tmp_path / "boxes.txt")])
