"""`evidence-check ela`: the error-level picture is written on request, bad input is one line."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from evidence_check.cli import app
from tests.conftest import FIXTURES


def test_ela_writes_a_picture_the_size_of_the_upright_photo(tmp_path: Path) -> None:
    out = tmp_path / "ela.png"
    result = CliRunner().invoke(app, ["ela", str(FIXTURES / "exif_orientation_6.jpg"), "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    assert "quality 90" in result.stdout
    with Image.open(out) as picture:
        assert picture.format == "PNG" and picture.size == (480, 640)


def test_ela_of_an_unreadable_file_is_one_line_and_exit_1(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["ela", str(FIXTURES / "truncated.jpg"), "--out", str(tmp_path / "x.png")]
    )
    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1 and "truncated" in result.stderr
    assert not (tmp_path / "x.png").exists()


def test_ela_quality_out_of_range_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["ela", str(FIXTURES / "no_exif.jpg"), "--out", str(tmp_path / "x.png"), "--quality", "10"]
    )
    assert result.exit_code == 2


def test_a_missing_trust_anchors_file_is_a_setting_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("EVIDENCE_CHECK_C2PA_TRUST_ANCHORS", str(tmp_path / "missing.pem"))
    result = CliRunner().invoke(app, ["ela", str(FIXTURES / "no_exif.jpg"), "--out", str(tmp_path / "x.png")])
    assert result.exit_code == 2
    assert "trust anchors" in result.stderr
