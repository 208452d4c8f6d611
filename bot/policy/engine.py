"""Applies solutions.yml to one case: the first rule in `rule_order` that fits decides (R14).

Every rule returns a draft or None. Amounts are whole euros; where a split leaves a
remainder, the customer never pays more than the stated monthly amount (the last month is
lower), and the stated amount never exceeds the known capacity (R13).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

from .config import Policy, load_policy
from .facts import CaseFacts


def ceil_div(numerator: int, denominator: int) -> int:
    return -(-numerator // denominator)


@dataclass(frozen=True)
class Spread:
    months: int
    catch_up: int   # per month; never more than the room
    last: int       # final month, so that the total is exactly the amount spread


@dataclass(frozen=True)
class Draft:
    solution: str
    reason: str
    alternative: Optional[str] = None
    amount: int = 0
    months: int = 0
    catch_up: int = 0
    last_catch_up: int = 0
    pay_now: int = 0
    pause_months: int = 0
    needs_income_check: bool = False
    checkin_key: Optional[str] = None


def spread(amount: int, room: int, max_months: int) -> Optional[Spread]:
    """Fewest months (<= max_months) in which `room` euros a month clear `amount`."""
    if amount <= 0:
        return Spread(0, 0, 0)
    if room <= 0:
        return None
    months = ceil_div(amount, room)
    if months > max_months:
        return None
    catch_up = ceil_div(amount, months)
    return Spread(months, catch_up, amount - (months - 1) * catch_up)


def catch_up_room(facts: CaseFacts, policy: Policy) -> int:
    """Euros a month free for catching up, on top of the regular term."""
    if facts.monthly_capacity is not None:
        return facts.monthly_capacity - facts.monthly_term
    # R8: control answers showed no change, so the term is affordable; ask only a share extra.
    share = policy["unchecked"]["max_catch_up_percent_of_term"]
    return max(1, facts.monthly_term * share // 100)


def assumption_holds(facts: CaseFacts) -> bool:
    # A temporary drop with a known end is itself a change (R8 d), so "no changes" is false.
    return facts.monthly_capacity is not None or facts.temporary_end_months is None


def lasting(facts: CaseFacts, policy: Policy) -> bool:
    """R7/R9, seed 000 §4.2: structural by the follow-up, or arrears that keep coming back."""
    rule = policy["lasting"]
    return bool((rule["when_cause_structural"] and facts.cause_structural)
                or (rule["when_recurring"] and facts.recurring))


def arrears_spread(facts: CaseFacts, policy: Policy, amount: Optional[int] = None) -> Optional[Spread]:
    if not assumption_holds(facts):
        return None
    owed = facts.arrears_amount if amount is None else amount
    return spread(owed, catch_up_room(facts, policy), policy.max_recovery_months)


def lowest_workable_amount(facts: CaseFacts, policy: Policy) -> int:
    """Smallest monthly total that clears the arrears within the recovery period (R15)."""
    return facts.monthly_term + ceil_div(facts.arrears_amount, policy.max_recovery_months)


def offer_spread(facts: CaseFacts, policy: Policy, offer: int) -> Optional[Spread]:
    """The arrangement a customer's own monthly offer gives, if it is acceptable (R12)."""
    if facts.monthly_capacity is not None and offer > facts.monthly_capacity:
        return None
    return spread(facts.arrears_amount, offer - facts.monthly_term, policy.max_recovery_months)


def pause_suits(facts: CaseFacts, policy: Policy) -> bool:
    """R11: a temporary cause a pause is meant for (the end may not be known yet)."""
    return not lasting(facts, policy) and facts.cause in policy["pause"]["causes"]


def pause_fits(facts: CaseFacts, policy: Policy) -> bool:
    """A temporary cause with a clear, short end: the pause needs no full check first."""
    months = facts.temporary_end_months
    return months is not None and 1 <= months <= policy["pause"]["max_months"] and pause_suits(facts, policy)


def pause_length(facts: CaseFacts, policy: Policy) -> tuple[int, str]:
    """Months of pause and why: until the known end (at most the maximum), or a set length."""
    pause = policy["pause"]
    if facts.temporary_end_months:
        return min(facts.temporary_end_months, pause["max_months"]), "temporary_cause_clear_end"
    if facts.cause in pause["causes"]:
        return pause["unknown_end_months"], "temporary_cause_end_not_known"
    return pause["other_months"], "short_pause_to_look_again"


