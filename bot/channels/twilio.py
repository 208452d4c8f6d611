"""WhatsApp and SMS through Twilio, with the signature checked on every webhook (issue 6, R3/R4).

Routes (channel name `twilio_signed`):
- `POST /webhooks/twilio_signed/webhook`  incoming WhatsApp and SMS messages (form-encoded)
- `POST /webhooks/twilio_signed/status`   delivery status callbacks (MessageStatus, no Body)
- `GET  /webhooks/twilio_signed/`         health

Every POST is checked against `X-Twilio-Signature` with Twilio's own `RequestValidator`, using
the public URL Twilio called (`TWILIO_PUBLIC_URL` when behind a proxy): forged or unsigned
requests get a 403 and never reach the bot. Only after that check does the customer's phone
number go into the message metadata as `verified_phone` (actions/verification.py trusts it).

Sender ids are namespaced per channel: `twilio_whatsapp:+316...` and `twilio_sms:+316...`.
The same MessageSid twice makes one turn (remembered in our database, so across workers).

WhatsApp's 24-hour window: a proactive message (a push through Rasa's HTTP API, which builds
this output channel for output_channel=latest: payment news, a staff reply from the console)
after the customer's last message is more than 24 hours old is not refused with an error (Rasa
would answer the caller with a 500). `send_response` chooses instead: the approved template
mapped to the domain response in whatsapp_templates.yml (ContentSid + ContentVariables), or the
message waits in our database (`channel_outbound`) and goes out, once, as soon as the customer
writes again. A staff reply also triggers the "a reply is waiting, write to us" template. Every
proactive message is recorded with its outcome (sent / sent_as_template / queued /
delivered_from_queue / failed) and its case, which the console shows.
Sending goes to Twilio's REST API with httpx (never blocks the event loop), retried with backoff;
logs carry message sids and status codes, never phone numbers or text.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Awaitable, Callable
from urllib.parse import parse_qs

import httpx
import yaml
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from twilio.request_validator import RequestValidator

from bot import clock
from bot.channels.sms import split_sms
from bot.channels.state import WHATSAPP_WINDOW, ChannelState

logger = logging.getLogger(__name__)

CHANNEL_NAME = "twilio_signed"
WHATSAPP_PREFIX = "twilio_whatsapp:"
SMS_PREFIX = "twilio_sms:"
# Sent to the bot for a message with media and no caption: the bot's kind out-of-scope answer
# ("I cannot help with that; I help with payments") instead of an empty message.
MEDIA_WITHOUT_TEXT = "/out_of_scope"
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


# -- templates (data) ----------------------------------------------------------------------------
@dataclass(frozen=True)
class WhatsAppTemplate:
    name: str
    content_sid: str
    variables: tuple[str, ...]
    text: str
    category: str = "UTILITY"

    def content_variables(self, values: dict[str, Any]) -> str:
        missing = [v for v in self.variables if v not in values]
        if missing:
            raise ValueError(f"template {self.name}: missing variables {missing}")
        return json.dumps({str(i): str(values[v]) for i, v in enumerate(self.variables, start=1)})


@lru_cache(maxsize=4)
def load_templates(path: Path = TEMPLATES_FILE) -> dict[str, WhatsAppTemplate]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    templates = {}
    for name, spec in (data.get("templates") or {}).items():
        sid = os.environ.get(f"TWILIO_CONTENT_SID_{name.upper()}") or spec["content_sid"]
        templates[name] = WhatsAppTemplate(name, sid, tuple(spec.get("variables") or ()), spec.get("text", ""),
                                           str(spec.get("category") or "UTILITY").upper())
    return templates


@dataclass(frozen=True)
class WindowRules:
    """What to send outside the 24-hour window (whatsapp_templates.yml: `responses`, `staff_reply`)."""

    responses: dict[str, tuple[str, dict[str, str]]]  # domain response -> (template, variable -> source)
    staff_reply: str | None


VARIABLE_SOURCES = ("amount_in_text", "today")
EURO_AMOUNT = re.compile(r"-?€\s?\d{1,3}(?:\.\d{3})*(?:,\d{2})?")


@lru_cache(maxsize=4)
def load_window_rules(path: Path = TEMPLATES_FILE) -> WindowRules:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    templates = load_templates(path)
    responses = {}
    for utter, spec in (data.get("responses") or {}).items():
        template, variables = spec["template"], dict(spec.get("variables") or {})
        if template not in templates:
            raise ValueError(f"{path.name}: response {utter} maps to unknown template {template!r}")
        unknown = {v for v in variables.values() if v not in VARIABLE_SOURCES}
        if unknown or set(variables) != set(templates[template].variables):
            raise ValueError(f"{path.name}: response {utter}: variables must be {templates[template].variables} "
                             f"from {VARIABLE_SOURCES}")
        responses[utter] = (template, variables)
    staff_reply = data.get("staff_reply")
    if staff_reply and (staff_reply not in templates or templates[staff_reply].variables):
        raise ValueError(f"{path.name}: staff_reply must name a template without variables")
    return WindowRules(responses, staff_reply or None)


def template_variables(sources: dict[str, str], text: str) -> dict[str, str] | None:
    """The template's variables from the rendered text; None when the text lacks one."""
    values = {}
    for variable, source in sources.items():
        if source == "today":
            day = clock.today()
            values[variable] = f"{day.day}-{day.month}-{day.year}"
        elif source == "amount_in_text":
            found = EURO_AMOUNT.search(text or "")
            if not found:
                return None
            values[variable] = found.group(0)
    return values


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


