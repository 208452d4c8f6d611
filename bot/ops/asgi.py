"""`/metrics` and `/health` for our ASGI apps (customer web app, staff console), added around
the app at start-up (`python -m bot.web`, `python -m bot.console serve`) so the apps stay as they are.

Request counts and a latency histogram come from this process; payments and handovers are read
from the database at scrape time, so every process reports the same totals and nothing is
lost at a restart.
"""
from __future__ import annotations

import asyncio
import time

from sqlalchemy import text

from bot.ops.metrics import Metrics
from bot.store.db import session_scope

JSON = [(b"content-type", b"application/json"), (b"cache-control", b"no-store")]


def _business_gauges(namespace: str) -> str:
    lines = []
    with session_scope() as session:
        payments = session.execute(text("SELECT status, count(*) FROM payments GROUP BY status")).all()
        handovers = session.execute(text(
            "SELECT CASE WHEN resolved_at IS NULL THEN 'open' ELSE 'resolved' END, count(*) FROM cases "
            "WHERE handed_over_at IS NOT NULL GROUP BY 1")).all()
    lines.append(f"# HELP {namespace}_payments payment requests by status (database)")
    lines.append(f"# TYPE {namespace}_payments gauge")
    for status, count in payments or [("open", 0)]:
        lines.append(f'{namespace}_payments{{status="{status}"}} {count}')
    lines.append(f"# HELP {namespace}_handovers cases handed over to staff (database)")
    lines.append(f"# TYPE {namespace}_handovers gauge")
    for state, count in handovers or [("open", 0)]:
        lines.append(f'{namespace}_handovers{{state="{state}"}} {count}')
    return "\n".join(lines) + "\n"


class Observed:
    """ASGI wrapper: serves GET /metrics (and GET /health when the app has none), counts the rest."""

    def __init__(self, app, namespace: str, own_health: bool = False) -> None:
        self.app = app
        self.namespace = namespace
        self.metrics = Metrics(namespace)
        self.own_health = own_health

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path, method = scope.get("path", ""), scope.get("method", "GET")
        if method == "GET" and path == "/metrics":
            return await self._metrics(send)
        if method == "GET" and path == "/health" and self.own_health:
            return await self._health(send)
        started, status = time.perf_counter(), [500]

        async def observing_send(message):
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, observing_send)
        finally:
            self.metrics.observe_request(time.perf_counter() - started, status[0])

    async def _metrics(self, send):
        body = self.metrics.render()
        try:
            body += await asyncio.to_thread(_business_gauges, self.namespace)
        except Exception:  # noqa: BLE001 - the process's own figures still count
            body += f"# database unavailable\n{self.namespace}_database_up 0\n"
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/plain; version=0.0.4; charset=utf-8")]})
        await send({"type": "http.response.body", "body": body.encode()})

    async def _health(self, send):
        def check():
            with session_scope() as session:
                session.execute(text("SELECT 1"))
        try:
            await asyncio.to_thread(check)
            status, body = 200, b'{"status": "ok"}'
        except Exception as error:  # noqa: BLE001
            status, body = 503, f'{{"status": "unavailable", "reason": "database: {type(error).__name__}"}}'.encode()
        await send({"type": "http.response.start", "status": status, "headers": JSON})
        await send({"type": "http.response.body", "body": body})
