"""pyproject's build-system asks for a setuptools that can read the project table as written: the
Docker image's build stage and `pip install .` build the wheel with it. `license = "Apache-2.0"`
(a PEP 639 expression) is refused by setuptools before 77 ("`project.license` must be valid exactly
by one definition"), so a floor below 77 lets an index holding only older ones fail the build."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"
EXPRESSION_LICENSE_SINCE = (77,)


def _setuptools_floor(requires: list[str]) -> tuple[int, ...] | None:
    for requirement in requires:
        found = re.fullmatch(r"setuptools\s*>=\s*([\d.]+)", requirement.strip())
        if found:
            return tuple(int(part) for part in found.group(1).split("."))
    return None


def _floor_too_low(project: dict[str, Any]) -> bool:
    if not isinstance(project["project"].get("license"), str):
        return False
    floor = _setuptools_floor(project["build-system"]["requires"])
    return floor is None or floor < EXPRESSION_LICENSE_SINCE


def test_the_build_system_reads_the_license_as_written() -> None:
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    assert isinstance(project["project"]["license"], str)
    assert not _floor_too_low(project), project["build-system"]["requires"]


@pytest.mark.parametrize(
    ("license_", "requires", "too_low"),
    [
        ("Apache-2.0", ["setuptools>=69", "wheel"], True),
        ("Apache-2.0", ["setuptools", "wheel"], True),
        ("Apache-2.0", ["setuptools>=77.0.3", "wheel"], False),
        ({"text": "Apache-2.0"}, ["setuptools>=69", "wheel"], False),
    ],
)
def test_a_floor_that_cannot_read_the_license_is_caught(license_: object, requires: list[str], too_low: bool) -> None:
    project = {"project": {"license": license_}, "build-system": {"requires": requires}}
    assert _floor_too_low(project) is too_low
