"""Whole conversations on every channel, with the demo customers' data in them, then a scan of
every process's output of the `make run` stack for that data: 0 hits (issue 23 §2).

One stack (scripts/run.sh) with Twilio and Telegram mounted by their test secrets, their APIs
pointed at local stand-ins. Customers type names, birth dates, IBANs in any case and spacing,
phone numbers the Dutch ways, customer numbers and slash syntax; one pays through the web app;
a staff member logs in with the demo password. Nothing of it may be in the log, nor the demo
passwords, nor a payment's public id."""
from __future__ import annotations

import json
import re
import stat
import time

import pytest
import requests
from sqlalchemy import create_engine, text
from twilio.request_validator import RequestValidator

from tests.channels.conftest import StandIn
from tests.e2e.servers import MODEL, make_stack, wait_until

pytestmark = pytest.mark.e2e

TWILIO_TOKEN = "e2e-logs-twilio-token"
ACCOUNT = "AC" + "d" * 32
PUBLIC = "https://betaalhulp.example.nl"
TELEGRAM_SECRET = "e2e-logs-telegram-secret"

# What the customers type, per channel (the demo customers of README "Demo customers").
REST = ["hoi", "100001", "12-04-1988",
        "Ik ben Sanne de Vries, mijn rekening is nl91 abna 0417 1643 00, bel me op 06-1234 5678",
        "ik wil het nu meteen betalen", "link"]
WIDGET = ["hoi", "100002", "3 november 1979",
          "Mohamed El Amrani hier. Mijn vaste nummer is 020-1234567, rekening NL91ABNA0417164300"]
WHATSAPP = ["hoi", "21-07-1965", "Ik ben Petra Jansen, bel me gerust op +31 6 12345678 of 0031 6 1234 5678"]
TELEGRAM = ["hoi", "100004", "30/1/92", '/inform{"name": "Kees Bakker", "iban": "NL91ABNA0417164300"}',
            "Fatima Yilmaz is mijn zus, geboren 15-09-1983, haar nummer is 06 87654321"]

NAMES = ["Sanne", "Vries", "Mohamed", "Amrani", "Petra", "Jansen", "Kees", "Bakker", "Fatima", "Yilmaz"]
DATES = ["12-04-1988", "1988-04-12", "3 november 1979", "1979-11-03", "21-07-1965", "1965-07-21", "30/1/92",
         "1992-01-30", "15-09-1983", "1983-09-15"]
NUMBERS = ["100001", "100002", "100003", "100004", "100005"]
IBAN_PARTS = ["abna0417", "abna 0417", "0417164300", "0417 1643"]
PHONES = ["1234 5678", "12345678", "1234567", "87654321", "612345001", "612345003", "612345004"]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    if not MODEL.exists():
        pytest.fail("no trained model: run `make train` (make test does it for you)")
    twilio_api, telegram_api = StandIn("twilio").start(), StandIn("telegram").start()
    stack = make_stack(tmp_path_factory.mktemp("e2e-logs"), **{
        "TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
        "TWILIO_WHATSAPP_FROM": "whatsapp:+14155238886", "TWILIO_SMS_FROM": "+3197010250000",
        "TWILIO_PUBLIC_URL": PUBLIC, "TWILIO_API_BASE_URL": twilio_api.url,
        "TELEGRAM_BOT_TOKEN": "7000000002:AAE2E-logs", "TELEGRAM_SECRET_TOKEN": TELEGRAM_SECRET,
        "TELEGRAM_API_BASE_URL": f"{telegram_api.url}/bot"})
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()
        twilio_api.stop()
        telegram_api.stop()


def rest(stack, sender: str, message: str) -> str:
    return "\n".join(m.get("text", "") for m in stack.say(sender, message))


def widget(stack, messages: list[str]) -> None:
    base = f"{stack.rasa_url}/webhooks/widget"
    headers = {"Origin": stack.web_url, "Content-Type": "text/plain"}
    token = requests.post(f"{base}/session", data="{}", headers=headers, timeout=30).json()["token"]
    for message in messages:
        answer = requests.post(f"{base}/message", data=json.dumps({"token": token, "message": message}),
                               headers=headers, timeout=120)
        assert answer.status_code == 200, answer.text


