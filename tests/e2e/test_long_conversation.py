"""A long conversation read from its checkpoints goes on exactly as a short one (issue 7): the real
Rasa server and action server, a window of 60 events so a few dozen turns cross several."""
from __future__ import annotations

import sqlite3
import uuid

import pytest

from tests.e2e.servers import MODEL, started_stack
from tests.e2e.test_core_conversation import answer_control_questions, texts, verify

pytestmark = pytest.mark.e2e
DETOURS = 20
QUESTION = "komt dit bij het bkr?"


@pytest.fixture(scope="module")
def long_stack(tmp_path_factory):
    if not MODEL.exists():
        pytest.fail("no trained model: run `make train` (make test does it for you)")
    stack = started_stack(tmp_path_factory.mktemp("long"), BETAALHULP_TRACKER_WINDOW="60",
                          BETAALHULP_MAX_MESSAGES_PER_MINUTE="1000")
    yield stack
    stack.stop()


def _checkpoints(stack, sender: str) -> list[tuple[int, int]]:
    """(length, events stored after it) of each checkpoint of the conversation."""
    with sqlite3.connect(stack.tracker_db) as connection:
        return connection.execute(
            "SELECT c.length, (SELECT count(*) FROM events e WHERE e.sender_id = c.sender_id "
            "AND e.id > c.last_event_id) FROM tracker_checkpoints c WHERE c.sender_id = ?",
            (stack.conversation_id(sender),)).fetchall()


def _walk(stack, sender: str, detours: int) -> dict:
    verify(stack, sender, "100001", "12-04-1988")
    stack.say(sender, "ik had een hoge rekening van de tandarts")
    stack.say(sender, "nee")
    for _ in range(detours):  # a question while the first control question waits, again and again
        reply = texts(stack.say(sender, QUESTION))
        assert "BKR" in reply and "Vraag 1" in reply
    answer_control_questions(stack, sender, ["nee", "nee niks veranderd", "nee", "nee"])
    return stack.slots(sender)


def test_a_long_conversation_goes_on_as_a_short_one(long_stack, stack):
    # The short one on the shared stack (a window of 150 events): read whole, no checkpoint.
    long_sender, short_sender = f"long-{uuid.uuid4().hex[:8]}", f"short-{uuid.uuid4().hex[:8]}"
    short = _walk(stack, short_sender, 0)
    assert _checkpoints(stack, short_sender) == []
    long = _walk(long_stack, long_sender, DETOURS)

    checkpoints = _checkpoints(long_stack, long_sender)
    assert len(checkpoints) == 1  # replaced as the session grew
    length, after = checkpoints[0]
    assert length + after < 2 * 60 + 20  # what a turn reads stays near the window
    ignored = {"session_started_metadata"}
    assert {k: v for k, v in long.items() if k not in ignored} == {k: v for k, v in short.items() if k not in ignored}
    assert long["verified"] is True and long["needs_income_check"] is False

    # Every message is stored once: the full tracker is the whole conversation.
    events = long_stack.tracker(long_sender)["events"]
    said = [e["text"] for e in events if e["event"] == "user"]
    assert said.count(QUESTION) == DETOURS and len(said) == 3 + 2 + DETOURS + 4
    assert len(events) > 3 * 60
