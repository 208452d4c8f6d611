"""Weighing the customer's own monthly offer (R12): weighed against capacity and the
recovery period, never copied blindly."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Optional

from .config import Policy, load_policy
from .engine import lowest_workable_amount, offer_spread, spread
from .facts import CaseFacts
from .proposal import Proposal
from .propose import propose


@dataclass(frozen=True)
class OfferAssessment:
    verdict: str                        # acceptable | too_high | too_low
    reason: str                         # offer_within_capacity | offer_above_capacity |
                                        # offer_below_regular_term | offer_below_recovery_minimum
    offer: int
    monthly_capacity: Optional[int]
    accepted_amount: Optional[int]      # monthly total when acceptable (<= offer: rounding favours the customer)
    accepted_months: Optional[int]
    lowest_workable_amount: int         # smallest total that clears the arrears within the period
    counter_amount: Optional[int]       # what we propose instead (too_high / too_low)
    counter_months: Optional[int]
    route: str                          # solution that follows: payment_arrangement or the R15 route
    proposal: Optional[Proposal]        # the full proposal, when `today` was given


def weigh_offer(
    facts: CaseFacts, offer: int, today: Optional[date] = None, policy: Optional[Policy] = None
) -> OfferAssessment:
    policy = policy or load_policy()
    if isinstance(offer, bool) or not isinstance(offer, int) or offer < 0:
        raise ValueError("offer must be whole euros >= 0")
    facts = replace(facts, customer_offer=offer)
    capacity = facts.monthly_capacity
    lowest = lowest_workable_amount(facts, policy)
    lowest_fits = capacity is None or lowest <= capacity
    proposal = propose(facts, today, policy) if today is not None else None
    accepted = offer_spread(facts, policy, offer)
    if accepted is not None:
        verdict, reason = "acceptable", "offer_within_capacity"
        counter_amount = counter_months = None
        route = "payment_arrangement"
    elif capacity is not None and offer > capacity:
        # The counter is the ordinary proposal: within capacity, living norm kept (R13).
        verdict, reason = "too_high", "offer_above_capacity"
        counter = spread(facts.arrears_amount, capacity - facts.monthly_term, policy.max_recovery_months)
        counter_amount = facts.monthly_term + counter.catch_up if counter else None
        counter_months = counter.months if counter else None
        route = "payment_arrangement" if counter else _no_recovery_route(facts, policy, today)
    else:
        verdict = "too_low"
        reason = "offer_below_regular_term" if offer < facts.monthly_term else "offer_below_recovery_minimum"
        if lowest_fits:
            counter = spread(facts.arrears_amount, lowest - facts.monthly_term, policy.max_recovery_months)
            counter_amount, counter_months = lowest, counter.months
            route = "payment_arrangement"
        else:
            counter_amount = counter_months = None
            route = _no_recovery_route(facts, policy, today)
    return OfferAssessment(
        verdict=verdict,
        reason=reason,
        offer=offer,
        monthly_capacity=capacity,
        accepted_amount=facts.monthly_term + accepted.catch_up if accepted else None,
        accepted_months=accepted.months if accepted else None,
        lowest_workable_amount=lowest,
        counter_amount=counter_amount,
        counter_months=counter_months,
        route=route,
        proposal=proposal,
    )


def _no_recovery_route(facts: CaseFacts, policy: Policy, today: Optional[date]) -> str:
    # The route does not depend on the date; any date gives the same solution.
    return propose(facts, today or date(2000, 1, 1), policy).solution
