"""Where a sequential turn spends its time: py-spy samples the Rasa server and the action server
while one customer talks, and the samples are summed per function (bench/load.py --profile).

py-spy is not in requirements.txt (a profiler, not a dependency): it is looked for in $PY_SPY,
on the PATH, in .venv/bin and in /tmp/pyspy/bin (`pip install --target /tmp/pyspy py-spy`
keeps it out of the project's environment).
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
from collections import Counter
from pathlib import Path

from bench.setups import VENV_BIN

RATE = 100  # samples per second


def find_py_spy() -> str | None:
    for candidate in (os.environ.get("PY_SPY"), shutil.which("py-spy"), VENV_BIN / "py-spy", "/tmp/pyspy/bin/py-spy"):
        if candidate and Path(candidate).exists():
            return str(candidate)
    return None


def start(py_spy: str, pid: int, out: Path) -> subprocess.Popen:
    # --function: one entry per function, not per line; raw = collapsed stacks "a;b;c count".
    return subprocess.Popen([py_spy, "record", "--pid", str(pid), "--rate", str(RATE), "--format", "raw",
                             "--function", "--output", str(out)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def stop(recorder: subprocess.Popen) -> None:
    recorder.send_signal(signal.SIGINT)
    try:
        recorder.wait(timeout=60)
    except subprocess.TimeoutExpired:
        recorder.kill()
        recorder.wait(timeout=10)


_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*)\)$")


def short(frame: str) -> str:
    """`retrieve (rasa/core/tracker_store.py:1252)` style names, with site-packages cut off."""
    match = _FRAME.match(frame.strip())
    if not match:
        return frame.strip()
    path = match["file"]
    for marker in ("site-packages/", "/work/main/", "lib/python3.10/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{match['func']} ({path})"


def aggregate(collapsed: str) -> tuple[int, Counter, Counter]:
    """Total samples, samples per function anywhere on the stack (inclusive), and on top (self)."""
    inclusive: Counter = Counter()
    own: Counter = Counter()
    total = 0
    for line in collapsed.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = [short(f) for f in stack.split(";") if f.strip()]
        # py-spy puts the thread ("process 12:"...) first when asked; keep only Python frames
        frames = [f for f in frames if "(" in f]
        if not frames:
            continue
        total += n
        for frame in set(frames):
            inclusive[frame] += n
        own[frames[-1]] += n
    return total, inclusive, own


# Where a Rasa turn goes, by stage (matched against the start of the summed function names).
KEY_FUNCTIONS = [
    ("whole turn (Rasa's message handler)", "handle_message (rasa/core/processor.py"),
    ("read the tracker (tracker store retrieve)", "retrieve (bot/rasa_ext/tracker_store.py"),
    ("read the tracker (Rasa's SQL _retrieve)", "_retrieve (rasa/core/tracker_store.py"),
    ("NLU (parse_message)", "parse_message (rasa/core/processor.py"),
    ("prediction + actions loop", "_run_prediction_loop (rasa/core/processor.py"),
    ("policies featurise the history (prediction_states)", "prediction_states (rasa/core/featurizers"),
    ("custom action calls (RemoteAction.run)", "run (rasa/core/actions/action.py:748"),
    ("tracker serialised for the action server (current_state)", "current_state (rasa/shared/core/trackers.py"),
    ("action response schema check (jsonschema validate)", "_validate_action_result (rasa/core/actions/action.py"),
    ("write the tracker (tracker store save)", "save (bot/rasa_ext/tracker_store.py"),
    ("action server: our action code", "run (actions/"),
    ("action server: request JSON parsing", "json (sanic/request.py"),
]


def key_table(inclusive: Counter, total: int, turns: int) -> list[str]:
    out = ["By stage (inclusive):", "", "| stage | function | samples | share | ms per turn |", "|---|---|---|---|---|"]
    for label, prefix in KEY_FUNCTIONS:
        matches = [(name, n) for name, n in inclusive.items() if name.startswith(prefix)]
        if not matches:
            continue
        name, n = max(matches, key=lambda item: item[1])
        out.append(f"| {label} | `{name}` | {n} | {n / total:.0%} | {n / RATE * 1000 / turns:.0f} |")
    return out


def table(title: str, counts: Counter, total: int, turns: int, top: int) -> list[str]:
    out = [f"{title}:", "", "| function | samples | share | ms per turn |", "|---|---|---|---|"]
    for name, n in counts.most_common(top):
        out.append(f"| `{name}` | {n} | {n / total:.0%} | {n / RATE * 1000 / turns:.0f} |")
    return out


def report(name: str, collapsed: str, turns: int, top: int = 25, level: int = 2) -> list[str]:
    total, inclusive, own = aggregate(collapsed)
    heading = "#" * level
    if not total:
        return [f"{heading} {name}", "", "no samples"]
    # the trunk every sample shares (main, the event loop, ...) says nothing: left out
    branches = Counter({k: v for k, v in inclusive.items() if v < 0.9 * total})
    return [f"{heading} {name}", "",
            f"{total} samples at {RATE} Hz over {turns} turns: {total / RATE * 1000 / turns:.0f} ms of busy "
            "(non-idle) time per turn.", "",
            *key_table(inclusive, total, turns), "",
            *table("Inclusive (the function and everything it calls; below 90% of samples)", branches, total, turns,
                   top), "",
            *table("Self (the function itself)", own, total, turns, top)]
