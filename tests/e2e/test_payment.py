"""Sanne pays her € 210 from the chat on the local payment page, and the conversation hears it
(issue 4), against the real Rasa server, action server and customer web app."""
from __future__ import annotations

import re

import pytest
import requests
from sqlalchemy import create_engine, text

from tests.e2e.servers import decode_qr, wait_until
from tests.e2e.test_core_conversation import texts, verify


@pytest.fixture(scope="module")
def web(stack):
    return stack  # scripts/run.sh starts the customer web app with everything else


@pytest.fixture
def sanne_restored(web):
    """Sanne's arrears and arrears episodes come back after this test: the other tests on this stack
    talk to her too, and paying ends her open episode, which would make her next arrears look
    recurring (R9) to the conversations after this one."""
    engine = create_engine(web.database_url)
    loan = "SELECT id FROM loans WHERE reference = 'PE-100001'"
    with engine.connect() as connection:
        episodes = connection.execute(text(f"SELECT * FROM arrears_episodes WHERE loan_id = ({loan})")).mappings().all()
    yield
    with engine.begin() as connection:
        connection.execute(text("UPDATE loans SET arrears_cents = 21000, terms_behind = 1 "
                                "WHERE reference = 'PE-100001'"))
        connection.execute(text(f"DELETE FROM arrears_episodes WHERE loan_id = ({loan})"))
        for episode in episodes:
            columns = ", ".join(episode.keys())
            values = ", ".join(f":{name}" for name in episode.keys())
            connection.execute(text(f"INSERT INTO arrears_episodes ({columns}) VALUES ({values})"), dict(episode))


def test_sanne_pays_from_the_chat_and_hears_it(web, sender, sanne_restored):
    stack = web
    verify(stack, sender, "100001", "12-04-1988")
    reply = texts(stack.say(sender, "ik wil het nu meteen betalen"))
    assert "Hoe wil je betalen?" in reply
    link_reply = texts(stack.say(sender, "link"))
    url = re.search(r"https?://\S+", link_reply).group(0)
    assert url.startswith(stack.web_url) and stack.slots(sender)["payment_url"] == url

    # Asking again finds the same payment (one link per case and amount), now as a QR code.
    stack.say(sender, "ik wil toch betalen")
    qr_reply = stack.say(sender, "qr")
    assert stack.slots(sender)["payment_url"] == url
    image = next(m["image"] for m in qr_reply if m.get("image"))
    assert decode_qr(requests.get(image, timeout=10).content) == url

    page = requests.get(url, timeout=10)
    assert page.ok and "€ 210" in page.text
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    done = requests.post(url, data={"csrf": token, "action": "pay", "amount": "210,00"}, timeout=30,
                         cookies=page.cookies)
    assert done.ok

    database = create_engine(stack.database_url)

    def paid() -> bool:
        with database.connect() as connection:
            arrears = connection.execute(text("SELECT arrears_cents FROM loans WHERE reference = 'PE-100001'")).scalar()
            status = connection.execute(text("SELECT status FROM payments ORDER BY id DESC LIMIT 1")).scalar()
        return (arrears, status) == (0, "paid")

    # The page answers at once; the webhook goes the same way Mollie's does, just after.
    wait_until(paid, 15, "the payment and the arrears in the database")
    # The web app tells the conversation right after the webhook, without waiting for the page.
    def confirmed() -> bool:
        said = [e.get("text") or "" for e in stack.tracker(sender)["events"] if e["event"] == "bot"]
        return any("€ 210" in t and ("binnen" in t or "ontvangen" in t) for t in said)

    wait_until(confirmed, 15, "the payment confirmation in the conversation")


def test_bank_transfer_details_with_a_valid_epc_code(web, sender):
    stack = web
    verify(stack, sender, "100002", "03-11-1979")
    stack.say(sender, "kan ik nu betalen")
    reply = texts(stack.say(sender, "ik maak het zelf over"))
    assert "NL91ABNA0417164300" in reply and "RF" in reply
    epc = decode_qr(requests.get(stack.slots(sender)["epc_qr_url"], timeout=10).content).split("\n")
    assert epc[:4] == ["BCD", "002", "1", "SCT"] and epc[6] == "NL91ABNA0417164300"
    assert epc[7] == "EUR750.00" and epc[9].startswith("RF")
