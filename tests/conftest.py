from __future__ import annotations

import errno
import os
import shutil
import subprocess
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url

from evidence_check import importing
from evidence_check.checks import integrity
from evidence_check.checks.context import CheckContext
from evidence_check.imaging.load import load_photo
from evidence_check.models import Claim, Finding, Timeline
from evidence_check.settings import Settings
from evidence_check.store import Store, outcomes
from evidence_check.store.database import MIGRATIONS
from tests.reuse_codes import add_row, random_codes

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures" / "images"
CORPORA = ROOT.parent / "shared" / "corpora"
PG_URL = os.environ.get("EVIDENCE_CHECK_TEST_PG_URL")


def hamming(a: bytes, b: bytes) -> int:
    """Bits that differ between two codes of the reuse look's prints."""
    return int(np.unpackbits(np.frombuffer(a, np.uint8) ^ np.frombuffer(b, np.uint8)).sum())


def integrity_of(data: bytes) -> Finding:
    """The integrity look's finding on one photo file, sent now with a claim that has no timeline."""
    claim = Claim(claim_id="c-integrity", timeline=Timeline())
    return integrity.check(load_photo(data, "IMG_0001.jpg"), claim, CheckContext(settings=Settings(), now=datetime.now(UTC)))


def corpus(name: str) -> Path:
    """A folder of ../shared/corpora, or a skip that says why (a fresh clone has no ../shared)."""
    folder = CORPORA / name
    if not folder.is_dir():
        pytest.skip(
            f"needs ../shared/corpora/{name} beside the checkout (present in CI, not in a fresh clone)"
        )
    return folder


@pytest.fixture(scope="session")
def shop_grocery() -> Path:
    """The grocery corpus's product folders: each a product's shop image and its shelf photos."""
    return corpus("product-matching") / "grocery"


@pytest.fixture(scope="session")
def shop_context(shop_grocery: Path) -> CheckContext:
    """The small shop of `grocery_looks.SHOP_BRANDS` (six products, five brands), each by its shop
    image: one catalog for the test modules that only look at photos against it."""
    from tests.grocery_looks import SHOP_BRANDS, shop_catalog

    return shop_catalog(shop_grocery, dict(SHOP_BRANDS))


