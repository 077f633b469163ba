"""The integrity measurements one by one: each must fire where it should and stay quiet elsewhere."""

from __future__ import annotations

import io
import os
import struct
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image, PngImagePlugin

from evidence_check.checks import integrity
from evidence_check.checks.context import CheckContext
from evidence_check.checks.integrity import channel, editing, generated, screens, small_photo
from evidence_check.checks.integrity.signals import Facts, Signal
from evidence_check.imaging.embedded_text import MAX_TEXT_BYTES, png_text, webp_text
from evidence_check.imaging.jpeg_header import read_jpeg_header
from evidence_check.imaging.jpeg_quality import STD_LUMA, fingerprint_tables
from evidence_check.imaging.load import PhotoError, load_photo
from evidence_check.imaging.provenance import Provenance, read_provenance
from evidence_check.imaging.spectrum import periodic_peaks
from evidence_check.imaging.thumbnail import compare_thumbnail, extract_thumbnail
from evidence_check.models import Claim, Status, Timeline, Verdict
from evidence_check.scoring import photo_verdict
from evidence_check.settings import Settings
from tests.conftest import FIXTURES, corpus

INTEGRITY = FIXTURES.parent / "integrity"
TEST_ROOT = Path(__file__).parent / "data" / "c2pa_test_root.pem"
NOT_IMAGES = {".md", ".csv", ".txt", ".pem", ".cfg"}


def jpeg(quality: int | None = None, **options: object) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (120, 60, 30)).save(buffer, "JPEG", quality=quality or 75, **options)
    return buffer.getvalue()


def corpus_photos(*names: str) -> list[Path]:
    files: list[Path] = []
    for name in names:
        files += [p for p in corpus(name).rglob("*") if p.is_file() and p.suffix.lower() not in NOT_IMAGES]
    return sorted(files)


# --- JPEG header and quantisation tables -------------------------------------------------------


@pytest.mark.parametrize("quality", [10, 50, 75, 85, 95, 100])
def test_when_pillow_writes_standard_tables_then_kind_and_quality_are_exact(quality: int) -> None:
    header = read_jpeg_header(jpeg(quality))
    assert header is not None and "APP0:JFIF" in header.segments
    tables = fingerprint_tables(header.qtables)
    assert tables is not None and (tables.kind, tables.quality) == ("standard", quality)


