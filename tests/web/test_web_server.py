"""`python -m bot.web` as a real process on a free port: the payment page posts the local
provider's webhook over real HTTP to the same server, and a Rasa stand-in receives the message."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from bot.payments.service import request_payment
from bot.store.db import session_scope
from tests.e2e.servers import free_port
from tests.payments.conftest import demo_loan, loan_state, payment_row
from tests.rasa_auth import signed_by

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def web_process(database, rasa_server, tmp_path):
    port = free_port()
    env = {**os.environ, "BETAALHULP_DATABASE_URL": database, "WEB_PORT": str(port), "WEB_HOST": "127.0.0.1",
           "BETAALHULP_PUBLIC_URL": f"http://127.0.0.1:{port}", "RASA_URL": rasa_server.url,
           "RASA_AUTH_TOKEN": "e2e", "BETAALHULP_PAYMENT_PROVIDER": "local"}
    log = open(tmp_path / "web.log", "wb")
    process = subprocess.Popen([sys.executable, "-m", "bot.web"], cwd=ROOT, env=env, stdout=log,
                               stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        process.terminate()
        pytest.fail((tmp_path / "web.log").read_text())
    yield base, env
    process.terminate()
    process.wait(timeout=10)
    log.close()
    # Nothing personal in the server's log (payment ids only).
    text = (tmp_path / "web.log").read_text()
    for private in ("Sanne", "whatsapp", "31612345001", "token=", "€"):
        assert private not in text, text


def test_pay_on_the_page_and_the_conversation_hears_it(database, rasa_server, web_process, monkeypatch):
    base, env = web_process
    monkeypatch.setenv("BETAALHULP_PUBLIC_URL", env["BETAALHULP_PUBLIC_URL"])
    from bot.config import settings

    settings.cache_clear()
    loan = demo_loan(database, "100001")
    with session_scope(database) as session:
        made = request_payment(session, customer_id=loan.customer_id, loan_id=loan.loan_id, amount_cents=21000,
                               sender_id="whatsapp:+31612345001", channel="whatsapp", idempotency_key="e2e")
    assert made.checkout_url == f"{base}/pay/{made.public_id}"
    with httpx.Client(base_url=base, timeout=10) as browser:
        page = browser.get(f"/pay/{made.public_id}")
        token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        done = browser.post(f"/pay/{made.public_id}", data={"csrf": token, "action": "pay", "amount": "210,00"},
                            follow_redirects=True)
        assert done.status_code == 200 and str(done.url).endswith("/done")
    deadline = time.monotonic() + 20
    while payment_row(database, made.public_id).customer_notified_at is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert payment_row(database, made.public_id).status == "paid"
    assert loan_state(database, loan.loan_id) == (0, 0)
    execute = [r for r in rasa_server.requests if r.path.endswith("/execute")]
    assert [r.json() for r in execute] == [{"name": "utter_payment_received"}]
    assert "token" not in execute[0].query and signed_by(execute[0].headers["authorization"], "e2e")
