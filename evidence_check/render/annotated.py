"""The annotated picture of a photo: what the location look saw, drawn over a small copy.

Drawn from the photo's working copy and the location look's details (all in pixels of the oriented
full-resolution photo): the product's outline where the catalog image lies in the photo (green),
the zones the merchant drew (blue, named), the region the agent marked (red) or the one the service
proposes (orange, dashed), and greyed, the parts of the product a proposal left out of its comparison
(`left_out_in_photo`: they do not line up with the catalog image). A PNG no larger than `MAX_SIDE`, so it travels in a report or an answer;
re-encoded, so no metadata of the original goes with it.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from PIL import Image, ImageDraw

if TYPE_CHECKING:
    from evidence_check.imaging.load import Photo

MAX_SIDE = 1024
OUTLINE = (23, 160, 61)
ZONE = (29, 79, 200)
REGION = (224, 17, 95)
PROPOSED = (255, 140, 0)
LEFT_OUT = (128, 128, 128)
LEFT_OUT_OPACITY = 0.6  # the photo stays legible under it: the agent checks what was left out by eye


def location_details(body: Mapping[str, Any], image_id: str) -> Mapping[str, Any] | None:
    """The location look's details of one photo of a report (its JSON body), by image id."""
    for image in body.get("images") or []:
        if image.get("image_id") == image_id:
            return ((image.get("checks") or {}).get("location") or {}).get("details") or {}
    return None


def annotated_pictures(body: Mapping[str, Any], photos: Iterable[Photo]) -> dict[str, str]:
    """Data URIs of the annotated pictures of the report's photos that have something to draw."""
    pictures = {}
    for photo in photos:
        details = location_details(body, photo.image_id)
        if details is not None and drawable(details):
            pictures[photo.image_id] = annotated_uri(photo.working, details)
    return pictures


def drawable(details: Mapping[str, Any]) -> bool:
    """Whether the location look's details have anything to draw."""
    return any(details.get(key) for key in ("region", "proposed_region", "outline_in_photo", "zones_in_photo"))


def annotated_png(working: Image.Image, details: Mapping[str, Any]) -> bytes:
    """The working copy, fitted within MAX_SIDE, with the location details drawn over it."""
    picture = working.convert("RGB")
    picture.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    size = details.get("image_size")
    full_width = size[0] if isinstance(size, list) and size and size[0] else working.width
    scale = picture.width / full_width
    picture = _greyed(picture, details.get("left_out_in_photo"), scale)
    draw = ImageDraw.Draw(picture)
    width = max(2, round(max(picture.size) / 300))
    outline = _points(details.get("outline_in_photo"), scale)
    if len(outline) >= 3:
        draw.line([*outline, outline[0]], fill=OUTLINE, width=width)
    zones = details.get("zones_in_photo")
    for name, points in (zones.items() if isinstance(zones, Mapping) else ()):
        polygon = _points(points, scale)
        if len(polygon) >= 3:
            draw.line([*polygon, polygon[0]], fill=ZONE, width=width)
            draw.text(_label_at(polygon), str(name)[:32], fill=ZONE, stroke_width=2, stroke_fill=(255, 255, 255))
    box = _box(details.get("region"), scale)
    if box is not None:
        draw.rectangle(box, outline=REGION, width=width + 1)
    proposed = _box(details.get("proposed_region"), scale)
    if proposed is not None:
        _dashed(draw, proposed, PROPOSED, width + 1)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def annotated_uri(working: Image.Image, details: Mapping[str, Any]) -> str:
    return "data:image/png;base64," + base64.b64encode(annotated_png(working, details)).decode("ascii")


def _greyed(picture: Image.Image, outlines: Any, scale: float) -> Image.Image:
    polygons = [_points(outline, scale) for outline in (outlines if isinstance(outlines, Sequence) else ())]
    if not any(len(polygon) >= 3 for polygon in polygons):
        return picture
    mask = Image.new("L", picture.size, 0)
    for polygon in polygons:
        if len(polygon) >= 3:
            ImageDraw.Draw(mask).polygon(polygon, fill=255)
    return Image.composite(Image.blend(picture, Image.new("RGB", picture.size, LEFT_OUT), LEFT_OUT_OPACITY), picture, mask)


def _points(value: Any, scale: float) -> list[tuple[float, float]]:
    if not isinstance(value, Sequence):
        return []
    points = []
    for point in value:
        if isinstance(point, Sequence) and len(point) == 2 and all(isinstance(v, int | float) for v in point):
            points.append((float(point[0]) * scale, float(point[1]) * scale))
    return points


def _box(value: Any, scale: float) -> tuple[float, float, float, float] | None:
    if not isinstance(value, Sequence) or len(value) != 4 or not all(isinstance(v, int | float) for v in value):
        return None
    x, y, w, h = (float(v) * scale for v in value)
    return (x, y, x + max(w, 1.0), y + max(h, 1.0))


def _label_at(polygon: list[tuple[float, float]]) -> tuple[float, float]:
    return (min(p[0] for p in polygon) + 3, min(p[1] for p in polygon) + 2)


def _dashed(draw: ImageDraw.ImageDraw, box: tuple[float, float, float, float], colour: tuple[int, int, int], width: int) -> None:
    x0, y0, x1, y1 = box
    dash = 4 * width
    for a, b in (((x0, y0), (x1, y0)), ((x1, y0), (x1, y1)), ((x1, y1), (x0, y1)), ((x0, y1), (x0, y0))):
        length = max(abs(b[0] - a[0]), abs(b[1] - a[1]))
        steps = max(1, int(length // dash))
        for i in range(0, steps, 2):
            t0, t1 = i / steps, min(1.0, (i + 1) / steps)
            draw.line(
                [(a[0] + (b[0] - a[0]) * t0, a[1] + (b[1] - a[1]) * t0), (a[0] + (b[0] - a[0]) * t1, a[1] + (b[1] - a[1]) * t1)],
                fill=colour,
                width=width,
            )
