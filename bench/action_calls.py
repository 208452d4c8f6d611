"""Action-server calls per turn (issue 28): how many times Rasa called our action server to
answer one customer message, counted by the action server itself (`/metrics`,
`betaalhulp_actions_requests_total`, bot/ops/action_server.py), one turn at a time so each
difference belongs to one turn. Every call serialises the whole tracker both ways, so this is
the per-turn work that decides the latency against plain Rasa (which calls no action server)."""
from __future__ import annotations

import re
import statistics
import uuid
from collections import defaultdict

import requests

COUNTER = re.compile(r"^betaalhulp_actions_requests_total(?:\{[^}]*\})?\s+([0-9.e+]+)\s*$", re.M)


def calls_so_far(actions_url: str) -> int:
    """Calls the action server has answered since it started (every status)."""
    text = requests.get(f"{actions_url}/metrics", timeout=30).text
    return int(sum(float(value) for value in COUNTER.findall(text)))


def measure(rasa_url: str, actions_url: str, scripts: list[list[str]]) -> dict:
    """Each script as one conversation over REST, turn by turn; the calls each turn made."""
    per_turn: list[int] = []
    by_text: dict[str, list[int]] = defaultdict(list)
    for texts in scripts:
        sender = f"calls-{uuid.uuid4().hex[:12]}"
        for text in texts:
            before = calls_so_far(actions_url)
            requests.post(f"{rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": text},
                          timeout=120).raise_for_status()
            made = calls_so_far(actions_url) - before
            per_turn.append(made)
            by_text[text].append(made)
    return {"turns": len(per_turn), "p50": statistics.median(per_turn) if per_turn else None,
            "max": max(per_turn, default=None), "mean": round(statistics.fmean(per_turn), 2) if per_turn else None,
            "by_turn": {text: max(calls) for text, calls in by_text.items()}}


def lines(result: dict) -> list[str]:
    out = [f"Action-server calls per turn (the action server's own counter, {result['turns']} sequential turns): "
           f"p50 {result['p50']}, max {result['max']}, mean {result['mean']}.", "",
           "| turn | calls |", "|---|---|"]
    out += [f"| {text} | {calls} |" for text, calls in result["by_turn"].items()]
    return out
