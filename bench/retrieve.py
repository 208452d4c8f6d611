"""Reading one long conversation back: Rasa's SQLTrackerStore._retrieve against ours
(bot/rasa_ext/tracker_store.py), in-process on a temporary SQLite file, no servers.

    .venv/bin/python -m bench.retrieve [--events 100 2500] [--repeat 9]

The conversation: turns of user message (with NLU parse data), slot, action, bot message and
action_listen, in one session, with the project's domain.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.rasa_ext.tracker_store import RedactingSQLTrackerStore

ROOT = Path(__file__).resolve().parents[1]


def synthetic(count: int) -> list:
    events = [ActionExecuted("action_session_start", timestamp=1.0), SessionStarted(timestamp=1.1),
              ActionExecuted("action_listen", timestamp=1.2)]
    n = 0
    while len(events) < count:
        t = 10.0 + n
        parse = {"text": "wat is bkr?", "intent": {"name": "ask_bkr", "confidence": 0.97}, "entities": [],
                 "intent_ranking": [{"name": "ask_bkr", "confidence": 0.97}, {"name": "ask_costs", "confidence": 0.02}]}
        events += [UserUttered("wat is bkr?", parse["intent"], [], parse, timestamp=t, input_channel="rest"),
                   SlotSet("signals", [], timestamp=t + 0.001), ActionExecuted("utter_bkr", timestamp=t + 0.002),
                   BotUttered("BKR is het Bureau Krediet Registratie.", {}, timestamp=t + 0.003),
                   ActionExecuted("action_listen", timestamp=t + 0.004)]
        n += 1
    return events[:count]


def timed(call, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        asyncio.run(call())
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.retrieve", description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, nargs="+", default=[100, 2500])
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    domain = Domain.load(str(ROOT / "domain"))
    with tempfile.TemporaryDirectory(prefix="bench-retrieve-") as tmp:
        store = RedactingSQLTrackerStore(domain=domain, dialect="sqlite", db=str(Path(tmp) / "tracker.db"))
        lines = ["| events | Rasa's _retrieve ms | ours ms | ratio |", "|---|---|---|---|"]
        print("\n".join(lines))
        for count in args.events:
            sender = f"bench-{count}"
            asyncio.run(store.save(DialogueStateTracker.from_events(sender, synthetic(count), domain.slots)))
            rasas = timed(lambda: SQLTrackerStore._retrieve(store, sender, fetch_events_from_all_sessions=False),
                          args.repeat)
            ours = timed(lambda: store._retrieve(sender, fetch_events_from_all_sessions=False), args.repeat)
            lines.append(f"| {count} | {rasas:.1f} | {ours:.1f} | {rasas / ours:.1f}x |")
            print(lines[-1], flush=True)
    stamp = time.strftime("%Y%m%d-%H%M")
    out = ROOT / "bench" / "results" / f"retrieve-{stamp}.md"
    out.write_text(f"# Reading a conversation back: Rasa's SQL tracker store against ours ({stamp})\n\n"
                   f"`python -m bench.retrieve`: in-process, SQLite, median of {args.repeat}; load average "
                   f"{os.getloadavg()[0]:.1f}.\n\n" + "\n".join(lines) + "\n")
    print(f"written {out}")


if __name__ == "__main__":
    main()
