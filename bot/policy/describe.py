"""Slot values for the dialogue. Numbers and codes only: the dialogue owns the Dutch text."""
from __future__ import annotations

from typing import Any

from .proposal import Proposal


def describe(proposal: Proposal) -> dict[str, Any]:
    """Plain JSON-safe values (ints, strings, bools, ISO dates, lists) to fill templates."""
    schedule = proposal.schedule()
    paid = [line for line in schedule if line.month > 0]
    end = proposal.end_date
    buffer = proposal.add_on("savings_buffer")
    debt_help_pause = proposal.add_on("pause_while_in_debt_help")
    return {
        "solution": proposal.solution,
        "alternative": proposal.alternative,
        "reason": proposal.reason,
        "policy_version": proposal.policy_version,
        "monthly_capacity": proposal.monthly_capacity,
        "monthly_term": proposal.monthly_term,
        "arrears_amount": proposal.arrears_amount,
        "arrangement_amount": proposal.arrangement_amount,
        "arrangement_months": proposal.arrangement_months,
        "catch_up_amount": proposal.catch_up_amount,
        "last_catch_up_amount": proposal.last_catch_up_amount,
        "last_month_amount": paid[-1].total if paid else None,
        "pay_now_amount": proposal.pay_now_amount,
        "pause_months": proposal.pause_months,
        "pause_amount": proposal.arrangement_amount if proposal.pause_months else None,
        "checkin_date": proposal.checkin_date.isoformat() if proposal.checkin_date else None,
        "start_date": paid[0].due.isoformat() if paid else None,
        "end_date": end.isoformat() if end else None,
        "total_to_pay": sum(line.total for line in schedule),
        # The months after today, as the follow-up engine's instalments (issue 10).
        "schedule": [{"month": line.month, "due": line.due.isoformat(), "amount": line.total} for line in paid],
        "add_ons": [a.name for a in proposal.add_ons],
        "savings_buffer_amount": buffer.amount if buffer else None,
        "debt_help_pause_months": debt_help_pause.months if debt_help_pause else None,
        "costs": proposal.costs,
        "needs_staff_confirmation": proposal.needs_staff_confirmation,
        "needs_income_check": proposal.needs_income_check,
        # Remission (R15): what is forgiven once every month is paid, and how often the amount
        # is looked at again; the customer is told both in so many words.
        "forgiven": proposal.forgiven,
        "reassess_every_months": proposal.reassess_every_months,
        "remission_total": proposal.arrangement_amount * proposal.arrangement_months
        if proposal.solution == "remission_arrangement" else None,
        # Restructuring: the arrears go into the loan and the new monthly amount is what the
        # customer can keep up, lower than the term when the term no longer fits.
        "lowers_term": proposal.solution in ("restructuring", "interest_freeze")
        and proposal.arrangement_amount < proposal.monthly_term,
    }
