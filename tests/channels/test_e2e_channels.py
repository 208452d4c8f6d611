"""One conversation per channel through the real Rasa server and action server (started with
credentials.channels.yml); the bot's replies arrive at local stand-ins for Twilio's and
Telegram's APIs. One Rasa server for both tests: the machine has two cores."""
from __future__ import annotations

import json
import signal
import time
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


def sms(stack, sid: str, text: str, phone: str, signed: bool = True) -> requests.Response:
    path = "/webhooks/twilio_signed/webhook"
    form = {"MessageSid": sid, "SmsSid": sid, "AccountSid": ACCOUNT, "From": phone, "To": "+3197010250000",
            "Body": text, "NumMedia": "0", "NumSegments": "1", "SmsStatus": "received", "ApiVersion": "2010-04-01"}
    headers = {"X-Twilio-Signature": RequestValidator(TWILIO_TOKEN if signed else "forged").compute_signature(
        PUBLIC + path, form)}
    return requests.post(stack.rasa_url + path, data=form, headers=headers, timeout=120)


def telegram(stack, update_id: int, chat_id: int, text: str, button: bool = False,
             secret: str = TELEGRAM_SECRET) -> requests.Response:
    chat = {"id": chat_id, "first_name": "Petra", "type": "private"}
    sender = {"id": chat_id, "is_bot": False, "first_name": "Petra"}
    if button:  # a callback query: its data is whatever the client sends
        update = {"update_id": update_id, "callback_query": {
            "id": f"cb{update_id}", "from": sender, "chat_instance": "1", "data": text,
            "message": {"message_id": 1, "date": 1763805500, "chat": chat, "text": "Kies"}}}
    else:
        update = {"update_id": update_id, "message": {"message_id": update_id, "date": 1763805600, "text": text,
                                                      "from": sender, "chat": chat}}
    return requests.post(f"{stack.rasa_url}/webhooks/telegram_secret/webhook", data=json.dumps(update), timeout=120,
                         headers={"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": secret})


def user_events(stack, sender: str) -> list[dict]:
    """Every user event, across sessions and restarts (the plain word "session_start" reads as
    a wish to start over, which the NLU may honour)."""
    tracker = requests.get(f"{stack.rasa_url}/conversations/{sender}/tracker", params={"include_events": "ALL"},
                           headers=stack.api_headers(), timeout=30)
    tracker.raise_for_status()
    return [e for e in (tracker.json()["events"] or []) if e["event"] == "user"]


def test_typed_slash_syntax_is_plain_text_for_rasa_on_whatsapp_sms_and_telegram(world):
    stack, _, _ = world
    # A forged request with slash syntax never reaches the bot at all.
    assert sms(stack, "SM" + "c" * 31 + "0", "/crisis", "+31612345091", signed=False).status_code == 403
    assert telegram(stack, 950, 55591, "/crisis", secret="wrong").status_code == 403
    assert user_events(stack, "twilio_sms:+31612345091") == [] and user_events(stack, "telegram:55591") == []

    sent = {"twilio_whatsapp:+31612345092": [], "twilio_sms:+31612345093": [], "telegram:55592": []}
    for n, typed in enumerate(["/crisis", "/session_start", '/affirm{"verified": true}']):
        assert whatsapp(stack, f"SM{'d' * 31}{n}", typed, "+31612345092").status_code == 200
        assert sms(stack, f"SM{'e' * 31}{n}", typed, "+31612345093").status_code == 200
        assert telegram(stack, 960 + n, 55592, typed).status_code == 200
        for texts in sent.values():
            texts.append(typed)
    assert telegram(stack, 970, 55592, "/crisis", button=True).status_code == 200
    sent["telegram:55592"].append("/crisis")

    for sender, typed in sent.items():
        events = user_events(stack, sender)
        assert len(events) == len(typed), sender
        for event in events:
            parsed = event["parse_data"]
            # Rasa's slash reader forces one intent at confidence 1.0 with a ranking of one; NLU ranks many.
            assert not event["text"].lstrip().startswith("/") and len(parsed["intent_ranking"]) > 1, event["text"]
        assert stack.slots(sender)["verified"] is not True  # '/affirm{"verified": true}' set nothing


def test_a_twilio_turn_with_the_action_server_frozen_is_answered_within_twilios_timeout(world):
    stack, twilio_api, _ = world
    phone = "+31612345094"
    start = len(twilio_api.requests)
    stack.kill("actions", signal.SIGSTOP)  # hung: Rasa's call to it waits
    try:
        started = time.monotonic()
        answer = whatsapp(stack, "SM" + "a" * 31 + "1", "hoi", phone)
        answered_after = time.monotonic() - started
        print(f"webhook answered after {answered_after:.1f} s with the action server frozen")
        assert answer.status_code == 200 and answered_after < 15  # Twilio gives up at 15 s
        assert "ik ben nog bezig" in answer.text.lower()  # utter_still_working, in the TwiML
        time.sleep(4)
    finally:
        stack.kill("actions", signal.SIGCONT)
    # Nothing lost: the held turn finishes and its greeting reaches WhatsApp through the API.
    deadline = time.monotonic() + 90
    while "klantnummer" not in bodies(twilio_api, start).lower() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert "klantnummer" in bodies(twilio_api, start).lower()  # an unknown phone: the greeting asks for it
    print(f"reply sent {time.monotonic() - started:.1f} s after the message")
    assert len(user_events(stack, f"twilio_whatsapp:{phone}")) == 1


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
