"""The documents' relative links resolve, anchors included (scripts/check_doc_links.py): location.md indexes
its sections by their GitHub anchors, which a renamed heading would break without a word."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.append(str(ROOT / "scripts"))  # the script's own module, after every installed one

import check_doc_links  # noqa: E402


def test_every_relative_link_of_the_repositorys_documents_resolves() -> None:
    documents = check_doc_links.documents()
    assert ROOT / "docs" / "measurements" / "location.md" in documents
    assert [line for path in documents for line in check_doc_links.broken_links(path)] == []


def test_headings_get_githubs_anchors() -> None:
    text = "\n".join(
        [
            "# Location: regions, zones, cost",
            "### Tenth round (branch s11-h1, load 3.6–9.7): a line's box — trimmed, *near* it",
            "#### Review",
            "#### Review",
            "## `RIDGE_ALONG` in [the look](proposal.md) ##",
            "```sh",
            "# a shell comment, no heading",
            "```",
            "#no space, no heading",
            "    # indented code, no heading",
            "## 看问题位置",
        ]
    )
    assert check_doc_links.heading_anchors(text) == [
        "location-regions-zones-cost",
        "tenth-round-branch-s11-h1-load-3697-a-lines-box--trimmed-near-it",
        "review",
        "review-1",
        "ridge_along-in-the-look",
        "看问题位置",
    ]


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_link_to_a_missing_heading_or_file_is_reported_and_the_good_ones_are_not(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / "docs").mkdir(parents=True)
    _write(root / "docs", "other.md", "# Other\n\n## Where it stands (2026-12-06)\n")
    page = _write(
        root / "docs",
        "page.md",
        "\n".join(
            [
                "# Page",
                "## The rounds",
                "[up](#the-rounds) [there](other.md#where-it-stands-2026-12-06) [file](other.md) [web](https://x.org/a#b)",
                "[stale](#where-it-stands) [gone](gone.md) [elsewhere](other.md#the-rounds)",
                "`[in code](nowhere.md)` and outside the checkout [corpus](../../shared/x.md)",
                "```",
                "[in a fence](nowhere.md#x)",
                "```",
            ]
        ),
    )
    assert check_doc_links.broken_links(page, root=root) == [
        f"{page}:4: no heading with the anchor #where-it-stands: #where-it-stands",
        f"{page}:4: no such file: gone.md",
        f"{page}:4: no heading with the anchor #the-rounds: other.md#the-rounds",
    ]


def test_the_command_exits_1_on_a_broken_link_and_0_without(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = _write(tmp_path, "good.md", "# Good\n[self](#good)\n")
    bad = _write(tmp_path, "bad.md", "# Bad\n[self](#good)\n")
    assert check_doc_links.main([str(good)]) == 0
    assert capsys.readouterr().out == "every link resolves\n"
    assert check_doc_links.main([str(good), str(bad)]) == 1
    assert capsys.readouterr().out == f"{bad}:2: no heading with the anchor #good: #good\n"
