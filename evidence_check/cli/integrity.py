"""`evidence-check ela`: the error-level-analysis picture of a photo, for a person to look at."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from evidence_check.cli.app import app, fail, load_settings
from evidence_check.imaging.ela import DEFAULT_QUALITY, error_levels
from evidence_check.imaging.load import PhotoError, load_photo, read_file
from evidence_check.service import limits_from


@app.command()
def ela(
    photo: Annotated[Path, typer.Argument(help="the photo to look at", show_default=False, readable=False)],
    out: Annotated[Path, typer.Option(help="where to write the picture (PNG)")],
    quality: Annotated[
        int, typer.Option(min=50, max=99, help="JPEG quality of the re-save")
    ] = DEFAULT_QUALITY,
) -> None:
    """Write an error-level picture: bright regions changed most when re-saved. A view, not a verdict."""
    limits = limits_from(load_settings())
    try:
        loaded = load_photo(read_file(photo, limits), photo.name, limits)
        levels = error_levels(loaded.full, quality)
    except PhotoError as exc:
        fail(f"{photo}: {exc}")
    try:
        levels.picture.save(out, "PNG")
    except (OSError, ValueError) as exc:
        fail(f"cannot write {out}: {exc}")
    print(
        f"wrote {out}: {loaded.width}x{loaded.height}, re-saved at quality {quality}, "
        f"mean error level {levels.mean_level}, brightened x{levels.gain}"
    )
