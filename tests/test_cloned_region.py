"""The cloned-region signal: a patch of a camera photo copied from another place of it.

Must fire: a patch cloned over 1-3 % of a textured camera photo, every EXIF byte kept; patches
cloned on the corpora's camera photos at their own resolution.
Must not fire: the same photos untouched, processed as phones do or re-saved whole; one scene
shown twice side by side as honest look-alikes are (half a pixel apart, 4 % darker, each with its
own sensor noise); no camera or phone original of the corpora; a printed canvas photographed flat
or at a slant, its motif repeated pixel for pixel; and not looked for at all in a picture without a camera's
exposure tags. Must still fire: a patch cloned from beside itself on such a canvas seen at a slant,
and one stamped twice or three times in a row, whose likeness goes on one way past each copy.
"""

from __future__ import annotations

import io
import sys

import cv2
import numpy as np
import pytest
from PIL import Image

from evidence_check.checks.integrity.cloned_region import MIN_CLONE_PAIRS
from evidence_check.checks.integrity.quiet_edit import PLACES_ZH
from evidence_check.explain.integrity import SUMMARIES
from evidence_check.imaging import copy_move
from evidence_check.imaging.load import PhotoError
from evidence_check.models import Finding
from tests.conftest import CORPORA, ROOT, corpus, integrity_of

sys.path.insert(0, str(ROOT / "fixtures"))
from make_integrity_fixtures import with_thumbnail  # noqa: E402

from evidence_check.evaluation.quiet_edits import (  # noqa: E402
    PROCESSINGS,
    RESAVES,
    camera_jpegs,
    paint,
    reprocess,
    resave,
)

# Camera photos of the corpora searched at their own resolution (640x480), with a clone of 2-3 %.
CORPUS_CLONES = (
    ("near-duplicates/imagededup/base_images/ukbench09012.jpg", 0.03),
    ("exif-camera-jpegs/exif-py/jpg/exif-org/canon-ixus.jpg", 0.02),
)


def _camera_jpeg(pixels: np.ndarray) -> bytes:
    """`pixels` saved as a camera JPEG: EXIF with an exposure and its own 160x120 thumbnail."""
    photo = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    return with_thumbnail(photo, photo, preview_quality=85)


