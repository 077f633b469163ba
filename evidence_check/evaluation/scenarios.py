"""The scenarios of docs/domain.md built from the shared corpora: claims whose truth is known.

Each scenario is a set of claims, genuine or fraud, and for fraud the check responsible for
catching it. Labels come from the files, never from our checks' output:
- *genuine with EXIF*: camera files of `exif-camera-jpegs` / `heif-avif-webp` whose
  DateTimeOriginal is plausible (1995 until today, not a reset default) and whose Software tag names
  no editor, plus the shelf photos of `product-matching` with a phone's EXIF inserted as an APP1
  segment (pixels untouched); the order timeline is laid around the capture time;
- *genuine without EXIF*: `damaged-packages` and the shelf photos as they are (EXIF stripped);
- *old photo*: the genuine-with-EXIF files, ordered 30 days after they were taken;
- *listing photo*: a catalog's own product image, resized / recompressed / cropped;
- *wrong item*: a shelf photo of one product claimed for another product's SKU;
- *reused by another customer*: `near-duplicates` edit pairs and generated transforms (resize,
  recompress, crop, mirror, rotation, screenshot) of photos first recorded for another customer;
- *stock photo*: web-scraped `damaged-packages` photos registered as stock, sent resized;
- *edited*: camera files saved by an editor, and shelf photos retouched and saved with an
  editor's Software tag;
- *AI marker*: photos carrying a generator's marker (PNG "parameters" text, IPTC digital source
  type trainedAlgorithmicMedia in XMP, a generator named in EXIF Software);
- *hostile file*: every file of `malformed-images`;
- *review screenshot*: shelf photos recorded as the merchant's review photos (other buyers'), sent
  back inside a phone screenshot, small on a review page or full width in a photo viewer;
- *quiet edit*: the genuine-with-EXIF camera JPEGs that carry an EXIF thumbnail, damage painted
  over 1-3 % of the frame by an editor that keeps every EXIF byte (`quiet_edits.paint`);
- *held in front of shelf*: a product's shelf photo held large in the centre, in front of a shelf
  of its brand's other variants (brand: the product folder's first word), claimed for that product.
"""

from __future__ import annotations

import csv
import io
import random
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from evidence_check.evaluation import quiet_edits
from evidence_check.evaluation.evidence import AI_MARKERS, TRANSFORMS, shelf_scene, with_exif
from evidence_check.imaging.jpeg_header import read_jpeg_header
from evidence_check.imaging.load import Limits, PhotoError, read_file
from evidence_check.imaging.thumbnail import extract_thumbnail
from evidence_check.imaging.transforms import screenshot, screenshot_small
from evidence_check.service import limits_from
from evidence_check.settings import Settings

GENUINE = ("genuine_exif", "genuine_no_exif", "held_in_front_of_shelf")
SCENARIOS = (
    "genuine_exif",
    "genuine_no_exif",
    "old_photo",
    "listing_photo",
    "wrong_item",
    "reused_other_customer",
    "stock_photo",
    "edited",
    "ai_marker",
    "hostile_file",
    "review_screenshot",
    "quiet_edit",
    "held_in_front_of_shelf",
)
RESPONSIBLE = {
    "old_photo": ("timestamp",),
    "listing_photo": ("reuse",),
    "wrong_item": ("relevance",),
    "reused_other_customer": ("reuse",),
    "stock_photo": ("reuse",),
    "edited": ("integrity",),
    "ai_marker": ("integrity",),
    "hostile_file": ("load",),
    "review_screenshot": ("reuse",),
    "quiet_edit": ("integrity",),
}
EDITOR_NAMES = re.compile(
    r"gimp|photoshop|lightroom|paint|picasa|acdsee|irfanview|corel|snapseed|pixelmator", re.I
)
MIN_QUIET_SIDE = 240  # pixels: the smallest frame a quiet edit is painted on
NOW = datetime.now(UTC).replace(microsecond=0)


