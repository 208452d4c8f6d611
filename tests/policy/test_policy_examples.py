"""Worked examples: one per solution, plus the customer's own offer (R11-R18)."""
import copy
from datetime import date
from pathlib import Path

import pytest
import yaml

from bot.policy import CaseFacts, describe, income_check_needed, load_policy, propose, weigh_offer
from bot.policy.config import DEFAULT_POLICY_PATH, parse_policy

TODAY = date(2026, 3, 10)


def facts(**overrides):
    values = dict(arrears_amount=750, terms_behind=3, monthly_term=250,
                  loan_type="personal_loan", cause="one_off_expense")
    values.update(overrides)
    return CaseFacts(**values)


def test_pay_now_for_small_arrears_when_customer_can_pay():  # R3
    p = propose(facts(arrears_amount=250, terms_behind=1, cause="forgot", can_pay_now=True), TODAY)
    assert (p.solution, p.reason, p.pay_now_amount) == ("pay_now", "small_arrears_can_pay", 250)
    assert p.alternative == "payment_arrangement"
    assert p.costs == 0 and not p.needs_staff_confirmation


def test_partial_payment_pays_part_now_and_spreads_the_rest():  # R3
    p = propose(facts(monthly_capacity=400, pay_now_amount=200), TODAY)
    assert p.solution == "partial_payment"
    # Rest 550 over the fewest months with 150 room: 4 months of 138, last month 136.
    assert (p.arrangement_months, p.catch_up_amount, p.last_catch_up_amount) == (4, 138, 136)
    assert p.arrangement_amount == 388 <= 400
    assert p.add_on("savings_buffer").amount == 12  # R18: only what is left over
    assert sum(line.catch_up + line.pay_now for line in p.schedule()) == 750


def test_payment_arrangement_uses_the_fewest_months_within_capacity():  # R13, R15
    p = propose(facts(monthly_capacity=400), TODAY)
    assert (p.solution, p.arrangement_amount, p.arrangement_months, p.catch_up_amount) == (
        "payment_arrangement", 400, 5, 150)
    assert p.checkin_date == date(2026, 4, 10)
    assert [line.total for line in p.schedule()] == [400] * 5


def test_arrangement_without_income_check_assumes_only_the_term_is_affordable():  # R8
    p = propose(facts(arrears_amount=500, cause="payment_timing"), TODAY)
    assert (p.solution, p.reason) == ("payment_arrangement", "arrangement_term_assumed_affordable")
    assert (p.catch_up_amount, p.arrangement_months) == (125, 4)  # at most half a term extra


def test_structural_cause_without_income_check_asks_for_the_check_first():  # R9
    f = facts(cause="job_loss")
    assert income_check_needed(f)
    p = propose(f, TODAY)
    assert (p.solution, p.reason, p.needs_income_check, p.pause_months) == (
        "payment_pause", "income_check_required", True, 1)


def test_payment_pause_for_temporary_cause_with_clear_end():  # R11
    p = propose(facts(cause="job_loss", monthly_capacity=100, temporary_end_months=2), TODAY)
    assert (p.solution, p.pause_months, p.arrangement_amount) == ("payment_pause", 2, 0)
    assert p.checkin_date == date(2026, 4, 26)  # 14 days before the pause ends on 10 May


def test_debt_signals_lead_to_debt_help_with_a_pause():  # R17
    p = propose(facts(signals=["garnishment"], monthly_capacity=300), TODAY)
    assert (p.solution, p.reason) == ("debt_help_referral", "debts_elsewhere")
    pause = p.add_on("pause_while_in_debt_help")
    assert pause is not None and pause.months == 6 and pause.amount == 0


def test_a_lasting_shortfall_leads_to_debt_help():  # R17
    p = propose(facts(cause_structural=True, monthly_capacity=0), TODAY)
    assert (p.solution, p.reason) == ("debt_help_referral", "no_capacity")


def test_no_capacity_in_a_temporary_situation_is_a_pause_not_debt_help():  # R11, R17 (issue 22)
    p = propose(facts(monthly_capacity=0), TODAY)
    assert (p.solution, p.pause_months, p.reason) == ("payment_pause", 3, "temporary_cause_end_not_known")
    assert p.checkin_date is not None


def test_remission_when_recovery_within_the_period_is_impossible():  # R15
    p = propose(facts(cause="illness", cause_structural=True, monthly_capacity=120), TODAY)
    assert (p.solution, p.arrangement_amount, p.arrangement_months) == ("remission_arrangement", 120, 36)
    assert p.needs_staff_confirmation and p.alternative == "restructuring"
    assert (p.forgiven, p.reassess_every_months) == ("rest_of_loan", 12)
    assert p.checkin_date == date(2027, 3, 10)  # yearly reassessment


def test_most_of_the_term_affordable_is_restructured_not_forgiven():  # R11, R15 (issue 22)
    p = propose(facts(cause="illness", cause_structural=True, monthly_capacity=150), TODAY)
    assert (p.solution, p.arrangement_amount, p.alternative) == ("restructuring", 150, "remission_arrangement")


def test_only_a_slow_catch_up_folds_the_arrears_into_the_loan():  # R15
    p = propose(facts(arrears_amount=5000, monthly_capacity=300, cause_structural=True), TODAY)
    assert (p.solution, p.alternative, p.arrangement_amount) == ("restructuring", "interest_freeze", 250)


def test_a_temporary_situation_is_never_forgiven():  # R15 (issue 22)
    p = propose(facts(arrears_amount=5000, monthly_capacity=300), TODAY)
    assert p.solution == "payment_pause"


