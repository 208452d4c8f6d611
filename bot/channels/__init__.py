"""Rasa input/output channels (the one place in bot/ that imports Rasa): Twilio WhatsApp and
SMS (`twilio.py`), Telegram (`telegram.py`). `sms.py` and `state.py` are free of Rasa."""
