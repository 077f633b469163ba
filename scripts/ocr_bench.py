"""How well each offline OCR engine reads retake-challenge codes: a table of correct reads and ms.

Generates photos of a code written on a paper card beside a product — a handwriting-like font
from Debian's fonts packages, the card rotated, seen in perspective, blurred, in poor light, with
sensor noise and JPEG compression — and runs every available engine of `imaging/ocr.py` on the
same photos through the same matcher the challenge check uses (`checks.challenge.find_code`).

    .venv/bin/python scripts/ocr_bench.py --count 40            # the table
    .venv/bin/python scripts/ocr_bench.py --write DIR --count 6 --plain  # keep them (fixtures)

Needs the fonts: apt-get install fonts-humor-sans fonts-dkg-handwriting fonts-femkeklaver
fonts-breip. Backgrounds are the shelf photos of ../shared/corpora/product-matching when present,
else a plain table-top texture.
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from evidence_check.checks.challenge import ALPHABET, find_code  # noqa: E402
from evidence_check.imaging.load import Limits, load_photo  # noqa: E402
from evidence_check.imaging.ocr import ENGINES, available, read_text  # noqa: E402

FONTS = [
    "/usr/share/fonts/truetype/humor-sans/Humor-Sans.ttf",
    "/usr/share/fonts/truetype/fifthhorseman/dkg.ttf",
    "/usr/share/fonts/truetype/femkeklaver/femkeklaver.ttf",
    "/usr/share/fonts/truetype/breip/Breip.ttf",
]
BACKGROUNDS = ROOT.parent / "shared" / "corpora" / "product-matching"
# (max card rotation degrees, max perspective shift as a share of the card, max blur radius,
#  darkest light level, noise sigma, JPEG quality range)
LEVELS = {
    "mild": (8, 0.04, 0.6, 0.85, 3, (85, 92)),
    "moderate": (20, 0.10, 1.2, 0.55, 6, (70, 85)),
    "harsh": (35, 0.18, 2.0, 0.35, 10, (55, 70)),
}


def fonts() -> list[Path]:
    found = [Path(f) for f in FONTS if Path(f).is_file()]
    if not found:
        raise SystemExit(
            "no handwriting fonts found: apt-get install fonts-humor-sans fonts-dkg-handwriting "
            "fonts-femkeklaver fonts-breip"
        )
    return found


def backgrounds() -> list[Path]:
    return (
        [p for p in sorted(BACKGROUNDS.glob("grocery/*/*.jpg")) if "Iconic" not in p.name]
        if BACKGROUNDS.is_dir()
        else []
    )


def retake_photo(code: str, rng: random.Random, level: str, font: Path, background: Path | None) -> bytes:
    """A JPEG of `code` handwritten on a card lying beside a product, under the level's conditions."""
    rotation, shift, blur, light, noise, quality = LEVELS[level]
    width, height = 1600, 1200
    if background is not None:
        scene = Image.open(background).convert("RGB").resize((width, height))
    else:
        base = np.full((height, width, 3), (150, 120, 90), np.uint8)
        base = base + np.random.default_rng(rng.randrange(1 << 30)).integers(-12, 12, base.shape)
        scene = Image.fromarray(base.clip(0, 255).astype(np.uint8))

    # The card: off-white paper, the code in dark ink, letters each a little tilted and shifted.
    card_w, card_h = 620, 260
    card = Image.new("RGBA", (card_w, card_h), (246, 243, 232, 255))
    ink = rng.choice([(20, 20, 30), (20, 30, 110), (10, 10, 10)])
    size = rng.randint(110, 150)
    face = ImageFont.truetype(str(font), size)
    x = 40
    for ch in code:
        glyph = Image.new("RGBA", (size * 2, size * 2), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text((size // 2, size // 3), ch, font=face, fill=ink + (255,))
        glyph = glyph.rotate(rng.uniform(-8, 8), resample=Image.Resampling.BICUBIC)
        card.alpha_composite(glyph, (x - size // 2, rng.randint(-10, 10) + (card_h - size * 2) // 2 + 10))
        x += int(face.getlength(ch) * rng.uniform(0.95, 1.15)) + 6
    card = card.rotate(rng.uniform(-rotation, rotation), expand=True, resample=Image.Resampling.BICUBIC)

    # Perspective: move each corner inwards by a random share of the card.
    cw, ch_ = card.size
    src = np.float32([[0, 0], [cw, 0], [cw, ch_], [0, ch_]])
    jitter = [(rng.uniform(0, shift) * cw, rng.uniform(0, shift) * ch_) for _ in range(4)]
    dst = np.float32(
        [
            [jitter[0][0], jitter[0][1]],
            [cw - jitter[1][0], jitter[1][1]],
            [cw - jitter[2][0], ch_ - jitter[2][1]],
            [jitter[3][0], ch_ - jitter[3][1]],
        ]
    )
    warped = cv2.warpPerspective(np.asarray(card), cv2.getPerspectiveTransform(src, dst), (cw, ch_))
    card = Image.fromarray(warped)
    scale = rng.uniform(0.8, 1.05)
    card = card.resize((int(cw * scale), int(ch_ * scale)), Image.Resampling.LANCZOS)
    scene = scene.convert("RGBA")
    px = rng.randint(20, max(21, width - card.width - 20))
    py = rng.randint(20, max(21, height - card.height - 20))
    scene.alpha_composite(card, (px, py))
    photo = scene.convert("RGB").filter(ImageFilter.GaussianBlur(rng.uniform(0, blur)))

    # Poor light: darker overall, a shadow falling across the frame, then sensor noise.
    pixels = np.asarray(photo).astype(np.float32) / 255
    level_light = rng.uniform(light, 1.0)
    ramp = np.linspace(rng.uniform(0.6, 1.0), rng.uniform(0.6, 1.0), width, dtype=np.float32)
    pixels = pixels * level_light * ramp[None, :, None]
    pixels = pixels + np.random.default_rng(rng.randrange(1 << 30)).normal(0, noise / 255, pixels.shape)
    out = Image.fromarray((pixels.clip(0, 1) * 255).astype(np.uint8))
    buffer = io.BytesIO()
    out.save(buffer, format="JPEG", quality=rng.randint(*quality))
    return buffer.getvalue()


def photos(count: int, seed: int, length: int, plain: bool = False) -> Iterator[tuple[str, str, bytes]]:
    rng = random.Random(seed)
    faces, scenes = fonts(), ([] if plain else backgrounds())
    for i in range(count):
        level = list(LEVELS)[i % len(LEVELS)]
        code = new_code_seeded(rng, length)
        background = rng.choice(scenes) if scenes else None
        yield level, code, retake_photo(code, rng, level, faces[i % len(faces)], background)


def new_code_seeded(rng: random.Random, length: int) -> str:
    # The same alphabet as the real codes, but repeatable for a benchmark.
    return "".join(rng.choice(ALPHABET) for _ in range(length))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=30, help="photos to generate (spread over 3 levels)")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--length", type=int, default=5, help="code length")
    parser.add_argument("--write", type=Path, help="also save the photos in this folder")
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument(
        "--source",
        choices=("reading", "working"),
        default="reading",
        help="read the copy the challenge check reads (up to 1600 px) or the 1024 px working copy",
    )
    parser.add_argument(
        "--plain", action="store_true", help="table-top backgrounds only (for fixtures: no corpus pixels)"
    )
    args = parser.parse_args()
    engines = [e for e in args.engines.split(",") if available(e)]
    missing = [e for e in args.engines.split(",") if e not in engines]
    if missing:
        print(f"not available here: {', '.join(missing)}")
    results: dict[tuple[str, str], list[tuple[int, float]]] = {}
    for index, (level, code, data) in enumerate(photos(args.count, args.seed, args.length, args.plain)):
        if args.write:
            args.write.mkdir(parents=True, exist_ok=True)
            (args.write / f"retake_{level}_{index:02d}_{code}.jpg").write_bytes(data)
        photo = load_photo(data, "retake.jpg", Limits())
        for engine in engines:
            started = time.perf_counter()
            picture = (
                photo.working if args.source == "working" else Image.open(io.BytesIO(data)).convert("RGB")
            )
            match = find_code(read_text(picture, engine), code)
            ms = (time.perf_counter() - started) * 1000
            # 0 = exact, 1 = one misread (still accepted), 2 = not found
            outcome = 2 if match is None else match.misread
            results.setdefault((engine, level), []).append((outcome, ms))
            results.setdefault((engine, "all"), []).append((outcome, ms))
    print(f"{args.count} generated retake photos, code length {args.length}, seed {args.seed}")
    print(f"{'engine':<10} {'level':<9} {'n':>3} {'exact':>6} {'read':>6} {'rate':>6} {'median ms':>10}")
    for (engine, level), rows in results.items():
        exact = sum(1 for o, _ in rows if o == 0)
        read = sum(1 for o, _ in rows if o <= 1)
        print(
            f"{engine:<10} {level:<9} {len(rows):>3} {exact:>6} {read:>6} {read / len(rows):>6.0%}"
            f" {statistics.median(ms for _, ms in rows):>10.0f}"
        )


if __name__ == "__main__":
    main()
