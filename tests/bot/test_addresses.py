"""Sender ids: one set of prefixes for the channels, the follow-up engine and the console."""
from bot import addresses
from bot.channels import rest, telegram, twilio_common, widget


def test_every_channel_makes_sender_ids_with_the_shared_prefixes():
    assert (twilio_common.WHATSAPP_PREFIX, twilio_common.SMS_PREFIX) == (addresses.WHATSAPP, addresses.SMS)
    assert telegram.SENDER_PREFIX == addresses.TELEGRAM
    assert widget.sender_id_for("abc").startswith(addresses.WIDGET)
    assert rest.PREFIX == addresses.REST


def test_the_channel_of_a_sender_id():
    cases = {"twilio_whatsapp:+31612345678": "whatsapp", "twilio_sms:+31612345678": "sms",
             "telegram:12345": "telegram", "web:abc": "widget", "rest:anna": "rest", "console:x": "other",
             "": "other"}
    assert {sender: addresses.channel_of(sender) for sender in cases} == cases
    assert addresses.sms_to("+31612345678") == "twilio_sms:+31612345678"
    assert addresses.is_whatsapp("twilio_whatsapp:+316") and not addresses.is_whatsapp("twilio_sms:+316")
    assert not addresses.is_whatsapp(None)


def test_addresses_import_nothing_from_rasa():
    source = open(addresses.__file__, encoding="utf-8").read()
    assert "rasa" not in source.replace("Rasa-free", "")
