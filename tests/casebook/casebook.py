"""Runs a case-book case the way the conversation would, and compares with the committee's decision.

The dialogue's own decisions are simulated with the same functions the actions call: the full
check of R9 (bot.assessment + bot.policy), the figures as the customer answers the questions the
domain asks, the proposal (bot.policy through bot.solutions), the handover (bot.handover) and the
Dutch text the customer reads (domain/*.yml, filled the way Rasa fills a response).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot import assessment, handover
from bot.affordability import Finances, assess
from bot.arrears import ArrearsOverview, LoanArrears, arrears_policy
from bot.policy import describe, income_check_needed, propose, weigh_offer
from bot.solutions import (
    Conversation,
    case_facts,
    handover_situation,
    proposal_responses,
    proposal_values,
    template_values,
)

ROOT = Path(__file__).resolve().parents[2]
CASES_FILE = Path(__file__).with_name("cases.yml")
TODAY = date(2026, 11, 23)
CONTROL = ("income_changed", "situation_changed", "other_debts", "upcoming_changes")
PAYING = ("pay_now", "partial_payment", "payment_arrangement", "restructuring", "remission_arrangement",
          "interest_freeze")


@lru_cache(maxsize=1)
def load_cases() -> tuple[dict, ...]:
    return tuple(yaml.safe_load(CASES_FILE.read_text(encoding="utf-8"))["cases"])


@lru_cache(maxsize=1)
def domain_responses() -> dict[str, list[dict]]:
    responses: dict[str, list[dict]] = {}
    for path in sorted((ROOT / "domain").glob("*.yml")):
        responses.update((yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("responses") or {})
    return responses


def render(template: str, values: dict[str, Any]) -> str:
    """What Rasa's interpolator does: a missing value leaves the template as it is."""
    try:
        return re.sub(r"{([^\n{}]+?)}", r"{0[\1]}", template).format(values)
    except KeyError:
        return template


def response_texts(name: str, values: dict[str, Any]) -> list[str]:
    """Every variation the customer could read for this response, given the slot values."""
    texts = []
    for variation in domain_responses().get(name, []):
        conditions = variation.get("condition") or []
        if all(values.get(c["name"]) == c["value"] for c in conditions):
            texts.append(render(variation.get("text", ""), values))
    return texts


def loan_of(case: dict) -> tuple[LoanArrears, ArrearsOverview]:
    spec = case["loan"]
    names = arrears_policy()["loan_type_names_nl"]
    loan = LoanArrears(reference=f"CB-{case['id']}", loan_type=spec["type"], loan_name=names[spec["type"]],
                       monthly_term_cents=spec["term"] * 100, terms_behind=spec["terms_behind"],
                       arrears_cents=spec["term"] * spec["terms_behind"] * 100, costs_cents=0)
    earlier = spec.get("earlier_episodes", 0)
    recurring = earlier >= arrears_policy()["recurring"]["min_earlier_episodes"]
    return loan, ArrearsOverview(0, (loan,), earlier, recurring)


def housing_question_names_the_mortgage() -> bool:
    """Whether the bot asks a mortgage customer what the home costs besides this mortgage's term."""
    for variation in domain_responses().get("utter_ask_housing_costs", []):
        if any(c.get("name") == "loan_type" and c.get("value") == "mortgage" for c in variation.get("condition") or []):
            return "{monthly_term}" in variation.get("text", "")
    return False


def housing_answer(case: dict) -> int:
    """What the customer types at the housing question. Asked "je huur of je hypotheek", a
    mortgage customer names the whole housing cost, the mortgage term included."""
    housing = case["situation"]["finances"]["housing"]
    if case["loan"]["type"] == "mortgage" and not housing_question_names_the_mortgage():
        return housing + case["loan"]["term"]
    return housing


def finance_answers(case: dict) -> dict[str, Any]:
    money = case["situation"]["finances"]
    return {"net_monthly_income": float(money["income"]), "housing_costs": float(housing_answer(case)),
            "other_fixed_costs": float(money["fixed"]), "household_type": money["household"],
            "children": money.get("children", 0)}


def real_capacity(case: dict) -> int:
    """The capacity for this loan's payments from the customer's real budget (norms.yml); for a
    mortgage the term is the housing cost this capacity pays."""
    money = case["situation"]["finances"]
    return assess(Finances(net_monthly_income=money["income"], housing_costs=money["housing"],
                           other_fixed_costs=money["fixed"], household_type=money["household"],
                           children=money.get("children", 0))).monthly_capacity


def budget_label(case: dict) -> str:
    capacity, term = real_capacity(case), case["loan"]["term"]
    if capacity == 0:
        return "below_living_norm"
    return "comfortable" if 2 * (capacity - term) >= term else "tight"


@dataclass
class Outcome:
    income_check: bool | None = None
    solution: str | None = None
    monthly: int | None = None
    pay_now: int | None = None
    months: int | None = None
    checkin: bool = False
    handover: bool = False
    handover_reason: str | None = None
    forgiven: str | None = None
    add_ons: tuple[str, ...] = ()
    offer_verdict: str | None = None
    capacity: int | None = None
    text: str = ""
    error: str | None = None
    notes: list[str] = field(default_factory=list)


def conversation_of(case: dict, finances: dict[str, Any] | None = None) -> Conversation:
    said = case["situation"]
    return Conversation(
        cause=said["cause"], cause_structural=said.get("structural"),
        signals=tuple(s["name"] for s in said.get("signals") or ()),
        customer_wish=said.get("wish"), can_pay_now=said.get("can_pay_now"),
        pay_now_amount=said.get("pay_now_amount"), recovery_months=said.get("end_in_months"),
        finances=finances or {})


