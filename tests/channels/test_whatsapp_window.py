"""WhatsApp's 24-hour customer-service window for proactive messages (issue 6): pushes through
Rasa's HTTP API get a template or wait in the queue instead of an error, and what waited goes
out exactly once when the customer writes again. Real Sanic app, real signatures, the local
stand-in for Twilio's API, and a clock the tests move (no sleeping)."""
from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from rasa.shared.core.events import Event
from sqlalchemy import select

from bot import clock
from bot.channels.state import ChannelState
from bot.channels.twilio import TwilioSignedInput, load_templates
from bot.store.db import session_scope
from bot.store.models import Case, ChannelOutbound
from tests.channels.test_twilio import PHONE, post, settings, whatsapp_form

SENDER = f"twilio_whatsapp:{PHONE}"
PAID_TEXT = "Je betaling van € 210 is binnen. Dank je wel!"


class Clock:
    def __init__(self) -> None:
        self.now = clock.utcnow().replace(microsecond=0)

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def moving_clock():
    moving = Clock()
    clock.set_clock(lambda: moving.now)
    yield moving
    clock.set_clock(None)


@pytest.fixture
def channel(database, twilio_api):
    return TwilioSignedInput(settings(twilio_api.url))


@pytest.fixture
def app(mount, channel):
    return mount(channel)


@pytest.fixture
def case_id(database):
    with session_scope() as session:
        case = Case(sender_id=SENDER, channel="twilio_signed", status="handed_over", answers={}, finances={},
                    signals=[])
        session.add(case)
        session.flush()
        return case.id


def pushed(event: dict) -> dict:
    """The message Rasa hands the output channel for a bot event (processor._send_bot_messages)."""
    return Event.from_parameters({"event": "bot", **event}).message()


def payment_received() -> dict:
    # What Rasa's /execute of utter_payment_received (bot/payments/notify.py) sends out.
    return pushed({"text": PAID_TEXT, "metadata": {"utter_action": "utter_payment_received"},
                   "timestamp": clock.utcnow().timestamp()})


def staff_reply(text: str, reply_id: str) -> dict:
    # What the console's reply (RasaApi.send_text, tracker/events) sends out.
    return pushed({"text": text, "metadata": {"staff_name": "Anja", "staff_id": 1, "reply_id": reply_id},
                   "timestamp": clock.utcnow().timestamp()})


def records() -> list[ChannelOutbound]:
    with session_scope() as session:
        rows = session.execute(select(ChannelOutbound).order_by(ChannelOutbound.id)).scalars().all()
        session.expunge_all()
        return rows


def customer_writes(app, sid: str, text: str = "hoi"):
    assert post(app, whatsapp_form(sid, text)).status_code == 200


def test_inside_the_window_a_push_goes_free_form(app, channel, twilio_api, moving_clock, case_id):
    customer_writes(app, "SM" + "71" * 16)
    moving_clock.advance(hours=23, minutes=59)
    output = channel.get_output_channel()  # what Rasa builds for output_channel=latest
    app.run(output.send_response(SENDER, payment_received()))
    [sent] = twilio_api.requests
    assert sent.field("Body") == PAID_TEXT and sent.field("ContentSid") is None
    [row] = records()
    assert (row.outcome, row.source, row.case_id, row.message_sid) == ("sent", "response", case_id, output.sent[0])
    assert row.message is None


def test_outside_the_window_the_payment_confirmation_goes_as_its_template(app, channel, twilio_api, moving_clock,
                                                                          case_id, caplog):
    customer_writes(app, "SM" + "72" * 16)
    moving_clock.advance(hours=24, minutes=1)
    with caplog.at_level(logging.INFO, logger="bot.channels.twilio"):
        app.run(channel.get_output_channel().send_response(SENDER, payment_received()))  # no exception
    [sent] = twilio_api.requests
    assert sent.field("Body") is None
    assert sent.field("ContentSid") == load_templates()["payment_confirmed"].content_sid
    today = clock.today()
    assert json.loads(sent.field("ContentVariables")) == {"1": "€ 210",
                                                          "2": f"{today.day}-{today.month}-{today.year}"}
    [row] = records()
    assert (row.outcome, row.template, row.case_id) == ("sent_as_template", "payment_confirmed", case_id)
    assert f"case {case_id}: sent_as_template" in caplog.text
    for secret in (PHONE, PHONE.lstrip("+"), "210"):
        assert secret not in caplog.text


