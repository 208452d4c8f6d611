"""One conversation per channel through the real Rasa server and action server (started with
credentials.channels.yml); the bot's replies arrive at local stand-ins for Twilio's and
Telegram's APIs. One Rasa server for both tests: the machine has two cores."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
import requests
from sqlalchemy import update
from twilio.request_validator import RequestValidator

from bot import clock
from bot.channels.twilio import load_templates
from bot.store.db import session_scope
from bot.store.models import ChannelSender
from tests.channels.conftest import StandIn
from tests.e2e.servers import MODEL, make_stack

pytestmark = pytest.mark.e2e

TWILIO_TOKEN = "e2e-twilio-auth-token"
ACCOUNT = "AC" + "e" * 32
PUBLIC = "https://betaalhulp.example.nl"
TELEGRAM_TOKEN = "7000000001:AAE2E-token"
TELEGRAM_SECRET = "e2e-telegram-secret"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    if not MODEL.exists():
        pytest.fail("no trained model: run `make train` (make test does it for you)")
    twilio_api, telegram_api = StandIn("twilio").start(), StandIn("telegram").start()
    # scripts/run.sh mounts credentials.channels.yml because the channels' secrets are set.
    stack = make_stack(tmp_path_factory.mktemp("e2e-channels"), **{
        "TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
        "TWILIO_WHATSAPP_FROM": "whatsapp:+14155238886", "TWILIO_SMS_FROM": "+3197010250000",
        "TWILIO_PUBLIC_URL": PUBLIC, "TWILIO_API_BASE_URL": twilio_api.url,
        "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN, "TELEGRAM_SECRET_TOKEN": TELEGRAM_SECRET,
        "TELEGRAM_API_BASE_URL": f"{telegram_api.url}/bot"})
    try:
        stack.start()
        yield stack, twilio_api, telegram_api
    finally:
        stack.stop()
        twilio_api.stop()
        telegram_api.stop()


def whatsapp(stack, sid: str, text: str, phone: str, signed: bool = True) -> requests.Response:
    path = "/webhooks/twilio_signed/webhook"
    form = {"SmsMessageSid": sid, "NumMedia": "0", "ProfileName": "Sanne", "SmsSid": sid, "WaId": phone[1:],
            "SmsStatus": "received", "Body": text, "To": "whatsapp:+14155238886", "NumSegments": "1",
            "MessageSid": sid, "AccountSid": ACCOUNT, "From": f"whatsapp:{phone}", "ApiVersion": "2010-04-01"}
    headers = {"X-Twilio-Signature": RequestValidator(TWILIO_TOKEN if signed else "forged").compute_signature(
        PUBLIC + path, form)}
    return requests.post(stack.rasa_url + path, data=form, headers=headers, timeout=120)


def bodies(api: StandIn, since: int) -> str:
    return "\n".join(r.field("Body") or r.field("text") or "" for r in api.requests[since:])


def test_whatsapp_verification_by_phone_and_birth_date(world):
    stack, twilio_api, _ = world
    phone = "+31612345001"
    sender = f"twilio_whatsapp:{phone}"

    assert whatsapp(stack, "SM" + "f" * 31 + "0", "hoi", phone, signed=False).status_code == 403
    assert stack.tracker(sender)["events"] in ([], None) or not any(
        e["event"] == "user" for e in stack.tracker(sender)["events"])

    start = len(twilio_api.requests)
    assert whatsapp(stack, "SM" + "f" * 31 + "1", "hoi", phone).status_code == 200
    greeting = bodies(twilio_api, start).lower()
    assert "geboortedatum" in greeting and "klantnummer" not in greeting  # the phone is vouched for
    assert all(r.field("To") == f"whatsapp:{phone}" for r in twilio_api.requests[start:])

    start = len(twilio_api.requests)
    assert whatsapp(stack, "SM" + "f" * 31 + "2", "12-04-1988", phone).status_code == 200
    # Twilio's retry of the same message: no second turn
    assert whatsapp(stack, "SM" + "f" * 31 + "2", "12-04-1988", phone).status_code == 200
    reply = bodies(twilio_api, start)
    assert "€ 210" in reply and "persoonlijke lening" in reply
    slots = stack.slots(sender)
    assert slots["verified"] is True and slots["birth_date"] is None
    user_turns = [e for e in stack.tracker(sender)["events"] if e["event"] == "user"]
    assert len(user_turns) == 2
    assert user_turns[-1]["metadata"]["verified_phone"] == phone
    assert user_turns[-1]["input_channel"] == "twilio_signed"

    # a staff reply pushed through Rasa's HTTP API reaches WhatsApp (inside the 24-hour window)
    start = len(twilio_api.requests)
    pushed = stack.push(sender, "Hallo, met Anja van de klantenservice.")
    assert pushed.status_code == 200
    assert bodies(twilio_api, start) == "Hallo, met Anja van de klantenservice."

    # 25 hours later (the stored last message moved back): the payment confirmation, pushed the way
    # bot/payments/notify.py does it, goes as its approved template and Rasa answers 200, not 500
    with session_scope(stack.database_url) as session:
        session.execute(update(ChannelSender).where(ChannelSender.sender_id == sender)
                        .values(last_inbound_at=clock.utcnow() - timedelta(hours=25)))
    start = len(twilio_api.requests)
    assert requests.post(f"{stack.rasa_url}/conversations/{sender}/tracker/events", headers=stack.api_headers(), timeout=60,
                         json=[{"event": "slot", "name": "payment_amount", "value": "€ 210"}]).status_code == 200
    executed = requests.post(f"{stack.rasa_url}/conversations/{sender}/execute", timeout=60,
                             headers=stack.api_headers(), params={"output_channel": "latest"},
                             json={"name": "utter_payment_received"})
    assert executed.status_code == 200
    [template] = twilio_api.requests[start:]
    assert template.field("ContentSid") == load_templates()["payment_confirmed"].content_sid
    assert json.loads(template.field("ContentVariables"))["1"] == "€ 210" and template.field("Body") is None


def test_telegram_verification_by_customer_number_and_a_push(world):
    stack, _, telegram_api = world
    chat_id = 55501
    sender = f"telegram:{chat_id}"
    hook = f"{stack.rasa_url}/webhooks/telegram_secret/webhook"

    def say(update_id: int, text: str, secret: str = TELEGRAM_SECRET) -> requests.Response:
        update = {"update_id": update_id, "message": {
            "message_id": update_id, "date": 1763805600, "text": text,
            "from": {"id": chat_id, "is_bot": False, "first_name": "Sanne"},
            "chat": {"id": chat_id, "first_name": "Sanne", "type": "private"}}}
        return requests.post(hook, data=json.dumps(update), timeout=120,
                             headers={"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": secret})

    assert say(900, "hoi", secret="wrong").status_code == 403
    start = len(telegram_api.requests)
    assert say(901, "hoi").status_code == 200
    assert "klantnummer" in bodies(telegram_api, start).lower()
    assert all(r.field("chat_id") == str(chat_id) for r in telegram_api.requests[start:])
    say(902, "100001")
    start = len(telegram_api.requests)
    say(903, "12-04-1988")
    say(903, "12-04-1988")  # Telegram's redelivery
    assert "€ 210" in bodies(telegram_api, start)
    assert stack.slots(sender)["verified"] is True
    assert len([e for e in stack.tracker(sender)["events"] if e["event"] == "user"]) == 3

    start = len(telegram_api.requests)
    pushed = stack.push(sender, "Je betaling is binnen. Dank je wel!")
    assert pushed.status_code == 200
    [sent] = telegram_api.requests[start:]
    assert sent.method == "sendMessage" and sent.field("text") == "Je betaling is binnen. Dank je wel!"


def test_a_follow_up_to_a_new_sms_conversation_carries_its_values(world):
    """The follow-up engine's first SMS to a customer who never chatted: the values it sets as
    slots are in the text (they were lost with the session Rasa started in the same request, and
    the customer read "Je betaling van None"; found by tests/scale/test_hosts.py)."""
    import asyncio

    from bot.rasa_api import RasaApi

    stack, twilio_api, _ = world
    phone = "+31612399001"
    before = len(twilio_api.requests)
    asyncio.run(RasaApi(base_url=stack.rasa_url, token=stack.token).utter(
        f"twilio_sms:{phone}", "utter_followup_new_arrears",
        {"arrears_amount": "€ 210", "payment_link": "https://pay.example/p/1", "payment_qr_url": "https://pay.example/q/1.png"},
        output_channel="twilio_signed"))
    bodies = [r.field("Body") for r in twilio_api.requests[before:] if r.field("To") == phone]
    assert bodies and "€ 210" in bodies[0] and "https://pay.example/p/1" in bodies[0], bodies
    assert not any("None" in body for body in bodies), bodies
