#!/usr/bin/env bash
# The project's one test command: lint, types, then the test suite. CI runs exactly this.
# Uses .venv in the checkout (made here when missing). Tests that need a PostgreSQL server read
# EVIDENCE_CHECK_TEST_PG_URL (.ci/run starts one); without it they skip and say so.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
# The OCR of retake challenges; --no-deps keeps the headless OpenCV (see pyproject's "ocr" extra).
.venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps 'rapidocr-onnxruntime>=1.4.4'
.venv/bin/ruff check .
.venv/bin/mypy
.venv/bin/python -m pytest "$@"
