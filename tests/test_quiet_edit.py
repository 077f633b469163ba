"""The quiet-edit signal: damage painted by an editor that keeps the camera's EXIF and old thumbnail.

Must fire: a scratch, a stain, a cloned patch over 2-3 % of the frame, every EXIF byte kept.
Must fire too: a thin dark scratch over 1-2 % of the frame that the tone's 3x3 envelope takes in (the
line measure). Must not fire: the same photos untouched, or processed the whole way across as phones do when they
write the thumbnail from another stage (tone curve, HDR local tone, portrait blur, sharpening, noise),
or written again whole without an edit (re-saved, orientation tag turned, pixels turned),
and no camera or phone original of the corpora.
"""

from __future__ import annotations

import io
import sys

import numpy as np
import pytest
from PIL import Image

from evidence_check.checks.integrity.quiet_edit import (
    MIN_COLOUR_MASS,
    MIN_LINE_MASS,
    MIN_REGION_MASS,
    PLACES_ZH,
    joint_share,
)
from evidence_check.explain.integrity import SUMMARIES
from evidence_check.imaging.load import PhotoError
from evidence_check.imaging.thumbnail_local import LINE_FLOOR_MULTIPLE, _darker_line
from evidence_check.models import Finding
from tests.conftest import CORPORA, ROOT, corpus, integrity_of

sys.path.insert(0, str(ROOT / "fixtures"))
from make_fixtures import product_photo  # noqa: E402
from make_integrity_fixtures import with_thumbnail  # noqa: E402

from evidence_check.evaluation.quiet_edits import (  # noqa: E402
    EDITS,
    PROCESSINGS,
    RESAVES,
    camera_jpegs,
    paint,
    reprocess,
    resave,
)

# Camera photos of the corpora whose thumbnail is the camera's own (160x120 and larger).
CORPUS_BASES = (
    "exif-camera-jpegs/exif-py/jpg/tests/22-canon_tags.jpg",
    "exif-camera-jpegs/exif-py/jpg/hdr/iphone_hdr_NO.jpg",
    "exif-camera-jpegs/exif-py/jpg/tests/28-hex_value.jpg",
    "near-duplicates/threatexchange-pdq/exif-rotn/exif-rotn-6.jpg",
)
# Camera photos of the corpora resized to about 100x75 with the camera's preview kept (75x56 and the
# like), at most 1.5 times the preview's side: it holds nearly the photo's own resolution, so they
# are compared pixel by pixel.
SMALL_BASES = tuple(
    f"exif-camera-jpegs/exif-py/jpg/{name}.jpg"
    for name in (
        "Canon_40D",
        "Canon_DIGITAL_IXUS_400",
        "Fujifilm_FinePix6900ZOOM",
        "Kodak_CX7530",
        "Konica_Minolta_DiMAGE_Z3",
        "Nikon_COOLPIX_P1",
        "Olympus_C8080WZ",
        "Panasonic_DMC-FZ30",
        "Pentax_K10D",
        "Ricoh_Caplio_RR330",
        "Samsung_Digimax_i50_MP3",
        "WWL_Polaroid_ION230",
    )
)


def _camera_jpeg(seed: int) -> bytes:
    """A 1200x900 camera-like JPEG with sensor noise and its own 160x120 EXIF thumbnail."""
    clean = np.asarray(product_photo(seed, (1200, 900)), dtype=np.int16)
    noise = np.random.default_rng(seed).normal(0, 5, clean.shape).astype(np.int16)
    photo = Image.fromarray(np.clip(clean + noise, 0, 255).astype(np.uint8))
    return with_thumbnail(photo, photo, quality=92, preview_quality=85)


def _fired(finding: Finding) -> bool:
    return "thumbnail_local_edit" in finding.details["flags"]


@pytest.mark.parametrize("kind", EDITS)
@pytest.mark.parametrize("seed", [3, 11])
def test_when_damage_is_painted_and_exif_kept_then_flagged(kind: str, seed: int) -> None:
    finding = integrity_of(paint(_camera_jpeg(seed), kind, seed, 0.025))
    assert _fired(finding), finding.details.get("thumbnail_local")
    assert finding.status.value == "warn"
    assert finding.code == "integrity.thumbnail_local_edit"
    assert finding.params["where"] in PLACES_ZH
    assert 0 < finding.params["share"] < 10
    assert finding.next_step == "ask_unedited_original"


