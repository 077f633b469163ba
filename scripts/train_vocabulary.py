"""Train the visual vocabulary used to retrieve catalog candidates (evidence_check/imaging/data/).

A two-level vocabulary tree (Nistér & Stewénius 2006): k-means into BRANCH coarse cells, then
k-means into BRANCH words inside each, BRANCH² words in all. It is trained on RootSIFT descriptors
of photos that are NOT product photos (the near-duplicates, damaged-packages and camera-EXIF
corpora), so the grocery benchmark does not measure a vocabulary fitted to itself. Deterministic
for a given corpus (fixed seeds). Run once; the result is committed:

    .venv/bin/python scripts/train_vocabulary.py ../shared/corpora
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

from evidence_check.imaging.features import VOCABULARY_PATH, _nearest, extract, rootsift

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


def kmeans(data: np.ndarray, k: int, seed: int) -> np.ndarray:
    cv2.setRNGSeed(seed)
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 25, 1e-4)
    _, _, centres = cv2.kmeans(data, k, None, criteria, 2, cv2.KMEANS_PP_CENTERS)
    return centres


def main(root: Path) -> None:
    data = descriptors(root)
    print(f"{len(data)} descriptors", file=sys.stderr)
    coarse = kmeans(data, BRANCH, 1)
    assign = _nearest(data, coarse)
    fine = np.zeros((BRANCH, BRANCH, data.shape[1]), np.float32)
    for cell in range(BRANCH):
        members = data[assign == cell]
        if len(members) < BRANCH:  # a sparse cell: pad with copies so every word exists
            members = np.concatenate([members, np.repeat(coarse[cell : cell + 1], BRANCH, axis=0)])
        fine[cell] = kmeans(members, BRANCH, 1 + cell)
    VOCABULARY_PATH.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(VOCABULARY_PATH, coarse=coarse.astype(np.float16), fine=fine.astype(np.float16))
    print(f"wrote {VOCABULARY_PATH}", file=sys.stderr)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/corpora"))
