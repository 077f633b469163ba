"""What separates a photo of a screen from a photo of a fine print? (a probe of `integrity.screen_photo`)

Pictures go through `imaging.spectrum.periodic_peaks` (the detector's reading: the peak's excess in
dB, its channel, frequency and *fundamental*, the strongest excess at 1/2 .. 1/5 of its frequency,
where a print's own fundamental stands) with, beside it, readings the detector does not use:
- *direction* of the peak, degrees from the spectrum's horizontal axis;
- *colour spread*: how far the R, G and B Fourier coefficients at the peak are from one line (0: in
  or against phase, as a two-colour print's; 1: a third of a turn apart, as an RGB stripe's);
- *sum of two shorter*: the peak as the sum of two shorter peaks (a lattice's harmonic; the weaker's dB);
- *at twice*: the excess at twice the peak's frequency (a second harmonic);
- *phase off*: at the peak, how far (degrees) the R, G or B coefficient strong enough to count (a third of
  the strongest's amplitude) turns from the strongest's phase or its opposite (0: a print's colours in or
  against phase; 60: an RGB stripe's third of a turn);
- *one-handed dB*: the sub-pixels' own mark anywhere in the band: the spectrum of R + wG + w^2 B (w a
  third of a turn), where colours turning R -> G -> B stand at +k and the other way round at -k, while
  colours rising and falling in or against phase stand equally at both; the strongest bin that both
  stands above its surroundings and above its mirror (the smaller of the two, dB). A screen's colour moiré
  (rainbow bands) turns one way; a two-colour print does not.

Pictures (`--kinds`):
1. `drawn`: the 108 drawn prints of `scripts/probe_clone_patterns.py`, photographed honestly;
2. `screen`: the fixture `screen_photo_moire.jpg`, and corpora photos shown on screens: as the
   fixture is made (`screen`: an LCD's RGB stripes and dark rows, turned, blurred, 1200x900) and as
   a camera would see a real one (`camera-screen`: an RGB-stripe display a little turned and leaning,
   1.6-6 camera pixels a screen pixel, lens blur before the sensor's sampling, 12 MP or 1600x1200);
3. `real`: the corpora's own photos (camera JPEGs, product photos, parcels, ukbench);
4. `print-screen`: the fraud a print's fundamental must not clear: the flat and slanted 640x480
   drawn prints shown on both screens (`print-screen`, `print-camera-screen`), split by motif.

Then the split: prints by motif (A: monogram, stripes, floral; B: gingham, knit, tiles), screens by
source photo (the fixture in A). Fitted on one half, a threshold on the fundamental `FIT_MARGIN_DB`
over the highest fundamental among that half's screens that warn; the other half held out.

    nice -n 10 .venv/bin/python scripts/probe_screen_photo.py [--kinds drawn screen real] [--screens 50]
        [--first N] [--cache DIR] [--tsv FILE]
"""

from __future__ import annotations

import argparse
import io
import math
import sys
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "fixtures"))
sys.path.insert(0, str(ROOT / "scripts"))

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from make_integrity_fixtures import shown_on_camera_seen_display as shoot_screen  # noqa: E402
from PIL import Image  # noqa: E402

from evidence_check.checks.integrity import screens  # noqa: E402
from evidence_check.imaging import spectrum  # noqa: E402
from evidence_check.imaging.load import PhotoError, load_photo  # noqa: E402

CORPORA = ROOT.parent / "shared" / "corpora"
REAL_FOLDERS = ("exif-camera-jpegs", "product-matching", "damaged-packages", "near-duplicates")
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png"}
HALF_A_MOTIFS = {"monogram", "stripes", "floral"}
FIT_MARGIN_DB = 4.0
KINDS = ("drawn", "screen", "camera-screen", "real", "print-screen", "print-camera-screen")


