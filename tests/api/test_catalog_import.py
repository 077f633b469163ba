"""POST /v1/catalog/import: a zip of a manifest and its images, imported row by row with the command
line's semantics, one tenant's only; what a hostile archive gets is 422 and nothing stored."""

from __future__ import annotations

import io
import json
import random
import zipfile
from typing import Any

import cv2
import pytest
from PIL import Image

from evidence_check import importing
from evidence_check.engine import Upload
from evidence_check.errors import ERRORS
from evidence_check.service import limits_from
from evidence_check.settings import Settings
from evidence_check.store.catalog_store import remove_sku
from tests import dying_worker
from tests.api.catalog_archives import catalog_zip, send
from tests.api.conftest import Api, bearer, jpeg
from tests.conftest import FIXTURES, corpus

CAMERA = (FIXTURES / "genuine_after_delivery.jpg").read_bytes()
NOT_AN_IMAGE = (FIXTURES / "not_an_image.jpg").read_bytes()
TABLES = ("catalog_skus", "catalog_images", "thumbnails")


def counts(api: Api) -> tuple[int, ...]:
    return tuple(api.count(table) for table in TABLES)


def test_an_archive_is_imported_row_by_row_into_the_keys_tenant(keyed: tuple[Api, dict[str, str]]) -> None:
    api, keys = keyed
    acme, globex = bearer(keys["acme"]), bearer(keys["globex"])
    rows = [
        {"sku": "CAM-1", "name": "Camera box", "category": "electronics", "images": ["img/a.jpg", "img/gone.jpg"],
         "zones": {"a.jpg": {"lid": [10, 10, 100, 80]}}},
        {"sku": "BAD-1", "images": ["img/broken.jpg", "../../etc/passwd"]},
    ]  # fmt: skip
    answer = send(api, catalog_zip(rows, {"img/a.jpg": CAMERA, "img/broken.jpg": NOT_AN_IMAGE}, "shop/"), acme)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["skus"], body["images"], body["reindexed"]) == (1, 1, 1)
    first, second = body["rows"]
    assert (first["row"], first["sku"], first["stored"], first["added"], first["known"]) == ("line 1", "CAM-1", True, 1, 0)
    assert first["skipped"] == [{"filename": "img/gone.jpg", "error": "not in the archive"}]
    assert (second["stored"], second["added"]) == (False, 0)
    assert [s["filename"] for s in second["skipped"]] == ["img/broken.jpg", "../../etc/passwd"]
    assert second["skipped"][1]["error"] == "outside the archive's manifest folder"

    sku = api.client.get("/v1/catalog/CAM-1", headers=acme).json()
    assert (sku["name"], sku["category"], sku["image_list"][0]["zones"]) == ("Camera box", "electronics", {"lid": [10, 10, 100, 80]})
    assert api.client.get("/v1/catalog/BAD-1", headers=acme).status_code == 404
    assert api.client.get("/v1/catalog", headers=globex).json()["items"] == []
    assert send(api, catalog_zip(rows, {"img/a.jpg": CAMERA})).status_code == 401


