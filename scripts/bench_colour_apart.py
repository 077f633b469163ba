"""What the far rule's colour test costs: CPU per keypoint verification with and without the colour
maps (`fp.verify`, `Verification.colour_apart`), and per fingerprint for making the query's map; one
thread each (OpenMP, OpenBLAS, OpenCV).

Pairs: each grocery `_Iconic` packshot of ../shared/corpora, looked up as a phone `screenshot small`
(`default_rng(2026)`) against its own packshot and against the next packshot of the sorted list (a
verification that reaches RANSAC and the aligned thumbnails, as a rejected candidate does).

    nice -n 10 .venv/bin/python scripts/bench_colour_apart.py [--rounds 7]
"""

from __future__ import annotations

import argparse
import os

# One thread each: CPU time of a call then counts its own work, not idle threads spinning beside it.
for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from dataclasses import replace  # noqa: E402
from pathlib import Path  # noqa: E402

import cv2  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from evidence_check.imaging import fingerprint as fp  # noqa: E402
from evidence_check.imaging.load import load_photo  # noqa: E402
from evidence_check.imaging.transforms import screenshot_small  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CORPORA = ROOT.parent / "shared" / "corpora"


def cpu_ms(work: object, rounds: int) -> float:
    """Median CPU milliseconds of `work()` over `rounds` rounds."""
    times = []
    for _ in range(rounds):
        started = time.process_time()
        work()  # type: ignore[operator]
        times.append((time.process_time() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    cv2.setNumThreads(1)
    paths = sorted((CORPORA / "product-matching" / "grocery").glob("*/*_Iconic.jpg"))
    if not paths:
        sys.exit(f"no packshots under {CORPORA}")
    rng = np.random.default_rng(2026)
    stored = [fp.fingerprint(load_photo(p.read_bytes(), p.name).working).features(0) for p in paths]
    queries = []
    for path in paths:
        shot = load_photo(screenshot_small(load_photo(path.read_bytes(), path.name).full, rng), "shot.png")
        queries.append((shot.working, fp.fingerprint(shot.working).features(0)))
    rows: dict[str, list[float]] = {"verify, colour maps": [], "verify, grey only": [], "fingerprint's colour map": []}
    for number, (working, query) in enumerate(queries):
        for reference in (stored[number], stored[(number + 1) % len(stored)]):
            plain_query, plain_reference = replace(query, colour=None), replace(reference, colour=None)
            # Alternated round by round, so both see the same load.
            with_colour, grey_only = [], []
            for _ in range(args.rounds):
                with_colour.append(cpu_ms(lambda q=query, r=reference: fp.verify(q, r), 1))
                grey_only.append(cpu_ms(lambda q=plain_query, r=plain_reference: fp.verify(q, r), 1))
            rows["verify, colour maps"].append(statistics.median(with_colour))
            rows["verify, grey only"].append(statistics.median(grey_only))
        box = (0, 0, working.width, working.height)
        rgb = np.asarray(working.convert("RGB"))
        rows["fingerprint's colour map"].append(cpu_ms(lambda rgb=rgb, box=box: fp._chroma(rgb, box), args.rounds))
    print(f"{len(queries)} screenshots, {len(rows['verify, grey only'])} verifications, median of {args.rounds} rounds")
    print(f"{'CPU ms':28s} {'median':>8s} {'p90':>8s}")
    for name, values in rows.items():
        ordered = sorted(values)
        print(f"{name:28s} {statistics.median(ordered):8.2f} {ordered[int(0.9 * (len(ordered) - 1))]:8.2f}")


if __name__ == "__main__":
    main()
