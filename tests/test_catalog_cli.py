"""The catalog commands end to end, bad files included, and the catalog kept apart per tenant."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import signal
import threading
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import delete, select, update
from typer.testing import CliRunner

from evidence_check import service
from evidence_check.catalog.labels import brand_key
from evidence_check.catalog.words import measured_words
from evidence_check.cli import app
from evidence_check.cli import catalog as catalog_cli
from evidence_check.cli.catalog import usable_cpus
from evidence_check.engine import Upload
from evidence_check.errors import ERRORS
from evidence_check.imaging.features import COARSE_VIEW, Vocabulary, pack, unpack
from evidence_check.service import (
    MeasuredUploads,
    add_to_catalog,
    catalog_for,
    joined_measurements,
    limits_from,
    measure_catalog_uploads,
)
from evidence_check.settings import Settings
from evidence_check.storable import padded
from evidence_check.store import Store, StoreError
from evidence_check.store.catalog_store import list_skus, load_tenant, load_views, remove_sku
from evidence_check.store.catalog_tables import CatalogImageRow, CatalogSkuRow
from evidence_check.store.thumbnails import ThumbnailRow, thumbnail_ids
from tests import dying_worker
from tests.api.test_catalog_read import AWKWARD_SKUS, _rows
from tests.catalog_measurements import measured_files
from tests.conftest import FIXTURES, InThisProcess
from tests.grocery_looks import measured_once
from tests.terminal import on_a_terminal

IMAGE = FIXTURES / "genuine_after_delivery.jpg"
OTHER = FIXTURES / "no_exif.jpg"
NOT_IMAGE = FIXTURES / "not_an_image.jpg"


@pytest.fixture(autouse=True)
def catalog_images_measured_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The commands here add and import the same four fixture photos again and again, each measured
    at ~0.7 s of CPU (SIFT and tilted views): in this process each is measured for real once in the
    test run, in the generic vocabulary (`grocery_looks.measured_once`); a tenant's own vocabulary, and
    an import's worker processes (spawned, so unpatched), measure every time."""
    monkeypatch.setattr(service, "catalog_features", measured_once)


@pytest.fixture(autouse=True)
def imports_in_this_process_unless_jobs_given(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """An import without --jobs measures in a process per usable CPU, and in one process of its own at
    one CPU, each spending ~2 s of CPU on its imports before it measures: here one CPU, and a pool of
    one process measures in this process, so that the tests of what a manifest stores measure here.
    The worker processes are tested where they are asked for (--jobs 2, or `measuring_processes`), and
    `test_import_in_worker_processes_stores_what_one_process_does` holds them to this process's result."""
    monkeypatch.setattr(catalog_cli, "usable_cpus", lambda cgroup=None: 1)
    if "measuring_processes" in request.fixturenames:
        return
    spawned = catalog_cli._pool

    @contextmanager
    def one_in_this_process(jobs: int, work: Any) -> Iterator[Any]:
        if jobs > 1:
            with spawned(jobs, work) as pool:
                yield pool
            return
        monkeypatch.setattr(catalog_cli, "_worker", work)
        yield InThisProcess()

    monkeypatch.setattr(catalog_cli, "_pool", one_in_this_process)


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_add_list_remove_round_trip(sqlite_url: str) -> None:
    code, out, err = run("catalog", "add", "BAG-001", str(IMAGE), "--name", "Leather bag", "--category",
                         "apparel", "--db", sqlite_url)  # fmt: skip
    assert code == 0, err
    assert "1 image(s) added" in out
    code, out, _ = run("catalog", "list", "--db", sqlite_url)
    assert code == 0
    assert "BAG-001" in out and "Leather bag" in out and "apparel" in out
    code, out, _ = run("catalog", "remove", "BAG-001", "--db", sqlite_url)
    assert (code, out.strip()) == (0, "removed BAG-001")
    code, out, _ = run("catalog", "list", "--db", sqlite_url)
    assert "catalog is empty" in out


def test_adding_the_same_image_twice_stores_it_once(sqlite_url: str) -> None:
    run("catalog", "add", "BAG-001", str(IMAGE), "--db", sqlite_url)
    code, out, _ = run("catalog", "add", "BAG-001", str(IMAGE), str(OTHER), "--db", sqlite_url)
    assert code == 0
    assert "1 image(s) added" in out
    store = Store(sqlite_url)
    try:
        assert [s.images for s in list_skus(store, "default")] == [2]
    finally:
        store.close()


@pytest.mark.parametrize(
    ("files", "exit_code", "skipped_lines"),
    [
        ([IMAGE, NOT_IMAGE], 0, 1),
        ([IMAGE, FIXTURES / "missing.jpg"], 0, 1),
        ([NOT_IMAGE, FIXTURES / "truncated.jpg"], 1, 2),
    ],
    ids=["one_bad_file_skipped", "one_missing_file_skipped", "no_usable_file_fails"],
)
def test_unusable_files_are_skipped_with_one_line_each(
    sqlite_url: str, files: list[Path], exit_code: int, skipped_lines: int
) -> None:
    code, _, err = run("catalog", "add", "SKU-1", *map(str, files), "--db", sqlite_url)
    assert code == exit_code
    assert sum(line.startswith("evidence-check: skipped") for line in err.splitlines()) == skipped_lines
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not JSON"),
        ('{"zipper": [1, 2, 3]}', "must be [x, y, w, h]"),
        ('{"zipper": [1, 2, 0, 5]}', "w, h > 0"),
        ("[]", "JSON object"),
        # json kept the second, unsaid: one zone of the two stored
        ('{"zipper": [0, 0, 10, 10], "zipper": [40, 0, 10, 10]}', "the name 'zipper' is given twice; which value is meant is not known"),
        ("[" * 5000 + "]" * 5000, "is not JSON (nested too deeply at line 1)"),  # was an internal error
    ],
)
def test_bad_zones_file_is_a_usage_error(sqlite_url: str, tmp_path: Path, content: str, message: str) -> None:
    zones = tmp_path / "zones.json"
    zones.write_text(content)
    code, _, err = run("catalog", "add", "SKU-1", str(IMAGE), "--zones", str(zones), "--db", sqlite_url)
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("content", "code", "english"),
    [
        (None, "catalog.zones_file_unreadable", "cannot read zones file {path}: No such file or directory"),
        ("{not json", "catalog.zones_file_not_json", "zones file {path} is not JSON (Expecting property name enclosed in double quotes at line 1)"),
        ('{"zipper": [1, 2, 3]}', "catalog.zones_file_invalid", "zones file {path}: zone 'zipper' must be [x, y, w, h]"),
    ],
)
def test_a_zones_files_lines_are_the_tables(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str | None, code: str, english: str
) -> None:
    # Built in code, in English only, where the API words its zones in both languages.
    zones = tmp_path / "zones.json"
    if content is not None:
        zones.write_text(content)
    said = run("catalog", "add", "SKU-1", str(IMAGE), "--zones", str(zones), "--db", sqlite_url)
    assert said[0] == 2 and said[2].startswith("evidence-check: " + english.format(path=zones)), said[2]
    monkeypatch.setitem(ERRORS, code, ("<{file}> {problem}", "<{file}> {problem}"))
    monkeypatch.setitem(ERRORS, "catalog.zones_file", ("zone-file {path}", "区域文件 {path}"))
    said = run("catalog", "add", "SKU-1", str(IMAGE), "--zones", str(zones), "--db", sqlite_url)
    assert said[0] == 2 and said[2].startswith(f"evidence-check: <zone-file {zones}> "), said[2]


