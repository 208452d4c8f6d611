"""`python -m bot.web`: the customer-facing app on WEB_HOST (127.0.0.1) and WEB_PORT (8080)."""
from __future__ import annotations

import logging

import uvicorn

from bot.config import settings
from bot.ops.asgi import Observed
from bot.ops.logs import configure_from_env
from bot.web.app import create_app


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # httpx logs every URL at INFO: Rasa URLs carry the sender id (a phone number) and the token.
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    config = settings()
    # access_log off: request paths carry payment ids, and query strings could carry more.
    # ws="none": no websockets here, and uvicorn's websocket module needs a newer `websockets`
    # than the 10.4 Rasa pins.
    # BETAALHULP_LOG_FORMAT=json: JSON lines, still through the personal-data filter.
    configure_from_env()
    # /metrics (requests, latency, payments, handovers: bot/ops/asgi.py); /health is the app's own.
    uvicorn.run(Observed(create_app(), "betaalhulp_web"), host=config.web_host, port=config.web_port, access_log=False,
                proxy_headers=False, server_header=False, ws="none")


if __name__ == "__main__":
    main()
