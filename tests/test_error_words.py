"""Every error code worded in both languages, with the same parameters, and every code the code
raises worded (evidence_check.errors)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from api.app import STARLETTE_DETAILS
from evidence_check.catalog.manifest import Meant, RowsRefused, parse_manifest
from evidence_check.catalog.zones import ZonesInvalid, parse_image_zones
from evidence_check.engine import now_utc
from evidence_check.errors import ERRORS, Listed, WordedError, error_text, template_fields
from evidence_check.intake import IntakeError, build_claim

ROOT = Path(__file__).resolve().parent.parent
HAN = re.compile(r"[\u4e00-\u9fff]")
# Codes put together where they are raised: pydantic's error kinds, the region's problems.
BUILT = ("input.", "intake.region_", "manifest.meant_")
# Lines that put a field's name before another error's own line ("zones: ...").
WRAPPERS = {"catalog.zones_invalid", "catalog.rows_refused", "manifest.field", "photo.named"}  # words only of what they hold


@pytest.mark.parametrize("code", sorted(ERRORS))
def test_each_error_has_its_chinese_line_with_the_english_lines_parameters(code: str) -> None:
    english, chinese = ERRORS[code]
    assert english.strip() and chinese.strip()
    assert (HAN.search(chinese) or code in WRAPPERS) and not HAN.search(english), code
    if not code.startswith("json."):  # the parser's words in English, where it stopped in Chinese
        assert template_fields(code, "en") == template_fields(code, "zh"), code
    params = {name: f"<{name}>" for lang in ("en", "zh") for name in template_fields(code, lang)}
    for lang in ("en", "zh"):
        text = error_text(code, params, lang)
        assert "\n" not in text
        for name in template_fields(code, lang):
            assert params[name] in text, (code, lang, name)


# A code is a call's first argument, or its second after an HTTP status: `IntakeError("intake.bad_id",
# ...)`, `Refused(404, "claim.not_found", ...)`, `error_text("server.internal", ...)`, a subclass's `__init__`.
RAISED = re.compile(
    r"""(?:Error|Invalid|TooLarge|NoRoom|NotKept|Unresolved|Usable|Refused|unauthorized|error_text|__init__)\(\s*(?:\d{3},\s*)?["']([a-z_]+\.[a-z0-9_]+)["']"""
)


def _codes_in_source() -> dict[str, str]:
    """Each error code the code raises or words, with the file it is in."""
    found = {code: "api/app.py" for code in STARLETTE_DETAILS.values()}
    for folder in ("api", "evidence_check"):
        for path in (ROOT / folder).rglob("*.py"):
            for code in RAISED.findall(path.read_text()):
                found[code] = str(path.relative_to(ROOT))
    return found


def test_every_code_raised_is_worded_and_every_worded_code_is_raised() -> None:
    in_source = _codes_in_source()
    unworded = {code: where for code, where in in_source.items() if code not in ERRORS}
    assert not unworded
    unused = {code for code in ERRORS if code not in in_source and not code.startswith(BUILT)}
    assert not unused


@pytest.mark.parametrize(
    "region", ["x:1,2,3,4", "0:1,2,3,4", "1,2,3", "1,2,a,4", "1,2,0,4", "0,0,99999999999999999999,5", "2147483648:1,2,3,4"]
)
def test_each_way_a_region_is_wrong_has_its_code(region: str) -> None:
    with pytest.raises(IntakeError) as raised:
        build_claim(now=now_utc(), time_zone="UTC", region=region)
    assert raised.value.code.startswith("intake.region_") and raised.value.code in ERRORS
    assert f"{region!r}" in raised.value.text("zh") and HAN.search(raised.value.text("zh"))


def test_a_region_whose_numbers_a_32_bit_client_reads_is_kept() -> None:
    largest = "2147483647,2147483647,2147483647,2147483647"
    claim = build_claim(now=now_utc(), time_zone="UTC", region=f"2147483647:{largest}")
    assert claim.region is not None and claim.region.text() == f"2147483647:{largest}"


def test_a_long_value_is_quoted_by_its_head_and_its_length_in_either_language() -> None:
    sent = "x" * 5000 + "END"
    for lang, length in (("en", "(5003 characters)"), ("zh", "（共 5003 个字符）")):
        line = error_text("intake.bad_id", {"field": "claim_id", "value": sent}, lang)
        assert length in line and "END" not in line and len(line) < 300
        assert f"'{'x' * 60}…'" in line  # the head quoted once, the ellipsis within its quotes
        assert line.startswith("claim_id") and "128" in line  # what is wrong is still said, after the quote
    short = "y" * 1000  # up to LONGEST_QUOTED, quoted whole: ids and file names past their widths as sent
    assert repr(short) in error_text("intake.bad_id", {"field": "claim_id", "value": short})


def test_an_error_within_anothers_line_is_worded_in_the_same_language() -> None:
    with pytest.raises(ZonesInvalid) as raised:
        parse_image_zones({"zipper": [0, 0, -5, 10]}, ["front.jpg"])
    assert error_text("catalog.zones_invalid", {"problem": raised.value}) == (
        "zones: zone 'zipper' needs x, y >= 0 and w, h > 0, got [0, 0, -5, 10]"
    )
    assert error_text("catalog.zones_invalid", {"problem": raised.value}, "zh") == (
        "zones：区域 'zipper' 要求 x, y >= 0 且 w, h > 0，收到的是 [0, 0, -5, 10]"
    )


def test_the_english_line_is_the_exceptions_message_and_an_unknown_code_is_itself() -> None:
    error = WordedError("claim.not_found", claim_id="c-9")
    assert str(error) == "no claim 'c-9'" == error.text("en") == error.text("fr")
    assert error.text("zh") == "没有理赔 'c-9'"
    assert error_text("no.such_code", {}, "zh") == "no.such_code"


def test_a_misspelt_name_is_worded_by_the_table_in_either_language(monkeypatch: pytest.MonkeyPatch) -> None:
    # "键", "列" and "、" were joined in manifest.Meant's code, outside the table.
    pairs = (("nmae", "name"), ("imgs", "images"))
    worded = Listed(WordedError("manifest.meant", name=name, meant=meant) for name, meant in pairs)
    for lang in ("en", "zh"):
        assert Meant("column", pairs).text(lang) == error_text("manifest.meant_columns", {"pairs": worded}, lang)
        assert Meant("key", pairs[:1]).text(lang) == error_text("manifest.meant_key", {"pairs": Listed(worded[:1])}, lang)
    assert Meant("column", pairs).text("zh") == "列 'nmae'（是否应为 'name'？）、'imgs'（是否应为 'images'？）"
    assert Meant("column", pairs).text() == "columns 'nmae' (did you mean 'name'?), 'imgs' (did you mean 'images'?)"
    monkeypatch.setitem(ERRORS, "manifest.meant_columns", ("fields {pairs}", "字段 {pairs}"))
    assert Meant("column", pairs).text("zh").startswith("字段 'nmae'")


def test_the_chinese_not_json_line_says_where_the_parser_stopped_not_its_english_words() -> None:
    with pytest.raises(RowsRefused) as refused:
        list(parse_manifest(['{"sku": "A-1", "images": ["a.jpg"]}', '{"sku": "A-2",, }'], ".jsonl"))
    assert refused.value.text() == "line 2 is not JSON (Expecting property name enclosed in double quotes)"
    assert refused.value.text("zh") == "第 2 行不是 JSON（第 2 行第 15 列）"


def test_a_worded_error_sent_to_another_process_keeps_its_code_and_its_chinese() -> None:
    import pickle

    from evidence_check.imaging.load import PhotoError

    sent = PhotoError("photo.too_large", size="120.0 MB", limit="100.0 MB")
    received = pickle.loads(pickle.dumps(sent))
    assert type(received) is PhotoError and received.code == "photo.too_large"
    assert str(received) == "the file is 120.0 MB, over the 100.0 MB limit"
    assert received.text("zh") == "文件大小为 120.0 MB，超过 100.0 MB 的上限"
