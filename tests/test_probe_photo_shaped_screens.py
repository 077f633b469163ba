"""The probe of photo-shaped screenshots (`scripts/probe_photo_shaped_screens.py`) cuts its square
crops from phone screens, as its docstring and reuse.md say, even when its tablet kind ran first."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from evidence_check.imaging import transforms
from tests.conftest import ROOT

sys.path.append(str(ROOT / "scripts"))  # the probe's own module, after every installed one

import probe_photo_shaped_screens as probe  # noqa: E402


def test_when_the_tablet_kind_runs_first_then_the_square_crops_are_cut_from_phone_screens(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    phones = transforms._SCREENS
    monkeypatch.setattr(transforms, "_SCREENS", phones)  # put back for the other tests
    picture = tmp_path / "picture.jpg"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (300, 400, 3), dtype=np.uint8)).save(picture)
    monkeypatch.setattr(probe, "originals", lambda: [picture])
    monkeypatch.setattr(probe, "CORPORA", tmp_path)
    screens_seen = []
    cut = probe.square_crop

    def spied(image: Image.Image, rng: np.random.Generator) -> bytes:
        screens_seen.append(transforms._SCREENS)
        return cut(image, rng)

    monkeypatch.setattr(probe, "square_crop", spied)
    monkeypatch.setattr(sys, "argv", ["probe", "--kind", "tablet", "--kind", "square"])
    probe.main()
    assert screens_seen == [phones]