def test_when_tables_are_a_cameras_own_then_kind_is_custom() -> None:
    own = [max(1, v // 3 + (i % 5)) for i, v in enumerate(STD_LUMA)]
    header = read_jpeg_header(jpeg(qtables=[own, own]))
    assert header is not None
    tables = fingerprint_tables(header.qtables)
    assert tables is not None and tables.kind == "custom"


@pytest.mark.parametrize(
    "data",
    [b"", b"not a jpeg at all", b"\xff\xd8", b"\xff\xd8\xff\xdb\x00\x43\x00", b"\xff\xd8" + os.urandom(4000)],
    ids=["empty", "text", "soi-only", "cut-dqt", "random"],
)
def test_when_header_is_hostile_then_reading_never_raises(data: bytes) -> None:
    header = read_jpeg_header(data)
    if header is not None:
        fingerprint_tables(header.qtables)


def test_sixteen_bit_tables_are_read() -> None:
    header = read_jpeg_header(
        (corpus("malformed-images") / "pillow" / "hopper_16bit_qtables.jpg").read_bytes()
    )
    assert header is not None and max(max(t) for t in header.qtables.values()) > 255


# --- EXIF thumbnail ----------------------------------------------------------------------------


def test_thumbnail_is_compared_after_orientation() -> None:
    photo = load_photo((INTEGRITY / "thumbnail_matches_orientation_6.jpg").read_bytes(), "t.jpg")
    header = read_jpeg_header(photo.data)
    assert header is not None and header.exif_tiff is not None
    thumbnail = extract_thumbnail(header.exif_tiff)
    assert thumbnail is not None
    upright = compare_thumbnail(thumbnail, 6, photo.working)
    unturned = compare_thumbnail(thumbnail, 1, photo.working)
    assert upright is not None and unturned is not None
    assert upright.similarity > 0.95 and upright.aspect_change < 1.05
    assert unturned.aspect_change > editing.THUMBNAIL_MAX_ASPECT_CHANGE


@pytest.mark.parametrize(
    "tiff",
    [b"", b"II*\x00", b"II*\x00\x08\x00\x00\x00\xff\xff", b"MM\x00*" + b"\xff" * 64],
    ids=["empty", "header-only", "huge-count", "bad-offsets"],
)
def test_when_exif_block_is_broken_then_no_thumbnail(tiff: bytes) -> None:
    assert extract_thumbnail(tiff) is None


def exif_with_thumbnail_ifd1(order: str, declared_entries: int, preview: bytes) -> bytes:
    """An EXIF block: an empty IFD0 chained to an IFD1 that holds the thumbnail's offset (a LONG) and
    length (a SHORT, whose two bytes sit first in the value field) and 254 filler entries, declaring
    `declared_entries` entries, then the preview."""
    ifd1, count = 14, 256
    start = ifd1 + 2 + 12 * count + 4
    entries = struct.pack(order + "HHII", 0x0201, 4, 1, start)
    entries += struct.pack(order + "HHIHH", 0x0202, 3, 1, len(preview), 0)
    entries += struct.pack(order + "HHIHH", 0x9999, 3, 1, 0, 0) * (count - 2)
    header = (b"II*\x00" if order == "<" else b"MM\x00*") + struct.pack(order + "IHI", 8, 0, ifd1)
    return header + struct.pack(order + "H", declared_entries) + entries + b"\0" * 4 + preview


@pytest.mark.parametrize("order", ["<", ">"], ids=["little-endian", "big-endian"])
def test_an_ifd1_that_declares_more_entries_than_the_block_holds_gives_no_thumbnail(order: str) -> None:
    # The bound every EXIF walk of ours shares (metadata.read_tiff_directory): a count that does not fit
    # is damage, even where the entries that are there name a thumbnail.
    preview = jpeg()
    assert extract_thumbnail(exif_with_thumbnail_ifd1(order, 256, preview)) == preview
    assert extract_thumbnail(exif_with_thumbnail_ifd1(order, 1000, preview)) is None
    assert extract_thumbnail(exif_with_thumbnail_ifd1(order, 0xFFFF, preview)) is None


def test_camera_thumbnails_in_the_corpus_match_their_photos() -> None:
    """Untouched camera files (exif.org originals, phones) must not look stale."""
    names = [
        "exif-org/canon-ixus.jpg",
        "exif-org/nikon-e950.jpg",
        "exif-org/ricoh-rdc5300.jpg",
        "hdr/iphone_hdr_NO.jpg",
    ]
    for name in names:
        photo = load_photo((corpus("exif-camera-jpegs") / "exif-py" / "jpg" / name).read_bytes(), name)
        claim = Claim(claim_id="t", timeline=Timeline())
        finding = integrity.check(photo, claim, CheckContext(settings=Settings(), now=datetime.now(UTC)))
        assert "thumbnail_mismatch" not in finding.details["flags"], name


# --- Screens -----------------------------------------------------------------------------------


def test_moire_fires_on_a_photo_of_a_screen_and_not_on_the_same_kind_of_photo() -> None:
    moire = periodic_peaks(load_photo((INTEGRITY / "screen_photo_moire.jpg").read_bytes(), "m.jpg").working)
    plain = periodic_peaks(load_photo((INTEGRITY / "plain_camera_photo.jpg").read_bytes(), "p.jpg").working)
    assert moire is not None and plain is not None
    assert moire.peak_db >= screens.MOIRE_PEAK_DB > plain.peak_db


def test_moire_never_fires_on_real_photos_in_the_corpora() -> None:
    loud = []
    for path in corpus_photos("exif-camera-jpegs", "heif-avif-webp", "near-duplicates", "damaged-packages"):
        try:
            photo = load_photo(path.read_bytes(), path.name)
        except PhotoError:
            continue
        reading = periodic_peaks(photo.working)
        if reading is not None and reading.peak_db >= screens.MOIRE_PEAK_DB:
            loud.append((path.name, round(reading.peak_db, 1)))
    assert loud == []


def test_a_picture_too_small_for_a_spectrum_gives_no_reading() -> None:
    assert periodic_peaks(Image.new("RGB", (100, 80))) is None


# --- Text chunks and generator markers ----------------------------------------------------------


def test_png_text_chunks_of_every_kind_are_read() -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", "plain")
    info.add_text("prompt", "x" * 500, zip=True)
    info.add_itxt("workflow", "统一", zip=True)
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, "PNG", pnginfo=info)
    chunks = png_text(buffer.getvalue()).chunks
    assert chunks == {"parameters": "plain", "prompt": "x" * 500, "workflow": "统一"}


def test_a_compressed_chunk_inflates_no_further_than_the_limit() -> None:
    payload = b"prompt\x00\x00" + zlib.compress(b"a" * (MAX_TEXT_BYTES * 40))
    chunk = struct.pack(">I", len(payload)) + b"zTXt" + payload + b"\x00\x00\x00\x00"
    text = png_text(b"\x89PNG\r\n\x1a\n" + chunk).chunks["prompt"]
    assert len(text) == MAX_TEXT_BYTES


def test_webp_xmp_is_read() -> None:
    assert b"Adobe Firefly" in webp_text((INTEGRITY / "ai_firefly.webp").read_bytes()).xmp


@pytest.mark.parametrize(
    "text",
    [
        "Midjourney v6",
        "DALL·E 3",
        "DALL-E",
        "Adobe Firefly Image 3",
        "Stable Diffusion XL",
        "ComfyUI",
        "即梦AI",
    ],
)
def test_generator_names_fire(text: str) -> None:
    assert generated.GENERATOR_NAMES.search(text)


@pytest.mark.parametrize(
    "text",
    ["Adobe Photoshop 25.0", "GIMP 2.10", "Google", "17.1", "Editor de imagen", "HDR+ 1.0", "Flux capacitor"],
)
def test_editor_and_firmware_strings_are_not_generators(text: str) -> None:
    assert not generated.GENERATOR_NAMES.search(text)


def test_plain_algorithmic_media_is_not_a_generator_marker() -> None:
    text = b"http://cv.iptc.org/newscodes/digitalsourcetype/algorithmicMedia"
    assert not generated.SOURCE_TYPE.search(text)
    assert generated.SOURCE_TYPE.search(
        text.replace(b"algorithmicMedia", b"compositeWithTrainedAlgorithmicMedia")
    )


# --- Editing traces ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "software",
    [
        "GIMP 2.4.5",
        "Adobe Photoshop CC 2017 (Macintosh)",
        "Snapseed 2.0",
        "美图秀秀",
        "PicsArt",
        "Lightroom Mobile",
    ],
)
def test_editor_names_fire(software: str) -> None:
    assert editing.EDITORS.search(software)


