"""The loader's bounds: the decoded-size budget checked from the header, the strip-wise working copy
that never holds a second full-size picture, and files that are not regular files."""

from __future__ import annotations

import io
import os
import struct
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from evidence_check.imaging import load
from evidence_check.imaging.load import Limits, PhotoError, load_photo, read_file
from evidence_check.settings import Settings
from tests.conftest import CORPORA, FIXTURES
from tests.png_headers import png_header_only

MIB = 1024 * 1024


def encoded(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


@pytest.mark.parametrize(
    ("width", "height", "bit_depth", "colour_type", "declared"),
    [
        (16000, 16000, 8, 2, "(16000x16000 RGB) needs 977 MiB"),  # issue 21: 8-bit RGB, 0.7 MB of zeros
        (16000, 16000, 16, 6, "(16000x16000 RGBA) needs 977 MiB"),
        (16000, 15500, 8, 4, "(16000x15500 LA) needs 946 MiB"),
    ],
)
def test_a_png_over_the_default_budget_is_refused_from_its_header(
    width: int, height: int, bit_depth: int, colour_type: int, declared: str
) -> None:
    with pytest.raises(PhotoError) as refused:
        load_photo(png_header_only(width, height, bit_depth, colour_type), "big.png")
    message = str(refused.value)
    assert declared in message and "over the 896 MiB decoding limit" in message
    assert "EVIDENCE_CHECK_MAX_DECODED_BYTES" in message and "\n" not in message


def test_the_budget_is_a_setting_that_reaches_the_loader(monkeypatch: pytest.MonkeyPatch) -> None:
    from evidence_check.service import limits_from

    monkeypatch.setenv("EVIDENCE_CHECK_MAX_DECODED_BYTES", str(64 * MIB))
    limits = limits_from(Settings())
    assert limits.max_decoded_bytes == 64 * MIB
    with pytest.raises(PhotoError, match="\\(10000x10000 L\\) needs 95 MiB to decode, over the 64 MiB decoding limit"):
        load_photo(png_header_only(10000, 10000, 8, 0), "grey.png", limits)


def test_a_grey_png_under_the_budget_is_refused_only_when_the_budget_is_smaller() -> None:
    picture = Image.new("L", (3000, 2000), 90)
    data = encoded(picture, "PNG")
    assert load_photo(data, "grey.png", Limits(max_decoded_bytes=16 * MIB)).working.size == (1024, 683)
    with pytest.raises(PhotoError, match="\\(3000x2000 L\\) needs 6 MiB to decode, over the 5 MiB"):
        load_photo(data, "grey.png", Limits(max_decoded_bytes=5 * MIB))


def test_a_jpeg_counts_at_the_reduced_scale_it_is_decoded_at() -> None:
    data = encoded(Image.new("RGB", (6000, 4000), (120, 90, 60)), "JPEG", quality=80)
    # Full size would be 6000x4000x4 = 92 MiB; libjpeg decodes it at 1/4, 1500x1000 (6 MiB).
    assert load_photo(data, "big.jpg", Limits(max_decoded_bytes=8 * MIB)).working.size == (1024, 683)


def test_a_webp_counts_the_decoders_own_copies() -> None:
    picture = Image.effect_noise((1500, 1000), 30).convert("RGB")
    as_png, as_webp = encoded(picture, "PNG"), encoded(picture, "WEBP", quality=80)
    limits = Limits(max_decoded_bytes=16 * MIB)  # 1.5 MP: 6 MiB in Pillow, 23 MiB with libwebp's copies
    assert load_photo(as_png, "a.png", limits).working.size == (1024, 683)
    with pytest.raises(PhotoError, match="\\(1500x1000 RGB\\) needs 23 MiB"):
        load_photo(as_webp, "a.webp", limits)


def reference_working_copy(picture: Image.Image, size: int = 1024) -> Image.Image:
    """The working copy made the plain way: the whole picture converted, then resized."""
    rgb = load._to_rgb(picture)
    if max(picture.size) <= size:
        return rgb
    ratio = size / max(picture.size)
    target = (round(picture.width * ratio), round(picture.height * ratio))
    return rgb.resize(target, Image.Resampling.BILINEAR, reducing_gap=load.REDUCING_GAP)


def gradient(width: int, height: int, top: int) -> np.ndarray:
    rows = np.linspace(0, top, height)[:, None] * np.linspace(0.2, 1.0, width)[None, :]
    return rows.astype(np.int64)


@pytest.mark.parametrize(
    "make",
    [
        # 16-bit grey whose upper rows are all dark: a strip scaled by its own largest value would
        # come out brighter than the same rows scaled by the picture's.
        lambda: Image.fromarray(gradient(2600, 1900, 65535).astype(np.uint16)),
        lambda: Image.fromarray(gradient(2600, 1900, 255).astype(np.uint8)).convert("L"),
        lambda: Image.fromarray(np.dstack([gradient(2600, 1900, 255)] * 3 + [gradient(2600, 1900, 200)[::-1]]).astype(np.uint8)),
        lambda: Image.fromarray(gradient(2600, 1900, 255).astype(np.uint8)).convert("P"),
        lambda: Image.fromarray(np.dstack([gradient(2500, 3100, 255)] * 3).astype(np.uint8)),
    ],
    ids=["I;16", "L", "RGBA", "P", "RGB tall"],
)
def test_the_strip_by_strip_working_copy_is_the_plain_one(make, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(load, "STRIP_BYTES", 256 * 1024)  # many strips, the last one short
    picture = make()
    photo = load_photo(encoded(picture, "PNG"), "p.png")
    with Image.open(io.BytesIO(encoded(picture, "PNG"))) as reopened:
        reopened.load()
        expected = reference_working_copy(reopened)
    assert photo.working.size == expected.size
    assert np.array_equal(np.asarray(photo.working), np.asarray(expected))


@pytest.mark.parametrize(
    "path",
    [
        FIXTURES / "genuine_after_delivery.heic",
        # Its rows are padded to a stride that is not a whole number of pixels.
        CORPORA / "malformed-images" / "pillow-heif" / "invalid_id.heic",
        CORPORA / "heif-avif-webp" / "exif-py" / "HMD_Nokia_8.3_5G_hdr.heif",
    ],
    ids=lambda path: path.name,
)
def test_a_heic_read_from_libheifs_buffer_gives_the_working_copy_pillow_would(path: Path) -> None:
    if not path.is_file():
        pytest.skip(f"needs {path} (../shared/corpora is present in CI, not in a fresh clone)")
    data = path.read_bytes()
    with Image.open(io.BytesIO(data)) as opened:
        opened.load()
        expected = reference_working_copy(opened)
    photo = load_photo(data, path.name)
    assert np.array_equal(np.asarray(photo.working), np.asarray(load.upright(expected, photo.orientation)))


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "photo.jpg"
    os.mkfifo(fifo)
    with pytest.raises(PhotoError, match="^is a named pipe \\(FIFO\\), not a regular file$"):
        read_file(fifo, Limits())


@pytest.mark.parametrize(
    ("path", "words"),
    [("/dev/zero", "is a device, not a regular file"), (".", "is a folder, not a file")],
)
def test_devices_and_folders_are_refused(path: str, words: str) -> None:
    with pytest.raises(PhotoError, match=words):
        read_file(Path(path), Limits())


def test_a_regular_file_is_read_whole_and_an_oversized_one_refused(tmp_path: Path) -> None:
    photo = tmp_path / "a.jpg"
    photo.write_bytes((FIXTURES / "no_exif.jpg").read_bytes())
    assert read_file(photo, Limits()) == photo.read_bytes()
    with pytest.raises(PhotoError, match="over the 0.0 MB limit"):
        read_file(photo, Limits(max_bytes=1024))


@pytest.mark.parametrize("size", [(10, 16394), (16394, 10), (1, 3000)])
def test_a_jpeg_thinner_than_its_reduced_scale_loads(size: tuple[int, int]) -> None:
    """Found by scripts/fuzz_loader.py: the draft size of a 10x16394 JPEG rounded to 0, and Pillow
    divided by it (ZeroDivisionError, which no caller expects)."""
    photo = load_photo(encoded(Image.new("RGB", size, (40, 80, 120)), "JPEG"), "strip.jpg")
    assert max(photo.working.size) <= 1024 and min(photo.working.size) >= 1


def test_a_progressive_jpeg_counts_the_coefficients_libjpeg_keeps_at_full_size() -> None:
    picture = Image.effect_noise((1500, 1000), 30).convert("RGB").resize((3000, 2000))
    limits = Limits(max_decoded_bytes=8 * MIB)
    # Baseline: decoded at 1/2 (1500x1000 in Pillow: 6 MiB). Progressive: every coefficient of the
    # 4:2:0 picture stays, 3000x2000x1.5 samples x 2 bytes = 17 MiB more, whatever the scale.
    assert load_photo(encoded(picture, "JPEG", quality=80), "a.jpg", limits).working.size == (1024, 683)
    with pytest.raises(PhotoError, match="\\(3000x2000 RGB, progressive\\) needs 23 MiB to decode"):
        load_photo(encoded(picture, "JPEG", quality=80, progressive=True), "a.jpg", limits)


def tiny_gif(frame: tuple[int, int], junk: bytes = b"") -> bytes:
    """A GIF with a 0x32 logical screen whose one frame, disposed to the background, is `frame` large
    (the shape of a 47-byte file the fuzzer found: Pillow filled 240 MB at open)."""
    control = b"\x21\xf9\x04\x08\x00\x00\x00\x00"  # graphic control: disposal 2 (to background)
    descriptor = b"\x2c" + struct.pack("<HHHH", 0, 0, *frame) + b"\x00"
    pixels = b"\x02\x02\x44\x01\x00"  # LZW: minimum code size 2, one sub-block
    return b"GIF89a" + struct.pack("<HH", 0, 32) + b"\x00\x00\x00" + junk + control + descriptor + pixels + b";"


@pytest.mark.parametrize("junk", [b"", b"\x00\x00\xa2\x8a"])
def test_a_gif_frame_over_the_budget_is_refused_before_pillow_opens_it(
    junk: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[object] = []
    monkeypatch.setattr(load.Image, "open", lambda *a, **k: opened.append(a) or pytest.fail("opened"))
    limits = Limits(max_decoded_bytes=64 * 1024 * 1024)
    with pytest.raises(PhotoError, match=r"declares a 9000x8000 frame, which needs 137 MiB"):
        load_photo(tiny_gif((9000, 8000), junk), "claim.gif", limits)
    with pytest.raises(PhotoError, match=r"declares a 20000x14000 frame \(280 MP\), over the 260 MP limit"):
        load_photo(tiny_gif((20000, 14000), junk), "claim.gif", limits)
    assert opened == []


def test_a_small_gif_frame_still_loads() -> None:
    photo = load_photo(encoded(Image.new("P", (40, 30), 3), "GIF"), "claim.gif", Limits(max_decoded_bytes=1 << 20))
    assert (photo.width, photo.height) == (40, 30)
