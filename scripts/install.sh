#!/usr/bin/env bash
# Installs evidence-check into .venv from the lock: the exact versions and hashes in requirements/.
# `bash scripts/install.sh` for the service; `bash scripts/install.sh dev` adds what the tests, the
# benches and the OCR of retake photos need (scripts/test.sh runs it).
set -euo pipefail
cd "$(dirname "$0")/.."
which=${1:-run}
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
elif ! .venv/bin/python -m pip --version >/dev/null 2>&1; then
    .venv/bin/python -m ensurepip --default-pip >/dev/null  # a venv made by uv has no pip
fi
pip() { .venv/bin/python -m pip --quiet --disable-pip-version-check "$@"; }
# --no-deps: the lock lists every package, so pip resolves nothing and installs nothing else.
pip install --require-hashes --no-deps -r "requirements/$which.txt"
pip install --no-deps -e .