@dataclass
class Case:
    name: str
    photos: list[tuple[str, bytes | None, PhotoError | None]]  # filename, bytes (None: unreadable), error
    sku: str | None = None
    taken: datetime | None = None  # anchors the order timeline
    old: bool = False  # order placed after the photo was taken
    # Claims recorded before this one: (claim id, customer id, photos) — e.g. the original of a reuse.
    earlier: list[tuple[str, str, list[tuple[str, bytes]]]] = field(default_factory=list)
    product: str | None = None  # the grocery product the photo shows, for the split by product


@dataclass
class Scenario:
    name: str
    cases: list[Case]
    catalog: dict[str, list[Path]] = field(default_factory=dict)  # SKU -> its catalog images
    stock: list[Path] = field(default_factory=list)
    reviews: list[Path] = field(default_factory=list)  # other buyers' review photos of the merchant
    brands: dict[str, str] = field(default_factory=dict)  # SKU -> its brand, as a catalog import gives it
    note: str = ""


def scenarios(
    corpora: Path, seed: int = 5, limit: int | None = None, only: set[str] | None = None
) -> list[Scenario]:
    """The scenarios named in `only` (every one if None), in SCENARIOS' order, each cut to `limit` claims.

    The first ten draw in turn from one generator, so all of them are built whichever are asked for:
    a scenario's claims must not depend on which others run, and they take ~1 s of the ~14. The last
    three draw from no shared generator and make the rest (screenshots, painted edits, shelf scenes):
    they are built only when asked for, and only up to `limit` claims."""
    rng = random.Random(seed)
    camera = _camera_files(corpora)
    shelves = _shelf_photos(corpora)
    wanted = set(SCENARIOS) if only is None else only
    limits = limits_from(Settings())  # once: settings are read from the environment, ~10 ms a time
    built = [
        _genuine_exif(camera, shelves, rng, limits),
        _genuine_no_exif(corpora, shelves, limits),
        _old_photo(camera, shelves, rng, limits),
        _listing_photo(corpora, rng),
        _wrong_item(corpora, shelves, rng),
        _reused(corpora, shelves, rng, limits),
        _stock(corpora, rng),
        _edited(camera, shelves, rng, limits),
        _ai_marker(corpora, shelves, rng),
        _hostile(corpora, limits),
    ]
    if "review_screenshot" in wanted:
        built.append(_review_screenshot(shelves, seed, limit))
    if "quiet_edit" in wanted:
        built.append(_quiet_edit(camera, limit))
    if "held_in_front_of_shelf" in wanted:
        built.append(_held_in_front_of_shelf(corpora, limit))
    if limit is not None:
        for scenario in built:
            scenario.cases = scenario.cases[:limit]
    return [scenario for scenario in built if scenario.name in wanted]


def _manifest(folder: Path) -> list[dict[str, str]]:
    path = folder / "manifest.csv"
    if not path.is_file():
        return []
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _camera_files(corpora: Path) -> list[tuple[Path, datetime, bool]]:
    """(file, capture time, saved by an editor) for camera files with a plausible capture time."""
    found = []
    for name in ("exif-camera-jpegs", "heif-avif-webp"):
        for row in _manifest(corpora / name):
            raw = row.get("datetime_original_pillow") or row.get("datetime_original_exifread") or ""
            taken = _exif_time(raw)
            if taken is None or row.get("pillow_result") != "ok":
                continue
            path = corpora / name / row["path"]
            found.append((path, taken, _edited_by_software(path)))
    return found


