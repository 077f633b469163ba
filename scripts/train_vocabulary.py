"""Train the generic visual vocabulary (evidence_check/imaging/data/vocabulary.npz).

A catalog uses it until `catalog reindex` fits one to the catalog's own images. A two-level
vocabulary tree of BRANCH² words (`features.train_vocabulary`) on RootSIFT descriptors of photos
that are NOT product photos (the near-duplicates, damaged-packages and camera-EXIF corpora), so the
grocery benchmark does not measure a vocabulary fitted to itself. 4,096 words keep the file under
1 MB; 16,384 generic words ranked the right grocery product in the top 4 only a little more often
(57 % against 51 %) for a 3.6 MB file. Run once; the result is committed. Replacing it changes the
words of every catalog not reindexed (each image's measured again when loaded), so the script writes
over it only with --force; --out writes elsewhere (to compare with the committed one):

    .venv/bin/python scripts/train_vocabulary.py ../shared/corpora --out /tmp/vocabulary.npz
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

from evidence_check.imaging.features import VOCABULARY_PATH, extract, rootsift, train_vocabulary

ROOT = Path(__file__).resolve().parent.parent

BRANCH = 64
FOLDERS = ("near-duplicates", "damaged-packages", "exif-camera-jpegs")
PER_IMAGE = 800


def descriptors(root: Path) -> np.ndarray:
    found = []
    for folder in FOLDERS:
        for path in sorted((root / folder).rglob("*")):
            if path.suffix.lower() not in (".jpg", ".jpeg", ".png", ".webp"):
                continue
            image = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
            if image is None:
                continue
            features = extract(image, max_side=640, max_features=PER_IMAGE)
            if len(features.descriptors):
                found.append(rootsift(features.descriptors))
    return np.concatenate(found)


def main(root: Path, out: Path) -> None:
    data = descriptors(root)
    print(f"{len(data)} descriptors", file=sys.stderr)
    vocabulary = train_vocabulary(data, BRANCH, max_leaves=1)  # generic words: two levels
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(vocabulary.to_bytes())
    print(f"wrote {out}: {vocabulary.size} words", file=sys.stderr)


def arguments(argv: list[str]) -> tuple[Path, Path]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("corpora", nargs="?", type=Path, default=ROOT.parent / "shared" / "corpora",
                        help=f"the corpora folder holding {', '.join(FOLDERS)} (default: ../shared/corpora)")
    parser.add_argument("--out", type=Path, default=VOCABULARY_PATH,
                        help="where to write the vocabulary (default: the package's generic one)")
    parser.add_argument("--force", action="store_true", help="write over a file already there")
    args = parser.parse_args(argv)
    root: Path = args.corpora
    if not any((root / folder).is_dir() for folder in FOLDERS):
        sys.exit(f"none of {', '.join(FOLDERS)} under {root}")
    if args.out.exists() and not args.force:  # before the minutes of training, not after
        sys.exit(f"{args.out} exists: --force to write over it, or --out elsewhere")
    return root, args.out


if __name__ == "__main__":
    main(*arguments(sys.argv[1:]))
