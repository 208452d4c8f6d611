from sqlalchemy import select

from actions.solution import ActionAcceptProposal, ActionProposeSolution, ActionWeighOffer, ValidateCounterOfferForm
from bot.store.db import session_scope
from bot.store.models import Case
from tests.actions.conftest import make_tracker, responses, run, slot_events
from tests.actions.test_verification import validate

FAMILY = {"net_monthly_income": 4000.0, "housing_costs": 900.0, "other_fixed_costs": 350.0,
          "household_type": "couple_with_children", "children": 2}


def verified(number, born):
    events, _ = validate({"customer_number": number, "birth_date": born}, born)
    return {"verified": True, "customer_id": slot_events(events)["customer_id"]}


def the_case():
    with session_scope() as session:
        return session.execute(select(Case)).scalar_one()


def test_sanne_forgot_and_can_pay_now(db):
    slots = {**verified("100001", "12-04-1988"), "arrears_cause": "forgot", "cause_description": "vergeten",
             "cause_followup": "ja"}
    events, messages = run(ActionProposeSolution(), make_tracker(slots))
    assert responses(messages)[0] == "utter_proposal_pay_now" and messages[0]["arrears_amount"] == "€ 210"
    assert responses(messages)[-1] == "utter_ask_agreement"
    values = slot_events(events)
    assert values["solution"] == "pay_now" and values["awaiting_agreement"] is True
    case = the_case()
    assert case.solution == "pay_now" and case.policy_version and case.offer["agreed"] is False

    events, messages = run(ActionAcceptProposal(), make_tracker({**slots, "awaiting_agreement": True}))
    assert responses(messages) == ["utter_confirm_pay_now", "utter_agreement_saved"]
    assert messages[0]["lender_iban"] and messages[0]["loan_reference"] == "PE-100001"
    assert the_case().offer["agreed"] is True


def test_mohamed_with_real_figures_gets_an_arrangement_within_capacity(db):
    slots = {**verified("100002", "03-11-1979"), "arrears_cause": "income_drop", "cause_structural": True,
             "cause_description": "minder uren", "cause_followup": "nee", **FAMILY}
    events, messages = run(ActionProposeSolution(), make_tracker(slots))
    values = slot_events(events)
    assert values["solution"] in ("payment_arrangement", "partial_payment")
    assert values["arrangement_amount"] <= values["monthly_capacity"]


def test_an_unverified_conversation_gets_no_proposal(db):
    events, messages = run(ActionProposeSolution(), make_tracker({"verified": False, "customer_id": 1}))
    assert "solution" not in slot_events(events)
    assert not any(r and r.startswith("utter_proposal") for r in responses(messages))


def test_a_too_high_offer_gets_a_kind_counter_proposal(db):
    slots = {**verified("100002", "03-11-1979"), "arrears_cause": "income_drop", "cause_structural": True,
             "cause_description": "minder uren", "cause_followup": "nee", **FAMILY, "customer_offer": 2500.0}
    events, messages = run(ActionWeighOffer(), make_tracker(slots))
    assert responses(messages)[0] == "utter_offer_too_high"
    values = slot_events(events)
    assert values["arrangement_amount"] <= values["monthly_capacity"] < 2500
    assert values["customer_offer"] is None


def test_a_too_low_offer_is_explained(db):
    slots = {**verified("100002", "03-11-1979"), "arrears_cause": "income_drop", "cause_structural": True,
             "cause_description": "minder uren", "cause_followup": "nee", **FAMILY, "customer_offer": 20.0}
    _, messages = run(ActionWeighOffer(), make_tracker(slots))
    assert responses(messages)[0] == "utter_offer_too_low"
    assert messages[0]["offer_amount"] == "€ 20"


def test_remission_is_handed_to_staff(db):
    poor = {"net_monthly_income": 1600.0, "housing_costs": 750.0, "other_fixed_costs": 300.0,
            "household_type": "single", "children": 0}
    slots = {**verified("100004", "30-01-1992"), "arrears_cause": "illness", "cause_structural": True,
             "cause_description": "ziek", "cause_followup": "nee", **poor}
    events, messages = run(ActionProposeSolution(), make_tracker(slots))
    kinds = [e["event"] for e in events]
    values = slot_events(events)
    if values["solution"] in ("remission_arrangement", "restructuring", "interest_freeze"):
        assert "utter_staff_will_confirm" in responses(messages)
        assert kinds[-1] == "pause" and values["handoff_reason"].startswith("staff_confirmation:")
        assert the_case().status == "handed_over"
    else:
        assert values["solution"] == "debt_help_referral"


def test_the_counter_offer_is_read_as_an_amount(db):
    tracker = make_tracker({"requested_slot": "customer_offer"}, text="zo'n 150 euro", active_loop="counter_offer_form",
                           extracted={"customer_offer": "zo'n 150 euro"})
    events, _ = run(ValidateCounterOfferForm(), tracker,
                    {"forms": {"counter_offer_form": {"required_slots": ["customer_offer"]}}, "slots": {}})
    assert slot_events(events)["customer_offer"] == 150.0


def test_not_all_now_becomes_part_now_and_the_rest_spread(db):
    slots = {**verified("100001", "12-04-1988"), "arrears_cause": "forgot", "cause_description": "vergeten",
             "cause_followup": "ja", "solution": "pay_now", "customer_offer": 100.0}
    events, messages = run(ActionWeighOffer(), make_tracker(slots))
    values = slot_events(events)
    assert values["solution"] == "partial_payment"
    proposal = next(m for m in messages if m["response"] == "utter_proposal_partial_payment")
    assert proposal["pay_now_amount"] == "€ 100"
    assert the_case().offer["pay_now_amount"] == 100
