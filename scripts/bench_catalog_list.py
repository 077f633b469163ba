"""What one page of `GET /v1/catalog` costs by catalog size: the first, a middle and the last page.

    .venv/bin/python scripts/bench_catalog_list.py [--skus 2000 20000] [--limit 100] [--repeat 5]
        [--pg postgresql://…] [--work /tmp/bench-catalog-list]

Each size's catalog is rows written directly (no image is measured): SKUs named in five prefixes
(`BAG`, `bag`, `Hat`, `é`, `中文`, so pages cross case and non-ASCII), each with two images of an empty
feature blob, a zone on the first. SQLite: a fresh file per size in `--work`; PostgreSQL (`--pg`): a
tenant per size in that database, its rows replaced. The page is the route's own function
(`api.routes.catalog_read.get_catalog`) given the cursor a client holds there, without HTTP, key or
JSON encoding; the figure is the median of `--repeat` calls' wall time, after one unmeasured call.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import delete, insert, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api.routes.catalog_read import _cursor, get_catalog  # noqa: E402
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--skus", type=int, nargs="+", default=[2000, 20000])
    parser.add_argument("--limit", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--pg", help="a PostgreSQL URL to measure besides SQLite")
    parser.add_argument("--work", type=Path, default=Path("/tmp/bench-catalog-list"))
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
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
            tenant = f"bench-list-{count}"
            try:
                ordered = fill(store, tenant, count)
                # The cursor a client holds before the middle page and before the last one.
                cursors = [None, _cursor(ordered[count // 2 - 1]), _cursor(ordered[count - args.limit - 1])]
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
