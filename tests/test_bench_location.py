"""The location bench's table of shelf photos alone, by defect (`scripts/bench_location.py`): the rows
"all, <defect>, ..." count synthetic photos too, and the shelf-photo goal may be restated per defect
(docs/measurements/location.md, "The shelf-photo goal")."""

from __future__ import annotations

import sys

from tests.conftest import ROOT

sys.path.append(str(ROOT / "scripts"))  # the bench's own module, after every installed one

from bench_location import Case, shelf_by_defect  # noqa: E402


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

