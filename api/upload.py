"""Reading a multipart upload as it streams, with byte limits checked before anything is decoded.

Starlette's own form parser spools every file to disk with no size limit per file; here each part
is counted while it arrives, and the request is refused (413) as soon as a photo, a text field or
the whole body is over its limit, without reading the rest. Each photo is hashed as it arrives and
spooled: kept in memory up to SPOOL_MEMORY_BYTES, on disk (an unlinked temporary file) beyond, so
that uploads still arriving, or waiting for their turn to be analysed, hold little memory. Its
bytes are read back when the analysis needs them.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any

import anyio
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from evidence_check.errors import WordedError
from evidence_check.settings import UPLOADS_IN_FLIGHT as UPLOADS_IN_FLIGHT  # the slots this module hands out

if TYPE_CHECKING:
    from evidence_check.settings import Settings

MAX_FIELD_BYTES = 16 * 1024
MAX_PART_HEADER_BYTES = 16 * 1024
MAX_FIELDS = 64
MAX_BOUNDARY = 70  # RFC 2046 section 5.1.1
SPOOL_MEMORY_BYTES = 1024 * 1024
SLOT_WAIT_SECONDS = 10.0


class UploadRefused(WordedError):
    """What `read_request` raises for a body it will not take: a one-line reason, its status given by
    `refusal_status`. `fields_read`: the text fields that arrived whole before the refusal (a form
    drawn again keeps them)."""

    fields_read: dict[str, str]

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code, **params)
        self.fields_read = {}


class UploadTooLarge(UploadRefused):
    """Over a byte limit (HTTP 413); the message says which."""


class UploadInvalid(UploadRefused):
    """Not a multipart form we can read (HTTP 422); the message says why."""


class UploadNoRoom(UploadRefused):
    """The server has no room for the upload now (HTTP 503): too many in flight, or no disk to spool."""


class UploadSlots:
    """The process's upload slots, of which one tenant holds `per_tenant` at most: one key trickling
    uploads just above the minimum rate could otherwise hold all of them, and every other tenant's
    upload waited, then got 503. Used from the event loop's thread only."""

    def __init__(self, total: int, per_tenant: int) -> None:
        self.free = anyio.Semaphore(total)
        self.per_tenant = per_tenant
        # A tenant's own slots, and how many of its requests hold or wait for them; let go at none.
        self._tenants: dict[str, tuple[anyio.Semaphore, int]] = {}

    def held(self, tenant: str) -> int:
        """The slots `tenant` holds now (0 for a tenant none of whose uploads is in flight)."""
        own, _ = self._tenants.get(tenant, (None, 0))
        return 0 if own is None else self.per_tenant - own.value

    @asynccontextmanager
    async def hold(self, tenant: str) -> AsyncIterator[None]:
        """One slot while a body is read: the tenant's share first, then the process's, waiting up
        to SLOT_WAIT_SECONDS for both, else `UploadNoRoom` (a process that is full and a tenant over
        its share are answered alike). A request waiting here has not read its body: the client is
        held back by TCP, not by memory of ours."""
        own, users = self._tenants.get(tenant, (anyio.Semaphore(self.per_tenant), 0))
        self._tenants[tenant] = (own, users + 1)
        taken: list[anyio.Semaphore] = []
        try:
            with anyio.move_on_after(SLOT_WAIT_SECONDS):
                for slots in (own, self.free):  # a request over its share takes none of the process's
                    await slots.acquire()
                    taken.append(slots)
            if len(taken) < 2:
                raise UploadNoRoom("upload.busy")
            yield
        finally:
            for slots in taken:
                slots.release()
            own, users = self._tenants[tenant]
            if users == 1:
                del self._tenants[tenant]
            else:
                self._tenants[tenant] = (own, users - 1)


@dataclass(frozen=True)
class UploadedFile:
    field: str
    filename: str
    size: int
    sha256: str  # of the bytes, computed while they arrived
    spool: IO[bytes]

    @property
    def data(self) -> bytes:
        """The file's bytes, read back from the spool."""
        self.spool.seek(0)
        return self.spool.read()


