"""The command line as clients use it: exit codes, formats, files, languages, the default store."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evidence_check.cli import app
from evidence_check.cli import catalog as catalog_cli
from evidence_check.cli import main as cli_main
from tests.conftest import FIXTURES, fill

GOOD = str(FIXTURES / "genuine_after_delivery.jpg")
OLD = str(FIXTURES / "exif_before_order.jpg")
TIMELINE = [
    "--ordered-at",
    "2026-11-10T10:00",
    "--delivered-at",
    "2026-11-14T15:00",
    "--claimed-at",
    "2026-11-16",
    "--tz",
    "Asia/Shanghai",
]


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("EVIDENCE_CHECK_DB", f"sqlite:///{tmp_path / 'store.sqlite3'}")

    def invoke(*args: str):
        return CliRunner().invoke(app, list(args))

    return invoke


def test_text_report_puts_the_verdict_and_reasons_first(cli) -> None:
    result = cli("verify", GOOD, OLD, *TIMELINE)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert "REJECT" in lines[0]
    first_reason = lines[lines.index("Reasons:") + 1]
    assert lines.index("Reasons:") < lines.index("Photos:")
    assert "before the order was placed" in first_reason and "exif_before_order.jpg" in first_reason


def test_json_report_follows_the_contract(cli) -> None:
    result = cli("verify", GOOD, *TIMELINE, "--sku", "BAG-001", "--claim-id", "c-123", "--json")
    report = json.loads(result.stdout)
    assert report["schema"] == "evidence-check.report/1"
    assert (report["claim_id"], report["sku"], report["verdict"]) == ("c-123", "BAG-001", "accept")
    assert 0 <= report["risk"] <= 1 and 0 <= report["confidence"] <= 1
    image = report["images"][0]
    assert len(image["image_id"]) == 64 and image["filename"] == "genuine_after_delivery.jpg"
    for finding in image["checks"].values():
        assert finding["status"] in {"pass", "warn", "fail", "unknown", "error"}
        assert 0 <= finding["score"] <= 1 and finding["summary"]


def test_chinese_sentences_with_lang_zh(cli) -> None:
    report = json.loads(cli("verify", OLD, *TIMELINE, "--lang", "zh", "--json").stdout)
    assert "比下单时间" in report["reasons"][0]
    assert report["next_steps"] and all(
        any("\u4e00" <= ch <= "\u9fff" for ch in s) for s in report["next_steps"]
    )


def test_html_report_to_a_file(cli, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = cli("verify", OLD, *TIMELINE, "--format", "html", "--out", str(out))
    assert result.exit_code == 0 and result.stdout == ""
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>") and "reject" in page and "before the order was placed" in page


def test_gps_coordinates_never_reach_the_report(cli) -> None:
    report = cli("verify", str(FIXTURES / "exif_gps_infers_offset.jpg"), *TIMELINE, "--json").stdout
    # Times of day are left out first: a report made at 13:59:31.23 holds "31.2" in its own timestamp.
    report = re.sub(r"\d{2}:\d{2}:\d{2}(\.\d+)?", "", report)
    assert "GPSLatitude" not in report and "31.2" not in report and "121." not in report


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--ordered-at", "last tuesday"], "ordered_at"),
        (["--region", "1,2,3"], "region"),
        (["--tz", "Mars/Olympus"], "time zone"),
        (["--reason", "bored"], "reason"),
        (["--ordered-at", "2026-11-20", "--delivered-at", "2026-11-10"], "before ordered_at"),
        (["--claim-id", "has spaces in it"], "claim_id"),
        (["--claim-id", "abc\n"], "claim_id"),
        (["--ordered-at", "0001-01-01T00:00+14:00"], "ordered_at: 0001-01-01"),
        (["--claimed-at", "9999-12-31"], "claimed_at: 9999-12-31"),
    ],
)
def test_bad_claim_fields_are_usage_errors(cli, args: list[str], words: str) -> None:
    result = cli("verify", GOOD, *args)
    assert result.exit_code == 2
    assert words in result.stderr


def test_when_no_photo_can_be_read_then_exit_1_and_one_line(cli) -> None:
    result = cli("verify", "/no/such/photo.jpg", str(FIXTURES / "empty.jpg"))
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and "no such file" in result.stderr and "empty" in result.stderr


@pytest.mark.parametrize(
    ("where", "why", "writable"),
    [
        ("/no/such/folder/r.json", "no such folder /no/such/folder", True),
        ("{tmp}", "it is a folder", True),
        ("{tmp}/r.json", "permission denied", False),
    ],
)
def test_an_unwritable_out_file_is_one_line_and_records_nothing(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str, why: str, writable: bool
) -> None:
    """Told before the photos are analysed: recorded with its report lost, the claim sent again (a
    new claim id) would find its photo "sent in claim c-..." that nobody ever saw. (Permissions are
    answered by os.access, which says yes to root: here one that says no for the folder.)"""
    out = where.format(tmp=tmp_path)
    with monkeypatch.context() as patched:
        if not writable:
            real_access = os.access
            patched.setattr(os, "access", lambda path, mode: Path(path) != tmp_path and real_access(path, mode))
        result = cli("verify", GOOD, "--out", out, "--json")
    assert result.exit_code == 1
    assert result.stderr == f"evidence-check: cannot write {out}: {why}\n"
    again = cli("verify", GOOD, "--json")
    assert again.exit_code == 0
    assert json.loads(again.stdout)["images"][0]["checks"]["reuse"]["code"] == "reuse.not_seen"


def test_a_writable_out_file_gets_the_report_and_the_claim_is_recorded(cli, tmp_path: Path) -> None:
    result = cli("verify", GOOD, "--out", str(tmp_path / "r.json"), "--json")
    assert result.exit_code == 0 and result.stdout == ""
    assert json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["images"][0]["filename"] == Path(GOOD).name
    again = cli("verify", GOOD, "--json")
    assert json.loads(again.stdout)["images"][0]["checks"]["reuse"]["code"] != "reuse.not_seen"


def test_default_store_is_in_the_user_data_folder(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data"), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-m", "evidence_check", "verify", GOOD, "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "data" / "evidence-check" / "evidence-check.sqlite3").is_file()


def test_unknown_option_is_exit_2_without_traceback() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "evidence_check", "verify", GOOD, "--frobnicate"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr and "frobnicate" in done.stderr


def test_verify_on_a_store_it_cannot_write_says_so_in_one_line_and_prints_no_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "s.db"
    assert CliRunner().invoke(app, ["verify", GOOD, "--db", f"sqlite:///{store}"]).exit_code == 0
    read_only = f"sqlite:///file:{store}?mode=ro&uri=true"  # as a read-only disk or folder answers
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # a URI once taken for a relative path made a folder `file:` here
    monkeypatch.setattr(sys, "argv", ["evidence-check", "verify", GOOD, "--claim-id", "c-9", "--db", read_only])
    with pytest.raises(SystemExit) as exited:
        cli_main()
    assert exited.value.code == 1
    assert capsys.readouterr() == ("", "evidence-check: could not record claim c-9: attempt to write a readonly database\n")
    assert list(elsewhere.iterdir()) == []


@pytest.mark.parametrize("as_uri", [False, True], ids=["path", "sqlite-uri"])
def test_a_store_on_a_full_disk_is_said_to_be_on_a_full_disk(
    small_disk: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], as_uri: bool
) -> None:
    path = f"sqlite:///{small_disk / 's.db'}"
    assert CliRunner().invoke(app, ["verify", GOOD, "--db", path]).exit_code == 0
    fill(small_disk)
    monkeypatch.chdir(tmp_path)
    # A SQLite URI names the same file: the hint looks beside it, not in a folder called `file:` here.
    url = f"sqlite:///file:{small_disk / 's.db'}?mode=rw&uri=true" if as_uri else path
    monkeypatch.setattr(sys, "argv", ["evidence-check", "verify", GOOD, "--db", url])
    with pytest.raises(SystemExit) as exited:
        cli_main()
    assert exited.value.code == 1
    out, err = capsys.readouterr()
    # SQLite's own words for it, opening a store that exists, are "disk I/O error".
    assert out == "" and err.endswith(f": disk I/O error (its disk is full: 0 kB free in {small_disk})\n"), err
    assert not (tmp_path / "file:").exists()


def test_ctrl_c_in_a_command_is_one_line_and_exit_130(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(catalog_cli, "list_skus", interrupted)
    monkeypatch.setattr(sys, "argv", ["evidence-check", "catalog", "list", "--db", f"sqlite:///{tmp_path / 's.db'}"])
    with pytest.raises(SystemExit) as exited:
        cli_main()
    assert exited.value.code == 130
    assert capsys.readouterr().err == "evidence-check: interrupted\n"


@pytest.mark.parametrize(
    "command",
    [
        ["outcome", "c-1", "fraud"],
        ["stats"],
        ["stock", "add", GOOD],
        ["stock", "list"],
        ["stock", "remove", "0" * 64],
        ["reuse", "forget-features", "--older-than", "30"],
        ["challenge", "c-1"],
        ["verify", GOOD],
        ["reverify", "c-1"],
        ["catalog", "list"],
        ["keys", "create"],
    ],
    ids=lambda command: " ".join(command[:2]),
)
def test_a_tenant_no_api_key_could_carry_is_refused_by_every_command(cli, tmp_path: Path, command: list[str]) -> None:
    tenant_args = ["bad tenant!"] if command[0] == "keys" else ["--tenant", "bad tenant!"]
    result = cli(*command, *tenant_args)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "tenant 'bad tenant!' must be" in result.stderr
    assert not (tmp_path / "store.sqlite3").exists()  # refused before the store is opened


def test_a_valid_tenant_option_is_accepted(cli) -> None:
    result = cli("stats", "--tenant", "shop-a.eu_1")
    assert result.exit_code == 0, result.stderr
    assert "no outcomes recorded yet" in result.stdout


@pytest.mark.parametrize(
    "command",
    [["stats", "--tenant", "shop\n"], ["challenge", "c-1\n"], ["catalog", "add", "SKU-1\n", GOOD]],
    ids=["tenant", "claim id", "sku"],
)
def test_a_name_ending_in_a_newline_is_refused_like_the_api_refuses_it(cli, command: list[str]) -> None:
    result = cli(*command)
    assert result.exit_code == 2, result.stdout
    assert result.stderr.count("\n") == 1 and "must be" in result.stderr


def test_a_fifo_given_as_a_photo_is_exit_1_and_one_line_not_a_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "photo.jpg"
    os.mkfifo(fifo)
    done = subprocess.run(
        [sys.executable, "-m", "evidence_check", "verify", str(fifo), "--no-record", "--db", f"sqlite:///{tmp_path / 's.db'}"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    assert done.stderr.count("\n") == 1 and "photo.jpg: is a named pipe (FIFO), not a regular file" in done.stderr


@pytest.mark.parametrize(
    "command",
    [["catalog", "import"], ["catalog", "add", "SKU-1", GOOD, "--zones"]],
    ids=["manifest", "zones"],
)
def test_a_fifo_given_as_a_manifest_or_zones_file_is_refused(cli, tmp_path: Path, command: list[str]) -> None:
    fifo = tmp_path / "rows.csv"
    os.mkfifo(fifo)
    result = cli(*command, str(fifo))
    assert result.exit_code == 2 and result.stderr.count("\n") == 1 and "is not a regular file" in result.stderr


def test_an_unreadable_photo_is_exit_1_and_one_line_not_a_usage_error(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    photo = tmp_path / "locked.jpg"
    photo.write_bytes(Path(GOOD).read_bytes())
    photo.chmod(0)
    if os.geteuid() == 0:  # root reads any file: show the command what another user would meet
        real_open, real_access = os.open, os.access

        def denied_open(path, *args, **kwargs):  # type: ignore[no-untyped-def]
            if os.fspath(path) == str(photo):
                raise PermissionError(13, "Permission denied")
            return real_open(path, *args, **kwargs)

        def denied_access(path, mode, **kwargs):  # type: ignore[no-untyped-def]
            return os.fspath(path) != str(photo) and real_access(path, mode, **kwargs)

        monkeypatch.setattr(os, "open", denied_open)
        monkeypatch.setattr(os, "access", denied_access)
    result = cli("verify", str(photo), "--no-record")
    assert result.exit_code == 1, result.output
    assert result.stderr == "evidence-check: no photo could be read (locked.jpg: permission denied)\n"
    assert cli("verify", str(photo), GOOD, "--no-record", "--json").exit_code == 0


def test_verify_records_the_claim_for_the_tenant_named(cli, tmp_path: Path) -> None:
    """A claim verified for shop-a is shop-a's: its challenge is issued there, not in `default`."""
    result = cli("verify", GOOD, *TIMELINE, "--claim-id", "c-t", "--tenant", "shop-a", "--json")
    assert result.exit_code == 0, result.stderr
    assert cli("challenge", "c-t", "--tenant", "shop-a").exit_code == 0
    elsewhere = cli("challenge", "c-t")
    assert elsewhere.exit_code == 1 and "no claim 'c-t'" in elsewhere.stderr