def _texture(seed: int, size: tuple[int, int] = (640, 480)) -> np.ndarray:
    """Gravel-like texture with sensor noise: no two places of it alike."""
    rng = np.random.default_rng(seed)
    coarse = rng.normal(0, 1, (size[1] // 4, size[0] // 4, 3)).astype(np.float32)
    smooth = cv2.GaussianBlur(cv2.resize(coarse, size, interpolation=cv2.INTER_CUBIC), (0, 0), 2.0)
    return 128 + 45 * smooth / smooth.std() + rng.normal(0, 4, smooth.shape)


def _fired(finding: Finding) -> bool:
    return "cloned_region" in finding.details["flags"]


@pytest.mark.parametrize("share", [0.01, 0.02, 0.03])
@pytest.mark.parametrize("seed", [3, 11])
def test_when_a_patch_is_cloned_and_exif_kept_then_flagged(seed: int, share: float) -> None:
    finding = integrity_of(paint(_camera_jpeg(_texture(seed)), "clone", seed, share))
    assert _fired(finding), finding.details.get("copy_move")
    assert finding.details["copy_move"]["pairs"] >= MIN_CLONE_PAIRS
    signal = finding.details["signals"]["cloned_region"]
    assert signal["where"] in PLACES_ZH
    assert finding.status.value == "warn"


def test_the_place_of_the_copy_is_named() -> None:
    pixels = _texture(5)
    pixels[330:410, 460:560] = pixels[40:120, 60:160]  # the upper left copied to the lower right
    finding = integrity_of(_camera_jpeg(pixels))
    assert _fired(finding)
    signal = finding.details["signals"]["cloned_region"]
    assert (signal["where"], signal["where_zh"]) in (("lower right", "右下部"), ("upper left", "左上部"))
    assert finding.next_step == "ask_unedited_original"


@pytest.mark.parametrize("kind", ("original", *PROCESSINGS, *RESAVES))
@pytest.mark.parametrize("seed", [3, 11])
def test_when_unedited_processed_or_resaved_then_not_flagged(kind: str, seed: int) -> None:
    data = _camera_jpeg(_texture(seed))
    variant = (
        data if kind == "original" else reprocess(data, kind) if kind in PROCESSINGS else resave(data, kind)
    )
    assert variant is not None
    finding = integrity_of(variant)
    assert not _fired(finding), finding.details.get("copy_move")
    assert finding.details["copy_move"]["pairs"] < MIN_CLONE_PAIRS / 2


def test_one_scene_twice_as_honest_look_alikes_are_is_not_a_clone() -> None:
    corpus("near-duplicates")
    path = CORPORA / "near-duplicates/imagededup/base_images/ukbench09012.jpg"
    with Image.open(path) as image:
        scene = np.asarray(image.convert("RGB"), dtype=np.float32)[:480, :320]
    rng = np.random.default_rng(1)
    nudged = cv2.warpAffine(
        scene, np.float32([[1, 0, 0.5], [0, 1, 0.3]]), (320, 480), borderMode=cv2.BORDER_REPLICATE
    )
    side_by_side = np.concatenate(
        [scene + rng.normal(0, 3, scene.shape), 0.96 * nudged + rng.normal(0, 3, scene.shape)], axis=1
    )
    finding = integrity_of(_camera_jpeg(side_by_side))
    assert not _fired(finding), finding.details["copy_move"]


def test_a_picture_without_a_cameras_exposure_is_not_searched() -> None:
    pixels = _texture(7)
    pixels[330:410, 460:560] = pixels[40:120, 60:160]
    buffer = io.BytesIO()
    Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(buffer, "JPEG", quality=90)
    finding = integrity_of(buffer.getvalue())
    assert "copy_move" not in finding.details
    assert not _fired(finding)


def test_the_finding_reads_in_both_languages() -> None:
    english, chinese = SUMMARIES["integrity.cloned_region"]
    params = {"where": "lower right", "where_zh": PLACES_ZH["lower right"]}
    assert "lower right" in english.format(**params)
    assert "右下部" in chinese.format(**params)


@pytest.mark.parametrize(("name", "share"), CORPUS_CLONES)
def test_a_patch_cloned_on_a_corpus_camera_photo_is_flagged(name: str, share: float) -> None:
    corpus(name.split("/")[0])
    finding = integrity_of(paint((CORPORA / name).read_bytes(), "clone", 7, share))
    assert _fired(finding), finding.details.get("copy_move")


def test_no_camera_or_phone_original_of_the_corpora_is_flagged() -> None:
    corpus("exif-camera-jpegs")
    searched = 0
    for path in camera_jpegs(CORPORA):
        try:
            finding = integrity_of(path.read_bytes())
        except PhotoError:
            continue
        searched += "copy_move" in finding.details
        assert not _fired(finding), (path.name, finding.details["copy_move"])
    assert searched >= 50


def _tiled_floor(seed: int, tilt: float, size: tuple[int, int] = (1536, 1152)) -> np.ndarray:
    """A floor of 96-pixel tiles seen at a slant, each tile with its own glaze, dark grout, sensor noise."""
    rng = np.random.default_rng(seed)
    tile, grout = 96, 5
    h, w = size[1] + 2 * tile, size[0] + 2 * tile
    pixels = np.full((h, w, 3), 60.0, np.float32)
    for top in range(0, h, tile):
        for left in range(0, w, tile):
            glaze = cv2.GaussianBlur(
                rng.normal(0, 1, (tile - grout, tile - grout)).astype(np.float32), (0, 0), 4
            )
            shade = 190 + rng.normal(0, 6) + 18 * glaze / glaze.std()
            pixels[top + grout : top + tile, left + grout : left + tile] = shade[..., None]
    corners = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    slanted = np.float32([[tilt * w, 0], [w - tilt * w, 0], [w, h], [0, h]])
    pixels = cv2.warpPerspective(pixels, cv2.getPerspectiveTransform(corners, slanted), (w, h))
    return pixels[tile : tile + size[1], tile : tile + size[0]] + rng.normal(0, 3, (size[1], size[0], 3))


@pytest.mark.parametrize("tilt", [0.0, 0.1])
def test_a_photo_of_a_tiled_floor_is_not_a_clone(tilt: float) -> None:
    # Every tile's grout matches its neighbours' (tens of thousands of candidate pairs), yet no two
    # tiles are alike to a grey level over a whole block.
    finding = integrity_of(_camera_jpeg(_tiled_floor(1, tilt)))
    assert "copy_move" in finding.details
    assert not _fired(finding), finding.details["copy_move"]
    assert finding.status.value == "pass"


def _printed_canvas(seed: int, tilt: float = 0.0, period: int = 58, size: tuple[int, int] = (640, 480)) -> np.ndarray:
    """A monogram canvas photographed straight down (or at a slant): letters and a flower half-dropped,
    repeated pixel for pixel every `period` pixels, lit from one side, vignetted, blurred by the lens,
    with sensor noise, as scripts/probe_clone_patterns.py draws its prints."""
    rng = np.random.default_rng(seed)
    big = 4 * period  # drawn large and shrunk, as a print's artwork is
    colours = rng.uniform(40, 220, (3, 3))
    canvas = np.empty((big, big, 3), np.uint8)
    canvas[:] = colours[0]
    for at in (0.25, 0.75):
        corner = (int((at - 0.18) * big), int((at + 0.1) * big))
        cv2.putText(canvas, "LV", corner, cv2.FONT_HERSHEY_TRIPLEX, big / 110, colours[1].tolist(), big // 40)
        cv2.circle(canvas, (int((1 - at) * big), int(at * big)), big // 8, colours[2].tolist(), -1)
    motif = cv2.resize(canvas.astype(np.float32), (period, period), interpolation=cv2.INTER_AREA)
    w, h = size
    pixels = np.tile(motif, (h // period + 1, w // period + 1, 1))[:h, :w]
    if tilt:
        corners = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
        slanted = np.float32([[tilt * w, 0], [w - tilt * w, 0], [w, h], [0, h]])
        matrix = cv2.getPerspectiveTransform(corners, slanted)
        pixels = cv2.warpPerspective(pixels, matrix, (w, h), borderMode=cv2.BORDER_WRAP)
    across, down = np.meshgrid(np.linspace(-0.5, 0.5, w), np.linspace(-0.5, 0.5, h))
    light = (1 + 0.2 * across + 0.1 * down) * (1 - 0.25 * (across**2 + down**2))
    pixels = cv2.GaussianBlur(pixels * light[..., None].astype(np.float32), (0, 0), 0.8)
    return pixels + rng.normal(0, 3, pixels.shape)


@pytest.mark.parametrize("tilt", [0.0, 0.1])
@pytest.mark.parametrize("seed", [1, 2])
def test_a_print_photographed_flat_or_at_a_slant_is_not_a_clone(seed: int, tilt: float) -> None:
    finding = integrity_of(_camera_jpeg(_printed_canvas(seed, tilt)))
    assert "copy_move" in finding.details
    assert not _fired(finding), finding.details["copy_move"]


def test_a_print_is_taken_for_a_clone_but_for_its_likeness_going_on(monkeypatch: pytest.MonkeyPatch) -> None:
    # The print's motif matches one period away by the thousand, and the period rule's other test,
    # a multiple on the same line, does not see it: only the likeness going on tells it from a clone.
    monkeypatch.setattr(copy_move, "MAX_GOING_ON", 1.0)
    finding = integrity_of(_camera_jpeg(_printed_canvas(1)))
    assert _fired(finding)
    assert finding.details["copy_move"]["pairs"] > 10 * MIN_CLONE_PAIRS


def test_a_patch_cloned_from_beside_itself_on_a_slanted_print_is_found() -> None:
    pixels = _printed_canvas(1, tilt=0.1)
    pixels[300:390, 380:480] = pixels[300:390, 260:360]  # the print beside it stamped over
    finding = integrity_of(_camera_jpeg(pixels))
    assert _fired(finding), finding.details["copy_move"]
    assert finding.details["copy_move"]["shift"] in ([120, 0], [-120, 0])


# Stamped twice or three times along a damage longer than the good patch beside it, also from the
# frame's edge, where the place before the source is not in the frame: three stamps from there go
# on both ways at half their pairs.
@pytest.mark.parametrize(("times", "left"), [(2, 100), (3, 100), (2, 0), (3, 0)])
@pytest.mark.parametrize("seed", [3, 11])
def test_a_patch_stamped_again_and_again_in_a_row_is_found(seed: int, times: int, left: int) -> None:
    # The likeness goes on past a copy to the next one, as a print's does, but never both ways.
    pixels = _texture(seed)
    patch = pixels[150:210, left : left + 60].copy()
    for stamp in range(1, times + 1):
        pixels[150:210, left + 80 * stamp : left + 60 + 80 * stamp] = patch
    finding = integrity_of(_camera_jpeg(pixels))
    assert _fired(finding), finding.details["copy_move"]
    assert finding.details["copy_move"]["shift"] in ([80, 0], [-80, 0])


def test_a_period_too_long_to_be_seen_both_ways_goes_on_the_one_way_the_frame_shows() -> None:
    # A motif repeated every 260 pixels across 640: no pair has both its sides in the frame.
    tile = np.random.default_rng(1).uniform(0, 255, (120, 260)).astype(np.float32)
    smooth = np.tile(tile, (1, 3))[:, :640]
    ys, xs = (grid.ravel() for grid in np.mgrid[0:112:4, 0:372:4])
    share = copy_move.likeness_going_on(smooth, ys, xs, np.arange(len(ys)), np.array([260, 0]))
    assert share > copy_move.MAX_GOING_ON
