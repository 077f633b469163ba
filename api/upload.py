"""Reading a multipart upload as it streams, with byte limits checked before anything is decoded.

Starlette's own form parser spools every file to disk with no size limit per file; here each part
is counted while it arrives, and the request is refused (413) as soon as a photo, a text field or
the whole body is over its limit, without reading the rest. Photos stay in memory: the analysis
needs their bytes anyway, and the limits bound how much that is.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

MAX_FIELD_BYTES = 16 * 1024
MAX_FIELDS = 64


class UploadTooLarge(Exception):
    """Over a byte limit (HTTP 413); the message says which."""


class UploadInvalid(Exception):
    """Not a multipart form we can read (HTTP 422); the message says why."""


@dataclass(frozen=True)
class UploadedFile:
    field: str
    filename: str
    data: bytes


@dataclass
class UploadedForm:
    fields: dict[str, str] = field(default_factory=dict)
    files: list[UploadedFile] = field(default_factory=list)


@dataclass(frozen=True)
class UploadLimits:
    max_file_bytes: int
    max_request_bytes: int
    max_files: int


class _Collector:
    """The parser's callbacks: gathers parts and raises as soon as one is over its limit."""

    def __init__(self, limits: UploadLimits) -> None:
        self.limits = limits
        self.form = UploadedForm()
        self._headers: dict[bytes, bytes] = {}
        self._header_field = b""
        self._header_value = b""
        self._name = ""
        self._filename: str | None = None
        # Views into the received chunks, joined once at the part's end: a 12 MP photo's 1.6 MB are
        # copied once here instead of three times (slice, bytearray growth, bytes()).
        self._chunks: list[memoryview] = []
        self._size = 0

    def on_part_begin(self) -> None:
        self._headers = {}
        self._chunks = []
        self._size = 0

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        self._headers[self._header_field.lower()] = self._header_value
        self._header_field = self._header_value = b""

    def on_headers_finished(self) -> None:
        disposition, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        if disposition != b"form-data" or b"name" not in options:
            raise UploadInvalid("every part needs Content-Disposition: form-data with a name")
        self._name = options[b"name"].decode("utf-8", "replace")
        raw_filename = options.get(b"filename")
        self._filename = None if raw_filename is None else raw_filename.decode("utf-8", "replace")
        if self._filename is not None and len(self.form.files) >= self.limits.max_files:
            raise UploadTooLarge(f"more than {self.limits.max_files} photos in one request")
        if self._filename is None and len(self.form.fields) >= MAX_FIELDS:
            raise UploadInvalid(f"more than {MAX_FIELDS} form fields")

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        self._chunks.append(memoryview(data)[start:end])
        self._size += end - start
        if self._filename is not None:
            if self._size > self.limits.max_file_bytes:
                raise UploadTooLarge(
                    f"photo {self._filename!r} is over the {_size(self.limits.max_file_bytes)} limit per file"
                )
        elif self._size > MAX_FIELD_BYTES:
            raise UploadTooLarge(f"field {self._name!r} is over {_size(MAX_FIELD_BYTES)}")

    def on_part_end(self) -> None:
        data = b"".join(self._chunks)
        self._chunks = []
        if self._filename is not None:
            # A browser sends an empty, nameless part for a file input left empty.
            if self._filename or data:
                self.form.files.append(UploadedFile(self._name, self._filename, data))
            return
        if self._name in self.form.fields:
            raise UploadInvalid(f"{self._name}: given more than once")
        try:
            self.form.fields[self._name] = data.decode("utf-8")
        except UnicodeDecodeError:
            raise UploadInvalid(f"{self._name}: not UTF-8 text") from None


async def read_multipart(
    content_type: str | None, content_length: str | None, body: AsyncIterator[bytes], limits: UploadLimits
) -> UploadedForm:
    """Parse a multipart/form-data body from `body`, enforcing `limits` while it streams."""
    kind, options = parse_options_header(content_type or "")
    if kind != b"multipart/form-data" or not options.get(b"boundary"):
        raise UploadInvalid("send the photos as multipart/form-data (Content-Type with a boundary)")
    if content_length is not None:
        try:
            declared = int(content_length)
        except ValueError:
            raise UploadInvalid("Content-Length is not a number") from None
        if declared > limits.max_request_bytes:
            raise UploadTooLarge(f"the request is over the {_size(limits.max_request_bytes)} limit")
    collector = _Collector(limits)
    parser = MultipartParser(
        options[b"boundary"],
        {
            "on_part_begin": collector.on_part_begin,
            "on_part_data": collector.on_part_data,
            "on_part_end": collector.on_part_end,
            "on_header_field": collector.on_header_field,
            "on_header_value": collector.on_header_value,
            "on_header_end": collector.on_header_end,
            "on_headers_finished": collector.on_headers_finished,
        },
    )
    received = 0
    try:
        async for chunk in body:
            received += len(chunk)
            # Counted here too: a client may omit Content-Length (chunked) or understate it.
            if received > limits.max_request_bytes:
                raise UploadTooLarge(f"the request is over the {_size(limits.max_request_bytes)} limit")
            parser.write(chunk)
        parser.finalize()
    except FormParserError as exc:
        raise UploadInvalid(f"the multipart body is malformed ({str(exc).splitlines()[0][:120]})") from None
    return collector.form


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"
