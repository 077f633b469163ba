"""Probe: photos sent again byte for byte against the rows an older version stored of them.

`probe_photo_shaped_screens.py --kind square`'s 203 crops (a phone screenshot of each bench original
cut square around it, `default_rng(2026)`) are cut and fingerprinted by an older tree (`--old-tree`,
a copy of another commit's tree, by default e0d5a04's parent: the fingerprinting before a screenshot
cut down to a review photo was hashed on its picture only), in a process of its own; this tree then
stores those prints as stock rows (as the probe indexes them), sends each crop again byte for byte
and counts the crops found by the hashes and keypoints alone (`confirmed`, the probe's rule) and as
the reuse look finds them now (`Match.found`: also by the file's sha256), and any other picture found.
The old tree's scripts find the corpora at ../shared from it: a link `shared` to this checkout's
../shared is made beside the old tree when none is there.

    git archive e0d5a04^ | tar -x -C /tmp/old-tree
    nice -n 10 .venv/bin/python scripts/probe_old_rows_resent.py --old-tree /tmp/old-tree [--limit N]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import pickle
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Run by the old tree's interpreter path: its probe's crops and its `stored_print` of each.
_OLD_SIDE = """
import pickle, sys
import numpy as np
from probe_photo_shaped_screens import CORPORA, originals, queries
from evidence_check.imaging import fingerprint as fp
from evidence_check.imaging.load import load_photo
from evidence_check.references import stored_print
rng, rows = np.random.default_rng(2026), []
for path in originals()[: int(sys.argv[2]) if sys.argv[2] else None]:
    photo = load_photo(path.read_bytes(), path.name)
    [(_, crop)] = queries("square", photo.full, rng)
    old = stored_print(fp.fingerprint(load_photo(crop, "edited").working))
    rows.append((str(path.relative_to(CORPORA)), crop, old.pdq, old.phash, old.quality, old.features))
with open(sys.argv[1], "wb") as out:
    pickle.dump(rows, out)
"""


def old_rows(old_tree: Path, limit: int | None, folder: Path) -> list[tuple]:
    out = folder / "old-rows.pickle"
    # The old tree's scripts find the corpora beside it (../shared): the same folder as this tree's.
    shared = old_tree.parent / "shared"
    if not shared.exists():
        shared.symlink_to(ROOT.parent / "shared")
    env = dict(os.environ, PYTHONPATH=f"{old_tree}{os.pathsep}{old_tree / 'scripts'}")
    subprocess.run(
        [sys.executable, "-c", _OLD_SIDE, str(out), str(limit or "")], env=env, check=True, cwd=old_tree
    )
    with out.open("rb") as rows:
        return list(pickle.load(rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--old-tree", type=Path, required=True, help="a copy of the older commit's tree")
    parser.add_argument("--limit", type=int)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from evidence_check.imaging.load import load_photo
    from evidence_check.measure import Measurements
    from evidence_check.references import confirmed, references_for
    from evidence_check.store import Store
    from evidence_check.store.reuse_tables import StoredPrint

    with tempfile.TemporaryDirectory() as folder:
        rows = old_rows(args.old_tree.resolve(), args.limit, Path(folder))
        store = Store(f"sqlite:///{folder}/probe.sqlite3")
        references = references_for(store)
        when = datetime(2026, 1, 1, tzinfo=UTC)
        for ref_id, crop, pdq, phash, quality, features in rows:
            stored = StoredPrint(pdq, phash, quality, features)
            references.add_print("probe", "stock", ref_id, hashlib.sha256(crop).hexdigest(), "crop", stored, when)
        by_codes = found = 0
        notes = []
        for ref_id, crop, *_ in rows:
            query = Measurements(load_photo(crop, "edited"))
            quality = query.fingerprint.codes.quality
            examined = references.examine("probe", query)
            own = [m for m in examined if m.entry.ref_id == ref_id]
            codes = any(confirmed(m.candidate, m.verification, quality) for m in own)
            by_codes, found = by_codes + codes, found + any(m.found(quality) for m in own)
            if not codes:
                shown = ", ".join(f"{m.candidate.pdq_distance} PDQ bits, {m.verification.inliers} inliers" for m in own)
                notes.append(f"  not confirmed by its codes: {ref_id} ({shown or 'no candidate'})")
            notes += [
                f"  other picture found: {ref_id} -> {m.entry.ref_id} (identical: {m.identical})"
                for m in examined
                if m.entry.ref_id != ref_id and m.found(quality)
            ]
        print(f"{len(rows)} crops sent again byte for byte: by hashes and keypoints {by_codes}, found {found}")
        print("\n".join(notes))
        store.close()


if __name__ == "__main__":
    main()