def test_zones_are_bounded_by_the_image_they_are_drawn_on(sqlite_url: str, tmp_path: Path) -> None:
    zones = tmp_path / "zones.json"
    zones.write_text('{"lid": [600, 0, 10, 10], "far": [640, 0, 10, 10]}')  # the image is 640x480
    code, _, err = run("catalog", "add", "SKU-1", str(IMAGE), "--zones", str(zones), "--db", sqlite_url)
    assert code == 2 and err.strip() == "evidence-check: SKU-1: zones: zone 'far' lies wholly outside genuine_after_delivery.jpg (640x480 pixels)"
    assert run("catalog", "list", "--db", sqlite_url)[1].startswith("the catalog is empty")
    zones.write_text(f'{{"lid": [600, 0, {2**31 - 1}, {2**31 - 1}]}}')
    assert run("catalog", "add", "SKU-1", str(IMAGE), "--zones", str(zones), "--db", sqlite_url)[0] == 0
    store = Store(sqlite_url)
    try:
        assert load_tenant(store, "default").skus[0].images[0].zones == {"lid": [600, 0, 40, 480]}
    finally:
        store.close()


def test_bad_sku_and_unknown_remove(sqlite_url: str) -> None:
    assert run("catalog", "add", "bad sku!", str(IMAGE), "--db", sqlite_url)[0] == 2
    code, _, err = run("catalog", "remove", "NOPE", "--db", sqlite_url)
    assert code == 1 and "no SKU 'NOPE'" in err


def test_import_csv_and_jsonl_manifests(sqlite_url: str, tmp_path: Path) -> None:
    csv_manifest = tmp_path / "products.csv"
    csv_manifest.write_text(
        "sku,name,category,images\n"
        f"A-1,Apple juice,juice,{IMAGE};{NOT_IMAGE}\n"
        f"B-2,Bag,apparel,{OTHER}\n"
        "C-3,Ghost,,missing.jpg\n"
    )
    code, out, err = run("catalog", "import", str(csv_manifest), "--db", sqlite_url)
    assert code == 0, err
    assert "imported 2 SKU(s), 2 new image(s)" in out
    assert "reindexed 2 catalog image(s)" in out
    skipped = [line for line in err.splitlines() if line.startswith("evidence-check: skipped")]
    assert len(skipped) == 2 and "A-1" in skipped[0] and "C-3" in skipped[1]
    jsonl = tmp_path / "more.jsonl"
    jsonl.write_text(json.dumps({"sku": "D-4", "name": "Dress", "images": [str(IMAGE)]}) + "\n")
    code, out, err = run("catalog", "import", str(jsonl), "--db", sqlite_url)
    assert code == 0, err
    _, listing, _ = run("catalog", "list", "--db", sqlite_url)
    assert [line.split()[0] for line in listing.splitlines()[1:]] == ["A-1", "B-2", "D-4"]


WORDS = ("keypoint_words", "words", "vocabulary")


def _stored(url: str) -> dict[tuple[str, str], tuple[Any, ...]]:
    """(SKU, image id) -> (features, words in the catalog's vocabulary, views) as the store holds
    them: the words stored apart, else those packed in the features when of that vocabulary."""
    store = Store(url)
    try:
        stored = load_tenant(store, "default")
        key = Vocabulary.from_bytes(stored.vocabulary).key if stored.vocabulary else None
        found: dict[tuple[str, str], tuple[Any, ...]] = {}
        for sku in stored.skus:
            for image in sku.images:
                data = unpack(image.features)
                apart = unpack(image.words) if image.words is not None else None
                words = apart or (data if str(data.get("vocabulary", "")) == key else {})
                found[sku.sku, image.image_id] = (
                    sorted((name, values.tobytes()) for name, values in data.items() if name not in WORDS),
                    [words[name].tobytes() for name in WORDS[:2] if name in words],
                    load_views(store, "default", sku.sku, image.image_id),
                )
        return found
    finally:
        store.close()


def uploads_stored(monkeypatch: pytest.MonkeyPatch) -> dict[str, MeasuredUploads]:
    """Each SKU's measured uploads as the import hands them to the store from now on, by SKU: what
    was measured, wherever it was (in this process, or in an import's worker processes)."""
    real = catalog_cli._store
    seen: dict[str, MeasuredUploads] = {}

    def recorded(store: Store, tenant: str, entry: catalog_cli.Entry, uploads: MeasuredUploads) -> int | None:
        seen[entry.sku] = uploads
        return real(store, tenant, entry, uploads)

    monkeypatch.setattr(catalog_cli, "_store", recorded)
    return seen


def _three_skus(tmp_path: Path) -> Path:
    manifest = tmp_path / "products.csv"
    manifest.write_text(
        "sku,name,category,images\n"
        f"A-1,Apple juice,juice,{IMAGE};{NOT_IMAGE}\n"
        f"B-2,Bag,apparel,{OTHER};{FIXTURES / 'exif_before_order.jpg'}\n"
        f"C-3,Cup,,{FIXTURES / 'edited_photoshop.jpg'}\n"
    )
    return manifest


def test_import_in_worker_processes_stores_what_one_process_does(tmp_path: Path) -> None:
    manifest = _three_skus(tmp_path)
    stored = {}
    for jobs in ("1", "2"):
        url = f"sqlite:///{tmp_path / f'jobs{jobs}.db'}"
        code, out, err = run("catalog", "import", str(manifest), "--jobs", jobs, "--db", url)
        assert code == 0, err
        assert "imported 3 SKU(s), 4 new image(s)" in out
        assert sum(line.startswith("evidence-check: skipped A-1") for line in err.splitlines()) == 1
        stored[jobs] = _stored(url)
    assert len(stored["1"]) == 4 and all(views for *_, views in stored["1"].values())
    assert stored["2"] == stored["1"]


