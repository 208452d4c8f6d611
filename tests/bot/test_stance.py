"""R10: cannot / will not / does not manage, with evidence; never "will not" from silence; the
class changes when the evidence does."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from bot import cases, stance
from bot.language import compile_phrase
from bot.store.db import session_scope
from bot.store.models import Case, Customer

E = stance.Evidence


def test_every_lexicon_term_compiles_and_the_precedence_names_each_class_once():
    for name in stance.CLASSES:
        for term in stance.policy()[name].get("terms") or ():
            compile_phrase(term)
    assert sorted(stance.policy()["precedence"]) == sorted(stance.CLASSES)


def classes_said(text: str) -> set[str]:
    return {e.stance for e in stance.from_words(text, "2026-12-01T10:00:00")}


def test_words_give_evidence_and_negation_does_not():
    assert classes_said("ik schaam me en durf de post niet open te maken") == {"does_not_manage"}
    assert classes_said("ik weet niet meer waar ik moet beginnen") == {"does_not_manage"}
    assert classes_said("ik ga niet betalen") == {"will_not"}
    assert classes_said("ik weiger te betalen") == {"will_not"}
    assert classes_said("ik kan het niet betalen") == {"cannot"}
    assert classes_said("ik weiger niet te betalen") == set()
    assert classes_said("ik ben het vergeten") == set()
    assert classes_said("") == set()


def test_will_not_needs_words_or_a_person_and_yields_to_cannot_and_does_not_manage():
    assert stance.classify([]) == "unknown"
    # Evidence of "will not" from anything but words or staff does not count (silence, misses).
    assert stance.classify([E("will_not", "capacity", "unanswered: 5", "1")]) == "unknown"
    assert stance.classify([E("will_not", "words", "ik ga niet betalen", "1")]) == "will_not"
    assert stance.classify([E("will_not", "words", "x", "1"), E("cannot", "words", "y", "2")]) == "cannot"
    assert stance.classify([E("will_not", "words", "x", "1"), E("does_not_manage", "signal", "mental_distress", "2"),
                            E("cannot", "cause", "job_loss", "3")]) == "does_not_manage"


def test_a_staff_judgement_holds_until_newer_evidence_of_another_class():
    judged = [E("cannot", "signal", "job_loss", "1"), E("does_not_manage", "staff", "Anna: belde, schaamt zich", "2")]
    assert stance.classify(judged) == "does_not_manage"
    assert stance.classify(judged + [E("cannot", "words", "geen geld", "3")]) == "cannot"


@given(st.lists(st.builds(E, st.sampled_from(stance.CLASSES), st.sampled_from(("signal", "cause", "capacity")),
                          st.text(max_size=5), st.text(max_size=5)), max_size=8))
def test_no_amount_of_facts_alone_ever_says_will_not(evidence):
    assert stance.classify(evidence) != "will_not"


def _customer_id(session, number="100002") -> int:
    return session.execute(select(Customer.id).where(Customer.customer_number == number)).scalar_one()


def test_the_case_keeps_its_class_with_evidence_and_it_changes_with_the_facts(database):
    with session_scope() as session:
        customer_id = _customer_id(session)
        case = cases.record(session, "rest:r10", "rest", customer_id=customer_id,
                            stance_words=stance.from_words("ik ga gewoon niet betalen", "2026-12-01T10:00:00"))
        assert case.stance == "will_not"
        assert case.stance_evidence[0]["kind"] == "words" and case.stance_evidence[0]["stance"] == "will_not"
        # The income check shows less room than the € 250 term: cannot outweighs the words.
        finances = {"net_monthly_income": 1400, "housing_costs": 800, "other_fixed_costs": 300,
                    "household_type": "single", "children": 0}
        case = cases.record(session, "rest:r10", "rest", finances=finances)
        assert case.stance == "cannot"
        assert any(e["kind"] == "capacity" for e in case.stance_evidence)
        # The numbers are corrected: the room is there after all, and the class follows.
        case = cases.record(session, "rest:r10", "rest", finances={**finances, "net_monthly_income": 4000})
        assert case.stance == "will_not" and not any(e["kind"] == "capacity" for e in case.stance_evidence)
        cases.judge_stance(session, case, "does_not_manage", "belde: schaamt zich, post ligt ongeopend", "Anna")
        assert session.get(Case, case.id).stance == "does_not_manage"
