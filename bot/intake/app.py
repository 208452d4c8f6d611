"""The lender's HTTP endpoint (`python -m bot.intake serve`): an app of its own, not a route of
the customer web app, because

- it is server-to-server with another trust boundary: it listens on a private address the
  reverse proxy never publishes (the customer app is on the internet for payment pages and the
  providers' webhooks);
- a books batch is megabytes; the customer app refuses bodies over 16 KB, which protects every
  customer-facing route, and stays so;
- a large import never slows a customer's payment page, and the secret is its own.

`POST /lender/v1/records` with `Authorization: Bearer $BETAALHULP_INTAKE_SECRET` (compared in
constant time: 401 without it, 403 when wrong) and a body of JSON lines (`application/x-ndjson`)
or JSON (one record object or an array of them). One request is one batch, all or nothing
(bot/intake/service.py): 201 when something new was taken in, 200 when every record was known
already, 4xx with each refused record's line, status and reason when nothing was.
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import os

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bot import clock
from bot.intake import schema
from bot.intake.service import Outcome, refused_everything, take_in_batch
from bot.web.app import health  # the same check: the database answers

log = logging.getLogger(__name__)
SECRET_VARIABLE = "BETAALHULP_INTAKE_SECRET"
MIN_SECRET_LENGTH = 32
JSON_TYPES = ("application/json",)
LINES_TYPES = ("application/x-ndjson", "application/jsonl", "application/jsonlines", "application/x-jsonlines",
               "text/plain")


class SecretMissing(RuntimeError):
    pass


def secret_from_environment() -> str:
    secret = os.environ.get(SECRET_VARIABLE, "")
    if len(secret) < MIN_SECRET_LENGTH:
        raise SecretMissing(f"{SECRET_VARIABLE} must be set to a secret of at least {MIN_SECRET_LENGTH} characters "
                            "(make one: python -c \"import secrets; print(secrets.token_urlsafe(32))\")")
    return secret


def _parse_body(body: bytes, content_type: str, today) -> schema.Parsed | Outcome:
    try:
        decoded = body.decode("utf-8")
    except UnicodeDecodeError:
        return refused_everything("the body is not UTF-8")
    if content_type in JSON_TYPES:
        try:
            data = json.loads(decoded)
        except ValueError:
            return refused_everything("the body is not JSON")
        parsed = schema.Parsed()
        for number, item in enumerate(data if isinstance(data, list) else [data], start=1):
            schema.add(parsed, number, item, today)
        return parsed
    return schema.parse_lines(decoded.splitlines(), today)


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


async def records(request: Request) -> JSONResponse:
    secret: str | None = request.app.state.secret
    if secret is None:
        return JSONResponse({"error": f"the intake is switched off: set {SECRET_VARIABLE}"}, 503)
    given = request.headers.get("authorization", "")
    if not given.startswith("Bearer "):
        return JSONResponse({"error": "send Authorization: Bearer <secret>"}, 401,
                            headers={"WWW-Authenticate": 'Bearer realm="lender"'})
    # Compared as SHA-256 digests in constant time: not even the secret's length shows in the timing.
    if not hmac.compare_digest(_digest(given.removeprefix("Bearer ")), _digest(secret)):
        log.warning("lender intake: a request with a wrong secret")
        return JSONResponse({"error": "wrong secret"}, 403)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in JSON_TYPES + LINES_TYPES:
        return JSONResponse({"error": "send application/x-ndjson (JSON lines) or application/json"}, 415)
    limit = schema.policy().max_body_bytes
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > limit):
        return JSONResponse({"error": f"body larger than {limit} bytes: split the batch"}, 413)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return JSONResponse({"error": f"body larger than {limit} bytes: split the batch"}, 413)
    parsed = _parse_body(bytes(body), content_type, clock.today())
    outcome = parsed if isinstance(parsed, Outcome) else \
        await asyncio.to_thread(take_in_batch, parsed, via="http", database_url=request.app.state.database_url)
    return JSONResponse(outcome.as_dict(), outcome.status)


def create_app(*, secret: str | None, database_url: str | None = None) -> Starlette:
    app = Starlette(routes=[Route("/health", health, methods=["GET"]),
                            Route("/lender/v1/records", records, methods=["POST"])])
    app.state.secret = secret
    app.state.database_url = database_url
    return app
