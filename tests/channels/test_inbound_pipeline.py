"""Every channel passes the one inbound pipeline (issue 23 §1, §4), proven channel by channel on a
real Sanic app with REST, the widget, Twilio (WhatsApp and SMS) and Telegram mounted together, the
real domain's responses rendered by Rasa's own template generator, and local stand-ins for the
providers' APIs: typed slash syntax never forces an intent, the per-sender limit comes from
BETAALHULP_MAX_MESSAGES_PER_MINUTE with a kind answer, and a slow provider never holds up the
webhook past its timeout while the reply still arrives."""
from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from bot.channels.rest import SafeRestInput
from bot.channels.telegram import TelegramSecretInput, TelegramSettings
from bot.channels.twilio import TwilioSettings, TwilioSignedInput
from bot.channels.widget import WidgetInput
from bot.store.db import session_scope
from bot.store.models import ChannelOutbound
from tests.channels.conftest import StandIn
from tests.channels.test_widget import TrackerAgent

DOMAIN = Domain.load(str(Path(__file__).resolve().parents[2] / "domain"))
TWILIO_TOKEN = "pipeline-twilio-token-0123456789"
ACCOUNT = "AC" + "7" * 32
PUBLIC = "https://betaalhulp.example.nl"
TELEGRAM_TOKEN = "7000000002:AAPipeline-token"
TELEGRAM_SECRET = "pipeline-telegram-secret"
ORIGIN = "http://localhost:8080"
TWILIO_TIMEOUT = 15.0  # Twilio drops a webhook that takes longer


def said(name: str) -> str:
    return DOMAIN.responses[name][0]["text"]


class DomainAgent(TrackerAgent):
    """Stands in for Rasa's agent behind the channels (the conversation logic is not what is
    tested here): records each message, logs it in a real tracker store, sends `replies` through
    the message's own output channel. Kind answers are the real domain's, rendered by Rasa."""

    def __init__(self) -> None:
        super().__init__()
        self.domain = DOMAIN
        self.tracker_store = InMemoryTrackerStore(DOMAIN)
        self.processor = SimpleNamespace(nlg=TemplatedNaturalLanguageGenerator(DOMAIN.responses))
        self.replies = [{"text": "Hoi! Fijn dat je er bent."}]

    def texts_from(self, sender_id: str) -> list[str]:
        return [m.text for m in self.messages if m.sender_id == sender_id]


class Channels:
    """One customer on each channel; `send` returns (what the webhook answered as text, status)."""

    def __init__(self, app, twilio_api, telegram_api) -> None:
        self.app, self.twilio_api, self.telegram_api = app, twilio_api, telegram_api
        self.widget_token = self._post("/webhooks/widget/session", data="{}").json()["token"]
        self._ids = iter(range(10_000, 99_999))

    def _post(self, path: str, **kwargs) -> requests.Response:
        return requests.post(self.app.url + path, timeout=60, headers=kwargs.pop("headers", {"Origin": ORIGIN}),
                             **kwargs)

    def send(self, channel: str, text: str, n: int | None = None) -> tuple[int, str]:
        """`n` makes the provider's message id (a retry sends the same); a new one by default."""
        n = next(self._ids) if n is None else n
        if channel == "rest":
            answer = self._post("/webhooks/rest/webhook", json={"sender": "anna", "message": text})
            return answer.status_code, " ".join(m.get("text", "") for m in answer.json())
        if channel == "widget":
            answer = self._post("/webhooks/widget/message", data=json.dumps({"token": self.widget_token,
                                                                             "message": text}))
            return answer.status_code, " ".join(m.get("text") or "" for m in answer.json().get("messages", []))
        if channel in ("whatsapp", "sms"):
            path = "/webhooks/twilio_signed/webhook"
            sender = "whatsapp:+31612345001" if channel == "whatsapp" else "+31612345002"
            form = {"MessageSid": f"SM{n:032d}", "AccountSid": ACCOUNT, "From": sender, "Body": text,
                    "To": "whatsapp:+14155238886" if channel == "whatsapp" else "+3197010250000", "NumMedia": "0"}
            signature = RequestValidator(TWILIO_TOKEN).compute_signature(PUBLIC + path, form)
            answer = self._post(path, data=form, headers={"X-Twilio-Signature": signature})
            return answer.status_code, answer.text
        chat = {"id": 4242, "type": "private", "first_name": "Anna"}
        if channel == "telegram":
            update = {"update_id": n, "message": {"message_id": n, "date": 1763805600, "chat": chat,
                                                  "from": {"id": 4242, "is_bot": False, "first_name": "Anna"},
                                                  "text": text}}
        else:  # a button press whose callback data is whatever the client sends
            update = {"update_id": n, "callback_query": {
                "id": f"cb{n}", "chat_instance": "1", "data": text,
                "from": {"id": 4242, "is_bot": False, "first_name": "Anna"},
                "message": {"message_id": 1, "date": 1763805500, "chat": chat, "text": "Kies"}}}
        answer = self._post("/webhooks/telegram_secret/webhook", data=json.dumps(update),
                            headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET,
                                     "Content-Type": "application/json"})
        body = answer.json()
        return answer.status_code, body.get("text", "") if body.get("method") == "sendMessage" else ""


