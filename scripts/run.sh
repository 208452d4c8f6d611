#!/usr/bin/env bash
# Starts the whole embedded set-up in the foreground; Ctrl-C stops every process cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${RASA_PORT:=5005}" "${ACTIONS_PORT:=5055}"
export RASA_PORT ACTIONS_PORT
export SANIC_HOST=127.0.0.1   # the action server has no auth of its own: loopback only

auth=()
[ -n "${RASA_AUTH_TOKEN:-}" ] && auth=(--auth-token "$RASA_AUTH_TOKEN")

pids=()
stop() {
  trap - INT TERM EXIT
  [ ${#pids[@]} -gt 0 ] && kill -TERM "${pids[@]}" 2>/dev/null || true
  wait || true
}
trap stop INT TERM EXIT

.venv/bin/python -m rasa_sdk --actions actions --port "$ACTIONS_PORT" &
pids+=($!)
.venv/bin/rasa run --enable-api "${auth[@]}" --interface "${RASA_INTERFACE:-127.0.0.1}" --port "$RASA_PORT" \
  --model models/betaalhulp.tar.gz --endpoints endpoints.yml --credentials credentials.yml \
  --cors "${RASA_CORS_ORIGINS:-http://localhost:${WEB_PORT:-8080}}" &
pids+=($!)
echo "Betaalhulp: Rasa on http://127.0.0.1:$RASA_PORT (REST: /webhooks/rest/webhook), actions on 127.0.0.1:$ACTIONS_PORT"
# Whichever process ends first ends the set-up, so nothing runs half-started.
wait -n
