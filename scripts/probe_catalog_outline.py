"""How much of a catalog image its product outline covers, on the images a merchant may add: where
the line lies between an image the location look can judge a region on and one it cannot
(docs/measurements/location.md, "A catalog image without an outline").

    .venv/bin/python scripts/probe_catalog_outline.py [--corpora DIR]

Measures each image as `catalog add` does (`catalog_features`, then `entries.outline_share`) and
prints, per set, the distribution of the share (min, 10 / 50 / 90 %, max), how many reach
`NO_OUTLINE_SHARE` and the time the share adds to measuring an image. Sets: the grocery corpus's
web-shop images (`*_Iconic.jpg`) and hand-held shelf photos (`*_00N.jpg`), the opencv-box images,
the project's own `fixtures/images/` (drawn products on a plain background), photos of parcels at a
door (lifestyle shots, no plain background) and, framed anew from the web-shop images, the product on
white at 10 / 5 / 2 % margins, stretched to a square at 5 % (a boxy product filling a close-up) and
with a cast shadow. About 5 minutes on 2 shared cores.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import io
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from evidence_check.catalog.entries import catalog_features, outline_share
from evidence_check.checks.location import NO_OUTLINE_SHARE
from evidence_check.imaging.load import PhotoError, load_photo

ROOT = Path(__file__).resolve().parent.parent


def sets(corpora: Path) -> dict[str, Iterator[tuple[str, bytes]]]:
    grocery = corpora / "product-matching" / "grocery"
    web_shop = sorted(grocery.glob("*/*_Iconic.jpg"))
    framed: dict[str, Iterator[tuple[str, bytes]]] = {
        f"web-shop on white, {margin:.0%} margin": _framed(web_shop, lambda p, m=margin: _on_white(p, m))
        for margin in (0.10, 0.05, 0.02)
    }
    return {
        "web-shop (*_Iconic.jpg)": _files(web_shop),
        "shelf, hand-held (*_00N.jpg)": _files(sorted(grocery.glob("*/*_0[0-9][0-9].jpg"))),
        "opencv-box": _files(sorted((corpora / "product-matching" / "opencv-box").glob("*.png"))),
        "fixtures/images": _files(sorted(p for p in (ROOT / "fixtures" / "images").iterdir() if p.is_file())),
        "parcels at a door (lifestyle)": _files(
            sorted((corpora / "damaged-packages" / "roboflow-packages-at-door").rglob("*.jpg"))[:40]
        ),
        **framed,
        "web-shop stretched to a square, 5 % margin": _framed(web_shop, _square_close_up),
        "web-shop on white with a cast shadow": _framed(web_shop, _with_shadow),
    }


def _files(paths: list[Path]) -> Iterator[tuple[str, bytes]]:
    return ((path.name, path.read_bytes()) for path in paths)


def _framed(paths: list[Path], frame: Callable[[np.ndarray], np.ndarray]) -> Iterator[tuple[str, bytes]]:
    """Each web-shop image's product (its pixels off the white page) framed anew, as a JPEG."""
    for path in paths:
        rgb = np.asarray(Image.open(path).convert("RGB"))
        ys, xs = np.nonzero(~np.all(rgb > 235, axis=2))
        encoded = io.BytesIO()
        Image.fromarray(frame(rgb[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1])).save(
            encoded, "JPEG", quality=92
        )
        yield path.name, encoded.getvalue()


def _on_white(product: np.ndarray, margin: float) -> np.ndarray:
    height, width = product.shape[:2]
    side = int(max(height, width) / (1 - 2 * margin))
    canvas = np.full((side, side, 3), 255, np.uint8)
    top, left = (side - height) // 2, (side - width) // 2
    canvas[top : top + height, left : left + width] = product
    return canvas


def _square_close_up(product: np.ndarray) -> np.ndarray:
    return _on_white(cv2.resize(product, (400, 400), interpolation=cv2.INTER_AREA), 0.05)


def _with_shadow(product: np.ndarray) -> np.ndarray:
    """The product on a white page with a soft grey shadow cast to its right."""
    height, width = product.shape[:2]
    side = int(max(height, width) * 1.6)
    top, left = (side - height) // 2, (side - width) // 4
    shadow = np.zeros((side, side), np.float32)
    shadow[top + height // 3 : top + height, left + width : left + int(width * 1.8)] = 1
    grey = (255 - cv2.GaussianBlur(shadow, (0, 0), 8) * 110).clip(0, 255).astype(np.uint8)
    canvas = np.repeat(grey[..., None], 3, axis=2)
    on_page = ~np.all(product > 235, axis=2)
    canvas[top : top + height, left : left + width][on_page] = product[on_page]
    return canvas


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpora", type=Path, default=ROOT.parent / "shared" / "corpora")
    parser.add_argument("--list", action="store_true", help="print each image's share too")
    args = parser.parse_args()
    print(f"NO_OUTLINE_SHARE = {NO_OUTLINE_SHARE}")
    print(
        "| set | images | min | 10 % | 50 % | 90 % | max | >= threshold | share's cost (ms, median) | catalog_features (ms, median) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, images in sets(args.corpora).items():
        shares, costs, features_costs = [], [], []
        for filename, data in images:
            try:
                photo = load_photo(data, filename)
            except PhotoError:
                continue  # the fixtures' unreadable files: never a catalog image
            start = time.process_time()
            stored = catalog_features(photo)
            measured = time.process_time()
            share = outline_share(stored)
            costs.append((time.process_time() - measured) * 1000)
            features_costs.append((measured - start) * 1000)
            shares.append(share)
            if args.list:
                print(f"  {filename}: {share:.3f}")
        if not shares:
            print(f"| {name} | 0 (absent) | | | | | | | | |")
            continue
        q = np.percentile(shares, [10, 50, 90])
        over = sum(share >= NO_OUTLINE_SHARE for share in shares)
        print(
            f"| {name} | {len(shares)} | {min(shares):.2f} | {q[0]:.2f} | {q[1]:.2f} | {q[2]:.2f} | {max(shares):.2f} "
            f"| {over} | {np.median(costs):.2f} | {np.median(features_costs):.0f} |"
        )


if __name__ == "__main__":
    main()
