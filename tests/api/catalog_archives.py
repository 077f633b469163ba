"""Catalog archives as a merchant uploads them: a zip of a manifest and its images, and the upload
to POST /v1/catalog/import."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import httpx

from tests.api.conftest import Api


def catalog_zip(rows: list[dict[str, Any]], files: dict[str, bytes], folder: str = "") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{folder}manifest.jsonl", "".join(json.dumps(row) + "\n" for row in rows))
        for name, data in files.items():
            archive.writestr(folder + name, data)
    return buffer.getvalue()


def send(api: Api, archive: bytes, headers: dict[str, str] | None = None, **fields: str) -> httpx.Response:
    files = [("archive", ("catalog.zip", archive, "application/zip"))]
    return api.client.post("/v1/catalog/import", files=files, data=fields, headers=headers or {})
