"""Action-server calls per turn (issue 28): how many times Rasa called our action server to
answer one customer message, counted by the action server itself (`/metrics`,
`betaalhulp_actions_requests_total`, bot/ops/action_server.py), one turn at a time so each
difference belongs to one turn. Every call serialises the whole tracker both ways, so this is
the per-turn work that decides the latency against plain Rasa (which calls no action server)."""
from __future__ import annotations

import os
import re
import statistics
import uuid
from collections import defaultdict
from pathlib import Path

import requests

COUNTER = re.compile(r"^betaalhulp_actions_requests_total(?:\{[^}]*\})?\s+([0-9.e+]+)\s*$", re.M)


def calls_in(metrics_text: str) -> int:
    """The calls a /metrics text counts, over every status class."""
    return int(sum(float(value) for value in COUNTER.findall(metrics_text)))


def calls_so_far(actions_url: str) -> int:
    """Calls the action server has answered since it started (every status)."""
    return calls_in(requests.get(f"{actions_url}/metrics", timeout=30).text)


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time these processes have used so far."""
    total = 0.0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def measure(rasa_url: str, actions_url: str, scripts: list[list[str]], pids: list[int] | None = None) -> dict:
    """Each script as one conversation over REST, turn by turn; the calls each turn made, and
    the CPU time the servers (`pids`: Rasa's and the action server's) spent per turn."""
    cpu_before = cpu_seconds(pids or [])
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
    cpu = cpu_seconds(pids or []) - cpu_before
    return {"cpu_ms_per_turn": round(1000 * cpu / len(per_turn), 1) if pids and per_turn else None,
            "turns": len(per_turn), "p50": statistics.median(per_turn) if per_turn else None,
            "max": max(per_turn, default=None), "mean": round(statistics.fmean(per_turn), 2) if per_turn else None,
            "by_turn": {text: max(calls) for text, calls in by_text.items()}}


def lines(result: dict) -> list[str]:
    out = [f"Action-server calls per turn (the action server's own counter, {result['turns']} sequential turns): "
           f"p50 {result['p50']}, max {result['max']}, mean {result['mean']}; CPU of Rasa and the action server "
           f"{result['cpu_ms_per_turn']} ms per turn.", "",
           "| turn | calls |", "|---|---|"]
    out += [f"| {text} | {calls} |" for text, calls in result["by_turn"].items()]
    return out