@dataclass(frozen=True)
class Row:
    kind: str
    group: str  # the motif (drawn) or the source photo (screens, real): what a fit/held-out split keeps apart
    name: str
    peak_db: float
    channel: str
    frequency: float
    direction: float  # degrees from the horizontal axis of the spectrum
    fundamental_db: float
    spread: float
    sum_db: float
    twice_db: float
    phase_off: float
    one_handed_db: float
    warns: bool  # under the rule of the checkout this runs in

    def line(self) -> str:
        return (
            f"| {self.kind} | {self.name} | {self.peak_db:.1f} | {self.channel} | {self.frequency:.3f} "
            f"| {self.direction:.0f} | {self.fundamental_db:.1f} | {self.spread:.2f} | {self.sum_db:.1f} "
            f"| {self.twice_db:.1f} | {self.phase_off:.0f} | {self.one_handed_db:.1f} | {'warn' if self.warns else '-'} |"
        )


CACHE: Path | None = None  # working copies kept here (--cache), so a second run reads instead of drawing


def reading(make: Callable[[], bytes], kind: str, group: str, name: str) -> Row | None:
    kept = CACHE / f"{kind}-{group}-{name}.png".replace("/", "_") if CACHE else None
    if kept is not None and kept.exists():
        working = Image.open(kept).convert("RGB")
    else:
        try:
            working = load_photo(make(), "IMG_0001.jpg").working
        except PhotoError:
            return None
        if kept is not None:
            working.save(kept)
    peak = spectrum.periodic_peaks(working)
    if peak is None:
        return None
    direction, spread, sum_db, twice_db, phase_off = other_readings(working, peak.channel)
    return Row(kind, group, name, peak.peak_db, peak.channel, peak.frequency, direction, peak.fundamental_db,
               spread, sum_db, twice_db, phase_off, one_handed(working), screens.looks_like_screen(peak))  # fmt: skip


def other_readings(working: Image.Image, channel: str) -> tuple[float, float, float, float, float]:
    """The peak `spectrum.periodic_peaks` found (its steps redone here): its direction; the colour spread
    of R, G and B there; the strongest decomposition into two shorter peaks (the weaker one's excess);
    the excess at twice its frequency; how far a channel's phase there turns from the strongest's line."""
    side = min(spectrum.CROP, *working.size)
    side -= side % 2
    left, top = (working.width - side) // 2, (working.height - side) // 2
    patch = np.asarray(working.crop((left, top, left + side, top + side)), dtype=np.float32)
    picked = patch @ np.array([0.299, 0.587, 0.114], np.float32) if channel == "luma" else patch[..., 0] - patch[..., 2]
    window, radius, mask = spectrum._geometry(side)
    planes = cv2.dft(np.ascontiguousarray((picked - picked.mean()) * window), flags=cv2.DFT_COMPLEX_OUTPUT)
    level = 20.0 * np.log10(np.fft.fftshift(cv2.magnitude(planes[..., 0], planes[..., 1])) + 1e-3, dtype=np.float32)
    kernel = (spectrum.BACKGROUND_KERNEL, spectrum.BACKGROUND_KERNEL)
    excess = level - cv2.blur(level, kernel, borderType=cv2.BORDER_REFLECT)
    centre = side // 2
    iy, ix = divmod(int(np.argmax(np.where(mask, excess, -np.inf))), side)
    dy, dx = iy - centre, ix - centre
    # R, G, B at the peak: a print's colours rise and fall together (or against each other): their
    # coefficients lie on one line; an RGB stripe's are a third of a turn apart.
    coefficients = []
    for colour in range(3):
        transform = np.fft.fftshift(np.fft.fft2((patch[..., colour] - patch[..., colour].mean()) * window))
        coefficients.append([transform[iy, ix].real, transform[iy, ix].imag])
    singular = np.linalg.svd(np.array(coefficients), compute_uv=False)
    spread = float(singular[1] / singular[0]) if singular[0] > 0 else 0.0
    complex_at = np.array([complex(re, im) for re, im in coefficients])
    strongest = complex_at[int(np.argmax(np.abs(complex_at)))]
    phase_off = 0.0
    for value in complex_at:
        if abs(value) >= abs(strongest) / 3 and strongest != 0:
            turn = abs(math.degrees(np.angle(value / strongest))) % 180
            phase_off = max(phase_off, min(turn, 180 - turn))
    around = cv2.dilate(excess, np.ones((3, 3), np.uint8))
    twice = 0.0
    if 1 <= centre + 2 * dy < side - 1 and 1 <= centre + 2 * dx < side - 1:
        twice = max(0.0, float(around[centre + 2 * dy, centre + 2 * dx]))
    # A lattice's harmonic is the sum of two shorter lattice points; a grid's own pitch is not.
    ky, kx = np.nonzero((excess >= around) & (radius > 0.01) & (excess > 6))
    length = math.hypot(dy, dx)
    qy, qx, ry, rx = ky - centre, kx - centre, dy - (ky - centre), dx - (kx - centre)
    shorter = (np.hypot(qy, qx) < length - 0.5) & (np.hypot(ry, rx) < length - 0.5)
    shorter &= (np.hypot(qy, qx) >= 2) & (np.hypot(ry, rx) >= 2)
    sum_db = 0.0
    if shorter.any():
        sy, sx, ry, rx = ky[shorter], kx[shorter], ry[shorter] + centre, rx[shorter] + centre
        sum_db = max(0.0, float(np.minimum(excess[sy, sx], around[ry, rx]).max()))
    return math.degrees(math.atan2(-dy, dx)) % 180, spread, sum_db, twice, phase_off


