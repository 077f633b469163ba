"""The API's report model describes exactly what `evidence_check.report.to_dict` produces."""

from __future__ import annotations

from api.schemas import REPORT_EXAMPLE, CheckResult, ImageResult, Report
from evidence_check.cli import app  # noqa: F401  (the CLI's own import path must stay importable)
from evidence_check.explain.messages import summary
from tests.api.conftest import Api, jpeg, photos
from tests.conftest import FIXTURES


def field_names(model: type) -> set[str]:
    return {info.alias or name for name, info in model.model_fields.items()}  # type: ignore[attr-defined]


def test_the_model_names_every_key_of_a_real_report(api: Api) -> None:
    good = (FIXTURES / "genuine_after_delivery.jpg").read_bytes()
    body = api.verify(photos(("a.jpg", good), ("b.jpg", b"x"), ("c.jpg", jpeg(1)))).json()
    assert set(body) == field_names(Report)
    for image in body["images"]:
        assert set(image) == field_names(ImageResult)
        for check in image["checks"].values():
            assert set(check) == field_names(CheckResult)
    assert Report.model_validate(body).model_dump(by_alias=True, mode="json") == body


def test_the_documented_example_is_a_valid_report() -> None:
    assert Report.model_validate(REPORT_EXAMPLE).model_dump(by_alias=True, mode="json") == REPORT_EXAMPLE


def test_each_sentence_of_the_documented_example_is_the_one_its_code_and_params_write() -> None:
    """The example /docs shows is read as a real report: a sentence there that the service would
    never write from the same params ("9 days" for 207.67 hours, counted down to 8) misleads."""
    checks = [check for image in REPORT_EXAMPLE["images"] for check in image["checks"].values()]
    for check in checks:
        if check.get("code") and check.get("params") is not None:
            assert check["summary"] == summary(check["code"], check["params"]), check["code"]
    assert set(REPORT_EXAMPLE["reasons"]) <= {check["summary"] for check in checks}
