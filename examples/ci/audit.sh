#!/usr/bin/env bash
# Any CI: start the app, wait for it, audit it, keep the reports, fail on high findings.
#
#   APP_CMD="npm start" BASE_URL=http://127.0.0.1:3000 HEALTH_URL=http://127.0.0.1:3000/healthz \
#     examples/ci/audit.sh
#
# Writes rampart.sarif for code scanning; FORMAT=junit OUTPUT=rampart.xml for a CI's test view, or
# FORMAT=html OUTPUT=rampart.html for people. One audit per pipeline: a second run right after the
# first may meet the rate limits the first one tested. Set BASELINE=rampart-baseline.json to fail
# only on findings not accepted in it (write one with --write-baseline).
set -euo pipefail

APP_CMD=${APP_CMD:-npm start}
BASE_URL=${BASE_URL:-http://127.0.0.1:3000}
HEALTH_URL=${HEALTH_URL:-$BASE_URL/healthz}
FAIL_ON=${FAIL_ON:-high}
FORMAT=${FORMAT:-sarif}
OUTPUT=${OUTPUT:-rampart.sarif}
BASELINE=${BASELINE:-}

# Dependencies first: needs the public registry's audit service.
npm audit --audit-level=high

$APP_CMD > app.log 2>&1 &
app=$!
trap 'kill "$app" 2>/dev/null || true' EXIT

for _ in $(seq 1 60); do
  if curl -fsS "$HEALTH_URL" > /dev/null 2>&1; then break; fi
  if ! kill -0 "$app" 2>/dev/null; then echo "the app exited:"; cat app.log; exit 2; fi
  sleep 1
done
curl -fsS "$HEALTH_URL" > /dev/null || { echo "the app did not become healthy"; cat app.log; exit 2; }

baseline=()
if [[ -n "$BASELINE" ]]; then baseline=(--baseline "$BASELINE"); fi

# Exit 0: nothing new at or above FAIL_ON; 1: findings; 2: the audit could not run.
npx rampart audit "$BASE_URL" "${baseline[@]}" --format "$FORMAT" --output "$OUTPUT" --fail-on "$FAIL_ON"