@pytest.mark.parametrize("kind", ("original", *PROCESSINGS))
@pytest.mark.parametrize("seed", [3, 11])
def test_when_unedited_or_processed_as_phones_do_then_not_flagged(kind: str, seed: int) -> None:
    data = _camera_jpeg(seed)
    finding = integrity_of(data if kind == "original" else reprocess(data, kind))
    assert finding.details["thumbnail_local"]["measured"] is True
    assert finding.details["thumbnail_local"]["per_pixel"] is False  # 1200x900 against 160x120
    assert not _fired(finding), finding.details["thumbnail_local"]


@pytest.mark.parametrize("kind", EDITS)
@pytest.mark.parametrize("form", ["PNG", "JPEG", "HEIF"])
def test_a_file_without_exif_is_painted_and_saved_without_exif(form: str, kind: str) -> None:
    """Nothing to keep is kept: a PNG, a JPEG no camera wrote, a HEIF (which holds None for its EXIF,
    a TypeError before) come back painted as JPEGs without EXIF."""
    photo = product_photo(5, (640, 480)).convert("RGB")
    buffer = io.BytesIO()
    photo.save(buffer, form)
    painted = paint(buffer.getvalue(), kind, 5, 0.03)
    with Image.open(io.BytesIO(painted)) as after:
        assert after.format == "JPEG" and not after.info.get("exif") and not after.getexif()
        moved = np.abs(np.asarray(after.convert("RGB"), np.int16) - np.asarray(photo, np.int16)).max(axis=2)
    assert (moved > 40).mean() > 0.005, (moved > 40).mean()  # the damage is there, over about 3 % of the frame


def test_the_place_of_the_edit_is_named() -> None:
    data = _camera_jpeg(5)
    with Image.open(io.BytesIO(data)) as image:
        exif = image.info["exif"]
        edited = image.convert("RGB")
    edited.paste((25, 20, 15), (60, 60, 300, 100))  # a dark bar in the upper left
    buffer = io.BytesIO()
    edited.save(buffer, "JPEG", quality=92, exif=exif)
    finding = integrity_of(buffer.getvalue())
    assert _fired(finding)
    assert finding.params["where"] == "upper left"
    assert finding.params["where_zh"] == "左上部"


def test_the_finding_reads_in_both_languages() -> None:
    english, chinese = SUMMARIES["integrity.thumbnail_local_edit"]
    params = {"where": "centre", "where_zh": PLACES_ZH["centre"], "share": 1.5}
    assert "centre" in english.format(**params) and "1.5" in english.format(**params)
    assert "中央" in chinese.format(**params)


def test_a_photo_without_exif_is_not_measured() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (90, 90, 90)).save(buffer, "JPEG")
    finding = integrity_of(buffer.getvalue())
    assert "thumbnail_local" not in finding.details
    assert not _fired(finding)


def test_the_corpora_camera_jpegs_are_jpegs_whatever_their_names() -> None:
    corpus("heif-avif-webp")
    listed = camera_jpegs(CORPORA)
    assert len(listed) > 100
    assert (CORPORA / "heif-avif-webp/exif-py/heic_hdlr_box.jpg").exists()  # a HEIF named .jpg
    assert all(path.read_bytes()[:3] == b"\xff\xd8\xff" for path in listed)


def test_no_camera_or_phone_original_of_the_corpora_is_flagged() -> None:
    corpus("exif-camera-jpegs")
    read = 0
    for path in camera_jpegs(CORPORA):
        try:
            finding = integrity_of(path.read_bytes())
        except PhotoError:
            continue
        read += 1
        assert not _fired(finding), f"{path.relative_to(CORPORA)}: {finding.details.get('thumbnail_local')}"
    assert read > 100


@pytest.mark.parametrize("base", CORPUS_BASES)
@pytest.mark.parametrize("kind", EDITS)
def test_quiet_edits_of_corpus_camera_photos_are_flagged(base: str, kind: str) -> None:
    corpus(base.split("/")[0])
    edited = paint((CORPORA / base).read_bytes(), kind, 7, 0.03)
    finding = integrity_of(edited)
    assert _fired(finding), finding.details.get("thumbnail_local")
    assert "editor_software" not in finding.details["flags"]  # the camera's own Software tag is kept


@pytest.mark.parametrize("kind", RESAVES)
def test_when_written_again_whole_without_an_edit_then_not_flagged(kind: str) -> None:
    corpus("exif-camera-jpegs")
    data = (CORPORA / CORPUS_BASES[0]).read_bytes()
    again = resave(data, kind)
    assert again is not None
    with Image.open(io.BytesIO(data)) as before, Image.open(io.BytesIO(again)) as after:
        turned = after.size == before.size[::-1]
        orientation = (before.getexif().get(0x0112), after.getexif().get(0x0112))
        exif_kept = after.info["exif"] == before.info["exif"]
    if kind == "orientation_tag":
        assert orientation == (1, 6) and len(again) == len(data)
    else:
        assert exif_kept and turned == (kind == "rotated_pixels")
    finding = integrity_of(again)
    assert not _fired(finding), finding.details.get("thumbnail_local")


