from datetime import date

import pytest

from bot.arrears import LoanArrears
from bot.assessment import asks_recovery_months, assess_cause, needs_income_check, read_recovery_months
from bot.formatting import euros, format_date_nl
from bot.policy import SOLUTIONS, propose
from bot.solutions import Conversation, affordability, case_facts, proposal_responses, proposal_values, whole_euros_down

KEES = LoanArrears("PE-100004", "personal_loan", "persoonlijke lening", 18500, 2, 37000, 0)
SANNE = LoanArrears("PE-100001", "personal_loan", "persoonlijke lening", 21000, 1, 21000, 0)
TODAY = date(2026, 11, 22)


@pytest.mark.parametrize("cause,answer,structural", [
    ("job_loss", "ja, ik begin volgende maand ergens anders", False),
    ("job_loss", "nee nog niks", True),
    ("relationship_end", "ja ik moet nu alles alleen betalen", True),
    ("one_off_expense", "nee geen spaargeld", False),
    ("other_debts", "bij de belastingdienst en vattenfall", True),
    ("job_loss", "weet ik niet", False),  # unclear: the cause's own default stands
])
def test_the_followup_answer_decides(cause, answer, structural):
    assessment = assess_cause(cause, "verhaal", answer)
    assert assessment.structural is structural
    assert assessment.answers["cause_followup"] == answer


def test_the_full_check_follows_structural_recurring_or_doubt():
    calm = {"income_changed": False, "situation_changed": False, "other_debts": False}
    assert not needs_income_check(False, False, calm)
    assert needs_income_check(True, False, calm)
    assert needs_income_check(False, True, calm)
    assert needs_income_check(False, False, {**calm, "situation_changed": True})
    assert not needs_income_check(False, False, {**calm, "upcoming_changes": True})


def test_recovery_months():
    assert asks_recovery_months("illness", "ja hoor") and not asks_recovery_months("illness", "nee")
    assert not asks_recovery_months("forgot", "ja")
    assert [read_recovery_months(t) for t in ("over 2 maanden", "drie", "weet niet", "40")] == [2, 3, None, None]


def test_dutch_formatting():
    assert format_date_nl(date(2026, 12, 1)) == "1 december 2026"
    assert format_date_nl("2027-03-05") == "5 maart 2027"
    assert euros(1150) == "€ 1.150" and euros(None) is None


def test_capacity_only_from_a_complete_check():
    assert affordability({"net_monthly_income": 2000.0}) is None
    result = affordability({"net_monthly_income": 3000.0, "housing_costs": 900.0, "other_fixed_costs": 300.5,
                            "household_type": "couple", "children": 0})
    assert result.monthly_capacity >= 0


def test_an_offer_is_never_rounded_up():
    assert whole_euros_down(99.99) == 99 and whole_euros_down(None) is None


def test_facts_from_the_conversation():
    facts = case_facts(KEES, True, Conversation(cause="forgot", signals=("bailiff", "unknown_signal"),
                                                customer_offer=120.7, customer_wish="arrangement"))
    assert (facts.arrears_amount, facts.monthly_term, facts.terms_behind) == (370, 185, 2)
    assert facts.signals == ("bailiff",) and facts.customer_offer == 120 and facts.recurring


def test_sanne_who_forgot_and_can_pay_gets_pay_now():
    proposal = propose(case_facts(SANNE, False, Conversation(cause="forgot", can_pay_now=True)), TODAY)
    assert proposal.solution == "pay_now"
    assert proposal_responses(proposal)[0] == "utter_proposal_pay_now"
    assert proposal_responses(proposal)[-1] == "utter_ask_agreement"
    assert proposal_values(proposal)["written"]["arrears_amount"] == "€ 210"


def test_a_bailiff_leads_to_debt_help():
    proposal = propose(case_facts(KEES, True, Conversation(cause="other_debts", signals=("bailiff",))), TODAY)
    assert proposal.solution == "debt_help_referral"


def test_every_solution_has_its_sentences():
    from pathlib import Path

    import yaml
    responses = yaml.safe_load((Path(__file__).parents[2] / "domain" / "solution.yml").read_text())["responses"]
    for solution in SOLUTIONS:
        assert f"utter_proposal_{solution}" in responses
        assert f"utter_alternative_{solution}" in responses
    for solution in ("pay_now", "partial_payment", "payment_arrangement", "payment_pause", "debt_help_referral"):
        assert f"utter_confirm_{solution}" in responses
    for verdict in ("acceptable", "too_high", "too_low"):
        assert f"utter_offer_{verdict}" in responses
