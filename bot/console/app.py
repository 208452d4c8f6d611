"""The staff console as one Starlette app (issue 5): `python -m bot.console serve`.

Localhost only by default; it reads cases from the database and the conversation from Rasa's
HTTP API, and speaks to the customer only through that API.
"""
from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from bot.console import case_actions, collection, dashboard, decisions, followups, stream, timelines, views
from bot.console.security import SecurityHeaders
from bot.console.throttle import AddressThrottle
from bot.rasa_api import RasaApi

STATIC = Path(__file__).with_name("static")


def routes() -> list:
    return [
        Route("/login", views.login_page, methods=["GET"]),
        Route("/login", views.login, methods=["POST"]),
        Route("/logout", views.logout, methods=["POST"]),
        Route("/", views.home, methods=["GET"]),
        Route("/queue", views.queue_page, methods=["GET"]),
        Route("/queue/rows", views.queue_rows, methods=["GET"]),
        Route("/audit", views.audit_page, methods=["GET"]),
        Route("/dashboard", dashboard.dashboard_page, methods=["GET"]),
        Route("/dashboard/charts/{name}.svg", dashboard.dashboard_chart, methods=["GET"]),
        Route("/dashboard/data/{name}.csv", dashboard.dashboard_csv, methods=["GET"]),
        Route("/followups", followups.followups_page, methods=["GET"]),
        Route("/collection", collection.collection_page, methods=["GET"]),
        Route("/timelines", timelines.timelines_page, methods=["GET"]),
        Route("/collection/{loan_id:int}/notice", collection.send_notice, methods=["POST"]),
        Route("/collection/{loan_id:int}/handover", collection.hand_over, methods=["POST"]),
        Route("/cases/{case_id:int}", views.case_page, methods=["GET"]),
        Route("/cases/{case_id:int}/events", stream.case_events, methods=["GET"]),
        Route("/cases/{case_id:int}/reply", case_actions.reply, methods=["POST"]),
        Route("/cases/{case_id:int}/notes", case_actions.add_note, methods=["POST"]),
        Route("/cases/{case_id:int}/stance", case_actions.judge_stance, methods=["POST"]),
        Route("/cases/{case_id:int}/assign", case_actions.assign_to_me, methods=["POST"]),
        Route("/cases/{case_id:int}/resolve", case_actions.resolve, methods=["POST"]),
        Route("/cases/{case_id:int}/handback", case_actions.hand_back, methods=["POST"]),
        Route("/cases/{case_id:int}/solution/confirm", decisions.confirm_solution, methods=["POST"]),
        Route("/cases/{case_id:int}/solution/adjust", decisions.adjust_solution, methods=["POST"]),
        Route("/cases/{case_id:int}/solution/customer-agreed", decisions.customer_agreed, methods=["POST"]),
        Mount("/static", StaticFiles(directory=str(STATIC)), name="static"),
    ]


def create_app(rasa: RasaApi | None = None, poll_seconds: float = 2.0, stream_seconds: float = 300.0) -> Starlette:
    app = Starlette(routes=routes(), middleware=[Middleware(SecurityHeaders)])
    app.state.rasa = rasa or RasaApi()
    app.state.login_throttle = AddressThrottle()
    app.state.poll_seconds = poll_seconds
    app.state.stream_seconds = stream_seconds
    return app