def test_importing_again_measures_only_what_is_missing(
    store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    manifest = _three_skus(tmp_path)
    assert run("catalog", "import", str(manifest), "--jobs", "1", "--db", store_url)[0] == 0
    first = _stored(store_url)
    # B-2's images as stored before the coarse look's blurred copy was: the import measures them
    # again and gives them the copy; the others, stored whole, it does not measure again.
    store = Store(store_url)
    try:
        with store.sessions.begin() as session:
            bag = select(CatalogSkuRow.id).where(CatalogSkuRow.sku == "B-2").scalar_subquery()
            for pk, views in session.execute(
                select(CatalogImageRow.id, CatalogImageRow.views).where(CatalogImageRow.sku_pk == bag)
            ).all():
                unpacked = unpack(views)
                tilted = unpacked["view"] != COARSE_VIEW
                old = pack(**{key: values[tilted] for key, values in unpacked.items()})
                session.execute(update(CatalogImageRow).where(CatalogImageRow.id == pk).values(views=old, measured_as=1))
    finally:
        store.close()
    assert _stored(store_url) != first
    measured = measured_files(monkeypatch)
    code, out, err = run("catalog", "import", str(manifest), "--jobs", "1", "--db", store_url)
    assert code == 0, err
    assert "imported 3 SKU(s), 0 new image(s)" in out
    assert "not reindexed" in out
    assert sorted(measured) == sorted([OTHER.name, "exif_before_order.jpg"])
    assert _stored(store_url) == first
    measured.clear()
    assert run("catalog", "import", str(manifest), "--jobs", "1", "--db", store_url)[0] == 0
    assert measured == []


def test_an_import_stopped_before_its_reindex_reindexes_when_run_again(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    manifest = _three_skus(tmp_path)

    def ctrl_c(url: str, tenant: str) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(catalog_cli, "_reindex", ctrl_c)
    assert run("catalog", "import", str(manifest), "--jobs", "1", "--db", sqlite_url)[0] == 130
    monkeypatch.undo()
    code, out, err = run("catalog", "import", str(manifest), "--jobs", "1", "--db", sqlite_url)
    assert code == 0, err
    assert "0 new image(s)" in out and "reindexed 4 catalog image(s)" in out
    code, out, err = run("catalog", "import", str(manifest), "--jobs", "1", "--db", sqlite_url)
    assert code == 0, err
    assert "not reindexed" in out and "reindexed 4" not in out


# cgroup files -> worker processes on a machine whose affinity allows 64 CPUs
CGROUPS = [
    ({"cpu.max": "150000 100000\n"}, 2),  # docker run --cpus 1.5 (cgroup v2)
    ({"cpu.max": "max 100000\n"}, 64),
    ({"cpu/cpu.cfs_quota_us": "400000\n", "cpu/cpu.cfs_period_us": "100000\n"}, 4),  # cgroup v1
    ({"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, 64),
    ({"cpu.max": "garbage\n"}, 64),
    ({}, 64),
]


@pytest.mark.parametrize(("files", "cpus"), CGROUPS, ids=["v2-1.5", "v2-max", "v1-4", "v1-none", "unreadable", "none"])
def test_import_runs_a_worker_per_cpu_its_container_may_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: dict[str, str], cpus: int
) -> None:
    monkeypatch.setattr(catalog_cli.os, "sched_getaffinity", lambda pid: set(range(64)), raising=False)
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(text)
    assert usable_cpus(tmp_path) == cpus


def test_an_interrupted_import_keeps_what_it_stored_and_resumes(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    manifest = _three_skus(tmp_path)
    real = catalog_cli._store
    stored: list[str] = []

    def ctrl_c_at_the_second(store: Store, tenant: str, entry: catalog_cli.Entry, uploads: Any) -> int | None:
        if stored:
            raise KeyboardInterrupt
        stored.append(entry.sku)
        return real(store, tenant, entry, uploads)

    monkeypatch.setattr(catalog_cli, "_store", ctrl_c_at_the_second)
    code, _, err = run("catalog", "import", str(manifest), "--jobs", "2", "--db", sqlite_url)
    assert code == 130
    assert err.splitlines()[1:] == [
        "evidence-check: interrupted after 1 of 3 SKU(s); what was imported is kept: run the same import again "
        "to finish it"
    ]
    assert sorted(sku for sku, _ in _stored(sqlite_url)) == ["A-1"]
    monkeypatch.setattr(catalog_cli, "_store", real)
    resumed = uploads_stored(monkeypatch)
    code, out, err = run("catalog", "import", str(manifest), "--jobs", "2", "--db", sqlite_url)
    assert code == 0, err
    assert "imported 3 SKU(s), 3 new image(s)" in out
    # The workers were told what the store held whole: A-1's image was not measured again.
    assert resumed["A-1"].measured == () and [name for _, name in resumed["A-1"].complete] == [IMAGE.name]
    assert [len(resumed[sku].measured) for sku in ("B-2", "C-3")] == [2, 1]


def test_a_ctrl_c_while_the_workers_start_stops_them_without_their_tracebacks(capfd: pytest.CaptureFixture[str]) -> None:
    # A Ctrl-C reaches the whole process group; here only the workers get it, as soon as they exist
    # (still importing their modules), so that the import itself goes on and shows what they did.
    entries = [catalog_cli.Entry(f"S-{n}", None, None, [IMAGE]) for n in range(2)]
    work = catalog_cli._Measuring(None, limits_from(Settings()), keep_features=False)
    interrupted: set[int] = set()
    stop = threading.Event()

    def interrupt_each_worker_once() -> None:
        while not stop.is_set() and len(interrupted) < 2:
            for child in multiprocessing.active_children():
                if child.pid is not None and child.pid not in interrupted:
                    os.kill(child.pid, signal.SIGINT)
                    interrupted.add(child.pid)
            stop.wait(0.005)

    ctrl_c = threading.Thread(target=interrupt_each_worker_once)
    # A run started in a shell's background (`&`, nohup, some CI runners) has SIGINT ignored, and its
    # workers inherit that: they could not be hurt, and the test passed without the fix.
    inherited = signal.signal(signal.SIGINT, signal.default_int_handler)
    ctrl_c.start()
    try:
        measured = [entry.sku for entry, _ in catalog_cli._measured_in_order(entries, {}, set(), work, 2)]
    finally:
        stop.set()
        ctrl_c.join()
        signal.signal(signal.SIGINT, inherited)
    assert len(interrupted) == 2
    assert measured == ["S-0", "S-1"]
    assert "Traceback" not in capfd.readouterr().err


def _refused_at_the_second_sku(monkeypatch: pytest.MonkeyPatch) -> None:
    real = catalog_cli.store_catalog_sku
    stored: list[str] = []

    def refusing(store: Store, tenant: str, sku: str, *args: Any, **kwargs: Any) -> Any:
        if stored:
            raise StoreError("cannot write the store: database is locked")
        stored.append(sku)
        return real(store, tenant, sku, *args, **kwargs)

    monkeypatch.setattr(catalog_cli, "store_catalog_sku", refusing)


SKIPPED_A1 = "evidence-check: skipped A-1 not_an_image.jpg: "
REFUSED = "evidence-check: cannot write the store: database is locked"


def test_an_import_the_store_refuses_half_way_writes_only_its_lines_to_a_pipe(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _refused_at_the_second_sku(monkeypatch)
    code, _, err = run("catalog", "import", str(_three_skus(tmp_path)), "--jobs", "1", "--db", sqlite_url)
    lines = err.splitlines()
    assert code == 1
    assert len(lines) == 2 and lines[0].startswith(SKIPPED_A1) and lines[1] == REFUSED


def test_an_import_the_store_refuses_half_way_writes_its_error_below_the_bar_on_a_terminal(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _refused_at_the_second_sku(monkeypatch)
    code, shown = on_a_terminal("catalog", "import", str(_three_skus(tmp_path)), "--jobs", "1", "--db", sqlite_url)
    assert code == 1
    assert shown[0].startswith(SKIPPED_A1) and "importing" not in shown[0]
    assert shown[1].startswith("importing") and "1/3" in shown[1] and "evidence-check" not in shown[1]
    assert shown[2:] == [REFUSED]


def test_an_interrupted_import_on_a_terminal_says_so_below_the_bar(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = catalog_cli._store

    def ctrl_c_at_the_second(store: Store, tenant: str, entry: catalog_cli.Entry, uploads: Any) -> int | None:
        if entry.sku != "A-1":
            raise KeyboardInterrupt
        return real(store, tenant, entry, uploads)

    monkeypatch.setattr(catalog_cli, "_store", ctrl_c_at_the_second)
    code, shown = on_a_terminal("catalog", "import", str(_three_skus(tmp_path)), "--jobs", "1", "--db", sqlite_url)
    assert code == 130
    assert [line.split()[0] for line in shown] == ["evidence-check:", "importing", "evidence-check:"]
    assert "evidence-check" not in shown[1] and shown[2].startswith("evidence-check: interrupted after 1 of 3")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("m.txt", "sku,images\n", "must be .csv or .jsonl"),
        ("m.csv", "name,images\nx,y.jpg\n", "header"),
        ("m.jsonl", "{broken\n", "line 1 is not JSON"),
        ("m.csv", "sku,images\nA-1,\n", "lists no images"),
        ("m.csv", "sku,images\nA-1," + "x" * 200_000 + "\n", "not CSV (field larger than field limit"),
        ("m.jsonl", '{"sku": "A-1", "images": 7}\n', "images must be a list"),
        # a misspelt key lost what it held without a word; the row before it is not stored either
        ("m.jsonl", '{"sku": "A-1", "images": ["a.jpg"]}\n{"sku": "A-2", "images": ["a.jpg"], "zone": {}}\n',
         "line 2: unknown key 'zone' (did you mean 'zones'?); a row's keys are sku, name, category, images, brand"),
        ("m.jsonl", '{"sku": "A-1", "images": ["a.jpg"], "Familly": "x"}\n',
         "line 1: unknown key 'Familly' (did you mean 'family'?); a row's keys"),
        # the same rule for a CSV's header, whose misspelt columns were left aside as unknown
        ("m.csv", "sku,images,catgory\nA-1,a.jpg,bags\n",
         "row 1: unknown column 'catgory' (did you mean 'category'?); a row's columns are sku, name, category"),
        ("m.csv", "sku,SKU,images\nA-1,A-2,a.jpg\n", "row 1: the name 'sku' is given twice"),
        # json kept the second, unsaid: A-2 alone stored
        ("m.jsonl", '{"sku": "A-1", "images": ["a.jpg"], "sku": "A-2"}\n', "line 1: the name 'sku' is given twice"),
        ("m.jsonl", '{"sku": "A-1", "x": ' + "[" * 5000 + "]" * 5000 + "}\n", "line 1 is not JSON (nested too deeply)"),
        # was Python's "Exceeds the limit (4300 digits) … use sys.set_int_max_str_digits()"
        ("m.jsonl", '{"sku": "A-1", "images": [1' + "0" * 5000 + "]}\n", "line 1 is not JSON (a number of more than 4300 digits)"),
    ],
)
def test_bad_manifest_is_one_line(sqlite_url: str, tmp_path: Path, name: str, content: str, message: str) -> None:
    manifest = tmp_path / name
    manifest.write_text(content)
    code, _, err = run("catalog", "import", str(manifest), "--db", sqlite_url)
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(("encoding", "name"), [("cp1252", "Café bag"), ("gbk", "手袋")])
def test_a_manifest_that_is_not_utf8_is_said_so_in_words(sqlite_url: str, tmp_path: Path, encoding: str, name: str) -> None:
    """Excel's "CSV (Comma delimited)" writes the system's code page: the line quoted the codec's
    "'utf-8' codec can't decode byte 0xe9 in position 24: invalid continuation byte"."""
    manifest = tmp_path / "m.csv"
    manifest.write_bytes(f"sku,name,images\r\nA-1,{name},a.jpg\r\n".encode(encoding))
    code, _, err = run("catalog", "import", str(manifest), "--db", sqlite_url)
    assert (code, err.strip()) == (2, f"evidence-check: {manifest}: not UTF-8 text (from Excel, save it as CSV UTF-8)")


def test_a_jsonl_rows_keys_of_its_own_are_left_aside_as_a_csvs_other_columns(sqlite_url: str, tmp_path: Path) -> None:
    """A shop's export carries keys the catalog has no use for (`price`, `url`): the whole import was
    refused for them, where only a key misspelling one of the row's own loses what it holds."""
    (tmp_path / "a.jpg").write_bytes(IMAGE.read_bytes())
    row = {"sku": "A-1", "images": ["a.jpg"], "price": 12.5, "url": "https://shop.example/a-1", "notes": "x", "tags": []}
    (tmp_path / "m.jsonl").write_text(json.dumps(row) + "\n")
    code, out, err = run("catalog", "import", str(tmp_path / "m.jsonl"), "--db", sqlite_url)
    assert code == 0 and "imported 1 SKU(s), 1 new image(s)" in out, err


def test_zones_of_a_file_that_cannot_be_read_are_not_judged_against_a_stored_image_of_its_name(
    sqlite_url: str, tmp_path: Path
) -> None:
    """The import's check passed them (no size to judge by), storing refused them against the SKU's
    stored front.jpg: the import stopped half way, rows before it kept, for zones kept nowhere."""
    (tmp_path / "front.jpg").write_bytes(IMAGE.read_bytes())
    (tmp_path / "m1.jsonl").write_text(json.dumps({"sku": "A-1", "images": ["front.jpg"]}) + "\n")
    assert run("catalog", "import", str(tmp_path / "m1.jsonl"), "--db", sqlite_url)[0] == 0
    (tmp_path / "front.jpg").write_bytes(NOT_IMAGE.read_bytes())
    (tmp_path / "side.jpg").write_bytes(OTHER.read_bytes())
    rows = [
        {"sku": "A-1", "images": ["front.jpg", "side.jpg"], "zones": {"front.jpg": {"lid": [5000, 0, 9, 9]}}},
        {"sku": "A-2", "images": ["side.jpg"]},
    ]
    (tmp_path / "m2.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    code, out, err = run("catalog", "import", str(tmp_path / "m2.jsonl"), "--db", sqlite_url)
    assert code == 0 and "imported 2 SKU(s)" in out, err
    assert "skipped A-1 front.jpg" in err


def test_a_csvs_columns_of_its_own_are_left_aside(sqlite_url: str, tmp_path: Path) -> None:
    (tmp_path / "a.jpg").write_bytes(IMAGE.read_bytes())
    (tmp_path / "m.csv").write_text("sku,image,price,url,notes,tags,title\nA-1,a.jpg,12.5,https://shop.example,x,,Bag\n")
    code, out, err = run("catalog", "import", str(tmp_path / "m.csv"), "--db", sqlite_url)
    assert code == 0 and "imported 1 SKU(s), 1 new image(s)" in out, err


def test_a_jsonl_row_may_carry_every_key_the_readme_names(sqlite_url: str, tmp_path: Path) -> None:
    (tmp_path / "a.jpg").write_bytes(IMAGE.read_bytes())
    row = {"sku": "A-1", "name": "Bag", "category": "apparel", "images": ["a.jpg"], "brand": "Acme", "family": "bags",
           "zones": {"lid": [0, 0, 10, 10]}}  # fmt: skip
    (tmp_path / "m.jsonl").write_text(json.dumps(row) + "\n")
    code, out, err = run("catalog", "import", str(tmp_path / "m.jsonl"), "--db", sqlite_url)
    assert code == 0 and "imported 1 SKU(s), 1 new image(s)" in out, err


@pytest.mark.parametrize(
    ("zones", "message"),
    [
        ({"lid": [640, 0, 5, 5]}, "zone 'lid' lies wholly outside a.jpg (640x480 pixels)"),
        ({"lid": [1, 2]}, "zone 'lid' must be [x, y, w, h]"),
    ],
)
def test_zones_a_row_cannot_have_refuse_the_manifest_before_a_row_is_stored(
    sqlite_url: str, tmp_path: Path, zones: dict[str, Any], message: str
) -> None:
    """As the API's import: the rows before it were stored, then the import stopped."""
    (tmp_path / "a.jpg").write_bytes(IMAGE.read_bytes())
    rows = [{"sku": "A-1", "images": ["a.jpg"]}, {"sku": "A-2", "images": ["a.jpg"], "zones": zones}]
    manifest = tmp_path / "m.jsonl"
    manifest.write_text("".join(json.dumps(row) + "\n" for row in rows))
    code, _, err = run("catalog", "import", str(manifest), "--db", sqlite_url)
    assert code == 2 and err.strip().startswith(f"evidence-check: {manifest}: line 2: SKU A-2: zones: {message}"), err
    assert len(err.strip().splitlines()) == 1
    assert run("catalog", "list", "--db", sqlite_url)[1].startswith("the catalog is empty")


def test_claim_category_defaults_to_the_catalog_sku_category(sqlite_url: str) -> None:
    run("catalog", "add", "FISH-1", str(IMAGE), "--category", "fresh_food", "--db", sqlite_url)
    claim = ["--ordered-at", "2026-11-10T10:00", "--delivered-at", "2026-11-14T15:00", "--claimed-at",
             "2026-11-16T12:00", "--tz", "Asia/Shanghai", "--no-record", "--json", "--db", sqlite_url]  # fmt: skip
    photo = str(FIXTURES / "exif_fresh_food_late.jpg")
    _, out, _ = run("verify", photo, *claim)
    assert json.loads(out)["images"][0]["checks"]["timestamp"]["code"] == "timestamp.inside"
    code, out, err = run("verify", photo, "--sku", "FISH-1", *claim)
    assert code == 0, err
    assert json.loads(out)["images"][0]["checks"]["timestamp"]["code"] == "timestamp.after_window"


def test_a_tenant_never_sees_another_tenants_catalog(store_url: str) -> None:
    store = Store(store_url)
    try:
        now = datetime(2026, 11, 20, tzinfo=UTC)
        result = add_to_catalog(
            store, "shop-a", "BAG-001", [Upload(IMAGE.name, IMAGE.read_bytes())],
            name="Bag", category=None, zones=None, settings=Settings(), now=now,
        )  # fmt: skip
        assert result.added == 1
        assert [s.sku for s in list_skus(store, "shop-a")] == ["BAG-001"]
        assert list_skus(store, "shop-b") == []
        assert load_tenant(store, "shop-b").skus == ()
        assert catalog_for(store).for_tenant("shop-b").get("BAG-001") is None
        assert catalog_for(store).for_tenant("shop-a").get("BAG-001") is not None
        assert remove_sku(store, "shop-b", "BAG-001") is False
        assert [s.sku for s in list_skus(store, "shop-a")] == ["BAG-001"]
    finally:
        store.close()


def test_reindex_fits_a_vocabulary_the_catalog_then_uses(sqlite_url: str) -> None:
    run("catalog", "add", "A-1", str(IMAGE), "--db", sqlite_url)
    run("catalog", "add", "B-2", str(OTHER), "--db", sqlite_url)
    code, out, err = run("catalog", "reindex", "--db", sqlite_url)
    assert code == 0, err
    assert "reindexed 2 catalog image(s)" in out
    store = Store(sqlite_url)
    try:
        stored = load_tenant(store, "default")
        assert stored.vocabulary is not None
        tenant = catalog_for(store).for_tenant("default")
        assert tenant.vocabulary.size < 128 * 128  # fitted: few images, few words
        assert all(len(image.words) for image in tenant.images)
    finally:
        store.close()


def test_images_added_after_reindex_get_words_of_the_fitted_vocabulary(sqlite_url: str) -> None:
    run("catalog", "add", "A-1", str(IMAGE), "--db", sqlite_url)
    run("catalog", "reindex", "--db", sqlite_url)
    run("catalog", "add", "B-2", str(OTHER), "--db", sqlite_url)
    store = Store(sqlite_url)
    try:
        stored = load_tenant(store, "default")
        assert stored.vocabulary is not None
        vocabulary = Vocabulary.from_bytes(stored.vocabulary)
        for sku in stored.skus:
            (image,) = sku.images
            data = unpack(image.features)
            # A-1's written apart by the reindex, B-2's packed with its features when added.
            assert (image.words is not None) == (sku.sku == "A-1")
            assert image.words is not None or str(data["vocabulary"]) == vocabulary.key
            words = unpack(image.words) if image.words is not None else data
            expected = measured_words(data["descriptors"], vocabulary)
            assert all(np.array_equal(words[name], values) for name, values in zip(WORDS, expected, strict=False))
    finally:
        store.close()


def test_reindex_of_an_empty_catalog_says_so(sqlite_url: str) -> None:
    code, _, err = run("catalog", "reindex", "--db", sqlite_url)
    assert code == 1 and "no images" in err


def test_tenant_option_keeps_each_merchants_catalog_apart(sqlite_url: str, tmp_path: Path) -> None:
    assert run("catalog", "add", "A-1", str(IMAGE), "--tenant", "shop-a", "--db", sqlite_url)[0] == 0
    assert run("catalog", "add", "B-2", str(OTHER), "--db", sqlite_url)[0] == 0

    def listed(*tenant: str) -> list[str]:
        code, out, err = run("catalog", "list", *tenant, "--db", sqlite_url)
        assert code == 0, err
        return [line.split()[0] for line in out.splitlines()[1:]]

    assert listed("--tenant", "shop-a") == ["A-1"]
    assert listed() == ["B-2"]
    assert listed("--tenant", "shop-b") == []
    code, _, err = run("catalog", "remove", "A-1", "--db", sqlite_url)
    assert code == 1 and "no SKU 'A-1'" in err
    manifest = tmp_path / "shop-c.csv"
    manifest.write_text(f"sku,images\nC-3,{IMAGE}\n")
    code, out, err = run("catalog", "import", str(manifest), "--tenant", "shop-c", "--db", sqlite_url)
    assert code == 0, err
    assert "reindexed 1 catalog image(s)" in out  # shop-c's own image only
    assert listed("--tenant", "shop-c") == ["C-3"]
    assert run("catalog", "reindex", "--tenant", "shop-a", "--db", sqlite_url)[1].startswith("reindexed 1 ")
    assert run("catalog", "remove", "A-1", "--tenant", "shop-a", "--db", sqlite_url)[0] == 0
    assert listed("--tenant", "shop-a") == [] and listed() == ["B-2"]


@pytest.mark.parametrize("command", [["list"], ["remove", "A-1"], ["reindex"], ["add", "A-1", str(IMAGE)]])
def test_a_malformed_tenant_is_a_usage_error(sqlite_url: str, command: list[str]) -> None:
    code, _, err = run("catalog", *command, "--tenant", "shop a!", "--db", sqlite_url)
    assert code == 2
    assert "tenant 'shop a!'" in err and len(err.strip().splitlines()) == 1


def _stored_zones(url: str) -> list[dict[str, object] | None]:
    store = Store(url)
    try:
        return [image.zones for sku in load_tenant(store, "default").skus for image in sku.images]
    finally:
        store.close()


@pytest.mark.parametrize(
    ("zones", "stored"),
    [
        ({"lid": [1, 2, 30, 40]}, [{"lid": [1, 2, 30, 40]}, None]),
        ({OTHER.name: {"seam": [5, 6, 7, 8]}}, [None, {"seam": [5, 6, 7, 8]}]),
        (
            {IMAGE.name: {"lid": [1, 2, 3, 4]}, OTHER.name: {"seam": [5, 6, 7, 8], "cap": [0, 0, 9, 9]}},
            [{"lid": [1, 2, 3, 4]}, {"seam": [5, 6, 7, 8], "cap": [0, 0, 9, 9]}],
        ),
    ],
    ids=["plain_map_is_on_the_first_image", "keyed_by_file_name", "on_both_images"],
)
def test_zones_go_on_the_image_they_were_drawn_on(
    sqlite_url: str, tmp_path: Path, zones: dict[str, object], stored: list[object]
) -> None:
    path = tmp_path / "zones.json"
    path.write_text(json.dumps(zones))
    code, _, err = run("catalog", "add", "BAG-1", str(IMAGE), str(OTHER), "--zones", str(path), "--db", sqlite_url)
    assert code == 0, err
    assert _stored_zones(sqlite_url) == stored
    _, listing, _ = run("catalog", "list", "--db", sqlite_url)
    assert listing.splitlines()[1].split()[1:3] == ["2", str(sum(len(z or {}) for z in stored))]  # type: ignore[arg-type]


def test_zones_given_again_for_a_stored_image_replace_its_zones(sqlite_url: str, tmp_path: Path) -> None:
    run("catalog", "add", "BAG-1", str(IMAGE), str(OTHER), "--db", sqlite_url)
    path = tmp_path / "zones.json"
    path.write_text(json.dumps({OTHER.name: {"seam": [5, 6, 7, 8]}}))
    code, out, err = run("catalog", "add", "BAG-1", str(OTHER), "--zones", str(path), "--db", sqlite_url)
    assert code == 0, err
    assert "0 image(s) added" in out
    assert _stored_zones(sqlite_url) == [None, {"seam": [5, 6, 7, 8]}]


def test_zones_naming_a_file_not_added_are_a_usage_error(sqlite_url: str, tmp_path: Path) -> None:
    path = tmp_path / "zones.json"
    path.write_text(json.dumps({"back.jpg": {"seam": [5, 6, 7, 8]}}))
    code, _, err = run("catalog", "add", "BAG-1", str(IMAGE), "--zones", str(path), "--db", sqlite_url)
    assert code == 2
    assert "'back.jpg', which is not one of the images" in err and len(err.strip().splitlines()) == 1


def test_jsonl_manifest_carries_zones(sqlite_url: str, tmp_path: Path) -> None:
    manifest = tmp_path / "m.jsonl"
    row = {"sku": "BAG-1", "images": [str(IMAGE), str(OTHER)], "zones": {OTHER.name: {"seam": [5, 6, 7, 8]}}}
    manifest.write_text(json.dumps(row) + "\n")
    code, _, err = run("catalog", "import", str(manifest), "--db", sqlite_url)
    assert code == 0, err
    assert _stored_zones(sqlite_url) == [None, {"seam": [5, 6, 7, 8]}]


@pytest.mark.parametrize(("first", "again"), [("2", "1"), ("1", "2")], ids=["backfilled in one process", "backfilled by workers"])
def test_an_import_stores_thumbnails_and_run_again_backfills_a_catalog_without_them(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, first: str, again: str
) -> None:
    """A catalog imported before thumbnails were stored gets them from the same import run again,
    without measuring any image again; in one process (--jobs 1) and in worker processes (--jobs 2),
    which are told which of the images stored whole have no thumbnail."""
    manifest = _three_skus(tmp_path)
    assert run("catalog", "import", str(manifest), "--jobs", first, "--db", sqlite_url)[0] == 0
    store = Store(sqlite_url)
    try:
        ids = {image_id for _, image_id in _stored(sqlite_url)}
        assert thumbnail_ids(store, "default") == ids
        with store.sessions.begin() as session:
            session.execute(delete(ThumbnailRow))
        assert thumbnail_ids(store, "default") == set()
        measured = uploads_stored(monkeypatch)
        code, out, err = run("catalog", "import", str(manifest), "--jobs", again, "--db", sqlite_url)
        assert code == 0 and "0 new image(s)" in out, err
        assert sorted(measured) == ["A-1", "B-2", "C-3"] and all(not uploads.measured for uploads in measured.values())
        assert thumbnail_ids(store, "default") == ids
    finally:
        store.close()


def test_brand_and_family_are_stored_and_kept_when_not_given_again(sqlite_url: str) -> None:
    code, _, err = run("catalog", "add", "YOG-1", str(IMAGE), "--brand", " Arla ", "--family", "yoghurt 1 l",
                       "--db", sqlite_url)  # fmt: skip
    assert code == 0, err
    code, _, err = run("catalog", "add", "YOG-1", str(OTHER), "--name", "Natural yoghurt", "--db", sqlite_url)
    assert code == 0, err
    _, listing, _ = run("catalog", "list", "--db", sqlite_url)
    assert "Arla / yoghurt 1 l" in listing and "Natural yoghurt" in listing
    store = Store(sqlite_url)
    try:
        (sku,) = load_tenant(store, "default").skus
        assert (sku.brand, sku.family, len(sku.images)) == ("Arla", "yoghurt 1 l", 2)
        entry = catalog_for(store).for_tenant("default").get("YOG-1")
        assert entry is not None and entry.brand == "arla"  # not the name's first word, "natural"
    finally:
        store.close()


def test_manifests_carry_brand_and_family(sqlite_url: str, tmp_path: Path) -> None:
    csv_manifest = tmp_path / "products.csv"
    csv_manifest.write_text(f"sku,images,brand,family\nA-1,{IMAGE},Bravo,juice 1 l\nB-2,{OTHER},,\n")
    assert run("catalog", "import", str(csv_manifest), "--db", sqlite_url)[0] == 0
    jsonl = tmp_path / "more.jsonl"
    jsonl.write_text(json.dumps({"sku": "C-3", "images": [str(IMAGE)], "brand": "Oatly"}) + "\n")
    assert run("catalog", "import", str(jsonl), "--db", sqlite_url)[0] == 0
    store = Store(sqlite_url)
    try:
        labels = {s.sku: (s.brand, s.family) for s in list_skus(store, "default")}
    finally:
        store.close()
    assert labels == {"A-1": ("Bravo", "juice 1 l"), "B-2": (None, None), "C-3": ("Oatly", None)}


@pytest.mark.parametrize(
    ("row", "message"),
    [({"brand": 7}, "line 1: brand must be text"), ({"family": "x" * 129}, "line 1: family: at most 128 characters")],
)
def test_a_bad_brand_or_family_in_a_manifest_is_one_line(
    sqlite_url: str, tmp_path: Path, row: dict[str, Any], message: str
) -> None:
    manifest = tmp_path / "m.jsonl"
    manifest.write_text(json.dumps({"sku": "A-1", "images": [str(IMAGE)], **row}) + "\n")
    code, _, err = run("catalog", "import", str(manifest), "--db", sqlite_url)
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("brand", ["a\nb", "a\tb", "a\x85b", "a\x9bb"])  # NEL was stored, CSI called unstorable
def test_a_bad_brand_on_the_command_line_is_a_usage_error(sqlite_url: str, brand: str) -> None:
    code, _, err = run("catalog", "add", "A-1", str(IMAGE), "--brand", brand, "--db", sqlite_url)
    assert code == 2 and "brand: control characters are not allowed" in err and "Traceback" not in err


def test_every_malformed_row_of_a_manifest_is_named_at_once_up_to_twenty(sqlite_url: str, tmp_path: Path) -> None:
    """A merchant fixing a 500-row manifest heard of one row a run."""
    (tmp_path / "a.jpg").write_bytes(IMAGE.read_bytes())
    rows = [json.dumps({"sku": f"A-{n}", "images": ["a.jpg"], "name": "x" * 300}) for n in range(1, 26)]
    rows[2] = "{broken"  # any kind of bad row is named with the others
    manifest = tmp_path / "m.jsonl"
    manifest.write_text("\n".join(['{"sku": "OK-1", "images": ["a.jpg"]}', *rows]) + "\n")
    code, _, err = run("catalog", "import", str(manifest), "--db", sqlite_url)
    named = [f"line {n}: name: at most 255 characters" if n != 4 else "line 4 is not JSON" for n in range(2, 22)]
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert err.strip().startswith(f"evidence-check: {manifest}: {named[0]}"), err
    assert all(words in err for words in named) and "line 22:" not in err
    assert err.strip().endswith("; and 5 more rows"), err
    assert run("catalog", "list", "--db", sqlite_url)[1].startswith("the catalog is empty")


def test_every_row_whose_zones_cannot_be_stored_is_named_at_once(sqlite_url: str, tmp_path: Path) -> None:
    (tmp_path / "a.jpg").write_bytes(IMAGE.read_bytes())
    rows = [
        {"sku": "A-1", "images": ["a.jpg"], "zones": {"lid": [5000, 0, 10, 10]}},
        {"sku": "A-2", "images": ["a.jpg"]},
        {"sku": "A-3", "images": ["a.jpg"], "zones": {"lid": [1, 2]}},
    ]
    manifest = tmp_path / "m.jsonl"
    manifest.write_text("".join(json.dumps(row) + "\n" for row in rows))
    code, _, err = run("catalog", "import", str(manifest), "--db", sqlite_url)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert f"{manifest}: line 1: SKU A-1: zones: zone 'lid' lies wholly outside" in err
    assert "; line 3: SKU A-3: zones: zone 'lid' must be" in err, err
    assert run("catalog", "list", "--db", sqlite_url)[1].startswith("the catalog is empty")


def test_a_rows_zones_line_is_the_tables_as_over_the_api(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a.jpg").write_bytes(IMAGE.read_bytes())
    manifest = tmp_path / "m.jsonl"
    manifest.write_text(json.dumps({"sku": "A-1", "images": ["a.jpg"], "zones": {"lid": [1, 2]}}) + "\n")
    monkeypatch.setitem(ERRORS, "catalog_import.row_zones", ("<{row}|{sku}> {problem}", "<{row}|{sku}> {problem}"))
    code, _, err = run("catalog", "import", str(manifest), "--db", sqlite_url)
    assert code == 2 and f"{manifest}: <line 1|A-1> zone 'lid' must be" in err, err


def test_list_reads_the_catalog_a_page_at_a_time_and_prints_it_as_whole(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """Its memory a page's, not the catalog's; the lines the same whatever the page (one that ends on
    the last SKU too), in code-point order, another tenant's SKUs not among them."""
    skus = AWKWARD_SKUS + [f"f-{n:02d}" for n in range(20)]  # 32
    _rows(store, "default", skus)
    _rows(store, "another", ["a-0", "f-05x"])
    asked: list[int | None] = []

    def spied(*args: Any, **kwargs: Any) -> Any:
        asked.append(kwargs.get("limit"))
        return list_skus(*args, **kwargs)

    monkeypatch.setattr(catalog_cli, "list_skus", spied)
    printed = {}
    for page in (5, 4, 1000):
        monkeypatch.setattr(catalog_cli, "LIST_PAGE", page)
        asked.clear()
        code, out, err = run("catalog", "list", "--db", store.url)
        assert code == 0, err
        printed[page] = out
        assert set(asked) == {page} and len(asked) == -(-len(skus) // page) + (len(skus) % page == 0)
    assert printed[5] == printed[4] == printed[1000]
    lines = printed[5].splitlines()
    assert lines[0].split() == ["SKU", "images", "zones", "category", "brand", "/", "family", "name"]
    assert [line.split()[0] for line in lines[1:]] == sorted(skus)
    assert all(line.split()[1:3] == ["2", "1"] for line in lines[1:])


def test_a_sku_without_a_brand_is_listed_with_the_brand_the_look_takes_from_its_name(sqlite_url: str) -> None:
    run("catalog", "add", "YOG-1", str(IMAGE), "--name", "Arla Natural yoghurt", "--db", sqlite_url)
    run("catalog", "add", "YOG-2", str(OTHER), "--name", "Arla Greek yoghurt", "--brand", "Lindahls", "--db", sqlite_url)
    run("catalog", "add", "YOG-3", str(OTHER), "--family", "yoghurt 1 l", "--db", sqlite_url)
    _, listing, _ = run("catalog", "list", "--db", sqlite_url)
    rows = {line.split()[0]: line for line in listing.splitlines()[1:]}
    assert "(arla)" in rows["YOG-1"]
    assert "Lindahls" in rows["YOG-2"] and "(arla)" not in rows["YOG-2"]
    assert "(yog) / yoghurt 1 l" in rows["YOG-3"]  # no name: the SKU's first word
    # A name of spaces alone names nothing either: the SKU's first word, as the look takes it (it took
    # "", one brand of every such SKU, and the list showed "-").
    run("catalog", "add", "KEFIR-4", str(OTHER), "--name", "   ", "--db", sqlite_url)
    _, listing, _ = run("catalog", "list", "--db", sqlite_url)
    assert "(kefir)" in next(line for line in listing.splitlines() if line.startswith("KEFIR-4"))
    assert brand_key(None, "   ", "KEFIR-4") == "kefir" and brand_key(None, " - ", "KEFIR-4") == "kefir"


@pytest.mark.parametrize(("cpus", "processes"), [(8, 3), (2, 2)])
def test_an_import_without_jobs_measures_in_a_process_per_usable_cpu_up_to_one_per_sku(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cpus: int, processes: int
) -> None:
    """The default the tests here otherwise replace with one process (`imports_in_this_process_unless_jobs_given`):
    the processes asked of `_measured_in_order`, which measures in this process all the same."""
    monkeypatch.setattr(catalog_cli, "usable_cpus", lambda cgroup=None: cpus)
    real = catalog_cli._measured_in_order
    asked: list[int] = []

    def in_this_process(entries: Any, complete: Any, pictured: Any, work: Any, jobs: int) -> Any:
        asked.append(jobs)
        return real(entries, complete, pictured, work, 1)

    monkeypatch.setattr(catalog_cli, "_measured_in_order", in_this_process)
    code, out, err = run("catalog", "import", str(_three_skus(tmp_path)), "--db", sqlite_url)
    assert code == 0 and "imported 3 SKU(s), 4 new image(s)" in out, err
    assert asked == [processes]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_worker_killed_once_mid_import_is_measured_again_and_the_import_finishes(
    store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, measuring_processes: None, jobs: str
) -> None:
    """A worker process killed while it measures (the OOM killer, memory short once), here C-3's
    once A-1 is stored: the pool is broken with the SKUs in flight; each is measured again alone,
    C-3's process lives this time, and the same run imports every SKU, whole, saying nothing more.
    At one job too: its one measuring process is not the import's own."""
    manifest = _three_skus(tmp_path)
    store_sku = catalog_cli._store
    flag = tmp_path / "stored"
    monkeypatch.setenv(dying_worker.STORED_FLAG, str(flag))
    monkeypatch.setenv(dying_worker.DIED_FLAG, str(tmp_path / "died"))

    def stored_then_flagged(store: Store, tenant: str, entry: catalog_cli.Entry, uploads: Any) -> int | None:
        added = store_sku(store, tenant, entry, uploads)
        flag.touch()
        return added

    monkeypatch.setattr(catalog_cli, "_measure_in_worker", dying_worker.measure_or_die_once)
    monkeypatch.setattr(catalog_cli, "_store", stored_then_flagged)
    code, out, err = run("catalog", "import", str(manifest), "--jobs", jobs, "--db", store_url)
    assert (tmp_path / "died").exists()
    assert code == 0, err
    assert [line for line in err.splitlines() if not line.startswith(SKIPPED_A1)] == []
    assert "imported 3 SKU(s), 4 new image(s)" in out
    kept = _stored(store_url)
    assert sorted({sku for sku, _ in kept}) == ["A-1", "B-2", "C-3"] and len(kept) == 4
    assert all(views for *_, views in kept.values())


def test_a_sku_whose_worker_dies_every_time_is_skipped_by_its_file_and_the_one_in_flight_beside_it_imported(
    store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, measuring_processes: None
) -> None:
    """C-3's file kills its measuring process every time (a decoder's segfault), while A-1 is
    measured beside it. Each SKU in flight is measured again alone, image by image: C-3's one file's
    process dies alone, so the file is skipped with one line naming it and why; A-1 and B-2 are
    imported, and the import ends well. Run again, it skips the file again and stores nothing twice."""
    manifest = tmp_path / "products.csv"
    rows = _three_skus(tmp_path).read_text().splitlines()
    manifest.write_text("\n".join([rows[0], rows[3], rows[1], rows[2]]) + "\n")  # C-3 first
    monkeypatch.setenv(dying_worker.STARTED_FLAG, str(tmp_path / "started"))
    monkeypatch.setenv(dying_worker.DIED_FLAG, str(tmp_path / "died"))
    monkeypatch.setattr(catalog_cli, "_measure_in_worker", dying_worker.dies_beside_another)
    skipped = f"evidence-check: skipped C-3 {FIXTURES / 'edited_photoshop.jpg'}: {ERRORS['photo.measuring_died'][0]}"
    for new_images in (3, 0):
        code, out, err = run("catalog", "import", str(manifest), "--jobs", "2", "--db", store_url)
        assert code == 0, err
        assert [line for line in err.splitlines() if not line.startswith(SKIPPED_A1)] == [skipped]
        assert f"imported 2 SKU(s), {new_images} new image(s)" in out
        kept = _stored(store_url)
        assert sorted({sku for sku, _ in kept}) == ["A-1", "B-2"] and len(kept) == 3
        assert all(views for *_, views in kept.values())


@pytest.mark.parametrize(("jobs", "in_flight", "advice"), [("1", 5, ""), ("2", 9, " or fewer --jobs")])
def test_workers_that_die_again_before_any_sku_is_measured_stop_the_import_with_one_line(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, measuring_processes: None,
    jobs: str, in_flight: int, advice: str,
) -> None:  # fmt: skip
    """Every measuring process dies (no memory to be had): the images of the SKUs in flight when the
    pool first broke are each skipped once found dying alone, and when the new pool breaks too with
    no image measured since, the import stops with one line naming the SKUs it was measuring (at one
    job without the advice of fewer jobs)."""
    manifest = tmp_path / "products.csv"
    manifest.write_text("sku,name,category,images\n" + "".join(f"S-{n},Soap,,{IMAGE}\n" for n in range(11)))
    monkeypatch.setenv(dying_worker.DIED_FLAG, str(tmp_path / "died"))
    monkeypatch.setattr(catalog_cli, "_measure_in_worker", dying_worker.always_dies)
    code, out, err = run("catalog", "import", str(manifest), "--jobs", jobs, "--db", sqlite_url)
    assert code == 1 and out == ""
    *skipped, said = err.splitlines()
    died = ERRORS["photo.measuring_died"][0]
    assert skipped == [f"evidence-check: skipped S-{n} {IMAGE}: {died}" for n in range(in_flight)]
    measuring = ", ".join(f"S-{n}" for n in range(in_flight, min(11, 2 * in_flight)))
    assert said == (
        "evidence-check: processes measuring images died again before any image was measured (out of memory?), "
        f"measuring {measuring}, after {in_flight} of 11 SKU(s); with more free memory{advice}, {catalog_cli.RESUME}"
    )
    assert _stored(sqlite_url) == {}


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_file_that_kills_its_measuring_process_is_skipped_by_name_and_its_skus_other_images_imported(
    store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, measuring_processes: None, jobs: str
) -> None:
    """B-2's 2nd of 3 images crashes the decoder every time it is measured: the SKU's images are
    measured again one at a time, the file is skipped with one line naming it and why, and B-2 is
    imported with its other two images, the SKUs before and after it whole; the summary counts what
    was stored. Run again, only the bad file is measured, skipped again; nothing is stored twice."""
    crashing = tmp_path / dying_worker.CRASHES_DECODER
    crashing.write_bytes((FIXTURES / "edited_photoshop.jpg").read_bytes())
    manifest = tmp_path / "products.csv"
    manifest.write_text(
        "sku,name,category,images\n"
        f"A-1,Apple juice,juice,{IMAGE};{NOT_IMAGE}\n"
        f"B-2,Bag,apparel,{OTHER};{crashing};{FIXTURES / 'exif_before_order.jpg'}\n"
        f"C-3,Cup,,{FIXTURES / 'exif_after_claim.jpg'}\n"
    )
    monkeypatch.setenv(dying_worker.DIED_FLAG, str(tmp_path / "died"))
    monkeypatch.setattr(catalog_cli, "_measure_in_worker", dying_worker.dies_on_a_file)
    skipped = f"evidence-check: skipped B-2 {crashing}: {ERRORS['photo.measuring_died'][0]}"
    for new_images in (4, 0):
        code, out, err = run("catalog", "import", str(manifest), "--jobs", jobs, "--db", store_url)
        assert code == 0, err
        assert [line for line in err.splitlines() if not line.startswith(SKIPPED_A1)] == [skipped]
        assert f"imported 3 SKU(s), {new_images} new image(s)" in out
        kept = _stored(store_url)
        assert sorted(sku for sku, _ in kept) == ["A-1", "B-2", "B-2", "C-3"]
        assert all(views for *_, views in kept.values())


def test_the_list_keeps_its_columns_under_chinese_categories_and_brands(sqlite_url: str) -> None:
    # A terminal gives a Chinese character two columns: padded by characters, the name column of a
    # row with 乳制品 started three columns after the header's.
    run("catalog", "add", "YOG-1", str(IMAGE), "--name", "Natural yoghurt", "--category", "乳制品",
        "--brand", "光明", "--db", sqlite_url)  # fmt: skip
    run("catalog", "add", "BAG-2", str(OTHER), "--name", "Leather bag", "--category", "bags", "--db", sqlite_url)
    _, listing, _ = run("catalog", "list", "--db", sqlite_url)
    header, *rows = listing.splitlines()

    def name_column(line: str, name: str) -> int:
        before = line[: line.index(name)]
        return sum(2 if unicodedata.east_asian_width(character) == "W" else 1 for character in before)

    assert name_column(header, "name") == name_column(rows[0], "Leather bag") == name_column(rows[1], "Natural yoghurt")
    assert padded("光明", 6) == "光明  " and padded("e\u0301", 3) == "e\u0301  " and padded("toolong", 3) == "toolong"
    # A zero-width space, a joiner and a variation selector (category Cf, Mn with class 0) take no column.
    assert padded("a\u200bb\u200d\ufe0e", 4) == "a\u200bb\u200d\ufe0e  "


def test_images_measured_one_at_a_time_and_joined_are_what_measuring_them_together_gives() -> None:
    """After a measuring process dies, a SKU's images are measured each alone and joined: the same
    images measured, known, skipped and given thumbnails, in the same order, as measured together;
    here with an image stored whole already but without its thumbnail."""
    files = [IMAGE, NOT_IMAGE, OTHER, FIXTURES / "exif_after_claim.jpg"]
    uploads = [Upload(path.name, path.read_bytes()) for path in files]
    held = hashlib.sha256(uploads[2].data or b"").hexdigest()
    limits = limits_from(Settings())

    def measured(some: list[Upload]) -> MeasuredUploads:
        return measure_catalog_uploads(some, None, limits, False, {held}, set())

    def seen(result: MeasuredUploads) -> tuple[Any, ...]:
        return (
            [(m.image.image_id, m.image.filename, m.thumbnail) for m in result.measured],
            result.complete,
            [(name, why.code) for name, why in result.skipped],
            result.thumbnails,
            result.vocabulary_key,
        )

    together = measured(uploads)
    assert [len(part) for part in seen(together)[:4]] == [2, 1, 1, 1]
    assert seen(joined_measurements([measured([upload]) for upload in uploads], None)) == seen(together)


def test_a_second_file_that_kills_its_process_just_after_the_first_skus_measured_alone_is_skipped_too(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, measuring_processes: None
) -> None:
    """At one job, S-0's file breaks the pool with S-0 to S-4 in flight; those are measured alone
    (S-1 to S-4 whole), and S-5's file then breaks the new pool before it measured anything. That is
    not every process dying: images were measured alone since, so S-5 is measured alone too and its
    file skipped, the import going on to S-6."""
    crashing = tmp_path / dying_worker.CRASHES_DECODER
    crashing.write_bytes((FIXTURES / "edited_photoshop.jpg").read_bytes())
    manifest = tmp_path / "products.csv"
    manifest.write_text(
        "sku,name,category,images\n"
        + "".join(f"S-{n},Soap,,{IMAGE}{f';{crashing}' if n in (0, 5) else ''}\n" for n in range(7))
    )
    monkeypatch.setenv(dying_worker.DIED_FLAG, str(tmp_path / "died"))
    monkeypatch.setattr(catalog_cli, "_measure_in_worker", dying_worker.dies_on_a_file)
    code, out, err = run("catalog", "import", str(manifest), "--jobs", "1", "--db", sqlite_url)
    assert code == 0, err
    died = ERRORS["photo.measuring_died"][0]
    assert err.splitlines() == [f"evidence-check: skipped S-{n} {crashing}: {died}" for n in (0, 5)]
    assert "imported 7 SKU(s), 7 new image(s)" in out
    assert sorted(sku for sku, _ in _stored(sqlite_url)) == [f"S-{n}" for n in range(7)]