def test_a_file_that_kills_its_measuring_process_is_skipped_by_name_and_the_server_answers(
    api: Api, monkeypatch: pytest.MonkeyPatch, tmp_path: Any, measuring_processes: None
) -> None:
    """A file that crashes the decoder (here SIGKILL) ends the import's measuring process, not the
    server's: the answer is 200 with that file skipped and said in the language asked, the row's other
    image and the rows before and after it stored; the server answers the next request."""
    monkeypatch.setenv(dying_worker.DIED_FLAG, str(tmp_path / "died"))
    monkeypatch.setattr(importing, "_measure_here", dying_worker.measures_here_or_dies)
    crashing = f"img/{dying_worker.CRASHES_DECODER}"
    rows = [
        {"sku": "A-1", "images": ["img/a.jpg"]},
        {"sku": "B-2", "images": ["img/b.jpg", crashing]},
        {"sku": "C-3", "images": ["img/c.jpg"]},
    ]
    other, third = (FIXTURES / "no_exif.jpg").read_bytes(), (FIXTURES / "exif_after_claim.jpg").read_bytes()
    files = {"img/a.jpg": CAMERA, "img/b.jpg": other, crashing: (FIXTURES / "edited_photoshop.jpg").read_bytes(), "img/c.jpg": third}
    answer = send(api, catalog_zip(rows, files), {"Accept-Language": "zh"})
    assert (tmp_path / "died").exists()
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["skus"], body["images"]) == (3, 3)
    assert [(row["sku"], row["added"]) for row in body["rows"]] == [("A-1", 1), ("B-2", 1), ("C-3", 1)]
    assert body["rows"][1]["skipped"] == [{"filename": crashing, "error": ERRORS["photo.measuring_died"][1]}]
    assert [row["skipped"] for row in (body["rows"][0], body["rows"][2])] == [[], []]
    assert counts(api)[:2] == (3, 3)
    assert api.client.get("/v1/catalog/B-2").json()["images"] == 1


def test_files_that_kill_their_measuring_process_three_in_a_row_stop_the_import_with_a_clear_answer(
    api: Api, monkeypatch: pytest.MonkeyPatch, tmp_path: Any, measuring_processes: None
) -> None:
    """A hostile archive whose files each kill the decoder: the import does not start a process for
    every one of them while it holds the analysis gate. After three images whose process died alone,
    none measured between, it stops with a 422 naming the row and the last file; the rows before are
    kept, an image measured between two bad ones starts the count again, and the server answers the
    next request."""
    died = tmp_path / "died"
    monkeypatch.setenv(dying_worker.DIED_FLAG, str(died))
    monkeypatch.setattr(importing, "_measure_here", dying_worker.measures_here_or_dies)
    bad = (FIXTURES / "edited_photoshop.jpg").read_bytes()
    rows = [{"sku": "B-1", "images": [f"bad/1/{dying_worker.CRASHES_DECODER}"]}, {"sku": "A-1", "images": ["img/a.jpg"]}]
    rows += [{"sku": f"B-{n}", "images": [f"bad/{n}/{dying_worker.CRASHES_DECODER}"]} for n in range(2, 40)]
    files = {"img/a.jpg": CAMERA, **{f"bad/{n}/{dying_worker.CRASHES_DECODER}": bad for n in range(1, 40)}}
    answer = send(api, catalog_zip(rows, files), {"Accept-Language": "zh"})
    assert answer.status_code == 422, answer.text
    words = {"row": "第 5 行", "sku": "B-4", "deaths": 3, "image": f"bad/4/{dying_worker.CRASHES_DECODER}"}
    assert answer.json()["detail"] == ERRORS["catalog_import.measuring_died"][1].format(**words)
    # B-1 together, then alone; A-1 measured (the count starts again); B-2 to B-4 together, then alone.
    assert len(died.read_text()) == 2 + 2 * 3
    assert counts(api)[:2] == (1, 1)
    assert api.client.get("/healthz").status_code == 200


def test_the_imports_measuring_process_uses_one_opencv_thread_as_the_server_does(measuring_processes: None) -> None:
    """The server runs OpenCV on one thread (api/app.py), so that an import or a claim holding a place
    of the analysis gate takes one core; the import's own process took one thread per core."""
    with importing.MeasuringProcess(None, limits_from(Settings()), False) as measuring:
        assert measuring.measure([Upload("a.jpg", CAMERA)], set(), set()).measured
        assert measuring._pool is not None and measuring._pool.submit(cv2.getNumThreads).result() == 1


