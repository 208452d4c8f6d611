"""A long conversation at the cost of a short one (issue 7: a turn after 2,500 events at most 1.5x
a turn after 100).

Rasa reads, featurises and sends to the action server every event of the current session on
every turn, so a turn's cost grows with the session. A checkpoint is a short list of events that
stands in for the start of a long session: a prefix that restores the state at a turn boundary
(slots, pause, a pending follow-up action) followed by the real events from that boundary on. The
tracker store reads the newest checkpoint plus the events stored after it, so a turn reads, and
Rasa works over, at most `window` events however long the session is.

What must stay exactly as with the whole session:
- every slot value, the active form, the paused flag and the follow-up action (the prefix sets
  them);
- what the policies see: the boundary is a user message right after `action_listen` with at
  least `keep` events and MIN_ACTIONS actions after it (more than the policies' max_history of 5
  states and our longest rule), and the events after it are applied exactly as in the whole
  session. Rasa folds a form's turns back to the form's previous execution
  (`DialogueStateTracker.applied_events`), which may lie before a boundary inside a form, so each
  candidate boundary is checked against the whole session before it is used.
Tested against long sessions made of our test stories (tests/ops/test_tracker_checkpoints.py).
"""
from __future__ import annotations

import copy
from typing import Iterable

from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActiveLoop,
    ConversationPaused,
    Event,
    FollowupAction,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.slots import Slot
from rasa.shared.core.trackers import DialogueStateTracker

MARKER = "tracker_checkpoint"
# Boundaries inside a form tried (newest first) before giving up until the next save: a form
# spans a handful of turns, so one of the newest candidates lies outside it.
MAX_CANDIDATES = 12
# Actions after the boundary, as Rasa counts them (a form's turns fold into one): more than the
# policies look back (max_history 5 in config.yml) and than our longest rule (7 states), with room
# for the two a running form folds away later.
MIN_ACTIONS = 12


def keep_for(window: int) -> int:
    """Events kept after a boundary: two fifths of the window, so a checkpoint is followed by
    more than half a window of turns before the next one is needed."""
    return max(20, window * 2 // 5)


def _boundaries(events: list[Event], keep: int, slots: list[Slot]) -> Iterable[int]:
    """Positions of user messages right after action_listen, newest first, with at least `keep`
    events and MIN_ACTIONS applied actions after them."""
    # Within the current session: what Rasa reads of a session never reaches back before its start.
    start = session_start(events)
    for position in range(len(events) - keep, start, -1):
        event, before = events[position], events[position - 1]
        if isinstance(event, UserUttered) and isinstance(before, ActionExecuted) \
                and before.action_name == ACTION_LISTEN_NAME and _actions_after(events, position, slots) >= MIN_ACTIONS:
            yield position


def _actions_after(events: list[Event], position: int, slots: list[Slot]) -> int:
    tail = DialogueStateTracker.from_events("tail", events[position - 1:], slots)
    return sum(1 for event in tail.applied_events() if isinstance(event, ActionExecuted))


def session_start(events: list[Event]) -> int:
    """Position of the newest SessionStarted (0 when there is none)."""
    for position in range(len(events) - 1, -1, -1):
        if isinstance(events[position], SessionStarted):
            return position
    return 0


def prefix_for(state: DialogueStateTracker, at: float) -> list[Event]:
    """Events that bring a fresh tracker to `state` (taken at a turn boundary)."""
    events: list[Event] = [ActionExecuted(ACTION_SESSION_START_NAME, timestamp=at), SessionStarted(timestamp=at)]
    events += [SlotSet(name, slot.value, timestamp=at) for name, slot in state.slots.items() if slot.has_been_set]
    if state.active_loop_name:
        events.append(ActiveLoop(state.active_loop_name, timestamp=at))
        if state.is_active_loop_rejected:
            events.append(ActionExecutionRejected(state.active_loop_name, timestamp=at))
    if state.is_paused():
        events.append(ConversationPaused(timestamp=at))
    if state.followup_action:
        events.append(FollowupAction(state.followup_action, timestamp=at))
    events.append(ActionExecuted(ACTION_LISTEN_NAME, timestamp=at))
    return events


def compact(events: list[Event], slots: Iterable[Slot], keep: int) -> list[Event] | None:
    """`events` (a session, or an earlier checkpoint and what followed it) as a prefix and the
    events from the newest boundary where that changes nothing; None when there is none yet."""
    slots = list(slots)
    # Distinct objects: the check below tells the tail's events apart by identity.
    events = [copy.copy(event) for event in events]
    whole = DialogueStateTracker.from_events("whole", events, slots)
    applied = [id(event) for event in whole.applied_events()]
    for tried, position in enumerate(_boundaries(events, keep, slots)):
        if tried >= MAX_CANDIDATES:
            return None
        state = DialogueStateTracker.from_events("checkpoint", events[:position], slots)
        # A moment before the boundary's message, so the prefix sorts before it.
        at = (events[position].timestamp or 0.0) - 1e-6
        compacted = prefix_for(state, at) + events[position:]
        if _same(whole, applied, compacted, events[position:], slots):
            return compacted
    return None


def _same(whole: DialogueStateTracker, applied: list[int], compacted: list[Event], tail: list[Event],
          slots: list[Slot]) -> bool:
    """Whether the shortened tracker applies the tail's events as the whole one does, and ends in
    the same state. Rasa folds a form's turns back to the form's previous execution
    (`DialogueStateTracker.applied_events`); from a boundary inside a form that previous execution
    may lie before the boundary, and then this differs."""
    shortened = DialogueStateTracker.from_events("shortened", compacted, slots)
    in_tail = {id(event) for event in tail}
    mine = [id(event) for event in shortened.applied_events() if id(event) in in_tail]
    theirs = [key for key in applied if key in in_tail]
    return (mine == theirs and shortened.current_slot_values() == whole.current_slot_values()
            and shortened.active_loop_name == whole.active_loop_name
            and shortened.is_active_loop_rejected == whole.is_active_loop_rejected
            and shortened.is_active_loop_interrupted == whole.is_active_loop_interrupted
            and shortened.is_paused() == whole.is_paused() and shortened.followup_action == whole.followup_action)


def mark(events: list[Event], last_event_id: int, length: int) -> None:
    """Tells `save` which stored events the tracker holds: the checkpoint's `length` events stand
    for every stored event up to `last_event_id`."""
    events[0].metadata = {**(events[0].metadata or {}), MARKER: {"last_event_id": last_event_id, "length": length}}


def marker_of(events: list[Event]) -> tuple[int, int] | None:
    found = (events[0].metadata or {}).get(MARKER) if events else None
    if not found:
        return None
    return int(found["last_event_id"]), int(found["length"])
