"""Sending to WhatsApp and SMS through Twilio's REST API: never blocking, retried with backoff, GSM-7
for SMS; inside WhatsApp's 24-hour window free text, outside it a template or the outbox."""
from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx
from rasa.core.channels.channel import OutputChannel

from bot import clock
from bot.channels.sms import split_sms
from bot.channels.state import STORED_KEYS, WHATSAPP_WINDOW, ChannelState, storable
from bot.channels.twilio_common import (
    CHANNEL_NAME,
    WHATSAPP_MAX_BODY,
    OutsideWhatsAppWindow,
    TwilioSendError,
    TwilioSettings,
    address_of,
    numbered,
)
from bot.channels.twilio_templates import load_templates, load_window_rules, template_variables, templates_in
from bot.followup import optout

# One logger for the whole Twilio channel, however its code is split.
logger = logging.getLogger("bot.channels.twilio")


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
        self._unreachable = False  # the last send failed on the network or a 5xx/429 after every retry

    # Rasa's entry points ------------------------------------------------------------------
    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        """Every message Rasa sends comes through here: WhatsApp outside the window gets a
        template or waits in the queue instead of an error."""
        kind, _ = address_of(recipient_id)
        before, self._unreachable = len(self.sent), False
        if kind != "whatsapp":
            await super().send_response(recipient_id, dict(message))
            await self._keep_if_lost(recipient_id, message, before)
            return
        message = dict(message)
        template_only = _template_only(message)
        if not template_only and not await asyncio.to_thread(self.state.window_open, recipient_id):
            await self._outside_window(recipient_id, message)
            return
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
        else:
            await self._keep_if_lost(recipient_id, message, before)

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
    async def _keep_if_lost(self, recipient_id: str, message: dict[str, Any], before: int) -> None:
        """A reply within a turn that Twilio's API could not take (down, or failing, after every
        retry) waits in the outbox and goes out first when the customer writes again: the turn
        was saved, so the customer must not miss what the bot said in it."""
        if len(self.sent) == before and self._unreachable:
            await self._record(recipient_id, message, "queued", queued=storable(message))

    async def _outside_window(self, recipient_id: str, message: dict[str, Any]) -> None:
        """A proactive WhatsApp message after the window closed: its template, or the queue."""
        rules = load_window_rules()
        utter = message.get("utter_action")
        if utter in rules.responses:
            name, sources = rules.responses[utter]
            variables = template_variables(sources, message.get("text") or "")
            if variables is not None:
                sid = await self._send_content(recipient_id, name, variables, message.get("language"))
                await self._record(recipient_id, message, "sent_as_template" if sid else "failed",
                                   template=name, message_sid=sid)
                return
            logger.warning("twilio: response %s has no value for template %s; queued instead", utter, name)
        row_id = await self._record(recipient_id, message, "queued", queued=storable(message))
        if _source(message)[0] == "staff_reply" and rules.staff_reply and \
                not await asyncio.to_thread(self.state.nudged_while_queued, recipient_id):
            sid = await self._send_content(recipient_id, rules.staff_reply, {})
            if sid:
                await asyncio.to_thread(self.state.note_template, row_id, rules.staff_reply, sid)
                logger.info("twilio: queued message %s: template %s sent (sid %s)", row_id, rules.staff_reply, sid)

    async def _send_content(self, recipient_id: str, name: str, variables: dict[str, Any],
                            language: str | None = None) -> str | None:
        # The response's language (bot/rasa_ext/nlg.py puts it on the message, issue 27).
        template = templates_in(language)[name]
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
                        code = str(_json(reply).get("code"))
                        logger.error("twilio: %s message refused, status %s, code %s", kind, reply.status_code, code)
                        if code in optout.REFUSAL_REASONS:
                            # The number unsubscribed or blocked us: no more outreach to it.
                            await asyncio.to_thread(self.state.opt_out, recipient_id, optout.REFUSAL_REASONS[code],
                                                    phone)
                        return None
                    outcome = f"status {reply.status_code}"
                if attempt < self.settings.max_attempts:
                    logger.warning("twilio: send attempt %d failed (%s); retrying in %.1f s", attempt, outcome, delay)
                    await asyncio.sleep(delay)
                    delay *= 2
        logger.error("twilio: %s message not sent after %d attempts (%s)", kind, self.settings.max_attempts, outcome)
        self._unreachable = True
        return None


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
