"""Claims built from the shared test corpora for every scenario of docs/domain.md, run end to end.

Each scenario is a set of claims whose truth is known — genuine or fraud — and, for fraud, which
check is responsible for catching it. Every claim goes through `verify_claim` exactly as the
command line sends it, with a fresh store per scenario (so that no scenario sees another's photos).
Catalog and stock pictures are registered through the contract's commands (`catalog add`, `stock
add`) when this build has them; when it does not, the scenario still runs and its responsible check
simply shows as not firing.

Labels come from the files, never from our checks' output:
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
- *hostile file*: every file of `malformed-images`.
"""

from __future__ import annotations

import contextlib
import csv
import io
import random
import re
import shutil
import struct
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageOps, PngImagePlugin

from evidence_check import scoring
from evidence_check.engine import Upload
from evidence_check.imaging.load import PhotoError, read_file
from evidence_check.intake import build_claim
from evidence_check.models import Finding, ImageReport, Status, Verdict
from evidence_check.service import limits_from, verify_claim
from evidence_check.settings import Settings
from evidence_check.store import Store

GENUINE = ("genuine_exif", "genuine_no_exif")
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
}
# Goals of issue 5.
GOAL_GENUINE_EXIF_ACCEPT = 0.95
GOAL_GENUINE_NOT_REJECTED = 0.995
GOAL_FRAUD_NOT_ACCEPTED = 0.97
GOAL_RESPONSIBLE_FIRED = 0.95

EDITOR_NAMES = re.compile(
    r"gimp|photoshop|lightroom|paint|picasa|acdsee|irfanview|corel|snapseed|pixelmator", re.I
)
PHONE = ("Xiaomi", "Redmi Note 12")
NOW = datetime.now(UTC).replace(microsecond=0)


@dataclass
class Case:
    name: str
    photos: list[tuple[str, bytes | None, str | None]]  # filename, bytes (None: unreadable), error
    sku: str | None = None
    taken: datetime | None = None  # anchors the order timeline
    old: bool = False  # order placed after the photo was taken
    # Claims recorded before this one: (claim id, customer id, photos) — e.g. the original of a reuse.
    earlier: list[tuple[str, str, list[tuple[str, bytes]]]] = field(default_factory=list)


@dataclass
class Scenario:
    name: str
    cases: list[Case]
    catalog: dict[str, list[Path]] = field(default_factory=dict)  # SKU -> its catalog images
    stock: list[Path] = field(default_factory=list)
    note: str = ""


@dataclass
class CaseResult:
    name: str
    verdict: str
    fired: bool
    codes: list[str]
    crashed: str | None = None
    ms: float = 0.0
    body: dict[str, Any] | None = None  # the report, for re-scoring under other thresholds

    @property
    def basis(self) -> str:
        """What decided the verdict, e.g. "integrity: integrity.recompressed"."""
        basis = (self.body or {}).get("verdict_basis") or {}
        return f"{basis.get('check') or basis.get('rule', '')}: {basis.get('code') or ''}".strip(": ")


@dataclass
class ScenarioResult:
    name: str
    results: list[CaseResult]
    setup_problems: list[str]
    note: str = ""

    @property
    def counts(self) -> Counter[str]:
        return Counter(r.verdict for r in self.results)

    def share(self, predicate: Callable[[CaseResult], bool]) -> float:
        return sum(1 for r in self.results if predicate(r)) / len(self.results) if self.results else 0.0


# ---------------------------------------------------------------- building the scenarios


def scenarios(corpora: Path, seed: int = 5, limit: int | None = None) -> list[Scenario]:
    rng = random.Random(seed)
    camera = _camera_files(corpora)
    shelves = _shelf_photos(corpora)
    built = [
        _genuine_exif(camera, shelves, rng),
        _genuine_no_exif(corpora, shelves),
        _old_photo(camera, shelves, rng),
        _listing_photo(corpora, rng),
        _wrong_item(corpora, shelves, rng),
        _reused(corpora, shelves, rng),
        _stock(corpora, rng),
        _edited(camera, shelves, rng),
        _ai_marker(corpora, shelves, rng),
        _hostile(corpora),
    ]
    if limit is not None:
        for scenario in built:
            scenario.cases = scenario.cases[:limit]
    return built


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


def _phone_time(rng: random.Random) -> datetime:
    return (NOW - timedelta(days=rng.randint(5, 300), minutes=rng.randint(0, 1440))).replace(second=0)


