"""Turn cost in a long conversation (issue 7: a turn after 2,500 events at most 1.5x a turn after 100).

One conversation is played for real, then one more real turn (the probe) is taken and its events
become the filler: they are appended again and again with fresh timestamps and message ids through
POST /conversations/<id>/tracker/events, in batches, until the conversation holds 100 events; then
the probe is sent for real several times and timed; then filled to 2,500 and timed again. Every
event stays in the current session (the filler is "now"), as in a long chat within the hour.
"""
from __future__ import annotations

import copy
import os
import statistics
import time
import uuid

import requests

from bench.report import long_ratio

SKIPPED = {"session_started", "restart", "action_session_start"}


def _events(url: str, auth: dict, conversation_id: str) -> list[dict]:
    """`auth`: how the set-up wants its secret (bench.setups.Running.auth)."""
    headers = auth.get("headers", {})
    response = requests.get(f"{url}/conversations/{conversation_id}/tracker", headers=headers,
                            params={**auth.get("params", {}), "include_events": "ALL"}, timeout=120)
    response.raise_for_status()
    return response.json()["events"]


def _say(url: str, sender: str, text: str) -> tuple[float, list]:
    started = time.perf_counter()
    response = requests.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=120)
    elapsed = time.perf_counter() - started
    response.raise_for_status()
    return elapsed, response.json()


def filler(block: list[dict], count: int) -> list[dict]:
    """`count` events copied from `block` in turn, stamped now, each user message with its own id."""
    usable = [e for e in block if e.get("event") not in SKIPPED and not (
        e.get("event") == "action" and e.get("name") in SKIPPED)]
    if not usable:
        raise ValueError("the probe turn left no events to copy")
    out = []
    now = time.time()
    for n in range(count):
        event = copy.deepcopy(usable[n % len(usable)])
        event["timestamp"] = now + n * 1e-4
        if event.get("event") == "user":
            event["message_id"] = uuid.uuid4().hex
        out.append(event)
    return out


