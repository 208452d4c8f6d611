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
    proposal = next(m for m in messages if m["response"].startswith("utter_proposal_partial_payment"))
    assert proposal["pay_now_amount"] == "€ 100"
    assert the_case().offer["pay_now_amount"] == 100


def test_a_wish_said_inside_an_answer_fills_the_wish(db):  # R12, issue 22
    from actions.solution import ActionReadCustomerWish
    events, messages = run(ActionReadCustomerWish(), make_tracker({}, text="Ja, over drie maanden. Kan ik tot die "
                                                                           "tijd uitstel krijgen?"))
    assert slot_events(events) == {"customer_wish": "pause"} and messages == []
    events, _ = run(ActionReadCustomerWish(), make_tracker({"customer_wish": "pause"}, text="ja"))
    assert events == []  # an answer without a wish keeps the one heard before


def test_a_pause_wish_with_a_temporary_cause_is_followed(db):  # R12, R11
    slots = {**verified("100001", "12-04-1988"), "arrears_cause": "illness", "cause_structural": False,
             "cause_description": "ik ben ziek", "cause_followup": "ja over drie maanden", "recovery_months": 3,
             "customer_wish": "pause"}
    events, messages = run(ActionProposeSolution(), make_tracker(slots))
    assert slot_events(events)["solution"] == "payment_pause"
    assert responses(messages)[0] == "utter_proposal_payment_pause"
    assert the_case().offer["pause_months"] == 3


def test_a_pause_wish_for_a_lasting_drop_is_weighed_and_said(db):  # R12: weighed, not copied
    slots = {**verified("100002", "03-11-1979"), "arrears_cause": "income_drop", "cause_structural": True,
             "cause_description": "minder uren", "cause_followup": "nee", **FAMILY, "customer_wish": "pause"}
    events, messages = run(ActionProposeSolution(), make_tracker(slots))
    assert slot_events(events)["solution"] == "payment_arrangement"
    assert responses(messages)[0] == "utter_wish_weighed_pause"


def test_a_wish_for_a_person_hands_over_with_the_proposal_as_start(db):  # R4
    slots = {**verified("100001", "12-04-1988"), "arrears_cause": "forgot", "cause_description": "vergeten",
             "cause_followup": "ja", "customer_wish": "person"}
    events, messages = run(ActionProposeSolution(), make_tracker(slots))
    assert slot_events(events)["handoff_reason"] == "customer_asked"
    assert "utter_ask_agreement" not in responses(messages)
    assert "utter_handover_customer_asked" in responses(messages)
    assert the_case().status == "handed_over"


def test_one_message_with_two_signals_is_one_life_event(db):  # R19, issue 22
    from bot import cases as case_store
    said = "Ik ben ontslagen bij de reorganisatie in het ziekenhuis waar ik werkte."
    with session_scope() as session:
        case_store.record(session, "rest:t", "rest", signals=[{"name": "job_loss", "term": "ontslag", "text": said},
                                                             {"name": "illness", "term": "ziekenhuis", "text": said}])
    slots = {**verified("100003", "21-07-1965"), "arrears_cause": "job_loss", "cause_structural": False,
             "cause_description": said, "cause_followup": "ja over twee maanden", "recovery_months": 2,
             "signals": ["illness", "job_loss"]}
    events, _ = run(ActionProposeSolution(), make_tracker(slots, sender="rest:t"))
    values = slot_events(events)
    assert values["solution"] == "payment_pause" and "handoff_reason" not in values