@pytest.mark.parametrize(
    "software",
    [
        "HDR+ 1.0.540104767zd",
        "G930VVRS4BQI1",
        "15.2.1",
        "MIUI Camera",
        "Google",
        "SLT-A58 v1.01",
        "S938BXXS3AYDA",
    ],
)
def test_phone_and_camera_firmware_is_not_an_editor(software: str) -> None:
    assert not editing.EDITORS.search(software)


@pytest.mark.parametrize(
    ("saved", "saved_offset", "taken", "taken_offset", "fires"),
    [
        ("2026:11:16 21:05:00", None, "2026:11:15 09:30:00", None, True),
        ("2026:11:15 09:31:00", None, "2026:11:15 09:30:00", None, False),
        # the same instant written in two zones: not a later save
        ("2026:11:15 01:30:00", "+00:00", "2026:11:15 09:30:00", "+08:00", False),
        # one offset only: the clock readings are compared
        ("2026:11:15 12:00:00", "+08:00", "2026:11:15 09:30:00", None, True),
        ("2026:11:15 08:00:00", None, "2026:11:15 09:30:00", None, False),
    ],
)
def test_saved_after_capture(
    saved: str, saved_offset: str | None, taken: str, taken_offset: str | None, fires: bool
) -> None:
    exif = Image.Exif()
    exif[0x0132] = saved
    sub = exif.get_ifd(0x8769)
    sub[0x9003] = taken
    if saved_offset:
        sub[0x9010] = saved_offset
    if taken_offset:
        sub[0x9011] = taken_offset
    photo = load_photo(jpeg(exif=exif), "t.jpg")
    assert (editing._saved_later(photo, None) is not None) is fires


