"""The held-out understanding set (heldout.yml, written before tuning, never trained on).

Floors set at the goal of issue 22 §3, not at what we measured, so a regression fails. Main before
this work: causes 0.29, temporary/structural 0.73 (tests/understanding/README.md).
"""
from tests.understanding.evaluate import cause_outcomes

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
