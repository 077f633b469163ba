"""How often each integrity signal fires on every image we have, whether that is right, and its cost.

Run from the checkout (needs ../shared/corpora beside it for the real photos):

    .venv/bin/python scripts/bench_integrity.py [--repeat 7]

Prints
1. per signal, how many images it fires on in each corpus folder and fixture folder;
2. every firing on a real corpus photo with the manifest's note and a judgement: ``right`` when the
   manifest says the file was edited / re-saved / is a screenshot (or, for C2PA, when the corpus's
   own validation agrees), ``wrong`` when it says nothing of the kind, ``?`` where the note is silent;
3. the goal: integrity ``fail`` on exif-camera-jpegs/ and heif-avif-webp/;
4. quiet edits (`evidence_check/evaluation/quiet_edits.py`): damage painted on the corpora's camera JPEGs that carry their
   own thumbnail, every EXIF byte kept, the same photos re-processed as phones do, and written
   again whole without an edit (re-saved, orientation tag turned, pixels turned); how many
   each half of the cameras flags, with the threshold of `checks/integrity/quiet_edit.py` and with
   one fitted on the other half (both directions);
5. median milliseconds of each signal on a 12-megapixel camera-like JPEG (and the ELA view).
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import statistics
import sys
import time
import zlib
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "fixtures"))

from PIL import Image  # noqa: E402

from evidence_check.checks import integrity  # noqa: E402
from evidence_check.checks.context import CheckContext  # noqa: E402
from evidence_check.checks.integrity.quiet_edit import overlap  # noqa: E402
from evidence_check.checks.integrity.signals import CAPTURE_TAGS  # noqa: E402
from evidence_check.checks.integrity.small_photo import MIN_PIXELS  # noqa: E402
from evidence_check.imaging.ela import error_levels  # noqa: E402
from evidence_check.imaging.jpeg_header import read_jpeg_header  # noqa: E402
from evidence_check.imaging.load import Photo, PhotoError, load_photo  # noqa: E402
from evidence_check.imaging.thumbnail import extract_thumbnail  # noqa: E402
from evidence_check.models import Claim, Finding, Timeline  # noqa: E402
from evidence_check.settings import Settings  # noqa: E402

NOT_IMAGES = {".md", ".csv", ".txt", ".pem", ".cfg"}
EDITED = re.compile(
    r"gimp|photoshop|re-?saved|edited|paint program|re-?imported|re-?encode|windows photo|"
    r"blur|sharpen|contrast|saturation|squash|rotat|mirror|flip|transpose|transverse|gr[ae]yscale|"
    r"downscal|shrink|resize|crop|hex-edited|fuzzed|truncated by|via gimp",
    re.IGNORECASE,
)
SCREENSHOT = re.compile(r"screenshot", re.IGNORECASE)
# Desktop programs that rewrite a camera's file (import, geotag, edit): when the file itself names
# one, it was written again after capture whatever the manifest's note says.
REWRITERS = re.compile(
    r"gimp|photoshop|lightroom|fireworks|photo gallery|transfer|camedia master|uploader|gthumb|^PIL$|pix \d",
    re.IGNORECASE,
)
EDIT_SIGNALS = {
    "editor_software",
    "saved_after_capture",
    "thumbnail_mismatch",
    "thumbnail_local_edit",
    "cloned_region",
    "reencoded",
}
LOCAL_EDIT_SIGNALS = {"thumbnail_local_edit", "cloned_region"}
C2PA_EXPECTED = {"c2pa_invalid": "Invalid", "c2pa_untrusted": "Valid", "c2pa_remote": "error"}
GOAL_FOLDERS = ("exif-camera-jpegs", "heif-avif-webp")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", type=Path, default=ROOT.parent / "shared" / "corpora")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--only", choices=("quiet-edits",), help="run one section only")
    args = parser.parse_args()
    context = CheckContext(settings=Settings(), now=datetime.now(UTC))
    claim = Claim(claim_id="bench", timeline=Timeline())
    if args.only == "quiet-edits":
        print_quiet_edits(args.corpora, context, claim)
        return

    groups = _groups(args.corpora)
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    totals: dict[str, int] = defaultdict(int)
    firings: list[tuple[str, str, str, str]] = []
    goal_fails: list[str] = []
    too_small: list[tuple[str, int, int, str, str]] = []
    for group, files in groups.items():
        notes = _notes(args.corpora / group) if not group.startswith("fixtures/") else {}
        for path in files:
            try:
                photo = load_photo(path.read_bytes(), path.name)
            except PhotoError:
                continue
            totals[group] += 1
            finding = integrity.check(photo, claim, context)
            fired = _fired(finding)
            for name in fired:
                counts[name][group] += 1
            rel = (
                str(path.relative_to(args.corpora / group))
                if not group.startswith("fixtures/")
                else path.name
            )
            if group.startswith("fixtures/"):
                continue
            writers = _writers(photo)
            for name in fired:
                if name == "too_small":  # a photo's size, no evidence of anything: listed on its own
                    too_small.append((f"{group}/{rel}", photo.width, photo.height, finding.code, notes.get(rel, "")))
                    continue
                firings.append((name, f"{group}/{rel}", *_judge(name, notes.get(rel, ""), writers)))
            if group in GOAL_FOLDERS and finding.status.value == "fail":
                goal_fails.append(f"{group}/{rel}: {finding.code}")

    _print_counts(counts, totals)
    _print_firings(firings)
    print(f"\n## Corpus photos too small to verify (under {MIN_PIXELS:,} pixels): {len(too_small)}\n")
    print("| file | px | the finding's code | manifest note |")
    print("|---|---|---|---|")
    for path, width, height, code, note in sorted(too_small):
        print(f"| {path} | {width}x{height} | {code} | {note[:60].replace('|', '/')} |")
    print(f"\n## Goal: integrity `fail` on {' and '.join(GOAL_FOLDERS)}")
    print(f"{len(goal_fails)} fail(s)" + "".join(f"\n- {line}" for line in goal_fails))
    print_quiet_edits(args.corpora, context, claim)
    _print_speed(context, claim, args.repeat)


def _groups(corpora: Path) -> dict[str, list[Path]]:
    groups: dict[str, list[Path]] = {}
    if corpora.is_dir():
        for folder in sorted(p for p in corpora.iterdir() if p.is_dir()):
            groups[folder.name] = sorted(
                p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() not in NOT_IMAGES
            )
    else:
        print(f"(no corpora at {corpora}: fixtures only)")
    for name in ("images", "integrity"):
        groups[f"fixtures/{name}"] = sorted(p for p in (ROOT / "fixtures" / name).iterdir() if p.is_file())
    return groups


def _notes(folder: Path) -> dict[str, str]:
    manifest = folder / "manifest.csv"
    if not manifest.is_file():
        return {}
    with manifest.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    notes = {}
    for row in rows:
        key = row.get("path") or row.get("file") or ""
        note = row.get("note") or row.get("validation_state") or ""
        if folder.name == "c2pa":
            key = f"images/{key}"
        notes[key] = note
    return notes


def _fired(finding: Finding) -> list[str]:
    details = finding.details
    names = list(details.get("flags", [])) + list(details.get("notes", []))
    names = [n for n in names if n != "thumbnail_matches"]
    for name, signal in details.get("signals", {}).items():
        if name not in names and name != "thumbnail_matches" and signal is not None:
            names.append(name)  # positive signals (trusted C2PA, an expected screenshot)
    if finding.code == "integrity.channel_hint":
        names.append("channel_hint")
    return names


def _writers(photo: Photo) -> str:
    names = [photo.metadata.exif.get("Software"), photo.metadata.exif.get("ProcessingSoftware")]
    names += [
        v for k, v in photo.metadata.xmp.items() if k.lower().endswith(("creatortool", "softwareagent"))
    ]
    return "; ".join(dict.fromkeys(str(n).strip("\x00 ") for n in names if n))


def _judge(name: str, note: str, writers: str) -> tuple[str, str]:
    if name in C2PA_EXPECTED:
        return ("right" if note.startswith(C2PA_EXPECTED[name]) else "wrong"), note[:70]
    if name in EDIT_SIGNALS:
        rewritten = any(REWRITERS.search(w.strip()) for w in writers.split(";")) if writers else False
        evidence = f"{note[:50]} [written by: {writers[:40] or '-'}]"
        return ("right" if EDITED.search(note) or rewritten else "?"), evidence
    if name == "screenshot":
        return ("right" if SCREENSHOT.search(note) else "wrong"), note[:70]
    if name in ("ai_generated", "c2pa_generated", "screen_photo"):
        return "wrong", note[:70]  # no generated image and no recapture in the corpora
    return "?", note[:70]


def _print_counts(counts: dict[str, dict[str, int]], totals: dict[str, int]) -> None:
    groups = list(totals)
    print("## Images each signal fires on (read images per folder in the header)\n")
    header = "| signal | " + " | ".join(f"{g} ({totals[g]})" for g in groups) + " |"
    print(header)
    print("|" + "---|" * (len(groups) + 1))
    for name in sorted(counts):
        print(f"| {name} | " + " | ".join(str(counts[name].get(g, 0)) for g in groups) + " |")


def _print_firings(firings: list[tuple[str, str, str, str]]) -> None:
    print("\n## Every firing on a real corpus photo\n")
    print("| signal | file | judged | manifest note |")
    print("|---|---|---|---|")
    for name, path, verdict, note in sorted(firings):
        print(f"| {name} | {path} | {verdict} | {note.replace('|', '/')} |")
    tally: dict[str, int] = defaultdict(int)
    for _name, _path, verdict, _note in firings:
        tally[verdict] += 1
    print(f"\njudged: {dict(tally)}  (right: the manifest's note or the file's own writer names an edit or")
    print("a re-save after capture; ?: neither says; wrong: contradicts the manifest)")


QUIET_SHARES = (0.01, 0.02, 0.03)
REFIT_MARGIN = 1.25  # a threshold fitted on one half: this many times the largest honest value there
# The quiet-edit rows are split here: VGA cameras' 640x480 and the 600x450 exif-org samples above it, the
# exif-py samples GIMP resized to about 100x75 (200x134 at most) below.
CLAIM_SIZED = 480


@dataclass(frozen=True)
class QuietCase:
    half: str  # A or B, by camera model
    kind: str  # original, an edit or a processing
    share: float  # of the frame painted; 0 when nothing was
    flagged: bool  # a local-edit signal fired: the thumbnail's local disagreement or a cloned region
    cloned: bool  # the cloned-region signal fired
    edit_evidence: bool  # any edit signal fired
    mass: float | None  # the measured region_mass; None where the code has no such measure
    colour: float  # the measured colour_mass (the chromaticity alone); 0 where not measured
    together: bool  # the tone's and the colour's strongest regions overlap (their shares may be added)
    line: float  # the measured line_mass (a thin darker line across the preview's content); 0 where not measured
    pairs: int  # the copy-move search's matches on one shift (cloned_region's measure)
    clean: bool  # the original itself shows no edit evidence: only a quiet edit can be seen
    other_evidence: bool  # an edit signal other than the local ones fired (an editor named, ...)
    too_small: bool  # the photo is too small to verify (a note, not a detection of the edit)
    name: str  # the original's file name
    longest: int  # the photo's longer side in pixels


def quiet_edit_bases(
    corpora: Path, context: CheckContext, claim: Claim
) -> Iterator[tuple[int, Path, bytes, Finding, str]]:
    """The corpora's camera JPEGs a quiet edit can be measured on — their own camera thumbnail,
    compared locally, not already `thumbnail_mismatch` — as (index among the camera JPEGs, path,
    bytes, the original's integrity finding, half by camera model)."""
    from evidence_check.evaluation.quiet_edits import camera_jpegs

    for index, path in enumerate(camera_jpegs(corpora)):
        data = path.read_bytes()
        try:
            photo = load_photo(data, path.name)
        except PhotoError:
            continue
        original = integrity.check(photo, claim, context)
        if not _camera_thumbnail(photo) or original.details.get("thumbnail_local", {}).get("measured") is False:
            continue
        if "thumbnail_mismatch" in original.details.get("flags", []):
            continue
        yield index, path, data, original, _half(photo)


def print_quiet_edits(corpora: Path, context: CheckContext, claim: Claim) -> None:
    """Quiet edits, honest phone-like re-processings and honest re-saves of the corpora's camera JPEGs
    that carry their own thumbnail, split into two halves by camera model; flagged with the shipped
    threshold and with one fitted on the other half."""
    from evidence_check.evaluation.quiet_edits import (
        EDITS,
        PROCESSINGS,
        RESAVES,
        paint,
        reprocess,
        resave,
    )

    cases: list[QuietCase] = []
    for index, path, data, original, half in quiet_edit_bases(corpora, context, claim):
        clean = not set(original.details.get("flags", [])) & EDIT_SIGNALS
        with Image.open(io.BytesIO(data)) as image:
            longest = max(image.size)
        variants: list[tuple[str, float, bytes | None]] = [("original", 0.0, None)]
        for k, kind in enumerate(EDITS):
            share = QUIET_SHARES[(index + k) % 3]
            variants.append((kind, share, paint(data, kind, index * 10 + k, share)))
        variants += [(kind, 0.0, reprocess(data, kind)) for kind in PROCESSINGS]
        variants += [(kind, 0.0, resaved) for kind in RESAVES if (resaved := resave(data, kind)) is not None]
        for k, kind in enumerate(EDITS):  # the same edits, then the pixels turned with the old thumbnail
            turned = resave(variants[1 + k][2] or data, "rotated_pixels")
            variants.append((f"{kind}, turned", variants[1 + k][1], turned))
        for kind, share, variant in variants:
            finding = (
                original
                if variant is None
                else integrity.check(load_photo(variant, path.name), claim, context)
            )
            flags = set(finding.details.get("flags", []))
            local = finding.details.get("thumbnail_local", {})
            mass = local.get("region_mass")
            colour = float(local.get("colour_mass", 0.0))
            together = bool(local.get("measured")) and overlap(local["region_box"], local["colour_box"])
            line = float(local.get("line_mass", 0.0))
            pairs = int(finding.details.get("copy_move", {}).get("pairs", 0))
            cases.append(
                QuietCase(
                    half,
                    kind,
                    share,
                    bool(flags & LOCAL_EDIT_SIGNALS),
                    "cloned_region" in flags,
                    bool(flags & EDIT_SIGNALS),
                    mass,
                    colour,
                    together,
                    line,
                    pairs,
                    clean,
                    bool(flags & (EDIT_SIGNALS - LOCAL_EDIT_SIGNALS)),
                    "too_small" in finding.details.get("notes", []),
                    path.name,
                    longest,
                )
            )
    bases = sum(c.kind == "original" for c in cases)
    print(
        f"\n## Quiet edits: damage painted, camera EXIF and its old thumbnail kept ({bases} camera JPEGs)\n"
    )
    print("Halves by camera model. `flagged`: a local-edit signal (thumbnail_local_edit or cloned_region);")
    print("`cloned`: cloned_region alone; `any edit evidence`: any of")
    print(f"{', '.join(sorted(EDIT_SIGNALS))}.\n")
    print("`too small to verify`: integrity.too_small noted (the photo's size said, not the edit found).\n")
    print("| half | case | photos | flagged | cloned | any edit evidence | too small to verify |")
    print("|---|---|---|---|---|---|---|")
    turned_edits = tuple(f"{kind}, turned" for kind in EDITS)
    groups = (
        ("edits (scratch, stain, clone)", EDITS, False),
        ("edits, then the pixels turned (old thumbnail kept)", turned_edits, False),
        ("edits of photos with no other edit evidence", EDITS, True),
        ("originals", ("original",), False),
        ("phone re-processings", PROCESSINGS, False),
        ("honest re-saves (whole, orientation tag, pixels turned)", RESAVES, False),
    )
    for half in ("A", "B", "all"):
        for group, kinds, clean_only in groups:
            chosen = [
                c
                for c in cases
                if half in ("all", c.half) and c.kind in kinds and (c.clean or not clean_only)
            ]
            print(
                f"| {half} | {group} | {len(chosen)} | {_share(sum(c.flagged for c in chosen), len(chosen))} "
                f"| {_share(sum(c.cloned for c in chosen), len(chosen))} "
                f"| {_share(sum(c.edit_evidence for c in chosen), len(chosen))} "
                f"| {_share(sum(c.too_small for c in chosen), len(chosen))} |"
            )
    print("\n| edit | 1 % of the frame | 2 % | 3 % |")
    print("|---|---|---|---|")
    for kind in EDITS:
        cells = []
        for share in QUIET_SHARES:
            chosen = [c for c in cases if c.kind == kind and c.share == share]
            cells.append(_share(sum(c.flagged for c in chosen), len(chosen)))
        print(f"| {kind} | " + " | ".join(cells) + " |")
    print("\n| processing or re-save | flagged | any edit evidence |")
    print("|---|---|---|")
    for kind in PROCESSINGS + RESAVES:
        chosen = [c for c in cases if c.kind == kind]
        print(
            f"| {kind} | {_share(sum(c.flagged for c in chosen), len(chosen))} "
            f"| {_share(sum(c.edit_evidence for c in chosen), len(chosen))} |"
        )
    _print_refit([c for c in cases if c.kind not in turned_edits], EDITS)


def _camera_thumbnail(photo: Photo) -> bool:
    header = read_jpeg_header(photo.data)
    if header is None or not header.exif_tiff or extract_thumbnail(header.exif_tiff) is None:
        return False
    return any(photo.metadata.exif.get(tag) not in (None, "", 0) for tag in CAPTURE_TAGS)


def _half(photo: Photo) -> str:
    model = f"{photo.metadata.exif.get('Make', '')} {photo.metadata.exif.get('Model', '')}".strip()
    return "A" if zlib.crc32(model.encode()) % 2 == 0 else "B"


def _share(count: int, total: int) -> str:
    return f"{count}/{total} ({100 * count / total:.0f} %)" if total else "-"


def _print_refit(cases: list[QuietCase], edits: tuple[str, ...]) -> None:
    """Thresholds fitted on one half's honest photos (REFIT_MARGIN x the largest), scored on the
    other: the local disagreement's `region_mass` alone, then with its `colour_mass` (alone, or added to
    the tone's where both regions overlap, each in shares of its threshold), its `line_mass` and the
    cloned region's matches beside it (any flags). Cases the local comparison did not measure (the whole
    thumbnail already disagrees) are left out and counted. Then the same held-out figures by photo size
    (claim-sized against the tiny exif-py samples, whose preview is nearly the photo) and every held-out
    miss by name."""
    measured = [c for c in cases if c.mass is not None]
    print(
        f"\n| fitted on | region_mass threshold ({REFIT_MARGIN}x its largest honest value) | colour threshold "
        "| line threshold | clone threshold | scored on | edits flagged, region_mass alone | edits flagged, any "
        "| honest flagged, any |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    by_size: list[str] = []
    misses: list[tuple[str, QuietCase]] = []
    for fit, score in (("A", "B"), ("B", "A")):
        honest_fit = [c for c in measured if c.half == fit and c.kind not in edits]
        mass_at = REFIT_MARGIN * max((c.mass or 0.0 for c in honest_fit), default=0.0)
        colour_at = REFIT_MARGIN * max((c.colour for c in honest_fit), default=0.0)
        line_at = REFIT_MARGIN * max((c.line for c in honest_fit), default=0.0)
        pairs_at = REFIT_MARGIN * max((c.pairs for c in honest_fit), default=0)
        held_edits = [c for c in measured if c.half == score and c.kind in edits]
        held_honest = [c for c in measured if c.half == score and c.kind not in edits]

        def fires(case: QuietCase, at: tuple[float, ...] = (mass_at, colour_at, line_at, pairs_at)) -> bool:
            joint = (case.mass or 0.0) / at[0] + case.colour / at[1] >= 1.0 and case.together
            return (case.mass or 0.0) >= at[0] or case.colour >= at[1] or case.line >= at[2] or case.pairs >= at[3] or joint

        alone = sum((c.mass or 0.0) >= mass_at for c in held_edits)
        print(
            f"| {fit} | {mass_at:.2f} | {colour_at:.2f} | {line_at:.2f} | {pairs_at:.0f} | {score} "
            f"| {_share(alone, len(held_edits))} | {_share(sum(map(fires, held_edits)), len(held_edits))} "
            f"| {_share(sum(map(fires, held_honest)), len(held_honest))} |"
        )
        for label, claim_sized in ((f"claim-sized (longer side >= {CLAIM_SIZED} px)", True), ("tiny", False)):
            sized_edits = [c for c in held_edits if (c.longest >= CLAIM_SIZED) == claim_sized]
            sized_honest = [c for c in held_honest if (c.longest >= CLAIM_SIZED) == claim_sized]
            sides = sorted({c.longest for c in sized_edits + sized_honest})
            by_size.append(
                f"| {fit} | {score}, {label}" + (f", {sides[0]}-{sides[-1]} px" if len(sides) > 1 else f", {sides[0]} px" if sides else "")
                + f" | {len({c.name for c in sized_edits + sized_honest})} "
                f"| {_share(sum(map(fires, sized_edits)), len(sized_edits))} "
                f"| {_share(sum(fires(c) or c.other_evidence for c in sized_edits), len(sized_edits))} "
                f"| {_share(sum(c.too_small for c in sized_edits), len(sized_edits))} "
                f"| {_share(sum(map(fires, sized_honest)), len(sized_honest))} "
                f"| {_share(sum(c.too_small for c in sized_honest), len(sized_honest))} |"
            )
        misses += [(fit, c) for c in held_edits if not fires(c)]
    print(f"(not measured locally, left out: {len(cases) - len(measured)} of {len(cases)} cases)")
    for name, value in (
        ("colour_mass", lambda c: c.colour),
        ("line_mass", lambda c: c.line),
        ("clone matches", lambda c: c.pairs),
    ):
        honest = sorted(((value(c), c.kind, c.half) for c in cases if c.kind not in edits), reverse=True)[:3]
        print(f"largest honest {name}: " + ", ".join(f"{v:.1f} ({k}, {h})" for v, k, h in honest))

    print("\nHeld out by photo size (the same fitted thresholds). `or other edit evidence`: the edits also")
    print("counted when another edit signal sends them to review (an editor named, as in the tiny samples).\n")
    print(
        "| fitted on | scored on | photos | edits flagged | edits flagged or other edit evidence "
        "| edits too small to verify | honest flagged | honest too small to verify |"
    )
    print("|---|---|---|---|---|---|---|---|")
    print("\n".join(by_size))
    print("\nHeld-out misses:\n")
    print(
        "| fitted on | photo | px | half | edit | share | region_mass | colour_mass | line_mass | clone matches "
        "| other edit evidence | too small to verify |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for fit, c in sorted(misses, key=lambda m: (m[0], m[1].longest < CLAIM_SIZED, m[1].name, m[1].kind)):
        print(
            f"| {fit} | `{c.name}` | {c.longest} | {c.half} | {c.kind} | {100 * c.share:.0f} % | {c.mass or 0.0:.2f} "
            f"| {c.colour:.2f} | {c.line:.2f} | {c.pairs} | {'yes' if c.other_evidence else 'no'} "
            f"| {'yes' if c.too_small else 'no'} |"
        )


def _twelve_megapixels() -> bytes:
    """A 4000x3000 camera-like JPEG: sensor-like noise (so the file is as large as a phone's), camera
    EXIF with a preview thumbnail."""
    import numpy as np
    from make_integrity_fixtures import product_photo, with_thumbnail

    clean = np.asarray(product_photo(70, (4000, 3000)), dtype=np.int16)
    noise = np.random.default_rng(70).normal(0, 6, clean.shape).astype(np.int16)
    big = Image.fromarray(np.clip(clean + noise, 0, 255).astype(np.uint8))
    return with_thumbnail(big, big, quality=92)


def _print_speed(context: CheckContext, claim: Claim, repeat: int) -> None:
    data = _twelve_megapixels()
    samples: dict[str, list[float]] = defaultdict(list)
    for _ in range(repeat):
        photo = load_photo(data, "IMG_20261115_093000.jpg")
        started = time.perf_counter()
        integrity.check(photo, claim, context)
        samples["integrity (all signals)"].append((time.perf_counter() - started) * 1000)
        samples["decode (working copy, for reference)"].append(photo.timings_ms["decode"])
        for stage, ms in photo.timings_ms.items():
            if stage.startswith("integrity."):
                samples[stage].append(ms)
    photo = load_photo(data, "x.jpg")
    started = time.perf_counter()
    error_levels(photo.full)
    ela_ms = (time.perf_counter() - started) * 1000
    with Image.open(io.BytesIO(data)) as image:
        size = image.size
    print(f"\n## Milliseconds on a {size[0]}x{size[1]} JPEG ({len(data) / 1e6:.1f} MB), median of {repeat}\n")
    print("| stage | ms |")
    print("|---|---|")
    for stage, values in samples.items():
        print(f"| {stage} | {statistics.median(values):.2f} |")
    print(f"| ELA view (full decode + re-encode, on request only) | {ela_ms:.0f} |")


if __name__ == "__main__":
    main()
