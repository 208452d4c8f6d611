"""`python -m bot.ops.action_server`: rasa_sdk's action server, hardened for production.

- Binds SANIC_HOST, default 127.0.0.1 (rasa_sdk's own default is 0.0.0.0).
- With BETAALHULP_ACTION_SECRET set, every request except GET /health must carry it in the
  `X-Betaalhulp-Action-Secret` header (endpoints.production.yml sends it); others get a 401.
  In the production profile (BETAALHULP_PROFILE=production) it refuses to start without one.
- A crash answers 500 with a generic body: rasa_sdk's own handler returns the whole tracker,
  which Rasa then logs (RASA_NOTES, "Security traps").
- /metrics: requests, errors and latency in Prometheus text format.

Takes rasa_sdk's own arguments (`--actions actions --port 5055 --logging-config_file ...`).
"""
from __future__ import annotations

import hmac
import logging
import os
import sys
import time

from rasa_sdk import utils
from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME
from rasa_sdk.endpoint import create_app, create_argument_parser
from sanic import response

from bot.ops.metrics import Metrics

SECRET_HEADER = "X-Betaalhulp-Action-Secret"
log = logging.getLogger(__name__)


def harden(app, secret: str | None, metrics: Metrics | None = None) -> None:
    metrics = metrics or Metrics("betaalhulp_actions")

    @app.middleware("request")
    async def check_secret(request):
        request.ctx.started = time.perf_counter()
        if request.path in ("/health", "/metrics") and request.method == "GET":
            return None
        if secret and not hmac.compare_digest(request.headers.get(SECRET_HEADER, "").encode(), secret.encode()):
            metrics.inc("refused_total")
            return response.json({"error": "missing or wrong action server secret"}, status=401)
        return None

    @app.middleware("response")
    async def observe(request, resp):
        started = getattr(request.ctx, "started", None)
        if started is not None and request.path == "/webhook":
            metrics.observe_request(time.perf_counter() - started, resp.status)

    @app.get("/metrics")
    async def metrics_endpoint(_):
        return response.text(metrics.render(), content_type="text/plain; version=0.0.4; charset=utf-8")

    # rasa_sdk's handler echoes the request body (the whole tracker) in the 500 response.
    def generic_error(request, exception):
        log.error("action server error %s on %s", type(exception).__name__, request.path)
        metrics.inc("errors_total")
        return response.json({"error": "internal error"}, status=500)

    app.error_handler.add(Exception, generic_error)


def remember_message_texts() -> None:
    """The customer's latest message arrives in every action call: recorded first, so no log line
    of this process can repeat it (bot/privacy/logfilter.py)."""
    from rasa_sdk.executor import ActionExecutor

    from bot.privacy.logfilter import remember_user_text

    original = ActionExecutor.run
    if getattr(original, "remembers_texts", False):
        return

    async def run(self, action_call):
        latest = ((action_call or {}).get("tracker") or {}).get("latest_message") or {}
        remember_user_text(latest.get("text") if isinstance(latest, dict) else None)
        return await original(self, action_call)

    run.remembers_texts = True
    ActionExecutor.run = run


def main(argv: list[str] | None = None) -> None:
    from bot.ops.logs import install_masking

    install_masking()
    remember_message_texts()
    args = create_argument_parser().parse_args(argv)
    logging.getLogger("matplotlib").setLevel(logging.WARN)
    utils.configure_colored_logging(args.loglevel)
    utils.configure_file_logging(logging.getLogger(APPLICATION_ROOT_LOGGER_NAME), args.log_file, args.loglevel,
                                 args.logging_config_file)
    utils.update_sanic_log_level()
    from bot.ops.logs import configure_from_env

    configure_from_env()
    secret = os.environ.get("BETAALHULP_ACTION_SECRET") or None
    if not secret and os.environ.get("BETAALHULP_PROFILE") == "production":
        sys.exit("BETAALHULP_ACTION_SECRET must be set in the production profile")
    app = create_app(args.actions, cors_origins=args.cors or "", auto_reload=False)
    harden(app, secret)
    host = os.environ.get("SANIC_HOST", "127.0.0.1")
    log.info("action server on %s:%s (secret %s)", host, args.port, "required" if secret else "not set")
    app.run(host, args.port, workers=utils.number_of_sanic_workers(), access_log=False)


if __name__ == "__main__":
    main()
