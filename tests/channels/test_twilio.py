"""The Twilio channel mounted in a real Sanic app: real RequestValidator signatures, payloads as
Twilio sends them, replies to a local stand-in for Twilio's REST API (issue 6; issue 9 §1, §3)."""
from __future__ import annotations

import asyncio
import json
import logging
from datetime import timedelta

import pytest
import requests
from twilio.request_validator import RequestValidator

from bot import clock
from bot.channels.state import ChannelState
from bot.channels.twilio import (
    MEDIA_WITHOUT_TEXT,
    OutsideWhatsAppWindow,
    TwilioSettings,
    TwilioSignedInput,
    load_templates,
)

TOKEN = "test-auth-token-0123456789abcdef"
ACCOUNT = "AC" + "0" * 32
PUBLIC = "https://betaalhulp.example.nl"
PHONE = "+31612345001"
WHATSAPP_FROM = "whatsapp:+14155238886"
SMS_FROM = "+3197010250000"


def settings(api_url: str, **overrides) -> TwilioSettings:
    values = dict(account_sid=ACCOUNT, auth_token=TOKEN, whatsapp_from=WHATSAPP_FROM, sms_from=SMS_FROM,
                  public_url=PUBLIC, api_base_url=api_url, max_attempts=3, backoff_seconds=0.01)
    values.update(overrides)
    return TwilioSettings(**values)


def whatsapp_form(sid: str, body: str = "hoi", phone: str = PHONE, **extra) -> dict:
    return {"SmsMessageSid": sid, "NumMedia": "0", "ProfileName": "Sanne", "MessageType": "text",
            "SmsSid": sid, "WaId": phone.lstrip("+"), "SmsStatus": "received", "Body": body,
            "To": WHATSAPP_FROM, "NumSegments": "1", "ReferralNumMedia": "0", "MessageSid": sid,
            "AccountSid": ACCOUNT, "From": f"whatsapp:{phone}", "ApiVersion": "2010-04-01", **extra}


def sms_form(sid: str, body: str, phone: str = PHONE) -> dict:
    return {"ToCountry": "NL", "ToState": "", "SmsMessageSid": sid, "NumMedia": "0", "ToCity": "",
            "FromZip": "", "SmsSid": sid, "FromState": "", "SmsStatus": "received", "FromCity": "",
            "Body": body, "FromCountry": "NL", "To": SMS_FROM, "ToZip": "", "NumSegments": "1",
            "MessageSid": sid, "AccountSid": ACCOUNT, "From": phone, "ApiVersion": "2010-04-01"}


def status_form(sid: str, status: str, error: str | None = None) -> dict:
    form = {"SmsSid": sid, "SmsStatus": status, "MessageStatus": status, "ChannelToAddress": PHONE,
            "To": f"whatsapp:{PHONE}", "ChannelPrefix": "whatsapp", "MessageSid": sid, "AccountSid": ACCOUNT,
            "From": WHATSAPP_FROM, "ApiVersion": "2010-04-01", "ChannelInstallSid": "XE" + "1" * 32}
    if error:
        form["ErrorCode"] = error
    return form


def post(app, form: dict, route: str = "webhook", signature: str | None = "sign", signed_url: str | None = None,
         token: str = TOKEN) -> requests.Response:
    path = f"/webhooks/twilio_signed/{route}"
    headers = {}
    if signature == "sign":
        headers["X-Twilio-Signature"] = RequestValidator(token).compute_signature(signed_url or PUBLIC + path, form)
    elif signature is not None:
        headers["X-Twilio-Signature"] = signature
    return requests.post(app.url + path, data=form, headers=headers, timeout=30)


@pytest.fixture
def channel(database, twilio_api):
    return TwilioSignedInput(settings(twilio_api.url))


@pytest.fixture
def app(mount, channel):
    return mount(channel)


# -- signatures ----------------------------------------------------------------------------------
def test_a_signed_whatsapp_message_reaches_the_bot_with_the_verified_phone(app):
    reply = post(app, whatsapp_form("SM" + "a" * 32, "Hoi, ik kan niet betalen"))
    assert reply.status_code == 200 and "<Response>" in reply.text
    [message] = app.agent.messages
    assert message.text == "Hoi, ik kan niet betalen"
    assert message.sender_id == f"twilio_whatsapp:{PHONE}"
    assert message.input_channel == "twilio_signed"
    assert message.metadata["verified_phone"] == PHONE and message.metadata["channel"] == "whatsapp"


