"""propose(): run the rules, then add what every proposal carries (add-ons, costs, check-in)."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Optional

from .config import Policy, load_policy
from .dates import add_months
from .engine import RULES, Draft
from .facts import CaseFacts
from .proposal import AddOn, Proposal


def propose(facts: CaseFacts, today: date, policy: Optional[Policy] = None) -> Proposal:
    """The solution the lender proposes for these facts (R12); same facts, same proposal (R14)."""
    policy = policy or load_policy()
    for name in policy.rule_order:
        draft = RULES[name](facts, policy)
        if draft is not None:
            return _finish(facts, today, policy, draft)
    raise LookupError("solutions.yml: no rule applies to these facts")  # config guards this


def _checkin(policy: Policy, draft: Draft, today: date) -> Optional[date]:
    spec = policy["checkin"].get(draft.checkin_key) if draft.checkin_key else None
    if not spec:
        return None
    if "before_end_days" in spec:
        end = add_months(today, draft.pause_months)
        # Never before tomorrow, however short the pause.
        return max(end - timedelta(days=spec["before_end_days"]), today + timedelta(days=1))
    moment = add_months(today, spec.get("after_months", 0))
    return moment + timedelta(days=spec.get("after_days", 0))


def _add_ons(facts: CaseFacts, policy: Policy, draft: Draft) -> tuple[AddOn, ...]:
    add_ons = []
    coaching = policy["add_ons"]["budget_coaching"]
    if (
        facts.cause in coaching["causes"]
        or (coaching.get("when_recurring") and facts.recurring)
        or draft.solution in coaching["solutions"]
    ):
        add_ons.append(AddOn("budget_coaching"))
    buffer = policy["add_ons"]["savings_buffer"]
    if draft.solution in buffer["solutions"] and facts.monthly_capacity is not None:
        # R18: only from what is left after the proposal, so R13 still holds with savings.
        left = facts.monthly_capacity - draft.amount
        if left >= buffer["minimum"]:
            add_ons.append(AddOn("savings_buffer", amount=min(buffer["amount"], left)))
    if draft.solution == "debt_help_referral":
        # R17: nothing grows while debt help looks at the whole picture.
        add_ons.append(AddOn("pause_while_in_debt_help", amount=draft.amount, months=draft.pause_months))
    return tuple(add_ons)


def _costs(facts: CaseFacts, policy: Policy) -> int:
    # R16: a customer working on a solution with us is cooperating; "without means" is a
    # capacity below the regular term.
    without_means = facts.monthly_capacity is not None and facts.monthly_capacity < facts.monthly_term
    key = "cooperating_without_means" if without_means else "cooperating_with_means"
    return policy["costs"][key]


def _finish(facts: CaseFacts, today: date, policy: Policy, draft: Draft) -> Proposal:
    remission = policy["remission"] if draft.solution == "remission_arrangement" else None
    return Proposal(
        solution=draft.solution,
        alternative=draft.alternative if draft.alternative != draft.solution else None,
        arrangement_amount=draft.amount,
        arrangement_months=draft.months,
        catch_up_amount=draft.catch_up,
        last_catch_up_amount=draft.last_catch_up,
        pay_now_amount=draft.pay_now,
        pause_months=draft.pause_months,
        checkin_date=_checkin(policy, draft, today),
        add_ons=_add_ons(facts, policy, draft),
        costs=_costs(facts, policy),
        needs_staff_confirmation=policy.needs_staff(draft.solution),
        needs_income_check=draft.needs_income_check,
        policy_version=policy.version,
        reason=draft.reason,
        proposed_on=today,
        monthly_capacity=facts.monthly_capacity,
        monthly_term=facts.monthly_term,
        arrears_amount=facts.arrears_amount,
        forgiven=remission["forgives"] if remission else None,
        reassess_every_months=remission["reassess_every_months"] if remission else None,
    )
