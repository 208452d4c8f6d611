"""Console fixtures: a migrated SQLite database, two staff users, a fake Rasa HTTP server, and
the app under Starlette's TestClient."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from starlette.testclient import TestClient

from bot import clock
from bot.config import settings
from bot.console.app import create_app
from bot.console.users import add_user
from bot.rasa_api import RasaApi
from bot.store.db import session_scope
from bot.store.models import Case
from tests.console.fake_rasa import TOKEN, FakeRasa

PASSWORDS = {"agent": "agent-password-123", "supervisor": "supervisor-password-123"}
SENDER = "rest:klant-42"

SUMMARY = {
    "priority": "high", "reason": "multiple_problems",
    "customer": {"name": "Mohamed El Amrani", "customer_number": "100002", "phone": "+31611111111"},
    "loans": [{"reference": "RK-100002", "loan_name": "doorlopend krediet", "terms_behind": 3,
               "arrears": "€ 750", "monthly_term": "€ 250"}],
    "cause": {"category": "job_loss", "structural": True, "description": "ik ben mijn baan kwijt", "followup": None},
    "control": {"income_changed": True, "other_debts": None},
    "finances": {"net_monthly_income": 1450.0, "household_type": "family", "children": 2,
                 "monthly_capacity": "€ 120"},
    "signals": [{"name": "bailiff", "text": "de deurwaarder stond aan de deur"}],
    "offer": None,
    "open_payments": [],
}


@pytest.fixture
def fake_rasa():
    server = FakeRasa().start()
    yield server
    server.stop()


@pytest.fixture
def staff(database):
    return {role: add_user(role, role, f"Demo {role}", PASSWORDS[role]) for role in PASSWORDS}


@pytest.fixture
def app(database, fake_rasa, staff):
    return create_app(RasaApi(base_url=fake_rasa.url, token=TOKEN), poll_seconds=0.05, stream_seconds=0.5)


@pytest.fixture
def client(app):
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


def login(client: TestClient, username: str, password: str | None = None):
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return client.post("/login", data={"username": username, "password": password or PASSWORDS[username],
                                       "csrf_token": token})


def csrf(client: TestClient, path: str = "/queue") -> str:
    return re.search(r'name="csrf-token" content="([^"]+)"', client.get(path).text).group(1)


@pytest.fixture
def agent(client):
    assert login(client, "agent").status_code == 303
    return client


def handed_over_case(sender: str = SENDER, *, reason: str = "multiple_problems", minutes_ago: int = 5,
                     summary: dict | None = SUMMARY, offer: dict | None = None) -> int:
    with session_scope() as session:
        case = Case(sender_id=sender, channel="rest", status="handed_over", answers={}, finances={}, signals=[],
                    handoff_reason=reason, summary=summary, offer=offer,
                    handed_over_at=clock.utcnow() - timedelta(minutes=minutes_ago))
        session.add(case)
        session.flush()
        return case.id


@pytest.fixture
def case_id(fake_rasa):
    fake_rasa.say(SENDER, "ik wil een medewerker spreken")
    fake_rasa.add(SENDER, {"event": "bot", "text": "Ik geef je door aan een collega."})
    fake_rasa.add(SENDER, {"event": "pause"})
    return handed_over_case()


@pytest.fixture(autouse=True)
def _fresh_settings():
    settings.cache_clear()
    yield
    settings.cache_clear()
