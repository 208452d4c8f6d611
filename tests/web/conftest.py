"""The customer web app built with create_app(), driven by Starlette's TestClient."""
from __future__ import annotations

import re

import httpx
import pytest
from starlette.testclient import TestClient

from bot.payments.service import request_payment
from bot.rasa_api import RasaApi
from bot.store.db import session_scope
from bot.web.app import create_app
from tests.payments.conftest import demo_loan, rasa_server  # noqa: F401 - fixture re-used here


class App:
    def __init__(self, database, rasa_url):
        self.database = database
        self.app = create_app(database_url=database, rasa=RasaApi(base_url=rasa_url, token="t"),
                              run_retry_loop=False)
        # The local provider's webhook goes to this very app, in process (no port needed).
        self.app.state.local_webhook_transport = httpx.ASGITransport(app=self.app)
        self.client = TestClient(self.app, base_url="http://localhost:8080")

    def ask(self, number="100001", amount=21000, key="turn-1", sender="rest:s1") -> str:
        loan = demo_loan(self.database, number)
        with session_scope(self.database) as session:
            return request_payment(session, customer_id=loan.customer_id, loan_id=loan.loan_id,
                                   amount_cents=amount, sender_id=sender, channel="rest",
                                   idempotency_key=key).public_id

    def form_token(self, public_id: str) -> str:
        page = self.client.get(f"/pay/{public_id}")
        assert page.status_code == 200, page.text
        return re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)

    def press(self, public_id: str, action: str, amount: str | None = None):
        data = {"csrf": self.form_token(public_id), "action": action}
        if amount is not None:
            data["amount"] = amount
        return self.client.post(f"/pay/{public_id}", data=data, follow_redirects=False)


@pytest.fixture
def web(database, rasa_server):  # noqa: F811 - the fixture imported above
    app = App(database, rasa_server.url)
    app.rasa = rasa_server
    with app.client:
        yield app