@pytest.mark.parametrize(("similarity", "status"), [(0.99, Status.UNKNOWN), (0.9, Status.WARN), (None, Status.WARN)])
def test_a_later_save_is_only_noted_when_the_thumbnail_vouches_for_the_pixels(
    similarity: float | None, status: Status
) -> None:
    exif = Image.Exif()
    exif[0x0132] = "2026:11:25 21:05:00"
    exif.get_ifd(0x8769)[0x9003] = "2026:11:15 09:30:00"
    photo = load_photo(jpeg(exif=exif), "t.jpg")
    thumbnail = None
    if similarity is not None:
        thumbnail = Signal("thumbnail_matches", Status.UNKNOWN, 0.0, "integrity.thumbnail_matches", {}, {"similarity": similarity})
    found = editing._saved_later(photo, thumbnail)
    assert found is not None and found.status is status
    assert found.code == ("integrity.resaved_pixels_kept" if status is Status.UNKNOWN else "integrity.saved_after_capture")
    assert (found.score > 0) is (status is Status.WARN)


def test_camera_files_saved_again_by_transfer_software_are_not_doubted() -> None:
    """The corpora's camera originals written again days later (Nikon Transfer, CAMEDIA Master, a photo
    gallery, a camcorder's own later save) with their preview still showing the picture: a note, no flag."""
    folder = corpus("exif-camera-jpegs") / "exif-py" / "jpg"
    for name in ("gps/DSCN0010.jpg", "exif-org/olympus-c960.jpg", "tests/28-hex_value.jpg", "Sony_HDR-HC3.jpg"):
        photo = load_photo((folder / name).read_bytes(), Path(name).name)
        reading = editing.read(photo, None, Facts.of(photo), None)  # type: ignore[arg-type]
        saved = [s for s in reading.signals if s.name == "saved_after_capture"]
        assert saved and saved[0].status is Status.UNKNOWN and saved[0].code == "integrity.resaved_pixels_kept", name
        assert not [s for s in reading.signals if s.status is Status.WARN], name


# --- Channel hints -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "app"),
    [
        ("mmexport1700000000000.jpg", "WeChat"),
        ("微信图片_20261115093000.jpg", "WeChat"),
        ("IMG-20261115-WA0003.jpg", "WhatsApp"),
        ("photo_2026-11-15_09-30-00.jpg", "Telegram"),
        ("received_123456789012345.jpeg", "Facebook Messenger"),
    ],
)
def test_chat_app_file_names_are_recognised(name: str, app: str) -> None:
    assert any(pattern.search(name) and found == app for pattern, found in channel.FILE_NAMES)


@pytest.mark.parametrize(
    "name", ["IMG_20261115_093000.jpg", "DSC01234.JPG", "PXL_20261115_093000123.jpg", "photo.jpg"]
)
def test_camera_file_names_are_not_chat_apps(name: str) -> None:
    assert not any(pattern.search(name) for pattern, _app in channel.FILE_NAMES)


def test_a_chat_app_name_on_a_photo_that_kept_its_exif_needs_no_explanation() -> None:
    data = (INTEGRITY / "plain_camera_photo.jpg").read_bytes()
    photo = load_photo(data, "IMG-20261115-WA0001.jpg")
    finding = integrity.check(
        photo, Claim(claim_id="t", timeline=Timeline()), CheckContext(Settings(), datetime.now(UTC))
    )
    assert finding.code == "integrity.no_traces"
    assert finding.details["channel"]["app"] == "WhatsApp"


