"""The rooms' layering: a lower room loads nothing of a higher one, checked in a fresh interpreter."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

STORE = Path(__file__).resolve().parent.parent / "evidence_check" / "store"
ROOT_OF_CHECKS = ("evidence_check.checks", "evidence_check.measure")
CATALOG_WITH_OPENCV = (
    "evidence_check.catalog.entries",
    "evidence_check.catalog.feature_file",
    "evidence_check.catalog.loading",
    "evidence_check.catalog.matching",
    "evidence_check.catalog.photo",
    "evidence_check.catalog.registry",
    "evidence_check.catalog.words",
)


def _loaded_after(statement: str) -> set[str]:
    """The modules a fresh interpreter holds after running `statement`."""
    code = f"import json, sys\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    return set(json.loads(done.stdout))


@pytest.mark.parametrize(
    "statement",
    [
        "import evidence_check.catalog",
        *(
            f"import evidence_check.store.{module}"
            for module in sorted(p.stem for p in STORE.glob("*.py") if p.stem != "__init__")
        ),
        "import evidence_check.store",
    ],
)
def test_the_store_and_the_catalogs_stored_types_load_no_opencv_and_no_checks(statement: str) -> None:
    loaded = _loaded_after(statement)
    assert "cv2" not in loaded
    if "store" in statement:  # the store depends on models only: not even the catalog's zones
        assert not {name for name in loaded if name.startswith("evidence_check.catalog")}
    assert not {name for name in loaded if name.startswith(ROOT_OF_CHECKS)}
    assert not loaded & set(CATALOG_WITH_OPENCV)


def test_the_probe_sees_what_a_higher_room_loads() -> None:
    """The same probe on the relevance look: it does load OpenCV and the catalog's matching."""
    loaded = _loaded_after("import evidence_check.checks.relevance.rules")
    assert "cv2" in loaded and "evidence_check.catalog.matching" in loaded
