"""Zones a merchant draws on catalog images (`catalog add --zones`): parsed and checked where they enter.

A zone is a named part of the product — a box ``[x, y, w, h]`` or a polygon ``[[x, y], ...]`` in
pixels of the catalog image — with the likely cause of a problem found there (`CAUSES`), an
optional note for the agent and an optional Chinese label. Two written forms are accepted::

    {"zipper": [10, 20, 100, 40]}
    {"zipper": {"box": [10, 20, 100, 40], "cause": "wear", "note": "...", "label_zh": "拉链"},
     "cuff": {"polygon": [[0, 0], [50, 0], [40, 60]], "cause": "manufacturing"}}

A plain box with nothing else is stored as the plain list, so readers of the first form keep
working; anything richer is stored as the object, normalised (`parse_zones`). `read_zones` turns
either stored form into `Zone`s.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from evidence_check.errors import WordedError
from evidence_check.storable import storable
from evidence_check.widths import ZONE_NAME_WIDTH, ZONE_TEXT_WIDTH, stored_cuts, stored_filename

CAUSES = ("manufacturing", "shipping", "wear", "unknown")
MAX_POLYGON_POINTS = 64
# OpenCV holds pixel coordinates as 32-bit integers; JSON also admits Infinity, NaN and 1e308.
MAX_COORDINATE = 2**31 - 1
_SHAPES = ("box", "polygon")


class ZonesInvalid(WordedError, ValueError):
    """Zones that cannot be stored; the message names the zone and what is wrong."""


@dataclass(frozen=True)
class Zone:
    name: str
    polygon: tuple[tuple[float, float], ...]  # catalog image pixels, a box as its four corners
    cause: str = "unknown"
    note: str | None = None
    label_zh: str | None = None

    def label(self, lang: str) -> str:
        """The zone's name in the report's language ("underarm_seam" -> "underarm seam")."""
        if lang == "zh" and self.label_zh:
            return self.label_zh
        return self.name.replace("_", " ")


def parse_image_zones(value: Any, filenames: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Zones per image, keyed by file name: {"back.jpg": {"seam": [x, y, w, h]}, ...}.

    A plain zone map ({"zipper": [x, y, w, h]} or {"zipper": {"box": ...}}) is drawn on the first
    of `filenames`.
    """
    if not filenames:
        raise ZonesInvalid("zones.no_image")
    if not _per_image(value):
        parsed = {filenames[0]: parse_zones(value)}
    else:
        _refuse_unstorable(value)
        # A name over the store's width is stored cut: the merchant may name it whole or as stored.
        named = {stored_filename(name): name for name in filenames}
        found = {name: next((named[cut] for cut in stored_cuts(name) if cut in named), None) for name in value}
        unknown = sorted(name for name, image in found.items() if image is None)
        if unknown:
            if _meant_as_zone(value[unknown[0]]):
                parse_zones(value)  # refuses it in the zone's own words ("unknown field 'bx'")
            raise ZonesInvalid("zones.unknown_image", image=unknown[0], images=", ".join(filenames))
        # Whole, as stored or plainly cut: one image has up to three names, and one set of its zones
        # would be dropped without a word.
        for image in dict.fromkeys(found.values()):
            names = [name for name, named_image in found.items() if named_image == image]
            if len(names) > 1:
                raise ZonesInvalid("zones.named_twice", image=image, names=", ".join(map(repr, names)))
        parsed = {image: parse_zones(value[name]) for name, image in found.items() if image is not None}
    # Zones are stored by file name: two images of one name (front/a.jpg, back/a.jpg) would both
    # get the zones drawn on one of them.
    twice = sorted(name for name in parsed if filenames.count(name) > 1)
    if twice:
        raise ZonesInvalid("zones.image_twice", image=twice[0])
    return parsed


def parse_zones(value: Any) -> dict[str, Any]:
    """Zones as given by a merchant, normalised for the store (see the module's docstring)."""
    if not isinstance(value, dict) or not value:
        raise ZonesInvalid("zones.not_an_object")
    _refuse_unstorable(value)
    for name in value:
        _check_name(str(name))
    return {str(name): _parse_zone(str(name), zone) for name, zone in value.items()}


