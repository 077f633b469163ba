#!/usr/bin/env bash
# Tries the newest versions of every dependency that pyproject.toml's ranges allow, in a fresh venv
# outside the checkout, without touching the lock: what would move, the test suite, and the benches'
# headline figures. Compare them with the same run on the lock before committing an upgrade
# (`bash scripts/lock.sh --upgrade`), and put both in the upgrade's commit message.
#   bash scripts/try_newest.sh [--no-benches] [pytest args...]
set -euo pipefail
cd "$(dirname "$0")/.."
benches=1
if [ "${1:-}" = "--no-benches" ]; then benches=0; shift; fi
UV=${UV:-$(command -v uv || echo .venv/bin/uv)}
export UV_PYTHON_DOWNLOADS=never
dir=$(mktemp -d /tmp/evidence-check-newest.XXXXXX)
echo "newest versions in $dir"
"$UV" venv --quiet --python python3 "$dir/venv"
py="$dir/venv/bin/python"
# The same override as the lock's ([tool.uv] in pyproject.toml): one OpenCV, the headless one.
echo "opencv-python; sys_platform == 'never'" >"$dir/overrides.txt"
"$UV" pip compile --quiet --upgrade --no-header --override "$dir/overrides.txt" \
    --extra dev --extra postgres pyproject.toml -o "$dir/newest.txt"
"$UV" pip install --quiet --python "$py" --no-deps -r "$dir/newest.txt"
"$UV" pip install --quiet --python "$py" --no-deps -e .
[ -x .venv/bin/python ] || bash scripts/install.sh dev

echo "== what moves (the locked .venv -> newest)"
freeze() { "$UV" pip freeze --quiet --python "$1" | grep '==' | tr 'A-Z_' 'a-z-'; }
awk -F'==' 'NR == FNR {locked[$1] = $2; next} locked[$1] != $2 {
    print "  " $1 ": " (($1 in locked) ? locked[$1] : "(not locked)") " -> " $2 }' \
    <(freeze .venv/bin/python) <(freeze "$py")

echo "== tests on the newest versions"
status=0
"$py" -m pytest -q -p no:cacheprovider "$@" || status=$?
if [ "$benches" = 1 ]; then
    echo "== benches on the newest versions (headline tables)"
    "$py" scripts/bench_relevance.py --no-cost || status=$?
    "$py" scripts/bench_reuse.py --only accuracy || status=$?
    "$py" scripts/bench_integrity.py || status=$?
fi
exit "$status"
