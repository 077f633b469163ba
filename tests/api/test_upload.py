"""The streaming multipart reader: parts come out byte for byte however the body is cut into
chunks, the per-file limit holds across chunks, photos are spooled rather than held, and a process
reads a bounded number of uploads at once."""

from __future__ import annotations

import asyncio
import errno
import hashlib
import io
import os
import tempfile
import tracemalloc
from collections.abc import AsyncIterator
from typing import IO, Any

import anyio
import pytest

from api import upload
from api.upload import UploadedForm, UploadInvalid, UploadLimits, UploadNoRoom, UploadTooLarge, read_multipart

BOUNDARY = "----evidence-check-test"
LIMITS = UploadLimits(max_file_bytes=64 * 1024, max_request_bytes=1024 * 1024, max_files=4)


def body(photo: bytes, tz: str = "Asia/Shanghai") -> bytes:
    b = BOUNDARY.encode()
    return (
        b"--" + b + b'\r\nContent-Disposition: form-data; name="tz"\r\n\r\n' + tz.encode() + b"\r\n"
        b"--" + b + b'\r\nContent-Disposition: form-data; name="photos"; filename="a.jpg"\r\n'
        b"Content-Type: image/jpeg\r\n\r\n" + photo + b"\r\n--" + b + b"--\r\n"
    )


def read(raw: bytes, chunk: int, limits: UploadLimits = LIMITS) -> UploadedForm:
    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(raw), chunk):
            yield raw[start : start + chunk]

    return asyncio.run(
        read_multipart(f"multipart/form-data; boundary={BOUNDARY}", str(len(raw)), chunks(), limits)
    )


# Photo bytes that look like the body's own syntax (CR LF, dashes, part of the boundary) as well as
# random ones: the parser must not cut the photo where they occur.
TRICKY = b"\r\n--" + BOUNDARY.encode()[:-1] + b"\r\n\r\n-" + os.urandom(3000) + b"\r\r\n\n--"


@pytest.mark.parametrize("chunk", [1, 2, 7, 64, 1000, 4096, 1 << 20])
def test_a_photo_comes_out_byte_for_byte_whatever_the_chunks(chunk: int) -> None:
    form = read(body(TRICKY), chunk)
    assert form.fields == {"tz": "Asia/Shanghai"}
    assert [(f.field, f.filename) for f in form.files] == [("photos", "a.jpg")]
    assert form.files[0].data == TRICKY


@pytest.mark.parametrize("cut", [3, 4, 12, 200])
def test_a_body_cut_short_is_refused_not_read_as_the_parts_that_came_whole(cut: int) -> None:
    """Cut before its closing boundary, the body still holds the tz field whole: taken alone, it
    would be a claim without the photo (or, with more photos, recorded without the last)."""
    whole = body(TRICKY)
    assert read(whole[:-2], 512).files  # the CR LF after the closing boundary is optional (RFC 2046)
    with pytest.raises(UploadInvalid, match="cut short"):
        read(whole[:-cut], 512)


@pytest.mark.parametrize("chunk", [1, 512, 1 << 20])
def test_the_file_limit_holds_across_chunks(chunk: int) -> None:
    with pytest.raises(UploadTooLarge, match="limit per file"):
        read(body(b"x" * (LIMITS.max_file_bytes + 1)), chunk)
    assert len(read(body(b"x" * LIMITS.max_file_bytes), chunk).files[0].data) == LIMITS.max_file_bytes


@pytest.mark.parametrize("length", [71, 300])
def test_a_boundary_longer_than_the_rfc_allows_is_refused_as_invalid(length: int) -> None:
    async def nothing() -> AsyncIterator[bytes]:
        yield b""

    with pytest.raises(UploadInvalid, match="boundary is longer than 70"):
        asyncio.run(read_multipart(f"multipart/form-data; boundary={'b' * length}", None, nothing(), LIMITS))


def test_a_photo_is_spooled_not_held_in_memory_while_it_arrives() -> None:
    photo = os.urandom(8 * 1024 * 1024)
    limits = UploadLimits(max_file_bytes=len(photo), max_request_bytes=2 * len(photo), max_files=1)
    raw = body(photo)
    tracemalloc.start()
    try:
        form = read(raw, 64 * 1024, limits)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # The test's own body (8 MB) was allocated before tracing began; reading it held about the spool's
    # first megabyte and one chunk, not the photo.
    assert peak < 3 * 1024 * 1024
    (uploaded,) = form.files
    assert uploaded.size == len(photo) and uploaded.sha256 == hashlib.sha256(photo).hexdigest()
    assert uploaded.data == photo
    form.close()
    assert uploaded.spool.closed


def test_the_spooled_files_of_a_refused_upload_are_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[IO[bytes]] = []
    real = tempfile.SpooledTemporaryFile

    def recording(*args: Any, **kwargs: Any) -> IO[bytes]:
        opened.append(real(*args, **kwargs))
        return opened[-1]

    monkeypatch.setattr(upload.tempfile, "SpooledTemporaryFile", recording)
    b = BOUNDARY.encode()
    two = (
        b"--" + b + b'\r\nContent-Disposition: form-data; name="photos"; filename="a.jpg"\r\n\r\n' + b"a" * 100
        + b"\r\n--" + b + b'\r\nContent-Disposition: form-data; name="photos"; filename="b.jpg"\r\n\r\n'
        + b"b" * (LIMITS.max_file_bytes + 1) + b"\r\n--" + b + b"--\r\n"
    )  # fmt: skip
    with pytest.raises(UploadTooLarge):
        read(two, 4096)
    assert len(opened) == 2 and all(f.closed for f in opened)


