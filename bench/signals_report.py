"""Per-signal precision/recall of bot/signals on tests/signals/labelled.yml.

Usage: python bench/signals_report.py [--misses]

The in-sample numbers are optimistic: the lexicon was tuned on most of these sentences. The
"heldout" and "heldout2" tags mark sentences written after tuning; scored before they were
used for any fix, they gave micro precision 1.00 / recall 0.45 (heldout) and precision 1.00 /
recall 0.65, crisis recall 4/5 (heldout2). Expect real chat recall nearer to those.
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.signals import SIGNAL_NAMES, lexicon_version  # noqa: E402
from bot.signals.evaluation import load_examples, predict, score  # noqa: E402


def table(title: str, examples) -> str:
    result = score(predict(examples))
    lines = [f"{title} ({len(examples)} sentences)",
             f"{'signal':<20}{'tp':>5}{'fp':>5}{'fn':>5}{'precision':>11}{'recall':>8}{'f1':>7}"]
    for name in (*SIGNAL_NAMES, "micro"):
        s = result[name]
        lines.append(f"{name:<20}{s.tp:>5}{s.fp:>5}{s.fn:>5}"
                     f"{s.precision:>11.3f}{s.recall:>8.3f}{s.f1:>7.3f}")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    examples = load_examples(ROOT / "tests" / "signals" / "labelled.yml")
    held = [e for e in examples if e.tags & {"heldout", "heldout2"}]
    print(f"lexicon version {lexicon_version()}\n")
    print(table("all", examples), "\n")
    print(table("written after tuning (since used for fixes)", held))
    if "--misses" in argv:
        # Test sentences are invented, not customer messages, so printing them is fine.
        print("\nmisses:")
        for example, got in predict(examples):
            if got != example.signals:
                print(f"  {example.text!r}: expected {sorted(example.signals)} got {sorted(got)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
