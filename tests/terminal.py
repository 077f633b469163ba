"""Run the command line with stderr on a pseudo-terminal and read stderr as the terminal shows it:
a progress bar is drawn only there, so only there can a message land beside it."""

from __future__ import annotations

import os
import pty
import re
import sys

import pytest

from evidence_check.cli import main


def on_a_terminal(*args: str) -> tuple[int, list[str]]:
    """(exit status, the lines stderr leaves on the terminal once the command is done)."""
    controller, terminal_end = pty.openpty()
    terminal = open(terminal_end, "w", encoding="utf-8")  # noqa: SIM115 (closed below, before reading)
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(sys, "stderr", terminal)
            patch.setattr(sys, "argv", ["evidence-check", *args])
            with pytest.raises(SystemExit) as exited:
                main()
                sys.exit(0)
            terminal.flush()
    finally:
        terminal.close()
    written = b""
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # EIO: the terminal's end is closed and all it held was read
            break
        if not chunk:
            break
        written += chunk
    os.close(controller)
    code = exited.value.code
    return (code if isinstance(code, int) else 1), as_shown(written.decode())


def as_shown(written: str) -> list[str]:
    """The lines a terminal shows for `written`: CR goes back to the line's start, ESC[K clears the
    rest of the line, the cursor's show/hide codes show nothing."""
    lines = []
    for line in re.sub(r"\x1b\[\?25[lh]", "", written).replace("\r\n", "\n").split("\n"):
        shown, cursor = "", 0
        for piece in re.split(r"(\r|\x1b\[K)", line):
            if piece == "\r":
                cursor = 0
            elif piece == "\x1b[K":
                shown = shown[:cursor]
            else:
                shown = shown[:cursor] + piece + shown[cursor + len(piece) :]
                cursor += len(piece)
        lines.append(shown)
    return lines[:-1] if lines and lines[-1] == "" else lines
