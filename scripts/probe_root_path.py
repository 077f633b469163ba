"""The console behind a reverse proxy that serves it at a path prefix and strips it: how many of the
addresses each page gives (links, pictures, forms, the script's look-up) point outside the prefix,
and where the language switch's redirect and cookie lead.

    .venv/bin/python scripts/probe_root_path.py [--prefix /evidence]

The app gets `ROOT_PATH=PREFIX` (a checkout without the setting ignores it: run this file with
PYTHONPATH set to that checkout to see how it did). The proxy is a few lines of ASGI in front of it;
the pages are the keyless loopback trial's, with one claim and one catalog product. Prints a table.
"""

from __future__ import annotations

import argparse
import html
import io
import re
import tempfile
import warnings
from typing import Any

from PIL import Image

ADDRESS = re.compile(r'\s(?:href|src|action|data-lookup)="([^"]*)"')


def _photo(seed: int) -> bytes:
    picture = Image.effect_noise((320, 240), 40 + seed).convert("RGB")
    sink = io.BytesIO()
    picture.save(sink, "JPEG", quality=90)
    return sink.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prefix", default="/evidence")
    prefix = parser.parse_args().prefix

    warnings.simplefilter("ignore")  # TestClient's import-time deprecation notice
    from api.app import create_app
    from evidence_check.settings import Settings

    def proxy(app: Any) -> Any:
        async def strip(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] == "http":
                scope = {**scope, "path": scope["path"][len(prefix) :] or "/", "raw_path": scope["raw_path"][len(prefix) :] or b"/"}
            await app(scope, receive, send)

        return strip

    with tempfile.TemporaryDirectory() as folder:  # the store and its catalog's feature files, gone after
        app = create_app(Settings(db=f"sqlite:///{folder}/probe.sqlite3", root_path=prefix))
        _walk(proxy(app), prefix)


def _walk(app: Any, prefix: str) -> None:
    from fastapi.testclient import TestClient

    total = outside = 0
    print("| page | status | addresses | outside the prefix |\n|---|---|---|---|")
    with TestClient(app, base_url="http://127.0.0.1:8000", client=("127.0.0.1", 50000)) as client:
        sent = {"claim_id": "c-1", "sku": "BAG-9", "ordered_at": "2026-11-10", "delivered_at": "2026-11-14"}
        client.post(f"{prefix}/v1/verify", files=[("photos", ("a.jpg", _photo(1), "image/jpeg"))], data=sent)
        client.post(f"{prefix}/v1/catalog/BAG-9/images", files=[("images", ("f.jpg", _photo(2), "image/jpeg"))])
        for page in ["/", "/new-claim", "/claims/c-1", "/claims/c-1/print", "/catalog", "/catalog/BAG-9"]:
            answer = client.get(prefix + page, follow_redirects=False)
            found = [html.unescape(a) for a in ADDRESS.findall(answer.text) if not a.startswith(("#", "data:"))]
            away = [a for a in found if not a.startswith(prefix + "/")]
            total, outside = total + len(found), outside + len(away)
            print(f"| {page} | {answer.status_code} | {len(found)} | {len(away)} |")
        print(f"| all | | {total} | {outside} |")
        switched = client.get(f"{prefix}/lang?to=zh&next=%2Fcatalog", follow_redirects=False)
        path = re.search(r"(?i)path=([^;]*)", switched.headers["set-cookie"])
        print(f"\nlanguage switch: {switched.status_code} Location {switched.headers['location']}, cookie Path={path.group(1) if path else '?'}")


if __name__ == "__main__":
    main()
