"""The console shows what became of a message to a WhatsApp customer (issue 6): staff replies and
pushed messages go through the fake Rasa into the real Twilio output channel (its calls to a local
stand-in for Twilio's API), and the conversation view reads the record that channel writes."""
from __future__ import annotations

import asyncio
import re
from datetime import timedelta

import pytest

from bot import clock
from bot.channels.state import ChannelState
from bot.channels.twilio import TwilioSignedInput, load_templates
from bot.rasa_api import RasaApi
from tests.channels.conftest import StandIn
from tests.channels.test_twilio import PHONE, settings
from tests.console.conftest import csrf, handed_over_case, login
from tests.console.fake_rasa import TOKEN

SENDER = f"twilio_whatsapp:{PHONE}"
WARNING = 'id="window-warning"'


@pytest.fixture
def twilio_api():
    stand_in = StandIn("twilio").start()
    yield stand_in
    stand_in.stop()


@pytest.fixture
def moving_clock():
    now = [clock.utcnow().replace(microsecond=0)]
    clock.set_clock(lambda: now[0])
    yield now
    clock.set_clock(None)


@pytest.fixture
def whatsapp_case(database, fake_rasa, twilio_api, moving_clock):
    output = TwilioSignedInput(settings(twilio_api.url)).get_output_channel()
    fake_rasa.output = output
    ChannelState().inbound(SENDER, "ik wil een medewerker spreken")  # the customer wrote: window open
    fake_rasa.say(SENDER, "ik wil een medewerker spreken")
    fake_rasa.add(SENDER, {"event": "pause"})
    return handed_over_case(SENDER), output


def later(agent, moving_clock, **delta) -> None:
    """Moves the clock; staff log in again (a day later their console session has expired)."""
    moving_clock[0] += timedelta(**delta)
    assert login(agent, "agent").status_code == 303


def reply(agent, case_id: int, text: str) -> dict:
    response = agent.post(f"/cases/{case_id}/reply", data={"text": text},
                          headers={"X-CSRF-Token": csrf(agent), "Accept": "application/json"})
    assert response.status_code == 200
    return response.json()


def delivery_of(html: str, text: str) -> str | None:
    """The delivery label under the transcript line with this text."""
    match = re.search(re.escape(text) + r'</div>(?:<div class="delivery[^"]*">([^<]*)</div>)?</li>', html)
    assert match, text
    return match.group(1)


def test_the_console_shows_sent_template_and_queued_and_warns_when_the_window_closed(
        agent, whatsapp_case, fake_rasa, twilio_api, moving_clock):
    case_id, output = whatsapp_case

    # inside the window: a free-form message, "verstuurd", no warning
    later(agent, moving_clock, hours=1)
    body = reply(agent, case_id, "Hallo, met de klantenservice.")
    assert (body["delivery"], body["delivery_label"]) == ("sent", "verstuurd")
    assert twilio_api.requests[-1].field("Body") == "Hallo, met de klantenservice."
    page = agent.get(f"/cases/{case_id}").text
    assert delivery_of(page, "Hallo, met de klantenservice.") == "verstuurd"
    assert WARNING not in page

    # more than 24 hours after the customer's last message: the reply form warns
    later(agent, moving_clock, hours=24)
    page = agent.get(f"/cases/{case_id}").text
    assert WARNING in page and "meer dan 24 uur" in page

    # the payment confirmation pushed the way bot/payments/notify.py does it goes as its template
    asyncio.run(RasaApi(base_url=fake_rasa.url, token=TOKEN).utter(SENDER, "utter_payment_received",
                                                                   {"payment_amount": "€ 210"}))
    assert twilio_api.requests[-1].field("ContentSid") == load_templates()["payment_confirmed"].content_sid
    page = agent.get(f"/cases/{case_id}").text
    assert delivery_of(page, "[utter_payment_received] {&#34;payment_amount&#34;: &#34;€ 210&#34;}") == \
        "als template verstuurd"

    # a staff reply now waits until the customer writes; they get the "a reply is waiting" template
    body = reply(agent, case_id, "Ik heb een voorstel voor je.")
    assert (body["delivery"], body["delivery_label"]) == ("queued", "in de wachtrij tot de klant reageert")
    assert twilio_api.requests[-1].field("ContentSid") == load_templates()["staff_reply_waiting"].content_sid
    assert all(r.field("Body") != "Ik heb een voorstel voor je." for r in twilio_api.requests)
    page = agent.get(f"/cases/{case_id}").text
    assert delivery_of(page, "Ik heb een voorstel voor je.") == "in de wachtrij tot de klant reageert"
    assert delivery_of(page, "Hallo, met de klantenservice.") == "verstuurd"

    # the customer writes (what the Twilio webhook does): the reply goes out, once
    later(agent, moving_clock, hours=3)
    ChannelState().inbound(SENDER, "ok")
    assert asyncio.run(output.deliver_queued(SENDER)) == 1
    assert asyncio.run(output.deliver_queued(SENDER)) == 0
    assert [r.field("Body") for r in twilio_api.requests].count("Ik heb een voorstel voor je.") == 1
    page = agent.get(f"/cases/{case_id}").text
    assert delivery_of(page, "Ik heb een voorstel voor je.").startswith("verstuurd")
    assert WARNING not in page


def test_other_channels_show_no_delivery_state_and_no_window_warning(agent, case_id):
    page = agent.get(f"/cases/{case_id}").text
    assert WARNING not in page and 'class="delivery' not in page
