"""A catalog archive is read within its bounds, or refused whole with one line; hostile archives
(zip bombs, names leaving the archive, nested archives, duplicates, too many entries) never get
as far as an image being measured."""

from __future__ import annotations

import io
import json
import re
import zipfile
from typing import Any

import pytest

from evidence_check.catalog.archive import ArchiveLimits, ArchiveRefused, open_catalog_archive
from evidence_check.catalog.manifest import parse_manifest
from evidence_check.errors import WordedError

SMALL = ArchiveLimits(max_entries=20, max_images=5, max_file_bytes=4 * 2**20, max_total_bytes=6 * 2**20, max_ratio=100)
PICTURE = bytes(range(256)) * 64  # 16 KB that deflate cannot shrink much


def _zip(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    buffer.seek(0)
    return buffer


def _manifest(*rows: dict[str, Any]) -> bytes:
    return "".join(json.dumps(row) + "\n" for row in rows).encode()


def _refused(members: dict[str, bytes], limits: ArchiveLimits = SMALL) -> str:
    with pytest.raises(ArchiveRefused) as caught:
        open_catalog_archive(_zip(members), limits)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_a_manifest_at_the_root_names_its_images() -> None:
    archive = open_catalog_archive(
        _zip({"manifest.jsonl": _manifest({"sku": "A-1", "name": "Bag", "images": ["img/a.jpg", "b.jpg"]}), "img/a.jpg": PICTURE}),
        SMALL,
    )
    [entry] = archive.entries
    assert (entry.sku, entry.name, entry.images) == ("A-1", "Bag", ("img/a.jpg", "b.jpg"))
    assert archive.read_image("img/a.jpg") == (PICTURE, None)
    data, why = archive.read_image("b.jpg")
    assert data is None and str(why) == "not in the archive"


def test_a_zipped_folder_keeps_its_manifest_in_the_top_folder_and_csv_works_too() -> None:
    csv = b"sku,name,category,images\nA-1,Bag,bags,a.jpg;b.jpg\n"
    archive = open_catalog_archive(_zip({"shop/manifest.csv": csv, "shop/a.jpg": PICTURE, "shop/b.jpg": PICTURE[::-1]}), SMALL)
    [entry] = archive.entries
    assert (entry.category, str(entry.where)) == ("bags", "row 2")
    assert archive.read_image("b.jpg") == (PICTURE[::-1], None)


@pytest.mark.parametrize("name", ["../evil.jpg", "/etc/passwd", "C:/x.jpg", "a\\..\\..\\b.jpg", "img/../../x.jpg"])
def test_an_entry_whose_name_leaves_the_archive_refuses_it(name: str) -> None:
    assert "leads out of the archive" in _refused({"manifest.jsonl": _manifest({"sku": "A", "images": ["a.jpg"]}), name: PICTURE})


@pytest.mark.parametrize("name", ["../../etc/passwd", "/etc/passwd", "..\\x.jpg", "C:/x.jpg"])
def test_a_manifest_naming_a_file_outside_is_skipped_not_read(name: str) -> None:
    archive = open_catalog_archive(_zip({"shop/manifest.jsonl": _manifest({"sku": "A", "images": [name]}), "shop/a.jpg": PICTURE}), SMALL)
    data, why = archive.read_image(name)
    assert data is None and str(why) == "outside the archive's manifest folder"


def test_a_zip_bomb_is_refused_by_its_ratio_before_anything_is_measured() -> None:
    bomb = bytes(3 * 2**20)  # 3 MB of zeros: deflates to a few KB
    message = _refused({"manifest.jsonl": _manifest({"sku": "A", "images": ["a.jpg"]}), "a.jpg": bomb})
    assert "expands over 100 times" in message


def test_images_over_the_total_size_are_refused() -> None:
    stored = zipfile.ZIP_STORED  # no ratio to catch: only the total bounds them
    big = {f"{n}.jpg": bytes([n]) * (2 * 2**20) for n in range(4)}
    buffer = _zip({"manifest.jsonl": _manifest({"sku": "A", "images": list(big)}), **big}, stored)
    with pytest.raises(ArchiveRefused, match="decompress to 8 MB, over the limit of 6 MB"):
        open_catalog_archive(buffer, SMALL)


def test_an_image_over_the_limit_per_file_is_refused() -> None:
    buffer = _zip({"manifest.jsonl": _manifest({"sku": "A", "images": ["a.jpg"]}), "a.jpg": bytes(5 * 2**20)}, zipfile.ZIP_STORED)
    with pytest.raises(ArchiveRefused, match="over the limit per file"):
        open_catalog_archive(buffer, SMALL)


def test_too_many_entries_or_images_are_refused() -> None:
    many = {f"{n}.jpg": PICTURE for n in range(20)}
    assert "21 entries, over the limit of 20" in _refused({"manifest.jsonl": _manifest({"sku": "A", "images": ["0.jpg"]}), **many})
    six = {f"{n}.jpg": PICTURE for n in range(6)}
    assert "names 6 images" in _refused({"manifest.jsonl": _manifest({"sku": "A", "images": list(six)}), **six})
    # One picture named by six rows would be measured six times: it counts six times.
    rows = [{"sku": f"S-{n}", "images": ["0.jpg"]} for n in range(6)]
    assert "names 6 images" in _refused({"manifest.jsonl": _manifest(*rows), "0.jpg": PICTURE})


def test_an_archive_inside_the_archive_is_refused_by_name_and_by_content() -> None:
    inner = _zip({"x.jpg": PICTURE}).getvalue()
    manifest = _manifest({"sku": "A", "images": ["a.jpg"]})
    assert "archive inside the archive" in _refused({"manifest.jsonl": manifest, "a.jpg": PICTURE, "more.zip": inner})
    assert "archive inside the archive" in _refused({"manifest.jsonl": manifest, "a.jpg": inner})


def test_duplicate_names_and_missing_or_double_manifests_are_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive, pytest.warns(UserWarning):
        archive.writestr("manifest.jsonl", _manifest({"sku": "A", "images": ["a.jpg"]}))
        archive.writestr("a.jpg", PICTURE)
        archive.writestr("a.jpg", b"other")
    buffer.seek(0)
    with pytest.raises(ArchiveRefused, match="'a.jpg' twice"):
        open_catalog_archive(buffer, SMALL)
    assert "no manifest.jsonl or manifest.csv" in _refused({"a.jpg": PICTURE})
    assert "2 manifests" in _refused({"manifest.jsonl": b"", "manifest.csv": b"sku\n"})


@pytest.mark.parametrize(
    ("body", "said"),
    [
        (b"not a zip at all", "not a zip archive"),
        (_zip({"manifest.jsonl": b"x" * 4000}).getvalue()[:-30], "not a zip archive"),
    ],
)
def test_what_is_not_a_readable_zip_is_one_line(body: bytes, said: str) -> None:
    with pytest.raises(ArchiveRefused, match=said):
        open_catalog_archive(io.BytesIO(body), SMALL)


def test_a_damaged_image_stream_is_refused_before_anything_is_stored() -> None:
    good = _zip({"manifest.jsonl": _manifest({"sku": "A", "images": ["a.jpg"]}), "a.jpg": PICTURE})
    member = zipfile.ZipFile(good).getinfo("a.jpg")
    data_at = member.header_offset + 30 + len(member.filename.encode()) + len(member.extra)
    damaged = bytearray(good.getvalue())
    damaged[data_at + 2 : data_at + 42] = bytes(40)
    with pytest.raises(ArchiveRefused, match="'a.jpg' cannot be read from the archive"):
        open_catalog_archive(io.BytesIO(bytes(damaged)), SMALL)


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ('{"sku": "A", "images": []}\n', "line 1: SKU A lists no images"),
        ('{"sku": "", "images": ["a.jpg"]}\n', "line 1: sku: ''"),
        ('{"sku": "A", "images": {"x": 1}}\n', "line 1: images must be a list"),
        ("[1, 2]\n", "line 1 is not a JSON object"),
        ('{"sku": "A", "images": ["a.jpg"]}\n{oops\n', "line 2 is not JSON"),
    ],
)
def test_a_malformed_manifest_row_refuses_the_manifest(text: str, said: str) -> None:
    with pytest.raises(ValueError, match=said):
        list(parse_manifest(io.StringIO(text), ".jsonl"))
    assert said in _refused({"manifest.jsonl": text.encode(), "a.jpg": PICTURE})