def test_a_console_reply_outside_the_window_waits_and_is_delivered_exactly_once(app, channel, twilio_api,
                                                                                moving_clock, case_id):
    customer_writes(app, "SM" + "73" * 16)
    moving_clock.advance(hours=30)
    output = channel.get_output_channel()
    app.run(output.send_response(SENDER, staff_reply("Hallo, met Anja. We kunnen een regeling maken.", "r1")))
    app.run(output.send_response(SENDER, staff_reply("Laat je weten wat je ervan vindt?", "r2")))
    # Nothing free-form went out; the customer got the approved "a reply is waiting" template, once.
    [nudge] = twilio_api.requests
    assert nudge.field("Body") is None
    assert nudge.field("ContentSid") == load_templates()["staff_reply_waiting"].content_sid
    first, second = records()
    assert (first.outcome, first.ref, first.template, first.case_id) == ("queued", "r1", "staff_reply_waiting",
                                                                         case_id)
    assert (second.outcome, second.ref, second.template) == ("queued", "r2", None)
    assert first.message == {"text": "Hallo, met Anja. We kunnen een regeling maken."}

    moving_clock.advance(days=2)
    app.agent.replies = [{"text": "Fijn dat je er weer bent."}]
    customer_writes(app, "SM" + "74" * 16, "ok, vertel")
    bodies = [r.field("Body") for r in twilio_api.requests[1:]]
    # What waited goes first, in order, then the bot's own answer to this turn.
    assert bodies == ["Hallo, met Anja. We kunnen een regeling maken.", "Laat je weten wat je ervan vindt?",
                      "Fijn dat je er weer bent."]
    assert [(r.outcome, r.message) for r in records()] == [("delivered_from_queue", None)] * 2
    assert all(r.message_sid and r.delivered_at for r in records())
    assert len(app.agent.messages) == 2  # the turn itself still happened

    # A second message, and Twilio's retry of it: nothing is delivered again.
    customer_writes(app, "SM" + "75" * 16, "en nu?")
    customer_writes(app, "SM" + "75" * 16, "en nu?")
    assert [r.field("Body") for r in twilio_api.requests[4:]] == ["Fijn dat je er weer bent."]


def test_a_push_to_someone_who_never_wrote_is_queued_not_refused(app, channel, twilio_api, moving_clock):
    app.run(channel.get_output_channel().send_response(SENDER, pushed({"text": "Je regeling loopt af.",
                                                                       "timestamp": 1.0})))
    assert twilio_api.requests == []
    [row] = records()
    assert (row.outcome, row.source, row.ref, row.case_id) == ("queued", "bot", "ts:1.0", None)
    customer_writes(app, "SM" + "76" * 16)
    assert [r.field("Body") for r in twilio_api.requests] == ["Je regeling loopt af."]


def test_a_mapped_response_without_its_variable_waits_in_the_queue(app, channel, twilio_api, moving_clock):
    message = pushed({"text": "Je betaling is binnen.", "metadata": {"utter_action": "utter_payment_received"}})
    app.run(channel.get_output_channel().send_response(SENDER, message))
    assert twilio_api.requests == [] and records()[0].outcome == "queued"


def test_a_failed_delivery_stays_queued_for_the_next_message(app, channel, twilio_api, moving_clock):
    app.run(channel.get_output_channel().send_response(SENDER, pushed({"text": "Bericht voor jou."})))
    twilio_api.fail_next = [400]  # Twilio refuses the first attempt: not retried, kept in the queue
    customer_writes(app, "SM" + "77" * 16)
    assert twilio_api.requests == [] and records()[0].outcome == "queued"
    customer_writes(app, "SM" + "78" * 16)
    assert [r.field("Body") for r in twilio_api.requests] == ["Bericht voor jou."]
    assert records()[0].outcome == "delivered_from_queue"


def test_a_queued_message_is_claimed_once_and_expires_after_a_week(database, moving_clock):
    state = ChannelState()
    row_id, _ = state.record_outbound(SENDER, "queued", source="bot", message={"text": "x"})
    assert [state.claim(row_id), state.claim(row_id)] == [True, False]  # two workers: one wins
    state.release(row_id)
    assert state.queued(SENDER) == [(row_id, {"text": "x"})]
    moving_clock.advance(days=8)
    assert state.queued(SENDER) == []
    assert records()[0].outcome == "expired" and records()[0].message is None


def test_templates_are_allowed_outside_the_window_and_sms_has_no_window(app, channel, twilio_api, moving_clock):
    output = channel.get_output_channel()
    app.run(output.send_response(SENDER, {"custom": {"whatsapp_template": "payment_reminder",
                                                     "variables": {"amount": "€ 70"}}}))
    assert twilio_api.requests[-1].field("ContentSid") == load_templates()["payment_reminder"].content_sid
    app.run(output.send_response(f"twilio_sms:{PHONE}", {"text": "Je betaling is binnen."}))
    assert twilio_api.requests[-1].field("Body") == "Je betaling is binnen."
    assert [r.outcome for r in records()] == ["sent_as_template"]  # SMS: no window, nothing to record


def test_every_template_has_an_approved_category():
    assert {t.category for t in load_templates().values()} == {"UTILITY"}


def test_outside_the_window_an_english_customer_gets_the_english_template(app, channel, twilio_api, moving_clock,
                                                                          case_id):
    # Issue 27: the NLG puts the response's language on the message; the template follows it.
    from bot.channels.twilio_templates import templates_in

    customer_writes(app, "SM" + "79" * 16)
    moving_clock.advance(hours=25)
    english = pushed({"text": "Your payment of €1,210.50 is in. Thank you!",
                      "metadata": {"utter_action": "utter_payment_received", "language": "en"},
                      "timestamp": clock.utcnow().timestamp()})
    app.run(channel.get_output_channel().send_response(SENDER, english))
    [sent] = twilio_api.requests
    assert sent.field("ContentSid") == templates_in("en")["payment_confirmed"].content_sid
    assert sent.field("ContentSid") != load_templates()["payment_confirmed"].content_sid
    assert json.loads(sent.field("ContentVariables"))["1"] == "€1,210.50"
