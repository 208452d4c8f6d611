"""The website widget's channel mounted in a real Sanic app the way `rasa run` mounts it, with a
real in-memory tracker store and lock store behind it (issue 6; issue 9 §1, §2): signed and
expiring sessions, `web:` sender ids, slash syntax, size limits, malformed bodies, pushes."""
from __future__ import annotations

import asyncio
import json
import threading
import time
from types import SimpleNamespace

import pytest
import requests
from rasa.core.lock_store import InMemoryLockStore
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, ConversationPaused, ConversationResumed, UserUttered

from bot.channels import widget as widget_module
from bot.channels.guard import MAX_TEXT_LENGTH, SenderRateLimit
from bot.channels.widget import MAX_BODY_BYTES, RateLimit, SessionError, WidgetInput, WidgetSessions, conversation
from bot.rasa_ext.tracker_store import RedactingSQLTrackerStore

ORIGIN = "http://localhost:8080"
RESPONSES = {"utter_message_too_long": "Dat bericht is te lang.",
             "utter_something_went_wrong": "Sorry, er ging iets mis.",
             "utter_still_working": "Ik ben nog bezig.",
             "utter_slow_down": "Wacht even een minuut.",
             "utter_handover_waiting": "Een collega leest mee."}


class TemplateNLG:
    async def generate(self, name, tracker, channel, **kwargs):
        return {"text": RESPONSES[name]}


class TrackerAgent:
    """Stands in for Rasa's agent: logs each turn in a real InMemoryTrackerStore under the real
    lock store, like `Agent.handle_message`; `push` does what Rasa's
    `POST /conversations/<id>/tracker/events?output_channel=latest` does: send, then save."""

    def __init__(self) -> None:
        self.domain = Domain.empty()
        self.tracker_store = InMemoryTrackerStore(self.domain)
        self.lock_store = InMemoryLockStore()
        self.processor = SimpleNamespace(nlg=TemplateNLG())
        self.messages = []
        self.replies: list[dict] = [{"text": "Hoi! Wat is je klantnummer?"}]
        self.fail = False

    async def handle_message(self, message) -> None:
        self.messages.append(message)
        if self.fail:
            raise RuntimeError("action server down")
        async with self.lock_store.lock(message.sender_id):
            tracker = await self.tracker_store.get_or_create_tracker(message.sender_id)
            tracker.update(UserUttered(message.text, input_channel=message.input_channel,
                                       message_id=message.message_id, metadata=message.metadata))
            for reply in self.replies:
                await message.output_channel.send_response(message.sender_id, dict(reply))
                data = {k: v for k, v in reply.items() if k != "text"}
                tracker.update(BotUttered(reply.get("text"), data=data))
            tracker.update(ActionExecuted("action_listen"))
            await self.tracker_store.save(tracker)

    async def push(self, sender_id: str, output_channel, text: str) -> None:
        async with self.lock_store.lock(sender_id):
            tracker = await self.tracker_store.get_or_create_tracker(sender_id)
            event = BotUttered(text)
            tracker.update(event)
            await output_channel.send_response(sender_id, event.message())
            await asyncio.sleep(0.3)  # Rasa saves after sending: the widget must not read too early
            await self.tracker_store.save(tracker)


@pytest.fixture
def channel():
    return WidgetInput(secret="test-secret", allowed_origins=[ORIGIN])


@pytest.fixture
def app(mount, channel):
    mounted = mount(channel)
    mounted.agent = mounted.app.ctx.agent = TrackerAgent()
    return mounted


def call(app, path: str, body, origin: str | None = ORIGIN) -> requests.Response:
    headers = {"Content-Type": "text/plain;charset=UTF-8"}
    if origin:
        headers["Origin"] = origin
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return requests.post(f"{app.url}/webhooks/widget/{path}", data=data, headers=headers, timeout=40)


def new_token(app) -> str:
    answer = call(app, "session", {})
    assert answer.status_code == 200, answer.text
    return answer.json()["token"]


