"""Opting out of unprompted messages on every channel (issue 10 §3): STOP on SMS and WhatsApp,
/stop on Telegram, and the providers' refusals (Twilio 21610 and 63014, Telegram 403)."""
from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from bot.channels.telegram import TelegramSecretInput
from bot.channels.twilio import TwilioSignedInput
from bot.followup import optout
from bot.store.db import session_scope
from bot.store.models import ChannelOptOut, OutcomeEvent
from tests.channels.test_telegram import CHAT, message_update
from tests.channels.test_telegram import post as post_update
from tests.channels.test_telegram import settings as telegram_settings
from tests.channels.test_twilio import PHONE, post, settings, sms_form, status_form, whatsapp_form


def opted_out() -> dict[str, tuple[str, int | None]]:
    with session_scope() as session:
        return {row.sender_id: (row.reason, row.customer_id)
                for row in session.execute(select(ChannelOptOut)).scalars()}


@pytest.fixture
def twilio_app(database, twilio_api, mount):
    return mount(TwilioSignedInput(settings(twilio_api.url)))


@pytest.mark.parametrize("text", ["STOP", "stop", " Stop! ", "afmelden", "Afmelden."])
def test_stop_on_sms_switches_outreach_off_for_that_number_and_still_reaches_the_bot(twilio_app, text):
    assert post(twilio_app, sms_form("SM" + "5" * 32, text)).status_code == 200
    [(reason, customer_id)] = opted_out().values()
    assert list(opted_out()) == [f"twilio_sms:{PHONE}"] and reason == "customer_stop"
    assert customer_id is not None  # the demo customer with this phone number
    # the bot still answers the message itself (its stop rule confirms the opt-out)
    assert [m.text for m in twilio_app.agent.messages] == [text.strip()]


def test_a_sentence_with_stop_in_it_is_not_an_opt_out(twilio_app):
    post(twilio_app, whatsapp_form("SM" + "6" * 32, "ik wil stoppen met roken maar kan niet betalen"))
    assert opted_out() == {}


def test_stop_twice_is_recorded_once_with_one_outcome_event(twilio_app):
    post(twilio_app, whatsapp_form("SM" + "7" * 32, "STOP"))
    post(twilio_app, whatsapp_form("SM" + "8" * 32, "stop"))
    assert list(opted_out()) == [f"twilio_whatsapp:{PHONE}"]
    with session_scope() as session:
        kinds = session.execute(select(OutcomeEvent.kind, OutcomeEvent.channel)
                                .where(OutcomeEvent.kind == "opted_out")).all()
    assert kinds == [("opted_out", "whatsapp")]


@pytest.mark.parametrize("code,reason", [("21610", "twilio_21610"), ("63014", "twilio_63014")])
def test_a_provider_refusal_in_a_status_callback_opts_the_address_out(twilio_app, code, reason):
    assert post(twilio_app, status_form("SM" + "9" * 32, "undelivered", code), route="status").status_code == 204
    assert opted_out() == {f"twilio_whatsapp:{PHONE}": (reason, opted_out()[f"twilio_whatsapp:{PHONE}"][1])}


def test_other_delivery_errors_do_not_opt_out(twilio_app):
    post(twilio_app, status_form("SM" + "a" * 32, "failed", "63016"), route="status")
    assert opted_out() == {}


def test_a_send_refused_with_21610_opts_the_address_out(database, twilio_api, mount):
    channel = TwilioSignedInput(settings(twilio_api.url))
    twilio_api.fail_next = [(400, {"code": 21610, "message": "Attempt to send to unsubscribed recipient"})]
    asyncio.run(channel.get_output_channel().send_text_message(f"twilio_sms:{PHONE}", "Hoi"))
    assert opted_out()[f"twilio_sms:{PHONE}"][0] == "twilio_21610"


def test_slash_stop_on_telegram_opts_the_chat_out(database, telegram_api, mount):
    app = mount(TelegramSecretInput(telegram_settings(telegram_api.url)))
    assert post_update(app, message_update(41, "/stop")).status_code == 200
    assert opted_out() == {f"telegram:{CHAT}": ("customer_stop", None)}


def test_a_telegram_403_opts_the_chat_out(database, telegram_api):
    channel = TelegramSecretInput(telegram_settings(telegram_api.url))
    telegram_api.fail_next = [(403, {"ok": False, "error_code": 403,
                                     "description": "Forbidden: bot was blocked by the user"})]
    asyncio.run(channel.get_output_channel().send_text_message(f"telegram:{CHAT}", "Hoi"))
    assert opted_out() == {f"telegram:{CHAT}": ("telegram_403", None)}


def test_stop_words_are_whole_messages_only():
    assert optout.is_stop_message("/stop") and optout.is_stop_message("STOP")
    assert not optout.is_stop_message("stop de regeling niet") and not optout.is_stop_message(None)
    assert optout.channel_of("twilio_whatsapp:+31612345001") == "whatsapp"
