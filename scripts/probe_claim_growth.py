"""Probe: one claim sent new photos request after request, each request with a region.

A client keeps sending `POST /v1/verify` with the same `claim_id` and 20 new small photos (64x48,
random blocks), the region on the first: after some requests the probe prints how many photos the
claim holds, how many regions its record keeps, the size of its fields' JSON and how long a reverify
takes (it analyses every photo of the claim at once). It stops at the first request refused, and
prints that request's answer. The store is a fresh SQLite file in a scratch folder unless `--db` names one.

    .venv/bin/python scripts/probe_claim_growth.py [--requests 25] [--db URL]
"""

from __future__ import annotations

import argparse
import io
import json
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHOWN_AFTER = (1, 5, 10, 25, 50)


def small_photo(seed: int) -> bytes:
    from PIL import Image

    rng = random.Random(seed)
    image = Image.new("RGB", (16, 12))
    image.putdata([(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(16 * 12)])
    out = io.BytesIO()
    image.resize((64, 48), Image.Resampling.BICUBIC).save(out, "JPEG", quality=90)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--requests", type=int, default=25, help="requests sent to the claim (default 25)")
    parser.add_argument("--db", help="store URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from fastapi.testclient import TestClient

    from api.app import create_app
    from evidence_check.settings import Settings
    from evidence_check.store import Store
    from evidence_check.store.claim_files import sent_fields

    with tempfile.TemporaryDirectory(prefix="claim-growth-") as scratch:
        url = args.db or f"sqlite:///{scratch}/store.sqlite3"
        store = Store(url)
        app = create_app(Settings(db=url), store)
        client = TestClient(app, client=("127.0.0.1", 50000), base_url="http://localhost")
        for number in range(1, args.requests + 1):
            sent = [("photos", (f"p{number}-{k}.jpg", small_photo(number * 100 + k), "image/jpeg")) for k in range(20)]
            answer = client.post("/v1/verify", files=sent, data={"claim_id": "c-grow", "region": "1,1,5,5"})
            if answer.status_code != 200:
                print(f"request {number:3d}: {answer.status_code} {answer.json()['detail']}")
                break
            if number in SHOWN_AFTER or number == args.requests:
                fields = sent_fields(store, "default", "c-grow") or {}
                started = time.perf_counter()
                body = client.post("/v1/claims/c-grow/reverify").json()
                took = time.perf_counter() - started
                print(
                    f"after {number:3d} requests: photos {len(body['images']):4d}  regions kept "
                    f"{len(fields.get('photo_regions') or {}):3d}  fields JSON {len(json.dumps(fields)):6d} B  "
                    f"reverify {took:5.1f} s"
                )
        store.close()


if __name__ == "__main__":
    main()
