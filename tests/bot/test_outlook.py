"""Temporary or structural from the story in the follow-up answer (issue 22 §3), not only yes/no."""
import pytest

from bot.assessment import assess_cause, read_outlook


@pytest.mark.parametrize("answer,outlook", [
    ("nee", False), ("ja", True), ("misschien", None),
    ("dat weet ik eerlijk gezegd niet", None),
    ("de uitkering is aangevraagd, die komt nog", True),
    ("per april begin ik bij een nieuwe werkgever", True),
    ("over zes weken mag ik weer aan het werk", True),
    ("het is tijdelijk", True),
    ("niet tijdelijk hoor, dit blijft zo", False),
    ("ik heb nog geen nieuwe baan", False),
    ("de arts zegt dat ik niet meer kan werken", False),
    ("nee, ik ben volledig afgekeurd", False),
    ("ik denk dat ik mijn zaak moet sluiten", False),
])
def test_the_outlook_of_a_follow_up_answer(answer, outlook):
    assert read_outlook(answer) is outlook


def test_the_outlook_decides_temporary_or_structural_for_the_questions_about_the_future():
    assert assess_cause("illness", "ik ben ziek", "na de zomer ga ik weer werken").structural is False
    assert assess_cause("income_drop", "minder uren", "dat blijft zo").structural is True
    # Not a question about the future: "do you pay the fixed costs alone?" stays a yes/no.
    assert assess_cause("relationship_end", "we zijn uit elkaar", "ja, tijdelijk").structural is True


def test_an_unknown_outlook_keeps_the_cause_default():
    assert assess_cause("job_loss", "ontslagen", "geen idee").structural is False
    assert assess_cause("income_drop", "minder uren", "geen idee").structural is True