SENDERS = {"rest": "rest:anna", "whatsapp": "twilio_whatsapp:+31612345001", "sms": "twilio_sms:+31612345002",
           "telegram": "telegram:4242", "telegram_button": "telegram:4242"}
CHANNELS = ["rest", "widget", "whatsapp", "sms", "telegram", "telegram_button"]


@pytest.fixture
def channels(database, mount, twilio_api, telegram_api, monkeypatch):
    def build():
        twilio = TwilioSignedInput(TwilioSettings(
            account_sid=ACCOUNT, auth_token=TWILIO_TOKEN, whatsapp_from="whatsapp:+14155238886",
            sms_from="+3197010250000", public_url=PUBLIC, api_base_url=twilio_api.url, max_attempts=2,
            backoff_seconds=0.01))
        telegram = TelegramSecretInput(TelegramSettings(token=TELEGRAM_TOKEN, secret_token=TELEGRAM_SECRET,
                                                        api_base_url=f"{telegram_api.url}/bot", max_attempts=2,
                                                        backoff_seconds=0.01))
        app = mount(SafeRestInput(), WidgetInput(secret="pipeline", allowed_origins=[ORIGIN]), twilio, telegram)
        app.agent = app.app.ctx.agent = DomainAgent()
        world = Channels(app, twilio_api, telegram_api)
        world.twilio, world.telegram = twilio, telegram
        return world
    return build


def sender_of(world: Channels, channel: str) -> str:
    if channel == "widget":
        return next(m.sender_id for m in world.app.agent.messages if m.sender_id.startswith("web:"))
    return SENDERS[channel]


@pytest.mark.parametrize("channel", CHANNELS)
def test_typed_slash_syntax_is_plain_text_on_every_channel(channels, channel):
    world = channels()
    typed = ["/crisis", "/session_start", "/affirm", ' / /crisis{"crisis": true}', "\t/affirm"]
    for text in typed:
        status, _ = world.send(channel, text)
        assert status == 200
    received = world.app.agent.texts_from(sender_of(world, channel))
    assert received == ["crisis", "session_start", "affirm", 'crisis{"crisis": true}', "affirm"]
    for text in received:
        # Rasa's own reader of slash syntax finds nothing to force: NLU decides.
        unpacked = YAMLStoryReader.unpack_regex_message(Message({TEXT: text}), DOMAIN)
        assert unpacked.get(INTENT) is None


@pytest.mark.parametrize("channel", CHANNELS)
def test_the_per_sender_limit_comes_from_the_setting_on_every_channel(channels, channel, monkeypatch):
    monkeypatch.setenv("BETAALHULP_MAX_MESSAGES_PER_MINUTE", "3")
    world = channels()
    answers = [world.send(channel, f"bericht {n}") for n in range(5)]
    assert len(world.app.agent.texts_from(sender_of(world, channel))) == 3
    kind = said("utter_slow_down")
    if channel in ("rest", "widget"):
        assert all(status == 429 and kind in text for status, text in answers[3:])
    else:
        # Told once a minute: on SMS, WhatsApp and Telegram every answer is a message to the phone.
        assert answers[3][0] == 200 and kind in answers[3][1]
        assert answers[4][0] == 200 and kind not in answers[4][1]


