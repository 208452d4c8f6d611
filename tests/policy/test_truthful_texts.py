"""Every solution type described truthfully (issue 21 §3, issue 22): whatever the customer reads
about a proposal, its confirmation or a staff decision names no period of 0 months, no amount of
€ 0 where money is asked, no "1 maanden", and leaves no placeholder unfilled."""
from __future__ import annotations

import copy
import re
from datetime import date
from pathlib import Path

import pytest
import yaml

from bot.arrears import ArrearsOverview, LoanArrears, arrears_policy
from bot.policy import SOLUTIONS, CaseFacts, propose
from bot.policy.config import DEFAULT_POLICY_PATH, parse_policy
from bot.solutions import proposal_responses, proposal_values, staff_decision, template_values, written_values
from tests.casebook.casebook import domain_responses, response_texts

TODAY = date(2026, 11, 23)
FAULTS = {
    "an unfilled placeholder": re.compile(r"[{}]"),
    "a missing value": re.compile(r"\bNone\b"),
    "a period of 0 months": re.compile(r"\b0 maand"),
    "a zero amount": re.compile(r"€ ?0(?![\d.,]*\d)"),
    "a singular written as plural": re.compile(r"\b1 maanden\b"),
}


def _policy_with(first_no_recovery: dict):
    raw = copy.deepcopy(yaml.safe_load(Path(DEFAULT_POLICY_PATH).read_text(encoding="utf-8")))
    raw["no_recovery"].insert(0, first_no_recovery)
    return parse_policy(raw)


def facts(**values) -> CaseFacts:
    base = dict(arrears_amount=500, terms_behind=2, monthly_term=250, loan_type="personal_loan", cause="forgot")
    return CaseFacts(**{**base, **values})


STRUCTURAL = dict(cause="income_drop", cause_structural=True)
FREEZE = _policy_with({"when": {}, "solution": "interest_freeze", "alternative": "restructuring"})
EXAMPLES = [  # (what, facts, policy): together every solution and every way to say it
    ("pay now", facts(arrears_amount=250, terms_behind=1), None),
    ("part now, rest even", facts(pay_now_amount=200, monthly_capacity=400), None),
    ("part now, rest uneven", facts(arrears_amount=750, terms_behind=3, pay_now_amount=200, monthly_capacity=400), None),
    ("part now, one month", facts(pay_now_amount=400, monthly_capacity=400), None),
    ("arrangement even", facts(monthly_capacity=500), None),
    ("arrangement one month", facts(monthly_capacity=800), None),
    ("arrangement uneven", facts(arrears_amount=750, terms_behind=3, monthly_capacity=400), None),
    ("pause with an end", facts(cause="illness", temporary_end_months=2), None),
    ("pause of one month", facts(monthly_capacity=100), None),
    ("pause for the check", facts(cause="job_loss"), None),
    ("debt help", facts(signals=("bailiff",)), None),
    ("restructuring, term stays", facts(arrears_amount=5000, monthly_capacity=260, **STRUCTURAL), None),
    ("restructuring, lower term", facts(monthly_capacity=200, **STRUCTURAL), None),
    ("remission", facts(monthly_capacity=80, **STRUCTURAL), None),
    ("mortgage review", facts(loan_type="mortgage", monthly_term=1150, arrears_amount=2300, monthly_capacity=300,
                              **STRUCTURAL), None),
    ("interest freeze, term stays", facts(arrears_amount=5000, monthly_capacity=260, **STRUCTURAL), FREEZE),
    ("interest freeze, lower", facts(monthly_capacity=200, **STRUCTURAL), FREEZE),
]


def proposals():
    for what, case, policy in EXAMPLES:
        yield what, case, propose(case, TODAY, policy)


def loan_slots(case: CaseFacts) -> dict:
    names = arrears_policy()["loan_type_names_nl"]
    loan = LoanArrears("PE-1", case.loan_type, names[case.loan_type], case.monthly_term * 100, case.terms_behind,
                       case.arrears_amount * 100, 0)
    return ArrearsOverview(1, (loan,), 0, False).as_slots()


def customer_texts(case: CaseFacts, proposal) -> list[tuple[str, str]]:
    """(response, text) for everything the customer may read about this proposal."""
    raw = proposal_values(proposal)["raw"]
    values = template_values(loan_slots(case), proposal_values(proposal)["written"])
    names = {name for wish in (None, "pay_now", "arrangement", "pause", "person")
             for name in proposal_responses(proposal, wish)}
    shown = [(name, text) for name in sorted(names) for text in response_texts(name, values)]
    confirmed = {**template_values(loan_slots(case), written_values({**raw, "agreed": True})),
                 "lender_iban": "NL00 TEST 0000 0000 00", "lender_name": "Lener"}
    shown += [(f"utter_confirm_{proposal.solution}", text)
              for text in response_texts(f"utter_confirm_{proposal.solution}", confirmed)]
    # A supervisor confirms the offer as it is, or adjusts it: the console then sets a whole amount
    # and 1 to 120 months (bot/console/case_actions.py).
    for offer, adjusted in ((raw, False), ({**raw, "arrangement_amount": 150, "arrangement_months": 12}, True)):
        name, slots = staff_decision(offer, adjusted)
        shown += [(name, text) for text in response_texts(name, slots)]
    return shown


def test_the_examples_cover_every_solution_type():
    assert {p.solution for _, _, p in proposals()} == set(SOLUTIONS)


@pytest.mark.parametrize("what, case, proposal", list(proposals()), ids=[e[0] for e in EXAMPLES])
def test_every_text_about_a_solution_is_true(what, case, proposal):
    shown = customer_texts(case, proposal)
    names = {name for name, _ in shown}
    assert f"utter_staff_confirmed_{proposal.solution}" in names or proposal.solution not in SOLUTIONS
    for name, text in shown:
        for fault, pattern in FAULTS.items():
            assert not pattern.search(text), f"{what}: {name} has {fault}: {text}"


def test_every_response_a_proposal_can_name_exists():
    responses = domain_responses()
    for _, case, proposal in proposals():
        for wish in (None, "pay_now", "arrangement", "pause"):
            for name in proposal_responses(proposal, wish):
                assert name in responses, name
        assert f"utter_staff_confirmed_{proposal.solution}" in responses


def test_remission_says_what_is_forgiven_after_what_and_that_it_is_reassessed():  # R15
    case = facts(monthly_capacity=80, **STRUCTURAL)
    proposal = propose(case, TODAY)
    text = " ".join(t for name, t in customer_texts(case, proposal) if name.startswith("utter_proposal"))
    assert "36 maanden lang € 80 per maand" in text
    assert "elk jaar" in text and "de achterstand van € 500 en de rest van de lening" in text


def test_a_mortgage_is_never_told_about_forgiving():  # issue 22
    for what, case, proposal in proposals():
        if case.loan_type == "mortgage":
            assert not any("kwijtschel" in text for _, text in customer_texts(case, proposal)), what