def test_importing_again_adds_only_what_is_new_and_a_sku_that_exists_gets_its_new_images(api: Api) -> None:
    archive = catalog_zip([{"sku": "CAM-1", "name": "Camera", "images": ["a.jpg"]}], {"a.jpg": CAMERA})
    assert send(api, archive).json()["images"] == 1
    again = send(api, archive).json()
    assert (again["images"], again["rows"][0]["known"], again["reindexed"]) == (0, 1, None)
    more = catalog_zip([{"sku": "CAM-1", "name": "Camera, boxed", "images": ["a.jpg", "b.jpg"]}], {"a.jpg": CAMERA, "b.jpg": jpeg(3, (640, 480))})
    grown = send(api, more, reindex="false").json()
    assert (grown["rows"][0]["added"], grown["rows"][0]["known"], grown["reindexed"]) == (1, 1, None)
    sku = api.client.get("/v1/catalog/CAM-1").json()
    assert (sku["name"], sku["images"]) == ("Camera, boxed", 2)


def test_a_row_naming_only_an_image_an_earlier_row_stored_is_not_counted_as_stored(api: Api) -> None:
    """The second row of the same SKU and image adds nothing and (measured before the first row was
    stored) knows nothing: the answer has always called it not stored, and counted one SKU."""
    rows = [{"sku": "CAM-1", "images": ["a.jpg"]}, {"sku": "CAM-1", "images": ["a.jpg"]}]
    body = send(api, catalog_zip(rows, {"a.jpg": CAMERA})).json()
    assert [(row["stored"], row["added"], row["known"]) for row in body["rows"]] == [(True, 1, 0), (False, 0, 0)]
    assert (body["skus"], body["images"]) == (1, 1)

