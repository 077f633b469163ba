"""Every `evidence-check` command line the README and docs/contract.md show names a command and
options the CLI has, and the values an enum option takes: the manual cannot describe a flag that was
renamed or removed. The README's first command (the sample claim) runs as written, the output its
challenge line quotes is the command's, and the repository files it names in its prose exist."""

from __future__ import annotations

import re
import shlex
from enum import Enum
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

import evidence_check.cli  # noqa: F401  (registers the commands)
from evidence_check.checks.challenge import ALPHABET
from evidence_check.cli.app import app
from tests import manuals

CLI: Any = typer.main.get_command(app)


def _command_lines(text: str) -> list[str]:
    """The README's `evidence-check ...` invocations without the program's name: in a shell block a line
    (continued with `\\` joined to the next) up to its comment or `;`; in the prose a whole code span
    that starts with the program or one of its commands (`serve --workers N`), `|` and all (a span's
    `IMAGE|DIR ... [--kind stock|review]` is usage, not a pipe)."""
    lines = []
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.DOTALL):
        lines += re.findall(r"evidence-check ([a-z][^#;\n]*)", block.replace("\\\n", " "))
    prose = re.sub(r"```.*?```", "", text, flags=re.DOTALL)
    for span in re.findall(r"`([^`\n]+)`", prose):
        words = span.removeprefix("evidence-check ").split()
        if words and words[0] in CLI.commands:
            lines.append(" ".join(words))
    return lines


def _resolve(words: list[str]) -> tuple[Any, str]:
    # Typer's commands are click's, from the click typer itself carries: read by their attributes.
    command = CLI
    path = []
    for word in words:
        if word not in getattr(command, "commands", {}):
            break
        command = command.commands[word]
        path.append(word)
    return command, " ".join(path)


def _options(command: Any) -> dict[str, Any]:
    return {name: param for param in command.params for name in (*param.opts, *param.secondary_opts)}


def _choices(param: Any) -> set[str]:
    """The values an option of an Enum type takes (none for a free value)."""
    annotation = getattr(getattr(param, "type_descriptor", None), "annotation", None)
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return {str(member.value) for member in annotation}
    return set()


def _unknown_options(text: str) -> list[str]:
    unknown = []
    for line in _command_lines(text):
        words = line.split()
        command, path = _resolve(words)
        after = words[len(path.split())] if path and len(words) > len(path.split()) else ""
        if not path or (getattr(command, "commands", None) and after and not after.startswith(("-", "["))):
            unknown.append(f"no such command: evidence-check {line}")
            continue
        options = _options(command)
        for option, value in re.findall(r"(?<![\w-])(--[a-z][a-z-]*)(?:[ =]([\w|]+))?", line):
            if option not in options:
                unknown.append(f"evidence-check {path}: {option}")
                continue
            choices = _choices(options[option])
            if choices and value and not set(value.split("|")) <= choices:
                unknown.append(f"evidence-check {path} {option} {value}: not one of {sorted(choices)}")
    return unknown


def test_the_readme_shows_the_commands_it_documents() -> None:
    lines = _command_lines(manuals.read())
    shown = {_resolve(line.split())[1] for line in lines}
    assert {
        "verify",
        "catalog add",
        "catalog import",
        "serve",
        "eval",
        "challenge",
        "keys create",
        "stock add",
        "webhooks set",
    } <= shown


def test_every_option_the_readme_shows_is_one_the_command_takes() -> None:
    assert not _unknown_options(manuals.read())


def test_the_flags_the_prose_names_are_the_clis() -> None:
    """`--tz`, `--header-timeout`, `--shipped-at` named in a sentence, outside any command line, are
    options of some command (docker's own flags aside)."""
    text = manuals.read()
    known: set[str] = set()
    commands = [CLI]
    while commands:
        command = commands.pop()
        known |= set(_options(command))
        commands += getattr(command, "commands", {}).values()
    named = {
        flag
        for line in text.splitlines()
        if "docker " not in line
        for flag in re.findall(r"(?<![\w-])--[a-z][a-z-]*", line)
    }
    assert len(named) >= 30
    assert named <= known, sorted(named - known)


@pytest.mark.parametrize(
    ("drift", "caught"),
    [
        ("`evidence-check stock add IMAGE|DIR ... [--kinds stock|review]`", "stock add: --kinds"),
        ("`evidence-check stock add IMAGE|DIR ... [--kind stock|remote]`", "--kind stock|remote: not one of"),
        (
            "```sh\nevidence-check catalog add SKU A.jpg \\\n    --label X   # --zones\n```",
            "catalog add: --label",
        ),
        ("`serve --worker 2`", "serve: --worker"),
        ("`evidence-check verify PHOTO --lang fr`", "--lang fr: not one of"),
        ("```sh\nevidence-check catalog purge SKU\n```", "no such command: evidence-check catalog purge"),
    ],
)
def test_a_drift_in_a_command_line_is_caught(drift: str, caught: str) -> None:
    """The reader on lines as the README writes them: a code span, a continued shell line, a command
    of a group that has no such command."""
    found = _unknown_options(drift)
    assert any(caught in line for line in found), found


def test_the_lines_as_written_are_all_known() -> None:
    lines = "```sh\nevidence-check stock add DIR --kind review   # or --kind stock\n```\n`serve --workers N`"
    assert _unknown_options(lines) == []


