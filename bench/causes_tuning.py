"""Chooses the cause classifier's settings (bot/causes/causes.yml `classifier`) without the held-out set.

Scores every setting in a small grid by 5-fold cross-validation on data/causes/examples.yml (the
model fitted on four folds, the lexicon and the weighing applied to the fifth) and by accuracy on
the labelled sentences of tests/causes/test_classify.py (model fitted on all examples).
tests/understanding/heldout.yml is never read here.

Usage: .venv/bin/python bench/causes_tuning.py
"""
from __future__ import annotations

import itertools
import sys
from pathlib import Path

from sklearn.model_selection import StratifiedKFold

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.causes.classify import weigh  # noqa: E402
from bot.causes.model import build_pipeline, load_examples  # noqa: E402
from tests.causes.test_classify import LABELLED  # noqa: E402

GRID = {"regularisation": (3.0, 10.0), "lexicon_bonus": (0.0, 0.2, 0.3, 0.5),
        "priority_bonus": (0.0, 0.2, 0.4), "min_probability": (0.1, 0.2, 0.3)}


def probabilities(model, texts: list[str]) -> list[dict[str, float]]:
    return [dict(zip(model.classes_, row)) for row in model.predict_proba(texts)]


def main() -> None:
    texts, labels = load_examples()
    folds = list(StratifiedKFold(n_splits=5, shuffle=True, random_state=0).split(texts, labels))
    rows = []
    for c in GRID["regularisation"]:
        fold_probs: list[tuple[str, str, dict]] = []
        for train, test in folds:
            model = build_pipeline(c).fit([texts[i] for i in train], [labels[i] for i in train])
            fold_probs += zip([texts[i] for i in test], [labels[i] for i in test],
                              probabilities(model, [texts[i] for i in test]))
        full = build_pipeline(c).fit(texts, labels)
        dev_probs = probabilities(full, [t for t, _ in LABELLED])
        for bonus, first, floor in itertools.product(GRID["lexicon_bonus"], GRID["priority_bonus"],
                                                     GRID["min_probability"]):
            settings = {"lexicon_bonus": bonus, "priority_bonus": first, "min_probability": floor,
                        "lexicon_decides": ["other_debts"]}
            cv = sum(weigh(t, p, settings).cause == y for t, y, p in fold_probs) / len(fold_probs)
            dev = sum(weigh(t, p, settings).cause == y
                      for (t, y), p in zip(LABELLED, dev_probs)) / len(LABELLED)
            rows.append((cv, dev, c, bonus, first, floor))
    print("cv     labelled  C     lexicon  priority  min_p")
    for cv, dev, c, bonus, first, floor in sorted(rows, reverse=True)[:15]:
        print(f"{cv:.3f}  {dev:.3f}     {c:<5} {bonus:<8} {first:<9} {floor}")
    model_only = [r for r in rows if r[3] == 0 and r[4] == 0]
    best = max(model_only)
    print(f"model alone (no lexicon bonus): cv {best[0]:.3f}, labelled {best[1]:.3f}")


if __name__ == "__main__":
    main()