def test_a_signed_sms_gets_its_own_namespace(app):
    assert post(app, sms_form("SM" + "b" * 32, "hallo")).status_code == 200
    [message] = app.agent.messages
    assert message.sender_id == f"twilio_sms:{PHONE}" and message.metadata["channel"] == "sms"
    assert message.metadata["verified_phone"] == PHONE


@pytest.mark.parametrize("case", ["missing", "garbage", "wrong_token", "tampered_body", "other_url"])
def test_forged_or_unsigned_requests_get_403_and_never_reach_the_bot(app, case):
    form = whatsapp_form("SM" + "c" * 32, "hoi")
    if case == "missing":
        reply = post(app, form, signature=None)
    elif case == "garbage":
        reply = post(app, form, signature="bm90IGEgc2lnbmF0dXJl")
    elif case == "wrong_token":
        reply = post(app, form, token="someone-elses-token")
    elif case == "tampered_body":
        signature = RequestValidator(TOKEN).compute_signature(PUBLIC + "/webhooks/twilio_signed/webhook", form)
        reply = post(app, {**form, "From": "whatsapp:+31699999999"}, signature=signature)
    else:  # signed for another host than the configured public URL
        reply = post(app, form, signed_url="https://evil.example/webhooks/twilio_signed/webhook")
    assert reply.status_code == 403 and reply.json()["error"]
    assert app.agent.messages == []


def test_unsigned_status_callbacks_are_refused_too(app):
    assert post(app, status_form("SM" + "d" * 32, "delivered"), route="status", signature=None).status_code == 403
    assert ChannelState().statuses("SM" + "d" * 32) == []


def test_without_a_public_url_the_request_url_is_what_is_signed(database, twilio_api, mount):
    app = mount(TwilioSignedInput(settings(twilio_api.url, public_url=None)))
    path = "/webhooks/twilio_signed/webhook"
    assert post(app, whatsapp_form("SM" + "e" * 32), signed_url=app.url + path).status_code == 200
    assert post(app, whatsapp_form("SM" + "f" * 32), signed_url=PUBLIC + path).status_code == 403
    assert len(app.agent.messages) == 1


# -- payloads ------------------------------------------------------------------------------------------
def test_the_same_message_sid_twice_makes_one_turn(app):
    form = whatsapp_form("SM" + "1" * 32, "hoi")
    assert post(app, form).status_code == 200
    assert post(app, form).status_code == 200  # Twilio's retry gets a normal answer
    assert len(app.agent.messages) == 1


