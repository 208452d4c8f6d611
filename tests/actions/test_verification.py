from sqlalchemy import func, select

from actions.verification import ActionExplainArrears, ActionStartVerification, ValidateVerificationForm
from bot.store.db import session_scope
from bot.store.models import Case, VerificationFailure
from tests.actions.conftest import make_tracker, responses, run, slot_events

FORM_DOMAIN = {"forms": {"verification_form": {"required_slots": ["customer_number", "birth_date"]}},
               "slots": {"customer_number": {}, "birth_date": {}}}


def validate(slots, text):
    tracker = make_tracker({"requested_slot": "birth_date", **slots}, text=text, active_loop="verification_form",
                           extracted={"birth_date": text})
    return run(ValidateVerificationForm(), tracker, FORM_DOMAIN)


def test_right_number_and_birth_date_verify_and_forget_the_birth_date(db):
    events, messages = validate({"customer_number": "100001", "birth_date": "12 april 1988"}, "12 april 1988")
    slots = slot_events(events)
    assert slots["verified"] is True and slots["customer_id"]
    assert slots["birth_date"] is None and slots["customer_number"] is None
    assert messages == []
    with session_scope() as session:
        assert session.execute(select(Case.customer_id).where(Case.sender_id == "rest:test")).scalar_one()


def test_a_wrong_birth_date_counts_a_failure_and_says_nothing_about_the_account(db):
    events, messages = validate({"customer_number": "100001", "birth_date": "13-04-1988"}, "13-04-1988")
    slots = slot_events(events)
    assert slots["verification_failures"] == 1 and "verified" not in slots
    assert responses(messages) == ["utter_verification_mismatch"]
    with session_scope() as session:
        assert session.execute(select(func.count(VerificationFailure.id))).scalar_one() == 1


def test_an_unreadable_birth_date_is_asked_again_without_a_failure(db):
    events, messages = validate({"customer_number": "100001", "birth_date": "gisteren"}, "gisteren")
    assert slot_events(events)["birth_date"] is None
    assert "verification_failures" not in slot_events(events)
    assert responses(messages) == ["utter_invalid_birth_date"]


def test_an_unreadable_customer_number_gets_a_hint(db):
    tracker = make_tracker({"requested_slot": "customer_number"}, text="weet ik niet",
                           active_loop="verification_form", extracted={"customer_number": "weet ik niet"})
    events, messages = run(ValidateVerificationForm(), tracker, FORM_DOMAIN)
    assert slot_events(events)["customer_number"] is None
    assert responses(messages) == ["utter_invalid_customer_number"]


def test_the_third_failure_ends_the_form_and_a_locked_number_is_not_checked(db):
    for attempt in range(3):
        events, _ = validate({"customer_number": "100001", "birth_date": "01-01-1990",
                              "verification_failures": attempt}, "01-01-1990")
    assert slot_events(events)["verification_failures"] == 3
    # Even the right birth date, from another conversation, fails while the number is locked.
    tracker = make_tracker({"requested_slot": "birth_date", "customer_number": "100001"}, text="12-04-1988",
                           sender="telegram:other", active_loop="verification_form",
                           extracted={"birth_date": "12-04-1988"})
    events, _ = run(ValidateVerificationForm(), tracker, FORM_DOMAIN)
    slots = slot_events(events)
    assert slots["verification_route"] == "locked" and "verified" not in slots


def test_a_trusted_phone_number_spares_the_customer_number(db):
    metadata = {"verified_phone": "+31612345003"}
    events, _ = run(ActionStartVerification(), make_tracker(metadata=metadata))
    assert slot_events(events) == {"verification_route": "phone"}
    tracker = make_tracker({"requested_slot": "birth_date", "verification_route": "phone"}, text="21-07-1965",
                           metadata=metadata, active_loop="verification_form", extracted={"birth_date": "21-07-1965"})
    events, _ = run(ValidateVerificationForm(), tracker, FORM_DOMAIN)
    assert slot_events(events)["verified"] is True


