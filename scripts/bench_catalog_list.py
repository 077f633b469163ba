"""What one page of `GET /v1/catalog` costs by catalog size: the first, a middle and the last page;
with `--console`, the console's catalog and new-claim pages and `catalog list` instead.

    .venv/bin/python scripts/bench_catalog_list.py [--skus 2000 20000] [--limit 100] [--repeat 5]
        [--pg postgresql://…] [--work /tmp/bench-catalog-list] [--console]

Each size's catalog is rows written directly (no image is measured): SKUs named in five prefixes
(`BAG`, `bag`, `Hat`, `é`, `中文`, so pages cross case and non-ASCII), each with two images of an empty
feature blob, a zone on the first. SQLite: a fresh file per size in `--work`; PostgreSQL (`--pg`): a
tenant per size in that database, its rows replaced. The page is the route's own function
(`api.routes.catalog_read.get_catalog`) given the cursor a client holds there, without HTTP, key or
JSON encoding; the figure is the median of `--repeat` calls' wall time, after one unmeasured call.

`--console`: the pages through the app (a TestClient on loopback, the trial's agent, so the catalog is
the trial tenant's), the catalog's first page and the page after the middle SKU (`?cursor=`, the API's
cursor; a console that does not page shows the whole catalog for both), with each page's size in
bytes; `catalog list` called in process, its output thrown away, and the peak of the memory Python
allocated during one more call (tracemalloc, which slows the call: its time is not the figure's).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import sys
import time
import tracemalloc
import warnings
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import delete, insert, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api.auth import TRIAL_TENANT  # noqa: E402
from api.routes.catalog_read import get_catalog, sku_cursor  # noqa: E402
from evidence_check.store.catalog_tables import CatalogImageRow, CatalogSkuRow  # noqa: E402
from evidence_check.store.database import Store  # noqa: E402

PREFIXES = ("BAG", "bag", "Hat", "é", "中文")
IMAGES_PER_SKU = 2


def fill(store: Store, tenant: str, count: int) -> list[str]:
    """Write the tenant's `count` SKUs and their images; returns the SKUs in code-point order."""
    when = datetime.now(UTC)
    skus = [f"{PREFIXES[n % len(PREFIXES)]}-{n:06d}" for n in range(count)]
    with store.sessions.begin() as session:
        images = select(CatalogImageRow.id).where(CatalogImageRow.tenant == tenant)
        session.execute(delete(CatalogImageRow).where(CatalogImageRow.id.in_(images)))
        session.execute(delete(CatalogSkuRow).where(CatalogSkuRow.tenant == tenant))
        session.execute(
            insert(CatalogSkuRow),
            [{"tenant": tenant, "sku": sku, "name": f"the {sku}", "created_at": when, "updated_at": when} for sku in skus],
        )
        ids = dict(session.execute(select(CatalogSkuRow.sku, CatalogSkuRow.id).where(CatalogSkuRow.tenant == tenant)).all())
        session.execute(
            insert(CatalogImageRow),
            [
                {
                    "sku_pk": ids[sku], "tenant": tenant, "image_id": f"{ids[sku]:032x}{n:032x}", "filename": f"{n}.jpg",
                    "width": 800, "height": 600, "features": b"", "measured_as": 1,
                    "zones": {"zipper": [1, 2, 3, 4]} if n == 0 else None, "created_at": when,
                }  # fmt: skip
                for sku in skus
                for n in range(IMAGES_PER_SKU)
            ],
        )
    return sorted(skus)


def page_ms(store: Store, tenant: str, limit: int, cursor: str | None, repeat: int) -> tuple[float, int]:
    """The median milliseconds of one page, and how many SKUs it held."""
    shown = len(get_catalog(tenant, store, limit, cursor)["items"])
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        get_catalog(tenant, store, limit, cursor)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), shown


def median_ms(call: Callable[[], object], repeat: int) -> float:
    call()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


class LinesCounted(io.TextIOBase):
    """Output counted and thrown away: kept, 20,000 lines of CJK and accents were ~8 MiB of the peak."""

    lines = 0

    def write(self, text: str) -> int:
        self.lines += text.count("\n")
        return len(text)


def console_row(store: Store, count: int, ordered: list[str], repeat: int) -> str:
    """The console's pages and `catalog list` on the trial tenant's catalog of `count` SKUs."""
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient` is deprecated")
    from fastapi.testclient import TestClient

    from api.app import create_app
    from evidence_check.cli.catalog import list_
    from evidence_check.settings import Settings

    cells = []
    app = create_app(Settings(db=store.url), store)
    with TestClient(app, base_url="http://127.0.0.1:8000", client=("127.0.0.1", 50000)) as client:
        for path in ("/catalog", f"/catalog?cursor={sku_cursor(ordered[count // 2 - 1])}", "/new-claim"):
            answer = client.get(path)
            if answer.status_code != 200:
                sys.exit(f"{path}: {answer.status_code}")
            ms = median_ms(lambda path=path: client.get(path), repeat)  # type: ignore[misc]
            cells.append(f"{ms:.0f} ms, {len(answer.content):,} B")

    def listed() -> None:
        with contextlib.redirect_stdout(LinesCounted()) as out:
            list_(TRIAL_TENANT, store.url)
        if out.lines != count + 1:
            sys.exit(f"catalog list printed {out.lines} lines for {count} SKUs")

    ms = median_ms(listed, repeat)
    tracemalloc.start()
    listed()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    cells.append(f"{ms:.0f} ms, peak {peak / 2**20:.1f} MiB")
    return " | ".join(cells)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--skus", type=int, nargs="+", default=[2000, 20000])
    parser.add_argument("--limit", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--pg", help="a PostgreSQL URL to measure besides SQLite")
    parser.add_argument("--work", type=Path, default=Path("/tmp/bench-catalog-list"))
    parser.add_argument("--console", action="store_true", help="the console's pages and `catalog list` instead")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    if args.console:
        print("| store | SKUs | /catalog | /catalog?cursor= (middle) | /new-claim | catalog list |")
        print("|---|---:|---|---|---|---|")
    else:
        print("| store | SKUs | first page ms | middle page ms | last page ms |")
        print("|---|---:|---:|---:|---:|")
    for count in args.skus:
        for backend in ["sqlite"] + (["postgresql"] if args.pg else []):
            if backend == "sqlite":
                path = args.work / f"catalog-list-{count}.db"
                path.unlink(missing_ok=True)
                store = Store(f"sqlite:///{path}")
            else:
                store = Store(args.pg)
            tenant = TRIAL_TENANT if args.console else f"bench-list-{count}"
            try:
                ordered = fill(store, tenant, count)
                if args.console:
                    print(f"| {backend} | {count:,} | {console_row(store, count, ordered, args.repeat)} |", flush=True)
                    continue
                # The cursor a client holds before the middle page and before the last one.
                cursors = [None, sku_cursor(ordered[count // 2 - 1]), sku_cursor(ordered[count - args.limit - 1])]
                cells = []
                for cursor in cursors:
                    ms, shown = page_ms(store, tenant, args.limit, cursor, args.repeat)
                    if shown != args.limit:
                        sys.exit(f"a page of {shown} SKUs, not {args.limit}")
                    cells.append(f"{ms:.1f}")
            finally:
                store.close()
            print(f"| {backend} | {count:,} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