def whatsapp(stack, phone: str, messages: list[str]) -> None:
    path = "/webhooks/twilio_signed/webhook"
    for index, message in enumerate(messages):
        sid = f"SM{index:032d}"
        form = {"SmsMessageSid": sid, "NumMedia": "0", "ProfileName": "Petra", "SmsSid": sid, "WaId": phone[1:],
                "SmsStatus": "received", "Body": message, "To": "whatsapp:+14155238886", "NumSegments": "1",
                "MessageSid": sid, "AccountSid": ACCOUNT, "From": f"whatsapp:{phone}", "ApiVersion": "2010-04-01"}
        signature = RequestValidator(TWILIO_TOKEN).compute_signature(PUBLIC + path, form)
        answer = requests.post(stack.rasa_url + path, data=form, headers={"X-Twilio-Signature": signature},
                               timeout=120)
        assert answer.status_code == 200, answer.text


def telegram(stack, chat_id: int, messages: list[str]) -> None:
    hook = f"{stack.rasa_url}/webhooks/telegram_secret/webhook"
    for index, message in enumerate(messages, start=7000):
        update = {"update_id": index, "message": {
            "message_id": index, "date": 1763805600, "text": message,
            "from": {"id": chat_id, "is_bot": False, "first_name": "Kees"},
            "chat": {"id": chat_id, "first_name": "Kees", "type": "private"}}}
        answer = requests.post(hook, data=json.dumps(update), timeout=120, headers={
            "Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET})
        assert answer.status_code == 200, answer.text


def pay_on_the_page(stack, url: str) -> None:
    page = requests.get(url, timeout=10)
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    assert requests.post(url, data={"csrf": token, "action": "pay", "amount": "210,00"}, timeout=30,
                         cookies=page.cookies).ok


def console_login(stack, username: str, password: str) -> int:
    session = requests.Session()
    page = session.get(f"{stack.console_url}/login", timeout=10)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return session.post(f"{stack.console_url}/login", data={"username": username, "password": password,
                                                            "csrf_token": token},
                        allow_redirects=False, timeout=30).status_code


def test_no_process_logs_personal_data_passwords_or_payment_ids(world):
    stack = world
    # REST: Sanne verifies, tells her name, IBAN and phone, and pays through the web app.
    replies = [rest(stack, "logs-rest", message) for message in REST]
    assert "€ 210" in "\n".join(replies)
    pay_on_the_page(stack, re.search(r"https?://\S+/pay/\S+", replies[-1]).group(0))
    widget(stack, WIDGET)
    whatsapp(stack, "+31612345003", WHATSAPP)
    telegram(stack, 55777, TELEGRAM)

    # The demo passwords: in a file only its owner reads, and they work.
    password_file = stack.data_dir / "demo-staff-passwords.txt"
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
    passwords = dict(line.split(": ", 1) for line in password_file.read_text().splitlines())
    assert console_login(stack, "agent", passwords["agent"]) == 303
    assert console_login(stack, "agent", "Sanne de Vries 12-04-1988") == 401

    database = create_engine(stack.database_url)

    def paid() -> bool:
        with database.connect() as connection:
            return connection.execute(text("SELECT count(*) FROM payments WHERE status = 'paid'")).scalar() == 1

    wait_until(paid, 30, "the payment")
    with database.connect() as connection:
        public_ids = list(connection.execute(text("SELECT public_id FROM payments")).scalars())
    assert public_ids
    time.sleep(3)  # the last lines through the supervisor

    log = stack.log_file.read_text(errors="replace")
    assert "rasa     |" in log and "web      |" in log and "console  |" in log and "actions  |" in log
    typed = [m for m in REST + WIDGET + WHATSAPP + TELEGRAM if len(m) >= 12]
    secrets = (NAMES + DATES + NUMBERS + PHONES + typed + list(passwords.values()) + public_ids)
    hits = [item for item in secrets if item in log]
    hits += [item for item in IBAN_PARTS if item in log.lower()]
    assert hits == [], [line for line in log.splitlines() if any(h in line or h in line.lower() for h in hits)][:20]