class LongConversation:
    """One conversation grown by appending copies of a real turn's events."""

    def __init__(self, url: str, auth: dict, conversation_id_of, probe: str, batch: int = 250) -> None:
        self.url, self.auth, self.probe, self.batch = url, auth, probe, batch
        self.sender = f"bench-long-{uuid.uuid4().hex[:8]}"
        self.conversation_id = conversation_id_of(self.sender)
        self.block: list[dict] = []
        self.append_seconds = 0.0

    def events(self) -> list[dict]:
        return _events(self.url, self.auth, self.conversation_id)

    def open(self, opener: list[str]) -> int:
        """The opener for real, then the probe once; its events become the filler. Returns the count."""
        for text in opener:
            _say(self.url, self.sender, text)
        before = len(self.events())
        _say(self.url, self.sender, self.probe)
        events = self.events()
        self.block = events[before:]
        return len(events)

    def append(self, events: list[dict]) -> None:
        started = time.perf_counter()
        response = requests.post(f"{self.url}/conversations/{self.conversation_id}/tracker/events",
                                 headers=self.auth.get("headers", {}), json=events, timeout=300,
                                 params={**self.auth.get("params", {}), "include_events": "NONE"})
        self.append_seconds += time.perf_counter() - started
        response.raise_for_status()

    def fill_to(self, level: int) -> int:
        count = len(self.events())
        while count < level:
            chunk = filler(self.block, min(self.batch, level - count))
            self.append(chunk)
            count += len(chunk)
        return len(self.events())

    def new_session(self) -> None:
        """What Rasa writes when a session expires (session_expiration_time, 60 minutes here)."""
        now = time.time()
        self.append([{"event": "action", "name": "action_session_start", "timestamp": now},
                     {"event": "session_started", "timestamp": now + 1e-4},
                     {"event": "action", "name": "action_listen", "timestamp": now + 2e-4}])

    def turns(self, count: int) -> list[float]:
        timings = []
        for _ in range(count):
            elapsed, replies = _say(self.url, self.sender, self.probe)
            if not replies:
                raise RuntimeError("no reply to the probe")
            timings.append(elapsed)
        return timings


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far (all their threads), from /proc."""
    total = 0
    for pid in pids:
        try:
            fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
        except (OSError, IndexError, ValueError):
            pass
    return total / os.sysconf("SC_CLK_TCK")


def run(url: str, auth: dict, conversation_id_of, opener: list[str], probe: str, levels=(100, 2500),
        turns: int = 7, batch: int = 250, pids: list[int] = ()) -> dict:
    """One conversation per level, filled to that many events; then the probe turn is sent to each
    in turn (short, long, short, long, ...) so that the machine's other load falls on both alike.
    Wall time per turn as the client saw it, and, when the server pids are known, the CPU time the
    servers spent on it. Last, the long conversation gets a new session (what Rasa writes after
    session_expiration_time) and is timed again: Rasa then reads only the new session."""
    conversations = {}
    result: dict = {"probe": probe, "levels": {}}
    for level in levels:
        conversation = LongConversation(url, auth, conversation_id_of, probe, batch)
        conversation.open(opener)
        result["events_per_probe_turn"] = len(conversation.block)
        conversations[level] = (conversation, conversation.fill_to(level))
    timings: dict = {level: ([], []) for level in levels}

    def one(conversation: LongConversation, into: tuple[list, list]) -> None:
        cpu = cpu_seconds(list(pids))
        into[0].append(conversation.turns(1)[0])
        into[1].append(cpu_seconds(list(pids)) - cpu)

    for _ in range(turns):
        for level in levels:
            one(conversations[level][0], timings[level])
    after = {level: len(conversation.events()) for level, (conversation, _) in conversations.items()}
    longest, _ = conversations[max(levels)]
    longest.new_session()
    at_new_session = len(longest.events())
    timings["new session"] = ([], [])
    for _ in range(turns):
        one(longest, timings["new session"])
    for key, (wall, cpu) in timings.items():
        before = conversations[key][1] if key in conversations else at_new_session
        result["levels"][key] = {"events_before": before,
                                 "events_after": after[key] if key in after else len(longest.events()),
                                 "turn_ms": [round(t * 1000) for t in wall],
                                 "median_ms": round(statistics.median(wall) * 1000),
                                 "cpu_ms": [round(t * 1000) for t in cpu] if pids else None,
                                 "median_cpu_ms": round(statistics.median(cpu) * 1000) if pids else None}
    low, high = min(levels), max(levels)
    result["ratio"] = long_ratio(timings[low][0], timings[high][0])
    result["ratio_new_session"] = long_ratio(timings[low][0], timings["new session"][0])
    if pids:
        result["cpu_ratio"] = long_ratio(timings[low][1], timings[high][1])
    return result


def lines(name: str, result: dict) -> list[str]:
    out = [f"Long conversation on {name}: probe \"{result['probe']}\" ({result['events_per_probe_turn']} events "
           "per turn); the filler (copies of the probe turn's events) appended through the HTTP API; the probe "
           "then sent to the short and the long conversation in turn. CPU = the servers' user+system time "
           "during the turn (/proc), less sensitive to the machine's other load than wall time.", "",
           "| conversation | events before | turns, wall ms | median ms | turns, server CPU ms | median CPU ms |",
           "|---|---|---|---|---|---|"]
    for key, r in result["levels"].items():
        what = "2,500 stored, then a new session" if key == "new session" else f"one session, {key} events"
        cpu = ", ".join(map(str, r["cpu_ms"])) if r.get("cpu_ms") else "-"
        out.append(f"| {what} | {r['events_before']} | {', '.join(map(str, r['turn_ms']))} | {r['median_ms']} | "
                   f"{cpu} | {r.get('median_cpu_ms') if r.get('median_cpu_ms') is not None else '-'} |")
    out += ["", f"Ratio in one session (median wall time at the long end / at the short end): {result['ratio']}"
                + (f" (CPU: {result['cpu_ratio']})" if result.get("cpu_ratio") is not None else "")
                + f"; a turn after a new session began / the short end: {result.get('ratio_new_session')}"]
    return out
