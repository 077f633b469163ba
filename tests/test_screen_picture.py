"""The picture inside a screen: found in phone screenshots of any chrome, not found in photos, and a
review photo shown small in an app is found by the reuse look — while the app's chrome never
matches two different photos."""

from __future__ import annotations

import io
import random
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from evidence_check.evaluation import evidence
from evidence_check.imaging import fingerprint as fp
from evidence_check.imaging import screen_picture, transforms
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
    # The product's own codes go in besides the photo's, for a screenshot that shows only the product,
    # and the frame trimmed band after band, for a screenshot trimmed so.
    print_ = fp.fingerprint(photo.working)
    assert len(print_.others) == 1 and len(print_.finders) == 2


def white_packshot(seed: int) -> Image.Image:
    """A stock photo of a white cake box on white, its sizes printed beside it (8", 6", 2.25") with
    arrows: the ground one white to every edge, dark print outside the product."""
    image = Image.new("RGB", (640, 640), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    lid = [(150, 250), (380, 190), (520, 260), (290, 330)]
    left = [(150, 250), (290, 330), (290, 500), (150, 420)]
    right = [(290, 330), (520, 260), (520, 430), (290, 500)]
    faces = Image.new("L", image.size, 0)
    for face, shade in ((lid, 246), (left, 228), (right, 214)):
        draw.polygon(face, fill=(shade,) * 3, outline=(150, 150, 150))
        ImageDraw.Draw(faces).polygon(face, fill=255)
    draw.ellipse((290, 220, 370, 280), outline=(60, 60, 60), width=4)  # the baker's logo
    font = ImageFont.load_default(size=34)
    for text, xy in (('8"', (190, 520)), ('6"', (440, 500)), ('2.25"', (540, 330))):
        draw.text(xy, text, fill=(40, 40, 40), font=font)
    draw.line((150, 440, 290, 520), fill=(40, 40, 40), width=3)
    draw.line((290, 520, 520, 450), fill=(40, 40, 40), width=3)
    # The board's grain on the box, none on the ground.
    grain = np.random.default_rng(seed).normal(0, 6, (640, 640, 1))
    pixels = np.asarray(image) + grain * (np.asarray(faces)[..., None] > 0)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def jpeg_photo(image: Image.Image, quality: int) -> Photo:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return load_photo(out.getvalue(), f"copy-q{quality}.jpg")


@pytest.mark.parametrize("quality", [0, 45, 55, 65])
def test_when_a_white_product_with_printed_sizes_stands_on_white_then_it_is_no_screen(quality: int) -> None:
    packshot = white_packshot(1)
    photo = png_photo(packshot, "packshot.png") if quality == 0 else jpeg_photo(packshot, quality)
    grey = np.asarray(photo.working.convert("L"))
    inside = screen_picture.find(grey, bordered=True)
    # The printed sizes lie outside the box, but its outline has no picture's edges: a product on
    # a plain backdrop.
    assert inside is not None and not inside.on_screen


def white_product(seed: int, shape: str) -> Image.Image:
    """A white product on white with its sizes printed beside it: a can (straight sides, its top and
    bottom arcs) or a bucket (straight rim and base, slanting sides)."""
    outline = Image.new("L", (640, 640), 0)
    draw = ImageDraw.Draw(outline)
    if shape == "can":
        draw.rectangle((250, 200, 390, 460), fill=255)
        draw.ellipse((250, 150, 390, 250), fill=255)
        draw.ellipse((250, 410, 390, 510), fill=255)
    else:
        draw.polygon([(200, 180), (440, 180), (410, 480), (230, 480)], fill=255)
    image = Image.new("RGB", (640, 640), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=34)
    draw.text((470, 300), "12 cm", fill=(40, 40, 40), font=font)
    draw.text((270, 550), "8 cm", fill=(40, 40, 40), font=font)
    draw.line((200, 535, 440, 535), fill=(40, 40, 40), width=3)
    grain = np.random.default_rng(seed).normal(0, 6, (640, 640, 1))
    pixels = np.where(np.asarray(outline)[..., None] > 0, 232 + grain, np.asarray(image))
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


@pytest.mark.parametrize("quality", [0, 45, 65])
@pytest.mark.parametrize("shape", ["can", "bucket"])
def test_when_a_product_reaches_only_some_sides_of_its_box_then_it_is_no_screen(shape: str, quality: int) -> None:
    # Every side counts: the can's sides run the box's full height (its top and bottom arcs do
    # not), the bucket's rim and base its full width (its slanting sides do not).
    product = white_product(1, shape)
    photo = png_photo(product, "product.png") if quality == 0 else jpeg_photo(product, quality)
    grey = np.asarray(photo.working.convert("L"))
    inside = screen_picture.find(grey, bordered=True)
    assert inside is not None and not inside.on_screen


def test_when_a_backdrop_has_no_band_left_after_its_trim_then_its_product_is_its_only_finder() -> None:
    # Trimming the bucket's white margin leaves no bar to trim again: a second finder would be the
    # picture's own codes once more, searched and stored for nothing.
    print_ = fp.fingerprint(png_photo(white_product(1, "bucket"), "bucket.png").working)
    assert len(print_.others) == 1 and len(print_.finders) == 1


@pytest.mark.parametrize("share", [0.3, 1.0])
@pytest.mark.parametrize("size", [(1600, 2560), (2560, 1600)])
def test_when_a_white_packshot_is_shown_on_a_16_by_10_screen_then_its_picture_is_on_the_screen(
    size: tuple[int, int], share: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 16:10 (an Android tablet, a desktop) is exactly SCREEN_ASPECT: a screen's shape, judged as a
    # phone's, where a white packshot's ground meeting a white card is no reason to doubt the screen.
    monkeypatch.setattr(transforms, "_SCREENS", (size,))
    screen, _ = phone_screen(white_packshot(1), np.random.default_rng(1), share)
    inside = screen_picture.find(np.asarray(png_photo(screen, "screen.png").working.convert("L")))
    assert inside is not None and inside.on_screen


@pytest.mark.parametrize("seed", [1, 2])
def test_when_a_white_packshot_is_recompressed_then_the_copies_hash_the_stock_photos_picture(
    sqlite_url: str, seed: int
) -> None:
    packshot = white_packshot(seed)
    original = png_photo(packshot, "packshot.png")
    picture = fp.fingerprint(original.working).codes.pdq[0]
    # The eval's recompression: qualities 45 to 65, each moving the white edges' JPEG noise. Taken
    # for a picture inside a screen, the copies' boxes moved with it, 88-98 PDQ bits from the
    # original's picture; as the frame trimmed, 6-46.
    copies = {q: jpeg_photo(packshot, q) for q in range(45, 66, 4)}
    distances = {q: hamming(fp.fingerprint(c.working).codes.pdq[0], picture) for q, c in copies.items()}
    assert max(distances.values()) <= 56, distances
    store = Store(sqlite_url)
    try:
        references = index_of(store, {"packshot": original}, kind="stock")
        assert [q for q, copy in copies.items() if found(references, copy) != {"packshot"}] == []
    finally:
        store.close()


@pytest.mark.parametrize("name", ["packagingboxesthataredamaged158", "medicinepackagingboxes115"])
def test_when_a_stock_photo_on_a_plain_ground_is_screenshotted_then_it_is_found(name: str, sqlite_url: str) -> None:
    # Products on a plain backdrop, not screens: a stock site's photo (damaged158: a margin with
    # small print, a black banner with its logo) and two boxes on a white ground whose top rows carry
    # a little print (medicine115: the photo trims to the boxes). Their gallery screenshots (status
    # bar, black bars, JPEG) are found by the frame trimmed band after band, keypoints confirming.
    # The medicine box's frame reaches the photo with a row of black blended into white on top: only
    # dropped with the bar is the white trimmed at the photo's full width, as the photo's own was.
    boxes = corpus("damaged-packages") / "roboflow-damaged-intact-box"
    path = next(boxes.glob(f"*/{name}_*.jpg"))
    store = Store(sqlite_url)
    try:
        references = index_of(store, {"stock": load_photo(path.read_bytes(), path.name)}, kind="stock")
        shot = load_photo(evidence.TRANSFORMS["screenshot"](Image.open(path), random.Random(0)), "shot.jpg")
        assert found(references, shot) == {"stock"}
    finally:
        store.close()


@pytest.mark.parametrize("share", [0.3, 1.0])
@pytest.mark.parametrize("seed", [1, 2])
def test_when_a_white_packshot_is_shown_on_a_phone_screen_then_its_picture_is_on_the_screen(
    share: float, seed: int
) -> None:
    # Seed 1: dark theme, the photo's white ground against the card; seed 2: light, white on white.
    screen, _ = phone_screen(white_packshot(seed), np.random.default_rng(seed), share)
    inside = screen_picture.find(np.asarray(png_photo(screen, "screen.png").working.convert("L")))
    assert inside is not None and inside.on_screen


@pytest.mark.parametrize("sky", [False, True])
@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_when_a_photo_is_shown_on_a_tablet_screen_then_its_box_is_found(
    seed: int, sky: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A 3:4 screen has a photo's shape: there the picture's rectangle, edge to edge, says screen.
    monkeypatch.setattr(transforms, "_SCREENS", ((1536, 2048),))
    rng = np.random.default_rng(seed)
    texture = cv2.GaussianBlur(rng.integers(0, 256, (300, 400, 3)).astype(np.uint8), (0, 0), 3)
    if sky:  # a flat black sky over a skyline, first taken for chrome: the rectangle is judged whole
        skyline = 100 + (30 * np.sin(np.arange(400) / 9)).astype(int)
        texture[np.arange(300)[:, None] < skyline] = 0
    screen, shown = phone_screen(Image.fromarray(texture), rng, 0.4)
    grey = np.asarray(png_photo(screen, "tablet.png").working.convert("L"))
    factor = grey.shape[1] / screen.width
    inside = screen_picture.find(grey)
    assert inside is not None and inside.on_screen
    assert overlap(inside.box, tuple(round(v * factor) for v in shown)) >= 0.9


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


def cut_square(image: Image.Image, seed: int) -> Photo:
    """`image` shown small in a review card (a quarter of a phone screen's width) and the screenshot
    cut square around it, twice its long side, as a user trims it to the review."""
    screen, (x, y, w, h) = phone_screen(image.convert("RGB"), np.random.default_rng(seed), share=0.25)
    side = min(2 * max(w, h), screen.width, screen.height)
    left = min(max(0, x + w // 2 - side // 2), screen.width - side)
    top = min(max(0, y + h // 2 - side // 2), screen.height - side)
    return png_photo(screen.crop((left, top, left + side, top + side)), "cut.png")


def shop_packshot(name: str) -> Photo:
    path = corpus("product-matching") / "grocery" / name / f"{name}_Iconic.jpg"
    return load_photo(path.read_bytes(), path.name)


@pytest.mark.parametrize(
    "name", ["Alpro-Shelf-Soy-Milk", "Garant-Ecological-Standard-Milk", "Tropicana-Juice-Smooth", "Yoggi-Strawberry-Yoghurt"]
)
def test_when_a_white_packshot_is_cut_square_from_a_light_screenshot_then_its_products_keypoints_find_it(
    name: str, sqlite_url: str
) -> None:
    # Seed 2: a light card meets the packshot's white ground, so the frame has a photo's shape and
    # the product no rectangle's edges: a product on a backdrop, the whole crop hashed. Its keypoints
    # are the product's box's, a quarter of the crop: the whole crop's did not confirm it.
    shot = cut_square(shop_packshot(name).full, seed=2)
    print_ = fp.fingerprint(shot.working)
    assert print_.product is not None and print_.grey.shape != print_.product.shape
    store = Store(sqlite_url)
    try:
        references = index_of(store, {name: shop_packshot(name)}, kind="stock")
        assert found(references, shot) == {name}
    finally:
        store.close()


TROPICANA = ("Tropicana-Apple-Juice", "Tropicana-Golden-Grapefruit", "Tropicana-Juice-Smooth", "Tropicana-Mandarin-Morning")


@pytest.mark.parametrize("name", ["Tropicana-Juice-Smooth", "Tropicana-Mandarin-Morning"])
def test_when_a_white_packshot_is_cut_square_then_other_products_of_its_template_are_not_matched(
    name: str, sqlite_url: str
) -> None:
    # One brand's cartons, shot alike on white, differing in the fruit and the flavour's name: the
    # crop finds the others as candidates and their keypoints agree on the template (over 100
    # inliers), but neither the crop's keypoints nor its product's confirm another flavour.
    shot = cut_square(shop_packshot(name).full, seed=2)
    others = {other: shop_packshot(other) for other in TROPICANA if other != name}
    store = Store(sqlite_url)
    try:
        references = index_of(store, others, kind="stock")
        measured = Measurements(shot)
        assert measured.fingerprint.product is not None
        examined = references.examine("t", measured)
        assert max(m.verification.inliers for m in examined) >= 100
        assert found(references, shot) == set()
    finally:
        store.close()


def test_when_a_photo_or_a_screen_is_fingerprinted_then_it_has_no_second_keypoint_source() -> None:
    # Only a product on a backdrop has one: a screen's picture is its box already, a photo has none.
    photo = load_photo(photos()["desk"].read_bytes(), "desk")
    screen, _ = phone_screen(photo.full, np.random.default_rng(1), share=0.25)
    for working in (photo.working, png_photo(screen, "screen.png").working):
        assert fp.fingerprint(working).product is None


def drawn_carton(flavour: int) -> Image.Image:
    """A shop's packshot drawn on white: one carton template (colour, print, gable top), its flavour
    a panel of fruit-like spots on the front. Needs no corpus, so it runs on a fresh clone."""
    rng = random.Random(1)
    image = Image.new("RGB", (600, 800), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    draw.rectangle((170, 120, 430, 700), fill=(rng.randint(20, 200), rng.randint(60, 160), rng.randint(20, 90)))
    for _ in range(60):
        x0, y0 = rng.uniform(180, 380), rng.uniform(130, 650)
        spot = (x0, y0, x0 + rng.randint(8, 50), y0 + rng.randint(8, 40))
        draw.ellipse(spot, fill=(rng.randint(0, 255), rng.randint(0, 255), rng.randint(0, 255)))
    draw.polygon([(170, 120), (300, 60), (430, 120)], fill=(230, 230, 230), outline=(120, 120, 120))
    rng = random.Random(1000 + flavour)
    draw.rectangle((190, 400, 410, 600), fill=(rng.randint(0, 255), rng.randint(0, 255), rng.randint(0, 255)))
    for _ in range(15):
        x0, y0 = rng.uniform(195, 360), rng.uniform(405, 560)
        spot = (x0, y0, x0 + rng.randint(8, 40), y0 + rng.randint(8, 30))
        draw.ellipse(spot, fill=(rng.randint(0, 255), rng.randint(0, 255), rng.randint(0, 255)))
    return image.filter(ImageFilter.GaussianBlur(0.6))


def test_when_a_drawn_packshot_is_cut_square_from_a_light_screenshot_then_its_products_keypoints_find_it(
    sqlite_url: str,
) -> None:
    # Seed 2 (light theme): the crop is taken for a product on a backdrop and hashed whole; its
    # keypoints confirm nothing (the carton is a quarter of it), its product's box's do.
    shot = cut_square(drawn_carton(1), seed=2)
    assert fp.fingerprint(shot.working).product is not None
    store = Store(sqlite_url)
    try:
        references = index_of(store, {"carton": png_photo(drawn_carton(1), "carton.png")}, kind="stock")
        assert found(references, shot) == {"carton"}
    finally:
        store.close()


def test_when_a_drawn_packshot_is_cut_square_then_another_flavour_of_its_template_is_not_matched(
    sqlite_url: str,
) -> None:
    # The other flavour is a candidate and its product's keypoints agree on the template (tens of
    # inliers), but not on the flavour's panel: no match.
    shot = cut_square(drawn_carton(1), seed=5)
    store = Store(sqlite_url)
    try:
        references = index_of(store, {"other": png_photo(drawn_carton(2), "other.png")}, kind="stock")
        measured = Measurements(shot)
        assert measured.fingerprint.product is not None
        [examined] = references.examine("t", measured)
        assert examined.verification.inliers >= 20
        assert found(references, shot) == set()
    finally:
        store.close()


# --- a screenshot cut down to the review: chrome without a bar -------------------------------------


def camera_like(rng: np.random.Generator, size: tuple[int, int] = (400, 300)) -> np.ndarray:
    """Blurred colour noise stretched to the full range: texture everywhere, no flat patch and no
    row of one grey, as a camera photo has."""
    blurred = cv2.GaussianBlur(rng.integers(0, 256, (size[1], size[0], 3)).astype(np.uint8), (0, 0), 3)
    return cv2.normalize(blurred, None, 0, 255, cv2.NORM_MINMAX)


def review_cut(theme: str, seed: int) -> tuple[Image.Image, tuple[int, int, int, int]]:
    """A screenshot cut square to a review photo: a line of review text cut by the top edge, the
    page's edge down the left side (the card begins a little in), the photo on the card, "Helpful"
    under it. No row is one grey from side to side (the page strip): no screen's bar."""
    rng = np.random.default_rng(seed)
    page, card, ink = ((240, 252, 30) if theme == "light" else (18, 40, 220))
    side = 600
    image = Image.new("RGB", (side, side), (page,) * 3)
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 0, side, side), fill=(card,) * 3)
    font = ImageFont.load_default(size=30)
    draw.text((70, -12), "works as described, would buy again", fill=(ink,) * 3, font=font)
    draw.text((70, 30), "Arrived quickly and works", fill=(ink,) * 3, font=font)
    box = (150, 150, 300, 300)
    draw_photo = Image.fromarray(camera_like(rng, box[2:]))
    image.paste(draw_photo, box[:2])
    draw.text((70, 480), "Helpful (12)   Report", fill=(ink,) * 3, font=font)
    return image, box


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("seed", [1, 2])
def test_when_a_screenshot_is_cut_down_to_a_review_photo_then_its_box_is_found_without_a_bar(
    theme: str, seed: int
) -> None:
    image, shown = review_cut(theme, seed)
    grey = np.asarray(png_photo(image, "cut.png").working.convert("L"))
    assert not screen_picture._has_bar(grey)  # the gate this case needs is the card's, not the bar's
    inside = screen_picture.find(grey, bordered=screen_picture.trim_borders(grey)[0].shape != grey.shape)
    assert inside is not None and inside.on_screen
    assert overlap(inside.box, shown) >= 0.9, (inside.box, shown)
    print_ = fp.fingerprint(png_photo(image, "cut.png").working)
    assert print_.box == inside.box  # what is hashed is the picture, not the crop


def test_when_a_camera_like_photo_is_looked_into_then_nothing_is_found() -> None:
    grey = np.asarray(png_photo(Image.fromarray(camera_like(np.random.default_rng(3), (600, 450))), "p.png")
                      .working.convert("L"))
    assert screen_picture.find(grey, bordered=True) is None


def sky_photo(seed: int) -> Image.Image:
    """A photo with a flat sky: a gentle gradient (no row one grey, so no bar; a border to trim),
    birds in it (things outside the busy part), the ground busy to the frame's three other edges."""
    rng = np.random.default_rng(seed)
    width, height = 600, 450
    sky = np.broadcast_to(np.linspace(190, 225, width).astype(np.uint8)[None, :, None], (height, width, 3)).copy()
    sky[200:] = camera_like(rng, (width, height - 200))
    image = Image.fromarray(sky)
    draw = ImageDraw.Draw(image)
    for x, y in ((80, 60), (300, 90), (450, 40), (520, 120)):
        draw.line((x, y, x + 12, y - 6, x + 24, y), fill=(40, 40, 40), width=3)
    return image


@pytest.mark.parametrize("seed", [1, 2])
def test_when_a_photo_has_a_flat_sky_with_birds_then_no_card_is_found(seed: int) -> None:
    grey = np.asarray(png_photo(sky_photo(seed), "sky.png").working.convert("L"))
    assert not screen_picture._has_bar(grey)
    assert screen_picture.trim_borders(grey)[0].shape != grey.shape  # so `find` looks into it
    assert screen_picture.find(grey, bordered=True) is None


def labelled_drawing() -> Image.Image:
    """A rendered bottle (printed all over; no rectangle's edges) on a white ground clear of the edges, its name printed
    beside it and a grey strip down one side: a card's ring, things outside, no bar — but a drawing."""
    image = Image.new("RGB", (600, 600), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 40, 600), fill=(200, 200, 200))
    bottle = Image.new("L", image.size, 0)
    ImageDraw.Draw(bottle).polygon([(300, 120), (360, 200), (380, 480), (220, 480), (240, 200)], fill=255)
    image.paste(Image.fromarray(camera_like(np.random.default_rng(4), image.size)), (0, 0), bottle)
    font = ImageFont.load_default(size=30)
    draw.text((70, 520), "Sparkling water 1.5 L", fill=(30, 30, 30), font=font)
    draw.text((70, 20), "New!", fill=(30, 30, 30), font=font)
    return image.filter(ImageFilter.GaussianBlur(0.6))


def test_when_a_drawing_on_a_plain_ground_has_text_beside_it_then_it_is_no_card() -> None:
    grey = np.asarray(png_photo(labelled_drawing(), "drawing.png").working.convert("L"))
    assert not screen_picture._has_bar(grey)
    assert screen_picture.find(grey, bordered=True) is None


@pytest.mark.parametrize(
    "path", ["imagededup/base_images/ukbench09268.jpg", "threatexchange-pdq/exif-rotn/exif-rotn-3.jpg"]
)
def test_when_a_review_photo_cut_square_without_a_bar_is_sent_then_it_is_found(path: str, sqlite_url: str) -> None:
    # Seeds whose crop has the page's edge down one side and text across the top: no bar (corpus; the
    # probe's never-candidates before the card's gate).
    source = load_photo((corpus("near-duplicates") / path).read_bytes(), "original.jpg")
    shots = [cut_square(source.full, seed) for seed in range(1, 9)]
    barless = [s for s in shots if not screen_picture._has_bar(np.asarray(s.working.convert("L")))]
    assert barless
    store = Store(sqlite_url)
    try:
        references = index_of(store, {"original": source}, kind="stock")
        assert [found(references, shot) for shot in barless] == [{"original"}] * len(barless)
    finally:
        store.close()


def labelled_can(size: tuple[int, int]) -> Image.Image:
    """A rendered can (straight sides, elliptic top and bottom: its box reached along about half of
    each end) printed all over, on white with its name printed beside it and a grey strip down one
    side: things outside, no bar — a drawing, not a card."""
    width, height = size
    image = Image.new("RGB", size, (255, 255, 255))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 40, height), fill=(200, 200, 200))
    x0, y0, x1, y1 = width // 2 - 150, height // 2 - 280, width // 2 + 150, height // 2 + 280
    cap = (x1 - x0) // 6
    can = Image.new("L", size, 0)
    outline = ImageDraw.Draw(can)
    outline.rectangle((x0, y0 + cap, x1, y1 - cap), fill=255)
    outline.ellipse((x0, y0, x1, y0 + 2 * cap), fill=255)
    outline.ellipse((x0, y1 - 2 * cap, x1, y1), fill=255)
    image.paste(Image.fromarray(camera_like(np.random.default_rng(4), size)), (0, 0), can)
    font = ImageFont.load_default(size=30)
    draw.text((70, height - 120), "Tomato soup 400 g", fill=(30, 30, 30), font=font)
    draw.text((70, 30), "New!", fill=(30, 30, 30), font=font)
    return image.filter(ImageFilter.GaussianBlur(0.6))


@pytest.mark.parametrize("size", [(600, 1100), (560, 1200)])
def test_when_a_can_on_plain_ground_has_text_beside_it_in_a_tall_frame_then_it_is_no_card(
    size: tuple[int, int],
) -> None:
    # A frame of a screen's shape: the photo-shaped rule (`SCREEN_ASPECT`) does not apply, so the
    # card's own edge share is all that tells the can's outline from a picture's rectangle.
    grey = np.asarray(png_photo(labelled_can(size), "can.png").working.convert("L"))
    assert not screen_picture._has_bar(grey)
    assert screen_picture.trim_borders(grey)[0].shape != grey.shape  # so `find` looks into it
    inside = screen_picture.find(grey, bordered=True)
    assert inside is None or not inside.on_screen, inside


@pytest.mark.parametrize(
    "path",
    [
        "damaged-packages/roboflow-damaged-intact-box/intact/fooditemboxes7_jpeg.rf.c6327854259ebe7de48228e894198e09.jpg",
        "damaged-packages/roboflow-damaged-intact-box/intact/"
        "medicinepackagingboxes115_jpeg.rf.0269b46d0835c7830f58fad7d96afc74.jpg",
        "near-duplicates/imagededup/base_images/ukbench01380.jpg",
    ],
)
def test_when_a_camera_photo_reaches_the_cards_gate_then_it_is_no_card(
    path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Real photos whose busy part is clear of the frame's edges (boxes on a plain ground, an object
    # on a desk), with things beside it and trimmed borders but no bar: the card's gate decides
    # them, and its edge share refuses them (0.10-0.27), so the whole photo is hashed as before.
    folder, _, rest = path.partition("/")
    photo = load_photo((corpus(folder) / rest).read_bytes(), Path(rest).name)
    grey = np.asarray(photo.working.convert("L"))
    asked = []
    carded = screen_picture._carded

    def spied(shape: tuple[int, int], box: tuple[int, int, int, int], region: np.ndarray) -> bool:
        asked.append(carded(shape, box, region))
        return asked[-1]

    monkeypatch.setattr(screen_picture, "_carded", spied)
    inside = screen_picture.find(grey, bordered=screen_picture.trim_borders(grey)[0].shape != grey.shape)
    assert asked == [False]  # the gate was asked, and refused
    assert inside is None


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_when_a_review_photo_is_cut_tight_on_one_side_then_it_is_still_on_a_card(theme: str) -> None:
    # The card's right edge cut 20 px from the photo (0.04 of the short side): a user trims as
    # close as that, and the photo is still what is hashed, not the crop.
    image, shown = review_cut(theme, 1)
    grey = np.asarray(png_photo(image.crop((0, 0, 470, 600)), "cut.png").working.convert("L"))
    assert not screen_picture._has_bar(grey)
    inside = screen_picture.find(grey, bordered=screen_picture.trim_borders(grey)[0].shape != grey.shape)
    assert inside is not None and inside.on_screen
    assert overlap(inside.box, shown) >= 0.9, (inside.box, shown)
