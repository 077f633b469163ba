"""The command line given what no store can hold: an argument that is not UTF-8 reaches Python as
lone surrogates (`$'\\xff'` in a shell). Free text is a usage error (exit 2), an id is no such claim,
a file is kept under its name made readable; the same on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from evidence_check.cli import app
from evidence_check.store import Store
from tests.conftest import FIXTURES

UNREADABLE = "a\udcffb"  # the byte 0xFF in an argument, as Python reads it
# What would drive an agent's terminal: clear the screen, retitle the window, ring; CSI; DEL, backspace.
ESCAPES = ("a\x1b[2J\x1b]0;owned\x07b", "a\x9b2Jb", "a\x7f\x08b")
OBEYED = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # all but tab and line feed
CLAIM = ["--ordered-at", "2026-11-10T10:00", "--delivered-at", "2026-11-14T15:00", "--claimed-at", "2026-11-16"]
PHOTO = FIXTURES / "genuine_after_delivery.jpg"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def count(store_url: str, table: str) -> int:
    store = Store(store_url)
    try:
        with store.engine.connect() as connection:
            return int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
    finally:
        store.close()


@pytest.mark.parametrize("note", [UNREADABLE, *ESCAPES])
def test_an_outcome_note_that_cannot_be_stored_is_a_usage_error(store_url: str, note: str) -> None:
    assert run("verify", str(PHOTO), *CLAIM, "--claim-id", "c1", "--db", store_url)[0] == 0
    code, out = run("outcome", "c1", "fraud", "--note", note, "--db", store_url)
    assert (code, out.strip()) == (2, "evidence-check: note: a control character (tab and line breaks aside) or a lone surrogate cannot be stored")
    assert count(store_url, "outcomes") == 0


def test_a_claim_category_that_cannot_be_stored_is_a_usage_error(store_url: str) -> None:
    code, out = run("verify", str(PHOTO), *CLAIM, "--category", UNREADABLE, "--db", store_url)
    assert (code, out.strip()) == (2, "evidence-check: category: a control character (tab and line breaks aside) or a lone surrogate cannot be stored")
    assert count(store_url, "claims") == 0


@pytest.mark.parametrize("command", [["outcome", UNREADABLE, "fraud"], ["reverify", UNREADABLE]])
def test_a_claim_id_that_cannot_be_stored_names_no_claim(store_url: str, command: list[str]) -> None:
    code, out = run(*command, "--db", store_url)
    assert code == 1
    assert "no claim 'a\\udcffb'" in out


@pytest.mark.parametrize(("option", "value"), [("--name", UNREADABLE), ("--category", UNREADABLE), ("--name", ESCAPES[0])])
def test_a_catalog_text_that_cannot_be_stored_is_a_usage_error(store_url: str, option: str, value: str) -> None:
    code, out = run("catalog", "add", "SKU-1", str(PHOTO), option, value, "--db", store_url)
    assert code == 2
    assert out.strip().endswith("a control character (tab and line breaks aside) or a lone surrogate cannot be stored")
    assert count(store_url, "catalog_skus") == 0


def test_a_webhook_url_that_cannot_be_stored_is_a_usage_error(store_url: str) -> None:
    code, out = run("webhooks", "set", "acme", f"https://example.com/{UNREADABLE}", "--db", store_url)
    assert code == 2
    assert count(store_url, "webhooks") == 0


def test_a_photo_whose_name_is_not_utf8_is_kept_under_a_readable_name(store_url: str, tmp_path: Path) -> None:
    photo = tmp_path / f"p{UNREADABLE}.jpg"
    shutil.copyfile(PHOTO, photo)
    code, out = run("verify", str(photo), *CLAIM, "--claim-id", "c2", "--json", "--db", store_url)
    assert code == 0, out
    assert '"filename": "pa\ufffdb.jpg"' in out


def test_a_name_stored_before_the_rule_is_printed_not_obeyed(store_url: str) -> None:
    assert run("catalog", "add", "SKU-1", str(PHOTO), "--name", "plain", "--db", store_url)[0] == 0
    store = Store(store_url)
    try:
        with store.engine.begin() as connection:
            connection.execute(text("UPDATE catalog_skus SET name = :name, category = 'a\rb'"), {"name": ESCAPES[0]})
    finally:
        store.close()
    code, out = run("catalog", "list", "--db", store_url)
    assert code == 0
    assert not OBEYED.search(out)
    assert "a\\x1b[2J\\x1b]0;owned\\x07b" in out and "a\\rb" in out


@pytest.mark.parametrize("output", ["text", "json", "html"])
def test_a_photo_named_with_escape_sequences_is_printed_not_obeyed(store_url: str, tmp_path: Path, output: str) -> None:
    name = "p\x1b[2J\x1b]0;owned\x07\x9b2J.jpg"
    shutil.copyfile(PHOTO, tmp_path / name)
    code, out = run("verify", str(tmp_path / name), *CLAIM, "--format", output, "--db", store_url)
    assert code == 0, out
    assert not OBEYED.search(out)
    if output == "json":  # escaped as JSON escapes: the name itself, whole
        assert json.loads(out)["images"][0]["filename"] == name
    else:
        assert "p\\x1b[2J\\x1b]0;owned\\x07\\x9b2J.jpg" in out


def test_an_error_line_naming_such_a_photo_is_printed_not_obeyed(store_url: str, tmp_path: Path) -> None:
    (tmp_path / "p\x1b[2J.jpg").write_bytes(b"not a photo")
    code, out = run("verify", str(tmp_path / "p\x1b[2J.jpg"), *CLAIM, "--db", store_url)
    assert code == 1
    assert not OBEYED.search(out)
    assert "p\\x1b[2J.jpg" in out


# Each text one character over its column, and how the refusal reads.
OVER_LONG = [
    ("--name", "x" * 256, "name: at most 255 characters"),
    ("--category", "x" * 65, "category: at most 64 characters"),
    ("--brand", "x" * 129, "brand: at most 128 characters"),
    ("--family", "x" * 129, "family: at most 128 characters"),
]


@pytest.mark.parametrize(("option", "value", "refusal"), OVER_LONG)
def test_a_catalog_text_longer_than_its_column_is_a_usage_error(store_url: str, option: str, value: str, refusal: str) -> None:
    # PostgreSQL refused the row (exit 1, "value too long"), SQLite stored the text whole.
    code, out = run("catalog", "add", "SKU-1", str(PHOTO), option, value, "--db", store_url)
    assert (code, out.strip()) == (2, f"evidence-check: {refusal}")
    assert count(store_url, "catalog_skus") == 0


def test_a_manifest_with_one_over_long_row_imports_no_row(store_url: str, tmp_path: Path) -> None:
    manifest = tmp_path / "m.jsonl"
    rows = [{"sku": "SKU-1", "images": [str(PHOTO)]}, {"sku": "SKU-2", "images": [str(PHOTO)], "name": "x" * 256}]
    manifest.write_text("".join(json.dumps(row) + "\n" for row in rows))
    code, out = run("catalog", "import", str(manifest), "--db", store_url)
    assert code == 2
    assert out.strip().endswith("line 2: name: at most 255 characters")
    assert count(store_url, "catalog_skus") == 0


@pytest.mark.parametrize(
    ("option", "value", "refusal"),
    [("--category", "x" * 65, "category: at most 64 characters"), ("--claim-id", "c" * 129, "claim_id: ")],
)
def test_a_claim_text_longer_than_its_column_is_a_usage_error(store_url: str, option: str, value: str, refusal: str) -> None:
    code, out = run("verify", str(PHOTO), *CLAIM, option, value, "--db", store_url)
    assert code == 2 and out.strip().startswith(f"evidence-check: {refusal}")
    assert count(store_url, "claims") == 0


def test_texts_as_long_as_their_columns_are_stored_whole(store_url: str) -> None:
    longest = {"--name": "n" * 255, "--category": "c" * 64, "--brand": "b" * 128, "--family": "f" * 128}
    code, out = run("catalog", "add", "S" * 128, str(PHOTO), *(part for pair in longest.items() for part in pair), "--db", store_url)
    assert code == 0, out
    store = Store(store_url)
    try:
        with store.engine.connect() as connection:
            stored = connection.execute(text("SELECT sku, name, category, brand, family FROM catalog_skus")).one()
    finally:
        store.close()
    assert tuple(stored) == ("S" * 128, *longest.values())


def test_an_outcome_note_over_its_length_is_a_usage_error(store_url: str) -> None:
    # The API refused a note over 2000 characters and the console's textarea stopped there; the
    # command line stored one of any length.
    assert run("verify", str(PHOTO), *CLAIM, "--claim-id", "c1", "--db", store_url)[0] == 0
    code, out = run("outcome", "c1", "fraud", "--note", "x" * 2001, "--db", store_url)
    assert (code, out.strip()) == (2, "evidence-check: note: at most 2000 characters")
    assert count(store_url, "outcomes") == 0
    assert run("outcome", "c1", "fraud", "--note", "说" * 2000, "--db", store_url)[0] == 0
