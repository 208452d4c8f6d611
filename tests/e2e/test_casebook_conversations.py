"""The case book's conversation cases, typed over REST against the real Rasa and action servers
(issue 22). Each case gets its own fictional customer with the case's loan; the customer answers
whatever the bot asks, and the decision stored on the case is compared with the committee's."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from dateutil.relativedelta import relativedelta
from sqlalchemy import select

from bot.config import default_database_url
from bot.store.db import session_scope
from bot.store.models import ArrearsEpisode, Case, Customer, Loan
from tests.casebook.casebook import CONTROL, Outcome, compare, load_cases
from tests.e2e.test_core_conversation import texts

pytestmark = pytest.mark.e2e

CASES = [case for case in load_cases() if "conversation" in case]
BIRTH_DATE = date(1980, 5, 17)
HOUSEHOLDS = {"single": "Ik woon alleen", "couple": "Met mijn partner", "single_parent": "Alleen met mijn kinderen",
              "couple_with_children": "Met mijn partner en de kinderen"}
MAX_TURNS = 20


def customer_number(case: dict) -> str:
    return f"7{[c['id'] for c in load_cases()].index(case['id']) + 1:05d}"


def database_url(stack) -> str:
    return stack.env.get("BETAALHULP_DATABASE_URL") or default_database_url(Path(stack.env["BETAALHULP_DATA_DIR"]))


@pytest.fixture(scope="module")
def casebook_stack(stack):
    """The stack with one fictional customer per conversation case (numbers 7xxxxx)."""
    today = date.today()
    with session_scope(database_url(stack)) as session:
        for case in CASES:
            number = customer_number(case)
            if session.execute(select(Customer.id).where(Customer.customer_number == number)).first():
                continue
            spec = case["loan"]
            loan = Loan(reference=f"CB-{number}", loan_type=spec["type"], monthly_term_cents=spec["term"] * 100,
                        terms_behind=spec["terms_behind"], arrears_cents=spec["term"] * spec["terms_behind"] * 100)
            for i in range(spec.get("earlier_episodes", 0)):
                started = today - relativedelta(months=4 + 5 * i)
                loan.episodes.append(ArrearsEpisode(started_on=started, ended_on=started + relativedelta(months=1),
                                                    terms=1))
            customer = Customer(customer_number=number, full_name=f"Casus {case['id']}", birth_date=BIRTH_DATE)
            customer.loans.append(loan)
            session.add(customer)
    return stack


def answer(case: dict, slot: str, question: str) -> str:
    """What this customer types when the bot asks for `slot`."""
    said, talk = case["situation"], case["conversation"]
    money = said["finances"]
    if slot in ("cause_description", "cause_followup"):
        return talk["cause" if slot == "cause_description" else "followup"]
    if slot == "recovery_months":
        return talk.get("months") or "Dat weet ik niet."
    if slot in CONTROL:
        index = CONTROL.index(slot)
        typed = talk.get("control")
        return typed[index] if typed else ("ja" if said["control"][index] else "nee")
    if slot == "housing_costs":
        housing = money["housing"]
        if case["loan"]["type"] == "mortgage" and "hypotheek bij ons" not in question.lower():
            housing += case["loan"]["term"]  # asked for rent or mortgage, the customer names the mortgage
        return str(housing)
    figures = {"net_monthly_income": money["income"], "other_fixed_costs": money["fixed"],
               "household_type": HOUSEHOLDS[money["household"]], "children": money.get("children", 0)}
    if slot in figures:
        return str(figures[slot])
    raise AssertionError(f"the bot asked for {slot!r}, which this case cannot answer: {question}")


def converse(stack, sender: str, case: dict) -> tuple[str, dict]:
    """Verifies, then answers every question until a proposal, a handover or the end; returns
    everything the bot said after verification and the final tracker."""
    stack.say(sender, "hoi")
    stack.say(sender, customer_number(case))
    said = [texts(stack.say(sender, BIRTH_DATE.strftime("%d-%m-%Y")))]
    for _ in range(MAX_TURNS):
        tracker = stack.tracker(sender)
        slots = tracker["slots"]
        if tracker["paused"] or slots.get("awaiting_agreement") or not slots.get("requested_slot"):
            return "\n".join(said), tracker
        said.append(texts(stack.say(sender, answer(case, slots["requested_slot"], said[-1]))))
    raise AssertionError(f"no proposal after {MAX_TURNS} answers:\n" + "\n".join(said))


def outcome_of(stack, sender: str, text: str, tracker: dict) -> Outcome:
    slots = tracker["slots"]
    with session_scope(database_url(stack)) as session:
        case = session.execute(select(Case).where(Case.sender_id == stack.conversation_id(sender))
                               .order_by(Case.id.desc())).scalars().first()
        offer = dict(case.offer or {}) if case else {}
    months = offer.get("pause_months") or offer.get("debt_help_pause_months") or offer.get("arrangement_months")
    return Outcome(
        income_check=slots.get("needs_income_check"), solution=slots.get("solution") or "none",
        monthly=offer.get("arrangement_amount"), pay_now=offer.get("pay_now_amount"), months=months,
        checkin=bool(offer.get("checkin_date")), handover=bool(tracker["paused"]),
        handover_reason=slots.get("handoff_reason"), forgiven=offer.get("forgiven"),
        add_ons=tuple(offer.get("add_ons") or ()), capacity=offer.get("monthly_capacity"), text=text)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_casebook_conversation(casebook_stack, sender, case):
    text, tracker = converse(casebook_stack, sender, case)
    got = outcome_of(casebook_stack, sender, text, tracker)
    if case["expect"].get("income_check") is None:
        got.income_check = None
    problems = compare(case, got)
    assert not problems, f"{case['id']} {case['title']}: " + "; ".join(problems) + "\n--- the bot said:\n" + text
    assert "{" not in text and "None" not in text, text  # every placeholder filled
