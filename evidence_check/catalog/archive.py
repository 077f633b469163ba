"""A catalog sent as one zip archive: its manifest and the images the manifest names.

The archive is read, never extracted: images are read by name from it, into memory, one at a
time, each counted as it is decompressed. What an archive may hold is bounded before anything is
measured (`ArchiveLimits`), and an archive over a bound is refused whole, with one line:

- entries (files and folders) at most `max_entries`; images the manifest names at most `max_images`
  (counted each time a row names one);
- each image at most `max_file_bytes` once decompressed, all of them together at most
  `max_total_bytes`, and none decompressing to more than `max_ratio` times its compressed size
  (a photo barely compresses; a zip bomb expands thousands of times);
- no name that leaves the archive (``..``, an absolute path, a drive letter, a backslash), no
  two entries with the same name, no archive inside it, no encrypted entry.

The manifest is ``manifest.jsonl`` or ``manifest.csv`` at the archive's root or in its one top
folder (zipping a folder puts it there); image names are read relative to it, as the command line
reads them relative to the manifest's folder. An image name the archive does not hold, or one
leading out of the manifest's folder tree, is skipped like an unreadable file, with its reason.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO

from evidence_check.catalog.manifest import KINDS, ManifestEntry, manifest_kind, parse_manifest
from evidence_check.errors import WordedError

MANIFEST_NAMES = tuple(f"manifest{kind}" for kind in KINDS)
MAX_MANIFEST_BYTES = 16 * 1024 * 1024
ARCHIVE_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"\x1f\x8b", b"7z\xbc\xaf", b"Rar!")
_READ_CHUNK = 1024 * 1024
_DRIVE = re.compile(r"^[A-Za-z]:")


class ArchiveRefused(WordedError, ValueError):
    """The archive as a whole cannot be imported; the message says why in one line."""


@dataclass(frozen=True)
class ArchiveLimits:
    max_entries: int = 10_000
    max_images: int = 1_000
    max_file_bytes: int = 100 * 1024 * 1024
    max_total_bytes: int = 1024 * 1024 * 1024
    max_ratio: int = 100


@dataclass(frozen=True)
class CatalogArchive:
    """The manifest's entries, and a reader of the images they name (bytes, or why not)."""

    entries: tuple[ManifestEntry, ...]
    read_image: Callable[[str], tuple[bytes | None, WordedError | None]]


def open_catalog_archive(file: IO[bytes], limits: ArchiveLimits) -> CatalogArchive:
    """Check the archive's bounds and parse its manifest; `ArchiveRefused` when either fails."""
    try:
        archive = zipfile.ZipFile(file)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
        raise ArchiveRefused("archive.unreadable", problem=_one_line(exc)) from None
    members = archive.infolist()
    if len(members) > limits.max_entries:
        raise ArchiveRefused("archive.too_many_entries", entries=len(members), limit=limits.max_entries)
    by_name: dict[str, zipfile.ZipInfo] = {}
    for member in members:
        _check_name(member.filename)
        if member.filename in by_name:
            raise ArchiveRefused("archive.entry_twice", entry=member.filename)
        if member.flag_bits & 0x1:
            raise ArchiveRefused("archive.encrypted", entry=member.filename)
        if member.filename.lower().endswith((".zip", ".gz", ".tgz", ".7z", ".rar", ".tar")):
            raise ArchiveRefused("archive.nested", entry=member.filename)
        by_name[member.filename] = member
    manifest = _find_manifest(by_name)
    folder = posixpath.dirname(manifest.filename)
    # Text compresses far better than photos: the manifest has a size bound, not a ratio.
    text = _read(archive, manifest, MAX_MANIFEST_BYTES, MAX_MANIFEST_BYTES)
    try:
        entries = tuple(parse_manifest(io.StringIO(text.decode("utf-8"), newline=""), manifest_kind(manifest.filename)))
    except UnicodeDecodeError:
        raise ArchiveRefused("archive.manifest_not_utf8", manifest=manifest.filename) from None
    except ValueError as exc:
        raise ArchiveRefused("archive.manifest_row", manifest=manifest.filename, problem=exc) from None
    if not entries:
        raise ArchiveRefused("archive.manifest_empty", manifest=manifest.filename)
    # Counted as named, not as distinct files: each time a row names an image it is measured.
    named = sum(len(entry.images) for entry in entries)
    if named > limits.max_images:
        raise ArchiveRefused("archive.too_many_images", images=named, limit=limits.max_images)
    wanted = {_inside(folder, name) for entry in entries for name in entry.images} - {None}
    known = [by_name[name] for name in wanted if name in by_name]
    declared = sum(member.file_size for member in known)
    if declared > limits.max_total_bytes:
        raise ArchiveRefused(
            "archive.too_large", size=f"{declared / 2**20:.0f}", limit=f"{limits.max_total_bytes / 2**20:.0f}"
        )
    for member in known:
        if member.file_size > limits.max_file_bytes:
            raise ArchiveRefused("archive.entry_too_large", entry=member.filename, size=member.file_size)
        if member.file_size > _READ_CHUNK and member.file_size > limits.max_ratio * max(member.compress_size, 1):
            raise ArchiveRefused("archive.entry_expands", entry=member.filename, ratio=limits.max_ratio)
    reader = _Reader(archive, by_name, folder, limits)
    # Every image is read once now, whatever its header declares, so that an archive refused for
    # what it holds is refused before anything of it is stored.
    for member in known:
        reader.read(member)
    return CatalogArchive(entries, reader)


