"""Evidence files made for the scenarios: a phone's EXIF inserted, the edits a reuser makes, AI markers,
a product held in front of a shelf of its brand's other variants."""

from __future__ import annotations

import io
import random
import struct
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageOps, PngImagePlugin

PHONE = ("Xiaomi", "Redmi Note 12")


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


def _fixed(offset: str) -> timezone:
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


SHELF_SIDE = 640


def shelf_scene(grocery: Path, held: str, shot: int, shelf: tuple[str, ...], back: float, front: float) -> bytes:
    """A JPEG of `held`'s shelf photo `shot` (`{held}_00{shot}.jpg`), `front` of the frame's side wide,
    held in the centre in front of a shelf of `shelf`'s shop images (each `back` of the side, along
    the top and the bottom of the frame, on the first one's blurred shelf photo)."""
    scene = Image.open(grocery / shelf[0] / f"{shelf[0]}_001.jpg").convert("RGB")
    scene = scene.resize((SHELF_SIDE, SHELF_SIDE)).filter(ImageFilter.GaussianBlur(6))
    side = int(SHELF_SIDE * back)
    for index, name in enumerate(shelf):
        pack = Image.open(grocery / name / f"{name}_Iconic.jpg").convert("RGB").resize((side, side))
        x = int(index * (SHELF_SIDE - side) / max(1, len(shelf) - 1))
        scene.paste(pack, (x, 10))
        scene.paste(pack, (x, SHELF_SIDE - side - 10))
    width = int(SHELF_SIDE * front)
    carton = Image.open(grocery / held / f"{held}_00{shot}.jpg").convert("RGB").resize((width, width))
    carton = carton.crop((int(width * 0.1), 0, int(width * 0.9), width))
    scene.paste(carton, ((SHELF_SIDE - carton.width) // 2, (SHELF_SIDE - carton.height) // 2))
    return _jpeg(scene, 90)
