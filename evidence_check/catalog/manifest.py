"""A catalog manifest: one SKU per CSV row or JSONL line, read the same way by every way in.

CSV columns ``sku,name,category,images`` (several images separated by ``;``) and optionally
``brand,family``; JSONL objects with the same keys, ``images`` a list (or one string), and optionally
``zones`` as in a zones file; a JSONL row with a key, or a CSV header with a column, misspelling one
of these is malformed; one differing only in case or spaces (``SKU``, ``Images``) is that one.
Image names stay as written: the command line reads them relative to the manifest's folder, an
archive uploaded over HTTP relative to the manifest's place in it.

A malformed row refuses the whole manifest (`RowInvalid`, one line naming the row, worded in
English and Chinese), before anything is stored; files that cannot be used are the importer's to
skip, one by one.
"""

from __future__ import annotations

import csv
import difflib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from evidence_check import strict_json
from evidence_check.catalog.labels import valid_label
from evidence_check.errors import Listed, NameGivenTwice, WordedError, error_text, parser_stopped
from evidence_check.intake import IntakeError, valid_id
from evidence_check.storable import storable_text
from evidence_check.widths import CATEGORY_WIDTH, NAME_WIDTH

KINDS = (".jsonl", ".csv")
# A JSONL row's keys and a CSV's columns (`image` is the CSV's old name for `images`). A key or column
# that misspells one of them (`zone`, `Images`, `catgory`) is refused with its row: it would lose what
# it holds without a word. Others (`price`, `url`: a shop's export carries them) are left aside;
# refusing them refused whole exports.
JSONL_KEYS = ("sku", "name", "category", "images", "brand", "family", "zones")
CSV_COLUMNS = ("sku", "name", "category", "images", "image", "brand", "family")
# Similarity (difflib's ratio, case aside) from which a key is taken for a misspelt one: misspellings
# and case variants measured 0.86-1.0, keys of exports (price, url, title, notes, tags, image_url,
# created_at, ...) at most 0.75 but those holding one of ours whole (`_meant` leaves them aside:
# Image Src 0.80, category_id 0.84, image1 0.91, category2 0.94; docs/measurements/api.md).
MISSPELT = 0.8
# A merchant fixing a manifest hears of every malformed row at once, up to this many, then a count.
SHOWN_ROWS = 20


@dataclass(frozen=True)
class ManifestEntry:
    sku: str
    name: str | None
    category: str | None
    images: tuple[str, ...]  # as written in the manifest
    zones: Any = None  # as written in a zones file, parsed against the images when stored
    where: WordedError | str = ""  # `_line(3)`, `_row(2)`: how a message names it, in the reader's language
    brand: str | None = None
    family: str | None = None


class RowInvalid(WordedError, ValueError):
    """A malformed row, or a manifest that cannot be read as its kind; the line names the row."""


@dataclass(frozen=True)
class Meant:
    """Misspelt keys (or columns) and the names they were taken for, in the reader's language."""

    what: str  # "key" or "column"
    pairs: tuple[tuple[str, str], ...]

    def text(self, lang: str = "en") -> str:
        pairs = Listed(WordedError("manifest.meant", name=name, meant=meant) for name, meant in self.pairs)
        code = f"manifest.meant_{self.what}" + ("s" if len(pairs) > 1 else "")
        return error_text(code, {"pairs": pairs}, lang)


class RowsRefused(WordedError, ValueError):
    """Every malformed row of a manifest (the first `SHOWN_ROWS`, then how many more), in one line."""

    def __init__(self, problems: Sequence[ValueError]) -> None:
        shown, more = tuple(problems[:SHOWN_ROWS]), len(problems) - SHOWN_ROWS
        if more > 0:
            super().__init__("catalog.rows_refused_more", problems=shown, more=more)
        else:
            super().__init__("catalog.rows_refused", problems=shown)


def manifest_kind(filename: str) -> str:
    """".jsonl" or ".csv", from the file's name; `ValueError` for any other."""
    for kind in KINDS:
        if filename.lower().endswith(kind):
            return kind
    raise RowInvalid("manifest.kind")


def parse_manifest(lines: Iterable[str], kind: str) -> Iterator[ManifestEntry]:
    """The manifest's entries in order; `ValueError` for a manifest it cannot read, `RowsRefused` once
    every row is read, naming each malformed one."""
    problems: list[ValueError] = []
    yield from _entries(lines, kind, problems)
    if problems:
        raise RowsRefused(problems)


def _entries(lines: Iterable[str], kind: str, problems: list[ValueError]) -> Iterator[ManifestEntry]:
    lines = _without_bom(lines)
    if kind == ".jsonl":
        for number, line in enumerate(lines, 1):
            try:
                yield from _jsonl_entry(line, number)
            except ValueError as exc:
                problems.append(exc)
        return
    if kind != ".csv":
        raise RowInvalid("manifest.kind")
    reader = csv.DictReader(lines)
    try:
        if reader.fieldnames is not None:
            reader.fieldnames = _folded(reader.fieldnames, CSV_COLUMNS, _row(1), "column")
        _refuse_misspelt(reader.fieldnames or (), CSV_COLUMNS, _row(1), "column")
        if reader.fieldnames is None or "sku" not in reader.fieldnames:
            raise RowInvalid("manifest.csv_header")
        for number, row in enumerate(reader, 2):
            images = [p.strip() for p in (row.get("images") or row.get("image") or "").split(";") if p.strip()]
            try:
                yield _entry(row, images, _row(number))
            except ValueError as exc:
                problems.append(exc)
    except csv.Error as exc:  # a field over csv's size limit, a broken quote
        raise RowInvalid("manifest.not_csv", number=reader.line_num + 1, problem=str(exc)) from None