def one_handed(working: Image.Image) -> float:
    """The strongest bin of the detector's band in the spectrum of R + wG + w^2 B (w = a third of a turn)
    that stands above both its surroundings and its mirror (-k): the smaller of the two, dB."""
    side = min(spectrum.CROP, *working.size)
    side -= side % 2
    left, top = (working.width - side) // 2, (working.height - side) // 2
    patch = np.asarray(working.crop((left, top, left + side, top + side)), dtype=np.float32)
    window, _, mask = spectrum._geometry(side)
    turn = np.exp(2j * np.pi / 3)
    mixed = patch[..., 0] + turn * patch[..., 1] + turn**2 * patch[..., 2]
    level = 20.0 * np.log10(np.abs(np.fft.fftshift(np.fft.fft2((mixed - mixed.mean()) * window))) + 1e-3)
    mirror_index = (side - np.arange(side)) % side  # -k of each bin, in the shifted layout
    above_mirror = level - level[np.ix_(mirror_index, mirror_index)]
    kernel = (spectrum.BACKGROUND_KERNEL, spectrum.BACKGROUND_KERNEL)
    above_around = level - cv2.blur(level.astype(np.float32), kernel, borderType=cv2.BORDER_REFLECT)
    return float(np.max(np.where(mask, np.minimum(above_around, above_mirror), -np.inf)))


def shoot_screen_as_fixture(source: Image.Image, rng: np.random.Generator) -> bytes:
    """The fixture's recapture (`make_integrity_fixtures.screen_photo`: an LCD's RGB stripes and dark
    rows, turned, scaled, blurred, 1200x900) with a corpora photo on the screen and its own angle and scale."""
    from make_integrity_fixtures import jpeg_bytes

    content = np.asarray(source.convert("RGB").resize((400, 300), Image.Resampling.LANCZOS), np.float32)
    h, w = content.shape[:2]
    screen = np.zeros((h * 3, w * 3, 3), np.float32)
    for channel in range(3):
        screen[:, channel::3, channel] = np.repeat(content[..., channel], 3, axis=0)
    screen[2::3] *= 0.35
    angle, scale = float(rng.uniform(1, 10)) * rng.choice([-1, 1]), float(rng.uniform(1.1, 1.7))
    matrix = cv2.getRotationMatrix2D((w * 1.5, h * 1.5), angle, scale)
    matrix[:, 2] += [(1200 - w * 3) / 2, (900 - h * 3) / 2]
    shot = cv2.warpAffine(screen, matrix, (1200, 900), flags=cv2.INTER_LINEAR, borderValue=(20, 20, 20))
    shot = cv2.GaussianBlur(shot, (0, 0), float(rng.uniform(0.5, 0.9)))
    shot = shot + rng.normal(0, 3, shot.shape)
    return jpeg_bytes(Image.fromarray(np.clip(shot, 0, 255).astype(np.uint8)), 88)


