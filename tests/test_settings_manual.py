"""The README's configuration table is the user's manual for `Settings`: every setting listed,
each literal default the one the code has, each range it states the one the code enforces. A default
changed in one place and not the other (`CATALOG_CACHED_IMAGES` read 4096 in the table while the code
kept 1024) fails here."""

from __future__ import annotations

import json
import re

import pytest

from evidence_check.settings import Settings
from tests import manuals


def _configuration_rows(text: str) -> dict[str, tuple[str, str]]:
    """Each setting's default cell and meaning cell."""
    section = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        name = re.fullmatch(r"`([A-Z0-9_]+)`( \*)?", cells[0]) if len(cells) == 3 else None
        if name:
            rows[name.group(1).lower()] = (cells[1], cells[2])
    return rows


def _literal(cell: str) -> object:
    """The default a cell states as a value, or None where it describes one in words."""
    code = re.fullmatch(r"`(.+)`", cell)
    if code:
        try:
            return json.loads(code.group(1))
        except json.JSONDecodeError:
            return code.group(1)
    number = re.fullmatch(r"(\d[\d,]*(?:\.\d+)?)( \(.*\))?", cell)
    return None if number is None else float(number.group(1).replace(",", ""))


def _wrong_defaults(text: str) -> list[str]:
    rows = _configuration_rows(text)
    wrong = []
    for name, field in Settings.model_fields.items():
        default = field.get_default(call_default_factory=True)
        stated = _literal(rows.get(name, ("", ""))[0])
        if (
            default is None
            or name == "db"
            or (isinstance(stated, str) and stated.lower() in Settings.model_fields)
        ):
            continue  # none, a path in the user's folder, or another setting's: said in words
        if isinstance(default, int | float) and not isinstance(default, bool):
            same = isinstance(stated, float) and stated == pytest.approx(float(default))
        else:
            same = stated == default
        if not same:
            wrong.append(f"{name.upper()}: README {stated!r}, code {default!r}")
    return wrong


def _bounds(name: str) -> tuple[float | None, float | None]:
    low = high = None
    for constraint in Settings.model_fields[name].metadata:
        low = getattr(constraint, "ge", getattr(constraint, "min_length", low))
        high = getattr(constraint, "le", getattr(constraint, "max_length", high))
    return low, high


def _wrong_ranges(text: str) -> list[str]:
    """A meaning that states a range, "(256–4096)" or "(16–256 characters)", states the code's bounds."""
    wrong = []
    for name, (_, meaning) in _configuration_rows(text).items():
        for low, high in re.findall(r"\((\d+(?:\.\d+)?)–(\d+(?:\.\d+)?)[ )]", meaning):
            if name not in Settings.model_fields or (float(low), float(high)) != _bounds(name):
                wrong.append(f"{name.upper()}: README {low}–{high}, code {_bounds(name)}")
    return wrong


def test_every_setting_is_in_the_readme_table_and_only_those() -> None:
    assert set(_configuration_rows(manuals.read())) == set(Settings.model_fields)


def test_the_readme_states_the_default_the_code_has() -> None:
    assert not _wrong_defaults(manuals.read())


def test_the_readme_states_the_range_the_code_enforces() -> None:
    text = manuals.read()
    assert len(re.findall(r"\(\d[\d.]*–", text.split("## Configuration", 1)[1])) >= 5
    assert not _wrong_ranges(text)


@pytest.mark.parametrize(
    ("written", "drifted", "caught"),
    [
        (
            "| `CATALOG_CACHED_IMAGES` | 1024 |",
            "| `CATALOG_CACHED_IMAGES` | 4096 |",
            "README 4096.0, code 1024",
        ),
        (
            "| `CATALOG_CACHED_IMAGES` | 1024 |",
            "| `CATALOG_CACHED_IMAGES` | 4,096 |",
            "README 4096.0, code 1024",
        ),
        (
            "| `CATALOG_CACHED_IMAGES` | 1024 |",
            "| `CATALOG_CACHED_IMAGES` | about a thousand |",
            "README None",
        ),
        ("| `HTML_SHOW_GPS` * | `false` |", "| `HTML_SHOW_GPS` * | `true` |", "README True, code False"),
        ("(256–4096)", "(256–8192)", "WORKING_SIZE: README 256–8192"),
        ("(4–8)", "(4–10)", "CHALLENGE_LENGTH: README 4–10"),
        ("(16–256 characters)", "(8–256 characters)", "METRICS_TOKEN: README 8–256"),
    ],
)
def test_a_drift_in_the_table_is_caught(written: str, drifted: str, caught: str) -> None:
    """Tried on the README itself: a default changed, written with a separator or in words; a range."""
    drifted_text = manuals.drifted(written, drifted)
    assert any(caught in line for line in _wrong_defaults(drifted_text) + _wrong_ranges(drifted_text))


def _unprefixed_assignments(text: str) -> list[str]:
    """Settings the README assigns (`NAME=value` in code type) without the prefix the environment
    reads them by: `DB=postgresql://...` typed as written left the store on SQLite, without a word."""
    fields = {name.upper() for name in Settings.model_fields}
    return [
        assigned
        for assigned, name in re.findall(r"`(([A-Z][A-Z0-9_]*)=[^`]*)`", text)
        if name in fields
    ]


def test_a_setting_the_readme_assigns_is_written_as_the_environment_reads_it() -> None:
    assert not _unprefixed_assignments(manuals.read())


def test_an_unprefixed_assignment_is_caught() -> None:
    drifted = manuals.drifted("`EVIDENCE_CHECK_DB=postgresql://", "`DB=postgresql://")
    assert _unprefixed_assignments(drifted) == ["DB=postgresql://user:password@host/db"]
