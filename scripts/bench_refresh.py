"""What `evidence-check reuse refresh` costs: rows a second, rows to rewrite and rows already current.

    nice -n 10 .venv/bin/python scripts/bench_refresh.py [../shared/corpora] [--photos 200] [--kept-in 50]
        [--db URL]

Records `--photos` corpus photos (those that load, each folder's in turn, sorted by path) as claims of one photo
each, and the largest other camera photo (exif-camera-jpegs) in `--kept-in` claims of its own (one file a
customer sent with many claims), their files kept, as recording does (`stored_print`, `Store.record`), in a fresh SQLite
store (or `--db`, emptied of nothing: give it an empty database); then writes every row's features as
the version before the colour map stored them, runs the command (every row refreshed), and runs it
again (every row already current). Each run is the command as a user runs it; rows a second are
counted after its start-up, timed on a tenant with no rows.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from itertools import zip_longest
from pathlib import Path

from sqlalchemy import select, update

from evidence_check.imaging import fingerprint as fp
from evidence_check.imaging.load import PhotoError, load_photo
from evidence_check.models import Claim, Timeline
from evidence_check.references import stored_print
from evidence_check.store import Store
from evidence_check.store.reuse_tables import FingerprintRow

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("exif-camera-jpegs", "damaged-packages", "product-matching", "near-duplicates")
PICTURES = {".jpg", ".jpeg", ".png", ".webp", ".heic", ".avif"}


def record(store: Store, corpora: Path, count: int, kept_in: int) -> tuple[int, int]:
    """(photos recorded in a claim each, claims of the one camera photo recorded in `kept_in`)."""
    by_folder = [sorted(p for p in (corpora / folder).rglob("*") if p.suffix.lower() in PICTURES) for folder in FOLDERS]
    recorded, used = 0, set()
    for path in (p for paths in zip_longest(*by_folder) for p in paths if p is not None):
        if recorded == count:
            break
        if _record(store, path, [f"bench-{recorded}"]):
            recorded += 1
            used.add(path)
    if kept_in:  # the largest camera JPEG, as a customer sends with claim after claim
        claims = [f"bench-kept-{n}" for n in range(kept_in)]
        largest_first = sorted((p for p in by_folder[0] if p not in used), key=lambda p: (-p.stat().st_size, p))
        if any(_record(store, path, claims) for path in largest_first):
            return recorded, kept_in
    return recorded, 0


def _record(store: Store, path: Path, claim_ids: list[str]) -> bool:
    """The photo at `path` recorded in each of these claims, its file kept; False when it does not load."""
    data = path.read_bytes()
    try:
        photo = load_photo(data, path.name)
    except PhotoError:
        return False
    stored = stored_print(fp.fingerprint(photo.working))
    for claim_id in claim_ids:
        claim = Claim(claim_id=claim_id, timeline=Timeline(), tenant="bench")
        store.record(
            claim, [(photo.image_id, photo.filename)], {"verdict": "accept", "risk": 0.0}, datetime.now(UTC),
            fingerprints={photo.image_id: stored}, files={photo.image_id: data},
        )  # fmt: skip
    return True


def without_colour(store: Store) -> None:
    """Every row's features as stored before the colour map: ending at the thumbnail."""
    with store.sessions.begin() as session:
        for row_id, blob in session.execute(select(FingerprintRow.id, FingerprintRow.features)).all():
            kept = fp.Features.from_bytes(bytes(blob))
            older = fp.Features(kept.size, kept.points, kept.descriptors, kept.thumb, None).to_bytes()
            session.execute(update(FingerprintRow).where(FingerprintRow.id == row_id).values(features=older))


def timed_refresh(url: str, *options: str) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds of the command's process, what it printed); CPU time tells a
    busy machine's runs apart better than the wall clock."""
    started, cpu = time.perf_counter(), _children_cpu()
    done = subprocess.run(
        [sys.executable, "-m", "evidence_check", "reuse", "refresh", "--db", url, *options],
        capture_output=True, text=True, check=True, cwd=ROOT,
    )  # fmt: skip
    return time.perf_counter() - started, _children_cpu() - cpu, done.stdout.strip()


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpora", nargs="?", type=Path, default=ROOT.parent / "shared" / "corpora")
    parser.add_argument("--photos", type=int, default=200)
    parser.add_argument("--kept-in", type=int, default=50, help="claims of the one photo sent with many (0: none)")
    parser.add_argument("--db", help="an empty store's URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-refresh-") as folder:
        url = args.db or f"sqlite:///{Path(folder) / 'store.sqlite3'}"
        store = Store(url)
        try:
            started = time.perf_counter()
            photos, shared = record(store, args.corpora, args.photos, args.kept_in)
            print(f"recorded {photos} photo(s) in a claim each, 1 in {shared} claim(s) in {time.perf_counter() - started:.1f} s")
            without_colour(store)
        finally:
            store.close()
        start_up, start_cpu, _ = timed_refresh(url, "--tenant", "nobody")  # the command's start, no row to look at
        print(f"start-up (a tenant of no rows): {start_up:.1f} s, {start_cpu:.2f} s CPU")
        for what in ("every row old", "every row current"):
            seconds, cpu, said = timed_refresh(url)
            rows = photos + shared
            print(
                f"{what}: {seconds:.1f} s, {rows / (seconds - start_up):.1f} rows/s after start-up; "
                f"{cpu - start_cpu:.2f} s CPU after start-up ({said})"
            )


if __name__ == "__main__":
    main()