def images(folders: tuple[str, ...]) -> list[Path]:
    found = []
    for folder in folders:
        found += sorted(p for p in (CORPORA / folder).rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    return found


def drawn_rows() -> list[Row]:
    import probe_clone_patterns as prints

    rows = []
    for case in prints.cases():
        row = reading(partial(prints.photograph, case), "drawn", case.pattern, case.name)
        if row is not None:
            rows.append(row)
            print(row.line(), flush=True)
    return rows


def screen_rows(limit: int, first: int | None) -> list[Row]:
    from make_integrity_fixtures import screen_photo

    rows = []
    fixture = reading(partial(screen_photo, 52), "screen", "fixture", "screen.jpg")
    if fixture is not None:
        rows.append(fixture)
    sources = images(("product-matching", "damaged-packages", "exif-camera-jpegs"))
    rng = np.random.default_rng(7)
    chosen = rng.choice(len(sources), size=min(limit, len(sources)), replace=False)
    for index in sorted(chosen)[:first]:
        path = sources[index]
        try:
            source = Image.open(path)
            source.load()
        except Exception:  # noqa: BLE001 - the corpora hold broken files on purpose
            continue
        for kind, shoot in (("screen", shoot_screen_as_fixture), ("camera-screen", shoot_screen)):
            row = reading(partial(shoot, source, np.random.default_rng(int(index))), kind, path.name, path.name)
            if row is not None:
                rows.append(row)
                print(row.line(), flush=True)
    return rows


def print_screen_rows() -> list[Row]:
    import probe_clone_patterns as prints

    rows = []
    for case in prints.cases():
        if case.size != (640, 480) or case.shape == "draped":
            continue
        source = Image.open(io.BytesIO(prints.photograph(case)))
        for kind, shoot in (("print-screen", shoot_screen_as_fixture), ("print-camera-screen", shoot_screen)):
            row = reading(partial(shoot, source, np.random.default_rng(case.seed)), kind, case.pattern, case.name)
            if row is not None:
                rows.append(row)
                print(row.line(), flush=True)
    return rows


def real_rows() -> list[Row]:
    rows = []
    for path in images(REAL_FOLDERS):
        row = reading(path.read_bytes, "real", path.name, f"{path.parent.name}/{path.name}")
        if row is not None:
            rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kinds", nargs="*", choices=("drawn", "screen", "real", "print-screen"),
                        default=["drawn", "screen", "real", "print-screen"])
    parser.add_argument("--screens", type=int, default=50, help="corpora photos shown on a screen")
    parser.add_argument("--first", type=int, help="of those, the first this many only")
    parser.add_argument("--tsv", type=Path, help="write every reading here too")
    parser.add_argument("--cache", type=Path, help="keep the working copies here (a second run reads them)")
    args = parser.parse_args()
    global CACHE
    CACHE = args.cache
    if CACHE:
        CACHE.mkdir(parents=True, exist_ok=True)
    print("| kind | picture | peak dB | channel | frequency | direction | fundamental dB | colour spread "
          "| sum of two shorter dB | at twice dB | phase off | one-handed dB | rule |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    rows: list[Row] = []
    if "drawn" in args.kinds:
        rows += drawn_rows()
    if "screen" in args.kinds:
        rows += screen_rows(args.screens, args.first)
    if "real" in args.kinds:
        rows += real_rows()
    if "print-screen" in args.kinds:
        rows += print_screen_rows()
    if args.tsv:
        fields = list(Row.__dataclass_fields__)
        args.tsv.write_text(
            "\t".join(fields) + "\n" + "".join("\t".join(str(getattr(r, f)) for f in fields) + "\n" for r in rows)
        )
    print("\n| kind | pictures | the rule warns |\n|---|---|---|")
    for kind in KINDS:
        mine = [r for r in rows if r.kind == kind]
        if mine:
            print(f"| {kind} | {len(mine)} | {sum(r.warns for r in mine)} |")
    if "drawn" in args.kinds and "screen" in args.kinds:
        held_out(rows)
        held_out_one_handed(rows)


def half(row: Row) -> str:
    if row.kind in ("drawn", "print-screen", "print-camera-screen"):
        return "A" if row.group in HALF_A_MOTIFS else "B"
    return "A" if row.group == "fixture" or zlib.crc32(row.group.encode()) % 2 == 0 else "B"


def held_out(rows: list[Row]) -> None:
    for fit, held in (("A", "B"), ("B", "A")):
        # Fitted on screens of corpora photos only: a threshold above every print shown on a screen
        # would clear no print at all, and those are what it is judged on.
        loud = [r for r in rows if r.kind in ("screen", "camera-screen") and half(r) == fit and r.peak_db >= screens.MOIRE_PEAK_DB]
        highest = max(r.fundamental_db for r in loud)
        threshold = highest + FIT_MARGIN_DB
        print(f"\nfitted on half {fit}: its screens that warn reach {highest:.1f} dB at the fractions -> "
              f"threshold {threshold:.1f} dB\n")  # fmt: skip
        print("| half | kind | pictures | warn without the fundamental | warn with it | cleared |\n|---|---|---|---|---|---|")
        for part in (fit, held):
            for kind in KINDS:
                mine = [r for r in rows if r.kind == kind and half(r) == part]
                loud_here = [r for r in mine if r.peak_db >= screens.MOIRE_PEAK_DB]
                kept = sum(r.fundamental_db < threshold for r in loud_here)
                label = f"{'fit' if part == fit else 'held out'} {part}"
                print(f"| {label} | {kind} | {len(mine)} | {len(loud_here)} | {kept} | {len(loud_here) - kept} |")


SCREEN_KINDS = ("screen", "camera-screen", "print-screen", "print-camera-screen")


def held_out_one_handed(rows: list[Row]) -> None:
    """A warning kept only when some bin is one-handed by the threshold: fitted just under the fit half's
    weakest screen of the kinds chosen (every screen must keep warning), scored on the other half."""
    for fitted_on in (("screen", "camera-screen"), SCREEN_KINDS):
        for fit, held in (("A", "B"), ("B", "A")):
            warned = [r for r in rows if r.warns]
            lowest = min(r.one_handed_db for r in warned if r.kind in fitted_on and half(r) == fit)
            threshold = lowest - 0.1
            print(f"\none-handed, fitted on half {fit}'s {' and '.join(fitted_on)}: the weakest {lowest:.1f} dB "
                  f"-> threshold {threshold:.1f} dB\n")  # fmt: skip
            print("| half | kind | warn now | still warn | cleared |\n|---|---|---|---|---|")
            for part in (fit, held):
                for kind in ("drawn", *SCREEN_KINDS):
                    mine = [r for r in warned if r.kind == kind and half(r) == part]
                    kept = sum(r.one_handed_db >= threshold for r in mine)
                    label = f"{'fit' if part == fit else 'held out'} {part}"
                    print(f"| {label} | {kind} | {len(mine)} | {kept} | {len(mine) - kept} |")


if __name__ == "__main__":
    main()
