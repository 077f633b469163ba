"""The error-level view computed strip by strip is the whole-picture computation, to the pixel."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from evidence_check.imaging import ela
from evidence_check.imaging.load import load_photo
from tests.conftest import FIXTURES


def _whole(image: Image.Image) -> tuple[np.ndarray, float, float]:
    """The view from arrays of the whole picture: int16 differences, numpy's percentile."""
    original = image.convert("RGB")
    buffer = io.BytesIO()
    original.save(buffer, "JPEG", quality=ela.DEFAULT_QUALITY)
    buffer.seek(0)
    with Image.open(buffer) as resaved:
        difference = np.abs(np.asarray(original, dtype=np.int16) - np.asarray(resaved.convert("RGB"), dtype=np.int16))
    gain = 255.0 / (float(np.percentile(difference, ela.PERCENTILE)) or 1.0)
    return np.clip(difference * gain, 0, 255).astype(np.uint8), round(gain, 2), round(float(difference.mean()), 3)


@pytest.mark.parametrize("name", ["edited_photoshop.jpg", "genuine_after_delivery.jpg", "Screenshot_2026-11-15-10-15-00.png"])
def test_strips_give_the_whole_pictures_view(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ela, "STRIP_ROWS", 37)  # strips that do not divide the height
    photo = load_photo((FIXTURES / name).read_bytes(), name).full
    picture, gain, mean = _whole(photo)
    levels = ela.error_levels(photo)
    assert (levels.gain, levels.mean_level) == (gain, mean)
    assert np.array_equal(np.asarray(levels.picture), picture)
    assert picture.max() == 255  # the view is not blank: the test compares something


def test_the_histograms_percentile_is_numpys() -> None:
    rng = np.random.default_rng(1)
    for size in (1, 2, 7, 1001):
        values = rng.integers(0, 256, size)
        counts = np.bincount(values, minlength=256)
        for percent in (0, 50, 99.5, 100):
            assert ela._percentile(counts, percent) == pytest.approx(float(np.percentile(values, percent)))