def say(app, token: str, text: str, **extra) -> dict:
    answer = call(app, "message", {"token": token, "message": text, **extra})
    assert answer.status_code == 200, answer.text
    return answer.json()


# -- tokens ---------------------------------------------------------------------------------------
def test_a_token_carries_a_server_made_session_and_opens_only_unaltered():
    sessions = WidgetSessions("secret-a")
    token, session = sessions.issue()
    assert sessions.open(token) == session and len(session) >= 24
    assert sessions.issue()[1] != session  # random, never chosen by the client
    tampered = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    for bad in (tampered, token.replace(".", "x", 1), WidgetSessions("secret-b").issue(session)[0], "", None, 42,
                "x" * 600):
        with pytest.raises(SessionError):
            sessions.open(bad)


def test_a_validly_signed_payload_with_a_foreign_session_shape_is_refused():
    sessions = WidgetSessions("secret-a")
    forged = sessions._serializer.dumps({"s": "../rest:anna"})
    with pytest.raises(SessionError, match="invalid"):
        sessions.open(forged)
    with pytest.raises(SessionError, match="invalid"):
        sessions.open(sessions._serializer.dumps(["not", "a", "dict"]))


def test_tokens_expire(monkeypatch):
    sessions = WidgetSessions("secret-a", max_age_seconds=3600)
    token, session = sessions.issue()
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 1800)
    assert sessions.open(token) == session
    monkeypatch.setattr(time, "time", lambda: now + 3602)
    with pytest.raises(SessionError, match="expired"):
        sessions.open(token)


def test_without_a_secret_each_process_signs_with_its_own_random_one():
    first, second = WidgetSessions(None), WidgetSessions(None)
    token, _ = first.issue()
    with pytest.raises(SessionError):
        second.open(token)


def test_the_secret_and_session_length_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("BETAALHULP_WIDGET_SECRET", "from-env")
    monkeypatch.setenv("BETAALHULP_WIDGET_SESSION_HOURS", "2")
    monkeypatch.setenv("BETAALHULP_WIDGET_ORIGINS", "https://www.lener.nl, https://lener.nl/")
    channel = WidgetInput.from_credentials(None)
    token, session = WidgetSessions("from-env").issue()
    assert channel.sessions.open(token) == session
    assert channel.sessions.max_age_seconds == 7200
    assert channel.allowed_origins == {"https://www.lener.nl", "https://lener.nl"}


def test_default_origins_are_the_web_apps_public_url(monkeypatch):
    monkeypatch.delenv("BETAALHULP_WIDGET_ORIGINS", raising=False)
    monkeypatch.setenv("BETAALHULP_PUBLIC_URL", "https://hulp.lener.nl/base")
    assert widget_module.default_origins() == ["https://hulp.lener.nl"]


def test_a_loopback_public_url_allows_both_spellings_of_the_host_on_its_own_port(monkeypatch):
    monkeypatch.delenv("BETAALHULP_WIDGET_ORIGINS", raising=False)
    monkeypatch.setenv("BETAALHULP_PUBLIC_URL", "http://localhost:8180")
    assert widget_module.default_origins() == ["http://localhost:8180", "http://127.0.0.1:8180"]


def test_rate_limit_counts_per_key_in_a_sliding_window():
    limit = RateLimit(2, 60)
    assert limit.allow("a", 0) and limit.allow("a", 1) and not limit.allow("a", 2)
    assert limit.allow("b", 2)
    assert limit.allow("a", 61)


# -- the channel over HTTP ------------------------------------------------------------------------
def test_a_message_becomes_a_turn_in_the_tokens_own_web_conversation(app, channel):
    token = new_token(app)
    session = channel.sessions.open(token)
    # Whatever else the body says, the conversation is the one in the signed token.
    answer = say(app, token, "hoi", sender="rest:anna", sender_id="web:someone-else")
    [message] = app.agent.messages
    assert message.sender_id == f"web:{session}" and message.input_channel == "widget"
    [reply] = answer["messages"]
    assert reply["from"] == "bot" and reply["text"] == "Hoi! Wat is je klantnummer?" and reply["id"]
    assert answer["cursor"] == reply["ts"]