def test_a_photo_sent_later_with_the_claim_id_alone_is_judged_with_the_claims_facts(cli) -> None:
    """As the challenge tells the agent: `verify retake.jpg --claim-id c-1`. The timeline, SKU and
    customer of the claim still hold: a photo taken before the order still fails."""
    facts = ["--sku", "BAG-1", "--customer-id", "u-1", "--order-id", "SO-1", "--wanted", "refund"]
    assert cli("verify", GOOD, *TIMELINE, *facts, "--claim-id", "c-1").exit_code == 0
    later = cli("verify", OLD, "--claim-id", "c-1", "--json")
    assert later.exit_code == 0, later.stderr
    body = json.loads(later.stdout)
    assert (body["sku"], body["customer_id"], body["order_id"], body["wanted"]) == ("BAG-1", "u-1", "SO-1", "refund")
    assert body["timeline"]["ordered_at"] == "2026-11-10T10:00:00+08:00"
    assert body["images"][0]["checks"]["timestamp"]["code"] == "timestamp.before_order"


def test_a_timestamp_sentence_writes_its_two_offsets_alike(cli) -> None:
    """The capture time and the order's time side by side, each with its offset written as ISO 8601
    writes it (+08:00), not one of them +0800."""
    result = cli("verify", OLD, *TIMELINE, "--no-record", "--json")
    assert result.exit_code == 0, result.stderr
    timestamp = json.loads(result.stdout)["images"][0]["checks"]["timestamp"]
    assert timestamp["summary"] == (
        "Taken 2026-11-01 18:20:00 +08:00, 8 days before the order was placed (2026-11-10 10:00 +08:00)."
    )