# -- output ----------------------------------------------------------------------------------------
class TwilioSignedOutput(OutputChannel):
    """Sends through Twilio's REST API; WhatsApp or SMS follows from the sender id."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL_NAME

    def __init__(self, settings: TwilioSettings, state: ChannelState | None = None,
                 status_callback: str | None = None, proactive: bool = True) -> None:
        self.settings = settings
        self.state = state or ChannelState()
        self.status_callback = status_callback
        # False for the replies within a turn (the webhook's own channel): those are not recorded.
        self.proactive = proactive
        self.sent: list[str] = []  # message sids Twilio returned, for callers and tests

    # Rasa's entry points ------------------------------------------------------------------
    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        """Every message Rasa sends comes through here: WhatsApp outside the window gets a
        template or waits in the queue instead of an error."""
        kind, _ = address_of(recipient_id)
        if kind != "whatsapp":
            await super().send_response(recipient_id, message)
            return
        message = dict(message)
        template_only = _template_only(message)
        if not template_only and not await asyncio.to_thread(self.state.window_open, recipient_id):
            await self._outside_window(recipient_id, message)
            return
        before = len(self.sent)
        try:
            await super().send_response(recipient_id, dict(message))
        except OutsideWhatsAppWindow:
            # The window closed between the check and the send: the same choice as above.
            await self._outside_window(recipient_id, message)
            return
        if self.proactive:
            sid = self.sent[before] if len(self.sent) > before else None
            outcome = ("sent_as_template" if template_only else "sent") if sid else "failed"
            await self._record(recipient_id, message, outcome, message_sid=sid,
                               template=(message.get("custom") or {}).get("whatsapp_template") if template_only else None)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        kind, _ = address_of(recipient_id)
        if kind == "whatsapp":
            await self._require_window(recipient_id)
            for part in _paragraph_chunks(text, WHATSAPP_MAX_BODY):
                await self._create(recipient_id, {"Body": part})
        else:
            for part in split_sms(text, self.settings.sms_max_segments):
                await self._create(recipient_id, {"Body": part.text})

    async def send_text_with_buttons(self, recipient_id: str, text: str, buttons: list[dict[str, Any]],
                                     **kwargs: Any) -> None:
        kind, _ = address_of(recipient_id)
        if kind == "whatsapp":
            await self._require_window(recipient_id)  # before the buttons are remembered
        payloads = [str(b.get("payload") or b.get("title") or "") for b in buttons]
        await asyncio.to_thread(self.state.offer_buttons, recipient_id, payloads)
        await self.send_text_message(recipient_id, numbered(text, buttons))

    async def send_quick_replies(self, recipient_id: str, text: str, quick_replies: list[dict[str, Any]],
                                 **kwargs: Any) -> None:
        await self.send_text_with_buttons(recipient_id, text, quick_replies)

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        kind, _ = address_of(recipient_id)
        if kind == "whatsapp":
            await self._require_window(recipient_id)
            await self._create(recipient_id, {"MediaUrl": image})
        else:
            # SMS carries no images: the link, which opens on the phone.
            await self.send_text_message(recipient_id, f"Bekijk de afbeelding: {image}")

    async def send_attachment(self, recipient_id: str, attachment: str, **kwargs: Any) -> None:
        await self.send_text_message(recipient_id, str(attachment))

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any) -> None:
        """`{"whatsapp_template": "<name>", "variables": {...}}` sends an approved template."""
        name = json_message.get("whatsapp_template") if isinstance(json_message, dict) else None
        if not name:
            logger.warning("twilio: custom payload without whatsapp_template ignored")
            return
        await self.send_template(recipient_id, str(name), json_message.get("variables") or {})

    async def send_template(self, recipient_id: str, name: str, variables: dict[str, Any]) -> None:
        """An approved WhatsApp template: allowed outside the 24-hour window."""
        kind, _ = address_of(recipient_id)
        template = load_templates().get(name)
        if template is None:
            raise ValueError(f"unknown WhatsApp template {name!r}")
        if kind != "whatsapp":
            # SMS has no templates and no window: the approved wording as text.
            body = template.text
            for i, var in enumerate(template.variables, start=1):
                body = body.replace("{{%d}}" % i, str(variables.get(var, "")))
            await self.send_text_message(recipient_id, body)
            return
        await self._create(recipient_id, {"ContentSid": template.content_sid,
                                          "ContentVariables": template.content_variables(variables)})

    async def deliver_queued(self, recipient_id: str) -> int:
        """Sends what waited for this customer (their message just opened the window), each
        message once even with several workers; returns how many went out."""
        delivered = 0
        for row_id, message in await asyncio.to_thread(self.state.queued, recipient_id):
            if not await asyncio.to_thread(self.state.claim, row_id):
                continue  # another worker has it
            before = len(self.sent)
            try:
                await super().send_response(recipient_id, dict(message))
            except Exception:
                logger.exception("twilio: queued message %s not delivered; kept for the next message", row_id)
                await asyncio.to_thread(self.state.release, row_id)
                continue
            if len(self.sent) == before:
                logger.warning("twilio: queued message %s not delivered; kept for the next message", row_id)
                await asyncio.to_thread(self.state.release, row_id)
                continue
            await asyncio.to_thread(self.state.delivered, row_id, self.sent[before])
            logger.info("twilio: queued message %s delivered_from_queue (sid %s)", row_id, self.sent[before])
            delivered += 1
        return delivered

    # internals --------------------------------------------------------------------------------
    async def _outside_window(self, recipient_id: str, message: dict[str, Any]) -> None:
        """A proactive WhatsApp message after the window closed: its template, or the queue."""
        rules = load_window_rules()
        utter = message.get("utter_action")
        if utter in rules.responses:
            name, sources = rules.responses[utter]
            variables = template_variables(sources, message.get("text") or "")
            if variables is not None:
                sid = await self._send_content(recipient_id, name, variables)
                await self._record(recipient_id, message, "sent_as_template" if sid else "failed",
                                   template=name, message_sid=sid)
                return
            logger.warning("twilio: response %s has no value for template %s; queued instead", utter, name)
        row_id = await self._record(recipient_id, message, "queued", queued=_storable(message))
        if _source(message)[0] == "staff_reply" and rules.staff_reply and \
                not await asyncio.to_thread(self.state.nudged_while_queued, recipient_id):
            sid = await self._send_content(recipient_id, rules.staff_reply, {})
            if sid:
                await asyncio.to_thread(self.state.note_template, row_id, rules.staff_reply, sid)
                logger.info("twilio: queued message %s: template %s sent (sid %s)", row_id, rules.staff_reply, sid)

    async def _send_content(self, recipient_id: str, name: str, variables: dict[str, Any]) -> str | None:
        template = load_templates()[name]
        return await self._create(recipient_id, {"ContentSid": template.content_sid,
                                                 "ContentVariables": template.content_variables(variables)})

    async def _record(self, recipient_id: str, message: dict[str, Any], outcome: str, *, template: str | None = None,
                      message_sid: str | None = None, queued: dict | None = None) -> int | None:
        """Writes the outcome for the console; a failure to record never loses the message."""
        source, ref = _source(message)
        try:
            row_id, case_id = await asyncio.to_thread(
                self.state.record_outbound, recipient_id, outcome, source=source, ref=ref, template=template,
                message=queued, message_sid=message_sid)
        except Exception:
            logger.exception("twilio: proactive %s message (%s) not recorded", source, outcome)
            return None
        # Case and row ids only: the sender id is a phone number.
        logger.info("twilio: proactive %s message %s for case %s: %s%s", source, row_id, case_id or "-", outcome,
                    f" ({template})" if template else "")
        return row_id

    async def _require_window(self, recipient_id: str) -> None:
        last = await asyncio.to_thread(self.state.last_inbound, recipient_id)
        if last is None or clock.utcnow() - last > WHATSAPP_WINDOW:
            raise OutsideWhatsAppWindow(
                "WhatsApp 24-hour window closed: the customer's last message is more than 24 hours ago "
                "(or there is none), so WhatsApp accepts only an approved template. Send "
                '{"custom": {"whatsapp_template": "<name>", "variables": {...}}} with a name from '
                "bot/channels/whatsapp_templates.yml, or queue the message until the customer writes.")

    def _from_for(self, kind: str) -> str:
        if kind == "whatsapp":
            if not self.settings.whatsapp_from:
                raise TwilioSendError("TWILIO_WHATSAPP_FROM is not set")
            number = self.settings.whatsapp_from
            return number if number.startswith("whatsapp:") else f"whatsapp:{number}"
        if not self.settings.sms_from:
            raise TwilioSendError("TWILIO_SMS_FROM is not set")
        return self.settings.sms_from

    async def _create(self, recipient_id: str, fields: dict[str, str]) -> str | None:
        kind, phone = address_of(recipient_id)
        data = {"To": f"whatsapp:{phone}" if kind == "whatsapp" else phone, "From": self._from_for(kind), **fields}
        if self.status_callback:
            data["StatusCallback"] = self.status_callback
        url = f"{self.settings.api_base_url}/2010-04-01/Accounts/{self.settings.account_sid}/Messages.json"
        auth = (self.settings.account_sid, self.settings.auth_token)
        delay = self.settings.backoff_seconds
        async with httpx.AsyncClient(timeout=10.0) as client:
            for attempt in range(1, self.settings.max_attempts + 1):
                try:
                    reply = await client.post(url, data=data, auth=auth)
                except httpx.TransportError as error:
                    outcome = type(error).__name__
                else:
                    if reply.status_code < 300:
                        sid = _json(reply).get("sid")
                        logger.info("twilio: %s message queued (sid %s)", kind, sid)
                        self.sent.append(sid)
                        return sid
                    if reply.status_code != 429 and reply.status_code < 500:
                        # A request Twilio refuses (bad number, window closed) does not get better.
                        logger.error("twilio: %s message refused, status %s, code %s", kind, reply.status_code,
                                     _json(reply).get("code"))
                        return None
                    outcome = f"status {reply.status_code}"
                if attempt < self.settings.max_attempts:
                    logger.warning("twilio: send attempt %d failed (%s); retrying in %.1f s", attempt, outcome, delay)
                    await asyncio.sleep(delay)
                    delay *= 2
        logger.error("twilio: %s message not sent after %d attempts (%s)", kind, self.settings.max_attempts, outcome)
        return None


# What a queued message keeps of Rasa's message: the content, not the bookkeeping.
STORED_KEYS = ("text", "buttons", "quick_replies", "image", "attachment", "custom", "elements")


def _storable(message: dict[str, Any]) -> dict[str, Any]:
    return {k: message[k] for k in STORED_KEYS if message.get(k)}


def _template_only(message: dict[str, Any]) -> bool:
    """A message that is nothing but an approved template: allowed outside the window."""
    custom = message.get("custom")
    return isinstance(custom, dict) and bool(custom.get("whatsapp_template")) and \
        not any(message.get(k) for k in STORED_KEYS if k != "custom")


def _source(message: dict[str, Any]) -> tuple[str, str | None]:
    """(source, ref): a console reply is known by its reply id, anything else by the timestamp of
    its bot event (the same number the tracker holds, so the console finds the line's record)."""
    stamp = message.get("timestamp")
    stamp_ref = f"ts:{float(stamp)!r}" if isinstance(stamp, (int, float)) else None
    if message.get("staff_id") is not None or message.get("reply_id"):
        return "staff_reply", message.get("reply_id") or stamp_ref
    if message.get("utter_action"):
        return "response", stamp_ref
    return "bot", stamp_ref


def _json(reply: httpx.Response) -> dict:
    try:
        body = reply.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _paragraph_chunks(text: str, limit: int) -> list[str]:
    text = text.strip()
    if len(text) <= limit:
        return [text]
    chunks, current = [], ""
    for paragraph in text.split("\n\n"):
        while len(paragraph) > limit:
            cut = paragraph.rfind(" ", 0, limit)
            cut = cut if cut > 0 else limit
            if current:
                chunks.append(current)
                current = ""
            chunks.append(paragraph[:cut].strip())
            paragraph = paragraph[cut:].strip()
        candidate = f"{current}\n\n{paragraph}" if current else paragraph
        if len(candidate) <= limit:
            current = candidate
        else:
            chunks.append(current)
            current = paragraph
    if current:
        chunks.append(current)
    return [c for c in chunks if c]


# -- input -----------------------------------------------------------------------------------------
class TwilioSignedInput(InputChannel):
    """Twilio webhooks for WhatsApp and SMS, signature-checked. Register in credentials.yml as
    `bot.channels.twilio.TwilioSignedInput`."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL_NAME

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        return cls(TwilioSettings.from_credentials(credentials))

    def __init__(self, settings: TwilioSettings, state: ChannelState | None = None) -> None:
        self.settings = settings
        self.state = state or ChannelState()
        self.validator = RequestValidator(settings.auth_token)

    def status_callback_url(self) -> str | None:
        if not self.settings.public_url:
            return None
        return f"{self.settings.public_url}/webhooks/{self.name()}/status"

    def get_output_channel(self) -> OutputChannel:
        return TwilioSignedOutput(self.settings, self.state, self.status_callback_url())

    def _signed_url(self, request: Request) -> str:
        if self.settings.public_url:
            query = f"?{request.query_string}" if request.query_string else ""
            return f"{self.settings.public_url}{request.path}{query}"
        return request.url

    def _checked_form(self, request: Request) -> _Form | HTTPResponse:
        """The form fields, or the 4xx to answer. The signature is checked before anything else."""
        signature = request.headers.get("X-Twilio-Signature")
        if not signature:
            logger.warning("twilio: request without X-Twilio-Signature refused")
            return response.json({"error": "missing X-Twilio-Signature"}, status=403)
        body = request.body or b""
        if len(body) > MAX_FORM_BYTES:
            return response.json({"error": "body too large"}, status=413)
        content_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
        if content_type != "application/x-www-form-urlencoded":
            return response.json({"error": "expected application/x-www-form-urlencoded"}, status=415)
        try:
            form = _Form(parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(body)))
        except (UnicodeDecodeError, ValueError):
            return response.json({"error": "malformed form body"}, status=400)
        if not self.validator.validate(self._signed_url(request), form, signature):
            logger.warning("twilio: request with an invalid signature refused")
            return response.json({"error": "invalid X-Twilio-Signature"}, status=403)
        return form

    def _record_status(self, form: _Form) -> None:
        sid, status = form.first("MessageSid") or form.first("SmsSid"), form.first("MessageStatus")
        error_code = form.first("ErrorCode")
        self.state.record_status("twilio", sid, status, error_code)
        log = logger.warning if status in ("failed", "undelivered") else logger.info
        log("twilio: message %s %s%s", sid, status, f" (error {error_code})" if error_code else "")

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        hook = Blueprint(f"{self.name()}_webhook", __name__)

        @hook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @hook.route("/status", methods=["POST"])
        async def status(request: Request) -> HTTPResponse:
            form = self._checked_form(request)
            if isinstance(form, HTTPResponse):
                return form
            if not (form.first("MessageSid") or form.first("SmsSid")) or not form.first("MessageStatus"):
                return response.json({"error": "MessageSid and MessageStatus are required"}, status=400)
            await asyncio.to_thread(self._record_status, form)
            return response.empty()

        @hook.route("/webhook", methods=["POST"])
        async def message(request: Request) -> HTTPResponse:
            form = self._checked_form(request)
            if isinstance(form, HTTPResponse):
                return form
            sid = form.first("MessageSid") or form.first("SmsMessageSid")
            body = form.first("Body")
            if sid and body is None and form.first("MessageStatus"):
                # A status callback sent to the message URL: record it, no turn.
                await asyncio.to_thread(self._record_status, form)
                return response.empty()
            if not sid or not form.first("From"):
                return response.json({"error": "MessageSid and From are required"}, status=400)
            try:
                kind, phone, sender_id = sender_id_for(form.first("From"))
            except ValueError as error:
                return response.json({"error": str(error)}, status=400)
            if not await asyncio.to_thread(self.state.first_time, "twilio", sid):
                logger.info("twilio: message %s already handled; retry ignored", sid)
                return response.text(EMPTY_TWIML, content_type="text/xml")

            text = (body or "").strip()
            num_media = form.first("NumMedia") or "0"
            media = int(num_media) if num_media.isdigit() else 0
            if not text:
                text = MEDIA_WITHOUT_TEXT
            picked = await asyncio.to_thread(self.state.inbound, sender_id, text)
            text = picked or text
            output = TwilioSignedOutput(self.settings, self.state, self.status_callback_url(), proactive=False)
            if kind == "whatsapp":
                # The customer's message opened the window: what waited for them goes first, once.
                try:
                    await output.deliver_queued(sender_id)
                except Exception:
                    logger.exception("twilio: delivering queued messages after %s failed", sid)
            # The signature is valid, so Twilio vouches for this number.
            metadata = {"verified_phone": phone, "channel": kind, "message_id": sid, "media": media}
            try:
                await on_new_message(UserMessage(text, output, sender_id,
                                                 input_channel=self.name(), metadata=metadata))
            except Exception:
                logger.exception("twilio: handling message %s failed", sid)
                # Let Twilio's retry (if any) count as new: the bot never finished this one.
                await asyncio.to_thread(self.state.forget, "twilio", sid)
                return response.json({"error": "temporarily unavailable"}, status=503)
            return response.text(EMPTY_TWIML, content_type="text/xml")

        return hook
