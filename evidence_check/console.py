"""The `evidence-check` entry point: Ctrl-C while the command line is still loading (a second or
two of imports) is one line, as it is later, not a traceback."""

from __future__ import annotations

import sys


def main() -> None:
    try:
        from evidence_check.cli import main as run
    except KeyboardInterrupt:
        print("evidence-check: interrupted", file=sys.stderr)
        sys.exit(130)
    run()