def test_a_photo_sent_later_with_the_claim_id_alone_is_read_in_the_claims_zone(cli) -> None:
    """A camera clock without offset (2026-11-14 08:00) is read in the claim's zone, Asia/Shanghai:
    the retake's request names none, and the service's (UTC) moved the photo eight hours."""
    assert cli("verify", GOOD, *TIMELINE, "--claim-id", "c-1").exit_code == 0
    later = cli("verify", str(FIXTURES / "exif_no_offset_near_delivery.jpg"), "--claim-id", "c-1", "--json")
    assert later.exit_code == 0, later.stderr
    timestamp = json.loads(later.stdout)["images"][0]["checks"]["timestamp"]
    assert timestamp["details"]["offset_source"] == "assumed Asia/Shanghai"
    assert timestamp["details"]["taken_utc"] == "2026-11-14T00:00:00+00:00"


@pytest.mark.parametrize(
    ("variable", "value", "line"),
    [
        (
            "EVIDENCE_CHECK_TENANT_OVERRIDES",
            "{shop: 1}",
            "bad setting EVIDENCE_CHECK_TENANT_OVERRIDES: not JSON (Expecting property name enclosed in double quotes)",
        ),
        ("EVIDENCE_CHECK_CATEGORY_WINDOWS_HOURS", "[1", "bad setting EVIDENCE_CHECK_CATEGORY_WINDOWS_HOURS: not JSON"),
        (
            "EVIDENCE_CHECK_TIME_ZONE",
            "Shanghai",
            "bad setting EVIDENCE_CHECK_TIME_ZONE: unknown time zone 'Shanghai' (use an IANA name such as Asia/Shanghai)",
        ),
        ("EVIDENCE_CHECK_REJECT_SCORE", "2", "bad setting EVIDENCE_CHECK_REJECT_SCORE: Input should be less than or equal to 1"),
    ],
    ids=["overrides not JSON", "windows not JSON", "a zone", "a bound"],
)
def test_a_bad_setting_names_the_variable_the_operator_set_and_what_is_wrong(
    cli, monkeypatch: pytest.MonkeyPatch, variable: str, value: str, line: str
) -> None:
    """A JSON setting that did not parse said 'error parsing value for field "tenant_overrides" from
    source "EnvSettingsSource"'; the others named pydantic's field (time_zone) with its "Value error, "."""
    monkeypatch.setenv(variable, value)
    result = cli("catalog", "list")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"evidence-check: {line}"), result.stderr
    assert result.stderr.count("\n") == 1 and "Value error" not in result.stderr
