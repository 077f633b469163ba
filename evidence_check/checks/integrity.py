"""The integrity check: was the photo edited after it was taken?

This version reads the editing software the file names in EXIF ``Software`` / ``ProcessingSoftware``
and XMP ``xmp:CreatorTool``. A phone's own firmware string is not an editor. JPEG history, screens,
AI markers and C2PA provenance are the integrity issue's work.
"""

from __future__ import annotations

import re

from evidence_check.checks.context import CheckContext
from evidence_check.imaging.load import Photo
from evidence_check.models import Claim, Finding, Status

SCORE_EDITOR = 0.4
EDITORS = re.compile(
    r"photoshop|lightroom|gimp|snapseed|picsart|meitu|美图|canva|pixelmator|affinity|paint\.net|"
    r"facetune|vsco|picmonkey|fotor|befunky|luminar|capture one|darktable|rawtherapee|inpixio",
    re.IGNORECASE,
)


def check(photo: Photo, claim: Claim, context: CheckContext) -> Finding:
    named = {
        "exif:Software": photo.metadata.exif.get("Software"),
        "exif:ProcessingSoftware": photo.metadata.exif.get("ProcessingSoftware"),
        "xmp:CreatorTool": photo.metadata.xmp.get("xmp:CreatorTool"),
    }
    for source, value in named.items():
        if isinstance(value, bytes):
            value = value.decode("latin-1")
        if isinstance(value, str) and EDITORS.search(value):
            software = value.strip("\x00 ")[:80]
            return Finding(
                Status.WARN,
                SCORE_EDITOR,
                "integrity.editor",
                {"software": software},
                {"flags": ["editor_software"], "software": software, "source": source},
                "ask_original",
            )
    return Finding(Status.PASS, 0.0, "integrity.no_traces", {}, {"flags": []})
