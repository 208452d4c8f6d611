"""What the widget shows: the conversation read back from Rasa's tracker events.

Reading the tracker (not remembering what was sent) is what lets a reload, a lost connection or a
push handled by another worker lose nothing: every read gives the same messages with the same ids.
"""
from __future__ import annotations

from typing import Any, Iterable
from urllib.parse import urlsplit

from rasa.shared.core.constants import EXTERNAL_MESSAGE_PREFIX
from rasa.shared.core.events import BotUttered, ConversationPaused, ConversationResumed, UserUttered

CHANNEL_NAME = "widget"


def _http_url(value: Any) -> str | None:
    if isinstance(value, str) and urlsplit(value).scheme in ("http", "https") and len(value) <= 2048:
        return value
    return None


def _buttons(raw: Any) -> list[dict[str, str]]:
    buttons = []
    for button in raw or []:
        if isinstance(button, dict) and (button.get("title") or button.get("payload")):
            title = str(button.get("title") or button.get("payload"))
            buttons.append({"title": title, "payload": str(button.get("payload") or title)})
    return buttons


def staff_first_name(metadata: Any) -> str | None:
    """The first name of the staff member who wrote a console reply (bot/console/case_actions.py
    puts `staff_name` in the bot event's metadata); None for the bot's own words."""
    name = metadata.get("staff_name") if isinstance(metadata, dict) else None
    if not isinstance(name, str) or not name.strip():
        return None
    return name.split()[0][:40]


def bot_message(data: dict[str, Any], message_id: str | None, ts: float | None,
                staff: str | None = None) -> dict[str, Any] | None:
    """A bot message (a Rasa response dict or a BotUttered's text+data) in the widget's shape; a
    staff reply is `from: "staff"` with the person's first name, so the customer sees who speaks."""
    custom = data.get("custom") if isinstance(data.get("custom"), dict) else {}
    text = data.get("text") or (custom.get("text") if isinstance(custom.get("text"), str) else None)
    buttons = _buttons(data.get("buttons")) or _buttons(data.get("quick_replies"))
    image = _http_url(data.get("image"))
    link = _http_url(data.get("attachment"))
    if link and not text:
        text = link
    if not (text or buttons or image):
        return None
    message = {"id": message_id, "from": "staff" if staff else "bot", "text": text, "buttons": buttons,
               "image": image, "ts": ts}
    if staff:
        message["name"] = staff
    return message


def conversation(events: Iterable[Any], since: float = 0.0) -> list[dict[str, Any]]:
    """The user and bot messages after `since` (an event timestamp), oldest first, with ids
    that stay the same on every read."""
    messages: list[dict[str, Any]] = []
    seen: dict[float, int] = {}
    for event in events:
        ts = float(getattr(event, "timestamp", 0.0) or 0.0)
        if isinstance(event, BotUttered):
            n = seen[ts] = seen.get(ts, -1) + 1
            if ts > since:
                message = bot_message({"text": event.text, **(event.data or {})}, f"b-{ts:.6f}-{n}", ts,
                                      staff_first_name(getattr(event, "metadata", None)))
                if message:
                    messages.append(message)
        elif isinstance(event, UserUttered):
            text = event.text
            if ts <= since or not text or text.startswith(EXTERNAL_MESSAGE_PREFIX):
                continue
            if event.input_channel != CHANNEL_NAME:
                continue
            label = (event.metadata or {}).get("widget_label") if isinstance(event.metadata, dict) else None
            messages.append({"id": f"u-{event.message_id}", "from": "user",
                             "text": label if isinstance(label, str) and label else text,
                             "buttons": [], "image": None, "ts": ts})
    return messages


def replies_to(events: Iterable[Any], message_id: str) -> list[dict[str, Any]] | None:
    """The bot messages logged after the user message `message_id`; None when it is not logged
    (yet): the turn is still running or failed before it was saved."""
    events = list(events)
    for index, event in enumerate(events):
        if isinstance(event, UserUttered) and event.message_id == message_id:
            after = []
            for later in events[index + 1:]:
                if isinstance(later, UserUttered):
                    break
                after.append(later)
            return [m for m in conversation(after) if m["from"] != "user"]
    return None


def handover_state(events: Iterable[Any]) -> dict[str, Any]:
    """Whether a person has the conversation now (`person`), and the first name of the one who
    answered since it was handed over (`name`, None while the customer waits for the first reply)."""
    person, name = False, None
    for event in events:
        if isinstance(event, ConversationPaused):
            person, name = True, None
        elif isinstance(event, ConversationResumed):
            person, name = False, None
        elif person and isinstance(event, BotUttered):
            name = staff_first_name(getattr(event, "metadata", None)) or name
    return {"person": person, "name": name}