def test_metadata_from_an_unknown_phone_changes_nothing(db):
    events, _ = run(ActionStartVerification(), make_tracker(metadata={"verified_phone": "+31699999999"}))
    assert events == []
    events, _ = run(ActionStartVerification(), make_tracker(metadata={"phone": "+31612345003"}))
    assert events == []


def test_explain_arrears_for_sanne(db):
    events, _ = validate({"customer_number": "100001", "birth_date": "12-04-1988"}, "12-04-1988")
    customer_id = slot_events(events)["customer_id"]
    events, messages = run(ActionExplainArrears(), make_tracker({"verified": True, "customer_id": customer_id}))
    assert responses(messages) == ["utter_verified", "utter_arrears_one_term", "utter_arrears_no_costs",
                                   "utter_arrears_next_steps"]
    assert messages[1]["arrears_amount"] == "€ 210"
    slots = slot_events(events)
    assert slots["verified"] is True and slots["in_arrears"] is True and slots["terms_behind"] == 1


def test_explain_arrears_for_petra_includes_bkr(db):
    events, _ = validate({"customer_number": "100003", "birth_date": "21-07-1965"}, "21-07-1965")
    tracker = make_tracker({"verified": True, "customer_id": slot_events(events)["customer_id"]})
    _, messages = run(ActionExplainArrears(), tracker)
    assert "utter_bkr_explained" in responses(messages)
    assert messages[1]["response"] == "utter_arrears_several_terms" and messages[1]["arrears_amount"] == "€ 2.300"


def test_a_partial_payment_is_said_so_and_the_amounts_add_up(db):
    """Issue 26: 3 terms of € 250 with € 1 paid is "€ 1 al betaald, nog € 749 open", not "one term is
    € 250, together € 749"."""
    from bot.store.models import Loan

    with session_scope() as session:
        session.execute(select(Loan).where(Loan.reference.like("%100002%"))).scalar_one().arrears_cents = 74_900
    events, _ = validate({"customer_number": "100002", "birth_date": "03-11-1979"}, "03-11-1979")
    tracker = make_tracker({"verified": True, "customer_id": slot_events(events)["customer_id"]})
    _, messages = run(ActionExplainArrears(), tracker)
    said = messages[1]
    assert said["response"] == "utter_arrears_several_terms_partly_paid"
    assert (said["terms_behind"], said["monthly_term"], said["arrears_paid"], said["arrears_amount"]) == \
        (3, "€ 250", "€ 1", "€ 749")


def test_explain_arrears_when_unverified_leaks_nothing(db):
    events, messages = run(ActionExplainArrears(), make_tracker({"verified": False, "customer_id": 1}))
    assert responses(messages) == ["utter_verification_failed"]
    assert slot_events(events) == {"verified": False, "in_arrears": None}
    _, messages = run(ActionExplainArrears(), make_tracker({"verification_route": "locked"}))
    assert responses(messages) == ["utter_verification_locked"]


def test_fatima_has_no_arrears(db):
    events, _ = validate({"customer_number": "100005", "birth_date": "15-09-1983"}, "15-09-1983")
    tracker = make_tracker({"verified": True, "customer_id": slot_events(events)["customer_id"]})
    events, messages = run(ActionExplainArrears(), tracker)
    assert responses(messages) == ["utter_verified", "utter_no_arrears"]
    assert slot_events(events)["in_arrears"] is False


def test_explain_arrears_says_a_waived_cost_as_waived(db):
    """R16: Mohamed's € 35 of real costs are told, and told as waived because he cooperates."""
    events, _ = validate({"customer_number": "100002", "birth_date": "03-11-1979"}, "03-11-1979")
    tracker = make_tracker({"verified": True, "customer_id": slot_events(events)["customer_id"]})
    events, messages = run(ActionExplainArrears(), tracker)
    said = {m["response"]: m for m in messages}
    assert said["utter_arrears_costs_waived_cooperating"]["costs_waived"] == "€ 35"
    assert slot_events(events)["arrears_costs"] == "€ 0"
