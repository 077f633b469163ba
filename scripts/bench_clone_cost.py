"""The cloned-region search's cost on the photos that make it dear: where its time goes and how it grows.

Run from the checkout (the bench photo needs ../shared/corpora beside it):

    nice -n 10 .venv/bin/python scripts/bench_clone_cost.py [--repeat 5] [--bench-photo /tmp/12mp.jpg]
        [--photo FILE ...] [--against OLD_copy_move.py]

`--photo`: real photos too, through the loader (their working copy). `--against`: another version of
`evidence_check/imaging/copy_move.py` (`git show REV:evidence_check/imaging/copy_move.py > F`),
timed on the same photos, and whether its answer is the same.

Every photo is 4032x3024 (a 12 MP phone photo; its working copy is searched at 512x384) unless its
name says otherwise; a 768-pixel photo is searched unhalved, the most blocks a search can have.
Hostile or unlucky content: flat grey, sensor-like noise, a tiled floor, a brick wall, a woven
texture, a screenshot-like page of text, and the speed bench's photo (`make_bench_photo.py`). Prints,
per photo: blocks compared (not flat), candidate pairs (neighbours in the sorted codes that are far
enough apart), pairs whose pixels were compared, matches, the commonest shift's matches, and the
median milliseconds of `find_clone` (CPU, `time.process_time`).
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

from evidence_check.imaging import copy_move  # noqa: E402
from evidence_check.imaging.load import load_photo  # noqa: E402

WIDTH, HEIGHT = 4032, 3024
WORKING = 1024  # the working copy's longest side (`Limits.working_size`)


def _flat(rng: np.random.Generator, size: tuple[int, int]) -> np.ndarray:
    return np.full((size[1], size[0], 3), 128, np.uint8)


def _noise(rng: np.random.Generator, size: tuple[int, int]) -> np.ndarray:
    return rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)


def _tiles(rng: np.random.Generator, size: tuple[int, int], tile: int = 240, grout: int = 12) -> np.ndarray:
    """A tiled floor seen straight on: light tiles with a mottled glaze of their own, dark grout."""
    one = np.full((tile, tile, 3), 200, np.float32)
    one += cv2.GaussianBlur(rng.normal(0, 25, (tile, tile, 1)).astype(np.float32), (0, 0), 6)[..., None]
    one[:grout] = one[:, :grout] = 70
    reps = (size[1] // tile + 1, size[0] // tile + 1, 1)
    return np.clip(np.tile(one, reps)[: size[1], : size[0]], 0, 255).astype(np.uint8)


def _plain_tiles(rng: np.random.Generator, size: tuple[int, int]) -> np.ndarray:
    """The same floor, tiles of one flat colour: only the grout's edges are not flat."""
    tile, grout = 240, 12
    one = np.full((tile, tile, 3), 200, np.uint8)
    one[:grout] = one[:, :grout] = 70
    reps = (size[1] // tile + 1, size[0] // tile + 1, 1)
    return np.tile(one, reps)[: size[1], : size[0]]


def _bricks(rng: np.random.Generator, size: tuple[int, int]) -> np.ndarray:
    """A brick wall: rows offset by half a brick, each brick its own shade, mortar between."""
    brick_w, brick_h, mortar = 320, 120, 16
    image = np.full((size[1], size[0], 3), 180, np.uint8)
    for row, top in enumerate(range(0, size[1], brick_h)):
        offset = (brick_w // 2) * (row % 2)
        for left in range(-offset, size[0], brick_w):
            shade = rng.integers(-25, 25)
            colour = np.clip(np.array([150, 70, 50]) + shade, 0, 255)
            image[top + mortar : top + brick_h, max(0, left + mortar) : max(0, left + brick_w)] = colour
    grain = rng.normal(0, 6, image.shape[:2])[..., None]
    return np.clip(image + grain, 0, 255).astype(np.uint8)


def _weave(rng: np.random.Generator, size: tuple[int, int]) -> np.ndarray:
    """A woven cloth: a fine exactly periodic pattern over the whole frame."""
    y, x = np.mgrid[: size[1], : size[0]].astype(np.float32)
    grey = 128 + 60 * np.sin(x / 7.0) * np.sin(y / 5.0)
    return np.repeat(grey[..., None], 3, axis=2).astype(np.uint8)


def _stripes(rng: np.random.Generator, size: tuple[int, int]) -> np.ndarray:
    """Vertical stripes: every block of a column matches every other block of it."""
    x = np.arange(size[0], dtype=np.float32)
    grey = np.broadcast_to(128 + 100 * np.sin(x / 9.0), (size[1], size[0]))
    return np.repeat(grey[..., None], 3, axis=2).astype(np.uint8)


def _text(rng: np.random.Generator, size: tuple[int, int]) -> np.ndarray:
    """A screenshot-like page: lines of text, black on white, the same words again and again."""
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    words = ["refund", "order", "parcel", "damaged", "photo", "claim", "the", "and"]
    for top in range(20, size[1] - 20, 24):
        line = " ".join(words[int(i)] for i in rng.integers(0, len(words), 60))
        draw.text((20, top), line, fill="black")
    return np.asarray(image)


def _working(pixels: np.ndarray) -> Image.Image:
    image = Image.fromarray(pixels)
    scale = WORKING / max(image.size)
    if scale < 1:
        image = image.resize(
            (round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS
        )
    return image


def _jpeg_round_trip(pixels: np.ndarray) -> np.ndarray:
    ok, data = cv2.imencode(".jpg", pixels[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 92])
    assert ok
    return np.asarray(cv2.imdecode(data, cv2.IMREAD_COLOR)[..., ::-1])


MAKERS: dict[str, tuple[Callable[[np.random.Generator, tuple[int, int]], np.ndarray], tuple[int, int]]] = {
    "flat grey": (_flat, (WIDTH, HEIGHT)),
    "noise": (_noise, (WIDTH, HEIGHT)),
    "tiled floor": (_tiles, (WIDTH, HEIGHT)),
    "tiled floor, plain tiles": (_plain_tiles, (WIDTH, HEIGHT)),
    "brick wall": (_bricks, (WIDTH, HEIGHT)),
    "weave": (_weave, (WIDTH, HEIGHT)),
    "stripes": (_stripes, (WIDTH, HEIGHT)),
    "screenshot-like text": (_text, (WIDTH, HEIGHT)),
    "stripes, 768x768": (_stripes, (768, 768)),
    "weave, 768x768": (_weave, (768, 768)),
    "tiled floor, 768x768": (_tiles, (768, 768)),
}


def hostile_photos(seed: int = 0) -> dict[str, Image.Image]:
    """Each worst-case photo's working copy, after a camera-like JPEG save."""
    rng = np.random.default_rng(seed)
    return {name: _working(_jpeg_round_trip(make(rng, size))) for name, (make, size) in MAKERS.items()}


def _stats(working: Image.Image) -> dict[str, object]:
    """The search's stages counted, as `find_clone` runs them."""
    smooth = copy_move.searched_copy(working)
    ys, xs, keys = copy_move._block_codes(smooth)
    candidates = copy_move._candidate_pairs(ys, xs, keys)
    first, second = copy_move._at_most(*candidates, copy_move.MAX_CANDIDATES)
    found = copy_move.find_clone(working)
    return {
        "searched": f"{smooth.shape[1]}x{smooth.shape[0]}",
        "blocks": len(keys),
        "candidates": len(candidates[0]),
        "compared": len(first),
        "matches": int(copy_move._close(smooth, ys, xs, first, second).sum()),
        "pairs": 0 if found is None else found.pairs,
    }


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--bench-photo", type=Path, help="the speed bench's JPEG (make_bench_photo.py)")
    parser.add_argument(
        "--photo", type=Path, nargs="*", default=[], help="real photos, loaded as the service does"
    )
    parser.add_argument("--against", type=Path, help="another copy_move.py to time and compare with")
    args = parser.parse_args(argv)
    photos: dict[str, Image.Image] = {}
    if args.bench_photo is not None:
        with Image.open(args.bench_photo) as image:
            photos["speed bench photo"] = _working(np.asarray(image.convert("RGB")))
    for path in args.photo:
        photos[path.name] = load_photo(path.read_bytes(), path.name).working
    photos |= hostile_photos()
    other = None
    if args.against is not None:
        spec = importlib.util.spec_from_file_location("copy_move_against", args.against)
        assert spec is not None and spec.loader is not None
        other = importlib.util.module_from_spec(spec)
        sys.modules["copy_move_against"] = other  # dataclasses look their module up
        spec.loader.exec_module(other)
    header = "| photo | searched | blocks | candidate pairs | compared | matches | on one shift | ms |"
    print(header + (" against: ms | on one shift | same answer |" if other else ""))
    print("|---" * (8 + 3 * (other is not None)) + "|")
    for name, working in photos.items():
        stats = _stats(working)
        milliseconds, found = _timed(copy_move.find_clone, working, args.repeat)
        row = (
            f"| {name} | {stats['searched']} | {stats['blocks']} | {stats['candidates']} | "
            f"{stats['compared']} | {stats['matches']} | {stats['pairs']} | {milliseconds:.1f} |"
        )
        if other is not None:
            before, answer = _timed(other.find_clone, working, args.repeat)
            same = (found is None and answer is None) or (
                found is not None and answer is not None and found.as_details() == answer.as_details()
            )
            pairs = 0 if answer is None else answer.pairs
            row += f" {before:.1f} | {pairs} | {'yes' if same else 'no'} |"
        print(row, flush=True)


def _timed(find: Callable[[Image.Image], Any], working: Image.Image, repeat: int) -> tuple[float, Any]:
    """Median CPU milliseconds of `find` on `working`, and its answer."""
    times, answer = [], None
    for _ in range(repeat):
        start = time.process_time()
        answer = find(working)
        times.append((time.process_time() - start) * 1000)
    return statistics.median(times), answer


if __name__ == "__main__":
    main(sys.argv[1:])
