"""The held-out understanding set (heldout.yml, written before tuning, never trained on).

Floors set at the goal of issue 22 §3, not at what we measured, so a regression fails. Main before
this work: causes 0.29, temporary/structural 0.73 (tests/understanding/README.md).
"""
import pytest

from tests.understanding.evaluate import (
    HELDOUT_FILE,
    SECOND_FILE,
    cause_outcomes,
    handover_outcomes,
    handover_score,
    signal_scores,
)

CAUSE_ACCURACY_GOAL = 0.90


def test_cause_accuracy_on_the_held_out_answers():
    outcomes = cause_outcomes()
    assert len(outcomes) >= 46
    right = sum(o.got == o.expected for o in outcomes)
    assert right / len(outcomes) >= CAUSE_ACCURACY_GOAL, [(o.text, o.got) for o in outcomes if o.got != o.expected]


def test_temporary_or_structural_after_the_follow_up_answer():
    outcomes = cause_outcomes()
    right = sum(o.structural_got == o.structural_expected for o in outcomes)
    assert right / len(outcomes) >= CAUSE_ACCURACY_GOAL


SIGNAL_FLOOR = 0.90  # main before issue 22 §3: micro 0.77/0.77 (heldout), 0.78/0.70 (second set)


@pytest.mark.parametrize("path", [HELDOUT_FILE, SECOND_FILE], ids=["heldout", "second"])
def test_signal_precision_and_recall_on_the_held_out_sentences(path):
    scores, _ = signal_scores(path)
    assert scores["micro"].precision >= SIGNAL_FLOOR and scores["micro"].recall >= SIGNAL_FLOOR, scores["micro"]
    # issue 22: no illness from a dismissal at a hospital, nor from the illness someone died of
    assert scores["illness"].precision >= 0.75, scores["illness"]


@pytest.mark.parametrize("path", [HELDOUT_FILE, SECOND_FILE], ids=["heldout", "second"])
def test_handover_precision_and_recall_on_the_held_out_stories(path):
    # main before: recall 0.55 and 0.60 (the widower who lost all overview stayed with the bot)
    outcomes = handover_outcomes(path)
    score = handover_score(outcomes)
    assert score.precision >= SIGNAL_FLOOR and score.recall >= SIGNAL_FLOOR, [
        (item["id"], got) for item, got in outcomes if bool(got) != item["handover"]]