def _pause(facts: CaseFacts, policy: Policy, reason: Optional[str] = None) -> Draft:
    months, why = pause_length(facts, policy)
    return Draft("payment_pause", reason or why, alternative="pay_now" if facts.can_pay_now else None,
                 amount=policy["pause"]["monthly_amount"], pause_months=months, checkin_key="payment_pause")


def _debt_help(reason: str, policy: Policy) -> Draft:
    help_ = policy["debt_help"]
    return Draft("debt_help_referral", reason, amount=help_["monthly_amount"],
                 pause_months=help_["pause_months"], checkin_key="debt_help_referral")


def rule_debt_help_signals(facts: CaseFacts, policy: Policy) -> Optional[Draft]:
    help_ = policy["debt_help"]
    if set(facts.signals) & set(help_["signals"]) or facts.cause in help_.get("causes", ()):
        return _debt_help("debts_elsewhere", policy)
    return None


def income_check_needed(facts: CaseFacts, policy: Optional[Policy] = None) -> bool:
    """R9: without a known capacity, must the full income check come before a proposal?"""
    policy = policy or load_policy()
    if facts.monthly_capacity is not None:
        return False
    when = policy["unchecked"]["income_check_when"]
    if when.get("except_temporary_pause") and pause_fits(facts, policy):
        return False  # a short pause is reassessed at its check-in anyway
    if not assumption_holds(facts):
        return True  # income changed without a short, clear end
    return bool(
        (when.get("cause_structural") and facts.cause_structural)
        or (when.get("recurring") and facts.recurring)
        or facts.cause in (when.get("causes") or ())
        or arrears_spread(facts, policy) is None
    )


def rule_income_check_first(facts: CaseFacts, policy: Policy) -> Optional[Draft]:
    if not income_check_needed(facts, policy):
        return None
    return Draft("payment_pause", "income_check_required",
                 alternative="pay_now" if facts.can_pay_now else None,
                 amount=policy["pause"]["monthly_amount"],
                 pause_months=policy["unchecked"]["check_pause_months"],
                 needs_income_check=True, checkin_key="income_check")


def rule_wished_pause(facts: CaseFacts, policy: Policy) -> Optional[Draft]:
    # R12: weighed, not copied: followed when the situation is one a pause is meant for (R11).
    if facts.customer_wish == "pause" and pause_suits(facts, policy):
        return _pause(facts, policy, "customer_wish_fits")
    return None


def rule_pay_now(facts: CaseFacts, policy: Policy) -> Optional[Draft]:
    if facts.monthly_capacity is not None and facts.monthly_capacity < facts.monthly_term:
        return None  # paying the arrears now would only postpone the next ones (R13)
    small = facts.arrears_amount <= facts.monthly_term * policy["small_arrears"]["max_terms"]
    part = facts.pay_now_amount
    says_can = (part is None or part >= facts.arrears_amount) and (
        facts.can_pay_now is True
        or (facts.can_pay_now is None and (facts.customer_wish == "pay_now" or part is not None))
    )  # a stated partial amount means "only part now": that is partial_payment's case
    alternative = "payment_arrangement" if arrears_spread(facts, policy) else None
    if says_can and (small or policy["pay_now"]["any_size_if_customer_can"]):
        reason = "small_arrears_can_pay" if small else "customer_can_pay_all_now"
    elif (
        # A customer who named a part they can pay now has said "not all of it" (partial_payment);
        # after a one-off expense without a buffer the money is not likely there (seed 000 §3.2).
        small and part is None and facts.can_pay_now is None and facts.customer_wish is None
        and facts.cause in policy["small_arrears"]["pay_now_unasked_causes"]
        and assumption_holds(facts)
        and (facts.monthly_capacity is None
             or facts.monthly_capacity >= facts.monthly_term + facts.arrears_amount)
    ):
        reason = "small_arrears_within_capacity"
    else:
        return None
    return Draft("pay_now", reason, alternative=alternative, amount=facts.monthly_term,
                 pay_now=facts.arrears_amount, checkin_key="pay_now")