@pytest.mark.parametrize(
    ("kind", "text", "zh"),
    [
        (".jsonl", '{"sku": "A", "images": ["a.jpg"], "name": "' + "n" * 256 + '"}', "第 1 行：name：最多 255 个字符"),
        (".jsonl", '{"sku": "no spaces", "images": ["a.jpg"]}', "第 1 行：sku：'no spaces' 必须由 1 到 128 个字母"),
        (".jsonl", '{"sku": "A"}', "第 1 行：SKU A 没有列出图片"),
        (".jsonl", "[1]", "第 1 行不是 JSON 对象"),
        (".jsonl", '{"sku": "A", "images": 3}', "第 1 行：images 必须是文件名列表"),
        (".jsonl", '{"sku": "A", "images": ["a.jpg"], "brand": 3}', "第 1 行：brand 必须是文本"),
        (".jsonl", '{"sku": "A", "images": ["a.jpg"], "brand": "a\\u0007"}', "第 1 行：brand：不允许包含控制字符"),
        (".jsonl", '{"sku": "A", "images": ["a.jpg"], "zone": {}}', "第 1 行：未知的键 'zone'（是否应为 'zones'？）"),
        (".csv", "sku,images,catgory\nA,a.jpg,x\n", "第 1 行：未知的列 'catgory'（是否应为 'category'？）"),
        (".csv", "name\nx\n", "CSV 需要一行表头，至少含 sku 和 images"),
    ],
)
def test_a_malformed_rows_own_reason_is_in_the_language_asked(kind: str, text: str, zh: str) -> None:
    # The joining words were Chinese and the row's reason English: "line 2: name: at most 255 characters".
    with pytest.raises(WordedError) as refused:
        list(parse_manifest(io.StringIO(text), kind))
    assert refused.value.text("zh").startswith(zh), refused.value.text("zh")
    english = str(refused.value)
    assert english != refused.value.text("zh") and not english.startswith(zh)