def test_mortgage_with_structural_income_drop_is_restructured():  # R11
    p = propose(facts(loan_type="mortgage", cause="income_drop", cause_structural=True,
                      arrears_amount=3000, monthly_term=1000, monthly_capacity=800), TODAY)
    assert (p.solution, p.alternative, p.arrangement_amount) == ("restructuring", "interest_freeze", 800)
    assert p.needs_staff_confirmation


def test_a_mortgage_is_never_forgiven_by_the_bot():  # issue 22
    p = propose(facts(loan_type="mortgage", cause="income_drop", cause_structural=True,
                      arrears_amount=3000, monthly_term=1000, monthly_capacity=300), TODAY)
    assert (p.solution, p.alternative, p.forgiven) == ("mortgage_review", None, None)
    assert p.needs_staff_confirmation


def test_customer_offer_within_capacity_is_accepted():  # R12
    p = propose(facts(monthly_capacity=400, customer_offer=380), TODAY)
    assert (p.reason, p.arrangement_amount, p.arrangement_months) == ("customer_offer_accepted", 375, 6)


@pytest.mark.parametrize("offer, verdict, counter, months", [
    (500, "too_high", 400, 5), (300, "too_low", 313, 12), (200, "too_low", 313, 12)])
def test_weigh_offer_counters_too_high_and_too_low(offer, verdict, counter, months):
    result = weigh_offer(facts(monthly_capacity=400), offer, TODAY)
    assert (result.verdict, result.counter_amount, result.counter_months) == (verdict, counter, months)
    assert result.proposal.arrangement_amount <= 400


def test_weigh_offer_too_low_without_recovery_routes_to_the_r15_solution():
    result = weigh_offer(facts(arrears_amount=5000, monthly_capacity=300, cause_structural=True), 280)
    assert (result.verdict, result.counter_amount, result.route) == ("too_low", None, "restructuring")
    result = weigh_offer(facts(arrears_amount=5000, monthly_capacity=100, cause_structural=True), 90)
    assert (result.verdict, result.route) == ("too_low", "remission_arrangement")


def test_describe_gives_json_safe_slot_values():
    slots = describe(propose(facts(monthly_capacity=400), TODAY))
    assert slots["solution"] == "payment_arrangement"
    assert (slots["arrangement_amount"], slots["arrangement_months"], slots["monthly_capacity"]) == (400, 5, 400)
    assert slots["end_date"] == "2026-08-10" and slots["total_to_pay"] == 2000
    assert all(isinstance(v, (int, str, bool, list, type(None))) for v in slots.values())


def _policy(**changes):
    raw = copy.deepcopy(yaml.safe_load(Path(DEFAULT_POLICY_PATH).read_text(encoding="utf-8")))
    for dotted, value in changes.items():
        section, key = dotted.split("__")
        raw[section][key] = value
    return parse_policy(raw)


def test_recovery_period_is_configurable():
    shorter = _policy(recovery_period__max_months=4)
    assert propose(facts(monthly_capacity=400), TODAY).solution == "payment_arrangement"
    assert propose(facts(monthly_capacity=400, cause_structural=True), TODAY, shorter).solution == "restructuring"


def test_policy_rejects_a_recovery_period_beyond_r15():
    with pytest.raises(ValueError):
        _policy(recovery_period__max_months=24)


def test_policy_file_is_versioned_and_sourced():
    policy = load_policy()
    assert policy.version and policy.date and "AFM" in policy.source


def test_bot_code_never_imports_rasa():
    for folder in ("affordability", "policy"):
        for source in (Path("bot") / folder).glob("*.py"):
            text = source.read_text(encoding="utf-8")
            assert "import rasa" not in text and "from rasa" not in text, source
            assert len(text.splitlines()) < 300, source


def test_a_stated_partial_amount_beats_a_general_yes():
    p = propose(facts(monthly_capacity=400, can_pay_now=True, pay_now_amount=200), TODAY)
    assert p.solution == "partial_payment" and p.pay_now_amount == 200


def test_policy_refuses_remission_of_mortgage_principal():  # issue 22
    with pytest.raises(ValueError, match="mortgage"):
        _policy(remission__loan_types=["personal_loan", "mortgage"])


def test_policy_refuses_a_pause_length_beyond_its_maximum():
    with pytest.raises(ValueError):
        _policy(pause__unknown_end_months=9)


def test_a_wished_pause_is_followed_when_the_cause_is_temporary():  # R12, R11
    wished = facts(cause="illness", monthly_capacity=2000, temporary_end_months=2, customer_wish="pause")
    p = propose(wished, TODAY)
    assert (p.solution, p.reason, p.pause_months) == ("payment_pause", "customer_wish_fits", 2)
    lasting = propose(facts(cause="income_drop", cause_structural=True, monthly_capacity=2000,
                            customer_wish="pause"), TODAY)
    assert lasting.solution == "payment_arrangement"  # weighed, not copied


def test_recurring_arrears_are_not_a_temporary_dip():  # seed 000 §4.2
    p = propose(facts(cause="income_drop", recurring=True, temporary_end_months=2, monthly_capacity=200), TODAY)
    assert p.solution == "restructuring"


def test_after_a_one_off_expense_pay_now_is_not_proposed_unasked():  # seed 000 §3.2
    p = propose(facts(arrears_amount=250, terms_behind=1), TODAY)
    assert p.solution == "payment_arrangement"
    assert propose(facts(arrears_amount=250, terms_behind=1, cause="forgot"), TODAY).solution == "pay_now"
