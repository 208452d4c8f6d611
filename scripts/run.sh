#!/usr/bin/env bash
# Starts a whole set-up in the foreground; Ctrl-C stops every process cleanly.
#
# `make run` calls this, and so do the end-to-end and browser tests (tests/e2e/servers.py) and a
# production host: one way to start the product, so what the tests see is what runs. This script
# decides the environment (ports, data folder, stores, channels, secrets); bot/ops/stack.py starts
# the processes, prefixes their output, restarts one that crashes and stops them all together.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${RASA_PORT:=5005}" "${ACTIONS_PORT:=5055}" "${WEB_PORT:=8080}" "${CONSOLE_PORT:=8081}"
: "${BETAALHULP_DATA_DIR:=$PWD/var}"
: "${BETAALHULP_PUBLIC_URL:=http://localhost:$WEB_PORT}"
: "${BETAALHULP_MODEL:=$PWD/models/betaalhulp.tar.gz}"
: "${BETAALHULP_PYTHON:=$PWD/.venv/bin/python}"
export RASA_PORT ACTIONS_PORT WEB_PORT CONSOLE_PORT BETAALHULP_DATA_DIR BETAALHULP_PUBLIC_URL BETAALHULP_MODEL \
  BETAALHULP_PYTHON
mkdir -p "$BETAALHULP_DATA_DIR"
: "${BETAALHULP_RUN_DIR:=$BETAALHULP_DATA_DIR/run}"
: "${BETAALHULP_TRACKER_DB:=$BETAALHULP_DATA_DIR/rasa_tracker.db}"
export BETAALHULP_RUN_DIR BETAALHULP_TRACKER_DB
export RASA_TELEMETRY_ENABLED=false
export SANIC_HOST=127.0.0.1   # the action server: loopback only
: "${RASA_URL:=http://127.0.0.1:$RASA_PORT}"
export RASA_URL

# Secrets come from the environment. The embedded set-up makes any that are missing for this run
# only (never printed, never on a command line): Rasa's HTTP API and the action server are locked
# even on a developer's machine, so no other local process can read a customer's conversation.
secret() { "$BETAALHULP_PYTHON" -c 'import secrets; print(secrets.token_urlsafe(32))'; }

if [ "${BETAALHULP_PROFILE:-}" = production ]; then
  # PostgreSQL tracker store, Redis lock store (so SANIC_WORKERS > 1 works), no REST channel,
  # and nothing made up: every secret is the operator's (docs/DEPLOY.md).
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
  : "${BETAALHULP_ENDPOINTS:=endpoints.production.yml}"
  : "${BETAALHULP_CREDENTIALS:=credentials.production.yml}"
  "$BETAALHULP_PYTHON" -m bot.store migrate
else
  : "${RASA_AUTH_TOKEN:=$(secret)}" "${BETAALHULP_ACTION_SECRET:=$(secret)}"
  # Widget sessions outlive a restart of the Rasa process within this run.
  : "${BETAALHULP_WIDGET_SECRET:=$(secret)}"
  export RASA_AUTH_TOKEN BETAALHULP_ACTION_SECRET BETAALHULP_WIDGET_SECRET
  : "${BETAALHULP_ENDPOINTS:=endpoints.yml}"
  # Twilio and Telegram only when their secrets are set: Rasa refuses a credentials file whose
  # ${VARIABLES} are unset.
  if [ -n "${TWILIO_AUTH_TOKEN:-}" ] || [ -n "${TELEGRAM_BOT_TOKEN:-}" ]; then
    : "${BETAALHULP_CREDENTIALS:=credentials.channels.yml}"
  else
    : "${BETAALHULP_CREDENTIALS:=credentials.yml}"
  fi
  # The demo customers and staff accounts (idempotent: a second run adds nothing).
  if [ "${BETAALHULP_SEED_DEMO:-1}" != 0 ]; then
    "$BETAALHULP_PYTHON" -m bot.store seed
    "$BETAALHULP_PYTHON" -m bot.console seed-demo-users
  fi
fi
export BETAALHULP_ENDPOINTS BETAALHULP_CREDENTIALS

# No `--cors` for Rasa: the widget channel answers browsers itself, for its own origin list
# (BETAALHULP_WIDGET_ORIGINS). Rasa's --cors would add a second Access-Control-Allow-Origin
# header to the widget's answers, which browsers refuse (RASA_NOTES, "CORS"). The HTTP API is
# for our own server-side processes only and needs no CORS at all.
exec "$BETAALHULP_PYTHON" -m bot.ops.stack
