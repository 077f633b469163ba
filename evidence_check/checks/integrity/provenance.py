"""C2PA provenance, validated offline (see `imaging.provenance`).

- valid and signed by a certificate on the shipped trust lists -> ``pass``: positive evidence of
  where the photo comes from, recorded in details (``provenance_trusted``) for scoring to use;
- invalid (the pixels or the manifest changed after signing: hash or signature mismatch) -> ``fail``;
- valid but signed by a certificate not on our lists -> reported, not penalised;
- a manifest stored remotely -> reported as "not fetched": we never fetch;
- actions declaring generated content (``trainedAlgorithmicMedia``) -> ``fail`` as AI generation.

The validator runs only when the metadata mentions a manifest (a plain photo costs a byte search
of its header).
"""

from __future__ import annotations

from typing import Any

from evidence_check.checks.context import CheckContext
from evidence_check.checks.integrity.signals import Facts, Reading, Signal
from evidence_check.imaging.load import Photo
from evidence_check.imaging.provenance import may_carry_manifest, read_provenance
from evidence_check.models import Claim, Status

SCORE_INVALID = 0.85
SCORE_GENERATED = 0.85


def read(photo: Photo, claim: Claim, facts: Facts, context: CheckContext) -> Reading:
    if not may_carry_manifest(facts.text.metadata_bytes):
        return Reading((), {"state": "absent"})
    anchors_file = context.settings.c2pa_trust_anchors
    anchors = anchors_file.read_text("utf-8") if anchors_file is not None else None
    provenance = read_provenance(photo.data, photo.format, anchors)
    details: dict[str, Any] = provenance.as_details()
    found: list[Signal] = []
    signer = provenance.signer or "unknown signer"
    if provenance.state == "invalid":
        failures = [code for code in provenance.failures if "untrusted" not in code and "ocsp" not in code]
        params = {"failures": ", ".join(failures) or "validation failed"}
        found.append(
            Signal(
                "c2pa_invalid",
                Status.FAIL,
                SCORE_INVALID,
                "integrity.c2pa_invalid",
                params,
                details,
                "ask_unedited_original",
            )
        )
    elif provenance.state == "trusted":
        found.append(
            Signal("c2pa_trusted", Status.PASS, 0.0, "integrity.c2pa_trusted", {"signer": signer}, details)
        )
    elif provenance.state == "valid":
        found.append(
            Signal(
                "c2pa_untrusted", Status.UNKNOWN, 0.0, "integrity.c2pa_untrusted", {"signer": signer}, details
            )
        )
    elif provenance.state == "remote":
        url = provenance.remote_url or "a remote address"
        found.append(
            Signal("c2pa_remote", Status.UNKNOWN, 0.0, "integrity.c2pa_remote", {"url": url}, details)
        )
    generated = provenance.declares_generated
    if generated:
        found.append(
            Signal(
                "c2pa_generated",
                Status.FAIL,
                SCORE_GENERATED,
                "integrity.ai_marker",
                {"marker": f"C2PA action with digital source type {generated}"},
                details,
                "ask_camera_photo",
            )
        )
    return Reading(tuple(found), details)
