"""Real processes, real faults (issue 9, sections 2 and 3): malformed bodies, the action server
down, Rasa killed mid-conversation. A stack of its own (scripts/run.sh), since these tests kill
processes; its supervisor starts a killed service again, as it does in `make run`."""
from __future__ import annotations

import os
import signal
import time

import pytest
import requests

from tests.e2e.servers import started_stack
from tests.e2e.test_core_conversation import texts, verify

KIND = "er ging bij ons iets mis"


@pytest.fixture(scope="module")
def own_stack(tmp_path_factory):
    stack = started_stack(tmp_path_factory.mktemp("durability"))
    yield stack
    stack.stop()


@pytest.mark.parametrize("body,headers,reason", [
    (b"not json", {"Content-Type": "application/json"}, "JSON"),
    (b"[1, 2]", {"Content-Type": "application/json"}, "object"),
    (b'{"message": "hoi"}', {"Content-Type": "application/json"}, "sender"),
    (b'{"sender": 12, "message": "hoi"}', {"Content-Type": "application/json"}, "sender"),
    (b'{"sender": "a", "message": ["hoi"]}', {"Content-Type": "application/json"}, "message"),
    (b'{"sender": "a b/../c", "message": "hoi"}', {"Content-Type": "application/json"}, "sender"),
])
def test_malformed_bodies_get_a_4xx_with_a_reason(own_stack, body, headers, reason):
    reply = requests.post(f"{own_stack.rasa_url}/webhooks/rest/webhook", data=body, headers=headers, timeout=30)
    assert 400 <= reply.status_code < 500
    assert reason in reply.json()["error"]


def test_an_over_long_message_gets_a_kind_answer(own_stack, sender):
    reply = own_stack.say(sender, "a" * 5000)
    assert "korter" in texts(reply)
    too_big = requests.post(f"{own_stack.rasa_url}/webhooks/rest/webhook",
                            json={"sender": sender, "message": "a" * 100_000}, timeout=30)
    assert too_big.status_code == 413


def test_action_server_down_gives_a_kind_message_fast_and_recovers(own_stack, sender):
    verify(own_stack, sender, "100001", "12-04-1988")
    # The supervisor is held while the action server is down, so the outage lasts as long as the
    # test needs; released, it starts the action server again as after any crash.
    os.kill(own_stack.process.pid, signal.SIGSTOP)
    try:
        old = own_stack.kill("actions")
        started = time.monotonic()
        reply = texts(own_stack.say(sender, "ik was het vergeten"))
        elapsed = time.monotonic() - started
    finally:
        os.kill(own_stack.process.pid, signal.SIGCONT)
    print(f"kind message with the action server down after {elapsed:.2f} s")
    assert KIND in reply and elapsed < 10
    own_stack.wait_restarted("actions", old, f"http://127.0.0.1:{own_stack.actions_port}/health")
    reply = texts(own_stack.say(sender, "ik was het vergeten"))
    assert reply and KIND not in reply


def test_rasa_killed_mid_conversation_keeps_every_finished_turn(own_stack, sender):
    verify(own_stack, sender, "100002", "03-11-1979")
    own_stack.say(sender, "ik ben mijn baan kwijt")
    before = [e for e in own_stack.tracker(sender)["events"] if e["event"] == "user"]
    old = own_stack.kill("rasa")
    own_stack.wait_restarted("rasa", old, f"{own_stack.rasa_url}/")
    after = [e for e in own_stack.tracker(sender)["events"] if e["event"] == "user"]
    assert [e["text"] for e in after] == [e["text"] for e in before]
    slots = own_stack.slots(sender)
    assert slots["verified"] is True and slots["requested_slot"] == "cause_followup"
    assert texts(own_stack.say(sender, "nee nog niet"))


def test_a_frozen_action_server_still_gets_the_customer_an_answer_within_10_seconds(own_stack, sender):
    verify(own_stack, sender, "100003", "21-07-1965")
    own_stack.kill("actions", signal.SIGSTOP)  # a hung process: connections open, no answer
    try:
        started = time.monotonic()
        reply = texts(own_stack.say(sender, "ik ben ziek geworden"))
        elapsed = time.monotonic() - started
        print(f"kind message with a frozen action server after {elapsed:.2f} s")
        assert reply and elapsed < 10
        assert "moment" in reply or KIND in reply
    finally:
        own_stack.kill("actions", signal.SIGCONT)
    # Once it answers again, the held turn finishes and the conversation goes on.
    time.sleep(3)
    assert texts(own_stack.say(sender, "ja over een paar maanden"))
