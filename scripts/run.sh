#!/usr/bin/env bash
# Starts the whole embedded set-up in the foreground; Ctrl-C stops every process cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${RASA_PORT:=5005}" "${ACTIONS_PORT:=5055}"
export RASA_PORT ACTIONS_PORT
mkdir -p var
: "${BETAALHULP_TRACKER_DB:=$PWD/var/rasa_tracker.db}"
export BETAALHULP_TRACKER_DB
export SANIC_HOST=127.0.0.1   # the action server has no auth of its own: loopback only

auth=()
[ -n "${RASA_AUTH_TOKEN:-}" ] && auth=(--auth-token "$RASA_AUTH_TOKEN")

# Our signed channels only when their secrets are set: Rasa refuses a credentials file whose
# ${VARIABLES} are unset.
credentials=credentials.yml
if [ -n "${TWILIO_AUTH_TOKEN:-}" ] || [ -n "${TELEGRAM_BOT_TOKEN:-}" ]; then
  credentials=credentials.channels.yml
fi

# BETAALHULP_PROFILE=production: PostgreSQL tracker store, Redis lock store (so SANIC_WORKERS > 1
# works), no REST channel, and an action server that wants a shared secret (docs/DEPLOY.md).
endpoints=endpoints.yml
actions_cmd=(.venv/bin/python -m rasa_sdk)
if [ "${BETAALHULP_PROFILE:-}" = production ]; then
  missing=()
  for var in BETAALHULP_DATABASE_URL BETAALHULP_TRACKER_URL BETAALHULP_REDIS_URL BETAALHULP_ACTION_SECRET \
             RASA_AUTH_TOKEN BETAALHULP_WEB_SECRET BETAALHULP_WIDGET_SECRET; do
    [ -n "${!var:-}" ] || missing+=("$var")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "BETAALHULP_PROFILE=production needs: ${missing[*]} (docs/DEPLOY.md)" >&2
    exit 2
  fi
  : "${BETAALHULP_ACTIONS_URL:=http://127.0.0.1:$ACTIONS_PORT/webhook}"
  export BETAALHULP_ACTIONS_URL
  endpoints=endpoints.production.yml
  credentials=${BETAALHULP_CREDENTIALS:-credentials.production.yml}
  actions_cmd=(.venv/bin/python -m bot.ops.action_server)
  .venv/bin/python -m bot.store migrate
fi

pids=()
stop() {
  trap - INT TERM EXIT
  [ ${#pids[@]} -gt 0 ] && kill -TERM "${pids[@]}" 2>/dev/null || true
  wait || true
}
trap stop INT TERM EXIT

"${actions_cmd[@]}" --actions actions --port "$ACTIONS_PORT" --logging-config_file logging.yml &
pids+=($!)
.venv/bin/rasa run --enable-api "${auth[@]}" --interface "${RASA_INTERFACE:-127.0.0.1}" --port "$RASA_PORT" \
  --model models/betaalhulp.tar.gz --endpoints "$endpoints" --credentials "$credentials" \
  --logging-config-file logging.yml \
  --cors "${RASA_CORS_ORIGINS:-http://localhost:${WEB_PORT:-8080}}" &
pids+=($!)
# The customer web app: payment pages, QR images, payment webhooks (port WEB_PORT, 8080).
.venv/bin/python -m bot.web &
pids+=($!)
# The follow-up engine (issue 10): reminders, missed payments, aftercare and preventive contact,
# each sent once through Rasa, within quiet hours and the contact-pressure limit.
.venv/bin/python -m bot.followup run &
pids+=($!)
# The staff console (loopback only); it reaches Rasa's HTTP API with RASA_AUTH_TOKEN when set.
.venv/bin/python -m bot.console serve &
pids+=($!)
echo "Betaalhulp: demo page with the chat widget on http://localhost:${WEB_PORT:-8080}"
echo "Betaalhulp: staff console on http://127.0.0.1:${CONSOLE_PORT:-8081}"
echo "Betaalhulp: Rasa on http://127.0.0.1:$RASA_PORT (REST: /webhooks/rest/webhook), actions on 127.0.0.1:$ACTIONS_PORT"
# Whichever process ends first ends the set-up, so nothing runs half-started.
wait -n