@pytest.mark.parametrize(
    "base",
    # the second saved again by Nikon Transfer after capture: its preview vouches for the pixels
    (CORPUS_BASES[0], "exif-camera-jpegs/exif-py/jpg/gps/DSCN0010.jpg"),
)
def test_when_the_pixels_are_turned_and_the_preview_left_then_only_noted(base: str) -> None:
    corpus("exif-camera-jpegs")
    data = (CORPORA / base).read_bytes()
    assert "saved_after_capture" in integrity_of(data).details["notes"] or base == CORPUS_BASES[0]
    turned = integrity_of(resave(data, "rotated_pixels") or b"")
    assert turned.details["flags"] == [] and "thumbnail_turned" in turned.details["notes"]
    assert turned.details["thumbnail_local"]["turn"] == 90 and not _fired(turned)


@pytest.mark.parametrize("kind", EDITS)
def test_when_damage_is_painted_and_the_pixels_turned_then_compared_with_the_turned_preview(kind: str) -> None:
    corpus("exif-camera-jpegs")
    painted = paint((CORPORA / CORPUS_BASES[0]).read_bytes(), kind, 7, 0.01)
    finding = integrity_of(resave(painted, "rotated_pixels") or b"")
    assert _fired(finding), finding.details.get("thumbnail_local")
    assert finding.details["thumbnail_local"]["turn"] == 90