def bound_zones(
    zones: Mapping[str, Mapping[str, Any]], sizes: Mapping[str, tuple[int, int]]
) -> dict[str, dict[str, Any]]:
    """Zones per image (as `parse_image_zones` gives them) cut at the edges of their image, `sizes`
    its upright (width, height) by file name; an image not in `sizes` (not readable, so not stored)
    keeps them as given. A zone reaching past an edge (dragged a little too far, drawn on a larger
    copy) keeps the part on the image; one wholly off it is refused (`ZonesInvalid`): it marks
    nothing a photo could show, and its coordinates ran up to 2**32 unchecked."""
    bounded: dict[str, dict[str, Any]] = {}
    for filename, image_zones in zones.items():
        size = sizes.get(filename)
        if size is None:
            bounded[filename] = dict(image_zones)
            continue
        bounded[filename] = {name: _bounded(name, zone, filename, size) for name, zone in image_zones.items()}
    return bounded


def _bounded(name: str, zone: Any, filename: str, size: tuple[int, int]) -> Any:
    width, height = size
    shape = zone if isinstance(zone, list) else zone.get("box") or zone["polygon"]
    if isinstance(shape[0], list):
        kept = _clipped(shape, width, height)
        if len(kept) < 3 or _area(kept) <= 0:
            raise ZonesInvalid("zones.outside_image", zone=name, image=filename, width=width, height=height)
        return {**zone, "polygon": kept}
    x, y, w, h = shape
    if x >= width or y >= height:
        raise ZonesInvalid("zones.outside_image", zone=name, image=filename, width=width, height=height)
    box = [x, y, min(w, width - x), min(h, height - y)]
    return box if isinstance(zone, list) else {**zone, "box": box}


def _clipped(polygon: Sequence[Sequence[int]], width: int, height: int) -> list[list[int]]:
    """The polygon's part left of x = width and above y = height (Sutherland-Hodgman, one edge at a
    time; its points are never negative, `_polygon` saw to that)."""
    points = [(float(x), float(y)) for x, y in polygon]
    for axis, limit in ((0, width), (1, height)):
        cut: list[tuple[float, float]] = []
        for current, following in zip(points, [*points[1:], points[0]], strict=True):
            if current[axis] <= limit:
                cut.append(current)
            if (current[axis] <= limit) != (following[axis] <= limit):
                share = (limit - current[axis]) / (following[axis] - current[axis])
                cut.append(
                    (current[0] + share * (following[0] - current[0]), current[1] + share * (following[1] - current[1]))
                )
        points = cut
        if not points:
            return []
    kept = [[int(round(x)), int(round(y))] for x, y in points]
    return [point for i, point in enumerate(kept) if point != kept[i - 1]]


def read_zones(stored: Mapping[str, Any] | None) -> tuple[Zone, ...]:
    """The stored zones of one image as `Zone`s; an entry that cannot be read is left out."""
    zones = []
    for name, value in (stored or {}).items():
        try:
            normal = _parse_zone(str(name), value)
        except ValueError:
            continue
        if isinstance(normal, list):
            normal = {"box": normal}
        polygon: tuple[tuple[float, float], ...]
        if "box" in normal:
            x, y, w, h = normal["box"]
            polygon = ((x, y), (x + w, y), (x + w, y + h), (x, y + h))
        else:
            polygon = tuple((float(px), float(py)) for px, py in normal["polygon"])
        zones.append(
            Zone(str(name), polygon, normal.get("cause", "unknown"), normal.get("note"), normal.get("label_zh"))
        )
    return tuple(zones)


def _per_image(value: Any) -> bool:
    """Whether `value` maps file names to zone maps rather than zone names to zones."""
    if not isinstance(value, dict) or not value or not all(isinstance(v, dict) for v in value.values()):
        return False
    return not any(shape in zone for zone in value.values() for shape in _SHAPES)


