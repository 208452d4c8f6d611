"""Precision/recall of signal detection on a labelled set (used by tests and bench)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import yaml

from .detect import SIGNAL_NAMES, detect_signals


@dataclass(frozen=True)
class Example:
    text: str
    signals: frozenset[str]
    tags: frozenset[str]


@dataclass(frozen=True)
class Score:
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def load_examples(path: str | Path) -> list[Example]:
    with Path(path).open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    return [Example(str(e["text"]), frozenset(e.get("signals") or ()),
                    frozenset(e.get("tags") or ())) for e in data["examples"]]


def predict(examples: Iterable[Example],
            detect: Callable[[str], list] = detect_signals) -> list[tuple[Example, frozenset[str]]]:
    return [(e, frozenset(s.name for s in detect(e.text))) for e in examples]


def score(predictions: list[tuple[Example, frozenset[str]]]) -> dict[str, Score]:
    """Per-signal scores plus 'micro' over all signals."""
    result: dict[str, Score] = {}
    for name in SIGNAL_NAMES:
        tp = sum(1 for e, got in predictions if name in got and name in e.signals)
        fp = sum(1 for e, got in predictions if name in got and name not in e.signals)
        fn = sum(1 for e, got in predictions if name not in got and name in e.signals)
        result[name] = Score(tp, fp, fn)
    result["micro"] = Score(*(sum(getattr(s, f) for s in result.values())
                              for f in ("tp", "fp", "fn")))
    return result