@pytest.fixture(autouse=True)
def private_default_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Commands run without --db use a store of the test's own, never the user's real one (which
    another checkout may have migrated to revisions this one does not know)."""
    monkeypatch.setenv("EVIDENCE_CHECK_DB", f"sqlite:///{tmp_path / 'default-store.sqlite3'}")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'store.sqlite3'}"


@contextmanager
def at_revision(url: str, revision: str, *, downgrade: bool = False) -> Iterator[Connection]:
    """The store at `url` moved to an older schema `revision` (upgraded to it from empty, or
    downgraded), and a connection in the same transaction: a test writes there what that revision's
    code wrote, then opens a `Store`, which migrates it."""
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    engine = create_engine(parsed)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            (command.downgrade if downgrade else command.upgrade)(config, revision)
            yield connection
    finally:
        engine.dispose()


def _admin_engine() -> Engine:
    assert PG_URL
    return create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def migrated_postgresql() -> Iterator[str]:
    """A database migrated to the newest schema once per run, the template of each test's own: the
    ~40 migrations' DDL took the server ~1 s a test, over 240 tests."""
    name = f"ec_template_{uuid.uuid4().hex[:10]}"
    admin = _admin_engine()
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        Store(f"{PG_URL.rsplit('/', 1)[0]}/{name}").close()  # closed: a template must have no connection
        yield name
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to the newest schema once per run (per worker), copied for each test
    as PostgreSQL's template is: migrating each test's file from nothing took ~0.08 s of alembic,
    over ~650 tests. Closed, so its WAL is checkpointed into it and no -wal or -shm file is left."""
    file = tmp_path_factory.mktemp("migrated-sqlite") / "store.sqlite3"
    Store(f"sqlite:///{file}").close()
    assert not file.with_name(file.name + "-wal").exists(), "the template's WAL was not checkpointed"
    return file


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The same tests against SQLite and, where a server is given, a fresh PostgreSQL database: at the
    newest schema, or empty for a test marked `new_database` (one that migrates it itself)."""
    if request.param == "sqlite":
        file = tmp_path / "store.sqlite3"
        if request.node.get_closest_marker("new_database") is None:
            shutil.copyfile(request.getfixturevalue("migrated_sqlite"), file)
        yield f"sqlite:///{file}"
        return
    if not PG_URL:
        pytest.skip("needs a PostgreSQL server: set EVIDENCE_CHECK_TEST_PG_URL (.ci/run starts one)")
    # A PostgreSQL store's catalog feature files and reuse index go to the user's cache folder, named
    # after the database: each test's, never opened again, stayed there (12,379 files, 1.3 GB).
    request.getfixturevalue("monkeypatch").setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    name = f"ec_test_{uuid.uuid4().hex[:10]}"
    template = ""
    if request.node.get_closest_marker("new_database") is None:
        template = f' TEMPLATE "{request.getfixturevalue("migrated_postgresql")}"'
    admin = _admin_engine()
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"{template}'))
    base = PG_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = Store(store_url)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def filled(tmp_path: Path) -> tuple[Store, np.ndarray, np.ndarray]:
    """A SQLite store with 300 rows of tenant a's and 300 of b's, ids 1-600 (a's odd, b's even)."""
    store = Store(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    pdq, phash = random_codes(np.random.default_rng(1), 600)
    for i in range(600):
        add_row(store, "ab"[i % 2], pdq[i], phash[i], f"r{i}")
    return store, pdq, phash


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 48 MB filesystem of the test's own (tmpfs; needs the right to mount, as root in CI has)."""
    folder = tmp_path / "disk"
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", str(folder)], capture_output=True, check=False
    )
    if mounted.returncode != 0:
        pytest.skip("needs the right to mount a tmpfs (root)")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def fill(folder: Path) -> Path:
    filler = folder / "filler"
    with filler.open("wb") as out:
        try:
            while True:
                out.write(b"\0" * (1024 * 1024))
                out.flush()
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    return filler


def two_meet_under_the_claim_lock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two callers of the claim's lock (`outcomes._lock_claim`) in threads: each, once it holds the
    lock, waits for the other to get there too. While the lock holds, the other never does and the
    wait gives up (2 s, not an assertion); without it, both go on together from there, as two
    requests at the same instant do at worst."""
    both_inside = threading.Barrier(2)
    lock_claim = outcomes._lock_claim

    def lock_then_wait_for_the_other(*args: object) -> None:
        lock_claim(*args)  # type: ignore[arg-type]
        with suppress(threading.BrokenBarrierError):
            both_inside.wait(timeout=2)

    monkeypatch.setattr(outcomes, "_lock_claim", lock_then_wait_for_the_other)


@pytest.fixture(autouse=True)
def imports_measure_in_this_process(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """`import_catalog` (`POST /v1/catalog/import`) measures in a spawned process of its own, ~1.2 s
    of CPU to start on every import: here in this process, so that the tests of what an archive
    stores do not pay it dozens of times. The process is tested where it is asked for
    (`measuring_processes`: a file that kills it)."""
    if "measuring_processes" in request.fixturenames:
        return

    @contextmanager
    def here(jobs: int, initializer: Callable[..., object], initargs: tuple[Any, ...]) -> Iterator[Executor]:
        monkeypatch.setattr(importing, "_held", initargs)
        yield InThisProcess()

    monkeypatch.setattr(importing, "spawned_pool", here)


@pytest.fixture
def measuring_processes() -> None:
    """An import's measuring in processes of its own, as outside the tests: a process that dies must
    not take the test's process with it."""


class InThisProcess(Executor):
    """An executor that runs what it is given at once, in this process."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        future.set_result(fn(*args, **kwargs))
        return future
