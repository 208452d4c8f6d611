from sqlalchemy import select

from actions.cause import ActionAskCauseFollowup, ActionRecordCause, ValidateCauseForm
from actions.control import ActionAssessControlAnswers, ValidateControlForm
from actions.income_check import ActionRecordFinances, ValidateIncomeCheckForm
from bot.store.db import session_scope
from bot.store.models import Case
from tests.actions.conftest import make_tracker, responses, run, slot_events


def form_domain(form, slots):
    return {"forms": {form: {"required_slots": slots}}, "slots": {s: {} for s in slots}}


CAUSE = form_domain("cause_form", ["cause_description", "cause_followup"])
CONTROL = form_domain("control_form", ["income_changed", "situation_changed", "other_debts", "upcoming_changes"])
INCOME = form_domain("income_check_form",
                     ["net_monthly_income", "housing_costs", "other_fixed_costs", "household_type", "children"])


def case_of(sender="rest:test"):
    with session_scope() as session:
        return session.execute(select(Case).where(Case.sender_id == sender)).scalar_one()


def test_the_cause_is_classified_from_the_open_answer(db):
    text = "er ligt loonbeslag op mijn loon"
    tracker = make_tracker({"requested_slot": "cause_description"}, text=text, active_loop="cause_form",
                           extracted={"cause_description": text})
    events, _ = run(ValidateCauseForm(), tracker, CAUSE)
    assert slot_events(events)["arrears_cause"] == "other_debts"
    _, messages = run(ActionAskCauseFollowup(), make_tracker({"arrears_cause": "other_debts"}))
    assert responses(messages) == ["utter_followup_other_debts"]


def test_an_empty_answer_is_asked_again(db):
    tracker = make_tracker({"requested_slot": "cause_description"}, text="  ", active_loop="cause_form",
                           extracted={"cause_description": "  "})
    events, _ = run(ValidateCauseForm(), tracker, CAUSE)
    assert slot_events(events)["cause_description"] is None


def test_the_followup_decides_temporary_or_structural_and_is_stored(db):
    tracker = make_tracker({"arrears_cause": "job_loss", "cause_description": "ik ben ontslagen",
                            "cause_followup": "ja ik begin volgende maand bij een nieuwe baas"})
    events, messages = run(ActionRecordCause(), tracker)
    assert slot_events(events) == {"arrears_cause": "job_loss", "cause_structural": False}
    assert responses(messages) == ["utter_thanks_for_sharing"]
    case = case_of()
    assert case.cause == "job_loss" and case.cause_structural is False
    assert case.answers["new_income_in_sight"] is True
    tracker = make_tracker({"arrears_cause": "job_loss", "cause_description": "ontslagen", "cause_followup": "nee"})
    events, _ = run(ActionRecordCause(), tracker)
    assert slot_events(events)["cause_structural"] is True


def test_control_answers_are_read_as_yes_or_no(db):
    for text, expected, hint in (("ja, mijn inkomen is lager", True, []), ("nee", False, []),
                                 ("pizza", None, ["utter_please_yes_no"])):
        tracker = make_tracker({"requested_slot": "income_changed"}, text=text, active_loop="control_form",
                               extracted={"income_changed": text})
        events, messages = run(ValidateControlForm(), tracker, CONTROL)
        assert slot_events(events)["income_changed"] is expected
        assert responses(messages) == hint


def test_doubt_in_the_control_answers_calls_for_the_full_check(db):
    calm = {"income_changed": False, "situation_changed": False, "other_debts": False, "upcoming_changes": True}
    events, _ = run(ActionAssessControlAnswers(), make_tracker({**calm, "cause_structural": False}))
    assert slot_events(events) == {"needs_income_check": False}
    events, _ = run(ActionAssessControlAnswers(), make_tracker({**calm, "other_debts": True}))
    assert slot_events(events) == {"needs_income_check": True}
    events, _ = run(ActionAssessControlAnswers(), make_tracker({**calm, "recurring_arrears": True}))
    assert slot_events(events) == {"needs_income_check": True}
    assert case_of().answers["control"]["upcoming_changes"] is True


def test_amounts_and_household(db):
    tracker = make_tracker({"requested_slot": "net_monthly_income"}, text="ongeveer 2.100 euro",
                           active_loop="income_check_form", extracted={"net_monthly_income": "ongeveer 2.100 euro"})
    events, _ = run(ValidateIncomeCheckForm(), tracker, INCOME)
    assert slot_events(events)["net_monthly_income"] == 2100.0
    tracker = make_tracker({"requested_slot": "housing_costs"}, text="weet niet",
                           active_loop="income_check_form", extracted={"housing_costs": "weet niet"})
    events, messages = run(ValidateIncomeCheckForm(), tracker, INCOME)
    assert slot_events(events)["housing_costs"] is None and responses(messages) == ["utter_invalid_amount"]
    tracker = make_tracker({"requested_slot": "household_type"}, text="ik woon alleen",
                           active_loop="income_check_form", extracted={"household_type": "ik woon alleen"})
    events, _ = run(ValidateIncomeCheckForm(), tracker, INCOME)
    assert slot_events(events)["household_type"] == "single" and slot_events(events)["children"] == 0


def test_no_children_turns_a_family_household_into_one_without(db):
    tracker = make_tracker({"requested_slot": "children", "household_type": "single_parent"}, text="geen",
                           active_loop="income_check_form", extracted={"children": "geen"})
    events, _ = run(ValidateIncomeCheckForm(), tracker, INCOME)
    slots = slot_events(events)
    assert (slots["children"], slots["household_type"]) == (0, "single")


def test_finances_are_stored_on_the_case(db):
    figures = {"net_monthly_income": 1450.0, "housing_costs": 700.0, "other_fixed_costs": 250.0,
               "household_type": "couple_with_children", "children": 2}
    _, messages = run(ActionRecordFinances(), make_tracker(figures))
    assert responses(messages) == ["utter_finances_recorded"]
    assert case_of().finances == figures
