"""The Typer application and the helpers every command shares."""

from __future__ import annotations

import stat
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from typer import BadParameter
from typer.core import TyperGroup

from evidence_check.errors import error_text
from evidence_check.settings import Settings, SettingsInvalid, environment_settings, without_pydantic_prefix
from evidence_check.storable import TextUnstorable, shown, storable_text
from evidence_check.store import Store, StoreError
from evidence_check.store.keys import valid_tenant


class Commands(TyperGroup):
    """The commands, whose choice options (`--reason`, `--lang`, `outcome`'s decision, ...) typer
    checks with pydantic: a value not among them read "Invalid value for '--reason': Value error,
    'x' is not one of ...". The line is said plainly, for every command and group below this one."""

    def invoke(self, ctx: Any) -> Any:  # typer's own Context (its vendored click's), not typer.Context
        try:
            return super().invoke(ctx)
        except BadParameter as refused:
            refused.message = without_pydantic_prefix(refused.message)
            raise


app = typer.Typer(
    cls=Commands,
    name="evidence-check",
    help="Verify the photos customers send as evidence for refund claims.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

# Every command's --db: None means the setting (EVIDENCE_CHECK_DB), itself SQLite by default.
DbOption = Annotated[
    str | None, typer.Option(help="store URL (default: the setting EVIDENCE_CHECK_DB, else SQLite in the user's data folder)")
]


def note(line: str) -> None:
    """One line on stderr, never beside a progress bar: on a terminal the bar's unfinished line is
    cleared first (the bar is drawn again below it on its next step); elsewhere no bar is drawn. What
    the line quotes (a file's name, a stored name) cannot drive the terminal: its control characters
    are written as escapes."""
    sys.stderr.write(("\r\033[K" if sys.stderr.isatty() else "") + shown(line) + "\n")
    sys.stderr.flush()


def fail(message: str, code: int = 1) -> NoReturn:
    """One line on stderr and out: the only way a command reports a problem."""
    note(f"evidence-check: {message}")
    raise typer.Exit(code)


def refuse_special_file(path: Path, what: str, code: int) -> None:
    """A FIFO or a device where a file is to be read would block or never end: refused by name.
    A path that cannot be looked at is left to the read, which says why."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return
    if not stat.S_ISREG(mode):
        fail(f"{what} {path} is not a regular file", code)


def check_storable(field: str, value: str | None, width: int) -> str | None:
    """Free text as typed, or a usage error (exit 2): longer than `width` (its column's), or not
    UTF-8 (such an argument arrives as lone surrogates, which no store can hold)."""
    try:
        return storable_text(field, value, width)
    except TextUnstorable as exc:
        fail(str(exc), 2)


def stored_name(name: str) -> str:
    """A file's name (or path) as stored and shown: bytes that are not UTF-8 (a lone surrogate each,
    as Python reads them) become U+FFFD, so that a file is not refused for its name."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def check_tenant(tenant: str) -> None:
    """A tenant name an API key could carry, or a usage error (exit 2)."""
    if not valid_tenant(tenant):
        fail(error_text("keys.bad_tenant", {"tenant": tenant}), 2)


def load_settings() -> Settings:
    """The settings, or one line naming the variable the operator set and what is wrong, exit 2."""
    try:
        return environment_settings()
    except SettingsInvalid as exc:
        fail(str(exc), 2)


def open_store(url: str) -> Store:
    try:
        return Store(url)
    except StoreError as exc:
        fail(str(exc))


@contextmanager
def opened_store(db: str | None, settings: Settings | None = None) -> Iterator[Store]:
    """The command's store (its --db, else the setting), closed when the command is done with it;
    a StoreError in between is the command's one line."""
    store = open_store(db or (settings or load_settings()).db)
    try:
        yield store
    except StoreError as exc:
        fail(str(exc))
    finally:
        store.close()