def _exif_time(raw: str) -> datetime | None:
    try:
        taken = datetime.strptime(raw.strip()[:19], "%Y:%m:%d %H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        return None
    # Reset defaults (YYYY:01:01 00:00:00) and impossible years are broken clocks, not capture times.
    if taken.month == 1 and taken.day == 1 and taken.hour == 0 and taken.minute == 0:
        return None
    return taken if datetime(1995, 1, 1, tzinfo=UTC) <= taken <= NOW else None


def _edited_by_software(path: Path) -> bool:
    try:
        with Image.open(path) as image:
            exif = image.getexif()
            software = " ".join(str(exif.get(tag, "")) for tag in (0x0131, 0x000B))
            xmp = image.info.get("xmp", b"")
    except Exception:  # a label, not a check: a file Pillow cannot open is simply not "edited"
        return False
    # Only the tool named as the file's creator counts: XMP packets of untouched photos often declare
    # the "photoshop:" namespace for plain fields such as DateCreated.
    packet = xmp.decode("utf-8", "replace") if isinstance(xmp, bytes) else str(xmp)
    tool = re.search(r"CreatorTool(?:=\"([^\"]*)\"|>([^<]*)<)", packet)
    text = software + (" " + (tool.group(1) or tool.group(2)) if tool else "")
    return bool(EDITOR_NAMES.search(text))


def _shelf_photos(corpora: Path) -> list[tuple[str, Path]]:
    """(product, shelf photo) for every non-catalog photo of product-matching/grocery."""
    root = corpora / "product-matching" / "grocery"
    return [(path.parent.name, path) for path in sorted(root.glob("*/*.jpg")) if "Iconic" not in path.name]


def _iconic(corpora: Path) -> dict[str, Path]:
    root = corpora / "product-matching" / "grocery"
    return {path.parent.name: path for path in sorted(root.glob("*/*_Iconic.jpg"))}


def held_out_products(corpora: Path) -> set[str]:
    """The grocery products no threshold was fitted on: every second one in name order (the
    relevance rules were fitted on the others; `scripts/bench_relevance.py` splits the same way)."""
    return set(sorted(_iconic(corpora))[1::2])


def _phone_time(rng: random.Random) -> datetime:
    return (NOW - timedelta(days=rng.randint(5, 300), minutes=rng.randint(0, 1440))).replace(second=0)


def _genuine_exif(
    camera: list[tuple[Path, datetime, bool]], shelves: list[tuple[str, Path]], rng: random.Random, limits: Limits
) -> Scenario:
    cases = [Case(path.name, [_file(path, limits)], taken=taken) for path, taken, edited in camera if not edited]
    for product, path in shelves:
        taken = _phone_time(rng)
        data = with_exif(path.read_bytes(), taken)
        cases.append(Case(path.name, [(path.name, data, None)], taken=taken, product=product))
    return Scenario("genuine_exif", cases)


def _genuine_no_exif(corpora: Path, shelves: list[tuple[str, Path]], limits: Limits) -> Scenario:
    packages = sorted((corpora / "damaged-packages").glob("**/*.jpg"))
    cases = [Case(path.name, [_file(path, limits)]) for path in packages]
    cases += [Case(path.name, [_file(path, limits)], product=product) for product, path in shelves]
    return Scenario("genuine_no_exif", cases)


def _old_photo(
    camera: list[tuple[Path, datetime, bool]], shelves: list[tuple[str, Path]], rng: random.Random, limits: Limits
) -> Scenario:
    cases = [
        Case(path.name, [_file(path, limits)], taken=taken, old=True) for path, taken, edited in camera if not edited
    ]
    for _, path in shelves[::3]:
        taken = _phone_time(rng) - timedelta(days=400)
        cases.append(
            Case(path.name, [(path.name, with_exif(path.read_bytes(), taken), None)], taken=taken, old=True)
        )
    return Scenario("old_photo", cases)


def _listing_photo(corpora: Path, rng: random.Random) -> Scenario:
    iconic = _iconic(corpora)
    cases = []
    for product, path in iconic.items():
        for transform in ("resize", "recompress", "crop"):
            data = TRANSFORMS[transform](Image.open(path), rng)
            cases.append(
                Case(f"{product}:{transform}", [(f"{product}_{transform}.jpg", data, None)], sku=product)
            )
    return Scenario("listing_photo", cases, catalog={p: [i] for p, i in iconic.items()})


def _wrong_item(corpora: Path, shelves: list[tuple[str, Path]], rng: random.Random) -> Scenario:
    iconic = _iconic(corpora)
    products = sorted(iconic)
    cases = []
    for product, path in shelves[::2]:
        ordered = rng.choice([p for p in products if p != product])
        taken = _phone_time(rng)
        data = with_exif(path.read_bytes(), taken)
        cases.append(
            Case(f"{path.name} as {ordered}", [(path.name, data, None)], sku=ordered, taken=taken, product=product)
        )
    return Scenario("wrong_item", cases, catalog={p: [i] for p, i in iconic.items()})


def _reused(corpora: Path, shelves: list[tuple[str, Path]], rng: random.Random, limits: Limits) -> Scenario:
    near = corpora / "near-duplicates"
    pairs: list[tuple[Path, Path]] = []
    bridge = near / "threatexchange-pdq" / "bridge-mods"
    pairs += [(bridge / "aaa-orig.jpg", p) for p in sorted(bridge.glob("*.jpg")) if p.name != "aaa-orig.jpg"]
    dih = near / "threatexchange-pdq" / "dih"
    pairs += [
        (dih / "bridge-1-original.jpg", p) for p in sorted(dih.glob("*.jpg")) if "original" not in p.name
    ]
    ukb = near / "imagededup"
    pairs += [
        (ukb / "base_images" / "ukbench00120.jpg", p)
        for p in sorted((ukb / "transformed").glob("ukbench00120_*"))
    ]
    pairs += [(ukb / "base_images" / "ukbench09380.jpg", ukb / "transformed" / "ukbench09380.webp")]
    cases = []
    for i, (original, copy) in enumerate(p for p in pairs if p[0].is_file() and p[1].is_file()):
        earlier = [(f"orig-{i}", f"first-customer-{i}", [(original.name, original.read_bytes())])]
        cases.append(Case(f"{original.name} -> {copy.name}", [_file(copy, limits)], earlier=earlier))
    for i, (_, path) in enumerate(shelves[::6]):
        transform = list(TRANSFORMS)[i % len(TRANSFORMS)]
        taken = _phone_time(rng)
        first = with_exif(path.read_bytes(), taken)
        second = TRANSFORMS[transform](Image.open(io.BytesIO(first)), rng)
        earlier = [(f"orig-s{i}", f"first-customer-s{i}", [(path.name, first)])]
        cases.append(
            Case(f"{path.name}:{transform}", [(f"{transform}_{path.name}", second, None)], earlier=earlier)
        )
    return Scenario("reused_other_customer", cases)


def _stock(corpora: Path, rng: random.Random) -> Scenario:
    stock = sorted((corpora / "damaged-packages" / "roboflow-damaged-intact-box").glob("*/*.jpg"))
    cases = []
    for i, path in enumerate(stock):
        transform = ("resize", "recompress", "crop", "screenshot")[i % 4]
        data = TRANSFORMS[transform](Image.open(path), rng)
        cases.append(Case(f"{path.name}:{transform}", [(f"{transform}_{path.name}", data, None)]))
    return Scenario("stock_photo", cases, stock=stock)


def _edited(
    camera: list[tuple[Path, datetime, bool]], shelves: list[tuple[str, Path]], rng: random.Random, limits: Limits
) -> Scenario:
    cases = [Case(path.name, [_file(path, limits)], taken=taken) for path, taken, edited in camera if edited]
    for _, path in shelves[1::4]:
        taken = _phone_time(rng)
        image = Image.open(path).convert("RGB")
        draw = ImageDraw.Draw(image)
        # A drawn "tear": the kind of retouch a customer adds to fake damage.
        x, y = rng.randint(20, image.width // 2), rng.randint(20, image.height // 2)
        draw.line([(x, y), (x + 60, y + 25), (x + 90, y + 10)], fill=(25, 20, 20), width=4)
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=90)
        software = rng.choice(["Adobe Photoshop 25.0 (Windows)", "Snapseed 2.0", "Meitu 9.6.1"])
        data = with_exif(buffer.getvalue(), taken, software=software)
        cases.append(Case(f"{path.name}:retouched", [(path.name, data, None)], taken=taken))
    return Scenario("edited", cases)


def _ai_marker(corpora: Path, shelves: list[tuple[str, Path]], rng: random.Random) -> Scenario:
    cases = []
    for i, (_, path) in enumerate(shelves[2::4]):
        image = Image.open(path).convert("RGB")
        kind = ("png_parameters", "xmp_source_type", "exif_software")[i % 3]
        cases.append(
            Case(
                f"{path.name}:{kind}",
                [
                    (
                        f"{kind}_{path.stem}.{'png' if kind == 'png_parameters' else 'jpg'}",
                        AI_MARKERS[kind](image),
                        None,
                    )
                ],
            )
        )
    return Scenario("ai_marker", cases, note="markers written by this script (no AI corpus is shared)")


def _hostile(corpora: Path, limits: Limits) -> Scenario:
    folder = corpora / "malformed-images"
    files = sorted(
        p for p in folder.rglob("*") if p.is_file() and p.name not in ("manifest.csv", "SOURCE.md")
    )
    return Scenario("hostile_file", [Case(str(p.relative_to(folder)), [_file(p, limits)]) for p in files])


def _review_screenshot(shelves: list[tuple[str, Path]], seed: int, limit: int | None) -> Scenario:
    """Every second shelf photo is a review photo of the merchant's; each comes back in a screenshot,
    three of four small on a review page, one of four full width in a photo viewer."""
    rng = np.random.default_rng(seed)
    reviews = shelves[::2]
    cases = []
    for i, (product, path) in enumerate(reviews[:limit]):  # every review is recorded; `limit` are sent back
        kind, make = ("full_width", screenshot) if i % 4 == 3 else ("small", screenshot_small)
        with Image.open(path) as image:
            data = make(image, rng)
        cases.append(
            Case(f"{path.name}:{kind}", [(f"screenshot_{kind}_{path.stem}.png", data, None)], product=product)
        )
    return Scenario("review_screenshot", cases, reviews=[path for _, path in reviews])


def _quiet_edit(camera: list[tuple[Path, datetime, bool]], limit: int | None) -> Scenario:
    """One quiet edit per camera JPEG with an EXIF thumbnail: scratch, stain and clone in turn, over
    1, 2 and 3 % of the frame in turn."""
    cases = []
    originals = [(path, taken) for path, taken, edited in camera if not edited and _has_thumbnail(path)]
    for i, (path, taken) in enumerate(originals[:limit]):
        kind, share = quiet_edits.EDITS[i % 3], (0.01, 0.02, 0.03)[(i // 3) % 3]
        data = quiet_edits.paint(path.read_bytes(), kind, seed=i, share=share)
        cases.append(Case(f"{path.name}:{kind} {share:.0%}", [(path.name, data, None)], taken=taken))
    return Scenario("quiet_edit", cases)


def _has_thumbnail(path: Path) -> bool:
    """A camera JPEG of a photo's size (a frame of stubs such as 10x10 pixels has no room for damage
    over 1 % of it) whose EXIF holds a thumbnail."""
    header = read_jpeg_header(path.read_bytes()) if path.suffix.lower() in (".jpg", ".jpeg") else None
    tiff = header.exif_tiff if header is not None else None
    if tiff is None or len(tiff) == 0 or extract_thumbnail(tiff) is None:
        return False
    with Image.open(path) as image:
        return min(image.size) >= MIN_QUIET_SIDE


def _held_in_front_of_shelf(corpora: Path, limit: int | None) -> Scenario:
    """Each product of a brand with three or more products, its first two shelf photos held in
    front of its brand's other variants (up to three), claimed for itself; the whole grocery catalog
    is registered, each SKU with its brand."""
    grocery = corpora / "product-matching" / "grocery"
    iconic = _iconic(corpora)
    brands = {product: product.split("-")[0] for product in iconic}
    cases: list[Case] = []
    for product in sorted(iconic):
        variants = tuple(p for p in sorted(iconic) if brands[p] == brands[product] and p != product)[:3]
        if len(variants) < 2:
            continue
        for shot, front in ((1, 0.6), (2, 0.8)):
            if not (grocery / product / f"{product}_00{shot}.jpg").is_file() or len(cases) == limit:
                continue
            data = shelf_scene(grocery, product, shot, variants, back=0.3, front=front)
            name = f"{product}_{shot}_in_front_of_shelf.jpg"
            cases.append(Case(name, [(name, data, None)], sku=product, product=product))
    return Scenario(
        "held_in_front_of_shelf", cases, catalog={p: [i] for p, i in iconic.items()}, brands=brands
    )


def _file(path: Path, limits: Limits) -> tuple[str, bytes | None, PhotoError | None]:
    try:
        return path.name, read_file(path, limits), None
    except PhotoError as exc:
        return path.name, None, exc
