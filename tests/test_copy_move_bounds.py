"""The copy-move search's work is bounded, and its faster steps answer as the plain ones did.

Must hold: a pattern repeated over the whole frame (stripes at 768x768, one candidate pair per
block) has no more than `MAX_CANDIDATES` pairs compared; the radix order equals numpy's stable sort,
ties included; the two-row rejection never drops a pair the whole-block comparison keeps; a shift
pointing up is found as itself (the shifts are packed into one integer each).
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from evidence_check.imaging import copy_move


def _stripes(size: int = 768) -> Image.Image:
    grey = np.broadcast_to(128 + 100 * np.sin(np.arange(size) / 9.0), (size, size))
    return Image.fromarray(grey.astype(np.uint8)).convert("RGB")


def test_a_frame_of_stripes_compares_at_most_the_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[int] = []
    candidates: list[int] = []
    close, pairs = copy_move._close, copy_move._candidate_pairs

    def counting_close(*args: np.ndarray) -> np.ndarray:
        compared.append(len(args[3]))
        return close(*args)

    def counting_pairs(*args: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        found = pairs(*args)
        candidates.append(len(found[0]))
        return found

    monkeypatch.setattr(copy_move, "_close", counting_close)
    monkeypatch.setattr(copy_move, "_candidate_pairs", counting_pairs)
    copy_move.find_clone(_stripes())
    assert candidates[0] > copy_move.MAX_CANDIDATES  # the pattern does ask for more
    assert compared == [copy_move.MAX_CANDIDATES]


def test_at_most_keeps_pairs_evenly_and_untouched_below_the_cap() -> None:
    first, second = np.arange(1000), np.arange(1000) + 5
    kept_first, kept_second = copy_move._at_most(first, second, 10)
    assert len(kept_first) == 10 and kept_first[0] == 0 and kept_first[-1] == 999
    assert np.array_equal(kept_second, kept_first + 5)
    assert copy_move._at_most(first, second, 1000)[0] is first


def test_the_radix_order_is_numpys_stable_order() -> None:
    rng = np.random.default_rng(4)
    keys = rng.integers(0, 1 << 24, 50_000, dtype=np.int64)
    keys[::3] = keys[0]  # many ties: their order decides which blocks are neighbours
    keys[1::7] = (1 << 24) - 1
    assert np.array_equal(copy_move._stable_order(keys), np.argsort(keys, kind="stable"))


def test_the_two_row_rejection_keeps_every_close_pair() -> None:
    rng = np.random.default_rng(2)
    smooth = (128 + rng.normal(0, 20, (200, 200))).astype(np.float32)
    smooth[100:140, 100:140] = smooth[20:60, 30:70] + rng.normal(0, 0.8, (40, 40)).astype(np.float32)
    ys, xs = np.mgrid[:193, :193].reshape(2, -1)
    first = rng.integers(0, len(ys), 20_000)
    second = rng.integers(0, len(ys), 20_000)
    copies = ((ys >= 20) & (ys < 52) & (xs >= 30) & (xs < 62)).nonzero()[0]
    first = np.concatenate([first, copies])
    second = np.concatenate([second, copies + 80 * 193 + 70])  # the same block in the copy
    windows = np.lib.stride_tricks.sliding_window_view(smooth, (8, 8))
    plain = np.abs(windows[ys[first], xs[first]] - windows[ys[second], xs[second]]).mean(axis=(1, 2))
    close = copy_move._close(smooth, ys, xs, first, second)
    assert close.sum() > 500  # the copy's pairs, some near the limit
    assert np.array_equal(close, plain <= copy_move.MAX_PAIR_DIFFERENCE)


def test_a_shift_pointing_up_is_found_as_itself() -> None:
    rng = np.random.default_rng(9)
    pixels = np.clip(128 + rng.normal(0, 30, (480, 640)), 0, 255).astype(np.uint8)
    pixels[40:140, 400:520] = pixels[300:400, 100:220]  # lower left copied to upper right
    found = copy_move.find_clone(Image.fromarray(pixels).convert("RGB"))
    assert found is not None
    assert found.shift == (300, -260)
    assert found.pairs >= 20