# --- C2PA provenance ----------------------------------------------------------------------------

C2PA = [
    ("A.jpg", "absent"),
    ("C.jpg", "valid"),
    ("CA.jpg", "valid"),
    ("boxhash.jpg", "valid"),
    ("XCA.jpg", "invalid"),
    ("E-sig-CA.jpg", "invalid"),
    ("CIE-sig-CA.jpg", "invalid"),
    ("cloud.jpg", "remote"),
]


@pytest.mark.parametrize(("name", "state"), C2PA)
def test_c2pa_states_offline_with_the_shipped_anchors(name: str, state: str) -> None:
    data = (corpus("c2pa") / "images" / name).read_bytes()
    assert read_provenance(data, "JPEG").state == state


def test_c2pa_signed_by_an_anchor_we_trust_is_trusted() -> None:
    data = (corpus("c2pa") / "images" / "C.jpg").read_bytes()
    provenance = read_provenance(data, "JPEG", TEST_ROOT.read_text())
    assert provenance.state == "trusted" and "C2PA Signer" in (provenance.signer or "")


def check_c2pa(name: str, settings: Settings | None = None) -> tuple[str, str, dict[str, object]]:
    data = (corpus("c2pa") / "images" / name).read_bytes()
    photo = load_photo(data, name)
    context = CheckContext(settings=settings or Settings(), now=datetime.now(UTC))
    finding = integrity.check(photo, Claim(claim_id="t", timeline=Timeline()), context)
    return finding.status.value, finding.code, dict(finding.details)


def test_c2pa_hash_mismatch_fails_the_photo() -> None:
    status, code, details = check_c2pa("XCA.jpg")
    assert (status, code) == ("fail", "integrity.c2pa_invalid")
    assert "assertion.dataHash.mismatch" in details["c2pa"]["failures"]  # type: ignore[index]


def test_c2pa_untrusted_signer_is_reported_not_penalised() -> None:
    assert check_c2pa("C.jpg")[:2] == ("pass", "integrity.c2pa_untrusted")


def test_c2pa_trusted_signer_is_positive_evidence() -> None:
    status, code, details = check_c2pa("C.jpg", Settings(c2pa_trust_anchors=TEST_ROOT))
    assert (status, code) == ("pass", "integrity.c2pa_trusted")
    assert details["provenance_trusted"] is True


def test_c2pa_remote_manifest_is_reported_not_fetched() -> None:
    _status, _code, details = check_c2pa("cloud.jpg")
    assert "c2pa_remote" in details["notes"]  # type: ignore[operator]
    assert details["c2pa"]["state"] == "remote"  # type: ignore[index]


def test_c2pa_actions_declaring_generated_content_are_named() -> None:
    trained = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
    assert Provenance("valid", source_types=(trained,)).declares_generated == "trainedAlgorithmicMedia"
    capture = "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture"
    assert Provenance("valid", source_types=(capture,)).declares_generated is None


# --- The goal on real camera photos ----------------------------------------------------------------


def test_no_camera_photo_in_the_corpora_fails_integrity() -> None:
    context = CheckContext(settings=Settings(), now=datetime.now(UTC))
    failed = []
    for path in corpus_photos("exif-camera-jpegs", "heif-avif-webp"):
        try:
            photo = load_photo(path.read_bytes(), path.name)
        except PhotoError:
            continue
        finding = integrity.check(photo, Claim(claim_id="t", timeline=Timeline()), context)
        if finding.status.value == "fail":
            failed.append((path.name, finding.code))
    assert failed == []