def test_a_csv_field_over_csvs_own_limit_is_a_malformed_row_not_a_crash() -> None:
    text = "sku,images\nA," + "x" * 200_000 + "\n"
    with pytest.raises(ValueError, match="near row 2: not CSV"):
        list(parse_manifest(io.StringIO(text), ".csv"))
    assert "not CSV" in _refused({"manifest.csv": text.encode(), "a.jpg": PICTURE})


def test_a_header_that_understates_an_images_size_does_not_let_it_through() -> None:
    """The sizes a zip declares are the sender's word: an image declaring 1 kB that inflates to
    3 MB is refused when read, before anything is stored."""
    good = _zip({"manifest.jsonl": _manifest({"sku": "A", "images": ["a.jpg"]}), "a.jpg": bytes(3 * 2**20)}).getvalue()
    lying = bytearray(good)
    member = zipfile.ZipFile(io.BytesIO(good)).getinfo("a.jpg")
    lying[member.header_offset + 22 : member.header_offset + 26] = (1024).to_bytes(4, "little")
    central = good.index(b"PK\x01\x02", good.index(b"PK\x01\x02") + 4)  # a.jpg's, after the manifest's
    assert good[central + 46 : central + 51] == b"a.jpg"
    lying[central + 24 : central + 28] = (1024).to_bytes(4, "little")
    assert zipfile.ZipFile(io.BytesIO(bytes(lying))).getinfo("a.jpg").file_size == 1024
    with pytest.raises(ArchiveRefused, match="'a.jpg' cannot be read from the archive"):
        open_catalog_archive(io.BytesIO(bytes(lying)), SMALL)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        # Excel's "CSV UTF-8 (Comma delimited)": a byte order mark first, "\r\n" between rows
        ("manifest.csv", "\ufeffsku,name,category,images\r\nA-1,Bag,bags,a.jpg\r\n"),
        ("manifest.jsonl", '\ufeff{"sku": "A-1", "name": "Bag", "category": "bags", "images": ["a.jpg"]}\r\n'),
    ],
)
def test_a_manifest_saved_with_a_byte_order_mark_reads_as_one_without(name: str, text: str) -> None:
    """The mark made the CSV's first column "\\ufeffsku" ("the CSV needs a header with at least sku")
    and the JSONL's first line not JSON, on the command line and over HTTP alike."""
    archive = open_catalog_archive(_zip({name: text.encode(), "a.jpg": PICTURE}), SMALL)
    [entry] = archive.entries
    assert (entry.sku, entry.name, entry.category, entry.images) == ("A-1", "Bag", "bags", ("a.jpg",))