def _meant_as_zone(value: Any) -> bool:
    """Whether a dict read as an image's zones is rather one zone whose shape is misspelt
    ({"cap": {"bx": [...]}} was answered "zones name 'cap', which is not one of the images"): it holds
    a zone's own field, or a name one letter or two from "box" or "polygon"."""
    return isinstance(value, dict) and any(
        str(key) in ("cause", "note", "label_zh") or difflib.get_close_matches(str(key).lower(), _SHAPES, n=1, cutoff=0.8)
        for key in value
    )


def _refuse_unstorable(named: dict[Any, Any]) -> None:
    # Before any line that names a zone or image as sent: a lone surrogate cannot even be answered.
    for name in named:
        if not storable(str(name)):
            raise ZonesInvalid("zones.unstorable", zone=str(name))


def _check_name(name: str) -> None:
    # Refused whole, not cut: two names alike in their first characters became one zone, unsaid.
    if not name.strip():
        raise ZonesInvalid("zones.empty_name")
    if len(name) > ZONE_NAME_WIDTH:
        raise ZonesInvalid("zones.name_too_long", zone=name[:24] + "…", max_length=ZONE_NAME_WIDTH)


def _parse_zone(name: str, value: Any) -> list[int] | dict[str, Any]:
    if isinstance(value, list):
        return _box(name, value)
    if not isinstance(value, dict):
        raise ZonesInvalid("zones.not_a_zone", zone=name, value=value)
    extra = sorted(set(value) - {*_SHAPES, "cause", "note", "label_zh"})
    if extra:
        raise ZonesInvalid("zones.unknown_field", zone=name, key=extra[0])
    if ("box" in value) == ("polygon" in value):
        raise ZonesInvalid("zones.one_shape", zone=name)
    zone: dict[str, Any] = {"box": _box(name, value["box"])} if "box" in value else {"polygon": _polygon(name, value["polygon"])}
    cause = value.get("cause", "unknown")
    if cause not in CAUSES:
        raise ZonesInvalid("zones.unknown_cause", zone=name, causes=", ".join(CAUSES), value=cause)
    zone["cause"] = cause
    for field in ("note", "label_zh"):
        text = value.get(field)
        if text is None:
            continue
        if not isinstance(text, str) or not text.strip():
            raise ZonesInvalid("zones.empty_text", zone=name, key=field)
        if not storable(text):
            raise ZonesInvalid("zones.unstorable", zone=name)
        if len(text.strip()) > ZONE_TEXT_WIDTH:  # refused whole: a note cut mid-sentence misleads the agent
            raise ZonesInvalid("zones.text_too_long", zone=name, key=field, max_length=ZONE_TEXT_WIDTH)
        zone[field] = text.strip()
    if set(zone) == {"box", "cause"} and cause == "unknown":
        return zone["box"]  # the plain form, as readers of plain zones expect
    return zone


def _number(value: Any) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and abs(value) <= MAX_COORDINATE
    )


def _box(name: str, box: Any) -> list[int]:
    if not isinstance(box, list) or len(box) != 4 or not all(_number(v) for v in box):
        raise ZonesInvalid("zones.not_a_box", zone=name, value=box)
    x, y, w, h = (int(round(v)) for v in box)
    if x < 0 or y < 0 or w <= 0 or h <= 0:
        raise ZonesInvalid("zones.box_outside", zone=name, value=box)
    return [x, y, w, h]


def _polygon(name: str, points: Any) -> list[list[int]]:
    if (
        not isinstance(points, list)
        or not 3 <= len(points) <= MAX_POLYGON_POINTS
        or not all(isinstance(p, list) and len(p) == 2 and all(_number(v) and v >= 0 for v in p) for p in points)
    ):
        raise ZonesInvalid("zones.not_a_polygon", zone=name, max_points=MAX_POLYGON_POINTS)
    polygon = [[int(round(x)), int(round(y))] for x, y in points]
    if _area(polygon) <= 0:
        raise ZonesInvalid("zones.polygon_flat", zone=name)
    return polygon


def _area(points: Sequence[Sequence[float]]) -> float:
    total = 0.0
    for (x1, y1), (x2, y2) in zip(points, [*points[1:], points[0]], strict=True):
        total += x1 * y2 - x2 * y1
    return abs(total) / 2
