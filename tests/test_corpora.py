"""Real photos from public projects (../shared/corpora): every one read, dates as the manifest says,
and every hostile file ends in a report or one line on stderr."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evidence_check.cli import app
from evidence_check.imaging.capture_time import read_capture_time
from evidence_check.imaging.load import PhotoError, load_photo
from tests.conftest import CORPORA, corpus

# Files whose DateTimeOriginal the timestamp look must refuse, and why (see corpora/README.md).
REFUSED_DATES = {
    "exif-py/jpg/Sony_DSLR-A200.jpg": "clock_reset",
    "exif-py/jpg/exif-org/sanyo-vpcg250.jpg": "clock_reset",
}
NOT_SUPPORTED = {"exif-py/test_0001.jxl": "JPEG XL"}


def manifest(name: str) -> list[dict[str, str]]:
    with (corpus(name) / "manifest.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def rows(name: str) -> list[tuple[str, dict[str, str]]]:
    path = CORPORA / name / "manifest.csv"
    if not path.is_file():
        return [("corpus-absent", {})]
    with path.open(newline="", encoding="utf-8") as handle:
        return [(row["path"], row) for row in csv.DictReader(handle)]


@pytest.mark.parametrize("name", ["exif-camera-jpegs", "heif-avif-webp"])
def test_every_camera_photo_is_read_and_its_date_agrees_with_the_manifest(name: str) -> None:
    folder = corpus(name)
    mismatches = []
    for row in manifest(name):
        data = (folder / row["path"]).read_bytes()
        if row["path"] in NOT_SUPPORTED:
            with pytest.raises(PhotoError, match=NOT_SUPPORTED[row["path"]]):
                load_photo(data, row["path"])
            continue
        photo = load_photo(data, Path(row["path"]).name)
        assert photo.working.mode == "RGB" and max(photo.working.size) <= 1024
        expected = row["datetime_original_pillow"] or row["datetime_original_exifread"]
        reading = read_capture_time(photo.metadata, photo.filename)
        if row["path"] in REFUSED_DATES:
            assert reading.rejected[0].why == REFUSED_DATES[row["path"]]
        elif expected:
            got = reading.best.local.strftime("%Y:%m:%d %H:%M:%S") if reading.best else None
            if reading.best is None or reading.best.source != "exif:DateTimeOriginal" or got != expected:
                mismatches.append((row["path"], expected, got))
    assert mismatches == []


def test_orientation_is_applied_before_any_check() -> None:
    folder = corpus("heif-avif-webp")
    photo = load_photo((folder / "pillow/hopper_orientation_6.webp").read_bytes(), "x.webp")
    assert photo.orientation == 6
    # Orientation 6 is stored rotated: the upright picture has the stored height as its width.
    assert photo.working.size == (photo.width, photo.height)


MALFORMED = rows("malformed-images")


@pytest.mark.parametrize(("path", "row"), MALFORMED, ids=[p for p, _ in MALFORMED])
def test_a_hostile_file_ends_in_a_report_or_one_line(path: str, row: dict[str, str], tmp_path: Path) -> None:
    folder = corpus("malformed-images")
    result = CliRunner().invoke(
        app,
        [
            "verify",
            str(folder / path),
            "--json",
            "--db",
            f"sqlite:///{tmp_path / 's.db'}",
            "--ordered-at",
            "2001-01-01",
        ],
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    if result.exit_code == 0:
        image = json.loads(result.stdout)["images"][0]
        if image["error"]:
            assert "\n" not in image["error"] and image["checks"] == {}
        else:
            assert set(image["checks"]) == {"timestamp", "reuse", "relevance", "location", "integrity"}
    else:
        assert result.exit_code == 1
        assert len(result.stderr.strip().splitlines()) == 1
        assert result.stderr.startswith("evidence-check: no photo could be read")


@pytest.mark.parametrize(
    ("path", "expect_exit", "words"),
    [
        ("pillow/decompression_bomb.gif", 1, "MP limit"),
        ("pillow/truncated_jpeg.jpg", 1, "truncated"),
        ("pillow-heif/empty.heic", 1, "empty"),
        ("imagededup/ukbench09268_corrupt.jpg", 1, "not an image"),
        # Pillow logs a warning about this one before it fails: only our line may reach stderr.
        ("pillow/oom-225817ca0f8c663be7ab4b9e717b02c661e66834.tif", 1, "cannot be read"),
        ("pillow-heif/200MP.heic", 0, ""),
    ],
)
def test_the_installed_command_never_shows_a_traceback(
    path: str, expect_exit: int, words: str, tmp_path: Path
) -> None:
    folder = corpus("malformed-images")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "evidence_check",
            "verify",
            str(folder / path),
            "--json",
            "--no-record",
            "--db",
            f"sqlite:///{tmp_path / 's.db'}",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in done.stderr
    assert done.returncode == expect_exit, done.stderr
    if expect_exit:
        assert len(done.stderr.strip().splitlines()) == 1 and words in done.stderr
    else:
        image = json.loads(done.stdout)["images"][0]
        assert image["error"] is None
        assert image["checks"]["timestamp"]["details"]["taken"].startswith("2025-01-19")