def _genuine_exif(
    camera: list[tuple[Path, datetime, bool]], shelves: list[tuple[str, Path]], rng: random.Random
) -> Scenario:
    cases = [Case(path.name, [_file(path)], taken=taken) for path, taken, edited in camera if not edited]
    for _, path in shelves:
        taken = _phone_time(rng)
        cases.append(Case(path.name, [(path.name, with_exif(path.read_bytes(), taken), None)], taken=taken))
    return Scenario("genuine_exif", cases)


def _genuine_no_exif(corpora: Path, shelves: list[tuple[str, Path]]) -> Scenario:
    packages = sorted((corpora / "damaged-packages").glob("**/*.jpg"))
    cases = [Case(path.name, [_file(path)]) for path in packages]
    cases += [Case(path.name, [_file(path)]) for _, path in shelves]
    return Scenario("genuine_no_exif", cases)


def _old_photo(
    camera: list[tuple[Path, datetime, bool]], shelves: list[tuple[str, Path]], rng: random.Random
) -> Scenario:
    cases = [
        Case(path.name, [_file(path)], taken=taken, old=True) for path, taken, edited in camera if not edited
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
        cases.append(Case(f"{path.name} as {ordered}", [(path.name, data, None)], sku=ordered, taken=taken))
    return Scenario("wrong_item", cases, catalog={p: [i] for p, i in iconic.items()})


def _reused(corpora: Path, shelves: list[tuple[str, Path]], rng: random.Random) -> Scenario:
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
        cases.append(Case(f"{original.name} -> {copy.name}", [_file(copy)], earlier=earlier))
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
    camera: list[tuple[Path, datetime, bool]], shelves: list[tuple[str, Path]], rng: random.Random
) -> Scenario:
    cases = [Case(path.name, [_file(path)], taken=taken) for path, taken, edited in camera if edited]
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


def _hostile(corpora: Path) -> Scenario:
    folder = corpora / "malformed-images"
    files = sorted(
        p for p in folder.rglob("*") if p.is_file() and p.name not in ("manifest.csv", "SOURCE.md")
    )
    return Scenario("hostile_file", [Case(str(p.relative_to(folder)), [_file(p)]) for p in files])


def _file(path: Path) -> tuple[str, bytes | None, str | None]:
    try:
        return path.name, read_file(path, limits_from(Settings())), None
    except PhotoError as exc:
        return path.name, None, str(exc)


# ---------------------------------------------------------------- making evidence files


def with_exif(jpeg: bytes, taken: datetime, offset: str = "+08:00", software: str | None = None) -> bytes:
    """The JPEG with a phone's EXIF (make, model, DateTimeOriginal + offset) and its pixels untouched."""
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = PHONE
    if software:
        exif[0x0131] = software
    sub = exif.get_ifd(0x8769)
    local = taken.astimezone(_fixed(offset))
    sub[0x9003] = local.strftime("%Y:%m:%d %H:%M:%S")
    sub[0x9011] = offset
    payload = exif.tobytes()
    segment = b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    return jpeg[:2] + segment + _without_app1(jpeg[2:])


def _without_app1(rest: bytes) -> bytes:
    out, i = bytearray(), 0
    while i + 4 <= len(rest) and rest[i] == 0xFF and rest[i + 1] in range(0xE0, 0xF0):
        length = struct.unpack(">H", rest[i + 2 : i + 4])[0]
        if rest[i + 1] != 0xE1:
            out += rest[i : i + 2 + length]
        i += 2 + length
    return bytes(out) + rest[i:]


