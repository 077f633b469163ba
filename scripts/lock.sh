#!/usr/bin/env bash
# The lock: uv.lock holds the exact version and hashes of every package; pip installs from its exports
# in requirements/ (the README's commands, scripts/test.sh, .ci/run, the Dockerfile), so a machine
# without uv installs the same files. `bash scripts/lock.sh` re-exports after pyproject.toml changed;
# `bash scripts/lock.sh --upgrade` moves everything to the newest versions the ranges allow — an
# upgrade is its own commit, with scripts/try_newest.sh's figures before and after in its message.
set -euo pipefail
cd "$(dirname "$0")/.."
UV=${UV:-$(command -v uv || echo .venv/bin/uv)}
export UV_PYTHON_DOWNLOADS=never
"$UV" lock "$@"
export_to() {
    "$UV" export --quiet --frozen --no-emit-project --no-header --format requirements-txt "${@:2}" -o "$1"
}
export_to requirements/run.txt --extra postgres
export_to requirements/dev.txt --extra dev --extra postgres
