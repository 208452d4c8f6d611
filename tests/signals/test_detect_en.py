"""The English lexicon (languages/en/signals.yml, issue 27): crisis recall as high as in Dutch."""
from __future__ import annotations

from pathlib import Path

from bot.signals import detect, detect_signals
from bot.signals.evaluation import load_examples, predict, score

HERE = Path(__file__).parent
ENGLISH = load_examples(HERE / "labelled_en.yml")


def test_english_crisis_recall_is_complete():
    result = score(predict(ENGLISH))
    print({name: (round(s.precision, 2), round(s.recall, 2)) for name, s in result.items()})
    assert result["crisis"].recall == 1.0
    assert result["micro"].recall >= 0.9 and result["micro"].precision >= 0.9


def dutch_lexicon_only(monkeypatch):
    monkeypatch.setattr(detect, "lexicon_paths", lambda: [detect.LEXICON_PATH])
    detect._lexicons.cache_clear()


def test_the_english_lexicon_changes_nothing_for_dutch(monkeypatch):
    dutch = load_examples(HERE / "labelled.yml")
    with_english = predict(dutch)
    dutch_lexicon_only(monkeypatch)
    try:
        assert predict(dutch) == with_english
    finally:
        monkeypatch.undo()
        detect._lexicons.cache_clear()


def test_the_dutch_lexicon_alone_misses_english_crises(monkeypatch):
    """The figure before issue 27: English crises were caught only where a word is shared."""
    dutch_lexicon_only(monkeypatch)
    try:
        recall = score(predict(ENGLISH))["crisis"].recall
    finally:
        monkeypatch.undo()
        detect._lexicons.cache_clear()
    print(f"English crisis recall with the Dutch lexicon alone: {recall:.2f}")
    assert recall < 0.5


def test_a_crisis_in_english_is_never_negated():
    assert {s.name for s in detect_signals("I'm not thinking about suicide")} == {"crisis"}
    assert {s.name for s in detect_signals("I don't have a bailiff")} == set()