def test_when_the_turned_preview_shows_another_picture_then_still_a_mismatch() -> None:
    corpus("exif-camera-jpegs")
    data = (CORPORA / CORPUS_BASES[0]).read_bytes()
    with Image.open(io.BytesIO(data)) as image:
        exif = image.info["exif"]
        width, height = image.size
        other = image.convert("RGB").transpose(Image.Transpose.ROTATE_270).crop((0, 0, height, width // 2))
    buffer = io.BytesIO()
    other.save(buffer, "JPEG", quality=92, exif=exif)  # turned, then half of it cut away
    finding = integrity_of(buffer.getvalue())
    assert "thumbnail_mismatch" in finding.details["flags"]
    assert "thumbnail_turned" not in finding.details["notes"]


@pytest.mark.parametrize(
    ("base", "kind", "seed"),
    # 1 % stains: a brown blot of ~75 pixels that a 3x3 envelope of the preview took in
    [("Nikon_COOLPIX_P1", "stain", 81), ("Fujifilm_FinePix6900ZOOM", "stain", 41)],
)
def test_a_quiet_edit_of_a_photo_hardly_larger_than_its_preview_is_judged_per_pixel(
    base: str, kind: str, seed: int
) -> None:
    corpus("exif-camera-jpegs")
    path = CORPORA / f"exif-camera-jpegs/exif-py/jpg/{base}.jpg"
    share = 0.01 if base == "Nikon_COOLPIX_P1" else 0.03
    finding = integrity_of(paint(path.read_bytes(), kind, seed, share))
    assert finding.details["thumbnail_local"]["per_pixel"] is True
    assert _fired(finding), finding.details["thumbnail_local"]
    # The photo is too small to verify, and says so, but the edit found on it decides the finding.
    assert finding.code == "integrity.thumbnail_local_edit" and "too_small" in finding.details["notes"]


@pytest.mark.parametrize("base", SMALL_BASES)
def test_photos_hardly_larger_than_their_preview_are_not_flagged_untouched_processed_or_resaved(
    base: str,
) -> None:
    corpus("exif-camera-jpegs")
    data = (CORPORA / base).read_bytes()
    variants = [("original", data)] + [(kind, reprocess(data, kind)) for kind in PROCESSINGS]
    variants += [(kind, again) for kind in RESAVES if (again := resave(data, kind)) is not None]
    for kind, variant in variants:
        local = integrity_of(variant).details.get("thumbnail_local", {})
        if kind == "original":
            assert local["per_pixel"] is True
        assert local.get("region_mass", 0.0) < MIN_REGION_MASS, (kind, local)


@pytest.mark.parametrize(
    ("base", "seed", "share"),
    # brown stains whose brightness the preview's tone comparison takes for the surface's (region_mass
    # 8.4 and 7.9, under MIN_REGION_MASS): a 12 MP photo with a 160x120 preview, a 4032x3024 one
    [
        ("exif-camera-jpegs/exif-py/jpg/corrupted.jpg", 211, 0.02),
        ("near-duplicates/threatexchange-pdq/exif-rotn/exif-rotn-3.jpg", 1101, 0.01),
    ],
)
def test_when_a_stain_differs_from_the_surface_in_hue_only_then_flagged_by_colour(
    base: str, seed: int, share: float
) -> None:
    corpus(base.split("/")[0])
    finding = integrity_of(paint((CORPORA / base).read_bytes(), "stain", seed, share))
    local = finding.details["thumbnail_local"]
    assert local["region_mass"] < MIN_REGION_MASS
    assert _fired(finding), local
    assert local["fired_on"] == "colour" and local["colour_mass"] >= 2 * MIN_COLOUR_MASS


def test_a_patch_recoloured_at_the_same_brightness_is_seen_by_the_colour_comparison() -> None:
    data = _camera_jpeg(7)
    with Image.open(io.BytesIO(data)) as image:
        exif = image.info["exif"]
        pixels = np.asarray(image.convert("RGB"), dtype=np.float32)
    patch = pixels[640:760, 880:1040]
    grey = patch.mean(axis=2, keepdims=True)
    pixels[640:760, 880:1040] = grey * np.array([1.35, 0.95, 0.55], dtype=np.float32)  # same brightness, orange
    buffer = io.BytesIO()
    Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(buffer, "JPEG", quality=92, exif=exif)
    finding = integrity_of(buffer.getvalue())
    assert _fired(finding), finding.details["thumbnail_local"]
    assert finding.details["thumbnail_local"]["colour_mass"] >= MIN_COLOUR_MASS
    assert finding.params["where"] == "lower right"


def test_a_stain_that_moves_tone_and_colour_a_little_in_one_place_is_flagged_by_both_together() -> None:
    # olympus-c960.jpg (640x480, its preview 160x120), the bench's 1 % stain: region_mass 8.0 and
    # colour_mass 6.6, each under its own threshold, in one place
    corpus("exif-camera-jpegs")
    data = (CORPORA / "exif-camera-jpegs/exif-py/jpg/exif-org/olympus-c960.jpg").read_bytes()
    finding = integrity_of(paint(data, "stain", 291, 0.01))
    local = finding.details["thumbnail_local"]
    assert local["region_mass"] < MIN_REGION_MASS and local["colour_mass"] < MIN_COLOUR_MASS, local
    assert _fired(finding), local
    assert local["fired_on"] == "tone and colour"
    assert joint_share(local["region_mass"], local["colour_mass"]) >= 1.15  # not at the edge


@pytest.mark.parametrize(
    "base",
    # the honest photos whose tone or colour disagrees most in one re-processing (HDR, sharpened, tone
    # curve): where both regions overlap, the two shares added stay under 1 with a margin
    (
        "exif-camera-jpegs/pillow/iptc.jpg",
        "near-duplicates/imagededup/base_images/ukbench09060.jpg",
        "exif-camera-jpegs/exif-py/jpg/exif-org/olympus-c960.jpg",
    ),
)
def test_honest_reprocessings_stay_under_the_tone_and_colour_taken_together(base: str) -> None:
    corpus(base.split("/")[0])
    data = (CORPORA / base).read_bytes()
    for kind, variant in [("original", data)] + [(kind, reprocess(data, kind)) for kind in PROCESSINGS]:
        finding = integrity_of(variant)
        local = finding.details["thumbnail_local"]
        assert not _fired(finding), (kind, local)
        assert joint_share(local["region_mass"], local["colour_mass"]) < 0.8, (kind, local)


@pytest.mark.parametrize(
    "base",
    # the honest camera photos whose re-processings' colour disagrees most (sharpened, tone curve)
    (
        "near-duplicates/imagededup/base_images/ukbench09060.jpg",
        "exif-camera-jpegs/exif-py/jpg/exif-org/sony-cybershot.jpg",
        "exif-camera-jpegs/exif-py/jpg/exif-org/olympus-c960.jpg",
    ),
)
def test_the_colour_of_honest_reprocessings_stays_under_its_threshold(base: str) -> None:
    corpus(base.split("/")[0])
    data = (CORPORA / base).read_bytes()
    for kind, variant in [("original", data)] + [(kind, reprocess(data, kind)) for kind in PROCESSINGS]:
        local = integrity_of(variant).details["thumbnail_local"]
        assert local["colour_mass"] < MIN_COLOUR_MASS, (kind, local)
        assert local["colour_mass"] < 0.8 * MIN_COLOUR_MASS, (kind, local)  # with a margin


@pytest.mark.parametrize(
    ("base", "seed", "share"),
    # the bench's scratches (seed and share as bench_integrity.py paints them) whose 1-3-pixel line at
    # preview scale the tone's envelope takes in (region_mass 2.0 and 2.2): a 2 % scratch across a gun
    # barrel and a lawn, a 1 % one through a tree's leaves
    [
        ("exif-camera-jpegs/exif-py/jpg/exif-org/nikon-e950.jpg", 280, 0.02),
        ("exif-camera-jpegs/exif-py/jpg/gps/DSCN0021.jpg", 390, 0.01),
    ],
)
def test_a_thin_scratch_across_what_the_preview_shows_is_flagged_by_the_line(base: str, seed: int, share: float) -> None:
    corpus("exif-camera-jpegs")
    finding = integrity_of(paint((CORPORA / base).read_bytes(), "scratch", seed, share))
    local = finding.details["thumbnail_local"]
    assert local["region_mass"] < MIN_REGION_MASS and local["colour_mass"] < MIN_COLOUR_MASS, local
    assert _fired(finding), local
    assert local["fired_on"] == "line" and local["line_mass"] >= 1.1 * MIN_LINE_MASS, local


@pytest.mark.parametrize(
    ("base", "kinds"),
    # the honest cases whose line measure is largest on the bench: a street of thin poles and window
    # frames the preview softens (untouched 1.64, and each re-processing and re-save the largest of its
    # kind but the portrait blur's), a 100x72 photo turned and re-encoded (2.16), the portrait blur's
    # largest, and the sharpened and HDR re-processings whose lines along the judged part's border
    # the measure leaves out
    [
        ("exif-camera-jpegs/exif-py/jpg/gps/DSCN0042.jpg", ("original", *PROCESSINGS, *RESAVES)),
        ("exif-camera-jpegs/exif-py/jpg/Pentax_K10D.jpg", ("rotated_pixels",)),
        ("exif-camera-jpegs/exif-py/jpg/exif-org/sanyo-vpcg250.jpg", ("portrait_blur",)),
        ("exif-camera-jpegs/exif-py/jpg/exif-org/olympus-c960.jpg", ("sharpened",)),
        ("exif-camera-jpegs/exif-py/jpg/tests/45-gps_ifd.jpg", ("hdr_local_tone",)),
    ],
)
def test_honest_lines_along_the_previews_own_edges_stay_under_the_line_threshold(
    base: str, kinds: tuple[str, ...]
) -> None:
    corpus("exif-camera-jpegs")
    data = (CORPORA / base).read_bytes()
    for kind in kinds:
        variant = data if kind == "original" else resave(data, kind) if kind in RESAVES else reprocess(data, kind)
        if variant is None:  # no Orientation tag to turn
            continue
        finding = integrity_of(variant)
        local = finding.details["thumbnail_local"]
        assert not _fired(finding), (kind, local)
        assert local["line_mass"] < 0.85 * MIN_LINE_MASS, (kind, local)  # with a margin


def _darkened(rows: slice, judged_to_the_edge: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A flat predicted preview, the photo 20 levels darker on `rows` (10 floors of 2), and the judged
    pixels: all of them, or all but a 4-pixel frame as the alignment leaves."""
    predicted = np.full((40, 40, 3), 128, np.float32)
    photo = predicted.copy()
    photo[rows] -= 20
    valid = np.ones((40, 40), bool)
    if not judged_to_the_edge:
        valid[:4] = valid[-4:] = False
        valid[:, :4] = valid[:, -4:] = False
    return photo, predicted, valid


def test_the_line_measure_follows_a_thin_darker_line_and_not_a_broad_band() -> None:
    line = _darker_line(*_darkened(slice(20, 21)), 2.0)
    assert line[20, 12:28].min() > 5 * LINE_FLOOR_MULTIPLE, line[20]
    assert line[:17].max() < LINE_FLOOR_MULTIPLE and line[24:].max() < LINE_FLOOR_MULTIPLE
    band = _darker_line(*_darkened(slice(14, 27)), 2.0)  # darker on both sides too: shading, not a line
    assert band.max() < LINE_FLOOR_MULTIPLE, band.max()


def test_the_line_measure_sees_no_line_at_the_border_of_a_part_judged_to_the_arrays_edge() -> None:
    # Darker everywhere: the sides beyond the array read nothing darker, against which the first
    # pixels inside would stand out as lines.
    everywhere = _darker_line(*_darkened(slice(None), judged_to_the_edge=True), 2.0)
    assert everywhere.max() < LINE_FLOOR_MULTIPLE, np.argwhere(everywhere >= LINE_FLOOR_MULTIPLE)[:5]
