"""AI generation: markers that a picture was made (or partly made) by an image generator.

Any one of these -> ``fail``, naming the marker:
- the IPTC digital-source type ``trainedAlgorithmicMedia`` or ``compositeWithTrainedAlgorithmicMedia``
  anywhere in the metadata (XMP ``Iptc4xmpExt:DigitalSourceType``, or a C2PA action);
- a generator's text chunk in a PNG (``parameters``: Stable Diffusion web UIs; ``prompt`` and
  ``workflow``: ComfyUI; ``invokeai_metadata``, ``sd-metadata``, ``Dream``: InvokeAI), or the
  Stable Diffusion parameter line ("Steps: 20, Sampler: …") in an EXIF comment;
- a generator's name in ``Software``, XMP, comments or PNG text (Midjourney, DALL·E, Firefly, …).

The plain ``algorithmicMedia`` type (drawn by a program without training data, e.g. a test
gradient) is not a generator marker.
"""

from __future__ import annotations

import re

from evidence_check.checks.context import CheckContext
from evidence_check.checks.integrity.signals import Facts, Reading, Signal, exif_text
from evidence_check.imaging.load import Photo
from evidence_check.models import Claim, Status

SCORE_GENERATED = 0.85

SOURCE_TYPE = re.compile(
    rb"digitalsourcetype/(compositeWithTrainedAlgorithmicMedia|trainedAlgorithmicMedia)", re.IGNORECASE
)
GENERATOR_CHUNKS = {
    "parameters": "Stable Diffusion web UI",
    "prompt": "ComfyUI",
    "workflow": "ComfyUI",
    "invokeai_metadata": "InvokeAI",
    "invokeai_graph": "InvokeAI",
    "sd-metadata": "InvokeAI",
    "dream": "InvokeAI",
    "generation_data": "image generator",
}
GENERATOR_NAMES = re.compile(
    r"stable[ -]?diffusion|midjourney|dall[-·‧ ]?e|adobe firefly|novelai|comfyui|automatic1111|"
    r"invokeai|stability\.?ai|dreamstudio|leonardo\.ai|ideogram|nightcafe|craiyon|runwayml|"
    r"bing image creator|image creator from designer|black forest labs|flux\.1|"
    r"文心一格|通义万相|即梦|jimeng|可灵|kling ai|hunyuan|混元",
    re.IGNORECASE,
)
SD_PARAMETERS = re.compile(r"Steps: \d+, Sampler: ")
TEXT_TAGS = ("Software", "ProcessingSoftware", "Artist", "ImageDescription", "UserComment", "Make", "Model")


def read(photo: Photo, claim: Claim, facts: Facts, context: CheckContext) -> Reading:
    marker = _marker(photo, facts)
    if marker is None:
        return Reading()
    source, what = marker
    marker_signal = Signal(
        "ai_generated",
        Status.FAIL,
        SCORE_GENERATED,
        "integrity.ai_marker",
        {"marker": what},
        {"marker": what, "source": source},
        "ask_camera_photo",
    )
    return Reading((marker_signal,))


def _marker(photo: Photo, facts: Facts) -> tuple[str, str] | None:
    found = SOURCE_TYPE.search(facts.text.metadata_bytes) or SOURCE_TYPE.search(facts.text.xmp)
    if found:
        return "DigitalSourceType", f"digital source type {found.group(1).decode('ascii')}"
    for key in facts.text.chunks:
        tool = GENERATOR_CHUNKS.get(key.lower())
        if tool:
            return f"png:{key}", f"'{key}' text chunk written by {tool}"
    texts: list[tuple[str, str]] = [(f"exif:{tag}", exif_text(photo, tag) or "") for tag in TEXT_TAGS]
    texts += [(key, value) for key, value in photo.metadata.xmp.items()]
    texts += [(f"png:{key}", value[:4096]) for key, value in facts.text.chunks.items()]
    if facts.jpeg is not None:
        texts += [("jpeg:comment", c.decode("utf-8", "replace")) for c in facts.jpeg.comments]
    for source, text in texts:
        name = GENERATOR_NAMES.search(text)
        if name:
            return source, f"generator name '{name.group(0)}'"
        if SD_PARAMETERS.search(text):
            return source, "Stable Diffusion generation parameters"
    return None
