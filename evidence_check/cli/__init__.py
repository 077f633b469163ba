"""The `evidence-check` command line. Each group of commands lives in its own module here."""

from __future__ import annotations

import logging
import sys

from evidence_check.cli import (  # noqa: F401  (registers the commands)
    bench,
    catalog,
    challenge,
    evaluate,
    integrity,
    keys,
    outcomes,
    reuse,
    reverify,
    serve,
    stock,
    verify,
    webhooks,
)
from evidence_check.cli.app import app, note


def main() -> None:
    # Without a handler, Python prints library warnings (Pillow on a damaged TIFF) and the traceback of
    # a failing check to stderr, beside our one line; the report already names a failing check.
    logging.getLogger().addHandler(logging.NullHandler())
    try:
        app()
    except KeyboardInterrupt:
        note("evidence-check: interrupted")
        sys.exit(130)
    except SystemExit as exc:
        # Typer turns Ctrl-C into a silent exit 130 (`raise Exit(130) from` the interrupt); a
        # command that says more itself (`fail`) raises its exit without that cause.
        if isinstance(getattr(exc.__context__, "__cause__", None), KeyboardInterrupt):
            note("evidence-check: interrupted")
        raise
    except Exception as exc:  # never a traceback for the user
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        note(f"evidence-check: internal error: {type(exc).__name__}: {message}"[:300])
        sys.exit(1)


__all__ = ["app", "main"]