def test_a_shops_columns_about_the_manifests_own_are_left_aside() -> None:
    """Columns a shop's export carries beside the manifest's own (Shopify's `Image Src`, `image1`,
    `category_id`, ...) measured 0.80-0.94 alike to them: each refused a whole import as misspelt."""
    header = "sku,images,Image Src,image1,image_2,category_id,subcategory,sub_category,family_id,sku2,category2"
    [entry] = parse_manifest(io.StringIO(header + "\nA-1,a.jpg,https://x/a.jpg,b.jpg,c.jpg,7,totes,totes,3,B,x\n"), ".csv")
    assert (entry.sku, entry.images, entry.category) == ("A-1", ("a.jpg",), None)
    row = {"sku": "A-1", "images": ["a.jpg"], "Image Src": "https://x/a.jpg", "image1": "b.jpg", "category_id": 7}
    [entry] = parse_manifest(io.StringIO(json.dumps(row) + "\n"), ".jsonl")
    assert (entry.sku, entry.images, entry.category) == ("A-1", ("a.jpg",), None)


@pytest.mark.parametrize("column", ["note", "Note", "spu", "mane"])
def test_a_column_two_letters_away_that_is_no_swap_of_neighbours_is_left_aside(column: str) -> None:
    """A swap is two neighbouring letters typed in turn (`nmae`); a shop's `note` (two other letters
    than `name`'s, side by side), `spu` or `mane` (letters far apart) is a column of its own."""
    [entry] = parse_manifest(io.StringIO(f"sku,images,name,{column}\nA-1,a.jpg,Tote,x\n"), ".csv")
    assert (entry.sku, entry.name) == ("A-1", "Tote")


@pytest.mark.parametrize("column", ["catgory", "namee", "imagess", "brnad", "Brands", "Skus", "nmae", "suk", "Naem"])
def test_a_column_a_slip_away_from_the_manifests_own_is_still_refused(column: str) -> None:
    with pytest.raises(ValueError, match=re.escape(f"row 1: unknown column {column!r} (did you mean")):
        list(parse_manifest(io.StringIO(f"sku,images,{column}\nA-1,a.jpg,x\n"), ".csv"))


@pytest.mark.parametrize(("key", "meant"), [("image", "images"), ("zone", "zones"), ("Familly", "family"), ("catgory", "category"), ("nmae", "name")])
def test_a_jsonl_key_a_slip_away_from_the_manifests_own_is_still_refused(key: str, meant: str) -> None:
    row = json.dumps({"sku": "A-1", "images": ["a.jpg"], key: "x"})
    with pytest.raises(ValueError, match=re.escape(f"line 1: unknown key {key!r} (did you mean {meant!r}?)")):
        list(parse_manifest(io.StringIO(row + "\n"), ".jsonl"))


def test_every_misspelt_column_is_named_in_the_one_line() -> None:
    with pytest.raises(ValueError) as refused:
        list(parse_manifest(io.StringIO("sku,catgory,imagess\nA-1,Bag,a.jpg\n"), ".csv"))
    assert str(refused.value).startswith(
        "row 1: unknown columns 'catgory' (did you mean 'category'?), 'imagess' (did you mean 'images'?); "
        "a row's columns are sku, name"
    )


def test_a_header_typed_as_a_spreadsheet_types_it_is_read() -> None:
    """`SKU,Name,Images` is how a sheet's header is typed: refused as misspelt, it took a user a run
    and a hint per column to write what the manifest meant all along."""
    [entry] = parse_manifest(io.StringIO("SKU, Name ,Category,Images,Brand\nA-1,Bag,bags,a.jpg;b.jpg,Acme\n"), ".csv")
    assert (entry.sku, entry.name, entry.category, entry.images, entry.brand) == ("A-1", "Bag", "bags", ("a.jpg", "b.jpg"), "Acme")
    row = {"SKU": "A-1", "Images": ["a.jpg"], "Name": "Bag"}
    [entry] = parse_manifest(io.StringIO(json.dumps(row) + "\n"), ".jsonl")
    assert (entry.sku, entry.name, entry.images) == ("A-1", "Bag", ("a.jpg",))


@pytest.mark.parametrize(
    ("content", "kind", "message"),
    [
        ("sku,SKU,images\nA-1,A-2,a.jpg\n", ".csv", "row 1: the name 'sku' is given twice; which value is meant is not known"),
        ('{"sku": "A-1", "Sku": "A-2", "images": ["a.jpg"]}\n', ".jsonl", "line 1: the name 'sku' is given twice; which value is meant is not known"),
    ],
)
def test_a_column_given_twice_but_for_case_is_refused(content: str, kind: str, message: str) -> None:
    """Which of the two holds the SKU would be a guess."""
    with pytest.raises(ValueError, match=re.escape(message)):
        list(parse_manifest(io.StringIO(content), kind))
