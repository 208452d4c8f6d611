"""What every channel of ours guarantees around a turn (issue 9):

- customer text never reaches Rasa's slash syntax (`/intent{...}` would bypass NLU);
- a turn that takes too long or fails still gets a kind answer, never silence;
- a tracker database that cannot be reached fails the turn (kind answer) instead of Rasa
  silently starting a fresh conversation or keeping the turn in one worker's memory;
- nothing the customer wrote is logged.
"""
from __future__ import annotations

import asyncio
import logging
import os
from typing import Awaitable, Callable

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.shared.core.trackers import DialogueStateTracker

from bot.channels.widget_transcript import handover_state
from bot.rasa_ext.tracker_store import refuse_fallbacks
from bot.rate_limit import RateLimit

logger = logging.getLogger(__name__)

MAX_TEXT_LENGTH = 2000
# The customer hears from us within this many seconds, whatever the action server does.
REPLY_WITHIN_SECONDS = 8.0


class SenderRateLimit(RateLimit):
    """At most `limit` messages per sender per minute, per process (a flood gets a kind answer)."""

    def __init__(self, limit: int | None = None, window: float = 60.0) -> None:
        super().__init__(limit or int(os.environ.get("BETAALHULP_MAX_MESSAGES_PER_MINUTE") or 20), window)


def neutralise(text: str) -> str:
    """Leading slashes go: our buttons send plain words, so a slash only ever comes from typing."""
    return text.lstrip().lstrip("/").lstrip()


async def render(app, response: str, sender_id: str, channel: str) -> list[dict]:
    """A domain response by name, rendered with the model's own templates."""
    agent = getattr(app.ctx, "agent", None)
    if agent is None or agent.processor is None:
        return []
    tracker = DialogueStateTracker(sender_id, agent.domain.slots)
    message = await agent.processor.nlg.generate(response, tracker, channel)
    return [message] if message else []


async def guarded_turn(app, on_new_message: Callable[[UserMessage], Awaitable[None]], message: UserMessage,
                       collector: CollectingOutputChannel, channel: str) -> list[dict]:
    """Runs one turn; returns what the bot said, or a kind message if it said nothing in time."""
    agent = getattr(app.ctx, "agent", None)
    if agent is not None:  # checked every turn: a model reload brings a new agent and wrapper
        refuse_fallbacks(agent.tracker_store)
    turn = asyncio.ensure_future(on_new_message(message))
    try:
        # shield: a slow turn goes on and is saved; only our wait for it ends.
        await asyncio.wait_for(asyncio.shield(turn), timeout=REPLY_WITHIN_SECONDS)
    except asyncio.TimeoutError:
        logger.warning("turn slower than %ss on %s; kind message sent", REPLY_WITHIN_SECONDS, channel)
        return collector.messages + await render(app, "utter_still_working", message.sender_id, channel)
    except Exception as error:  # noqa: BLE001 - the customer must never get silence
        logger.error("turn failed on %s: %s", channel, type(error).__name__)
        return await render(app, "utter_something_went_wrong", message.sender_id, channel)
    if collector.messages:
        return collector.messages
    handover = await _handover(app, message.sender_id)
    if handover is None:
        logger.warning("turn on %s produced no reply; kind message sent", channel)
        return await render(app, "utter_something_went_wrong", message.sender_id, channel)
    if handover["name"] is None:
        # Handed over and no colleague has answered yet: the customer hears that their message
        # reached someone, instead of silence. Once a person talks, the bot stays out of it.
        return await render(app, "utter_handover_waiting", message.sender_id, channel)
    return []


async def _handover(app, sender_id: str) -> dict | None:
    """A paused conversation (a person took over) is silent on purpose: its handover state
    (`handover_state`), or None when the bot has the conversation."""
    agent = getattr(app.ctx, "agent", None)
    if agent is None or agent.tracker_store is None:
        return None
    tracker = await agent.tracker_store.retrieve(sender_id)
    if not (tracker and tracker.is_paused()):
        return None
    return handover_state(tracker.events)