def _fixed(offset: str) -> Any:
    from datetime import timezone

    sign = -1 if offset.startswith("-") else 1
    hours, minutes = int(offset[1:3]), int(offset[4:6])
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _jpeg(image: Image.Image, quality: int = 85) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def _screenshot(image: Image.Image, rng: random.Random) -> bytes:
    # A phone screenshot of the photo in a gallery: black bars, a status bar, phone width.
    image = ImageOps.exif_transpose(image).convert("RGB")
    width = 1080
    scaled = image.resize((width, max(1, round(image.height * width / image.width))))
    canvas = Image.new("RGB", (width, max(2340, scaled.height + 300)), (0, 0, 0))
    canvas.paste(scaled, (0, (canvas.height - scaled.height) // 2))
    ImageDraw.Draw(canvas).rectangle([0, 0, width, 80], fill=(30, 30, 30))
    return _jpeg(canvas, 90)


TRANSFORMS: dict[str, Callable[[Image.Image, random.Random], bytes]] = {
    "resize": lambda im, rng: _jpeg(
        ImageOps.exif_transpose(im).resize((max(1, im.width // 2), max(1, im.height // 2)))
    ),
    "recompress": lambda im, rng: _jpeg(ImageOps.exif_transpose(im), quality=rng.randint(45, 65)),
    "crop": lambda im, rng: _jpeg(
        ImageOps.exif_transpose(im).crop(
            (im.width // 10, im.height // 10, im.width * 9 // 10, im.height * 9 // 10)
        )
    ),
    "mirror": lambda im, rng: _jpeg(ImageOps.mirror(ImageOps.exif_transpose(im))),
    "rotate90": lambda im, rng: _jpeg(ImageOps.exif_transpose(im).rotate(90, expand=True)),
    "tilt": lambda im, rng: _jpeg(
        ImageOps.exif_transpose(im)
        .convert("RGB")
        .rotate(rng.uniform(3, 8), expand=False, fillcolor=(255, 255, 255))
    ),
    "screenshot": _screenshot,
}


def _png_parameters(image: Image.Image) -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text(
        "parameters",
        "a damaged cardboard box on a doorstep, photo\nNegative prompt: blurry\n"
        "Steps: 30, Sampler: DPM++ 2M Karras, CFG scale: 7, Seed: 1234, Size: 1024x1024, Model: sd_xl_base_1.0",
    )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


def _xmp_source_type(image: Image.Image) -> bytes:
    xmp = (
        b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
        b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" '
        b'xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" '
        b'Iptc4xmpExt:DigitalSourceType="http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"/>'
        b'</rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
    )
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90, xmp=xmp)
    return buffer.getvalue()


def _exif_software(image: Image.Image) -> bytes:
    exif = Image.Exif()
    exif[0x0131] = "Midjourney v6"
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90, exif=exif.tobytes())
    return buffer.getvalue()


AI_MARKERS: dict[str, Callable[[Image.Image], bytes]] = {
    "png_parameters": _png_parameters,
    "xmp_source_type": _xmp_source_type,
    "exif_software": _exif_software,
}


# ---------------------------------------------------------------- running


def available_commands() -> set[str]:
    import typer

    from evidence_check.cli import app

    group = typer.main.get_command(app)
    return set(getattr(group, "commands", {}))


def run_command(args: list[str]) -> tuple[bool, str]:
    """A contract command in this process; (succeeded, what it said)."""
    import typer

    from evidence_check.cli import app

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            typer.main.get_command(app).main(args, standalone_mode=False)
        except SystemExit as exc:
            return exc.code in (0, None), (err.getvalue() or out.getvalue()).strip()
        except Exception as exc:  # the eval reports a failing command, it does not stop on it
            return False, f"{type(exc).__name__}: {exc}"
    return True, out.getvalue().strip()


def run_scenario(
    scenario: Scenario, folder: Path, settings: Settings, shared: bool = False
) -> ScenarioResult:
    """Every claim of the scenario; each in a store of its own holding only the scenario's catalog
    and stock pictures (and its own earlier claims), unless `shared`: then claims see each other,
    as in a real store — corpus files that are copies of one picture then count as reuse."""
    template = folder / f"{scenario.name}.sqlite3"
    db = f"sqlite:///{template}"
    problems: list[str] = []
    commands = available_commands()
    if scenario.catalog:
        if "catalog" not in commands:
            problems.append("no `catalog` command in this build: catalog images not registered")
        else:
            for sku, images in scenario.catalog.items():
                ok, said = run_command(["catalog", "add", sku, *map(str, images), "--db", db])
                if not ok:
                    problems.append(f"catalog add {sku}: {said[:120]}")
                    break
    if scenario.stock:
        if "stock" not in commands:
            problems.append("no `stock` command in this build: stock photos not registered")
        else:
            ok, said = run_command(["stock", "add", *map(str, scenario.stock), "--db", db])
            if not ok:
                problems.append(f"stock add: {said[:120]}")
    Store(db).close()  # the template exists, migrated, even when nothing was registered
    results = []
    if shared:
        store = Store(db)
        try:
            results = [
                _run_case(scenario.name, case, i, store, settings) for i, case in enumerate(scenario.cases)
            ]
        finally:
            store.close()
        return ScenarioResult(scenario.name, results, problems, scenario.note)
    for i, case in enumerate(scenario.cases):
        own = folder / f"{scenario.name}-case.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            source = template.with_name(template.name + suffix)
            target = own.with_name(own.name + suffix)
            if source.exists():
                shutil.copyfile(source, target)
            elif target.exists():
                target.unlink()
        store = Store(f"sqlite:///{own}")
        try:
            results.append(_run_case(scenario.name, case, i, store, settings))
        finally:
            store.close()
    return ScenarioResult(scenario.name, results, problems, scenario.note)


def _run_case(scenario: str, case: Case, index: int, store: Store, settings: Settings) -> CaseResult:
    now = datetime.now(UTC)
    # The original was sent a week before: "first seen" must come before the copy's claim.
    before = now - timedelta(days=7)
    for claim_id, customer, photos in case.earlier:
        earlier = build_claim(now=before, time_zone="UTC", claim_id=claim_id, customer_id=customer)
        verify_claim(earlier, [Upload(n, d) for n, d in photos], settings=settings, store=store, now=before)
    timeline: dict[str, str] = {}
    if case.taken is not None:
        anchor = case.taken + (timedelta(days=30) if case.old else timedelta(0))
        timeline = {
            "ordered_at": (anchor - timedelta(days=5)).isoformat(),
            "shipped_at": (anchor - timedelta(days=3)).isoformat(),
            "delivered_at": (anchor - timedelta(days=1)).isoformat(),
            "claimed_at": (anchor + timedelta(days=2 if not case.old else 5)).isoformat(),
        }
    else:
        timeline = {
            "ordered_at": (now - timedelta(days=6)).isoformat(),
            "delivered_at": (now - timedelta(days=2)).isoformat(),
        }
    claim = build_claim(
        now=now,
        time_zone="UTC",
        sku=case.sku,
        claim_id=f"{scenario}-{index}",
        customer_id=f"{scenario}-customer-{index}",
        **timeline,
    )
    uploads = [Upload(name, data, error) for name, data, error in case.photos]
    started = time.perf_counter()
    try:
        body = verify_claim(claim, uploads, settings=settings, store=store, now=now).body
    except Exception as exc:  # a crash is a finding of the eval, counted and shown
        crash = f"{type(exc).__name__}: {exc}"[:200]
        return CaseResult(case.name, "crash", False, [], crash, (time.perf_counter() - started) * 1000)
    ms = (time.perf_counter() - started) * 1000
    responsible = RESPONSIBLE.get(scenario, ())
    codes, fired = [], False
    for image in body["images"]:
        if "load" in responsible and image["error"]:
            fired = True
            codes.append("load.unreadable")
        for name in responsible:
            finding = image["checks"].get(name)
            if finding is not None:
                codes.append(finding.get("code", finding["status"]))
                fired = fired or finding["status"] in ("warn", "fail")
    return CaseResult(case.name, body["verdict"], fired, codes, None, ms, body)


def evaluate(
    corpora: Path,
    folder: Path,
    settings: Settings,
    only: set[str] | None = None,
    limit: int | None = None,
    shared: bool = False,
) -> Iterator[ScenarioResult]:
    for scenario in scenarios(corpora, limit=limit):
        if only and scenario.name not in only:
            continue
        yield run_scenario(scenario, folder, settings, shared)


def missed(result: ScenarioResult) -> list[CaseResult]:
    """The claims that went against their scenario's goal."""
    if result.name == "genuine_exif":
        return [r for r in result.results if r.verdict != "accept"]
    if result.name in GENUINE:
        return [r for r in result.results if r.verdict in ("reject", "crash")]
    if result.name == "hostile_file":
        return [r for r in result.results if r.verdict == "crash"]
    return [r for r in result.results if r.verdict == "accept" or not r.fired]


def goal_line(result: ScenarioResult) -> tuple[str, bool | None]:
    """The goal that applies to the scenario, and whether it is met (None: no goal)."""
    if result.name == "genuine_exif":
        share = result.share(lambda r: r.verdict == "accept")
        return (
            f"accept {share:.1%} (goal >= {GOAL_GENUINE_EXIF_ACCEPT:.0%})",
            share >= GOAL_GENUINE_EXIF_ACCEPT,
        )
    if result.name == "hostile_file":
        crashes = sum(1 for r in result.results if r.verdict == "crash")
        slowest = max((r.ms for r in result.results), default=0.0)
        accepted_unreadable = sum(1 for r in result.results if r.fired and r.verdict == "accept")
        return (
            f"crashes {crashes}, unreadable accepted {accepted_unreadable}, slowest {slowest:.0f} ms (goal: no crash)",
            crashes == 0 and accepted_unreadable == 0,
        )
    if result.name in GENUINE:
        share = result.share(lambda r: r.verdict not in ("reject", "crash"))
        return (
            f"not rejected {share:.1%} (goal >= {GOAL_GENUINE_NOT_REJECTED:.1%})",
            share >= GOAL_GENUINE_NOT_REJECTED,
        )
    not_accepted = result.share(lambda r: r.verdict not in ("accept", "crash"))
    fired = result.share(lambda r: r.fired)
    met = not_accepted >= GOAL_FRAUD_NOT_ACCEPTED and fired >= GOAL_RESPONSIBLE_FIRED
    return (
        f"not accepted {not_accepted:.1%} (>= {GOAL_FRAUD_NOT_ACCEPTED:.0%}), fired {fired:.1%} (>= {GOAL_RESPONSIBLE_FIRED:.0%})",
        met,
    )


# ---------------------------------------------------------------- choosing thresholds

SWEEP_REJECT_SCORES = (0.7, 0.8, 0.9, 0.96)
SWEEP_REVIEW_RISKS = (0.15, 0.3, 0.45)


@dataclass(frozen=True)
class SweepRow:
    reject_score: float
    review_risk: float
    genuine_exif_accepted: float
    genuine_not_rejected: float
    genuine_reviewed: float  # the agents' workload from genuine customers
    fraud_not_accepted: float
    fraud_rejected: float


def rescore(body: dict[str, Any], rules: scoring.Rules) -> str:
    """The claim verdict the same findings would get under other thresholds."""
    images = []
    for image in body["images"]:
        findings = {
            name: Finding(
                Status(c["status"]), float(c["score"]), c.get("code", name), {}, c.get("details") or {}
            )
            for name, c in (image.get("checks") or {}).items()
        }
        verdict = scoring.photo_verdict(findings, rules) if image["error"] is None else Verdict.REVIEW
        images.append(
            ImageReport(image["image_id"], image["filename"], image["error"], verdict, 0.0, findings)
        )
    return scoring.claim_decision(images, rules)[0].value


def sweep(results: list[ScenarioResult], base: scoring.Rules) -> list[SweepRow]:
    """The goals' figures for every pair of thresholds of the grid, from the same findings."""
    rows = []
    for reject_score in SWEEP_REJECT_SCORES:
        for review_risk in SWEEP_REVIEW_RISKS:
            rules = scoring.Rules(
                reject_score=reject_score,
                review_risk=review_risk,
                review_when_unknown=base.review_when_unknown,
                provenance_bonus=base.provenance_bonus,
                corroboration_bonus=base.corroboration_bonus,
            )
            tallies: dict[str, list[int]] = {
                "exif": [0, 0],
                "genuine": [0, 0],
                "reviewed": [0, 0],
                "fraud": [0, 0],
                "rejected": [0, 0],
            }
            for result in results:
                for case in result.results:
                    if case.body is None:
                        continue
                    verdict = rescore(case.body, rules)
                    if result.name == "genuine_exif":
                        tallies["exif"][0] += verdict == "accept"
                        tallies["exif"][1] += 1
                    if result.name in GENUINE:
                        tallies["genuine"][0] += verdict != "reject"
                        tallies["genuine"][1] += 1
                        tallies["reviewed"][0] += verdict == "review"
                        tallies["reviewed"][1] += 1
                    elif result.name != "hostile_file":
                        tallies["fraud"][0] += verdict != "accept"
                        tallies["fraud"][1] += 1
                        tallies["rejected"][0] += verdict == "reject"
                        tallies["rejected"][1] += 1
            share = {k: (a / n if n else 0.0) for k, (a, n) in tallies.items()}
            rows.append(
                SweepRow(
                    reject_score,
                    review_risk,
                    share["exif"],
                    share["genuine"],
                    share["reviewed"],
                    share["fraud"],
                    share["rejected"],
                )
            )
    return rows
