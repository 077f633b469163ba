"""The picture inside a screen: found in phone screenshots of any chrome, not found in photos, and a
review photo shown small in an app is found by the reuse look — while the app's chrome never
matches two different photos."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from evidence_check.imaging import fingerprint as fp
from evidence_check.imaging import screen_picture
from evidence_check.imaging.load import Photo, load_photo
from evidence_check.imaging.transforms import phone_screen
from evidence_check.measure import Measurements
from evidence_check.references import References, references_for
from evidence_check.store import Store
from tests.conftest import corpus, hamming
from tests.reuse_codes import FIRST_SEEN_AT


def photos() -> dict[str, Path]:
    near = corpus("near-duplicates")
    grocery = corpus("product-matching") / "grocery"
    return {
        "ukbench00120": near / "imagededup/base_images/ukbench00120.jpg",
        "ukbench09268": near / "imagededup/base_images/ukbench09268.jpg",
        "bridge": near / "threatexchange-pdq/bridge-mods/aaa-orig.jpg",
        "desk": near / "threatexchange-pdq/exif-rotn/exif-rotn-1.jpg",
        "oatly-shelf": grocery / "Oatly-Oat-Milk/Oatly-Oat-Milk_002.jpg",
        "arla-shelf": grocery / "Arla-Sour-Cream/Arla-Sour-Cream_004.jpg",
        "oatly-iconic": grocery / "Oatly-Oat-Milk/Oatly-Oat-Milk_Iconic.jpg",
    }


def png_photo(image: Image.Image, name: str) -> Photo:
    out = io.BytesIO()
    image.save(out, "PNG")
    return load_photo(out.getvalue(), name)


def overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    """Intersection over union of two boxes (x, y, w, h)."""
    ix = max(0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


# --- finding the picture ---------------------------------------------------------------------------


@pytest.mark.parametrize("share", [0.22, 0.3, 0.6, 1.0])
@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_when_a_picture_is_shown_in_an_app_then_its_box_is_found(share: float, seed: int) -> None:
    # Seeds alternate light and dark themes, phone sizes and rounded corners; photos have no flat ground.
    source = Image.open(photos()["ukbench09268" if seed % 2 else "bridge"]).convert("RGB")
    screen, shown = phone_screen(source, np.random.default_rng(seed), share)
    grey = np.asarray(png_photo(screen, "screen.png").working.convert("L"))
    factor = grey.shape[1] / screen.width
    x, y, w, h = (round(v * factor) for v in shown)
    inside = screen_picture.find(grey)
    assert inside is not None and inside.on_screen
    assert overlap(inside.box, (x, y, w, h)) >= 0.9, (inside.box, (x, y, w, h))


@pytest.mark.parametrize("name", ["ukbench00120", "ukbench09268", "bridge", "desk", "oatly-shelf", "arla-shelf"])
def test_when_a_photo_has_no_chrome_then_no_picture_is_found_inside_it(name: str) -> None:
    grey = np.asarray(load_photo(photos()[name].read_bytes(), name).working.convert("L"))
    assert screen_picture.find(grey) is None


def test_when_a_product_stands_on_a_plain_backdrop_then_it_is_found_but_not_as_on_a_screen() -> None:
    photo = load_photo(photos()["oatly-iconic"].read_bytes(), "iconic")
    grey = np.asarray(photo.working.convert("L"))
    assert screen_picture.find(grey) is None  # no bar along its top or bottom edge
    inside = screen_picture.find(grey, bordered=True)  # but trimming cuts its white margin
    assert inside is not None and not inside.on_screen
    # The product's own codes go in besides the photo's, for a screenshot that shows only the product.
    print_ = fp.fingerprint(photo.working)
    assert len(print_.others) == 1 and len(print_.finders) == 1


# --- the reuse look --------------------------------------------------------------------------------


def index_of(store: Store, pictures: dict[str, Photo], kind: str = "review") -> References:
    references = references_for(store)
    for ref_id, photo in pictures.items():
        assert references.add("t", kind, ref_id, photo, FIRST_SEEN_AT)
    return references


def found(references: References, photo: Photo) -> set[str]:
    measured = Measurements(photo)
    return {m.entry.ref_id for m in references.matches("t", measured) if m.entry.image_id != photo.image_id}


def test_when_a_review_photo_is_sent_back_small_in_a_screenshot_then_it_is_found(sqlite_url: str) -> None:
    paths = photos()
    store = Store(sqlite_url)
    try:
        references = index_of(store, {name: load_photo(p.read_bytes(), p.name) for name, p in paths.items()})
        missed = []
        for number, (name, path) in enumerate(paths.items()):
            source = Image.open(path).convert("RGB")
            # Under 30 % of the screen's width, bars of several greys, light and dark themes.
            screen, _ = phone_screen(source, np.random.default_rng(number), share=0.25)
            if found(references, png_photo(screen, f"{name}-screenshot.png")) != {name}:
                missed.append(name)
        assert not missed
    finally:
        store.close()


def same_chrome(image: Image.Image) -> Photo:
    """`image` as a small review photo, always in the same app's screen: same bars, text and place."""
    square = image.convert("RGB").resize((400, 400))
    screen, _ = phone_screen(square, np.random.default_rng(2026), share=0.25)
    return png_photo(screen, "screenshot.png")


def test_when_different_photos_are_shown_in_the_same_chrome_then_none_matches_another(sqlite_url: str) -> None:
    # Photos, not the fixtures' bag drawings: two renders of one bag template that differ only in
    # dots a few pixels wide are one picture at the ~100 px a review photo is shown at.
    shots = {name: same_chrome(Image.open(path)) for name, path in photos().items()}
    # The screenshots differ only inside the picture: hashed whole, they are near each other.
    chrome_distance = min(
        hamming(fp.global_codes(np.asarray(a.working.convert("L"))).pdq[0],
                fp.global_codes(np.asarray(b.working.convert("L"))).pdq[0])
        for a in shots.values() for b in shots.values() if a is not b
    )
    assert chrome_distance <= 36
    store = Store(sqlite_url)
    try:
        references = index_of(store, shots, kind="claim")
        wrongly = {name: found(references, shot) for name, shot in shots.items() if found(references, shot)}
        assert not wrongly
    finally:
        store.close()


def test_when_a_normal_photo_is_fingerprinted_then_it_has_no_finders() -> None:
    for name in ("ukbench00120", "desk", "oatly-shelf"):
        print_ = fp.fingerprint(load_photo(photos()[name].read_bytes(), name).working)
        assert print_.finders == () and print_.picture_codes() == print_.query_codes()
