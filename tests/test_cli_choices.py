"""Every choice of the command line (an Enum or Literal parameter) refuses a value not among them
in one plain line: typer checks them with pydantic, whose "Value error, " opened the line."""

from __future__ import annotations

import enum
import types
import typing
from collections.abc import Iterator
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from evidence_check.cli import app


def _choices(command: Any, path: list[str]) -> Iterator[tuple[list[str], Any, list[Any]]]:
    """(command path, choice parameter, the parameters before it) of every command under `command`."""
    for name, sub in getattr(command, "commands", {}).items():
        yield from _choices(sub, [*path, name])
    for n, param in enumerate(command.params):
        kind = param.type_descriptor.annotation
        if typing.get_origin(kind) in (typing.Union, types.UnionType):  # `ClaimReason | None`
            kind = next(arg for arg in typing.get_args(kind) if arg is not type(None))
        if (isinstance(kind, type) and issubclass(kind, enum.Enum)) or typing.get_origin(kind) is typing.Literal:
            yield path, param, command.params[:n]


CHOICES = list(_choices(typer.main.get_command(app), []))


def test_the_walk_finds_the_choices_the_commands_have() -> None:
    found = {(" ".join(path), param.name) for path, param, _ in CHOICES}
    assert {("outcome", "decision"), ("verify", "reason"), ("verify", "lang"), ("stock add", "kind")} <= found


@pytest.mark.parametrize(("path", "param", "before"), CHOICES, ids=[f"{' '.join(p)}:{q.name}" for p, q, _ in CHOICES])
def test_a_value_not_among_a_choices_is_refused_in_one_plain_line(path: list[str], param: Any, before: list[Any]) -> None:
    if param.param_type_name == "argument":
        given = ["x" for earlier in before if earlier.param_type_name == "argument"] + ["nonsense"]
    else:
        given = [param.opts[0], "nonsense"]
    result = CliRunner().invoke(app, [*path, *given])
    assert result.exit_code == 2, result.output
    [line] = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert "Value error" not in result.output
    assert line.startswith("Error: Invalid value for ") and "'nonsense' is not one of '" in line, line
