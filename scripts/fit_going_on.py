"""Fit `copy_move.MAX_GOING_ON` on half of a `probe_clone_patterns.py --clones` run, score the other half.

The probe prints, per photo, its commonest shifts with their matches, whether the multiple rule takes
each for a period (P) and the share of its pairs where the likeness goes on; from these the shift
`find_clone` keeps, and whether the check warns, follows for any threshold. Prints are split by motif,
clones by photo (sorted by name, alternate ones; a photo's far and near clone in one half). The
threshold is the middle of the widest gap, above the fit half's caught clones' largest share, among
the shares of the fit half's prints that warn without the rule.

    nice -n 10 .venv/bin/python scripts/probe_clone_patterns.py --clones --photo ... > probe.md
    nice -n 10 .venv/bin/python scripts/probe_going_on_attacks.py --stamped > stamped.md
    .venv/bin/python scripts/fit_going_on.py probe.md [--stamped stamped.md] [--swap] [--threshold 0.66]
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from evidence_check.checks.integrity.cloned_region import MIN_CLONE_PAIRS  # noqa: E402

SHIFT = re.compile(r"(-?\d+),(-?\d+): (\d+) vs \d+( P)? ([\d.]+)%")
PRINT = re.compile(r"\w+ 1/\d+ \w+ \d+x\d+$")
STAMPED = re.compile(r"\| stamped: (seed (\d+), .*?) \| (\d+) \| \d+ \| ([\d.]+)% \|")
FIT_SEEDS = {"3", "11"}  # of the stamped clones; 5 and 13 held out
NO_RULE = 2.0  # a share no shift exceeds: the multiple rule alone


Shift = tuple[str, int, bool, float]  # shift, matches, a period by the multiple rule, share going on


def read_rows(path: Path) -> dict[str, list[Shift]]:
    rows = {}
    for line in path.read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) < 8 or cells[0] == "photo":
            continue
        rows[cells[0]] = [
            (f"{m[1]},{m[2]}", int(m[3]), bool(m[4]), float(m[5]) / 100) for m in SHIFT.finditer(cells[7])
        ]
    return rows


def kept(shifts: list[Shift], threshold: float) -> Shift | None:
    return next((s for s in shifts if not s[2] and s[3] <= threshold), None)


def warns(shifts: list[Shift], threshold: float) -> bool:
    shift = kept(shifts, threshold)
    return shift is not None and shift[1] >= MIN_CLONE_PAIRS


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("probe_output", type=Path)
    parser.add_argument(
        "--swap", action="store_true", help="fit on knit, floral, tiles and the other photos' clones instead"
    )
    parser.add_argument("--threshold", type=float, help="score this one instead of the fitted one")
    parser.add_argument(
        "--stamped", type=Path, help="clones stamped again in a row too: probe_going_on_attacks.py --stamped output"
    )
    args = parser.parse_args(argv)
    rows = read_rows(args.probe_output)
    prints = {name: s for name, s in rows.items() if PRINT.match(name)}
    clones = {name: s for name, s in rows.items() if re.match(r"(near )?clone 3 % ", name) and " on " not in name}
    photos = sorted({name.split("% ", 1)[1] for name in clones})
    fit_photos = set(photos[int(args.swap) :: 2])
    fit_motifs = {"knit", "floral", "tiles"} if args.swap else {"monogram", "gingham", "stripes"}
    halves = {
        "fit": (
            {n: s for n, s in prints.items() if n.split()[0] in fit_motifs},
            {n: s for n, s in clones.items() if n.split("% ", 1)[1] in fit_photos},
        ),
        "held out": (
            {n: s for n, s in prints.items() if n.split()[0] not in fit_motifs},
            {n: s for n, s in clones.items() if n.split("% ", 1)[1] not in fit_photos},
        ),
    }
    for line in args.stamped.read_text().splitlines() if args.stamped else []:
        if row := STAMPED.match(line):  # the shift the multiple rule keeps, its matches and share
            half = "fit" if (row[2] in FIT_SEEDS) != args.swap else "held out"
            halves[half][1][f"stamped {row[1]}"] = [("kept", int(row[3]), False, float(row[4]) / 100)]
    fit_prints, fit_clones = halves["fit"]
    def shares(photos: dict[str, list[Shift]]) -> list[float]:  # on the shift each warns on, rule off
        return sorted(shift[3] for s in photos.values() if warns(s, NO_RULE) and (shift := kept(s, NO_RULE)))

    clone_top = max(shares(fit_clones))
    above = [share for share in shares(fit_prints) if share > clone_top]
    edges = [clone_top, *above]
    gap, middle = max((b - a, (a + b) / 2) for a, b in zip(edges, edges[1:], strict=False))
    print(f"fit: caught clones' largest share {clone_top:.1%}; warning prints' shares above it "
          f"{', '.join(f'{v:.1%}' for v in above)}; widest gap {gap:.1%}, its middle {middle:.1%}")  # fmt: skip
    threshold = middle if args.threshold is None else args.threshold
    print(f"\nthreshold {threshold:.1%}\n\n| half | prints warned, multiple rule only → with the rule "
          "| clones caught, before → after |\n|---|---|---|")  # fmt: skip
    for half, (half_prints, half_clones) in halves.items():
        before = sum(warns(s, NO_RULE) for s in half_prints.values())
        after = sum(warns(s, threshold) for s in half_prints.values())
        caught = sum(warns(s, NO_RULE) for s in half_clones.values())
        kept_clones = sum(warns(s, threshold) for s in half_clones.values())
        print(f"| {half} | {before}/{len(half_prints)} → {after}/{len(half_prints)} "
              f"| {caught}/{len(half_clones)} → {kept_clones}/{len(half_clones)} |")  # fmt: skip
    for name, s in prints.items():
        if warns(s, threshold):
            print(f"still warns: {name} {kept(s, threshold)}")


if __name__ == "__main__":
    main(sys.argv[1:])