def test_an_upload_waits_for_a_free_slot_and_is_refused_when_none_frees(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(upload, "SLOT_WAIT_SECONDS", 0.05)
    slots = upload.UploadSlots(total=1, per_tenant=1)

    async def second_while_first_reads() -> None:
        async with slots.hold("acme"):
            with pytest.raises(UploadNoRoom, match="too many uploads"):
                async with slots.hold("globex"):
                    pass
        async with slots.hold("globex"):  # free again
            assert slots.free.value == 0
        assert slots.free.value == 1

    anyio.run(second_while_first_reads)


def test_no_disk_to_spool_on_is_no_room_not_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    class FullDisk(io.BytesIO):
        def write(self, data: Any) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(upload.tempfile, "SpooledTemporaryFile", lambda **_kwargs: FullDisk())
    with pytest.raises(UploadNoRoom, match="no room to receive the photos"):
        read(body(b"photo bytes"), 4096)


def _read_counted(raw: bytes, declared: int, *, fields_first: bool) -> tuple[UploadTooLarge, int]:
    """The refusal of `raw` (its Content-Length said `declared`), and how many of its bytes were taken
    from the stream before it: the bytes a client can make the server read."""
    taken = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal taken
        for start in range(0, len(raw), 1024):
            taken += len(raw[start : start + 1024])
            yield raw[start : start + 1024]

    with pytest.raises(UploadTooLarge) as refused:
        asyncio.run(
            read_multipart(
                f"multipart/form-data; boundary={BOUNDARY}", str(declared), chunks(), LIMITS, fields_first=fields_first
            )
        )
    return refused.value, taken


def test_a_body_declared_over_the_limit_is_refused_before_a_byte_is_read_unless_its_fields_are_wanted() -> None:
    """The API's routes: refused on its Content-Length alone. The console's form (`fields_first`):
    read up to its first file, no further, its fields kept for the form drawn again."""
    raw = body(b"p" * 60_000)
    api_refusal, api_taken = _read_counted(raw, LIMITS.max_request_bytes + 1, fields_first=False)
    assert api_taken == 0 and api_refusal.code == "upload.request_too_large" and api_refusal.fields_read == {}
    console_refusal, console_taken = _read_counted(raw, LIMITS.max_request_bytes + 1, fields_first=True)
    assert console_refusal.code == "upload.request_too_large"
    assert console_refusal.fields_read == {"tz": "Asia/Shanghai"} and console_taken == 1024


def test_the_fields_of_a_body_over_the_limit_are_read_no_further_than_the_limit() -> None:
    """Declared within the limit, found over it (64 fields of 16 KiB, over LIMITS' 1 MiB): `fields_first`
    keeps the fields that arrived whole within the limit, and no more than the limit is read."""
    b = BOUNDARY.encode()
    fields = b"".join(
        b"--" + b + f'\r\nContent-Disposition: form-data; name="f{i}"\r\n\r\n'.encode()
        + b"v" * upload.MAX_FIELD_BYTES + b"\r\n"
        for i in range(upload.MAX_FIELDS)
    )  # fmt: skip
    assert len(fields) > LIMITS.max_request_bytes
    refusal, taken = _read_counted(fields + b"--" + b + b"--\r\n", 1, fields_first=True)
    assert refusal.code == "upload.request_too_large"
    assert taken <= LIMITS.max_request_bytes + 1024
    assert 0 < len(refusal.fields_read) < upload.MAX_FIELDS


def test_a_body_declared_over_the_limit_whose_form_ends_without_a_file_is_not_read_on() -> None:
    """After its closing boundary a body may go on (an epilogue, ignored): declared over the limit,
    the form ended with no file in it is refused there, not read on to the limit."""
    b = BOUNDARY.encode()
    form = b"--" + b + b'\r\nContent-Disposition: form-data; name="tz"\r\n\r\nAsia/Shanghai\r\n--' + b + b"--\r\n"
    raw = form + b"e" * (LIMITS.max_request_bytes - 200)
    refusal, taken = _read_counted(raw, LIMITS.max_request_bytes + 1, fields_first=True)
    assert refusal.code == "upload.request_too_large" and refusal.fields_read == {"tz": "Asia/Shanghai"}
    assert taken == 1024


@pytest.mark.parametrize(
    "raw",
    [
        b"--" + BOUNDARY.encode() + b"\r\n" + b" " * 16_379,  # no header, only spaces: malformed
        body(b"")[:60] + b"v" * (upload.MAX_FIELD_BYTES + 1),  # a field over its limit
    ],
    ids=["malformed", "a field too large"],
)
@pytest.mark.parametrize("fields_first", [False, True], ids=["api", "console"])
def test_a_body_declared_over_the_limit_is_refused_as_that_whatever_is_found_in_its_fields(
    raw: bytes, fields_first: bool
) -> None:
    """Read for its fields, a body declared over the limit was refused as what its reading met first
    (422 malformed where the API and the console before said 413, `test_connections`): it is refused for
    its size, as it was before a byte was read."""
    refusal, _taken = _read_counted(raw, 4 * 2**30, fields_first=fields_first)
    assert refusal.code == "upload.request_too_large"