def simulate(case: dict) -> Outcome:
    try:
        return _simulate(case)
    except Exception as error:  # a case the code cannot even take is a result too
        return Outcome(error=f"{type(error).__name__}: {error}")


def _simulate(case: dict) -> Outcome:
    said = case["situation"]
    signals = [s["name"] for s in said.get("signals") or ()]
    crisis = handover.immediate(signals)
    if crisis is not None:
        return Outcome(solution="none", handover=True, handover_reason=crisis.reason)
    loan, overview = loan_of(case)
    control = dict(zip(CONTROL, said["control"]))
    unchecked = case_facts(loan, overview.recurring, conversation_of(case))
    check = assessment.needs_income_check(said.get("structural"), overview.recurring, control) or \
        income_check_needed(unchecked)
    facts = case_facts(loan, overview.recurring, conversation_of(case, finance_answers(case) if check else None))
    verdict = None
    if said.get("offer") is not None:
        weighed = weigh_offer(facts, said["offer"], TODAY)
        proposal, verdict = weighed.proposal, weighed.verdict
    else:
        proposal = propose(facts, TODAY)
    # The handover policy sees each signal with the sentence that raised it (one sentence, one event).
    seen = [{"name": s["name"], "text": s["sentence"]} for s in said.get("signals") or ()]
    decision = handover.at_proposal(seen, proposal.solution, handover_situation(facts))
    raw = describe(proposal)
    values = template_values(overview.as_slots(), proposal_values(proposal)["written"])
    text = "\n".join(t for name in proposal_responses(proposal, facts.customer_wish)
                     for t in response_texts(name, values))
    return Outcome(
        income_check=check, solution=proposal.solution, monthly=proposal.arrangement_amount,
        pay_now=proposal.pay_now_amount, months=proposal.pause_months or proposal.arrangement_months,
        checkin=proposal.checkin_date is not None, handover=decision is not None,
        handover_reason=decision.reason if decision else None, forgiven=raw.get("forgiven"),
        add_ons=tuple(a.name for a in proposal.add_ons), offer_verdict=verdict,
        capacity=facts.monthly_capacity, text=text)


def _within(value: int | None, bounds: list[int]) -> bool:
    return value is not None and bounds[0] <= value <= bounds[1]


def compare(case: dict, got: Outcome) -> list[str]:
    """What differs from the committee's decision; empty when the case passes."""
    want = case["expect"]
    if got.error:
        return [got.error]
    problems = []
    if want.get("income_check") is not None and got.income_check != want["income_check"]:
        problems.append(f"income check {got.income_check}, expected {want['income_check']}")
    if got.solution not in want["solution"]:
        problems.append(f"solution {got.solution}, expected {'/'.join(want['solution'])}")
    for name in ("monthly", "pay_now", "months"):
        if name in want and not _within(getattr(got, name), want[name]):
            problems.append(f"{name} {getattr(got, name)}, expected {want[name][0]}-{want[name][1]}")
    if want.get("checkin") and not got.checkin:
        problems.append("no dated check-in")
    if got.handover != want["handover"]:
        problems.append(f"handover {got.handover_reason or 'none'}, expected {'a person' if want['handover'] else 'none'}")
    elif want.get("handover_reason") and got.handover_reason != want["handover_reason"]:
        problems.append(f"handover reason {got.handover_reason}, expected {want['handover_reason']}")
    if want.get("forgiven") and got.forgiven != want["forgiven"]:
        problems.append(f"forgiven {got.forgiven}, expected {want['forgiven']}")
    missing = set(want.get("add_ons") or ()) - set(got.add_ons)
    if missing:
        problems.append(f"missing add-ons {sorted(missing)}")
    if want.get("offer_verdict") and got.offer_verdict != want["offer_verdict"]:
        problems.append(f"offer {got.offer_verdict}, expected {want['offer_verdict']}")
    text = got.text.lower()
    problems += [f"text lacks '{w}'" for w in want.get("text_includes") or () if w.lower() not in text]
    problems += [f"text has '{w}'" for w in want.get("text_excludes") or () if w.lower() in text]
    # R13 holds in every case: never more a month than the real capacity the check found.
    if got.capacity is not None and got.solution in PAYING and got.monthly and got.monthly > got.capacity:
        problems.append(f"asks {got.monthly} a month above the capacity {got.capacity} (R13)")
    return problems


def describe_expected(case: dict) -> str:
    want = case["expect"]
    person = "person" if want["handover"] else "bot"
    return f"{'/'.join(want['solution'])}{_bounds(want)}; {want.get('handover_reason') or person}"


def describe_got(got: Outcome) -> str:
    if got.error:
        return f"error: {got.error}"
    shown = {"monthly": got.monthly, "months": got.months, "pay_now": got.pay_now}
    parts = [f"{k} {v}" for k, v in shown.items() if v]
    return f"{got.solution}{' (' + ', '.join(parts) + ')' if parts else ''}; {got.handover_reason or 'bot'}"


def _bounds(want: dict) -> str:
    parts = [f"{k} {want[k][0]}-{want[k][1]}" if want[k][0] != want[k][1] else f"{k} {want[k][0]}"
             for k in ("monthly", "months", "pay_now") if k in want]
    return f" ({', '.join(parts)})" if parts else ""
