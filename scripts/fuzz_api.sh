#!/usr/bin/env bash
# Schemathesis against the OpenAPI description of a fresh server: no request may get a 5xx.
#   .venv/bin/pip install schemathesis && bash scripts/fuzz_api.sh [MAX_EXAMPLES] [--checks all]
#   SCHEMATHESIS=/other/venv/bin/schemathesis bash scripts/fuzz_api.sh 200 --include-path-regex '^/v1/catalog'
#   (schemathesis installed elsewhere, some endpoints only)
# Under `--checks all` two findings are by design: random bytes sent as `photos` are "schema-valid"
# but no photo (422, as the contract says), and an empty form field counts as absent.
set -euo pipefail
cd "$(dirname "$0")/.."
examples=${1:-200}
shift || true
folder=$(mktemp -d /tmp/evidence-check-fuzz.XXXXXX)
db="sqlite:///$folder/fuzz.sqlite3"
port=$(.venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
key=$(.venv/bin/evidence-check keys create fuzz --db "$db" 2>/dev/null)
# The key is also the metrics token, so that the one Authorization header reaches /metrics too.
EVIDENCE_CHECK_METRICS_TOKEN="$key" .venv/bin/evidence-check serve --port "$port" --db "$db" --log-level warning 2>"$folder/server.log" &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true; rm -rf "$folder"' EXIT
for _ in $(seq 100); do
    .venv/bin/python -c "import httpx, sys; sys.exit(httpx.get('http://127.0.0.1:$port/healthz').status_code != 200)" 2>/dev/null && break
    sleep 0.2
done
"${SCHEMATHESIS:-.venv/bin/schemathesis}" run "http://127.0.0.1:$port/openapi.json" -H "Authorization: Bearer $key" \
    --checks not_a_server_error --max-examples "$examples" --workers 1 "$@"
