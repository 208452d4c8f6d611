"""A/B of one change to the Rasa server, on two embedded set-ups running side by side:
A as it is, B with an experiment first on its Rasa server's PYTHONPATH. Sequential conversations
alternate between A and B, so the shared machine's other load falls on both alike; then 10
customers on A, on B, and on A again.

An experiment is a directory with a `sitecustomize.py` that changes the Rasa server when Python
starts (for example, the jsonschema check that became bot/rasa_ext/schema_check.py was one; its
A/B is bench/results/ab-jsonschema_once-20261123-0121.md). Once it pays off it moves into bot/.

    .venv/bin/python -m bench.ab --experiment path/to/experiment --conversations 6

Writes bench/results/ab-<experiment>-<date>.md.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path

from bench import report, setups
from bench.load import BENCH_ENV, RESULTS, load, script, warm_up


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.ab", description=__doc__.split("\n\n")[0])
    parser.add_argument("--experiment", required=True, type=Path,
                        help="a directory whose sitecustomize.py changes B's Rasa server")
    parser.add_argument("--conversations", type=int, default=6, help="sequential conversations on each")
    args = parser.parse_args()
    os.environ.update(BENCH_ENV)
    tmp = Path(tempfile.mkdtemp(prefix="bench-ab-"))
    (tmp / "a").mkdir()
    (tmp / "b").mkdir()
    stamp = time.strftime("%Y%m%d-%H%M")
    a = b = None
    try:
        a = setups.start_embedded(tmp / "a")
        b = setups.start_embedded(tmp / "b", rasa_pythonpath=str(args.experiment.resolve()))
        for running in (a, b):
            warm_up(running, script, True)
        sequential = {"A": report.Run("A x1 (alternating)", 1), "B": report.Run("B x1 (alternating)", 1)}
        for k in range(args.conversations):
            for name, running in (("A", a), ("B", b)):
                run, _ = asyncio.run(load(running.urls, 1, 1, lambda i, k=k: script(k), name, True))
                into = sequential[name]
                into.latencies += run.latencies
                into.seconds += run.seconds
                into.conversations += run.conversations
                into.errors += run.errors
                into.slow += run.slow
                into.without_link += run.without_link
        rows = [sequential["A"].summary(), sequential["B"].summary()]
        for name, running in (("A", a), ("B", b), ("A again", a)):
            run, _ = asyncio.run(load(running.urls, 10, 2, script, f"{name} x10", True))
            rows.append(run.summary())
        rss = {"A": a.peak_rss(), "B": b.peak_rss()}
    finally:
        for running in (a, b):
            if running is not None:
                running.stop()
    for row in rows:
        print(row)
    text = report.render(
        f"A/B: {args.experiment.name} ({stamp})",
        [f"Two embedded set-ups side by side; B's Rasa server has {args.experiment.name} first on its "
         "PYTHONPATH. Sequential conversations alternate A, B, A, B; then 10 customers on A, B and A again.",
         f"Load average at the end: {os.getloadavg()[0]:.1f}."], rows, {},
        ["Peak RSS: " + "; ".join(f"{k}: " + ", ".join(f"{n} {v} MB" for n, v in r.items()) for k, r in rss.items())])
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"ab-{args.experiment.name}-{stamp}.md"
    out.write_text(text)
    print(text)
    print(f"written {out}")


if __name__ == "__main__":
    main()