class _Reader:
    """Reads a manifest's image from the archive, counted against the limits as it decompresses."""

    def __init__(self, archive: zipfile.ZipFile, by_name: dict[str, zipfile.ZipInfo], folder: str, limits: ArchiveLimits) -> None:
        self.archive, self.by_name, self.folder, self.limits = archive, by_name, folder, limits

    def __call__(self, name: str) -> tuple[bytes | None, WordedError | None]:
        inside = _inside(self.folder, name)
        if inside is None:
            return None, WordedError("photo.outside_manifest_folder")
        member = self.by_name.get(inside)
        if member is None or member.is_dir():
            return None, WordedError("photo.not_in_archive")
        return self.read(member), None

    def read(self, member: zipfile.ZipInfo) -> bytes:
        data = _read(self.archive, member, self.limits.max_file_bytes, self.limits.max_ratio)
        if data.startswith(ARCHIVE_MAGIC):
            raise ArchiveRefused("archive.nested", entry=member.filename)
        return data


def _find_manifest(by_name: dict[str, zipfile.ZipInfo]) -> zipfile.ZipInfo:
    found = [info for name, info in by_name.items() if posixpath.basename(name).lower() in MANIFEST_NAMES]
    shallow = [info for info in found if info.filename.count("/") == 0] or [
        info for info in found if info.filename.count("/") == 1
    ]
    if not shallow:
        raise ArchiveRefused("archive.no_manifest")
    if len(shallow) > 1:
        raise ArchiveRefused("archive.manifests", count=len(shallow), manifests=", ".join(i.filename for i in shallow))
    return shallow[0]


def _check_name(name: str) -> None:
    parts = name.split("/")
    if "\\" in name or name.startswith("/") or _DRIVE.match(name) or ".." in parts or "\x00" in name:
        raise ArchiveRefused("archive.entry_leaves", entry=name[:120])


def _inside(folder: str, name: str) -> str | None:
    """The archive name of an image named in the manifest, or None when it leads outside its folder."""
    if "\\" in name or name.startswith("/") or _DRIVE.match(name):
        return None
    joined = posixpath.normpath(posixpath.join(folder, name)) if folder else posixpath.normpath(name)
    if joined.startswith("../") or joined == ".." or (folder and not joined.startswith(folder + "/")):
        return None
    return joined


def _read(archive: zipfile.ZipFile, member: zipfile.ZipInfo, most: int, ratio: int) -> bytes:
    """The member's bytes, refused as soon as they pass `most` or `ratio` times the compressed size
    (from 1 MB on), whatever the member's header declares."""
    ceiling = max(ratio * max(member.compress_size, 1), _READ_CHUNK)
    out = bytearray()
    try:
        with archive.open(member) as handle:
            while chunk := handle.read(_READ_CHUNK):
                out += chunk
                if len(out) > most:
                    raise ArchiveRefused("archive.entry_over", entry=member.filename, most=most)
                if len(out) > ceiling:
                    raise ArchiveRefused("archive.entry_expands", entry=member.filename, ratio=ratio)
    except ArchiveRefused:
        raise
    except Exception as exc:  # BadZipFile (CRC), zlib.error, NotImplementedError (compression), ...
        raise ArchiveRefused("archive.entry_unreadable", entry=member.filename, problem=_one_line(exc)) from None
    return bytes(out)


def _one_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [exc.__class__.__name__])[0][:160]