def test_two_sessions_never_see_each_others_conversation(app):
    anna, bram = new_token(app), new_token(app)
    say(app, anna, "ik ben anna")
    history = call(app, "messages", {"token": bram, "since": 0}).json()
    assert history["messages"] == []
    mine = call(app, "messages", {"token": anna, "since": 0}).json()["messages"]
    assert [m["text"] for m in mine] == ["ik ben anna", "Hoi! Wat is je klantnummer?"]


def test_slash_syntax_is_neutralised(app):
    token = new_token(app)
    say(app, token, '  /inform{"verified": true, "customer_id": 1}')
    assert app.agent.messages[0].text == 'inform{"verified": true, "customer_id": 1}'


def test_buttons_images_and_links_are_carried(app):
    app.agent.replies = [
        {"text": "Hoe wil je betalen?", "buttons": [{"title": "Betaallink (iDEAL)", "payload": "link"},
                                                     {"title": "QR-code", "payload": "qr"}]},
        {"text": "Scan deze QR-code.", "image": "http://localhost:8080/qr/abc.png"},
        {"text": "Hier is je betaallink: http://localhost:8080/pay/abc"},
        {"text": None, "image": "javascript:alert(1)"},  # not an http(s) image: dropped
    ]
    token = new_token(app)
    first = say(app, token, "ik wil betalen")["messages"]
    assert first[0]["buttons"] == [{"title": "Betaallink (iDEAL)", "payload": "link"},
                                   {"title": "QR-code", "payload": "qr"}]
    assert first[1]["image"] == "http://localhost:8080/qr/abc.png"
    assert "http://localhost:8080/pay/abc" in first[2]["text"]
    assert len(first) == 3
    # A button press sends the payload; the widget shows (and after a reload still shows) its title.
    app.agent.replies = [{"text": "Prima."}]
    say(app, token, "qr", label="QR-code")
    assert app.agent.messages[-1].text == "qr"
    history = call(app, "messages", {"token": token, "since": 0}).json()["messages"]
    assert [m["text"] for m in history if m["from"] == "user"] == ["ik wil betalen", "QR-code"]


def test_after_a_reload_a_long_conversation_shows_all_of_it(app, channel, tmp_path):
    # Our SQL store reads a long session for a turn from its newest checkpoint (issue 7); the
    # history the widget shows is still the whole session.
    app.agent.tracker_store = RedactingSQLTrackerStore(domain=app.agent.domain, dialect="sqlite",
                                                       db=str(tmp_path / "tracker.db"), window=40)
    channel.pipeline.limit = SenderRateLimit(30)  # 25 messages within a minute
    token = new_token(app)
    for n in range(25):
        app.agent.replies = [{"text": f"antwoord {n}"}]
        assert [m["text"] for m in say(app, token, f"vraag {n}")["messages"]] == [f"antwoord {n}"]
    sender = app.agent.messages[-1].sender_id
    assert len(asyncio.run(app.agent.tracker_store.retrieve(sender)).events) < 50  # shortened for a turn
    history = call(app, "messages", {"token": token, "since": 0}).json()["messages"]
    assert [m["text"] for m in history] == [text for n in range(25) for text in (f"vraag {n}", f"antwoord {n}")]


def test_history_ids_are_stable_and_since_returns_only_newer_messages(app):
    token = new_token(app)
    first = say(app, token, "hoi")
    again = call(app, "messages", {"token": token, "since": 0}).json()
    assert [m["id"] for m in again["messages"]][1:] == [m["id"] for m in first["messages"]]
    assert call(app, "messages", {"token": token, "since": again["cursor"]}).json()["messages"] == []


def test_a_retried_send_with_the_same_client_id_makes_one_turn(app):
    token = new_token(app)
    one = say(app, token, "hoi", client_id="c-retry-0001")
    two = say(app, token, "hoi", client_id="c-retry-0001")
    assert one == two and len(app.agent.messages) == 1
    history = call(app, "messages", {"token": token, "since": 0}).json()["messages"]
    assert history[0]["id"] == "u-c-retry-0001"  # the widget's own bubble, not shown twice


