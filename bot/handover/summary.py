"""The card a person reads before answering, so the customer never tells the story twice (R20)."""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.arrears import overview
from bot.formatting import euros
from bot.money import format_euro
from bot.store.models import Case, Customer, Payment

CONTROL_QUESTIONS = ("income_changed", "situation_changed", "other_debts", "upcoming_changes")


def _capacity(finances: dict[str, Any]) -> int | None:
    from bot.solutions import affordability  # the policy engine loads only when figures exist

    result = affordability(finances) if finances else None
    return result.monthly_capacity if result else None


def build_summary(session: Session, case: Case, reason: str, priority: str, today: date) -> dict[str, Any]:
    answers = case.answers or {}
    summary: dict[str, Any] = {"priority": priority, "reason": reason, "customer": None, "loans": []}
    mortgage_term = 0
    if case.customer_id is not None:
        customer = session.execute(select(Customer).where(Customer.id == case.customer_id)).scalar_one()
        summary["customer"] = {"name": customer.full_name, "customer_number": customer.customer_number,
                               "phone": customer.phone}
        facts = overview(session, customer.id, today)
        summary["recurring_arrears"] = facts.recurring
        summary["loans"] = [{"reference": loan.reference, "loan_name": loan.loan_name,
                             "terms_behind": loan.terms_behind, "arrears": format_euro(loan.arrears_cents),
                             "monthly_term": format_euro(loan.monthly_term_cents)} for loan in facts.loans]
        mortgage_term = sum(loan.monthly_term_cents for loan in facts.loans if loan.loan_type == "mortgage") / 100
    summary["cause"] = {"category": case.cause, "structural": case.cause_structural,
                        "description": answers.get("cause_description"), "followup": answers.get("cause_followup")}
    summary["control"] = {name: (answers.get("control") or {}).get(name) for name in CONTROL_QUESTIONS}
    finances = dict(case.finances or {})
    if finances:
        finances["monthly_capacity"] = euros(_capacity(finances))
        if mortgage_term and finances.get("housing_costs") is not None:
            # The customer named what the home costs besides the mortgage; its term is the housing
            # cost too, so staff see the whole of it, never € 0 (issue 22).
            finances["housing_costs"] = float(finances["housing_costs"]) + mortgage_term
    summary["finances"] = finances
    summary["signals"] = [{"name": s["name"], "text": s["text"]} for s in case.signals or []]
    offer = case.offer or None
    summary["offer"] = offer and {key: offer.get(key) for key in (
        "solution", "alternative", "arrangement_amount", "arrangement_months", "pause_months",
        "monthly_capacity", "policy_version", "agreed")}
    payments = session.execute(select(Payment).where(Payment.case_id == case.id, Payment.status == "open")).scalars()
    summary["open_payments"] = [{"url": p.checkout_url, "amount": format_euro(p.amount_cents), "status": p.status}
                                for p in payments]
    return summary
