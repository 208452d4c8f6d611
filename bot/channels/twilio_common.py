"""What receiving and sending through Twilio share: settings, errors, sender ids, numbered buttons."""
from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot import addresses

# One logger for the whole Twilio channel, however its code is split.
logger = logging.getLogger("bot.channels.twilio")

CHANNEL_NAME = "twilio_signed"
WHATSAPP_PREFIX = addresses.WHATSAPP
SMS_PREFIX = addresses.SMS
WHATSAPP_MAX_BODY = 1600
MAX_FORM_BYTES = 64 * 1024
TEMPLATES_FILE = Path(__file__).with_name("whatsapp_templates.yml")
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


class OutsideWhatsAppWindow(RuntimeError):
    """A free-form WhatsApp message after the 24-hour customer-service window: WhatsApp would
    refuse it (Twilio error 63016). Send an approved template instead."""


class TwilioSendError(RuntimeError):
    pass


@dataclass(frozen=True)
class TwilioSettings:
    account_sid: str
    auth_token: str
    whatsapp_from: str | None = None
    sms_from: str | None = None
    public_url: str | None = None
    api_base_url: str = "https://api.twilio.com"
    max_attempts: int = 4
    backoff_seconds: float = 0.5
    sms_max_segments: int = 2

    @classmethod
    def from_credentials(cls, credentials: dict | None) -> "TwilioSettings":
        """Values from credentials.yml, each falling back to its environment variable."""
        credentials = credentials or {}

        def value(key: str, env: str) -> str | None:
            raw = credentials.get(key)
            raw = raw if raw not in (None, "") else os.environ.get(env)
            return str(raw).strip() if raw not in (None, "") else None

        account_sid, auth_token = value("account_sid", "TWILIO_ACCOUNT_SID"), value("auth_token", "TWILIO_AUTH_TOKEN")
        if not account_sid or not auth_token:
            raise ValueError("Twilio channel: TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are required")
        return cls(
            account_sid=account_sid, auth_token=auth_token,
            whatsapp_from=value("whatsapp_from", "TWILIO_WHATSAPP_FROM"),
            sms_from=value("sms_from", "TWILIO_SMS_FROM"),
            public_url=(value("public_url", "TWILIO_PUBLIC_URL") or "").rstrip("/") or None,
            api_base_url=(value("api_base_url", "TWILIO_API_BASE_URL") or "https://api.twilio.com").rstrip("/"),
            max_attempts=int(value("max_attempts", "TWILIO_MAX_ATTEMPTS") or 4),
            backoff_seconds=float(value("backoff_seconds", "TWILIO_BACKOFF_SECONDS") or 0.5),
            sms_max_segments=int(value("sms_max_segments", "TWILIO_SMS_MAX_SEGMENTS") or 2),
        )


# -- addresses -----------------------------------------------------------------------------------
def sender_id_for(from_field: str) -> tuple[str, str, str]:
    """Twilio's `From` -> (channel kind, E.164 phone, our namespaced sender id)."""
    kind = "whatsapp" if from_field.startswith("whatsapp:") else "sms"
    phone = from_field.removeprefix("whatsapp:").strip()
    if not E164.match(phone):
        raise ValueError("From is not an E.164 phone number")
    return kind, phone, (WHATSAPP_PREFIX if kind == "whatsapp" else SMS_PREFIX) + phone


def address_of(sender_id: str) -> tuple[str, str]:
    """Our sender id -> (channel kind, E.164 phone)."""
    for kind, prefix in (("whatsapp", WHATSAPP_PREFIX), ("sms", SMS_PREFIX)):
        if sender_id.startswith(prefix):
            phone = sender_id.removeprefix(prefix)
            if E164.match(phone):
                return kind, phone
    raise ValueError("not a Twilio sender id (expected twilio_whatsapp:+... or twilio_sms:+...)")


def numbered(text: str, buttons: list[dict[str, Any]]) -> str:
    lines = [f"{i}. {b.get('title') or b.get('payload')}" for i, b in enumerate(buttons, start=1)]
    return f"{text}\n\n" + "\n".join(lines) + "\n\nStuur het nummer van je keuze."


class _Form(dict):
    """Form fields as lists, in the MultiDict shape RequestValidator understands."""

    def getall(self, key: str) -> list[str]:
        return self[key]

    def first(self, key: str) -> str | None:
        values = self.get(key)
        return values[0] if values else None
