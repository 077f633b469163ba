"""Zones a merchant draws on catalog images (`catalog add --zones`): parsed and checked where they enter."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def parse_image_zones(value: Any, filenames: Sequence[str]) -> dict[str, dict[str, list[int]]]:
    """Zones per image, keyed by file name: {"back.jpg": {"seam": [x, y, w, h]}, ...}.

    A plain zone map ({"zipper": [x, y, w, h]}) is drawn on the first of `filenames`.
    """
    if not filenames:
        raise ValueError("zones need an image to be drawn on")
    if not isinstance(value, dict) or not value or not all(isinstance(v, dict) for v in value.values()):
        return {filenames[0]: parse_zones(value)}
    unknown = sorted(set(value) - set(filenames))
    if unknown:
        raise ValueError(f"zones name {unknown[0]!r}, which is not one of the images ({', '.join(filenames)})")
    return {str(name): parse_zones(zones) for name, zones in value.items()}


def parse_zones(value: Any) -> dict[str, list[int]]:
    """Zones as given by a merchant: {"zipper": [x, y, w, h], ...} in catalog image pixels."""
    if not isinstance(value, dict) or not value:
        raise ValueError('zones must be a JSON object such as {"zipper": [10, 20, 100, 40]}')
    zones: dict[str, list[int]] = {}
    for name, box in value.items():
        if (
            not isinstance(box, list)
            or len(box) != 4
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in box)
        ):
            raise ValueError(f"zone {name!r} must be [x, y, w, h], got {box!r}")
        x, y, w, h = (int(round(v)) for v in box)
        if x < 0 or y < 0 or w <= 0 or h <= 0:
            raise ValueError(f"zone {name!r} needs x, y >= 0 and w, h > 0, got {box!r}")
        zones[str(name)[:64]] = [x, y, w, h]
    return zones
