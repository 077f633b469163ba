"""The EXIF readers on damaged directories: a file gets its picture read and its metadata marked
damaged, quickly, whatever entry counts its EXIF directories claim (found by the loader's fuzzer)."""

from __future__ import annotations

import io
import struct

import pytest
from PIL import Image

from evidence_check.imaging import metadata
from evidence_check.imaging.load import Limits, load_photo
from evidence_check.settings import Settings
from tests.conftest import corpus

SETTINGS = Settings()
LIMITS = Limits(
    max_bytes=SETTINGS.max_file_bytes,
    max_pixels=SETTINGS.max_pixels,
    working_size=SETTINGS.working_size,
    max_decoded_bytes=SETTINGS.max_decoded_bytes,
)


def jpeg_with_exif(tiff: bytes) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (90, 120, 150)).save(out, "JPEG", quality=80)
    data = out.getvalue()
    body = b"Exif\x00\x00" + tiff
    return data[:2] + b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body + data[2:]


def tiff_with_ifd0(count: int, entries: bytes = b"") -> bytes:
    return b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", count) + entries


def entry(tag: int, kind: int, n: int, value: int) -> bytes:
    return struct.pack("<HHII", tag, kind, n, value)


@pytest.fixture
def exifread_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    import exifread

    calls: list[int] = []
    real = exifread.process_file

    def counting(handle, **options):  # type: ignore[no-untyped-def]
        calls.append(1)
        return real(handle, **options)

    monkeypatch.setattr(exifread, "process_file", counting)
    return calls


def test_a_directory_claiming_65535_entries_in_a_tiny_file_is_damage_not_a_second_opinion(
    exifread_calls: list[int],
) -> None:
    photo = load_photo(jpeg_with_exif(tiff_with_ifd0(0xFFFF, b"YYYYYYYYYY")), "claim.jpg", LIMITS)
    assert (photo.width, photo.height) == (32, 24)
    assert not photo.metadata.has_exif
    assert any("claim more entries than the file holds" in p for p in photo.metadata.problems)
    assert exifread_calls == []


def test_an_exif_sub_directory_that_overflows_is_caught_too(exifread_calls: list[int]) -> None:
    # IFD0 holds one entry pointing to an Exif directory at 26 that claims 4,000 entries
    ifd0 = tiff_with_ifd0(1, entry(0x8769, 4, 1, 26) + struct.pack("<I", 0))
    tiff = ifd0 + struct.pack("<H", 4000) + b"\x00" * 12
    assert metadata._ifds_fit(memoryview(tiff)) is False
    assert metadata._ifds_fit(memoryview(ifd0 + struct.pack("<H", 1) + entry(0x9003, 2, 4, 0) + b"\0" * 4))


def test_a_loop_of_directories_ends() -> None:
    # IFD0 at 8 with no entries, whose next directory is itself
    assert metadata._ifds_fit(memoryview(tiff_with_ifd0(0) + struct.pack("<I", 8)))


def test_every_camera_exif_pillow_reads_fits() -> None:
    """The guard refuses no real camera's EXIF: all of the corpus's JPEGs that Pillow reads pass it."""
    checked = 0
    for path in sorted(corpus("exif-camera-jpegs").rglob("*")):
        if path.suffix.lower() not in (".jpg", ".jpeg", ".mpo"):
            continue
        with Image.open(path) as image:
            block = image.info.get("exif")
            readable = bool(block) and bool(image.getexif())
        if readable:
            assert metadata._ifds_fit(memoryview(block)[6:]), path.name
            checked += 1
    assert checked >= 20