def test_a_row_adding_again_an_image_of_a_sku_deleted_since_the_earlier_row_knows_none(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [{"sku": "CAM-1", "images": ["a.jpg"]}, {"sku": "CAM-1", "images": ["a.jpg"]}]
    storing, rows_stored = importing.store_catalog_sku, []

    def then_deleted(store: Any, tenant: str, sku: str, *args: Any, **kwargs: Any) -> Any:
        added = storing(store, tenant, sku, *args, **kwargs)
        if not rows_stored:
            assert remove_sku(store, tenant, sku)  # a DELETE between the rows
        rows_stored.append(sku)
        return added

    monkeypatch.setattr(importing, "store_catalog_sku", then_deleted)
    answer = send(api, catalog_zip(rows, {"a.jpg": CAMERA}))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    # The second row stored the image again: counted from how many were measured, it knew -1.
    assert [(row["added"], row["known"]) for row in body["rows"]] == [(1, 0), (1, 0)]


def test_an_import_that_lost_the_race_for_its_images_knows_them(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same archive sent 20 times at once: an import that read the catalog before another stored
    the images measured them as new, and found them stored. It added nothing and knew nothing, so when
    no row was stored it answered 422 "no image in the manifest could be used" (3 of 20, measured)."""
    rows = [{"sku": "CAM-1", "images": ["a.jpg"]}, {"sku": "CAM-2", "images": ["a.jpg", "b.jpg"]}]
    archive = catalog_zip(rows, {"a.jpg": CAMERA, "b.jpg": jpeg(3, (640, 480))})
    assert send(api, archive).status_code == 200
    # What the losing import read: the catalog as it was before the winner stored it.
    monkeypatch.setattr(importing, "complete_image_ids", lambda store, tenant: {})
    late = send(api, archive)
    assert late.status_code == 200, late.text
    body = late.json()
    assert [(row["stored"], row["added"], row["known"]) for row in body["rows"]] == [(True, 0, 1), (True, 0, 2)]
    assert (body["skus"], body["images"]) == (2, 0)
    assert counts(api)[:2] == (2, 3)


def test_a_malformed_row_bad_zones_or_no_usable_image_store_nothing(api: Api) -> None:
    good = {"sku": "CAM-1", "images": ["a.jpg"]}
    cases = {
        "line 2: sku: 'no spaces' must be": [good, {"sku": "no spaces", "images": ["a.jpg"]}],
        "line 2: unknown key 'zone' (did you mean 'zones'?)": [good, {"sku": "CAM-2", "images": ["a.jpg"], "zone": {}}],
        "line 2: SKU CAM-2: zones: ": [good, {"sku": "CAM-2", "images": ["a.jpg"], "zones": {"lid": [1, 2]}}],
        # known only once the image is opened: before the first row is stored all the same
        "line 2: SKU CAM-2: zones: zone 'lid' lies wholly outside a.jpg (640x480 pixels)": [
            good, {"sku": "CAM-2", "images": ["a.jpg"], "zones": {"lid": [640, 0, 10, 10]}}
        ],
        "no image in the manifest could be used (CAM-1 gone.jpg: not in the archive)": [{"sku": "CAM-1", "images": ["gone.jpg"]}],
    }
    for said, rows in cases.items():
        answer = send(api, catalog_zip(rows, {"a.jpg": CAMERA}))
        assert answer.status_code == 422 and said in answer.json()["detail"], answer.text
        assert counts(api) == (0, 0, 0)


def test_a_rows_zones_and_no_usable_image_are_said_in_the_language_asked(api: Api) -> None:
    """Worded as the other import errors are, the row's place and the image's reason too."""
    good = {"sku": "CAM-1", "images": ["a.jpg"]}
    off = [good, {"sku": "CAM-2", "images": ["a.jpg"], "zones": {"lid": [640, 0, 10, 10]}}]
    no_box = [good, {"sku": "CAM-2", "images": ["a.jpg"], "zones": {"lid": [1, 2]}}]
    gone = [{"sku": "CAM-1", "images": ["gone.jpg"]}]
    said = {
        ("en", 0): "line 2: SKU CAM-2: zones: zone 'lid' lies wholly outside a.jpg (640x480 pixels)",
        ("zh", 0): "第 2 行：SKU CAM-2 的 zones 有误：区域 'lid' 完全在 a.jpg（640x480 像素）之外",
        ("en", 1): "line 2: SKU CAM-2: zones: zone 'lid' must be",
        ("zh", 1): "第 2 行：SKU CAM-2 的 zones 有误：区域 'lid' ",
        ("en", 2): "no image in the manifest could be used (CAM-1 gone.jpg: not in the archive)",
        ("zh", 2): "清单中没有一张图片可用（CAM-1 gone.jpg：不在压缩包中）",
    }
    for (lang, case), words in said.items():
        rows = (off, no_box, gone)[case]
        answer = send(api, catalog_zip(rows, {"a.jpg": CAMERA}), {"Accept-Language": lang})
        assert answer.status_code == 422 and answer.json()["detail"].startswith(words), (lang, answer.text)
        assert counts(api) == (0, 0, 0)


def test_a_name_given_twice_in_a_manifest_row_is_said_as_everywhere_else_in_the_language_asked(api: Api) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("manifest.jsonl", '{"sku": "CAM-1", "images": ["a.jpg"], "sku": "CAM-2"}\n')
        archive.writestr("a.jpg", CAMERA)
    said = {
        "en": "manifest.jsonl: line 1: the name 'sku' is given twice; which value is meant is not known",
        "zh": "manifest.jsonl 有误：第 1 行：名称 'sku' 出现了两次，无法确定以哪个值为准",
    }
    for lang, words in said.items():
        answer = send(api, buffer.getvalue(), {"Accept-Language": lang})
        assert (answer.status_code, answer.json()["detail"]) == (422, words)
        assert counts(api) == (0, 0, 0)


def test_every_bad_row_of_a_manifest_is_said_at_once_in_the_language_asked(api: Api) -> None:
    good = {"sku": "CAM-1", "images": ["a.jpg"]}
    long = [good, *({"sku": f"CAM-{n}", "images": ["a.jpg"], "category": "c" * 65} for n in range(2, 24))]
    said = {
        "en": "manifest.jsonl: line 2: category: at most 64 characters; line 3: category: at most 64 characters; ",
        # A malformed row's own words were English inside the Chinese line.
        "zh": "manifest.jsonl 有误：第 2 行：category：最多 64 个字符；第 3 行：category：最多 64 个字符；",
    }
    for lang, words in said.items():
        answer = send(api, catalog_zip(long, {"a.jpg": CAMERA}), {"Accept-Language": lang})
        detail = answer.json()["detail"]
        assert answer.status_code == 422 and detail.startswith(words), detail
        assert {"en": "line 21", "zh": "第 21 行"}[lang] in detail and "22" not in detail
        assert detail.endswith({"en": "; and 2 more rows", "zh": "；另有 2 行有误"}[lang]), detail
    zoned = [
        {"sku": "CAM-1", "images": ["a.jpg"], "zones": {"lid": [640, 0, 10, 10]}},
        good | {"sku": "CAM-2"},
        {"sku": "CAM-3", "images": ["a.jpg"], "zones": {"lid": [1, 2]}},
    ]
    answer = send(api, catalog_zip(zoned, {"a.jpg": CAMERA}), {"Accept-Language": "zh"})
    detail = answer.json()["detail"]
    assert detail.startswith("第 1 行：SKU CAM-1 的 zones 有误：区域 'lid' 完全在 a.jpg（640x480 像素）之外；"), detail
    assert "；第 3 行：SKU CAM-3 的 zones 有误：区域 'lid' " in detail, detail
    assert counts(api) == (0, 0, 0)


def _manifest_zip(name: str, text: str) -> bytes:
    return _zip_of({name: text.encode(), "a.jpg": CAMERA})


@pytest.mark.parametrize(
    ("manifest", "text", "zh"),
    [
        ("manifest.jsonl", '{"sku": "A-1",, }\n', "第 1 行不是 JSON（第 1 行第 15 列）"),
        ("manifest.jsonl", "\n[1]\n", "第 2 行不是 JSON 对象"),
        ("manifest.jsonl", '{"sku": "A-1", "images": 5}\n', "第 1 行：images 必须是文件名列表"),
        ("manifest.jsonl", '{"sku": "A-1", "images": []}\n', "第 1 行：SKU A-1 没有列出图片"),
        ("manifest.jsonl", '{"sku": "A-1", "images": ["a.jpg"], "brand": 5}\n', "第 1 行：brand 必须是文本"),
        ("manifest.jsonl", '{"sku": "A 1", "images": ["a.jpg"]}\n', "第 1 行：sku：'A 1' 必须由"),
        ("manifest.jsonl", '{"sku": "A-1", "images": ["a.jpg"], "sku": "A-2"}\n', "第 1 行：名称 'sku' 出现了两次"),
        ("manifest.jsonl", '{"sku": "A-1", "imgs": ["a.jpg"]}\n', "第 1 行：未知的键 'imgs'（是否应为 'images'？）；一行可用的键为 sku、name、"),
        ("manifest.csv", "sku,imgs\nA-1,a.jpg\n", "第 1 行：未知的列 'imgs'（是否应为 'images'？）；一行可用的列为 sku、"),
        ("manifest.csv", "sku,images,SKU\nA-1,a.jpg,A-2\n", "第 1 行：名称 'sku' 出现了两次"),
        ("manifest.csv", "sku,images\nA-1,a.jpg\nA 2,a.jpg\n", "第 3 行：sku：'A 2' 必须由"),
        ("manifest.csv", "sku,images,name\nA-1,a.jpg," + "n" * 256 + "\n", "第 2 行：name：最多 255 个字符"),
    ],
)
def test_each_malformed_manifest_row_is_placed_in_the_language_asked(api: Api, manifest: str, text: str, zh: str) -> None:
    # The place ("line 2", "row 1") was pasted in English into the Chinese line.
    answer = send(api, _manifest_zip(manifest, text), {"Accept-Language": "zh"})
    assert answer.status_code == 422 and answer.json()["detail"].startswith(f"{manifest} 有误：{zh}"), answer.text
    assert not any(word in answer.json()["detail"] for word in ("line", "row")), answer.text
    english = send(api, _manifest_zip(manifest, text)).json()["detail"]
    assert english.startswith(f"{manifest}: {'line' if manifest.endswith('jsonl') else 'row'} "), english
    assert counts(api) == (0, 0, 0)


def test_hostile_archives_are_refused_whole_with_one_line(api: Api) -> None:
    manifest = [{"sku": "CAM-1", "images": ["a.jpg"]}]
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.jsonl", json.dumps(manifest[0]))
        archive.writestr("a.jpg", bytes(50 * 2**20))  # 50 MB of zeros in ~50 KB
    nested = catalog_zip(manifest, {"a.jpg": catalog_zip(manifest, {"a.jpg": CAMERA})})
    escaping = io.BytesIO()
    with zipfile.ZipFile(escaping, "w") as archive:
        archive.writestr("manifest.jsonl", json.dumps(manifest[0]))
        archive.writestr("../../a.jpg", CAMERA)
    cases = {
        "expands over 100 times": bomb.getvalue(),
        "archive inside the archive": nested,
        "leads out of the archive": escaping.getvalue(),
        "not a zip archive": b"PK\x03\x04 but nothing after",
        "no manifest.jsonl or manifest.csv": _zip_of({"a.jpg": CAMERA}),
    }
    for said, archive_bytes in cases.items():
        answer = send(api, archive_bytes)
        assert answer.status_code == 422 and said in answer.json()["detail"], (said, answer.text)
        assert "\n" not in answer.json()["detail"]
        assert counts(api) == (0, 0, 0)


def _zip_of(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_a_request_that_is_not_one_archive_is_refused(api: Api) -> None:
    archive = catalog_zip([{"sku": "CAM-1", "images": ["a.jpg"]}], {"a.jpg": CAMERA})
    two = [("archive", ("a.zip", archive, "application/zip")), ("archive", ("b.zip", archive, "application/zip"))]
    answers = [
        api.client.post("/v1/catalog/import", files=two),
        api.client.post("/v1/catalog/import", files=[("images", ("a.zip", archive, "application/zip"))]),
        api.client.post("/v1/catalog/import", content=archive, headers={"Content-Type": "application/zip"}),
        send(api, archive, reindex="maybe"),
        send(api, archive, sku="CAM-1"),
    ]
    assert [a.status_code for a in answers] == [422] * 5
    assert "reindex: 'maybe' is not true or false" in answers[3].json()["detail"]
    assert counts(api) == (0, 0, 0)


def test_an_archive_over_the_per_file_limit_is_413(store: Any) -> None:
    from tests.api.conftest import make_api

    for small in make_api(store, max_file_bytes=64 * 1024):
        answer = send(small, catalog_zip([{"sku": "CAM-1", "images": ["a.jpg"]}], {"a.jpg": CAMERA + random.randbytes(200_000)}))
        assert answer.status_code == 413 and counts(small) == (0, 0, 0)


def test_the_thumbnail_kept_is_small_and_carries_no_metadata(api: Api) -> None:
    assert Image.open(io.BytesIO(CAMERA)).getexif()
    send(api, catalog_zip([{"sku": "CAM-1", "images": ["a.jpg"]}], {"a.jpg": CAMERA}))
    [image] = api.client.get("/v1/catalog/CAM-1").json()["image_list"]
    answer = api.client.get(f"/v1/images/{image['image_id']}/thumbnail")
    assert answer.status_code == 200 and answer.headers["content-type"] == "image/jpeg"
    picture = Image.open(io.BytesIO(answer.content))
    assert max(picture.size) == 240 and not picture.getexif() and answer.content not in CAMERA


def test_a_row_names_its_images_without_a_product_outline(api: Api) -> None:
    shelf = (corpus("product-matching") / "grocery" / "Arla-Sour-Milk" / "Arla-Sour-Milk_001.jpg").read_bytes()
    rows = [{"sku": "MILK-1", "images": ["img/fridge.jpg", "img/camera.jpg"]}, {"sku": "CAM-1", "images": ["img/camera.jpg"]}]
    answer = send(api, catalog_zip(rows, {"img/fridge.jpg": shelf, "img/camera.jpg": CAMERA}))
    assert answer.status_code == 200, answer.text
    milk, camera = answer.json()["rows"]
    assert milk["added"] == 2 and [image["filename"] for image in milk["no_outline"]] == ["img/fridge.jpg"]
    assert "no plain background" in milk["no_outline"][0]["warning"]
    assert camera["no_outline"] == []
