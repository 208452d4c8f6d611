"""One inbound pipeline for every channel (issue 23 §1, §4): REST, the widget, Twilio WhatsApp and
SMS, Telegram messages and button presses all pass the same steps, in this order:

1. dedupe: a provider's message id seen before (Twilio MessageSid, Telegram update_id, on any
   worker: bot/channels/state.py) makes no second turn;
2. STOP: "stop" and its kin switch outreach off for the address (recorded before anything can
   refuse or fail the message, so the opt-out always holds);
3. the per-sender limit of BETAALHULP_MAX_MESSAGES_PER_MINUTE, with a kind answer;
4. the length limit, with a kind answer;
5. a typed number picks a button offered as a numbered list (SMS, WhatsApp, long Telegram payloads);
6. slash syntax is neutralised: what the customer typed never forces an intent;
7. the guarded turn: the replies, or after REPLY_WITHIN_SECONDS a kind "still working" answer
   while the turn goes on and its replies follow through the channel's output (Twilio gives up on
   a webhook after 15 s), or a kind answer when the turn fails.

A channel keeps only what is its own: parsing the request, checking its signature, and putting
the outcome in its provider's answer format (JSON, TwiML, a Bot API method).
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import OutputChannel, UserMessage

from bot.channels.guard import (
    MAX_TEXT_LENGTH,
    REPLY_WITHIN_SECONDS,
    SenderRateLimit,
    guarded_turn,
    neutralise,
    render,
)
from bot.channels.state import ChannelState
from bot.followup import optout

logger = logging.getLogger(__name__)

# Sent to the bot for a message with media and no text: the bot's kind out-of-scope answer ("I
# cannot help with that; I help with payments"). The only slash syntax that reaches Rasa, and it
# is made here, never typed.
MEDIA_WITHOUT_TEXT = "/out_of_scope"


@dataclass
class Inbound:
    """One customer message as a channel parsed it."""

    sender_id: str
    text: str | None  # what the customer typed (or the button's data); None: media without text
    output: OutputChannel  # where the turn's replies go (a collector for REST and the widget)
    provider_id: str | None = None  # the provider's message id, for dedupe
    message_id: str | None = None  # the id the tracker keeps for the user event
    metadata: dict[str, Any] | None = None
    phone: str | None = None  # a verified phone number (Twilio), for the opt-out's customer


@dataclass
class Outcome:
    """What the channel answers its caller with."""

    status: str  # answered | still_working | failed | silent | duplicate | limited | too_long
    said: list[dict] = field(default_factory=list)  # what to show or send in the webhook's answer
    # "limited" only: this sender already heard "slow down" in this minute (a provider channel,
    # where every answer is a paid message, stays silent then)
    told_before: bool = False

    @property
    def texts(self) -> list[str]:
        return [m["text"] for m in self.said if m.get("text")]


class InboundPipeline:
    """The steps above for one channel. `provider` names the id space for dedupe; `state` is the
    database-backed memory (dedupe, opt-outs, numbered buttons) that provider channels have."""

    def __init__(self, channel: str, *, provider: str | None = None, state: ChannelState | None = None,
                 limit: SenderRateLimit | None = None, reply_within: float = REPLY_WITHIN_SECONDS) -> None:
        self.channel, self.provider, self.state = channel, provider, state
        self.limit = limit or SenderRateLimit()
        self.reply_within = reply_within
        self._late: set[asyncio.Task] = set()  # turns that outlived their webhook, still running

    async def handle(self, app, on_new_message: Callable[[UserMessage], Awaitable[Any]], inbound: Inbound,
                     on_late: Callable[[], None] | None = None) -> Outcome:
        sender_id, typed = inbound.sender_id, inbound.text
        dedupe = self.state is not None and self.provider is not None and bool(inbound.provider_id)
        if dedupe and not await asyncio.to_thread(self.state.first_time, self.provider, inbound.provider_id):
            logger.info("%s: message %s already handled; retry ignored", self.channel, inbound.provider_id)
            return Outcome("duplicate")
        if self.state is not None and optout.is_stop_message(typed):
            await asyncio.to_thread(self.state.opt_out, sender_id, "customer_stop", inbound.phone)
        if not self.limit.allow(sender_id):
            logger.warning("%s: sender over %d messages a minute; kind answer", self.channel, self.limit.limit)
            return Outcome("limited", await render(app, "utter_slow_down", sender_id, self.channel),
                           told_before=not self.limit.first_refusal(sender_id))
        if typed is not None and len(typed) > MAX_TEXT_LENGTH:
            return Outcome("too_long", await render(app, "utter_message_too_long", sender_id, self.channel))

        text = MEDIA_WITHOUT_TEXT if typed is None else neutralise(typed)
        if self.state is not None:
            # Also notes the customer's last message (WhatsApp's 24-hour window).
            picked = await asyncio.to_thread(self.state.inbound, sender_id, typed)
            text = picked or text
        message = UserMessage(text, inbound.output, sender_id, input_channel=self.channel,
                              message_id=inbound.message_id, metadata=inbound.metadata)
        result = await guarded_turn(app, on_new_message, message, self.channel, self._late,
                                    self.reply_within, on_late)
        if result.status == "failed" and dedupe:
            # The bot never finished this one: a provider's retry counts as new.
            await asyncio.to_thread(self.state.forget, self.provider, inbound.provider_id)
        return Outcome(result.status, result.said)
