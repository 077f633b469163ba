"""The streaming multipart reader: parts come out byte for byte however the body is cut into
chunks, and the per-file limit holds across chunks."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator

import pytest

from api.upload import UploadedForm, UploadLimits, UploadTooLarge, read_multipart

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


@pytest.mark.parametrize("chunk", [1, 512, 1 << 20])
def test_the_file_limit_holds_across_chunks(chunk: int) -> None:
    with pytest.raises(UploadTooLarge, match="limit per file"):
        read(body(b"x" * (LIMITS.max_file_bytes + 1)), chunk)
    assert len(read(body(b"x" * LIMITS.max_file_bytes), chunk).files[0].data) == LIMITS.max_file_bytes
