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
from bot.policy import SIGNALS, CaseFacts, OfferAssessment, Proposal, describe

FINANCE_FIELDS = ("net_monthly_income", "housing_costs", "other_fixed_costs", "household_type", "children")
STAFF_CONFIRMED = ("interest_freeze", "restructuring", "remission_arrangement")


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


def written_values(raw: dict[str, Any]) -> dict[str, Any]:
    """A proposal's numbers (as `describe` or a stored case offer has them), written for the responses."""
    written = {name: euros(raw.get(name)) for name in (
        "monthly_capacity", "monthly_term", "arrears_amount", "arrangement_amount", "catch_up_amount",
        "last_month_amount", "pay_now_amount", "savings_buffer_amount", "total_to_pay")}
    written.update({name: format_date_nl(raw.get(name)) for name in ("checkin_date", "start_date", "end_date")})
    written.update({name: raw.get(name) for name in ("arrangement_months", "pause_months", "debt_help_pause_months")})
    return written


def proposal_values(proposal: Proposal) -> dict[str, Any]:
    """The proposal's raw numbers for the case, and the same written for the Dutch responses."""
    raw = describe(proposal)
    return {"raw": raw, "written": written_values(raw)}


def template_values(loan_slots: dict[str, Any], written: dict[str, Any]) -> dict[str, Any]:
    """Everything a proposal response may name. The loan's own figures win: they are exact to
    the cent, where the policy engine works in whole euros."""
    return {**written, **{name: value for name, value in loan_slots.items() if value is not None}}


def proposal_responses(proposal: Proposal) -> list[str]:
    """Which responses present this proposal, in order: the offer, its add-ons, the question."""
    names = [f"utter_proposal_{proposal.solution}"]
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


def offer_response(assessment: OfferAssessment) -> str:
    return f"utter_offer_{assessment.verdict}"
