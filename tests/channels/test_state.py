"""Channel memory lives in the database, so every Rasa worker sees the same ids, windows and buttons."""
from __future__ import annotations

from datetime import timedelta

from bot import clock
from bot.channels.state import ChannelState


def test_a_provider_id_is_new_once_across_workers(database):
    worker_a, worker_b = ChannelState(), ChannelState(database)
    assert worker_a.first_time("twilio", "SM1") is True
    assert worker_b.first_time("twilio", "SM1") is False
    assert worker_b.first_time("telegram", "SM1") is True  # ids are per provider
    worker_a.forget("twilio", "SM1")
    assert worker_b.first_time("twilio", "SM1") is True


def test_numbered_buttons_expire_and_the_window_is_tracked(database, fixed_clock):
    state = ChannelState()
    assert state.last_inbound("twilio_whatsapp:+31612345001") is None
    state.offer_buttons("twilio_whatsapp:+31612345001", ["ja", "nee"])
    assert state.inbound("twilio_whatsapp:+31612345001", "3") is None  # out of range: plain text
    assert state.inbound("twilio_whatsapp:+31612345001", "optie 2") == "nee"
    assert state.last_inbound("twilio_whatsapp:+31612345001") == fixed_clock
    state.offer_buttons("twilio_sms:+31612345001", ["ja", "nee"])
    clock.set_clock(lambda: fixed_clock + timedelta(hours=25))
    assert state.inbound("twilio_sms:+31612345001", "1") is None
