"""A worker that opens a host's feature file has its word index's pages mapped in at once (a claim's
first queries then fault none in), and none of its image arrays' pages (those are read per image)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pytest

from evidence_check.catalog.entries import ImageArrays
from evidence_check.catalog.feature_file import FeatureFile, write

IMAGES = 800
WORDS = 1500  # index words an image: 1.2 M postings, ~9.6 MB of index
VOCABULARY = 60_000


def _mapped_kb(path: Path) -> int:
    """Resident kB of this process's mappings of `path` (/proc/self/smaps)."""
    total, inside = 0, False
    for line in Path("/proc/self/smaps").read_text().splitlines():
        if re.match(r"[0-9a-f]+-[0-9a-f]+ ", line):  # a mapping's first line: its range, ..., its file
            inside = line.endswith(str(path))
        elif inside and line.startswith("Rss:"):
            total += int(line.split()[1])
    return total


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc/self/smaps")
def test_opening_a_feature_file_maps_in_its_word_index_and_not_its_images(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)

    def image(slot: int) -> tuple[int, ImageArrays]:
        words = np.sort(rng.choice(VOCABULARY, WORDS, replace=False)).astype(np.int32)
        return slot, ImageArrays(
            points=rng.uniform(0, 500, (WORDS, 2)).astype(np.float32),
            descriptors=rng.integers(0, 255, (WORDS, 128), dtype=np.uint8),
            keypoint_words=(words // 4).astype(np.int16),
            words=words,
            colour=np.zeros(52, np.float32),
            mask=np.ones((64, 64), np.uint8),
        )

    path = tmp_path / "catalog.features"
    with open(path, "wb") as out:
        write(out, (image(slot) for slot in range(IMAGES)), IMAGES, [f"s/{n}" for n in range(IMAGES)], VOCABULARY)
    file = FeatureFile(path)
    index_kb = file.index.nbytes() // 1024
    images_kb = IMAGES * WORDS * (128 + 8 + 2) // 1024
    resident = _mapped_kb(path)
    assert resident >= 0.95 * index_kb
    assert resident < index_kb + images_kb // 10
    ranked = file.index.scores(file.arrays(5).words)
    assert int(np.argmax(ranked)) == 5
