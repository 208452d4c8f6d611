"""The bridge between what the conversation learned and the solution policy (R11-R18).

Builds the engine's facts from plain values, and turns a proposal into the values and response
names the dialogue needs. The Dutch sentences themselves live in the domain.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from typing import Any

from bot.affordability import Affordability, Finances, assess
from bot.arrears import LoanArrears
from bot.formatting import euros, format_date_nl
from bot.handover import HandoverDecision, Situation
from bot.policy import SIGNALS, CaseFacts, OfferAssessment, Proposal, describe, lasting, load_policy

FINANCE_FIELDS = ("net_monthly_income", "housing_costs", "other_fixed_costs", "household_type", "children")
STAFF_CONFIRMED = ("interest_freeze", "restructuring", "remission_arrangement", "mortgage_review")
# R12: the solutions that follow each wish; any other proposal tells the customer it was weighed.
WISH_FOLLOWED_BY = {"pause": ("payment_pause",), "arrangement": ("payment_arrangement", "partial_payment"),
                    "pay_now": ("pay_now", "partial_payment")}


@dataclass(frozen=True)
class Conversation:
    """What the dialogue learned, as plain values from its slots."""

    cause: str | None = None
    cause_structural: bool | None = None
    signals: tuple[str, ...] = ()
    customer_wish: str | None = None
    customer_offer: float | None = None
    pay_now_amount: float | None = None
    can_pay_now: bool | None = None
    recovery_months: int | None = None
    finances: dict[str, Any] = field(default_factory=dict)


def affordability(finances: dict[str, Any]) -> Affordability | None:
    """Capacity from the full income/expense check, or None when it was not done."""
    if any(finances.get(name) is None for name in FINANCE_FIELDS):
        return None
    return assess(Finances(
        net_monthly_income=Decimal(str(finances["net_monthly_income"])),
        housing_costs=Decimal(str(finances["housing_costs"])),
        other_fixed_costs=Decimal(str(finances["other_fixed_costs"])),
        household_type=finances["household_type"],
        children=int(finances["children"]),
    ))


def whole_euros_down(amount: float | Decimal | None) -> int | None:
    """A customer's own offer, never rounded up behind their back."""
    if amount is None:
        return None
    return int(Decimal(str(amount)).to_integral_value(rounding=ROUND_DOWN))