@dataclass
class UploadedForm:
    fields: dict[str, str] = field(default_factory=dict)
    files: list[UploadedFile] = field(default_factory=list)

    def close(self) -> None:
        """Free the spooled files (their disk space, at once)."""
        for uploaded in self.files:
            uploaded.spool.close()

    def refuse_stray_files(self, files_field: str) -> None:
        """`UploadInvalid` for a file sent in another field than `files_field` (`photo` for `photos`):
        dropped, the claim would be verified without it."""
        stray_files = sorted({f.field for f in self.files if f.field != files_field})
        if stray_files:
            raise UploadInvalid("upload.files_in_wrong_field", expected=files_field, fields=", ".join(stray_files))

    def refuse_others(self, files_field: str, text_fields: Collection[str]) -> None:
        """`UploadInvalid` for a part the route does not take: a misspelt field (`zone` for `zones`,
        `kind` in the form instead of the query) would otherwise be dropped without a word."""
        self.refuse_stray_files(files_field)
        stray = sorted(set(self.fields) - set(text_fields))
        if stray:
            known = ", ".join([files_field, *text_fields])
            raise UploadInvalid("upload.unknown_field", field=stray[0], known=known)


@dataclass(frozen=True)
class UploadLimits:
    max_file_bytes: int
    max_request_bytes: int
    max_files: int

    @classmethod
    def of(cls, settings: Settings) -> UploadLimits:
        """The limits of a request that sends photos, as the settings give them."""
        return cls(settings.max_file_bytes, settings.max_request_bytes, settings.max_photos)


class _Collector:
    """The parser's callbacks: gathers parts and raises as soon as one is over its limit."""

    def __init__(self, limits: UploadLimits, refused_at_first_file: UploadTooLarge | None = None) -> None:
        self.limits = limits
        self.refused_at_first_file = refused_at_first_file
        self.form = UploadedForm()
        self._headers: dict[bytes, bytes] = {}
        self._part_header_size = 0
        self._header_field = b""
        self._header_value = b""
        self._name = ""
        self._filename: str | None = None
        self._chunks: list[bytes] = []  # a text field's (small)
        self._spool: IO[bytes] | None = None  # a file's
        self._hash = hashlib.sha256()
        self._size = 0
        self.ended = False  # the closing boundary was read

    def on_part_begin(self) -> None:
        self._headers = {}
        self._part_header_size = 0
        self._chunks = []
        self._spool = None
        self._hash = hashlib.sha256()
        self._size = 0

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]
        self._header_bytes(end - start)

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]
        self._header_bytes(end - start)

    def _header_bytes(self, n: int) -> None:
        self._part_header_size += n
        if self._part_header_size > MAX_PART_HEADER_BYTES:
            raise UploadInvalid("upload.part_headers_too_large", limit=size_text(MAX_PART_HEADER_BYTES))

    def on_header_end(self) -> None:
        self._headers[self._header_field.lower()] = self._header_value
        self._header_field = self._header_value = b""

    def on_headers_finished(self) -> None:
        disposition, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        if disposition != b"form-data" or b"name" not in options:
            raise UploadInvalid("upload.part_without_name")
        self._name = options[b"name"].decode("utf-8", "replace")
        raw_filename = options.get(b"filename")
        self._filename = None if raw_filename is None else raw_filename.decode("utf-8", "replace")
        if self._filename is not None and self.refused_at_first_file is not None:
            raise self.refused_at_first_file
        if self._filename is not None and len(self.form.files) >= self.limits.max_files:
            raise UploadTooLarge("upload.too_many_photos", max_files=self.limits.max_files)
        if self._filename is None and len(self.form.fields) >= MAX_FIELDS:
            raise UploadInvalid("upload.too_many_fields", max_fields=MAX_FIELDS)
        if self._filename is not None:
            # Closed by UploadedForm.close, or by discard when the upload is refused.
            self._spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY_BYTES)  # noqa: SIM115

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        self._size += end - start
        if self._spool is None:
            if self._size > MAX_FIELD_BYTES:
                # A file sent without a filename arrives as text: the limit is then not the photo's.
                raise UploadTooLarge("upload.field_too_large", field=self._name, limit=size_text(MAX_FIELD_BYTES))
            self._chunks.append(data[start:end])
            return
        if self._size > self.limits.max_file_bytes:
            raise UploadTooLarge(
                "upload.file_too_large", filename=self._filename, limit=size_text(self.limits.max_file_bytes)
            )
        piece = memoryview(data)[start:end]
        self._hash.update(piece)
        try:
            self._spool.write(piece)
        except OSError as exc:
            raise UploadNoRoom("upload.no_disk", problem=exc.strerror) from None

    def on_end(self) -> None:
        self.ended = True

    def discard(self) -> None:
        """Close every spooled file: the upload was refused or abandoned."""
        if self._spool is not None:
            self._spool.close()
            self._spool = None
        self.form.close()

    def on_part_end(self) -> None:
        spool, self._spool = self._spool, None
        if spool is not None:
            # A browser sends an empty, nameless part for a file input left empty.
            if self._filename or self._size:
                self.form.files.append(
                    UploadedFile(self._name, self._filename or "", self._size, self._hash.hexdigest(), spool)
                )
            else:
                spool.close()
            return
        data = b"".join(self._chunks)
        self._chunks = []
        if self._name in self.form.fields:
            raise UploadInvalid("upload.field_repeated", field=self._name)
        try:
            self.form.fields[self._name] = data.decode("utf-8")
        except UnicodeDecodeError:
            raise UploadInvalid("upload.field_not_utf8", field=self._name) from None


