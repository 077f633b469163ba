"""C2PA Content Credentials, validated offline with c2pa-python.

A C2PA manifest is a signed record of where a picture comes from (the camera or app that made it,
the edits since). Validation here never touches the network: remote manifests are not fetched
(reported as such), OCSP is not asked, and the trust anchors are the public certificate lists
shipped in ``evidence_check/data/c2pa`` (see the SOURCE.md there).

States: ``absent`` (no manifest), ``trusted`` (valid, signed by a certificate chaining to a
shipped anchor), ``valid`` (intact, but the signer is not on our lists: reported, not penalised),
``invalid`` (the picture or the manifest changed after signing: hash or signature mismatch),
``remote`` (the file points to a manifest on a server, which we do not fetch), ``unreadable``.
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

log = logging.getLogger(__name__)

MIME = {
    "JPEG": "image/jpeg",
    "MPO": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "HEIF": "image/heic",
    "AVIF": "image/avif",
    "TIFF": "image/tiff",
    "GIF": "image/gif",
}
# Failure codes that mean the signer is unknown to us, not that anything was tampered with.
TRUST_CODES = frozenset(
    {
        "signingCredential.untrusted",
        "cawg.x509.credential.untrusted",
        "timeStamp.untrusted",
        "signingCredential.ocsp.skipped",
        "signingCredential.ocsp.unknown",
    }
)
GENERATED_TYPES = ("trainedAlgorithmicMedia", "compositeWithTrainedAlgorithmicMedia")
_REMOTE_URL = re.compile(r"https?://\S+")


@dataclass(frozen=True)
class Provenance:
    state: str
    failures: tuple[str, ...] = ()
    generator: str | None = None
    signer: str | None = None
    signed_at: str | None = None
    actions: tuple[str, ...] = ()
    source_types: tuple[str, ...] = ()  # IPTC digital source types the actions declare
    remote_url: str | None = None
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def declares_generated(self) -> str | None:
        for source in self.source_types:
            name = source.rstrip("/").rsplit("/", 1)[-1]
            if name in GENERATED_TYPES:
                return name
        return None

    def as_details(self) -> dict[str, Any]:
        found: dict[str, Any] = {"state": self.state}
        for key in ("generator", "signer", "signed_at", "remote_url", "error"):
            value = getattr(self, key)
            if value:
                found[key] = value
        for key in ("failures", "actions", "source_types"):
            value = getattr(self, key)
            if value:
                found[key] = list(value)
        return found


def may_carry_manifest(metadata: bytes) -> bool:
    """A cheap look at the metadata bytes before the validator runs.

    An embedded manifest store is a JUMBF box labelled "c2pa"; a remote one is announced by an XMP
    ``dcterms:provenance`` address.
    """
    return b"c2pa" in metadata or b"jumb" in metadata or b"provenance" in metadata


def read_provenance(data: bytes, image_format: str, anchors: str | None = None) -> Provenance:
    """Validate the file's C2PA manifest offline against `anchors` (PEM; default: the shipped list)."""
    import c2pa

    mime = MIME.get(image_format)
    if mime is None:
        return Provenance("absent")
    try:
        context = _context(anchors if anchors is not None else shipped_anchors())
        with c2pa.Reader(mime, io.BytesIO(data), context=context) as reader:
            state = reader.get_validation_state() or ""
            results = reader.get_validation_results() or {}
            manifest = reader.get_active_manifest() or {}
    except Exception as exc:  # the c2pa library reports every problem as an exception
        return _from_error(exc)
    return _from_manifest(state, results, manifest)


@lru_cache(maxsize=1)
def shipped_anchors() -> str:
    return (resources.files("evidence_check") / "data" / "c2pa" / "trust_anchors.pem").read_text("utf-8")


@lru_cache(maxsize=1)
def _trust_config() -> str:
    return (resources.files("evidence_check") / "data" / "c2pa" / "trust_config.cfg").read_text("utf-8")


@lru_cache(maxsize=4)
def _context(anchors: str) -> Any:
    import c2pa

    settings = c2pa.Settings.from_dict(
        {
            "verify": {
                "verify_trust": True,
                "remote_manifest_fetch": False,
                "ocsp_fetch": False,
            },
            "trust": {"trust_anchors": anchors, "trust_config": _trust_config()},
        }
    )
    return c2pa.Context(settings=settings)


def _from_error(exc: Exception) -> Provenance:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if "ManifestNotFound" in type(exc).__name__ or "ManifestNotFound" in text:
        return Provenance("absent")
    if text.startswith("Remote"):
        url = _REMOTE_URL.search(text)
        return Provenance("remote", remote_url=url.group(0) if url else None)
    return Provenance("unreadable", error=f"{type(exc).__name__}: {text}"[:200])


def _from_manifest(state: str, results: dict[str, Any], manifest: dict[str, Any]) -> Provenance:
    failures: list[str] = []
    for section in [results.get("activeManifest") or {}, *(results.get("ingredientDeltas") or [])]:
        statuses = section.get("validationDeltas", section) if isinstance(section, dict) else {}
        for item in statuses.get("failure", []) or []:
            code = item.get("code") if isinstance(item, dict) else None
            if code and code not in failures:
                failures.append(code)
    actions: list[str] = []
    sources: list[str] = []
    for assertion in manifest.get("assertions", []) or []:
        if not str(assertion.get("label", "")).startswith("c2pa.actions"):
            continue
        for action in (assertion.get("data") or {}).get("actions", []) or []:
            if not isinstance(action, dict):
                continue
            if action.get("action"):
                actions.append(str(action["action"]))
            if action.get("digitalSourceType"):
                sources.append(str(action["digitalSourceType"]).strip())
    signature = manifest.get("signature_info") or {}
    generator = manifest.get("claim_generator") or _generator_info(manifest)
    tampered = [code for code in failures if code not in TRUST_CODES]
    if state == "Invalid" or tampered:
        verdict = "invalid"
    elif state == "Trusted" or (state == "Valid" and "signingCredential.untrusted" not in failures):
        verdict = "trusted"
    else:
        verdict = "valid"
    return Provenance(
        verdict,
        failures=tuple(failures),
        generator=str(generator)[:120] if generator else None,
        signer=_signer(signature),
        signed_at=signature.get("time"),
        actions=tuple(actions),
        source_types=tuple(sources),
    )


def _generator_info(manifest: dict[str, Any]) -> str | None:
    info = manifest.get("claim_generator_info")
    if isinstance(info, list) and info and isinstance(info[0], dict):
        return " ".join(str(info[0].get(k, "")) for k in ("name", "version")).strip() or None
    return None


def _signer(signature: dict[str, Any]) -> str | None:
    parts = [str(signature[k]) for k in ("common_name", "issuer") if signature.get(k)]
    return " / ".join(parts) if parts else None
