"""The README's configuration table is the user's manual for `Settings`: every setting listed,
each literal default the one the code has. A default changed in one place and not the other
(`CATALOG_CACHED_IMAGES` read 4096 in the table while the code kept 1024) fails here."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from evidence_check.settings import Settings

README = Path(__file__).resolve().parents[1] / "README.md"


def _configuration_rows() -> dict[str, str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        name = re.fullmatch(r"`([A-Z0-9_]+)`( \*)?", cells[0]) if len(cells) == 3 else None
        if name:
            rows[name.group(1).lower()] = cells[1]
    return rows


def _literal(cell: str) -> object:
    """The default a cell states as a value, or None where it describes one in words."""
    code = re.fullmatch(r"`(.+)`", cell)
    if code:
        try:
            return json.loads(code.group(1))
        except json.JSONDecodeError:
            return code.group(1)
    number = re.fullmatch(r"(\d+(?:\.\d+)?)( \(.*\))?", cell)
    return None if number is None else float(number.group(1))


def test_every_setting_is_in_the_readme_table_and_only_those() -> None:
    assert set(_configuration_rows()) == set(Settings.model_fields)


def test_the_readme_states_the_default_the_code_has() -> None:
    rows = _configuration_rows()
    compared, wrong = 0, []
    for name, field in Settings.model_fields.items():
        stated = _literal(rows.get(name, ""))
        if stated is None or (isinstance(stated, str) and stated.lower() in Settings.model_fields):
            continue  # described in words, or another setting named as the default
        default = field.get_default(call_default_factory=True)
        if isinstance(default, int | float) and not isinstance(default, bool):
            same = isinstance(stated, float) and stated == pytest.approx(float(default))
        else:
            same = stated == default
        compared += 1
        if not same:
            wrong.append(f"{name.upper()}: README {stated!r}, code {default!r}")
    assert not wrong
    assert compared >= 20  # the table's literal defaults are read, not skipped
