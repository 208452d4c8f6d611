"""The pieces every channel's inbound pipeline (bot/channels/inbound.py) is made of (issue 9, 23):

- customer text never reaches Rasa's slash syntax (`/intent{...}` would bypass NLU);
- at most BETAALHULP_MAX_MESSAGES_PER_MINUTE messages per sender, a kind answer above it;
- a turn that takes too long or fails still gets a kind answer, never silence, and a slow turn
  goes on (and is saved) after the answer;
- a tracker database that cannot be reached fails the turn (kind answer) instead of Rasa
  silently starting a fresh conversation or keeping the turn in one worker's memory;
- nothing the customer wrote is logged.
"""
from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass, field
from typing import Awaitable, Callable

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.shared.core.trackers import DialogueStateTracker

from bot.channels.widget_transcript import handover_state
from bot.rasa_ext.tracker_store import refuse_fallbacks
from bot.rate_limit import RateLimit

logger = logging.getLogger(__name__)

MAX_TEXT_LENGTH = 2000
# The customer hears from us within this many seconds, whatever Rasa, the action server or the
# provider's API does. Twilio drops a webhook after 15 s; 8 s leaves room for the answer itself.
REPLY_WITHIN_SECONDS = 8.0
DEFAULT_MESSAGES_PER_MINUTE = 20


def messages_per_minute() -> int:
    """BETAALHULP_MAX_MESSAGES_PER_MINUTE, the one per-sender limit of every channel."""
    raw = os.environ.get("BETAALHULP_MAX_MESSAGES_PER_MINUTE") or ""
    return int(raw) if raw.strip().isdigit() and int(raw) > 0 else DEFAULT_MESSAGES_PER_MINUTE


class SenderRateLimit(RateLimit):
    """At most `limit` messages per sender per minute, per process (a flood gets a kind answer)."""

    def __init__(self, limit: int | None = None, window: float = 60.0) -> None:
        super().__init__(limit or messages_per_minute(), window)
        # Who was already told to slow down in this window: a provider channel answers a flood
        # once, not with a paid message for every message of it.
        self._told = RateLimit(1, window)

    def first_refusal(self, key: str, now: float | None = None) -> bool:
        return self._told.allow(key, now)


def neutralise(text: str) -> str:
    """Leading slashes and whitespace go, in any mix (" / /crisis" too): our buttons send plain
    words, so a slash at the start only ever comes from typing. Rasa strips whitespace and then
    reads a leading "/" as a forced intent (YAMLStoryReader.unpack_regex_message)."""
    start = 0
    while start < len(text) and (text[start] == "/" or text[start].isspace()):
        start += 1
    return text[start:]


async def render(app, response: str, sender_id: str, channel: str) -> list[dict]:
    """A domain response by name, rendered with the model's own templates."""
    agent = getattr(app.ctx, "agent", None)
    if agent is None or getattr(agent, "processor", None) is None:
        return []
    tracker = DialogueStateTracker(sender_id, agent.domain.slots)
    message = await agent.processor.nlg.generate(response, tracker, channel)
    return [message] if message else []


@dataclass
class TurnResult:
    status: str  # answered | still_working | failed | silent (a person took over: silent on purpose)
    said: list[dict] = field(default_factory=list)  # what a collecting channel shows now


async def guarded_turn(app, on_new_message: Callable[[UserMessage], Awaitable[None]], message: UserMessage,
                       channel: str, keep: set[asyncio.Task], reply_within: float = REPLY_WITHIN_SECONDS,
                       on_late: Callable[[], None] | None = None) -> TurnResult:
    """Runs one turn; after `reply_within` seconds it answers "still working" while the turn goes
    on (held in `keep` so it is not collected, `on_late` called when it ends)."""
    agent = getattr(app.ctx, "agent", None)
    if agent is not None and getattr(agent, "tracker_store", None) is not None:
        refuse_fallbacks(agent.tracker_store)  # every turn: a model reload brings a new agent and wrapper
    collector = message.output_channel if isinstance(message.output_channel, CollectingOutputChannel) else None
    turn = asyncio.ensure_future(on_new_message(message))
    try:
        # shield: a slow turn goes on and is saved; only our wait for it ends.
        await asyncio.wait_for(asyncio.shield(turn), timeout=reply_within)
    except asyncio.TimeoutError:
        logger.warning("turn slower than %ss on %s; kind message sent", reply_within, channel)
        keep.add(turn)
        turn.add_done_callback(lambda done: _finished_late(done, channel, keep, on_late))
        still = await render(app, "utter_still_working", message.sender_id, channel)
        return TurnResult("still_working", (collector.messages if collector else []) + still)
    except Exception as error:  # noqa: BLE001 - the customer must never get silence
        logger.error("turn failed on %s: %s", channel, type(error).__name__)
        return TurnResult("failed", await render(app, "utter_something_went_wrong", message.sender_id, channel))
    if collector is not None and not collector.messages:
        handover = await _handover(app, message.sender_id)
        if handover is None:
            logger.warning("turn on %s produced no reply; kind message sent", channel)
            return TurnResult("failed", await render(app, "utter_something_went_wrong", message.sender_id, channel))
        if handover["name"] is None:
            # Handed over and no colleague has answered yet: the customer hears that their message
            # reached someone, instead of silence. Once a person talks, the bot stays out of it.
            return TurnResult("answered", await render(app, "utter_handover_waiting", message.sender_id, channel))
        return TurnResult("silent")
    return TurnResult("answered", collector.messages if collector else [])


def _finished_late(turn: asyncio.Task, channel: str, keep: set[asyncio.Task], on_late) -> None:
    keep.discard(turn)
    if turn.cancelled():
        return
    if turn.exception() is not None:
        logger.error("late turn failed on %s: %s", channel, type(turn.exception()).__name__)
    if on_late is not None:
        on_late()


async def _handover(app, sender_id: str) -> dict | None:
    """A paused conversation (a person took over) is silent on purpose: its handover state
    (`handover_state`), or None when the bot has the conversation."""
    agent = getattr(app.ctx, "agent", None)
    if agent is None or getattr(agent, "tracker_store", None) is None:
        return None
    tracker = await agent.tracker_store.retrieve(sender_id)
    if not (tracker and tracker.is_paused()):
        return None
    return handover_state(tracker.events)
