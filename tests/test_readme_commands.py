"""Every `evidence-check` command line the README shows names a command and options the CLI has:
the manual cannot describe a flag that was renamed or removed."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import typer.main

import evidence_check.cli  # noqa: F401  (registers the commands)
from evidence_check.cli.app import app

README = Path(__file__).resolve().parents[1] / "README.md"


def _command_lines() -> list[str]:
    """The README's `evidence-check ...` invocations, a line continued with `\\` joined to the next,
    each cut at its shell comment or the end of its inline code."""
    text = README.read_text(encoding="utf-8").replace("\\\n", " ")
    return [m.group(1) for m in re.finditer(r"evidence-check ([a-z][^`#;|\n)]*)", text)]


def _resolve(words: list[str]) -> tuple[Any, str]:
    # Typer's commands are click's, from the click typer itself carries: read by their attributes.
    command: Any = typer.main.get_command(app)
    path = []
    for word in words:
        if word not in getattr(command, "commands", {}):
            break
        command = command.commands[word]
        path.append(word)
    return command, " ".join(path)


def _options(command: Any) -> set[str]:
    return {name for param in command.params for name in (*param.opts, *param.secondary_opts)}


def test_the_readme_shows_the_commands_it_documents() -> None:
    lines = _command_lines()
    shown = {_resolve(line.split())[1] for line in lines}
    assert {"verify", "catalog add", "catalog import", "serve", "eval", "challenge", "keys create"} <= shown


def test_every_option_the_readme_shows_is_one_the_command_takes() -> None:
    unknown = []
    for line in _command_lines():
        command, path = _resolve(line.split())
        assert path, f"no such command: evidence-check {line}"
        for option in re.findall(r"(?<![\w-])--[a-z][a-z-]*", line):
            if option not in _options(command):
                unknown.append(f"evidence-check {path}: {option}")
    assert not unknown