def rule_partial_payment(facts: CaseFacts, policy: Policy) -> Optional[Draft]:
    part = facts.pay_now_amount
    if not part or part >= facts.arrears_amount:
        return None
    rest = arrears_spread(facts, policy, facts.arrears_amount - part)
    if rest is None:
        return None
    return Draft("partial_payment", "partial_now_rest_arranged",
                 alternative="payment_arrangement" if arrears_spread(facts, policy) else None,
                 amount=facts.monthly_term + rest.catch_up, months=rest.months,
                 catch_up=rest.catch_up, last_catch_up=rest.last, pay_now=part,
                 checkin_key="partial_payment")


def rule_payment_arrangement(facts: CaseFacts, policy: Policy) -> Optional[Draft]:
    plan = arrears_spread(facts, policy)
    if plan is None:
        return None
    known = facts.monthly_capacity is not None
    reason = "arrangement_within_capacity" if known else "arrangement_term_assumed_affordable"
    if facts.customer_offer is not None:
        offered = offer_spread(facts, policy, facts.customer_offer)
        if offered is not None:
            plan, reason = offered, "customer_offer_accepted"
        elif facts.customer_offer < lowest_workable_amount(facts, policy):
            reason = "customer_offer_too_low"
        else:
            reason = "customer_offer_above_capacity"
    return Draft("payment_arrangement", reason,
                 alternative="payment_pause" if pause_fits(facts, policy) else None,
                 amount=facts.monthly_term + plan.catch_up, months=plan.months,
                 catch_up=plan.catch_up, last_catch_up=plan.last,
                 checkin_key="payment_arrangement")


def rule_temporary_pause(facts: CaseFacts, policy: Policy) -> Optional[Draft]:
    # R11/R15: what is not lasting is never hopeless: a pause and a dated check-in, whatever the
    # capacity today; remission, restructuring and debt help without other debts need a lasting one.
    return None if lasting(facts, policy) else _pause(facts, policy)


def rule_no_capacity(facts: CaseFacts, policy: Policy) -> Optional[Draft]:
    if facts.monthly_capacity == 0:
        return _debt_help("no_capacity", policy)
    return None


def _matches(when: dict, facts: CaseFacts) -> bool:
    capacity, term = facts.monthly_capacity or 0, facts.monthly_term
    return (when.get("loan_type", facts.loan_type) == facts.loan_type
            and when.get("term_affordable", capacity >= term) == (capacity >= term)
            and capacity * 100 >= when.get("min_share_of_term_percent", 0) * term)


def rule_no_recovery(facts: CaseFacts, policy: Policy) -> Optional[Draft]:
    capacity = facts.monthly_capacity
    if not capacity:
        return None
    remission = policy["remission"]
    allowed = facts.loan_type in remission["loan_types"]  # never mortgage principal
    rule = next(r for r in policy["no_recovery"] if _matches(r.get("when") or {}, facts)
                and (allowed or r["solution"] != "remission_arrangement"))
    solution, alternative = rule["solution"], rule.get("alternative")
    if alternative == "remission_arrangement" and not allowed:
        alternative = None
    if solution == "remission_arrangement":
        # R15: the real capacity, for a fixed period; then what is still open is forgiven.
        return Draft(solution, "no_recovery_within_period", alternative=alternative, amount=capacity,
                     months=remission["months"], checkin_key=solution)
    if solution == "mortgage_review":
        return Draft(solution, "mortgage_unaffordable", checkin_key=solution)
    # Restructuring or an interest freeze: a monthly amount the customer can keep up, never
    # more than the term (the arrears go into the loan, the term runs longer).
    return Draft(solution, "no_recovery_within_period", alternative=alternative,
                 amount=min(capacity, facts.monthly_term), checkin_key=solution)


RULES: dict[str, Callable[[CaseFacts, Policy], Optional[Draft]]] = {
    "debt_help_signals": rule_debt_help_signals,
    "income_check_first": rule_income_check_first,
    "wished_pause": rule_wished_pause,
    "pay_now": rule_pay_now,
    "partial_payment": rule_partial_payment,
    "payment_arrangement": rule_payment_arrangement,
    "temporary_pause": rule_temporary_pause,
    "no_capacity": rule_no_capacity,
    "no_recovery": rule_no_recovery,
}
