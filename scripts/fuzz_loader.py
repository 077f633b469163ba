"""Coverage-guided fuzzing of the loader and the metadata readers (atheris, libFuzzer's engine).

Every input is given to `load_photo` as a file a customer sent; an input that does not start like an
image is also wrapped as the EXIF segment of a small JPEG, so that the mutations reach the EXIF
readers (Pillow's, and exifread's when Pillow gives up) and the capture-time parser. A readable photo
then has its capture time read. The only outcome allowed besides a photo is `PhotoError`: any other
exception is a finding, and libFuzzer stops, prints the traceback and writes the input as
`crash-<sha1>`. `-rss_limit_mb` holds memory to the bound the loader promises (1536 MB) and
`-timeout` one input to seconds, so a memory blow-up or a hang is a finding too (`oom-`, `timeout-`).

Python code (Pillow's plugins, exifread, our imaging modules) is instrumented for coverage; the C
decoders are not, but they run on every input.

    # the short run tests/fuzz runs (seeds: fixtures/images and ../shared/corpora/malformed-images)
    .venv/bin/python scripts/fuzz_loader.py -runs=3000 -seed=1
    # a long run, keeping what it finds in a corpus folder of its own
    nice -n 10 .venv/bin/python scripts/fuzz_loader.py -max_total_time=3600 /tmp/fuzz-corpus
    # the metadata readers alone (no pixels decoded): ten times the inputs per second
    .venv/bin/python scripts/fuzz_loader.py --headers -max_total_time=3600 /tmp/fuzz-headers
    # replay one finding
    .venv/bin/python scripts/fuzz_loader.py crash-0123abcd

Without a corpus folder argument the run writes new inputs to a temporary folder, named at the
start and left for you to keep or delete (libFuzzer ends the process before Python could). The
limits are the settings' (EVIDENCE_CHECK_MAX_DECODED_BYTES and the rest apply): a smaller decoding
budget keeps each input fast.
"""

from __future__ import annotations

import argparse
import io
import re
import struct
import sys
import tempfile
import warnings
from pathlib import Path

# libFuzzer's own flags are single-dash `-name=value`; they pass through to it untouched.
LIBFUZZER_FLAG = re.compile(r"-[A-Za-z_]+=.*")


def parse_arguments(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    """Our arguments, and libFuzzer's flags as given (it checks those itself)."""
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n")[0],
        epilog="libFuzzer's flags (-runs=N, -seed=N, -max_total_time=S, ...; -help=1 lists them) pass through.",
    )
    parser.add_argument("--headers", action="store_true",
                        help="fuzz the metadata readers alone, without decoding pixels (about ten times the inputs per second)")
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="a corpus folder (the first receives what the run finds; made if missing), "
                             "or files to replay (a finding: crash-<sha1>)")
    libfuzzer_flags = [arg for arg in argv if LIBFUZZER_FLAG.fullmatch(arg)]
    arguments = parser.parse_args([arg for arg in argv if not LIBFUZZER_FLAG.fullmatch(arg)])
    return arguments, libfuzzer_flags


if __name__ == "__main__":
    # Before atheris loads: instrumenting Pillow's plugins takes half a minute, and --help should not wait
    ARGUMENTS, LIBFUZZER_FLAGS = parse_arguments(sys.argv[1:])

import atheris  # noqa: E402

with atheris.instrument_imports(include=["PIL", "exifread", "pillow_heif", "evidence_check.imaging"]):
    import exifread  # noqa: F401  (imported by the metadata reader on first use: instrumented here)
    from PIL import Image

    Image.init()  # Pillow imports its format plugins on the first open: here, to instrument them
    from evidence_check.imaging.capture_time import read_capture_time
    from evidence_check.imaging.jpeg_header import read_jpeg_header
    from evidence_check.imaging.jpeg_quality import fingerprint_tables
    from evidence_check.imaging.load import Limits, PhotoError, load_photo
    from evidence_check.imaging.metadata import parse_xmp, read_metadata
    from evidence_check.imaging.sniff import sniff_format
    from evidence_check.imaging.thumbnail import extract_thumbnail

