"""Probe: claim rows stored before the card's gate (a screenshot cut down to a review photo hashed
whole), looked up before and after `reuse refresh` hashes them again from the claim's kept file.

Each of bench_reuse's 203 originals is shown at 25 % of a phone screen's width and the screenshot
cut square around it (the probe of photo-shaped screens' `square crop`, `default_rng(2026)`); that
crop is recorded as a claim's photo, its file kept, its row as a version without the gate stored it
(`_carded` refusing every card). Then the original, the same crop byte for byte and a fresh crop of
the original (`default_rng(99)`) are looked up, confirmed as bench_reuse confirms, before and after
`refresh_rows`; any other claim confirmed is named.

    nice -n 10 .venv/bin/python scripts/probe_refresh_old_rows.py [--limit N]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_reuse import _confirmed, originals  # noqa: E402
from probe_photo_shaped_screens import square_crop  # noqa: E402

from evidence_check.imaging import fingerprint as fp  # noqa: E402
from evidence_check.imaging import screen_picture  # noqa: E402
from evidence_check.imaging.load import Limits, Photo, load_photo  # noqa: E402
from evidence_check.measure import Measurements  # noqa: E402
from evidence_check.models import Claim, Timeline  # noqa: E402
from evidence_check.references import References, stored_print  # noqa: E402
from evidence_check.reuse_refresh import refresh_rows  # noqa: E402
from evidence_check.store import Store  # noqa: E402
from evidence_check.store.reuse_tables import StoredPrint  # noqa: E402

LOOKUPS = ("original", "same crop", "fresh crop")


def hashed_whole(photo: Photo) -> StoredPrint:
    carded = screen_picture._carded
    screen_picture._carded = lambda *_: False  # type: ignore[assignment]
    try:
        return stored_print(fp.fingerprint(photo.working))
    finally:
        screen_picture._carded = carded  # type: ignore[assignment]


def look_up(store: Store, queries: dict[str, dict[str, Photo]], names: dict[str, str]) -> tuple[dict[str, int], list[str]]:
    """Per lookup, how many find their own claim; and each other claim confirmed."""
    references = References(store)
    found, wrong = dict.fromkeys(LOOKUPS, 0), []
    for claim_id, asked in queries.items():
        for name, photo in asked.items():
            measured = Measurements(photo)
            hits = {m.entry.ref_id for m in _confirmed(references.examine("probe", measured), measured)}
            found[name] += claim_id in hits
            wrong += [f"{name} of {names[claim_id]} -> {names[other]}" for other in sorted(hits - {claim_id})]
    return found, wrong


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int)
    args = parser.parse_args()
    paths = originals()[: args.limit]
    cut, fresh = np.random.default_rng(2026), np.random.default_rng(99)
    with tempfile.TemporaryDirectory() as folder:
        store = Store(f"sqlite:///{folder}/probe.sqlite3")
        queries: dict[str, dict[str, Photo]] = {}
        names: dict[str, str] = {}
        changed = 0
        for number, path in enumerate(paths):
            original = load_photo(path.read_bytes(), path.name)
            data = square_crop(original.full, cut)
            crop = load_photo(data, "crop.png")
            old = hashed_whole(crop)
            changed += old != stored_print(fp.fingerprint(crop.working))
            claim = Claim(claim_id=f"c-{number}", timeline=Timeline(), tenant="probe")
            store.record(
                claim, [(crop.image_id, crop.filename)], {"verdict": "accept", "risk": 0.0},
                datetime(2026, 1, 1, tzinfo=UTC), fingerprints={crop.image_id: old}, files={crop.image_id: data},
            )  # fmt: skip
            again = load_photo(square_crop(original.full, fresh), "fresh.png")
            queries[claim.claim_id] = {"original": original, "same crop": crop, "fresh crop": again}
            names[claim.claim_id] = path.name
        print(f"{len(paths)} crops recorded as before the gate; {changed} hashed otherwise by today's code")
        before, wrong_before = look_up(store, queries, names)
        done = refresh_rows(store, None, Limits(), keep_features=True)
        print(f"refresh: {done.refreshed} refreshed ({done.new_codes} with new codes), {done.current} current")
        after, wrong_after = look_up(store, queries, names)
        for name in LOOKUPS:
            print(f"{name}: {before[name]} -> {after[name]} of {len(paths)}")
        print(f"other claims confirmed: {len(wrong_before)} -> {len(wrong_after)}")
        for when, wrong in (("before", wrong_before), ("after", wrong_after)):
            for line in wrong:
                print(f"  {when}: {line}")
        store.close()


if __name__ == "__main__":
    main()
