"""Fixtures for payments: demo loans from the seeded database, and a Rasa stand-in that records."""
from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from bot.payments.local import LocalProvider
from bot.store.db import session_scope
from bot.store.models import Customer, Loan, Payment
from tests.payments.http_server import RecordingServer


@dataclass(frozen=True)
class DemoLoan:
    customer_id: int
    loan_id: int


def demo_loan(url: str, number: str) -> DemoLoan:
    with session_scope(url) as session:
        customer = session.execute(select(Customer).where(Customer.customer_number == number)).scalar_one()
        return DemoLoan(customer.id, customer.loans[0].id)


def loan_state(url: str, loan_id: int) -> tuple[int, int]:
    with session_scope(url) as session:
        loan = session.get(Loan, loan_id)
        return loan.arrears_cents, loan.terms_behind


def payment_row(url: str, public_id: str) -> Payment:
    with session_scope(url) as session:
        return session.execute(select(Payment).where(Payment.public_id == public_id)).scalar_one()


@pytest.fixture
def sanne(database) -> DemoLoan:
    """100001: personal loan, term EUR 210, 1 term behind (21000 cents)."""
    return demo_loan(database, "100001")


@pytest.fixture
def mohamed(database) -> DemoLoan:
    """100002: revolving credit, term EUR 250, 3 terms behind (75000 cents)."""
    return demo_loan(database, "100002")


@pytest.fixture
def local(database) -> LocalProvider:
    return LocalProvider(public_url="http://localhost:8080", database_url=database)


class RasaStandIn:
    """Answers like Rasa's HTTP API (200 with a JSON body), or 503 / refused when told to."""

    def __init__(self) -> None:
        self.status = 200

    def __call__(self, request):
        if self.status != 200:
            return self.status, {"status": "failure", "message": "down"}, {}
        if request.method == "GET" and request.path.endswith("/tracker"):
            # The conversation the payment link was made in: it has history, so nothing starts a
            # new session before the message (bot/rasa_api.py reads this first).
            return 200, {"events": [{"event": "user", "text": "ik wil betalen"}]}, {}
        return 200, {"tracker": {}, "messages": []}, {}


@pytest.fixture
def rasa_server():
    stand_in = RasaStandIn()
    # What was sent to Rasa; the reads of the conversation before a message are answered, not kept.
    with RecordingServer(stand_in, record=lambda request: request.method != "GET") as server:
        server.stand_in = stand_in
        yield server