from evidence_check.settings import Settings  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SEEDS = [ROOT / "fixtures" / "images", ROOT.parent / "shared" / "corpora" / "malformed-images"]
# libFuzzer's own flags unless given: the memory bound, seconds per input, inputs up to 64 kB.
DEFAULT_FLAGS = ["-rss_limit_mb=1536", "-timeout=30", "-max_len=65536"]


def _limits() -> Limits:
    settings = Settings()
    return Limits(
        max_bytes=settings.max_file_bytes,
        max_pixels=settings.max_pixels,
        working_size=settings.working_size,
        max_decoded_bytes=settings.max_decoded_bytes,
    )


LIMITS = _limits()


def _jpeg_with_exif() -> tuple[bytes, bytes]:
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (90, 120, 150)).save(out, "JPEG", quality=70)
    data = out.getvalue()
    return data[:2], data[2:]  # SOI, then the rest; the APP1 segment goes between


_SOI, _REST = _jpeg_with_exif()


def as_exif_segment(payload: bytes) -> bytes:
    """`payload` as the TIFF structure of an EXIF APP1 segment of a small valid JPEG."""
    body = b"Exif\x00\x00" + payload[: 65533 - 6]
    return _SOI + b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body + _REST


def test_one_input(data: bytes) -> None:
    candidates = [data] if sniff_format(data[:64]) else [data, as_exif_segment(data)]
    for candidate in candidates:
        try:
            photo = load_photo(candidate, "fuzz.jpg", LIMITS)
        except PhotoError:
            continue
        read_capture_time(photo.metadata, "IMG_20261120_101500.jpg")
    parse_xmp(data)


def test_one_header(data: bytes) -> None:
    """The metadata readers alone, without decoding pixels: our JPEG header and EXIF thumbnail parsers,
    Pillow's and exifread's EXIF readers, the capture-time parser. About ten times faster per input than
    the whole loader, so that a long run reaches far more of the readers' states."""
    jpeg = data if data[:2] == b"\xff\xd8" else as_exif_segment(data)
    header = read_jpeg_header(jpeg)
    if header is not None:
        fingerprint_tables(header.qtables)
        if header.exif_tiff is not None:
            extract_thumbnail(header.exif_tiff)
    extract_thumbnail(data)
    try:
        image = Image.open(io.BytesIO(jpeg))
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return  # the loader refuses these in one line (its own target covers opening); here, the readers
    with image:
        metadata = read_metadata(image, jpeg)
    read_capture_time(metadata, "IMG_20261120_101500.jpg")


def main(arguments: argparse.Namespace, libfuzzer_flags: list[str]) -> None:
    # Pillow warns on every damaged EXIF; printing the warnings costs more than reading the EXIF
    warnings.simplefilter("ignore")
    target = test_one_header if arguments.headers else test_one_input
    given = {flag.split("=", 1)[0] for flag in libfuzzer_flags}
    flags = [flag for flag in DEFAULT_FLAGS if flag.split("=", 1)[0] not in given]
    targets = list(arguments.paths)
    replay = any(Path(path).is_file() for path in targets)
    if not replay:
        # The first folder receives what the run finds. libFuzzer ends the process itself, so a
        # temporary folder would never be removed: it is named, for the user to keep or delete.
        if not targets:
            targets = [tempfile.mkdtemp(prefix="fuzz-corpus-")]
            print(f"new inputs go to {targets[0]} (not removed at the end)", file=sys.stderr)
        Path(targets[0]).mkdir(parents=True, exist_ok=True)
        targets += [str(seed) for seed in SEEDS if seed.is_dir()]
    atheris.Setup([sys.argv[0], *flags, *libfuzzer_flags, *targets], target)
    atheris.Fuzz()


if __name__ == "__main__":
    main(ARGUMENTS, LIBFUZZER_FLAGS)
