"""The repo's docs/contract.md is the shared contract with what this project added: every line the
shared contract holds is in it. Lines the repo widened in place (an option list grown, a bullet
reworded to say what it added) are named here, and what they name in backticks must still be there.
The December bullets of the shared contract (a claim's life, the catalog, /docs) went missing this way
unnoticed until 2026-12-06."""

import re

import pytest

from tests.conftest import CORPORA, ROOT

REPO_CONTRACT = ROOT / "docs" / "contract.md"
SHARED_CONTRACT = CORPORA.parent / "docs" / "contract.md"

# The shared contract's lines the repo widened in place, by their opening words.
WIDENED = (
    "evidence-check catalog add SKU IMAGE...",
    "`region`, `record`=true|false). 200 with the report below.",
    "- `POST /v1/catalog/{sku}/images` (multipart `images`, optional `name`)",
    "- The location look's details (added 2026-12)",
    "service), both `[x, y, w, h]` in pixels of the oriented photo;",
    "`cause` and `note` when the merchant drew zones.",
)


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _shared_lines() -> list[str]:
    if not SHARED_CONTRACT.is_file():
        pytest.skip("needs ../shared/docs/contract.md beside the checkout (present in CI, not in a fresh clone)")
    return [_flat(line) for line in SHARED_CONTRACT.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_every_line_of_the_shared_contract_is_in_the_repos() -> None:
    repo = _flat(REPO_CONTRACT.read_text(encoding="utf-8"))
    missing = [line for line in _shared_lines() if line not in repo and not line.startswith(WIDENED)]
    assert missing == []


def test_a_widened_line_keeps_every_name_the_shared_one_gives() -> None:
    repo = _flat(REPO_CONTRACT.read_text(encoding="utf-8"))
    widened = [line for line in _shared_lines() if line.startswith(WIDENED)]
    assert len(widened) == len(WIDENED)  # a widened line the shared contract no longer has is named for nothing
    names = {name for line in widened for name in re.findall(r"`([^`]+)`", line) + re.findall(r"\[--?[a-z]+", line)}
    assert names and [name for name in names if name not in repo] == []