def _contract_drift(text: str) -> list[str]:
    """The contract's command lines, and `verify`'s options listed one a line under it with the values
    an enum option takes (`--wanted OUTCOME  refund | partial_refund | ...`): the same set as the CLI's."""
    block = text.split("## Command line\n```\n", 1)[1].split("```", 1)[0]
    wrong = _unknown_options(f"```sh\n{block}```")
    verify = _options(CLI.commands["verify"])
    for option, rest in re.findall(r"^\s+(--[a-z][a-z-]*)(.*)$", block, flags=re.MULTILINE):
        if option not in verify:
            wrong.append(f"verify: {option}")
            continue
        listed = re.search(r"[a-z_]+(?: ?\| ?[a-z_]+)+", rest)
        choices = _choices(verify[option])
        if choices and (listed is None or set(re.split(r" ?\| ?", listed.group(0))) != choices):
            wrong.append(f"verify {option}: contract {listed and listed.group(0)!r}, CLI {sorted(choices)}")
    return wrong


def test_the_contracts_command_lines_are_the_clis() -> None:
    text = manuals.read(manuals.CONTRACT)
    assert len(re.findall(r"^\s+--", text, flags=re.MULTILINE)) >= 15
    assert not _contract_drift(text)


@pytest.mark.parametrize(
    ("written", "drifted", "caught"),
    [
        ("    --order-id ID", "    --order ID", "verify: --order"),
        ("refund | partial_refund | return", "refund | return", "verify --wanted: contract 'refund | return"),
        ("--format text|json|html", "--format text|json|pdf", "verify --format"),
        (
            "catalog add SKU IMAGE... [--name NAME]",
            "catalog add SKU IMAGE... [--title NAME]",
            "catalog add: --title",
        ),
    ],
)
def test_a_drift_in_the_contracts_command_lines_is_caught(written: str, drifted: str, caught: str) -> None:
    assert any(
        caught in line for line in _contract_drift(manuals.drifted(written, drifted, manuals.CONTRACT))
    )


def _sample_command(text: str) -> list[str]:
    """The arguments of the `verify` the "Two commands" section runs after installing."""
    section = text.split("## Two commands\n", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, flags=re.DOTALL)
    assert block is not None, "the Two commands section has no shell block"
    command = block.group(1).split("&&")[-1].replace("\\\n", " ")
    words = shlex.split(command)
    assert words[0].endswith("evidence-check"), words
    return words[1:]


def test_the_readmes_sample_claim_runs_as_written(monkeypatch: pytest.MonkeyPatch) -> None:
    """A new user's first command: the fixtures it names, its options, and a report (exit 0) whose
    photo taken before the order rejects the claim, as the timestamp table and the verdict rules say."""
    monkeypatch.chdir(manuals.ROOT)
    result = CliRunner().invoke(app, _sample_command(manuals.read()))
    assert result.exit_code == 0, result.output
    assert "verdict REJECT" in result.output.splitlines()[0]
    assert re.search(r"exif_before_order\.jpg +reject", result.output)
    assert re.search(r"genuine_after_delivery\.jpg +accept", result.output)


def test_the_challenge_line_the_readme_quotes_is_the_commands_output() -> None:
    quoted = re.search(r"evidence-check challenge (\S+) [^#\n]*# \"([^\"]+)\"", manuals.read())
    assert quoted is not None, "the README no longer quotes the challenge command's output"
    claim_id, line = quoted.groups()
    photo = str(manuals.ROOT / "fixtures" / "images" / "no_exif.jpg")
    assert CliRunner().invoke(app, ["verify", photo, "--claim-id", claim_id]).exit_code == 0
    result = CliRunner().invoke(app, ["challenge", claim_id])
    assert result.exit_code == 0, result.output
    shape = re.escape(line).replace(re.escape(line.rsplit(" ", 1)[1]), f"[{ALPHABET}]{{5}}")
    assert re.fullmatch(shape, result.output.splitlines()[0]), (line, result.output)


def _named_paths(text: str) -> set[str]:
    """Repository paths the prose names in code spans (`scripts/lock.sh`, `requirements/*.txt`,
    `uv.lock`); not the user's own files (`zones.json`), routes (`/v1/...`) nor `../shared`."""
    prose = re.sub(r"```.*?```", "", text, flags=re.DOTALL)
    return {
        word
        for span in re.findall(r"`([^`\n]+)`", prose)
        for word in span.split()
        if re.fullmatch(r"[\w-][\w.*-]*(?:/[\w.*-]+)+/?|[\w-]+\.(?:lock|yaml|toml|sh|py|md)", word)
    }


def _missing_paths(text: str) -> list[str]:
    return sorted(path for path in _named_paths(text) if not any(Path(manuals.ROOT).glob(path.rstrip("/"))))


def test_the_files_the_readme_names_exist() -> None:
    named = _named_paths(manuals.read())
    assert {"scripts/test.sh", "tests/api/test_two_hosts.py", "requirements/*.txt", "uv.lock"} <= named
    assert _missing_paths(manuals.read()) == []


def test_a_file_named_in_the_readme_and_renamed_is_caught() -> None:
    drifted = manuals.drifted("(`tests/api/test_two_hosts.py`)", "(`tests/api/test_hosts.py`)")
    assert _missing_paths(drifted) == ["tests/api/test_hosts.py"]
