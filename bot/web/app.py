"""The customer-facing Starlette app: `create_app()` for tests and for `python -m bot.web`."""
from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

import httpx
import jinja2
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from bot.config import settings
from bot.language.choice import LANGUAGES_DIR
from bot.payments.notify import retry_loop
from bot.payments.providers import PaymentProvider
from bot.rasa_api import RasaApi
from bot.store.db import session_scope
from bot.web import payment_routes, plan_routes, widget_routes
from bot.web.security import BodyLimit, FormTokens, SecurityHeaders

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent


def _check_database(database_url: str | None) -> None:
    with session_scope(database_url) as session:
        session.execute(text("SELECT 1"))


async def health(request: Request) -> JSONResponse:
    try:
        await asyncio.to_thread(_check_database, request.app.state.database_url)
    except Exception as error:  # noqa: BLE001 - any database failure means "not healthy"
        return JSONResponse({"status": "unavailable", "reason": f"database: {type(error).__name__}"}, 503)
    return JSONResponse({"status": "ok"})


def create_app(*, database_url: str | None = None, rasa: RasaApi | None = None,
               providers: dict[str, PaymentProvider] | None = None,
               local_webhook_transport: httpx.AsyncBaseTransport | None = None,
               retry_interval: float = 30.0, run_retry_loop: bool = True) -> Starlette:
    # Translated pages live in languages/<code>/pages/ (bot/web/page_language.py, issue 27).
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader([HERE / "templates", LANGUAGES_DIR]), autoescape=True,
                                     undefined=jinja2.StrictUndefined)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        task = None
        if run_retry_loop:
            task = asyncio.create_task(retry_loop(interval=retry_interval, rasa=app.state.rasa,
                                                  database_url=app.state.database_url))
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    app = Starlette(
        routes=[Route("/health", health, methods=["GET"]), *payment_routes.routes(), *plan_routes.routes(),
                *widget_routes.routes(),
                Mount("/static", StaticFiles(directory=HERE / "static"), name="static")],
        middleware=[Middleware(SecurityHeaders), Middleware(BodyLimit)],
        exception_handlers=payment_routes.exception_handlers(),
        lifespan=lifespan,
    )
    app.state.database_url = database_url
    app.state.rasa = rasa
    app.state.providers = dict(providers or {})
    app.state.local_webhook_transport = local_webhook_transport
    app.state.tokens = FormTokens(settings().web_secret)
    app.state.templates = Jinja2Templates(env=environment)
    return app
