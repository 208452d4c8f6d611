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
After the signature, a message passes the inbound pipeline every channel shares
(bot/channels/inbound.py): the same MessageSid twice makes one turn (remembered in our database,
so across workers), STOP, the per-sender limit, length, numbered buttons, slash syntax, and the
guarded turn. The webhook is answered within 8 s (Twilio gives up after 15): a slower turn, Rasa's
or Twilio's API's, gets a kind "still working" in the TwiML and its replies follow through the
REST API when it is done.

WhatsApp's 24-hour window: a proactive message (a push through Rasa's HTTP API, which builds
this output channel for output_channel=latest: payment news, a staff reply from the console)
after the customer's last message is more than 24 hours old is not refused with an error (Rasa
would answer the caller with a 500). `send_response` chooses instead: the approved template
mapped to the domain response in whatsapp_templates.yml (ContentSid + ContentVariables), or the
message waits in our database (`channel_outbound`) and goes out, once, as soon as the customer
writes again. A staff reply also triggers the "a reply is waiting, write to us" template. Every
proactive message is recorded with its outcome (sent / sent_as_template / queued /
delivered_from_queue / failed) and its case, which the console shows. A reply within a turn that
Twilio's API does not take after every retry (down, 5xx) waits in the same queue, on WhatsApp and
SMS, and goes out first at the customer's next message.
Sending goes to Twilio's REST API with httpx (never blocks the event loop), retried with backoff;
logs carry message sids and status codes, never phone numbers or text.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from twilio.request_validator import RequestValidator

from bot.channels.inbound import MEDIA_WITHOUT_TEXT, Inbound, InboundPipeline, Outcome  # noqa: F401
from bot.channels.sms import to_gsm7
from bot.channels.state import ChannelState
from bot.channels.twilio_common import (  # noqa: F401 - the names tests and callers import from here
    CHANNEL_NAME,
    EMPTY_TWIML,
    MAX_FORM_BYTES,
    OutsideWhatsAppWindow,
    TwilioSettings,
    _Form,
    sender_id_for,
)
from bot.channels.twilio_output import TwilioSignedOutput
from bot.channels.twilio_templates import load_templates  # noqa: F401
from bot.followup import optout

logger = logging.getLogger(__name__)


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
        self.pipeline = InboundPipeline(self.name(), provider="twilio", state=self.state)

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

    @staticmethod
    def _twiml(kind: str, outcome: Outcome) -> HTTPResponse:
        """The webhook's answer: what the turn could not send itself in time (still working, a
        failure, slow down) goes back inside the TwiML, which Twilio delivers at once."""
        quiet = outcome.status in ("answered", "silent", "duplicate") or outcome.told_before
        texts = [] if quiet else outcome.texts
        messages = "".join(f"<Message>{escape(to_gsm7(t) if kind == 'sms' else t)}</Message>" for t in texts)
        return response.text(EMPTY_TWIML.replace("<Response></Response>", f"<Response>{messages}</Response>"),
                             content_type="text/xml")

    def _record_status(self, form: _Form) -> None:
        sid, status = form.first("MessageSid") or form.first("SmsSid"), form.first("MessageStatus")
        error_code = form.first("ErrorCode")
        self.state.record_status("twilio", sid, status, error_code)
        if error_code in optout.REFUSAL_REASONS and form.first("To"):
            # The customer blocked us or sent STOP to Twilio: outreach to that address ends.
            try:
                _, phone, sender_id = sender_id_for(form.first("To"))
            except ValueError:
                return
            self.state.opt_out(sender_id, optout.REFUSAL_REASONS[error_code], phone)
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
            text = (body or "").strip() or None  # None: media without a caption
            num_media = form.first("NumMedia") or "0"
            output = TwilioSignedOutput(self.settings, self.state, self.status_callback_url(), proactive=False)
            # The signature is valid, so Twilio vouches for this number.
            metadata = {"verified_phone": phone, "channel": kind, "message_id": sid,
                        "media": int(num_media) if num_media.isdigit() else 0}

            async def turn(message: UserMessage) -> None:
                # What waited for the customer goes first, once: messages from outside WhatsApp's
                # window, and replies Twilio's API could not take when they were said.
                try:
                    await output.deliver_queued(sender_id)
                except Exception:
                    logger.exception("twilio: delivering queued messages after %s failed", sid)
                await on_new_message(message)

            outcome = await self.pipeline.handle(request.app, turn, Inbound(
                sender_id, text, output, provider_id=sid, metadata=metadata, phone=phone))
            return self._twiml(kind, outcome)

        return hook