def test_a_push_from_outside_the_conversation_reaches_a_waiting_widget(app, channel):
    token = new_token(app)
    say(app, token, "hoi")
    cursor = call(app, "messages", {"token": token, "since": 0}).json()["cursor"]
    sender_id = f"web:{channel.sessions.open(token)}"
    result = {}

    def wait():
        started = time.monotonic()
        result["answer"] = call(app, "messages", {"token": token, "since": cursor, "wait": True}).json()
        result["seconds"] = time.monotonic() - started

    poller = threading.Thread(target=wait)
    poller.start()
    time.sleep(0.5)
    assert channel.hub.waiting(sender_id) == 1
    app.run(app.agent.push(sender_id, channel.get_output_channel(), "Je betaling van € 210 is binnen."))
    poller.join(10)
    assert [m["text"] for m in result["answer"]["messages"]] == ["Je betaling van € 210 is binnen."]
    assert result["seconds"] < 5  # woken by the push, not the 25-second poll timeout


def test_a_push_while_no_widget_waits_is_caught_up_later(app, channel):
    token = new_token(app)
    sender_id = f"web:{channel.sessions.open(token)}"
    app.run(app.agent.push(sender_id, channel.get_output_channel(), "Een collega: ik bel je morgen."))
    answer = call(app, "messages", {"token": token, "since": 0, "wait": True}).json()
    assert [m["text"] for m in answer["messages"]] == ["Een collega: ik bel je morgen."]


def test_a_failed_turn_still_gets_a_kind_answer(app):
    app.agent.fail = True
    answer = say(app, new_token(app), "hoi")
    assert [m["text"] for m in answer["messages"]] == ["Sorry, er ging iets mis."]
    assert answer["messages"][0]["id"] is None  # not in the conversation: shown once, not kept


def test_a_silent_turn_gets_a_kind_answer(app):
    app.agent.replies = []
    answer = say(app, new_token(app), "hoi")
    assert [m["text"] for m in answer["messages"]] == ["Sorry, er ging iets mis."]


def test_a_too_long_text_gets_a_kind_answer_and_makes_no_turn(app):
    answer = say(app, new_token(app), "a" * (MAX_TEXT_LENGTH + 1))
    assert [m["text"] for m in answer["messages"]] == ["Dat bericht is te lang."]
    assert app.agent.messages == []


def test_a_too_large_body_is_413(app):
    token = new_token(app)
    answer = call(app, "message", {"token": token, "message": "x" * MAX_BODY_BYTES})
    assert answer.status_code == 413 and "larger" in answer.json()["error"]
    assert app.agent.messages == []


@pytest.mark.parametrize("path, body, status", [
    ("message", b"not json", 400),
    ("message", b"\xff\xfe", 400),
    ("message", b"[1, 2]", 400),
    ("message", b"", 400),
    ("message", {"message": "hoi"}, 401),
    ("message", {"token": "forged.token.value", "message": "hoi"}, 401),
    ("message", {"token": 12, "message": "hoi"}, 401),
    ("message", {"token": "TOKEN", "message": 12}, 400),
    ("message", {"token": "TOKEN", "message": "   "}, 400),
    ("message", {"token": "TOKEN", "message": "hoi", "label": ["x"]}, 400),
    ("message", {"token": "TOKEN", "message": "hoi", "label": "x" * 201}, 400),
    ("message", {"token": "TOKEN", "message": "hoi", "client_id": "<script>"}, 400),
    ("messages", {"token": "TOKEN", "since": "0"}, 400),
    ("messages", {"token": "TOKEN", "since": -1}, 400),
    ("messages", {"token": "TOKEN", "since": True}, 400),
    ("messages", b'{"token": "TOKEN", "since": NaN}', 400),
    ("messages", {"token": "TOKEN", "since": 0, "wait": "yes"}, 400),
    ("messages", {"since": 0}, 401),
    ("session", b"{", 400),
    ("session", {"token": "forged"}, 401),
])
def test_malformed_input_gets_a_4xx_with_a_reason(app, path, body, status):
    token = new_token(app)
    if isinstance(body, dict):
        body = {k: (token if v == "TOKEN" else v) for k, v in body.items()}
    elif isinstance(body, bytes):
        body = body.replace(b"TOKEN", token.encode())
    answer = call(app, path, body)
    assert answer.status_code == status, answer.text
    assert answer.json()["error"]
    assert app.agent.messages == []