def refusal_status(refused: UploadRefused) -> int:
    """The HTTP status of an upload refused before or while it was read."""
    if isinstance(refused, UploadNoRoom):
        return 503
    return 413 if isinstance(refused, UploadTooLarge) else 422


async def read_request(
    request: Request, limits: UploadLimits, tenant: str, *, fields_first: bool = False
) -> UploadedForm:
    """`read_multipart` over a request's own headers and body, holding one of the process's upload
    slots (`UploadSlots.hold`) for `tenant` while it reads: the API's routes and the console's forms
    draw on the same `UPLOADS_IN_FLIGHT`, and a tenant on the same share of them."""
    slots: UploadSlots = request.app.state.uploads
    async with slots.hold(tenant):
        return await read_multipart(
            request.headers.get("content-type"),
            request.headers.get("content-length"),
            request.stream(),
            limits,
            fields_first=fields_first,
        )


async def read_multipart(
    content_type: str | None,
    content_length: str | None,
    body: AsyncIterator[bytes],
    limits: UploadLimits,
    *,
    fields_first: bool = False,
) -> UploadedForm:
    """Parse a multipart/form-data body from `body`, enforcing `limits` while it streams.

    On any error the files spooled so far are closed, and the refusal's `fields_read` holds the text
    fields read before it. `fields_first` (the console's form, whose photos come last): a body over
    the request limit, declared or found so, is still read up to its first file, its form's end or the
    limit, so that the form drawn again keeps its fields, and refused as over it; else it is refused
    before a byte more is read.
    """
    kind, options = parse_options_header(content_type or "")
    if kind != b"multipart/form-data" or not options.get(b"boundary"):
        raise UploadInvalid("upload.not_multipart")
    if len(options[b"boundary"]) > MAX_BOUNDARY:
        raise UploadInvalid("upload.boundary_too_long", max_boundary=MAX_BOUNDARY)
    oversized = None
    if content_length is not None:
        try:
            declared = int(content_length)
        except ValueError:
            raise UploadInvalid("upload.length_not_number") from None
        if declared > limits.max_request_bytes:
            oversized = UploadTooLarge("upload.request_too_large", limit=size_text(limits.max_request_bytes))
            if not fields_first:
                raise oversized
    collector = _Collector(limits, oversized)
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
            "on_end": collector.on_end,
        },
    )
    received = 0
    try:
        async for chunk in body:
            received += len(chunk)
            # Counted here too: a client may omit Content-Length (chunked) or understate it.
            if received > limits.max_request_bytes:
                if fields_first:  # the fields within the limit are read still
                    parser.write(chunk[: len(chunk) - (received - limits.max_request_bytes)])
                raise UploadTooLarge("upload.request_too_large", limit=size_text(limits.max_request_bytes))
            parser.write(chunk)
            if oversized is not None and collector.ended:
                break  # what may follow the closing boundary is ignored: not read on to the limit
        parser.finalize()
        if oversized is not None:  # no file in it, yet declared over the limit
            raise oversized
        # The parser does not check that the body ended (its finalize says so): a body cut short
        # would be read as the parts that arrived whole, and a claim recorded without the rest.
        if not collector.ended:
            raise UploadInvalid("upload.cut_short")
    except (FormParserError, UploadRefused) as exc:
        collector.discard()
        refused: UploadRefused
        if oversized is not None:  # its fields were read for the form drawn again; it was refused already
            refused = oversized
        elif isinstance(exc, FormParserError):
            refused = UploadInvalid("upload.malformed", problem=str(exc).splitlines()[0][:120])
        else:
            refused = exc
        refused.fields_read = dict(collector.form.fields)
        raise refused from None
    except BaseException:
        collector.discard()
        raise
    return collector.form


def size_text(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"