@pytest.mark.parametrize("channel", CHANNELS)
def test_a_failed_turn_gets_a_kind_answer_and_the_providers_retry_counts_again(channels, channel):
    world = channels()
    world.app.agent.fail = True  # the turn raises, as when Rasa cannot reach its tracker store
    status, text = world.send(channel, "hoi", n=5)
    assert status == 200 and said("utter_something_went_wrong") in text.replace("&#x27;", "'")
    world.app.agent.fail = False
    world.send(channel, "hoi", n=5)  # the provider's retry (same id), or the customer trying again
    assert world.app.agent.texts_from(sender_of(world, channel)) == ["hoi", "hoi"]


@pytest.mark.parametrize("channel", ["whatsapp", "sms", "telegram"])
def test_a_slow_provider_api_never_holds_the_webhook_past_its_timeout(channels, channel, twilio_api,
                                                                       telegram_api):
    world = channels()
    replies = [f"Antwoord {n} van vier." for n in range(1, 5)]
    world.app.agent.replies = [{"text": text} for text in replies]
    api = twilio_api if channel in ("whatsapp", "sms") else telegram_api
    api.delay = 3.5  # every send takes this long (within the clients' read timeouts): the turn takes 14 s
    started = time.monotonic()
    status, text = world.send(channel, "hoi")
    answered_after = time.monotonic() - started
    assert status == 200 and answered_after < TWILIO_TIMEOUT - 3
    assert said("utter_still_working") in text.replace("&#x27;", "'")
    # Nothing lost: the turn went on, and all its replies reach the provider, in order.
    deadline = time.monotonic() + 90
    while len(api.requests) < len(replies) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert [r.field("Body") or r.field("text") for r in api.requests] == replies
    print(f"{channel}: webhook answered after {answered_after:.1f} s, last reply sent after "
          f"{time.monotonic() - started:.1f} s")


@pytest.mark.parametrize("channel", ["whatsapp", "sms", "telegram"])
def test_with_the_providers_api_down_the_webhook_is_answered_in_time_and_no_reply_is_lost(
        channels, channel, twilio_api, telegram_api):
    world = channels()
    sender = SENDERS[channel]
    replies = [f"Antwoord {n} van zes." for n in range(1, 7)]
    world.app.agent.replies = [{"text": text} for text in replies]
    provider = world.twilio if channel != "telegram" else world.telegram
    (twilio_api if channel != "telegram" else telegram_api).stop()  # a closed port: refused at once, retried
    provider.settings = replace(provider.settings, max_attempts=4, backoff_seconds=0.5)  # the defaults
    started = time.monotonic()
    status, text = world.send(channel, "hoi")
    answered_after = time.monotonic() - started
    # Six replies with 3.5 s of retries each held the webhook 21 s before; Twilio gives up at 15.
    assert status == 200 and answered_after < TWILIO_TIMEOUT - 3
    assert said("utter_still_working") in text.replace("&#x27;", "'")

    def waiting() -> list[dict]:
        with session_scope() as session:
            return list(session.execute(select(ChannelOutbound.message).where(
                ChannelOutbound.sender_id == sender, ChannelOutbound.outcome == "queued")
                .order_by(ChannelOutbound.id)).scalars())
    deadline = time.monotonic() + 90
    while len(waiting()) < len(replies) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert [m["text"] for m in waiting()] == replies
    turn_took = time.monotonic() - started

    # The API is back; the customer's next message brings what waited first, then the new answer.
    back = StandIn("twilio" if channel != "telegram" else "telegram").start()
    try:
        provider.settings = replace(provider.settings, api_base_url=back.url if channel != "telegram"
                                    else f"{back.url}/bot")
        world.app.agent.replies = [{"text": "Nieuw antwoord."}]
        assert world.send(channel, "ben je er nog?")[0] == 200
        assert [r.field("Body") or r.field("text") for r in back.requests] == replies + ["Nieuw antwoord."]
        assert waiting() == []
    finally:
        back.stop()
    print(f"{channel}, the provider's API down: webhook answered after {answered_after:.1f} s; the turn's six "
          f"replies queued after {turn_took:.1f} s and delivered at the next message")
