"""The manuals the tests hold the code to (README.md, docs/contract.md), as text, and a manual with
one passage changed: each manual test tries a drift on the real text, so its reader is shown to see
the passage it checks."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
CONTRACT = ROOT / "docs" / "contract.md"


def read(manual: Path = README) -> str:
    return manual.read_text(encoding="utf-8")


def drifted(written: str, instead: str, manual: Path = README) -> str:
    text = read(manual)
    assert written in text, f"{manual.name} no longer says {written!r}"
    return text.replace(written, instead, 1)