def test_a_renewed_token_keeps_the_session(app, channel):
    token = new_token(app)
    renewed = call(app, "session", {"token": token}).json()["token"]
    assert channel.sessions.open(renewed) == channel.sessions.open(token)


def test_cors_only_for_allowed_origins(app):
    allowed = call(app, "session", {})
    assert allowed.headers["access-control-allow-origin"] == ORIGIN
    assert allowed.headers["cache-control"] == "no-store"
    refused = call(app, "session", {}, origin="https://evil.example")
    assert refused.status_code == 403 and "access-control-allow-origin" not in refused.headers
    assert call(app, "session", {}, origin=None).status_code == 200  # not a browser: the token decides


def test_too_many_messages_from_one_session_get_a_kind_answer(app, channel):
    channel.pipeline.limit = SenderRateLimit(2)
    token = new_token(app)
    say(app, token, "een")
    say(app, token, "twee")
    answer = call(app, "message", {"token": token, "message": "drie"})
    assert answer.status_code == 429 and len(app.agent.messages) == 2
    assert [m["text"] for m in answer.json()["messages"]] == ["Wacht even een minuut."]


def test_conversation_skips_external_triggers_and_other_channels():
    events = [UserUttered("EXTERNAL: payment_confirmed", input_channel="widget", message_id="m0"),
              UserUttered("hoi", input_channel="rest", message_id="m1"),
              UserUttered("hoi", input_channel="widget", message_id="m2"),
              BotUttered(None, data={"custom": {"whatsapp_template": "x"}}),
              BotUttered("Hallo")]
    shown = conversation(events)
    assert [(m["from"], m["text"]) for m in shown] == [("user", "hoi"), ("bot", "Hallo")]


# -- a person in the conversation (issue 26) ------------------------------------------------------
async def logged(agent: TrackerAgent, sender_id: str, *events) -> None:
    """Events as Rasa's HTTP API appends them (a pause, a staff reply with its metadata)."""
    async with agent.lock_store.lock(sender_id):
        tracker = await agent.tracker_store.get_or_create_tracker(sender_id)
        for event in events:
            tracker.update(event)
        await agent.tracker_store.save(tracker)


def test_while_a_person_has_the_conversation_the_customer_is_answered_and_sees_who_speaks(app, channel):
    token = new_token(app)
    sender_id = f"web:{channel.sessions.open(token)}"
    assert say(app, token, "hoi")["handover"] == {"person": False, "name": None}
    app.run(logged(app.agent, sender_id, ConversationPaused()))
    app.agent.replies = []  # paused: Rasa itself says nothing

    waiting = say(app, token, "hallo? is daar iemand?")
    assert [m["text"] for m in waiting["messages"]] == ["Een collega leest mee."]  # not silence
    assert waiting["handover"] == {"person": True, "name": None}

    app.run(logged(app.agent, sender_id, BotUttered("Hoi, ik ben Anouk.", metadata={"staff_name": "Anouk de Wit"})))
    assert say(app, token, "fijn")["messages"] == []  # a person talks now: the bot stays out of it
    history = call(app, "messages", {"token": token, "since": 0}).json()
    [staff] = [m for m in history["messages"] if m["from"] == "staff"]
    assert staff["text"] == "Hoi, ik ben Anouk." and staff["name"] == "Anouk"  # first name only
    assert history["handover"] == {"person": True, "name": "Anouk"}
    assert all(m["from"] == "user" or "name" not in m for m in history["messages"] if m is not staff)

    app.run(logged(app.agent, sender_id, ConversationResumed()))
    assert call(app, "messages", {"token": token, "since": 0}).json()["handover"] == {"person": False, "name": None}