def _without_bom(lines: Iterable[str]) -> Iterator[str]:
    """The lines without the byte order mark Excel's "CSV UTF-8" (and Notepad) write first: kept, it
    made the header's first column "\ufeffsku", no `sku`."""
    for number, line in enumerate(lines):
        yield line.removeprefix("\ufeff") if number == 0 else line


def _jsonl_entry(line: str, number: int) -> Iterator[ManifestEntry]:
    """The line's entry (none for a blank line); `ValueError` saying what is wrong with it."""
    if not line.strip():
        return
    try:
        row = strict_json.loads(line)
    except strict_json.NameTwice as exc:  # as a CSV header naming a column twice
        raise NameGivenTwice(_line(number), exc.name) from None
    except json.JSONDecodeError as exc:
        raise RowInvalid("manifest.not_json", where=_line(number), problem=parser_stopped(exc, line=number)) from None
    if not isinstance(row, dict):
        raise RowInvalid("manifest.not_object", where=_line(number))
    row = dict(zip(_folded(list(row), JSONL_KEYS, _line(number), "key"), row.values(), strict=True))
    _refuse_misspelt(row, JSONL_KEYS, _line(number), "key")
    images = row.get("images", [])
    if isinstance(images, str):
        images = [images]
    if not isinstance(images, list):
        raise RowInvalid("manifest.images_not_list", where=_line(number))
    yield _entry(row, [str(i) for i in images], _line(number), row.get("zones"))


def _line(number: int) -> WordedError:
    """A JSONL manifest's line, named in the reader's language: "line 3", "第 3 行"."""
    return WordedError("manifest.line", number=number)


def _row(number: int) -> WordedError:
    """A CSV manifest's row (its header is row 1), named in the reader's language: "row 2", "第 2 行"."""
    return WordedError("manifest.row", number=number)


def _folded(keys: Sequence[str], known: tuple[str, ...], where: WordedError, what: str) -> list[str]:
    """`keys` with each one that is a known name but for case and spaces ("SKU", " Images") written as
    that name: a spreadsheet's header is typed so. Two keys folding to one name are refused."""
    folded = [key.strip().lower() if key.strip().lower() in known else key for key in keys]
    twice = sorted({key for key in folded if key in known and folded.count(key) > 1})
    if twice:
        raise NameGivenTwice(where, twice[0])
    return folded


def _refuse_misspelt(keys: Iterable[str], known: tuple[str, ...], where: WordedError, what: str) -> None:
    misspelt = sorted(key for key in set(keys) - set(known) if _meant(key, known))
    if misspelt:
        # All of them at once: a sheet's header typed "SKU,Name,Images" took one run per column.
        named = Meant(what, tuple((key, _meant(key, known) or "") for key in misspelt))
        words = {"where": where, "named": named, "known": Listed(known)}
        raise RowInvalid("manifest.unknown_key", **words) if what == "key" else RowInvalid("manifest.unknown_column", **words)


def _meant(key: str, known: tuple[str, ...]) -> str | None:
    folded = key.strip().lower()  # a known name in other case or spaces is read as it (`_folded`)
    for name in sorted(known, key=len, reverse=True):
        for part in (name, name.removesuffix("s")):
            before, found, after = folded.partition(part)
            if found:
                rest = before + after
                # A column about it ("category_id", "image1", "Image Src", "subcategory"), which a shop's
                # export carries, is another one; a letter more or less ("imagess", "zone") is a slip.
                return name if not rest or (len(rest) == 1 and rest.isalpha()) else None
    swapped = [name for name in known if _two_letters_swapped(folded, name)]
    if swapped:
        return swapped[0]
    close = difflib.get_close_matches(folded, known, n=1, cutoff=MISSPELT)
    return close[0] if close else None


def _two_letters_swapped(key: str, name: str) -> bool:
    # `nmae`, `suk`: two neighbouring letters typed in turn. In a name this short difflib's ratio
    # (0.75, 0.67) is under `MISSPELT`, and the column's values were dropped without a word.
    differ = [i for i, (a, b) in enumerate(zip(key, name, strict=False)) if a != b]
    return (
        len(key) == len(name)
        and len(differ) == 2
        and differ[1] == differ[0] + 1
        and (key[differ[0]], key[differ[1]]) == (name[differ[1]], name[differ[0]])
    )


def _entry(row: dict[str, Any], images: list[str], where: WordedError, zones: Any = None) -> ManifestEntry:
    sku = str(row.get("sku") or "").strip()
    if not valid_id(sku):
        # The intake's line for a bad id, as the API, the console and the command line say it.
        raise RowInvalid("manifest.field", where=where, problem=IntakeError("intake.bad_id", field="sku", value=sku))
    if not images:
        raise RowInvalid("manifest.no_images", where=where, sku=sku)
    return ManifestEntry(
        sku=sku,
        name=_text(row, "name", where, NAME_WIDTH),
        category=_text(row, "category", where, CATEGORY_WIDTH),
        images=tuple(images),
        zones=zones,
        where=where,
        brand=_label(row, "brand", where),
        family=_label(row, "family", where),
    )


def _label(row: dict[str, Any], key: str, where: WordedError) -> str | None:
    value = row.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise RowInvalid("manifest.not_text", where=where, field=key)
    try:
        return valid_label(key, value)
    except ValueError as exc:
        raise RowInvalid("manifest.field", where=where, problem=exc) from None


def _text(row: dict[str, Any], key: str, where: WordedError, width: int) -> str | None:
    value = row.get(key)
    try:
        return storable_text(key, str(value).strip(), width) or None if value else None
    except ValueError as exc:
        raise RowInvalid("manifest.field", where=where, problem=exc) from None