def test_media_without_caption_becomes_a_kind_out_of_scope_turn(app):
    form = whatsapp_form("MM" + "2" * 32, "", NumMedia="1", MessageType="image", MediaContentType0="image/jpeg",
                         MediaUrl0=f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Messages/MM/Media/ME1")
    assert post(app, form).status_code == 200
    [message] = app.agent.messages
    assert message.text == MEDIA_WITHOUT_TEXT and message.metadata["media"] == 1


def test_status_callbacks_are_recorded_on_their_own_route_and_never_make_a_turn(app):
    sid = "SM" + "3" * 32
    assert post(app, status_form(sid, "sent"), route="status").status_code == 204
    assert post(app, status_form(sid, "failed", "63016"), route="status").status_code == 204
    # sent to the message URL by a misconfigured number: recorded, no 500, no turn
    assert post(app, status_form(sid, "delivered")).status_code == 204
    assert ChannelState().statuses(sid) == [("sent", None), ("failed", "63016"), ("delivered", None)]
    assert app.agent.messages == []


@pytest.mark.parametrize("form,content_type,status", [
    ({"Body": "hoi", "From": f"whatsapp:{PHONE}"}, None, 400),                   # no MessageSid
    ({"MessageSid": "SM1", "Body": "hoi"}, None, 400),                           # no From
    ({"MessageSid": "SM2", "Body": "hoi", "From": "whatsapp:0612345001"}, None, 400),  # not E.164
    ({"MessageSid": "SM3", "Body": "hoi", "From": PHONE}, "application/json", 415),
])
def test_malformed_webhooks_get_a_4xx_with_a_reason(app, form, content_type, status):
    path = "/webhooks/twilio_signed/webhook"
    signature = RequestValidator(TOKEN).compute_signature(PUBLIC + path, form)
    headers = {"X-Twilio-Signature": signature}
    if content_type:
        reply = requests.post(app.url + path, data=json.dumps(form), timeout=10,
                              headers={**headers, "Content-Type": content_type})
    else:
        reply = requests.post(app.url + path, data=form, headers=headers, timeout=10)
    assert reply.status_code == status and reply.json()["error"]
    assert app.agent.messages == []


def test_a_status_callback_without_a_status_is_a_400(app):
    form = {"MessageSid": "SM" + "4" * 32, "AccountSid": ACCOUNT}
    reply = post(app, form, route="status")
    assert reply.status_code == 400 and "MessageStatus" in reply.json()["error"]


# -- replies through Twilio's REST API (the stand-in) -----------------------------------------------
def test_buttons_become_a_numbered_list_and_the_number_maps_back_to_the_payload(app, twilio_api):
    app.agent.replies = [{"text": "Vraag 1. Is je inkomen anders?",
                          "buttons": [{"title": "Ja", "payload": "ja"}, {"title": "Nee", "payload": "nee"}]}]
    post(app, whatsapp_form("SM" + "5" * 32, "hoi"))
    [sent] = twilio_api.requests
    assert sent.path == f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json"
    assert sent.headers["Authorization"].startswith("Basic ")
    assert sent.field("To") == f"whatsapp:{PHONE}" and sent.field("From") == WHATSAPP_FROM
    assert "Vraag 1. Is je inkomen anders?" in sent.field("Body")
    assert "1. Ja\n2. Nee" in sent.field("Body")
    assert sent.field("StatusCallback") == f"{PUBLIC}/webhooks/twilio_signed/status"

    app.agent.replies = []
    post(app, whatsapp_form("SM" + "6" * 32, " 2 "))
    assert app.agent.messages[-1].text == "nee"
    # a number means a button only once: the next "2" is just text again
    post(app, whatsapp_form("SM" + "7" * 32, "2"))
    assert app.agent.messages[-1].text == "2"


def test_sms_buttons_are_numbered_too_and_stay_gsm7(app, twilio_api):
    app.agent.replies = [{"text": "Wil je een betaalregeling? Dat kan ook financiële rust geven.",
                          "buttons": [{"title": "Ja", "payload": "ja"}, {"title": "Nee", "payload": "nee"}]}]
    post(app, sms_form("SM" + "8" * 32, "hoi"))
    [sent] = twilio_api.requests
    body = sent.field("Body")
    assert sent.field("To") == PHONE and sent.field("From") == SMS_FROM
    assert "financiele" in body and "1. Ja 2. Nee" in body  # "ë" would force UCS-2
    app.agent.replies = []
    post(app, sms_form("SM" + "9" * 32, "1"))
    assert app.agent.messages[-1].text == "ja"


def test_images_are_media_on_whatsapp_and_links_on_sms(app, twilio_api):
    qr = "http://127.0.0.1:8080/qr/abc123.png"
    app.agent.replies = [{"text": "Scan de QR-code om te betalen.", "image": qr}]
    post(app, whatsapp_form("SM" + "a1" * 16, "betalen"))
    post(app, sms_form("SM" + "b1" * 16, "betalen"))
    whatsapp_text, whatsapp_image, sms_text, sms_link = twilio_api.requests
    assert whatsapp_image.field("MediaUrl") == qr and whatsapp_image.field("To") == f"whatsapp:{PHONE}"
    assert whatsapp_text.field("Body") == "Scan de QR-code om te betalen."
    assert sms_link.field("MediaUrl") is None and qr in sms_link.field("Body")


def test_long_sms_is_split_into_short_gsm7_messages(app, twilio_api):
    text = " ".join(["Je hebt één termijn gemist, een financiële zorg: € 210."] * 12)
    app.agent.replies = [{"text": text}]
    post(app, sms_form("SM" + "c1" * 16, "hoi"))
    bodies = [r.field("Body") for r in twilio_api.requests]
    assert len(bodies) >= 2
    assert all(len(b) + b.count("€") <= 306 for b in bodies)  # two GSM-7 segments each
    assert " ".join(bodies) == text.replace("ë", "e")  # "é" is GSM-7, "ë" is not


# -- the 24-hour window and templates ------------------------------------------------------------------
def test_free_form_whatsapp_outside_the_24_hour_window_is_refused_templates_go_through(app, channel, twilio_api):
    sender = f"twilio_whatsapp:{PHONE}"
    post(app, whatsapp_form("SM" + "d1" * 16, "hoi"))
    output = channel.get_output_channel()
    app.run(output.send_text_message(sender, "Nog een vraag?"))  # within the window
    assert twilio_api.requests[-1].field("Body") == "Nog een vraag?"

    later = clock.utcnow() + timedelta(hours=24, minutes=1)
    clock.set_clock(lambda: later)
    try:
        with pytest.raises(OutsideWhatsAppWindow, match="24-hour window"):
            app.run(output.send_text_message(sender, "Uw betaling is binnen"))
        with pytest.raises(OutsideWhatsAppWindow):
            app.run(output.send_image_url(sender, "http://127.0.0.1/qr.png"))
        count = len(twilio_api.requests)
        app.run(output.send_response(sender, {"custom": {"whatsapp_template": "payment_confirmed",
                                                         "variables": {"amount": "€ 210", "date": "22-11-2026"}}}))
        assert len(twilio_api.requests) == count + 1
        sent = twilio_api.requests[-1]
        assert sent.field("ContentSid") == load_templates()["payment_confirmed"].content_sid
        assert json.loads(sent.field("ContentVariables")) == {"1": "€ 210", "2": "22-11-2026"}
        assert sent.field("Body") is None
        # SMS has no such window
        app.run(output.send_text_message(f"twilio_sms:{PHONE}", "Uw betaling is binnen"))
        assert twilio_api.requests[-1].field("Body") == "Uw betaling is binnen"
    finally:
        clock.set_clock(None)


def test_a_sender_that_never_wrote_gets_no_free_form_whatsapp(channel):
    output = channel.get_output_channel()
    with pytest.raises(OutsideWhatsAppWindow):
        asyncio.run(output.send_text_message("twilio_whatsapp:+31600000000", "hallo"))
    with pytest.raises(ValueError, match="not a Twilio sender id"):
        asyncio.run(output.send_text_message("whatsapp:+31600000000", "hallo"))


# -- sending: retries, refusals, logs ----------------------------------------------------------------
def test_send_failures_are_retried_with_backoff_and_logged_without_personal_data(app, channel, twilio_api, caplog):
    post(app, whatsapp_form("SM" + "e1" * 16, "hoi"))
    output = channel.get_output_channel()
    twilio_api.fail_next = [500, 503]
    with caplog.at_level(logging.INFO, logger="bot.channels.twilio"):
        app.run(output.send_text_message(f"twilio_whatsapp:{PHONE}", "Sanne, je achterstand is € 210"))
    assert twilio_api.attempts == 3 and len(twilio_api.requests) == 1
    assert "retrying" in caplog.text
    twilio_api.fail_next = [400]
    with caplog.at_level(logging.INFO, logger="bot.channels.twilio"):
        app.run(output.send_text_message(f"twilio_whatsapp:{PHONE}", "nog een"))
    assert twilio_api.attempts == 4  # a refusal is not retried
    assert "refused" in caplog.text
    for secret in (PHONE, PHONE.lstrip("+"), "Sanne", "210", TOKEN):
        assert secret not in caplog.text


def test_a_dead_api_gives_up_after_max_attempts(database):
    output = TwilioSignedInput(settings("http://127.0.0.1:9", max_attempts=2)).get_output_channel()
    asyncio.run(output.send_text_message(f"twilio_sms:{PHONE}", "hallo"))  # logged, not raised
    assert output.sent == []


def test_settings_come_from_the_environment(monkeypatch):
    for name, value in {"TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_AUTH_TOKEN": TOKEN, "TWILIO_WHATSAPP_FROM": "+1415",
                        "TWILIO_SMS_FROM": SMS_FROM, "TWILIO_PUBLIC_URL": PUBLIC + "/",
                        "TWILIO_API_BASE_URL": "http://127.0.0.1:1/"}.items():
        monkeypatch.setenv(name, value)
    loaded = TwilioSettings.from_credentials({"auth_token": "from-yaml"})
    assert (loaded.account_sid, loaded.auth_token, loaded.public_url, loaded.api_base_url) == \
        (ACCOUNT, "from-yaml", PUBLIC, "http://127.0.0.1:1")
    monkeypatch.delenv("TWILIO_AUTH_TOKEN")
    with pytest.raises(ValueError, match="TWILIO_AUTH_TOKEN"):
        TwilioSettings.from_credentials(None)
