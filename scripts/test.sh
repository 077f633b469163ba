#!/usr/bin/env bash
# The project's one test command: lint, types, then the test suite. CI runs exactly this.
# Uses .venv in the checkout, installed from the lock (scripts/install.sh). Tests that need a PostgreSQL server read
# EVIDENCE_CHECK_TEST_PG_URL (.ci/run starts one); without it they skip and say so.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh dev
.venv/bin/ruff check .
.venv/bin/mypy
# One pytest process per core, two at most (each peaks near 2 GB): the suite is ~14 min of one core's
# work on an idle machine. A file's tests stay in one process, so its module fixtures are built once.
.venv/bin/python -m pytest --numprocesses auto --maxprocesses 2 --dist loadfile "$@"