PHONE_ORIGINALS = [
    "exif-camera-jpegs/exif-py/jpg/hdr/iphone_hdr_NO.jpg",
    "exif-camera-jpegs/exif-py/jpg/mobile/HMD_Nokia_8.3_5G.jpg",
    "exif-camera-jpegs/exif-py/jpg/mobile/jolla.jpg",
    "exif-camera-jpegs/pillow/frame_size.mpo",
    "near-duplicates/threatexchange-pdq/exif-rotn/exif-rotn-6.jpg",
    "heif-avif-webp/exif-py/iphone_13_pro_max.heic",
    "heif-avif-webp/exif-py/HMD_Nokia_8.3_5G_hdr.heif",
    "heif-avif-webp/pillow-heif/arrow.heic",
    "heif-avif-webp/pillow-heif/aux_YCbCr.heic",
    "heif-avif-webp/pillow-heif/xiaomi.heic",
    "heif-avif-webp/pillow-heif/pug.heic",
]


@pytest.mark.parametrize("name", PHONE_ORIGINALS, ids=[n.rsplit("/", 1)[-1] for n in PHONE_ORIGINALS])
def test_phone_originals_pass_with_nothing_flagged(name: str) -> None:
    folder, _, rest = name.partition("/")
    path = corpus(folder) / rest
    photo = load_photo(path.read_bytes(), path.name)
    context = CheckContext(settings=Settings(), now=datetime.now(UTC))
    finding = integrity.check(photo, Claim(claim_id="t", timeline=Timeline()), context)
    # Pillow's 56x70 MPO sample holds too few pixels to have looked for anything: said, not doubted.
    small = photo.width * photo.height < small_photo.MIN_PIXELS
    assert (finding.status.value, finding.code, finding.details["flags"]) == (
        ("unknown", "integrity.too_small", []) if small else ("pass", "integrity.no_traces", [])
    )


# --- A photo too small to verify -----------------------------------------------------------------


def _sized_jpeg(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.effect_noise((width, height), 40).convert("RGB").save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("size", "too_small"),
    [((100, 75), True), ((250, 199), True), ((250, 200), False), ((348, 348), False), ((640, 480), False)],
)
def test_a_photo_under_the_pixel_floor_says_it_is_too_small_without_doubting_it(
    size: tuple[int, int], too_small: bool
) -> None:
    photo = load_photo(_sized_jpeg(*size), "photo.jpg")
    finding = integrity.check(
        photo, Claim(claim_id="t", timeline=Timeline()), CheckContext(Settings(), datetime.now(UTC))
    )
    if too_small:
        assert (finding.status, finding.score, finding.code) == (Status.UNKNOWN, 0.0, "integrity.too_small")
        assert finding.params == {"width": size[0], "height": size[1]}
        assert finding.next_step == "ask_full_size_photo"
        assert "too_small" in finding.details["notes"] and finding.details["flags"] == []
        # Scored 0 and not a look the verdict waits for: the size alone sends no claim to a person.
        assert photo_verdict({"integrity": finding}) is Verdict.ACCEPT
    else:
        assert (finding.status, finding.code) == (Status.PASS, "integrity.no_traces")
        assert "too_small" not in finding.details["notes"]


def test_an_editor_later_in_the_xmp_history_is_found() -> None:
    packet = (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        b'<rdf:Description rdf:about="" xmlns:stEvt="http://ns.adobe.com/xap/1.0/sType/ResourceEvent#">'
        b"<xmpMM:History><rdf:Seq>"
        b'<rdf:li stEvt:action="created" stEvt:softwareAgent="MIUI Camera"/>'
        b"<rdf:li><stEvt:action>saved</stEvt:action><stEvt:softwareAgent>Meitu 9.2</stEvt:softwareAgent></rdf:li>"
        b"</rdf:Seq></xmpMM:History></rdf:Description></rdf:RDF></x:xmpmeta>"
    )
    photo = load_photo(jpeg(xmp=packet), "t.jpg")
    finding = integrity.check(photo, Claim(claim_id="t", timeline=Timeline()), CheckContext(Settings(), datetime.now(UTC)))
    assert (finding.code, finding.params["software"]) == ("integrity.editor", "Meitu 9.2")