def case_facts(loan: LoanArrears, recurring: bool, conversation: Conversation) -> CaseFacts:
    capacity = affordability(conversation.finances)
    return CaseFacts(
        # The engine works in whole euros; arrears are rounded up so nothing is left open.
        arrears_amount=max(1, -(-loan.arrears_cents // 100)),
        terms_behind=loan.terms_behind,
        monthly_term=max(1, loan.monthly_term_cents // 100),
        loan_type=loan.loan_type,
        cause=conversation.cause or "other",
        cause_structural=bool(conversation.cause_structural),
        recurring=bool(recurring),
        monthly_capacity=capacity.monthly_capacity if capacity else None,
        customer_wish=conversation.customer_wish,
        customer_offer=whole_euros_down(conversation.customer_offer),
        pay_now_amount=whole_euros_down(conversation.pay_now_amount),
        signals=tuple(s for s in conversation.signals if s in SIGNALS),
        can_pay_now=conversation.can_pay_now,
        temporary_end_months=conversation.recovery_months,
    )


def months_nl(months: int | None) -> str | None:
    """"1 maand", "3 maanden": a period as the customer reads it; None for no period at all."""
    if not months:
        return None
    return f"{months} maand" if months == 1 else f"{months} maanden"


def written_values(raw: dict[str, Any]) -> dict[str, Any]:
    """A proposal's numbers (as `describe` or a stored case offer has them), written for the responses."""
    written = {name: euros(raw.get(name)) for name in (
        "monthly_capacity", "monthly_term", "arrears_amount", "arrangement_amount", "catch_up_amount",
        "last_month_amount", "pay_now_amount", "savings_buffer_amount", "total_to_pay", "remission_total")}
    written.update({name: format_date_nl(raw.get(name)) for name in ("checkin_date", "start_date", "end_date")})
    written.update({name: raw.get(name) for name in ("arrangement_months", "pause_months", "debt_help_pause_months")})
    # Periods are written with their unit, so no sentence ever says "1 maanden" or "0 maanden".
    written.update({f"{name}_period": months_nl(raw.get(f"{name}_months")) for name in (
        "arrangement", "pause", "debt_help_pause")})
    written["reassess_moment"] = every_nl(raw.get("reassess_every_months"))
    return written


def every_nl(months: int | None) -> str | None:
    """How often something comes back: "elk jaar", "elk half jaar", "elke 3 maanden"."""
    if not months:
        return None
    return {12: "elk jaar", 6: "elk half jaar", 1: "elke maand"}.get(months, f"elke {months} maanden")


def proposal_values(proposal: Proposal) -> dict[str, Any]:
    """The proposal's raw numbers for the case, and the same written for the Dutch responses."""
    raw = describe(proposal)
    return {"raw": raw, "written": written_values(raw)}


def template_values(loan_slots: dict[str, Any], written: dict[str, Any]) -> dict[str, Any]:
    """Everything a proposal response may name. The loan's own figures win: they are exact to
    the cent, where the policy engine works in whole euros."""
    return {**written, **{name: value for name, value in loan_slots.items() if value is not None}}


def proposal_response(proposal: Proposal) -> str:
    """The response that states this proposal truthfully: a pause that asks nothing says so, an
    arrangement with a lower last month names it, a restructuring says whether the term drops."""
    name = f"utter_proposal_{proposal.solution}"
    if proposal.solution == "payment_pause":
        if proposal.needs_income_check:
            return f"{name}_for_check"
        return name if proposal.arrangement_amount == 0 else f"{name}_reduced"
    if proposal.solution in ("payment_arrangement", "partial_payment"):
        if proposal.arrangement_months == 1:
            return f"{name}_one_month"
        return f"{name}_even" if proposal.last_catch_up_amount == proposal.catch_up_amount else name
    if proposal.solution in ("restructuring", "interest_freeze") and proposal.arrangement_amount < proposal.monthly_term:
        return f"{name}_lower"
    return name


def proposal_responses(proposal: Proposal, wish: str | None = None) -> list[str]:
    """Which responses present this proposal, in order: the wish weighed, the offer, its add-ons,
    the question."""
    names = [proposal_response(proposal)]
    if wish in WISH_FOLLOWED_BY and proposal.solution not in WISH_FOLLOWED_BY[wish]:
        names.insert(0, f"utter_wish_weighed_{wish}")
    if proposal.alternative and proposal.alternative != proposal.solution:
        names.append(f"utter_alternative_{proposal.alternative}")
    for add_on in proposal.add_ons:
        if add_on.name in ("savings_buffer", "budget_coaching"):
            names.append(f"utter_add_on_{add_on.name}")
    names.append("utter_staff_will_confirm" if proposal.needs_staff_confirmation else "utter_ask_agreement")
    return names


def without_question(names: list[str]) -> list[str]:
    """When a person takes over, the proposal is shown as a starting point, not asked about."""
    return [name for name in names if name != "utter_ask_agreement"]


def handover_situation(facts: CaseFacts) -> Situation:
    """What the handover policy weighs beside the signals (R4, R19)."""
    return Situation(customer_wish=facts.customer_wish, monthly_capacity=facts.monthly_capacity,
                     lasting=lasting(facts, load_policy()))


def handover_response(decision: HandoverDecision) -> str | None:
    """Why a person takes over at the proposal, in the customer's words; staff confirmation is
    already said by the proposal itself."""
    if decision.reason.startswith("staff_confirmation:"):
        return None
    if decision.reason in ("customer_asked", "below_living_norm"):
        return f"utter_handover_{decision.reason}"
    return "utter_handover_several_problems"


def staff_decision(offer: dict[str, Any], adjusted: bool) -> tuple[str, dict[str, Any]]:
    """The message a staff decision sends, and the slots it fills (issue 21 §3: truthful for
    every solution; a restructuring has no period of months to name)."""
    solution = offer.get("solution")
    months = offer.get("arrangement_months") or offer.get("pause_months") or offer.get("debt_help_pause_months")
    amount = offer.get("arrangement_amount")
    slots = {"staff_arrangement_amount": euros(amount) if isinstance(amount, int) and amount > 0 else None,
             "staff_arrangement_months": str(months) if months else None,
             "staff_arrangement_period": months_nl(months),
             "staff_pay_now_amount": euros(offer.get("pay_now_amount") or None),
             "staff_checkin_date": format_date_nl(offer.get("checkin_date")),
             "staff_reassess_moment": every_nl(offer.get("reassess_every_months"))}
    if adjusted:
        return "utter_staff_adjusted_solution", slots
    return f"utter_staff_confirmed_{solution}", slots


def offer_response(assessment: OfferAssessment) -> str:
    return f"utter_offer_{assessment.verdict}"
