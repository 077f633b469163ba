"""Check that the Markdown documents' relative links resolve: the file exists and, for a `#fragment`,
the document has a heading with that anchor as GitHub makes it (lower case, punctuation dropped, each
space a hyphen, `-1`, `-2` ... after a repeated heading). A renamed heading otherwise breaks the links
to it without a word: docs/measurements/location.md indexes its sections by anchor.

    .venv/bin/python scripts/check_doc_links.py [FILE ...]     # default: every *.md of the checkout
    .venv/bin/python scripts/check_doc_links.py --anchors FILE  # the anchors FILE's headings make

Prints one line per broken link and exits 1 if there is any. Links to the web, and targets outside the
checkout (not the repository's to keep), are not checked.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKIPPED_FOLDERS = {".git", ".venv", "node_modules"}
FENCE = re.compile(r"^\s*(```|~~~)")
HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
INLINE_LINK = re.compile(r"\[([^\]]*)\]\(([^)\s]*)[^)]*\)")
INLINE_CODE = re.compile(r"`[^`]*`")
NOT_IN_ANCHOR = re.compile(r"[^\w\- ]")


def _prose_lines(text: str) -> list[tuple[int, str]]:
    """(line number, line) of the lines outside fenced code blocks."""
    lines, fenced = [], False
    for number, line in enumerate(text.split("\n"), 1):
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            lines.append((number, line))
    return lines


def heading_anchors(text: str) -> list[str]:
    """The anchors GitHub gives the document's headings, in order."""
    anchors: list[str] = []
    seen: dict[str, int] = {}
    for _, line in _prose_lines(text):
        match = HEADING.match(line)
        if not match:
            continue
        title = INLINE_LINK.sub(r"\1", match.group(2))
        slug = NOT_IN_ANCHOR.sub("", title.lower()).replace(" ", "-")
        repeats = seen.get(slug, 0)
        seen[slug] = repeats + 1
        anchors.append(slug if repeats == 0 else f"{slug}-{repeats}")
    return anchors


def broken_links(path: Path, root: Path | None = None) -> list[str]:
    """One line per link of `path` whose file or heading does not exist. Links leaving `root` are not
    checked; by default it is the checkout, or the document's folder for a document outside it."""
    if root is None:
        root = ROOT if path.resolve().is_relative_to(ROOT) else path.resolve().parent
    text = path.read_text(encoding="utf-8")
    found: dict[Path, set[str]] = {}
    broken = []
    for number, line in _prose_lines(text):
        for _, target in INLINE_LINK.findall(INLINE_CODE.sub("", line)):
            if not target or re.match(r"[a-z][a-z0-9+.-]*:", target, re.IGNORECASE):
                continue
            file_part, _, fragment = target.partition("#")
            linked = (path.parent / file_part).resolve() if file_part else path.resolve()
            if not linked.is_relative_to(root.resolve()):
                continue
            if not linked.exists():
                broken.append(f"{path}:{number}: no such file: {target}")
            elif fragment and linked.suffix == ".md":
                if linked not in found:
                    found[linked] = set(heading_anchors(linked.read_text(encoding="utf-8")))
                if fragment not in found[linked]:
                    broken.append(f"{path}:{number}: no heading with the anchor #{fragment}: {target}")
    return broken


def documents(root: Path = ROOT) -> list[Path]:
    return sorted(
        path for path in root.rglob("*.md") if not SKIPPED_FOLDERS.intersection(path.relative_to(root).parts)
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "files", nargs="*", type=Path, help="Markdown files (default: every *.md of the checkout)"
    )
    parser.add_argument("--anchors", type=Path, metavar="FILE", help="print the anchors FILE's headings make")
    args = parser.parse_args(argv)
    if args.anchors:
        if not args.anchors.is_file():
            parser.error(f"no such file: {args.anchors}")
        print("\n".join(f"#{anchor}" for anchor in heading_anchors(args.anchors.read_text(encoding="utf-8"))))
        return 0
    missing = [str(path) for path in args.files if not path.is_file()]
    if missing:
        parser.error(f"no such file: {', '.join(missing)}")
    broken = [line for path in (args.files or documents()) for line in broken_links(path)]
    print("\n".join(broken) if broken else "every link resolves")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
